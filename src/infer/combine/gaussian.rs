//! Gaussian combination of single-star posteriors into the posterior of the global
//! parameters Λ (α_IMF and log10 N_Ia for the paper) — paper eq. 5–9, reference spec part C.
//!
//! Every star i gives draws of its posterior p(Λ | D_i) ∝ p(D_i | Λ) p(Λ). Because the stars
//! are independent given Λ and each single-star posterior already contains the prior once,
//!
//! ```text
//! p(Λ | D_1 … D_n) ∝ p(Λ) Π_i p(D_i | Λ) ∝ p(Λ)^{1−n} Π_i p(Λ | D_i).
//! ```
//!
//! With a Gaussian fit N(μ_i, Σ_i) to every star (precision P_i = Σ_i⁻¹) and the Gaussian
//! prior N(μ₀, Σ₀) (precision P₀) the product is again Gaussian with
//!
//! ```text
//! P = Σ_i P_i − (n−1) P₀,   Σ_n = P⁻¹,   μ_n = Σ_n (Σ_i P_i μ_i − (n−1) P₀ μ₀)      [DividePrior]
//! ```
//!
//! which is a proper density only while P is positive definite. The reference code (spec
//! C.1) *adds* the prior precision n − 1 times instead ([`CombineMethod::Paper`]); the
//! abstract's numbers come from a per-parameter inverse-variance mean without prior (spec
//! C.2, [`CombineMethod::InverseVariance`]).

use crate::error::{ErrorKind, Kind};
use crate::stats::linalg::{spd_inverse, symmetric_eigenvalues};
use crate::stats::GaussianFit;
use ndarray::{Array1, Array2};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Errors of the combination.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CombineError {
    /// No stars to combine.
    #[error("no stars to combine")]
    NoStars,
    /// A star's fit has another dimension than the prior.
    #[error("star {star}: a Gaussian of dimension {found}, expected {expected}")]
    WrongDimension {
        star: usize,
        found: usize,
        expected: usize,
    },
    /// A star's covariance is singular.
    #[error("star {star}: the covariance of the global parameters is singular; its draws carry no usable spread")]
    SingularStar { star: usize },
    /// The prior covariance is not positive definite.
    #[error("the prior covariance of the global parameters is not positive definite")]
    BadPrior,
    /// The combined precision is not positive definite, so the combined density is improper.
    #[error(
        "{method}: the combined precision of {n_stars} stars is not positive definite \
         (eigenvalues {}): the stars' Gaussian posteriors together carry less \
         information than the {} prior copies divided out. This happens when single-star \
         posteriors are about as wide as the prior (uninformative stars, or a posterior \
         estimator that is too wide). Use method \"paper\" (spec C.1: adds the prior instead) \
         or \"inverse_variance\" (spec C.2: no prior term) for a finite answer.",
        eigenvalues.iter().map(|e| format!("{e:.4e}")).collect::<Vec<_>>().join(", "),
        n_stars.saturating_sub(1)
    )]
    NotPositiveDefinite {
        method: CombineMethod,
        n_stars: usize,
        eigenvalues: Vec<f64>,
    },
    /// The starting covariance of an exact combination's grid is not positive definite.
    #[error("exact combination: the starting covariance of the grid is not positive definite")]
    BadStart,
    /// The exact combined density is zero everywhere the grid looked.
    #[error("exact combination: the combined density is zero everywhere on the grid (the stars' densities do not overlap inside the prior's support)")]
    NoMass,
    /// The grid kept moving outwards: the product does not fall off (it is not a density).
    #[error("exact combination: the combined density does not settle on a grid after {rounds} rounds ({edge:.2} of its mass on the grid's edge, centre {centre:?}): the product is not normalisable. This happens when single-star densities are about as wide as the prior, which is divided out n − 1 times (uninformative stars, or a posterior estimator that is too wide); use method \"paper\" for a finite answer")]
    Improper {
        rounds: usize,
        edge: f64,
        centre: [f64; 2],
    },
    /// Grid settings out of range.
    #[error("exact combination: bad grid settings: {0}")]
    BadGrid(String),
    /// A star's density could not be built or evaluated.
    #[error("exact combination, star {star}: {message}")]
    StarDensity { star: usize, message: String },
}

impl Kind for CombineError {
    fn kind(&self) -> ErrorKind {
        match self {
            CombineError::NotPositiveDefinite { .. } => ErrorKind::NotPositiveDefinite,
            CombineError::NoStars | CombineError::StarDensity { .. } => ErrorKind::Input,
            CombineError::BadGrid(_) => ErrorKind::Option,
            CombineError::BadStart | CombineError::NoMass | CombineError::Improper { .. } => {
                ErrorKind::Numerical
            }
            CombineError::WrongDimension { .. } => ErrorKind::Shape,
            CombineError::SingularStar { .. } | CombineError::BadPrior => ErrorKind::Numerical,
        }
    }
}

