//! Finite Gaussian mixtures fitted to (importance-weighted) draws by weighted EM.
//!
//! p(x) = Σ_k π_k N(x | μ_k, Σ_k). Every draw counts with its normalised weight w_i: the
//! EM maximises Σ_i w_i ln p(x_i), so equal weights give the usual maximum-likelihood EM.
//!
//! Fitting:
//! - the draws are whitened by their weighted mean and covariance (z = L⁻¹(x − m), Σ = L Lᵀ)
//!   and EM runs on z, which is exactly equivalent (EM is affine invariant) and makes the
//!   k-means++ initialisation scale free; the covariance floor c·I, c = reg · tr(Σ)/d, is
//!   added to every component's covariance (in z, as c·Σ⁻¹), never to the data;
//! - initialisation: weighted k-means++ (first centre ∝ w, the next ∝ w · D²) drawn from the
//!   seed, then one M-step from the assignment of every draw to its nearest centre;
//! - a component collapses when it holds fewer than d + 1 effective draws (n_eff · π_k) or
//!   its own scatter is below the covariance floor in some direction (it sits on repeated
//!   draws): it is re-seeded at the worst-fitted draw (at most K re-seeds per fit), then
//!   dropped, so a fit may have fewer components than asked for;
//! - EM stops when the weighted mean log-likelihood changes by ≤ tol · max(|ℓ|, 1), or
//!   after max_iter M-steps;
//! - K: the given number, or the K in 1..=max_components of smallest
//!   BIC = −2 n_eff ℓ̄ + p ln n_eff (ℓ̄ = Σ w_i ln p(x_i), n_eff the Kish effective sample
//!   size, n for equal weights; p = (K − 1) + K d + K d(d+1)/2); either way at most
//!   max(1, ⌊n_eff/5⌋) components (five effective draws per component). BIC compares
//!   fits run to the screening tolerance max(tol, 10⁻⁵), and only the chosen K continues
//!   to `tol`: over-fitted K converge slowly (they used all 200 iterations). At 10⁻⁵ their
//!   ℓ̄ was short by up to 2·10⁻³ (2000 draws: 9 in BIC, against 46 for each extra
//!   component), and a short ℓ̄ only favours fewer components. This cut a fit on 1000
//!   draws from 100 ms to 11 ms;
//! - components are returned by decreasing weight.
//!
//! Why not `linfa-clustering`: its 0.8.1 (the newest) does use ndarray 0.16, but its
//! `GaussianMixtureModel` reads only `dataset.records()` and ignores sample weights, so
//! importance-weighted draws needed this EM anyway; using it for equal weights as well
//! would have added 16 crates to Cargo.lock (498 → 514: linfa, linfa-nn, linfa-linalg,
//! ndarray-stats, sprs pinned at =0.11.2, kdtree, a second thiserror (1.x), …) for what the
//! same ~100 lines do with equal weights.
//!
//! Units: means in the units of the selected columns, covariances in their squares, log
//! densities natural-log per unit d-volume.

use super::kde::LN_2PI;
use super::linalg::cholesky;
use super::{check_points, forward_solve, non_finite, Draws, Sample, StatsError};
use crate::error::OptionError;
use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};

/// The tolerance of the EM fits that BIC compares (the chosen one then runs to `tol`).
const SCREEN_TOL: f64 = 1e-5;

/// Options of [`GaussianMixture::fit`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MixtureOptions {
    /// The number of components (≥ 1); `None` chooses it by BIC in 1..=`max_components`.
    pub components: Option<usize>,
    /// The largest number of components BIC considers (≥ 1).
    pub max_components: usize,
    /// EM iterations at most per fit (≥ 1).
    pub max_iter: usize,
    /// Relative change of the mean log-likelihood at convergence (finite, ≥ 0).
    pub tol: f64,
    /// Covariance floor: reg × tr(Σ)/d is added to every component's diagonal (finite,
    /// ≥ 0; Σ the covariance of the draws).
    pub reg: f64,
    /// Seed of the k-means++ initialisation (each K uses `rng::derive(seed, K)`).
    pub seed: u64,
}

