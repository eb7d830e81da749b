//! Combination of single-star posteriors into the posterior of the global parameters
//! (α_IMF, log10 N_Ia) — paper eq. 5–9, reference spec part C.
//!
//! Every star i gives samples of its posterior p(Λ | D_i) ∝ p(D_i | Λ) p(Λ) for the two global
//! parameters Λ. Because the stars are independent given Λ and each single-star posterior
//! already contains the prior once,
//!
//! ```text
//! p(Λ | D_1 … D_n) ∝ p(Λ) Π_i p(D_i | Λ) ∝ p(Λ)^{1−n} Π_i p(Λ | D_i).
//! ```
//!
//! With a Gaussian fit N(μ_i, Σ_i) to every star (precision Λ_i = Σ_i⁻¹) and the Gaussian prior
//! N(μ₀, Σ₀) (precision Λ₀) the product is again Gaussian with
//!
//! ```text
//! P = Σ_i Λ_i − (n−1) Λ₀,   Σ_n = P⁻¹,   μ_n = Σ_n (Σ_i Λ_i μ_i − (n−1) Λ₀ μ₀)      [DividePrior]
//! ```
//!
//! which is a proper density only while P is positive definite. The reference code (spec C.1)
//! *adds* the prior precision n − 1 times instead ([`CombineMethod::Paper`]); the abstract's
//! numbers come from a per-parameter inverse-variance mean without prior (spec C.2,
//! [`CombineMethod::InverseVariance`]).

use ndarray::ArrayView2;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A 2×2 symmetric matrix `[[a, b], [b, c]]` stored row-major.
pub type Mat2 = [[f64; 2]; 2];

/// Errors of the combination.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CombineError {
    /// No stars to combine.
    #[error("no stars to combine")]
    NoStars,
    /// A star has too few samples to fit a Gaussian.
    #[error("star {star}: {n} posterior samples, at least 3 are needed to fit a Gaussian")]
    TooFewSamples { star: usize, n: usize },
    /// A star's samples have the wrong number of columns.
    #[error("star {star}: samples have {found} columns, expected 2 (alpha_imf, log10_n_ia)")]
    WrongShape { star: usize, found: usize },
    /// A star's samples contain NaN or infinite values.
    #[error("star {star}: posterior samples contain non-finite values")]
    NotFinite { star: usize },
    /// A star's sample covariance is singular (e.g. all samples identical).
    #[error("star {star}: the sample covariance of (alpha_imf, log10_n_ia) is singular (determinant {det:e}); its samples carry no usable spread")]
    SingularStar { star: usize, det: f64 },
    /// Importance weights that do not match the samples or are not usable.
    #[error("star {star}: {n} weights for {rows} samples; weights must be finite, non-negative and not all zero")]
    BadWeights { star: usize, n: usize, rows: usize },
    /// The prior covariance is not positive definite.
    #[error("the prior covariance of (alpha_imf, log10_n_ia) is not positive definite")]
    BadPrior,
    /// The combined precision is not positive definite, so the combined density is improper.
    #[error(
        "{method}: the combined precision of {n_stars} stars is not positive definite \
         (eigenvalues {:.4e}, {:.4e}): the stars' Gaussian posteriors together carry less \
         information than the {} prior copies divided out. This happens when single-star \
         posteriors are about as wide as the prior (uninformative stars, or a posterior \
         estimator that is too wide). Use method \"paper\" (spec C.1: adds the prior instead) \
         or \"inverse_variance\" (spec C.2: no prior term) for a finite answer.",
        eigenvalues[0], eigenvalues[1], n_stars.saturating_sub(1)
    )]
    NotPositiveDefinite {
        method: CombineMethod,
        n_stars: usize,
        eigenvalues: [f64; 2],
    },
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
    /// The name used in scripts and files.
    pub fn name(self) -> &'static str {
        match self {
            CombineMethod::DividePrior => "divide_prior",
            CombineMethod::Paper => "paper",
            CombineMethod::InverseVariance => "inverse_variance",
        }
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

/// A 2-D Gaussian: mean and covariance of (α_IMF, log10 N_Ia).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Gaussian2 {
    /// Mean (dex for log10 N_Ia; α_IMF is a slope).
    pub mean: [f64; 2],
    /// Covariance matrix.
    pub cov: Mat2,
}