/// How single-star posteriors are combined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CombineMethod {
    /// The derivation (paper eq. 5): product of the star posteriors with the prior divided out
    /// n − 1 times. The default.
    #[default]
    DividePrior,
    /// The reference code (spec C.1): the prior precision is *added* n − 1 times.
    Paper,
    /// The abstract's numbers (spec C.2): per-parameter inverse-variance weighted mean of the
    /// star means (standard deviations with N normalisation), no covariance, no prior.
    InverseVariance,
}

impl CombineMethod {
    /// Every method, in declaration order.
    pub const ALL: [CombineMethod; 3] = [
        CombineMethod::DividePrior,
        CombineMethod::Paper,
        CombineMethod::InverseVariance,
    ];

    /// The name used in scripts and files.
    pub fn name(self) -> &'static str {
        match self {
            CombineMethod::DividePrior => "divide_prior",
            CombineMethod::Paper => "paper",
            CombineMethod::InverseVariance => "inverse_variance",
        }
    }

    /// Whether the method uses the prior (all but inverse-variance).
    pub fn needs_prior(self) -> bool {
        self != CombineMethod::InverseVariance
    }
}

impl fmt::Display for CombineMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for CombineMethod {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "divide_prior" | "default" | "derivation" => Ok(CombineMethod::DividePrior),
            "paper" => Ok(CombineMethod::Paper),
            "inverse_variance" => Ok(CombineMethod::InverseVariance),
            other => Err(format!(
                "unknown combination method '{other}'; expected \"divide_prior\" (default), \
                 \"paper\" or \"inverse_variance\""
            )),
        }
    }
}

/// A Gaussian over the global parameters: the prior a combination divides out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GaussianPrior {
    /// Mean `(k)`.
    pub mean: Vec<f64>,
    /// Covariance `(k, k)`, row-major.
    pub cov: Vec<Vec<f64>>,
}

impl GaussianPrior {
    /// The paper's prior on (α_IMF, log10 N_Ia): N(−2.3, 0.3²) × N(−2.89, 0.3²).
    pub fn paper() -> Self {
        Self::independent(&[-2.3, -2.89], &[0.3, 0.3])
    }

    /// Independent components with means `mean` and standard deviations `sd`.
    pub fn independent(mean: &[f64], sd: &[f64]) -> Self {
        let k = mean.len();
        GaussianPrior {
            mean: mean.to_vec(),
            cov: (0..k)
                .map(|i| {
                    (0..k)
                        .map(|j| if i == j { sd[i] * sd[i] } else { 0.0 })
                        .collect()
                })
                .collect(),
        }
    }

    /// Marginal standard deviations.
    pub fn sd(&self) -> Vec<f64> {
        (0..self.mean.len())
            .map(|i| self.cov[i][i].sqrt())
            .collect()
    }

    fn cov_array(&self) -> Array2<f64> {
        let k = self.mean.len();
        Array2::from_shape_fn((k, k), |(i, j)| self.cov[i][j])
    }
}

/// The combined posterior of the global parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Combined {
    /// The method used.
    pub method: CombineMethod,
    /// Number of stars combined.
    pub n_stars: usize,
    /// Combined mean `(k)`.
    pub mean: Vec<f64>,
    /// Combined covariance `(k, k)` (diagonal for [`CombineMethod::InverseVariance`]).
    pub cov: Vec<Vec<f64>>,
    /// Marginal standard deviations sqrt(diag cov).
    pub sd: Vec<f64>,
}

/// Catalog rows per block of the combination: stars are summed within blocks of this many
/// catalog rows, and the blocks' sums are added in block order. Streamed and sharded runs
/// cut catalogs at block boundaries, so every way of running gives the same numbers.
pub const BLOCK_ROWS: usize = 4096;

/// The sufficient statistics of a Gaussian combination: sums over stars from which the
/// combination follows in O(k³), and which merge by addition (shards, streamed batches).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GaussianSums {
    /// Stars added.
    pub n: usize,
    /// Σ P_i `(k, k)`.
    pub prec: Array2<f64>,
    /// Σ P_i μ_i `(k)`.
    pub h: Array1<f64>,
    /// Σ 1/s_i² per parameter (spec C.2).
    pub w: Array1<f64>,
    /// Σ m_i/s_i² per parameter.
    pub wm: Array1<f64>,
}

impl GaussianSums {
    /// Empty sums of k global parameters.
    pub fn new(k: usize) -> Self {
        GaussianSums {
            n: 0,
            prec: Array2::zeros((k, k)),
            h: Array1::zeros(k),
            w: Array1::zeros(k),
            wm: Array1::zeros(k),
        }
    }

