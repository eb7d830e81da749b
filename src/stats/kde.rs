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
//! exponential. The log-sum-exp shifts by a term of the sum, ln p̂ = s + ln Σ_k e^{q_k − s},
//! so the log density is finite in the far tails (there it is the log of the nearest
//! kernel): for d = 2 the shift s is the largest q_k over a fixed subset of ~32 centres,
//! which makes the sum ≥ 1 and needs a single pass (when some q_k − s could overflow, far
//! from every centre, it falls back to the exact maximum); otherwise s = max_k q_k.
//! The exponential is `exp_clamped` (≤ 2 ulp), written so the loop vectorises; it uses
//! only IEEE multiply, add and divide, so the bytes are the same on every x86-64 with or
//! without `target-cpu=native`.
//!
//! Draws of weight 0 are never kernel centres (they contribute nothing).

use super::{check_points, forward_solve, non_finite, Draws, Sample, StatsError};
use crate::error::OptionError;
use ndarray::{Array2, ArrayView2, Axis};
use rand::Rng;
use serde::{Deserialize, Serialize};

/// ln 2π.
pub(super) const LN_2PI: f64 = 1.837_877_066_409_345_5;

/// Independent accumulators of the vectorised sums (their order fixes the rounding).
const LANES: usize = 4;

/// e^t for t clamped to [−700, 700], within 2 ulp of the correctly rounded value (1.6 ulp
/// measured on a dense grid of [−60, 0]); branch-free, so loops over it vectorise.
///
/// t = k ln 2 + r with k = round(t / ln 2) (added to 1.5·2⁵² to round) and |r| ≤ ln2/2 by
/// a two-constant Cody–Waite reduction (k·LN2_HI exact); e^r = P(r)/P(−r), the [6/6] Padé
/// approximant (truncation error below 10⁻¹⁸ on |r| ≤ ln2/2), P(±r) = E(r²) ± r·O(r²);
/// 2^k is assembled in the exponent bits.
#[inline(always)]
fn exp_clamped(t: f64) -> f64 {
    const ROUND: f64 = 6_755_399_441_055_744.0;
    const LN2_HI: f64 = 6.931_471_803_691_238e-1;
    const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;
    // written as comparisons so that they compile to min/max instructions
    let t = if t > -700.0 { t } else { -700.0 };
    let t = if t < 700.0 { t } else { 700.0 };
    let kf = t * std::f64::consts::LOG2_E + ROUND;
    let k = kf - ROUND;
    let r = (t - k * LN2_HI) - k * LN2_LO;
    let r2 = r * r;
    let e = 1.0 + r2 * (5.0 / 44.0 + r2 * (1.0 / 792.0 + r2 * (1.0 / 665_280.0)));
    let o = r * (0.5 + r2 * (1.0 / 66.0 + r2 * (1.0 / 15_840.0)));
    // the low bits of kf hold k; (k + 1023) << 52 is 2^k for −1022 ≤ k ≤ 1023
    (e + o) / (e - o) * f64::from_bits(kf.to_bits().wrapping_add(1023) << 52)
}

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
            Some(m) if s.weights.len() > m => resampled(&s, m, opts.seed),
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
                self.log_sum(&u, &mut q) + log_norm
            })
            .collect())
    }

    /// ln Σ_k w_k exp(−|u − c_k|²) for the scaled whitened point `u`; `q` `(n)` is scratch.
    fn log_sum(&self, u: &[f64], q: &mut [f64]) -> f64 {
        let n = self.n_centres();
        if let [ux, uy] = *u {
            if let Some(v) = self.log_sum_2d(ux, uy) {
                return v;
            }
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
        let mut acc = [0.0; LANES];
        let mut chunks = q.chunks_exact(LANES);
        for c in chunks.by_ref() {
            for (a, v) in acc.iter_mut().zip(c) {
                *a += exp_clamped(v - max);
            }
        }
        let rest: f64 = chunks
            .remainder()
            .iter()
            .map(|v| exp_clamped(v - max))
            .sum();
        max + (acc.iter().sum::<f64>() + rest).ln()
    }

    /// [`Kde::log_sum`] for d = 2 in one pass, shifted by the largest term over every
    /// ⌈n/32⌉-th centre (so the sum is ≥ 1); `None` when a term could overflow.
    fn log_sum_2d(&self, ux: f64, uy: f64) -> Option<f64> {
        let n = self.n_centres();
        let (cx, cy) = self.centres.split_at(n);
        let lw = &self.log_weights;
        let term = |k: usize| {
            let (dx, dy) = (ux - cx[k], uy - cy[k]);
            lw[k] - (dx * dx + dy * dy)
        };
        let shift = (0..n)
            .step_by(n.div_ceil(32))
            .map(term)
            .fold(f64::NEG_INFINITY, f64::max);
        if !shift.is_finite() {
            return None;
        }
        let mut acc = [0.0; LANES];
        let (ax, ay, aw) = (
            cx.chunks_exact(LANES),
            cy.chunks_exact(LANES),
            lw.chunks_exact(LANES),
        );
        let body = ax.len() * LANES;
        for ((a, b), w) in ax.zip(ay).zip(aw) {
            for j in 0..LANES {
                let (dx, dy) = (ux - a[j], uy - b[j]);
                acc[j] += exp_clamped((w[j] - (dx * dx + dy * dy)) - shift);
            }
        }
        let rest: f64 = (body..n).map(|k| exp_clamped(term(k) - shift)).sum();
        let sum = acc.iter().sum::<f64>() + rest;
        // a term clamped at e⁷⁰⁰ (or overflowing the sum) means the shift was far too low
        (sum < 1e300).then(|| shift + sum.ln())
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

/// `m` systematic resamples (offset from `seed`), repeated picks merged: the distinct
/// values and their weights count/m.
fn resampled(s: &Sample, m: usize, seed: u64) -> (Array2<f64>, Vec<f64>) {
    let counts = systematic_counts(&s.weights, m, seed);
    let picked: Vec<usize> = (0..counts.len()).filter(|&k| counts[k] > 0).collect();
    let weights = picked
        .iter()
        .map(|&k| counts[k] as f64 / m as f64)
        .collect();
    (s.values.select(Axis(0), &picked), weights)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::linalg::{spd_inverse, spd_log_det};
    use ndarray::{array, Array1};
    use rand_distr::{Distribution, StandardNormal};

    fn gaussian_draws(n: usize, seed: u64) -> Array2<f64> {
        let mut r = crate::rng::rng(seed);
        Array2::from_shape_fn((n, 3), |(_, j)| {
            let z: f64 = StandardNormal.sample(&mut r);
            [1.0, 0.5, 2.0][j] * z + j as f64
        })
    }

    /// The KDE by its definition, with an explicit inverse and log-sum-exp.
    fn brute(centres: &Array2<f64>, w: &[f64], h: &Array2<f64>, x: &[f64]) -> f64 {
        let (hi, ld) = (
            spd_inverse(h.view()).unwrap(),
            spd_log_det(h.view()).unwrap(),
        );
        let terms: Vec<f64> = centres
            .rows()
            .into_iter()
            .zip(w)
            .map(|(c, w)| {
                let r = Array1::from_iter(x.iter().zip(c).map(|(a, b)| a - b));
                w.ln() - 0.5 * r.dot(&hi.dot(&r)) - 0.5 * ld - 0.5 * c.len() as f64 * LN_2PI
            })
            .collect();
        let m = terms.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        m + terms.iter().map(|t| (t - m).exp()).sum::<f64>().ln()
    }

    #[test]
    fn matches_the_definition_in_the_bulk_and_far_tails() {
        let v = gaussian_draws(200, 1);
        let w: Vec<f64> = (0..200).map(|k| 1.0 + (k % 7) as f64).collect();
        let draws = Draws::weighted(v.clone(), w.clone()).unwrap();
        for cols in [vec![0, 2], vec![2, 0, 1], vec![1]] {
            let kde = Kde::fit(&draws, &cols, &KdeOptions::default()).unwrap();
            let d = cols.len();
            let f = draws.ess().powf(-1.0 / (d as f64 + 4.0));
            let cov = draws.select(&cols).covariance();
            let h = kde.bandwidth();
            assert!(
                (&h - &(&cov * (f * f))).iter().all(|e| e.abs() < 1e-12),
                "{h}"
            );
            let total: f64 = w.iter().sum();
            let wn: Vec<f64> = w.iter().map(|x| x / total).collect();
            let centres = v.select(Axis(1), &cols);
            for x in [
                [0.3, 1.9, 1.2],
                [-3.0, 7.0, 0.5],
                [40.0, -30.0, 25.0],
                [1e4, 0.0, -1e4],
            ] {
                let p = Array2::from_shape_vec((1, d), x[..d].to_vec()).unwrap();
                let got = kde.log_density(p.view()).unwrap()[0];
                let want = brute(&centres, &wn, &h, &x[..d]);
                assert!(got.is_finite(), "{x:?}");
                assert!(
                    (got - want).abs() < 1e-10 * want.abs().max(1.0),
                    "{x:?}: {got} {want}"
                );
            }
        }
    }

    #[test]
    fn the_exponential_is_within_two_ulp() {
        assert_eq!(
            6.931_471_803_691_238e-1_f64.to_bits(),
            0x3FE6_2E42_FEE0_0000
        );
        let mut worst = 0.0f64;
        for i in 0..200_001 {
            let t = -60.0 + 60.0 * i as f64 / 200_000.0;
            for t in [t, t * 11.0, -t] {
                let (a, b) = (exp_clamped(t), t.exp());
                worst = worst.max(((a - b) / b).abs() / f64::EPSILON);
            }
        }
        assert!(worst < 2.0, "{worst} ulp");
        assert_eq!(exp_clamped(0.0), 1.0);
        let floor = (-700.0f64).exp();
        assert!((exp_clamped(-800.0) / floor - 1.0).abs() < 4.0 * f64::EPSILON);
        assert!(exp_clamped(800.0).is_finite());
    }

    #[test]
    fn normalised_on_a_grid() {
        let draws = Draws::new(gaussian_draws(300, 2)).unwrap();
        let kde = Kde::fit(&draws, &[0, 1], &KdeOptions::default()).unwrap();
        let (h, n) = (0.05, 240);
        let grid = Array2::from_shape_fn((n * n, 2), |(k, j)| {
            let i = if j == 0 { k / n } else { k % n };
            [-6.0, -2.0][j] + h * (i as f64 + 0.5)
        });
        let mass: f64 = kde
            .log_density(grid.view())
            .unwrap()
            .iter()
            .map(|l| l.exp())
            .sum();
        assert!((mass * h * h - 1.0).abs() < 1e-4, "{}", mass * h * h);
    }

    #[test]
    fn max_points_thins_deterministically() {
        let v = gaussian_draws(2000, 3);
        let mut w = vec![1.0; 2000];
        w[..1000].iter_mut().for_each(|x| *x = 0.0);
        let draws = Draws::weighted(v, w).unwrap();
        let full = Kde::fit(&draws, &[0, 1], &KdeOptions::default()).unwrap();
        assert_eq!(full.n_centres(), 1000, "weight-0 draws are no centres");
        let o = KdeOptions {
            max_points: Some(300),
            seed: 9,
            ..Default::default()
        };
        let thin = Kde::fit(&draws, &[0, 1], &o).unwrap();
        assert_eq!(thin.n_centres(), 300);
        assert_eq!(thin, Kde::fit(&draws, &[0, 1], &o).unwrap());
        let other = Kde::fit(&draws, &[0, 1], &KdeOptions { seed: 10, ..o }).unwrap();
        assert_ne!(thin, other);
        // uneven weights (ESS ≈ n/e): the resampled centres carry them
        let v = gaussian_draws(2000, 5);
        let w: Vec<f64> = v.column(0).iter().map(|x| x.exp()).collect();
        let draws = Draws::weighted(v, w).unwrap();
        let full = Kde::fit(&draws, &[0, 1], &KdeOptions::default()).unwrap();
        let o = KdeOptions {
            max_points: Some(1200),
            ..Default::default()
        };
        let thin = Kde::fit(&draws, &[0, 1], &o).unwrap();
        assert!(thin.n_centres() < 1200);
        assert!(
            (thin.n_eff() / full.n_eff() - 1.0).abs() < 0.25,
            "{} {}",
            thin.n_eff(),
            full.n_eff()
        );
        let p = array![
            [1.0, 1.0],
            [0.0, 1.5],
            [2.0, 0.5],
            [-1.0, 1.0],
            [1.0, 0.0],
            [3.0, 1.0]
        ];
        let (a, b) = (
            full.log_density(p.view()).unwrap(),
            thin.log_density(p.view()).unwrap(),
        );
        let dmax = a
            .iter()
            .zip(&b)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f64::max);
        assert!(dmax < 0.1, "{a:?} {b:?}");
    }

    #[test]
    fn errors_and_non_finite_points() {
        let draws = Draws::new(gaussian_draws(50, 4)).unwrap();
        let o = KdeOptions::default();
        assert!(matches!(
            Kde::fit(&draws, &[0, 3], &o),
            Err(StatsError::ColumnOutOfRange { col: 3, dim: 3 })
        ));
        assert!(matches!(
            Kde::fit(&draws, &[], &o),
            Err(StatsError::Shape(_))
        ));
        let flat = Draws::new(Array2::from_elem((20, 2), 1.5)).unwrap();
        assert!(matches!(
            Kde::fit(&flat, &[0, 1], &o),
            Err(StatsError::Singular { .. })
        ));
        let few = Draws::new(gaussian_draws(2, 4)).unwrap();
        assert!(matches!(
            Kde::fit(&few, &[0, 1], &o),
            Err(StatsError::TooFew { .. })
        ));
        for bad in [0.0, -1.0, f64::NAN] {
            let o = KdeOptions {
                bw_scale: bad,
                ..Default::default()
            };
            assert!(matches!(
                Kde::fit(&draws, &[0], &o),
                Err(StatsError::Option(_))
            ));
        }
        let o0 = KdeOptions {
            max_points: Some(0),
            ..Default::default()
        };
        assert!(Kde::fit(&draws, &[0], &o0).is_err());
        let mut nan = gaussian_draws(50, 4);
        nan[[7, 1]] = f64::NAN;
        assert!(matches!(
            Draws::new(nan),
            Err(StatsError::NotFinite { index: 7, .. })
        ));
        let kde = Kde::fit(&draws, &[0, 1], &o).unwrap();
        assert!(matches!(
            kde.log_density(array![[1.0]].view()),
            Err(StatsError::Shape(_))
        ));
        let p = array![[f64::NAN, 0.0], [f64::INFINITY, 0.0], [1e100, -1e100]];
        let l = kde.log_density(p.view()).unwrap();
        assert!(
            l[0].is_nan() && l[1] == f64::NEG_INFINITY && l[2].is_finite(),
            "{l:?}"
        );
    }

    #[test]
    fn serde_round_trip_and_corrupt_input() {
        let draws = Draws::new(gaussian_draws(100, 5)).unwrap();
        let kde = Kde::fit(&draws, &[0, 1], &KdeOptions::default()).unwrap();
        let text = serde_json::to_string(&kde).unwrap();
        let back: Kde = serde_json::from_str(&text).unwrap();
        assert_eq!(back, kde);
        let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
        v["dim"] = 3.into();
        assert!(serde_json::from_value::<Kde>(v).is_err());
    }
}