impl Gaussian2 {
    /// The paper's prior on (α_IMF, log10 N_Ia): N(−2.3, 0.3²) × N(−2.89, 0.3²).
    pub fn paper_prior() -> Self {
        Gaussian2::independent([-2.3, -2.89], [0.3, 0.3])
    }

    /// Independent components with standard deviations `sd`.
    pub fn independent(mean: [f64; 2], sd: [f64; 2]) -> Self {
        Gaussian2 {
            mean,
            cov: [[sd[0] * sd[0], 0.0], [0.0, sd[1] * sd[1]]],
        }
    }

    /// Marginal standard deviations.
    pub fn sd(&self) -> [f64; 2] {
        [self.cov[0][0].sqrt(), self.cov[1][1].sqrt()]
    }
}

/// The Gaussian summary of one star's posterior samples.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StarFit {
    /// Sample mean.
    pub mean: [f64; 2],
    /// Sample covariance (N − 1 normalisation).
    pub cov: Mat2,
    /// Per-parameter standard deviation with N normalisation (used by spec C.2).
    pub sd_n: [f64; 2],
    /// Number of samples.
    pub n_samples: usize,
}

/// Fits a Gaussian to one star's samples, shape `(n_samples, 2)` with columns
/// (α_IMF, log10 N_Ia). `star` only labels errors.
pub fn fit_star(star: usize, samples: ArrayView2<f64>) -> Result<StarFit, CombineError> {
    fit_moments(star, samples, None)
}

/// Like [`fit_star`] for weighted samples (e.g. importance weights, see
/// [`super::importance`]): `weights` `(n_samples)`, non-negative, normalised here. The
/// covariance uses the reliability-weight correction 1/(1 − Σw²), which is the N − 1
/// normalisation for equal weights; `sd_n` is the uncorrected weighted standard deviation and
/// `n_samples` the effective sample size (Σw)²/Σw² rounded down.
pub fn fit_star_weighted(
    star: usize,
    samples: ArrayView2<f64>,
    weights: &[f64],
) -> Result<StarFit, CombineError> {
    let sum: f64 = weights.iter().sum();
    if weights.len() != samples.nrows()
        || weights.iter().any(|w| !(w.is_finite() && *w >= 0.0))
        || !(sum > 0.0 && sum.is_finite())
    {
        return Err(CombineError::BadWeights {
            star,
            n: weights.len(),
            rows: samples.nrows(),
        });
    }
    let w: Vec<f64> = weights.iter().map(|v| v / sum).collect();
    fit_moments(star, samples, Some(&w))
}

/// Mean and covariance of `samples` `(n, 2)`, equally weighted (`None`) or with normalised
/// weights.
fn fit_moments(
    star: usize,
    samples: ArrayView2<f64>,
    weights: Option<&[f64]>,
) -> Result<StarFit, CombineError> {
    if samples.ncols() != 2 {
        return Err(CombineError::WrongShape {
            star,
            found: samples.ncols(),
        });
    }
    let n = samples.nrows();
    if n < 3 {
        return Err(CombineError::TooFewSamples { star, n });
    }
    if samples.iter().any(|v| !v.is_finite()) {
        return Err(CombineError::NotFinite { star });
    }
    let nf = n as f64;
    // weight of row k relative to the plain sum: 1 for equal weights, N·w_k otherwise
    let rel = |k: usize| weights.map_or(1.0, |w| w[k] * nf);
    let mut mean = [0.0; 2];
    for (k, row) in samples.rows().into_iter().enumerate() {
        mean[0] += rel(k) * row[0];
        mean[1] += rel(k) * row[1];
    }
    mean[0] /= nf;
    mean[1] /= nf;
    let (mut sxx, mut sxy, mut syy) = (0.0, 0.0, 0.0);
    for (k, row) in samples.rows().into_iter().enumerate() {
        let dx = row[0] - mean[0];
        let dy = row[1] - mean[1];
        sxx += rel(k) * dx * dx;
        sxy += rel(k) * dx * dy;
        syy += rel(k) * dy * dy;
    }
    // N − 1 for equal weights; N·(1 − Σw²) in general (Σ rel = N)
    let (d, n_eff) = match weights {
        None => (nf - 1.0, n),
        Some(w) => {
            let sq: f64 = w.iter().map(|v| v * v).sum();
            (nf * (1.0 - sq), (1.0 / sq).floor() as usize)
        }
    };
    let cov = [[sxx / d, sxy / d], [sxy / d, syy / d]];
    let det = det2(&cov);
    // negated comparisons: NaN counts as singular too
    if det.is_nan() || det <= 1e-300 || cov[0][0].is_nan() || cov[0][0] <= 0.0 || d <= 0.0 {
        return Err(CombineError::SingularStar { star, det });
    }
    Ok(StarFit {
        mean,
        cov,
        sd_n: [(sxx / nf).sqrt(), (syy / nf).sqrt()],
        n_samples: n_eff,
    })
}