    /// The sums of both (other's stars after these).
    pub fn merge(&mut self, other: &GaussianSums) -> Result<(), CombineError> {
        if other.h.len() != self.h.len() {
            return Err(CombineError::WrongDimension {
                star: self.n,
                found: other.h.len(),
                expected: self.h.len(),
            });
        }
        self.n += other.n;
        self.prec += &other.prec;
        self.h += &other.h;
        self.w += &other.w;
        self.wm += &other.wm;
        Ok(())
    }

    /// Adds one star's Gaussian fit; `star` only labels errors.
    pub fn add(&mut self, f: &GaussianFit, star: usize) -> Result<(), CombineError> {
        let k = self.h.len();
        if f.mean.len() != k {
            return Err(CombineError::WrongDimension {
                star,
                found: f.mean.len(),
                expected: k,
            });
        }
        let p = spd_inverse(f.cov_array().view()).ok_or(CombineError::SingularStar { star })?;
        let mean = Array1::from(f.mean.clone());
        self.h += &p.dot(&mean);
        self.prec += &p;
        self.n += 1;
        for a in 0..k {
            let w = 1.0 / (f.sd_n[a] * f.sd_n[a]);
            self.w[a] += w;
            self.wm[a] += w * f.mean[a];
        }
        Ok(())
    }

    /// The combination of the stars added, with `method` and the prior every single-star
    /// posterior contains.
    pub fn finish(
        &self,
        prior: &GaussianPrior,
        method: CombineMethod,
    ) -> Result<Combined, CombineError> {
        if self.n == 0 {
            return Err(CombineError::NoStars);
        }
        check_prior(prior)?;
        let (n, k) = (self.n, self.h.len());
        if method == CombineMethod::InverseVariance {
            let mean: Vec<f64> = (0..k).map(|a| self.wm[a] / self.w[a]).collect();
            let var: Vec<f64> = (0..k).map(|a| 1.0 / self.w[a]).collect();
            return Ok(Combined {
                method,
                n_stars: n,
                mean,
                cov: (0..k)
                    .map(|i| (0..k).map(|j| if i == j { var[i] } else { 0.0 }).collect())
                    .collect(),
                sd: var.iter().map(|v| v.sqrt()).collect(),
            });
        }
        let p0 = spd_inverse(prior.cov_array().view()).ok_or(CombineError::BadPrior)?;
        let h0 = p0.dot(&Array1::from(prior.mean.clone()));
        let sign = if method == CombineMethod::Paper {
            1.0
        } else {
            -1.0
        };
        let c = sign * (n as f64 - 1.0);
        let prec = &self.prec + &(&p0 * c);
        let h = &self.h + &(&h0 * c);
        let not_pd = || CombineError::NotPositiveDefinite {
            method,
            n_stars: n,
            eigenvalues: symmetric_eigenvalues(prec.view()),
        };
        let cov = spd_inverse(prec.view()).ok_or_else(not_pd)?;
        let mean = cov.dot(&h);
        Ok(Combined {
            method,
            n_stars: n,
            mean: mean.to_vec(),
            sd: cov.diag().iter().map(|v| v.sqrt()).collect(),
            cov: cov.rows().into_iter().map(|r| r.to_vec()).collect(),
        })
    }
}

/// Combines the Gaussian fits of all stars with `method`; `prior` is the prior of the global
/// parameters that every single-star posterior contains (unused by
/// [`CombineMethod::InverseVariance`]).
pub fn combine(
    stars: &[GaussianFit],
    prior: &GaussianPrior,
    method: CombineMethod,
) -> Result<Combined, CombineError> {
    let run = combine_running(stars, prior, method)?;
    run.into_iter().last().unwrap_or(Err(CombineError::NoStars))
}

/// The combination of the first n stars for n = 1 … N (paper Fig. 5), from prefix sums in
/// O(N), all stars in one block. Entry n − 1 is the combination of stars 0 … n − 1, or the
/// reason it does not exist (e.g. a precision that is not positive definite for small n under
/// [`CombineMethod::DividePrior`]).
pub fn combine_running(
    stars: &[GaussianFit],
    prior: &GaussianPrior,
    method: CombineMethod,
) -> Result<Vec<Result<Combined, CombineError>>, CombineError> {
    let rows: Vec<usize> = (0..stars.len()).collect();
    combine_running_in_blocks_of(stars, &rows, usize::MAX, prior, method)
}