impl Default for MixtureOptions {
    fn default() -> Self {
        MixtureOptions {
            components: None,
            max_components: 4,
            max_iter: 200,
            tol: 1e-8,
            reg: 1e-6,
            seed: crate::rng::DEFAULT_SEED,
        }
    }
}

impl MixtureOptions {
    fn check(&self) -> Result<(), StatsError> {
        let bad = |name: &str, value: String, reason: &str| -> Result<(), StatsError> {
            Err(OptionError::new(name, value, reason).into())
        };
        match self.components {
            Some(0) => bad("components", "0".into(), "must be at least 1"),
            None if self.max_components == 0 => bad("max_components", "0".into(), "must be ≥ 1"),
            _ if self.max_iter == 0 => bad("max_iter", "0".into(), "must be at least 1"),
            _ if !(self.tol.is_finite() && self.tol >= 0.0) => {
                bad("tol", self.tol.to_string(), "must be finite and ≥ 0")
            }
            _ if !(self.reg.is_finite() && self.reg >= 0.0) => {
                bad("reg", self.reg.to_string(), "must be finite and ≥ 0")
            }
            _ => Ok(()),
        }
    }
}

/// A Gaussian mixture of d coordinates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GaussianMixture {
    /// Component weights `(K)`, ≥ 0, summing to 1 (re-normalised when evaluating).
    pub weights: Vec<f64>,
    /// Component means `(K, d)`, in the units of the columns.
    pub means: Vec<Vec<f64>>,
    /// Component covariances `(K, d, d)`, symmetric positive definite.
    pub covs: Vec<Vec<Vec<f64>>>,
}

impl GaussianMixture {
    /// The mixture fitted to the columns `cols` (in that order) of `draws` (see the module
    /// documentation). Deterministic for a given seed.
    ///
    /// Errors: no columns or one out of range, fewer than d + 1 draws of positive weight,
    /// a singular covariance of the draws (e.g. all identical), options out of range.
    pub fn fit(draws: &Draws, cols: &[usize], opts: &MixtureOptions) -> Result<Self, StatsError> {
        opts.check()?;
        let s = Sample::new(draws, cols, "a Gaussian mixture")?;
        let data = Whitened::new(&s, opts.reg);
        let k_max = ((s.n_eff / 5.0).floor() as usize).max(1);
        let ks = match opts.components {
            Some(k) => k.min(k_max)..=k.min(k_max),
            None => 1..=opts.max_components.min(k_max),
        };
        // one K: straight to `tol`; several: BIC on fits to the screening tolerance, then
        // the chosen one continued to `tol`
        let screen = if ks.start() == ks.end() {
            opts.tol
        } else {
            opts.tol.max(SCREEN_TOL)
        };
        let mut best: Option<(f64, Fit)> = None;
        for k in ks {
            let start = data.start(k, crate::rng::derive(opts.seed, k as u64));
            let fit = data.iterate(start, screen, opts.max_iter);
            let bic = data.bic(&fit);
            if best.as_ref().is_none_or(|(b, _)| bic < *b) {
                best = Some((bic, fit));
            }
        }
        let (_, mut fit) = best.ok_or(StatsError::Empty("a mixture without components"))?;
        if screen > opts.tol {
            fit = data.iterate(fit, opts.tol, opts.max_iter);
        }
        let comps = fit.comps;
        Ok(data.to_mixture(comps))
    }

    /// The number of components K.
    pub fn n_components(&self) -> usize {
        self.weights.len()
    }

    /// The dimension d (0 without components).
    pub fn dim(&self) -> usize {
        self.means.first().map_or(0, Vec::len)
    }