/// The combined posterior of (α_IMF, log10 N_Ia).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Combined {
    /// The method used.
    pub method: CombineMethod,
    /// Number of stars combined.
    pub n_stars: usize,
    /// Combined mean.
    pub mean: [f64; 2],
    /// Combined covariance (diagonal for [`CombineMethod::InverseVariance`]).
    pub cov: Mat2,
    /// Marginal standard deviations sqrt(diag cov).
    pub sd: [f64; 2],
}

/// Running sums from which the combination of the first n stars follows in O(1).
#[derive(Debug, Clone, Copy, Default)]
struct Sums {
    /// Σ Λ_i
    prec: Mat2,
    /// Σ Λ_i μ_i
    h: [f64; 2],
    /// Σ 1/s_i² and Σ m_i/s_i² per parameter (spec C.2)
    w: [f64; 2],
    wm: [f64; 2],
}

impl Sums {
    fn add(&mut self, f: &StarFit, star: usize) -> Result<(), CombineError> {
        let p = inv2(&f.cov).ok_or(CombineError::SingularStar {
            star,
            det: det2(&f.cov),
        })?;
        let pm = mul2(&p, &f.mean);
        #[allow(clippy::needless_range_loop)] // 2 × 2 matrix arithmetic reads best indexed
        for a in 0..2 {
            for b in 0..2 {
                self.prec[a][b] += p[a][b];
            }
            self.h[a] += pm[a];
            let w = 1.0 / (f.sd_n[a] * f.sd_n[a]);
            self.w[a] += w;
            self.wm[a] += w * f.mean[a];
        }
        Ok(())
    }

    fn finish(
        &self,
        n: usize,
        prior: &Gaussian2,
        method: CombineMethod,
    ) -> Result<Combined, CombineError> {
        if method == CombineMethod::InverseVariance {
            let mean = [self.wm[0] / self.w[0], self.wm[1] / self.w[1]];
            let var = [1.0 / self.w[0], 1.0 / self.w[1]];
            return Ok(Combined {
                method,
                n_stars: n,
                mean,
                cov: [[var[0], 0.0], [0.0, var[1]]],
                sd: [var[0].sqrt(), var[1].sqrt()],
            });
        }
        let p0 = inv2(&prior.cov).ok_or(CombineError::BadPrior)?;
        let h0 = mul2(&p0, &prior.mean);
        let sign = if method == CombineMethod::Paper {
            1.0
        } else {
            -1.0
        };
        let k = sign * (n as f64 - 1.0);
        let mut prec = self.prec;
        let mut h = self.h;
        for a in 0..2 {
            for b in 0..2 {
                prec[a][b] += k * p0[a][b];
            }
            h[a] += k * h0[a];
        }
        let eig = eig2(&prec);
        if !(eig[0] > 0.0 && eig[1] > 0.0) {
            return Err(CombineError::NotPositiveDefinite {
                method,
                n_stars: n,
                eigenvalues: eig,
            });
        }
        let cov = inv2(&prec).ok_or(CombineError::NotPositiveDefinite {
            method,
            n_stars: n,
            eigenvalues: eig,
        })?;
        let mean = mul2(&cov, &h);
        Ok(Combined {
            method,
            n_stars: n,
            mean,
            cov,
            sd: [cov[0][0].sqrt(), cov[1][1].sqrt()],
        })
    }
}

