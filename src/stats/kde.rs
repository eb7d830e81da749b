//! Weighted Gaussian kernel density estimate of (importance-weighted) draws.
//!
//! p̂(x) = Σ_k w_k N(x | x_k, H), a sum over the kernel centres x_k (the draws of the
//! selected columns) with their normalised weights w_k and one bandwidth matrix
//! H = (s · n_eff^{−1/(d+4)})² Σ: Scott's rule with s = [`KdeOptions::bw_scale`], n_eff the
//! Kish effective sample size (Σw)²/Σw² of the centres and Σ the weighted covariance of the
//! draws ([`Draws::covariance`]).
//!
//! Units: the centres, H and the points are in the units of the selected columns; the log
//! density is natural-log per unit d-volume of those columns.
//!
//! Evaluation. With H = L Lᵀ (Cholesky) the centres are whitened once at fitting
//! (c_k = L⁻¹ x_k / √2), so a point x costs one triangular solve (u = L⁻¹ x / √2) and every
//! (point, centre) pair d subtractions and multiply-adds, q_k = ln w_k − |u − c_k|², and one
//! exponential. The log-sum-exp factors out the largest term, so the log density is finite
//! in the far tails (there it is the log of the nearest kernel). Terms more than
//! 40 + ln n below the largest are skipped: together they are below e⁻⁴⁰ ≈ 4·10⁻¹⁸ of the
//! sum, under f64 rounding.
//!
//! Draws of weight 0 are never kernel centres (they contribute nothing).

use super::linalg::{cholesky, symmetric_eigenvalues};
use super::{Draws, StatsError};
use crate::error::{OptionError, ShapeError};
use ndarray::{Array2, ArrayView2, Axis};
use rand::Rng;
use serde::{Deserialize, Serialize};

/// ln 2π.
pub(super) const LN_2PI: f64 = 1.837_877_066_409_345_5;

/// Options of [`Kde::fit`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct KdeOptions {
    /// Multiplies Scott's bandwidth factor n_eff^{−1/(d+4)} (1 = Scott's rule, < 1
    /// narrower kernels); finite and > 0.
    pub bw_scale: f64,
    /// At most this many kernel centres (≥ 1). When more draws have a positive weight, the
    /// centres are `max_points` systematic resamples of them (one uniform offset drawn
    /// from `seed`, the scheme of [`Draws::resample`]); repeated picks of a draw become one
    /// centre with weight count/`max_points`, so there may be fewer. The bandwidth then
    /// uses the effective sample size of the resampled centres (≤ `max_points`).
    pub max_points: Option<usize>,
    /// Seed of the resampling under `max_points`.
    pub seed: u64,
}

impl Default for KdeOptions {
    fn default() -> Self {
        KdeOptions {
            bw_scale: 1.0,
            max_points: None,
            seed: crate::rng::DEFAULT_SEED,
        }
    }
}

impl KdeOptions {
    fn check(&self) -> Result<(), StatsError> {
        if !(self.bw_scale.is_finite() && self.bw_scale > 0.0) {
            return Err(
                OptionError::new("bw_scale", self.bw_scale, "must be finite and > 0").into(),
            );
        }
        if self.max_points == Some(0) {
            return Err(OptionError::new("max_points", 0, "must be at least 1").into());
        }
        Ok(())
    }
}

/// A fitted weighted Gaussian KDE of d coordinates (see the module documentation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "KdeParts")]
pub struct Kde {
    /// Dimension d.
    dim: usize,
    /// The whitened centres c_k = L⁻¹ x_k / √2, `(n, d)` column-major: coordinate j of
    /// centre k at `j·n + k`.
    centres: Vec<f64>,
    /// ln w_k of every centre `(n)` (normalised weights, all > 0).
    log_weights: Vec<f64>,
    /// The lower Cholesky factor L of the bandwidth matrix H, `(d, d)` row-major.
    chol: Vec<f64>,
    /// The Kish effective sample size of the centres, which set the bandwidth.
    n_eff: f64,
}