    /// ln p at every row of `points` `(m, d)`: finite for finite points, −∞ for a point
    /// with an infinite coordinate, NaN for one with a NaN. An error when the points are
    /// not d-dimensional or the components are inconsistent (shapes, a covariance that is
    /// not positive definite, weights that are negative or all zero).
    pub fn log_density(&self, points: ArrayView2<f64>) -> Result<Vec<f64>, StatsError> {
        let d = self.dim();
        let factors = self.factors()?;
        check_points(points, d)?;
        let mut y = vec![0.0; d];
        let mut t = vec![0.0; factors.len()];
        Ok(points
            .rows()
            .into_iter()
            .map(|x| {
                if let Some(bad) = non_finite(x.iter()) {
                    return bad;
                }
                for (tc, f) in t.iter_mut().zip(&factors) {
                    y.iter_mut()
                        .zip(x)
                        .zip(f.mean)
                        .for_each(|((a, x), m)| *a = x - m);
                    forward_solve(&f.chol, &mut y);
                    *tc = f.norm - 0.5 * y.iter().map(|v| v * v).sum::<f64>();
                }
                log_sum_exp(&t)
            })
            .collect())
    }

    /// BIC = −2 n_eff Σ w_i ln p(x_i) + p ln n_eff of this mixture for the columns `cols` of
    /// `draws` (the criterion [`GaussianMixture::fit`] minimises).
    pub fn bic(&self, draws: &Draws, cols: &[usize]) -> Result<f64, StatsError> {
        let s = Sample::new(draws, cols, "a mixture's BIC")?;
        let lp = self.log_density(s.values.view())?;
        let ll: f64 = lp.iter().zip(&s.weights).map(|(l, w)| l * w).sum();
        Ok(-2.0 * s.n_eff * ll + n_params(self.n_components(), self.dim()) * s.n_eff.ln())
    }

    /// The components of positive weight, factorised.
    fn factors(&self) -> Result<Vec<Factor<'_>>, StatsError> {
        let (k, d) = (self.n_components(), self.dim());
        let bad = |index, reason| Err(StatsError::BadComponent { index, reason });
        if k == 0 || d == 0 || self.means.len() != k || self.covs.len() != k {
            return bad(0, "K ≥ 1 weights, means and covariances needed, of d ≥ 1");
        }
        let total: f64 = self.weights.iter().sum();
        if self.weights.iter().any(|w| w.is_nan() || *w < 0.0) || !total.is_normal() {
            return bad(0, "weights must be finite, ≥ 0 and not all zero");
        }
        let mut out = Vec::with_capacity(k);
        for (c, ((w, mean), cov)) in self
            .weights
            .iter()
            .zip(&self.means)
            .zip(&self.covs)
            .enumerate()
        {
            let shape = mean.len() == d && cov.len() == d && cov.iter().all(|r| r.len() == d);
            let finite = shape && mean.iter().all(|v| v.is_finite());
            let a =
                Array2::from_shape_fn((d, d), |(i, j)| if shape { cov[i][j] } else { f64::NAN });
            match cholesky(a.view()) {
                Some(l) if finite => {
                    let norm = (w / total).ln()
                        - 0.5 * d as f64 * LN_2PI
                        - l.diag().iter().map(|v| v.ln()).sum::<f64>();
                    if *w > 0.0 {
                        out.push(Factor {
                            mean,
                            chol: l.iter().copied().collect(),
                            norm,
                        });
                    }
                }
                _ => {
                    return bad(
                        c,
                        "a finite mean (d) and a positive definite covariance (d, d) needed",
                    )
                }
            }
        }
        Ok(out)
    }
}

/// A component ready for evaluation.
struct Factor<'a> {
    /// `(d)`.
    mean: &'a [f64],
    /// The lower Cholesky factor of the covariance, `(d, d)` row-major.
    chol: Vec<f64>,
    /// ln π_k − (d/2) ln 2π − ln det L_k.
    norm: f64,
}