/// Combines the Gaussian fits of all stars with `method`; `prior` is the prior on
/// (α_IMF, log10 N_Ia) that every single-star posterior contains (unused by
/// [`CombineMethod::InverseVariance`]).
pub fn combine(
    stars: &[StarFit],
    prior: &Gaussian2,
    method: CombineMethod,
) -> Result<Combined, CombineError> {
    if stars.is_empty() {
        return Err(CombineError::NoStars);
    }
    check_prior(prior)?;
    let mut sums = Sums::default();
    for (i, f) in stars.iter().enumerate() {
        sums.add(f, i)?;
    }
    sums.finish(stars.len(), prior, method)
}

/// The combination of the first n stars for n = 1 … N (paper Fig. 5), from prefix sums in
/// O(N). Entry n − 1 is the combination of stars 0 … n − 1, or the reason it does not exist
/// (e.g. a precision that is not positive definite for small n under
/// [`CombineMethod::DividePrior`]).
pub fn combine_running(
    stars: &[StarFit],
    prior: &Gaussian2,
    method: CombineMethod,
) -> Result<Vec<Result<Combined, CombineError>>, CombineError> {
    if stars.is_empty() {
        return Err(CombineError::NoStars);
    }
    check_prior(prior)?;
    let mut sums = Sums::default();
    let mut out = Vec::with_capacity(stars.len());
    for (i, f) in stars.iter().enumerate() {
        sums.add(f, i)?;
        out.push(sums.finish(i + 1, prior, method));
    }
    Ok(out)
}

fn check_prior(prior: &Gaussian2) -> Result<(), CombineError> {
    let e = eig2(&prior.cov);
    if e[0] > 0.0 && e[1] > 0.0 && prior.mean.iter().all(|m| m.is_finite()) {
        Ok(())
    } else {
        Err(CombineError::BadPrior)
    }
}

fn det2(m: &Mat2) -> f64 {
    m[0][0] * m[1][1] - m[0][1] * m[1][0]
}

/// Inverse of a 2×2 matrix, `None` if singular or not finite.
pub fn inv2(m: &Mat2) -> Option<Mat2> {
    let d = det2(m);
    if d == 0.0 || !d.is_finite() {
        return None;
    }
    Some([[m[1][1] / d, -m[0][1] / d], [-m[1][0] / d, m[0][0] / d]])
}

fn mul2(m: &Mat2, v: &[f64; 2]) -> [f64; 2] {
    [
        m[0][0] * v[0] + m[0][1] * v[1],
        m[1][0] * v[0] + m[1][1] * v[1],
    ]
}

/// Eigenvalues of a symmetric 2×2 matrix, ascending.
pub fn eig2(m: &Mat2) -> [f64; 2] {
    let a = m[0][0];
    let c = m[1][1];
    let b = 0.5 * (m[0][1] + m[1][0]);
    let mid = 0.5 * (a + c);
    let r = (0.25 * (a - c) * (a - c) + b * b).sqrt();
    [mid - r, mid + r]
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    #[test]
    fn eigenvalues_of_a_known_matrix() {
        // [[2, 1], [1, 2]] has eigenvalues 1 and 3.
        let e = eig2(&[[2.0, 1.0], [1.0, 2.0]]);
        assert!((e[0] - 1.0).abs() < 1e-14 && (e[1] - 3.0).abs() < 1e-14);
    }

    #[test]
    fn fit_star_closed_form() {
        let s =
            Array2::from_shape_vec((4, 2), vec![0.0, 1.0, 2.0, 1.0, 0.0, 3.0, 2.0, 3.0]).unwrap();
        let f = fit_star(0, s.view()).unwrap();
        assert_eq!(f.mean, [1.0, 2.0]);
        // deviations ±1 in each coordinate, uncorrelated: var = 4/3 (N−1), 1 (N).
        assert!((f.cov[0][0] - 4.0 / 3.0).abs() < 1e-15);
        assert!(f.cov[0][1].abs() < 1e-15);
        assert!((f.sd_n[1] - 1.0).abs() < 1e-15);
    }
}