/// [`Kde`] as stored, checked before use.
#[derive(Deserialize)]
struct KdeParts {
    dim: usize,
    centres: Vec<f64>,
    log_weights: Vec<f64>,
    chol: Vec<f64>,
    n_eff: f64,
}

impl TryFrom<KdeParts> for Kde {
    type Error = String;

    fn try_from(p: KdeParts) -> Result<Self, String> {
        let n = p.log_weights.len();
        let d = p.dim;
        if d == 0 || n == 0 || p.centres.len() != n * d || p.chol.len() != d * d {
            return Err(format!(
                "inconsistent KDE: dimension {d}, {n} weights, {} centre coordinates, {} \
                 bandwidth entries",
                p.centres.len(),
                p.chol.len()
            ));
        }
        let finite = |v: &[f64]| v.iter().all(|x| x.is_finite());
        let diag_ok = (0..d).all(|i| p.chol[i * d + i] > 0.0);
        if !(finite(&p.centres) && finite(&p.log_weights) && finite(&p.chol) && diag_ok) {
            return Err("KDE with non-finite centres, weights or bandwidth".into());
        }
        Ok(Kde {
            dim: d,
            centres: p.centres,
            log_weights: p.log_weights,
            chol: p.chol,
            n_eff: p.n_eff,
        })
    }
}

impl Kde {
    /// The KDE of the columns `cols` (in that order, d = `cols.len()`) of `draws`.
    ///
    /// Errors: no columns or a column out of range, fewer than d + 1 draws of positive
    /// weight, a singular covariance (e.g. all draws identical), options out of range.
    pub fn fit(draws: &Draws, cols: &[usize], opts: &KdeOptions) -> Result<Kde, StatsError> {
        opts.check()?;
        let s = Sample::new(draws, cols, "a kernel density estimate")?;
        let (values, weights) = match opts.max_points {
            Some(m) if s.weights.len() > m => s.resampled(m, opts.seed),
            _ => (s.values, s.weights),
        };
        let d = cols.len();
        let n = weights.len();
        let n_eff = 1.0 / weights.iter().map(|w| w * w).sum::<f64>();
        let factor = opts.bw_scale * n_eff.powf(-1.0 / (d as f64 + 4.0));
        let chol: Vec<f64> = s.chol.iter().map(|v| v * factor).collect();
        let mut centres = vec![0.0; n * d];
        let mut u = vec![0.0; d];
        for (k, row) in values.rows().into_iter().enumerate() {
            u.iter_mut().zip(row).for_each(|(a, b)| *a = *b);
            forward_solve(&chol, &mut u);
            for (j, uj) in u.iter().enumerate() {
                centres[j * n + k] = uj * std::f64::consts::FRAC_1_SQRT_2;
            }
        }
        Ok(Kde {
            dim: d,
            centres,
            log_weights: weights.iter().map(|w| w.ln()).collect(),
            chol,
            n_eff,
        })
    }

    /// ln p̂ at every row of `points` `(m, d)`: finite for every finite point (down to
    /// squared whitened distances that overflow f64, beyond ~10¹⁵⁰ bandwidths), −∞ for a
    /// point with an infinite coordinate, NaN for one with a NaN. An error when the
    /// points are not d-dimensional.
    pub fn log_density(&self, points: ArrayView2<f64>) -> Result<Vec<f64>, StatsError> {
        check_points(points, self.dim)?;
        let d = self.dim;
        let log_norm =
            -0.5 * d as f64 * LN_2PI - (0..d).map(|i| self.chol[i * d + i].ln()).sum::<f64>();
        let cutoff = 40.0 + (self.n_centres() as f64).ln();
        let mut q = vec![0.0; self.n_centres()];
        let mut u = vec![0.0; d];
        Ok(points
            .rows()
            .into_iter()
            .map(|x| {
                if let Some(bad) = non_finite(x.iter()) {
                    return bad;
                }
                u.iter_mut().zip(x).for_each(|(a, b)| *a = *b);
                forward_solve(&self.chol, &mut u);
                u.iter_mut()
                    .for_each(|a| *a *= std::f64::consts::FRAC_1_SQRT_2);
                self.log_sum(&u, &mut q, cutoff) + log_norm
            })
            .collect())
    }