/// [`combine_running`] with the stars summed in blocks of [`BLOCK_ROWS`] catalog rows:
/// `rows[i]` (ascending) is star i's catalog row; the sums of earlier blocks are added in
/// block order before the partial sum of the current one, exactly as streamed and sharded
/// runs do. Errors name the star by its catalog row.
pub fn combine_running_in_blocks(
    stars: &[GaussianFit],
    rows: &[usize],
    prior: &GaussianPrior,
    method: CombineMethod,
) -> Result<Vec<Result<Combined, CombineError>>, CombineError> {
    combine_running_in_blocks_of(stars, rows, BLOCK_ROWS, prior, method)
}

fn combine_running_in_blocks_of(
    stars: &[GaussianFit],
    rows: &[usize],
    block_rows: usize,
    prior: &GaussianPrior,
    method: CombineMethod,
) -> Result<Vec<Result<Combined, CombineError>>, CombineError> {
    if rows.len() != stars.len() {
        return Err(CombineError::WrongDimension {
            star: 0,
            found: rows.len(),
            expected: stars.len(),
        });
    }
    if stars.is_empty() {
        return Err(CombineError::NoStars);
    }
    check_prior(prior)?;
    let k = prior.mean.len();
    let mut done = GaussianSums::new(k);
    let mut block = GaussianSums::new(k);
    let mut current = rows.first().map_or(0, |r| r / block_rows);
    let mut out = Vec::with_capacity(stars.len());
    for (f, &row) in stars.iter().zip(rows) {
        let b = row / block_rows;
        if b != current {
            done.merge(&block)?;
            block = GaussianSums::new(k);
            current = b;
        }
        block.add(f, row)?;
        let mut prefix = done.clone();
        prefix.merge(&block)?;
        out.push(prefix.finish(prior, method));
    }
    Ok(out)
}

fn check_prior(prior: &GaussianPrior) -> Result<(), CombineError> {
    let k = prior.mean.len();
    let square = prior.cov.len() == k && prior.cov.iter().all(|r| r.len() == k);
    if k > 0
        && square
        && prior.mean.iter().all(|m| m.is_finite())
        && spd_inverse(prior.cov_array().view()).is_some()
    {
        Ok(())
    } else {
        Err(CombineError::BadPrior)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fit(mean: [f64; 2], sd: [f64; 2], rho: f64) -> GaussianFit {
        let c = rho * sd[0] * sd[1];
        GaussianFit {
            mean: mean.to_vec(),
            cov: vec![vec![sd[0] * sd[0], c], vec![c, sd[1] * sd[1]]],
            sd_n: sd.to_vec(),
            n_eff: 1000,
        }
    }

    #[test]
    fn divide_prior_inverts_the_product_of_prior_times_likelihoods() {
        // stars whose posterior is prior × N(l_i, 0.1²): dividing the prior out n−1 times
        // leaves prior × Π likelihoods, a Gaussian with precision 1/0.3² + n/0.1².
        let prior = GaussianPrior::paper();
        let like = [-2.2, -2.35, -2.25];
        let stars: Vec<GaussianFit> = like
            .iter()
            .map(|&l| {
                let p: f64 = 1.0 / 0.09 + 1.0 / 0.01;
                let m = (-2.3 / 0.09 + l / 0.01) / p;
                let s = (1.0 / p).sqrt();
                fit([m, -2.89], [s, 0.3], 0.0)
            })
            .collect();
        let c = combine(&stars, &prior, CombineMethod::DividePrior).unwrap();
        let p = 1.0 / 0.09 + 3.0 / 0.01;
        let m = (-2.3 / 0.09 + like.iter().sum::<f64>() / 0.01) / p;
        assert!((c.mean[0] - m).abs() < 1e-12 && (c.sd[0] - (1.0 / p).sqrt()).abs() < 1e-12);
        assert!((c.mean[1] + 2.89).abs() < 1e-12 && (c.sd[1] - 0.3).abs() < 1e-12);
        let run = combine_running(&stars, &prior, CombineMethod::InverseVariance).unwrap();
        assert_eq!(run.len(), 3);
        assert_eq!(run[2].as_ref().unwrap().n_stars, 3);
    }

    #[test]
    fn wide_stars_make_divide_prior_improper() {
        let prior = GaussianPrior::paper();
        let stars = vec![fit([-2.3, -2.89], [0.31, 0.31], 0.2); 10];
        let e = combine(&stars, &prior, CombineMethod::DividePrior).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotPositiveDefinite);
        assert!(e.to_string().contains("not positive definite"));
        assert!(combine(&stars, &prior, CombineMethod::Paper).is_ok());
        assert_eq!(
            combine(&[], &prior, CombineMethod::Paper),
            Err(CombineError::NoStars)
        );
        let three = GaussianFit {
            mean: vec![0.0; 3],
            ..fit([0.0, 0.0], [1.0, 1.0], 0.0)
        };
        assert!(matches!(
            combine(&[three], &prior, CombineMethod::Paper),
            Err(CombineError::WrongDimension { .. })
        ));
    }
}