mod em;
use em::{log_sum_exp, n_params, Fit, Whitened};

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{array, s};
    use rand_distr::{Distribution, StandardNormal};

    /// `n` draws: the first fraction `f` from N(0, diag(1, 0.25)), the rest N((4, 3), 0.5 I).
    fn two_blobs(n: usize, f: f64, seed: u64) -> Array2<f64> {
        let mut r = crate::rng::rng(seed);
        Array2::from_shape_fn((n, 2), |(i, j)| {
            let z: f64 = StandardNormal.sample(&mut r);
            if (i as f64) < f * n as f64 {
                z * [1.0, 0.5][j]
            } else {
                [4.0, 3.0][j] + 0.5f64.sqrt() * z
            }
        })
    }

    fn options(set: fn(&mut MixtureOptions)) -> MixtureOptions {
        let mut o = MixtureOptions::default();
        set(&mut o);
        o
    }

    #[test]
    fn one_component_is_the_weighted_gaussian() {
        let v = two_blobs(400, 0.5, 1);
        let w: Vec<f64> = (0..400).map(|i| 0.5 + (i % 5) as f64).collect();
        let draws = Draws::weighted(v, w).unwrap();
        let o = options(|o| (o.components, o.reg) = (Some(1), 0.0));
        let g = GaussianMixture::fit(&draws, &[1, 0], &o).unwrap();
        assert_eq!(g.n_components(), 1);
        let sub = draws.select(&[1, 0]);
        // EM's covariance is the weighted second moment without the n − 1 correction
        let corr = 1.0 - draws.weights().unwrap().iter().map(|w| w * w).sum::<f64>();
        for i in 0..2 {
            assert!((g.means[0][i] - sub.mean()[i]).abs() < 1e-12);
            for j in 0..2 {
                let want = corr * sub.covariance()[[i, j]];
                assert!((g.covs[0][i][j] - want).abs() < 1e-12, "{g:?}");
            }
        }
    }

    #[test]
    fn repeated_draws_and_few_draws_do_not_break_the_fit() {
        // 300 draws, a third of them one repeated value far out: no spike component
        let mut v = two_blobs(300, 1.0, 3);
        v.slice_mut(s![..100, ..]).assign(&array![[6.0, -3.0]]);
        let draws = Draws::new(v).unwrap();
        let g = GaussianMixture::fit(&draws, &[0, 1], &options(|o| o.components = Some(3)));
        let g = g.unwrap();
        let floor = 1e-6 * draws.covariance().diag().sum() / 2.0;
        for c in &g.covs {
            let det = c[0][0] * c[1][1] - c[0][1] * c[1][0];
            assert!(det > 1e3 * floor * floor, "{g:?}");
        }
        // 12 draws hold at most two components (five effective draws each)
        let few = Draws::new(two_blobs(12, 0.5, 4)).unwrap();
        let g = GaussianMixture::fit(&few, &[0, 1], &options(|o| o.components = Some(4)));
        assert!(g.unwrap().n_components() <= 2);
    }

    #[test]
    fn errors() {
        let draws = Draws::new(two_blobs(50, 0.5, 5)).unwrap();
        for o in [
            options(|o| o.components = Some(0)),
            options(|o| o.max_iter = 0),
            options(|o| o.reg = -1.0),
            options(|o| o.tol = f64::NAN),
        ] {
            let e = GaussianMixture::fit(&draws, &[0], &o);
            assert!(matches!(e, Err(StatsError::Option(_))), "{o:?}");
        }
        let g = GaussianMixture::fit(&draws, &[0, 1], &MixtureOptions::default()).unwrap();
        assert!(matches!(
            g.log_density(array![[1.0, 2.0, 3.0]].view()),
            Err(StatsError::Shape(_))
        ));
        let mut broken = g.clone();
        broken.covs[0][0][0] = -1.0;
        assert!(matches!(
            broken.log_density(array![[1.0, 2.0]].view()),
            Err(StatsError::BadComponent { index: 0, .. })
        ));
        let p = array![[f64::NAN, 0.0], [0.0, f64::NEG_INFINITY], [1e5, 1e5]];
        let l = g.log_density(p.view()).unwrap();
        assert!(
            l[0].is_nan() && l[1] == f64::NEG_INFINITY && l[2].is_finite(),
            "{l:?}"
        );
    }
}