    /// ln Σ_k w_k exp(−|u − c_k|²) for the scaled whitened point `u`; `q` `(n)` is scratch.
    fn log_sum(&self, u: &[f64], q: &mut [f64], cutoff: f64) -> f64 {
        let n = self.n_centres();
        if let [ux, uy] = *u {
            // d = 2: one fused pass
            let (cx, cy) = self.centres.split_at(n);
            for (((qk, lw), a), b) in q.iter_mut().zip(&self.log_weights).zip(cx).zip(cy) {
                let (dx, dy) = (ux - a, uy - b);
                *qk = lw - (dx * dx + dy * dy);
            }
        } else {
            q.copy_from_slice(&self.log_weights);
            for (c, uj) in self.centres.chunks_exact(n).zip(u) {
                for (qk, ck) in q.iter_mut().zip(c) {
                    let t = uj - ck;
                    *qk -= t * t;
                }
            }
        }
        let max = q.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if !max.is_finite() {
            return max;
        }
        let floor = max - cutoff;
        let sum: f64 = q
            .iter()
            .map(|&v| if v > floor { (v - max).exp() } else { 0.0 })
            .sum();
        max + sum.ln()
    }

    /// The bandwidth matrix H `(d, d)`, in the squared units of the columns.
    pub fn bandwidth(&self) -> Array2<f64> {
        let d = self.dim;
        Array2::from_shape_fn((d, d), |(i, j)| {
            (0..=i.min(j))
                .map(|p| self.chol[i * d + p] * self.chol[j * d + p])
                .sum()
        })
    }

    /// The number of kernel centres.
    pub fn n_centres(&self) -> usize {
        self.log_weights.len()
    }

    /// The dimension d.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// The effective sample size of the centres used in the bandwidth.
    pub fn n_eff(&self) -> f64 {
        self.n_eff
    }
}

/// The draws of positive weight of some columns, with the moments of all the draws.
pub(super) struct Sample {
    /// The values `(n, d)` of the draws of positive weight.
    pub values: Array2<f64>,
    /// Their weights `(n)`, normalised, all > 0.
    pub weights: Vec<f64>,
    /// The weighted mean `(d)`.
    pub mean: Vec<f64>,
    /// The weighted covariance `(d, d)` ([`Draws::covariance`]).
    pub cov: Array2<f64>,
    /// Its lower Cholesky factor, `(d, d)` row-major.
    pub chol: Vec<f64>,
    /// The Kish effective sample size.
    pub n_eff: f64,
}

impl Sample {
    /// The columns `cols` of `draws`: an error for no or out-of-range columns, fewer than
    /// d + 1 draws of positive weight or a singular covariance; `what` names the estimate.
    pub fn new(draws: &Draws, cols: &[usize], what: &'static str) -> Result<Sample, StatsError> {
        if cols.is_empty() {
            return Err(ShapeError::new("columns", "at least one column index", "none").into());
        }
        if let Some(&col) = cols.iter().find(|&&c| c >= draws.dim()) {
            return Err(StatsError::ColumnOutOfRange {
                col,
                dim: draws.dim(),
            });
        }
        let d = cols.len();
        let sub = draws.select(cols);
        let keep: Vec<usize> = (0..sub.n()).filter(|&k| sub.weight(k) > 0.0).collect();
        if keep.len() < d + 1 {
            return Err(StatsError::TooFew {
                what,
                n: keep.len(),
                needed: d + 1,
            });
        }
        let cov = sub.covariance();
        let chol = spd_cholesky(&cov)?;
        let total: f64 = keep.iter().map(|&k| sub.weight(k)).sum();
        Ok(Sample {
            values: sub.values().select(Axis(0), &keep),
            weights: keep.iter().map(|&k| sub.weight(k) / total).collect(),
            mean: sub.mean(),
            cov,
            chol,
            n_eff: sub.ess(),
        })
    }

    /// `m` systematic resamples (offset from `seed`), repeated picks merged: the distinct
    /// values and their weights count/m.
    fn resampled(&self, m: usize, seed: u64) -> (Array2<f64>, Vec<f64>) {
        let counts = systematic_counts(&self.weights, m, seed);
        let picked: Vec<usize> = (0..counts.len()).filter(|&k| counts[k] > 0).collect();
        let weights = picked
            .iter()
            .map(|&k| counts[k] as f64 / m as f64)
            .collect();
        (self.values.select(Axis(0), &picked), weights)
    }
}

/// How often each of `weights` (normalised) is picked by `m` systematic resamples with one
/// uniform offset from `seed` (the scheme of [`Draws::resample`]).
fn systematic_counts(weights: &[f64], m: usize, seed: u64) -> Vec<usize> {
    let n = weights.len();
    let mut counts = vec![0usize; n];
    if n == 0 {
        return counts;
    }
    let u0: f64 = crate::rng::rng(seed).gen::<f64>();
    let (mut k, mut cum) = (0usize, weights[0]);
    for i in 0..m {
        let u = (i as f64 + u0) / m as f64;
        while cum < u && k + 1 < n {
            k += 1;
            cum += weights[k];
        }
        counts[k] += 1;
    }
    counts
}

/// The lower Cholesky factor `(d, d)` row-major of a covariance, or [`StatsError::Singular`]
/// when it is not clearly positive definite (smallest eigenvalue ≤ 10⁻¹² × the largest
/// variance, the test of [`Draws::gaussian_fit`]).
pub(super) fn spd_cholesky(cov: &Array2<f64>) -> Result<Vec<f64>, StatsError> {
    let eig = symmetric_eigenvalues(cov.view());
    let scale = cov.diag().iter().fold(0.0f64, |a, v| a.max(*v));
    let clear = eig
        .first()
        .is_some_and(|e| *e > 1e-12 * scale && scale > 1e-300);
    match cholesky(cov.view()) {
        Some(l) if clear => Ok(l.iter().copied().collect()),
        _ => Err(StatsError::Singular {
            det: eig.iter().product(),
        }),
    }
}

/// Solves L y = b in place for the lower triangular `l` `(d, d)` row-major, d = `b.len()`.
pub(super) fn forward_solve(l: &[f64], b: &mut [f64]) {
    let d = b.len();
    for i in 0..d {
        let mut s = b[i];
        for p in 0..i {
            s -= l[i * d + p] * b[p];
        }
        b[i] = s / l[i * d + i];
    }
}

/// An error unless `points` has `dim` columns.
pub(super) fn check_points(points: ArrayView2<f64>, dim: usize) -> Result<(), StatsError> {
    if points.ncols() == dim {
        Ok(())
    } else {
        Err(ShapeError::new(
            "points",
            format!("(m, {dim})"),
            format!("({}, {})", points.nrows(), points.ncols()),
        )
        .into())
    }
}

/// The log density of a point with a non-finite coordinate: NaN for a NaN, −∞ for an
/// infinity; `None` for a finite point.
pub(super) fn non_finite<'a>(mut x: impl Iterator<Item = &'a f64>) -> Option<f64> {
    let mut out = None;
    for v in x.by_ref() {
        if v.is_nan() {
            return Some(f64::NAN);
        }
        if v.is_infinite() {
            out = Some(f64::NEG_INFINITY);
        }
    }
    out
}
