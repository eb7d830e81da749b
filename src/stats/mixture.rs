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
use super::linalg::{cholesky, spd_inverse, symmetric_eigenvalues};
use super::{check_points, forward_solve, non_finite, Draws, Sample, StatsError};
use crate::error::OptionError;
use ndarray::{Array1, Array2, ArrayView2};
use rand::Rng;
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

/// The number of free parameters of K full-covariance components in d dimensions.
fn n_params(k: usize, d: usize) -> f64 {
    let (k, d) = (k as f64, d as f64);
    (k - 1.0) + k * d + k * d * (d + 1.0) / 2.0
}

/// ln Σ exp(t): the largest term factored out (−∞ when all are).
fn log_sum_exp(t: &[f64]) -> f64 {
    let max = t.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !max.is_finite() {
        return max;
    }
    max + t.iter().map(|v| (v - max).exp()).sum::<f64>().ln()
}

/// A component during EM, in whitened coordinates.
#[derive(Debug, Clone)]
struct Comp {
    weight: f64,
    /// `(d)`.
    mean: Vec<f64>,
    /// Covariance including the floor, `(d, d)`.
    cov: Array2<f64>,
    /// Its lower Cholesky factor, `(d, d)` row-major.
    chol: Vec<f64>,
    /// Effective draws n_eff · weight at the last M-step.
    count: f64,
    /// Smallest eigenvalue of its scatter without the floor.
    spread: f64,
}

/// A fit for one K: components and the mean log-likelihood Σ w_i ln p(z_i).
struct Fit {
    comps: Vec<Comp>,
    ll: f64,
    /// M-steps so far.
    iters: usize,
    /// Re-seeds of collapsed components left.
    reseeds: usize,
}

/// Whitened draws z_i = L⁻¹(x_i − m) `(n, d)` row-major with their weights.
struct Whitened {
    z: Vec<f64>,
    w: Vec<f64>,
    d: usize,
    n_eff: f64,
    /// The covariance floor in z, c·Σ⁻¹, `(d, d)`.
    floor: Array2<f64>,
    /// Its smallest eigenvalue (at least 10⁻¹²): scatter below it is a collapse.
    min_spread: f64,
    mean: Vec<f64>,
    /// L, `(d, d)` row-major.
    chol: Vec<f64>,
}

impl Whitened {
    fn new(s: &Sample, reg: f64) -> Whitened {
        let d = s.mean.len();
        let mut z = Vec::with_capacity(s.values.len());
        let mut y = vec![0.0; d];
        for row in s.values.rows() {
            y.iter_mut()
                .zip(row)
                .zip(&s.mean)
                .for_each(|((a, x), m)| *a = x - m);
            forward_solve(&s.chol, &mut y);
            z.extend_from_slice(&y);
        }
        // the floor c·I in x is c·Σ⁻¹ in z (Σ is positive definite: checked by Sample)
        let c = reg * s.cov.diag().sum() / d as f64;
        let floor = spd_inverse(s.cov.view()).unwrap_or_else(|| Array2::eye(d)) * c;
        let min_spread = symmetric_eigenvalues(floor.view())[0].max(1e-12);
        Whitened {
            z,
            w: s.weights.clone(),
            d,
            n_eff: s.n_eff,
            floor,
            min_spread,
            mean: s.mean.clone(),
            chol: s.chol.clone(),
        }
    }

    fn n(&self) -> usize {
        self.w.len()
    }

    fn row(&self, i: usize) -> &[f64] {
        &self.z[i * self.d..(i + 1) * self.d]
    }

    /// `k` components from a k-means++ start drawn from `seed`, before any EM iteration.
    fn start(&self, k: usize, seed: u64) -> Fit {
        let comps = self.initial(k, seed);
        Fit {
            reseeds: comps.len(),
            comps,
            ll: f64::NAN,
            iters: 0,
        }
    }

    /// EM from `fit` until ℓ changes by ≤ `tol` · max(|ℓ|, 1) or `max_iter` M-steps in all.
    fn iterate(&self, mut fit: Fit, tol: f64, max_iter: usize) -> Fit {
        let (mut resp, mut logp) = (Vec::new(), vec![0.0; self.n()]);
        let mut prev = f64::NAN;
        while fit.iters < max_iter {
            let ll = self.e_step(&fit.comps, &mut resp, &mut logp);
            if (ll - prev).abs() <= tol * prev.abs().max(1.0) {
                fit.ll = ll;
                return fit;
            }
            prev = ll;
            fit.iters += 1;
            fit.comps = self.m_step(&resp, fit.comps.len());
            if self.repair(&mut fit.comps, &logp, &mut fit.reseeds) {
                prev = f64::NAN;
            }
        }
        fit.ll = self.e_step(&fit.comps, &mut resp, &mut logp);
        fit
    }

    /// k-means++ centres, one M-step from the assignment of every draw to the nearest,
    /// collapsed components dropped.
    fn initial(&self, k: usize, seed: u64) -> Vec<Comp> {
        let centres = self.kmeans_pp(k, seed);
        let assign = self.nearest(&centres);
        let k = centres.len();
        let mut resp = vec![0.0; self.n() * k];
        assign
            .iter()
            .enumerate()
            .for_each(|(i, &c)| resp[i * k + c] = 1.0);
        let mut comps = self.m_step(&resp, k);
        if comps.iter().all(|c| self.collapsed(c)) {
            comps.sort_by(|a, b| b.weight.total_cmp(&a.weight));
            comps.truncate(1);
        } else {
            comps.retain(|c| !self.collapsed(c));
        }
        normalise(&mut comps);
        comps
    }

    /// Weighted k-means++: up to `k` distinct centres.
    fn kmeans_pp(&self, k: usize, seed: u64) -> Vec<Vec<f64>> {
        let mut rng = crate::rng::rng(seed);
        let mut d2 = vec![f64::INFINITY; self.n()];
        let mut centres = vec![self.row(pick(&self.w, rng.gen::<f64>())).to_vec()];
        while centres.len() < k {
            let last = &centres[centres.len() - 1];
            for (i, v) in d2.iter_mut().enumerate() {
                *v = v.min(sq_dist(self.row(i), last));
            }
            let scores: Vec<f64> = d2.iter().zip(&self.w).map(|(a, w)| a * w).collect();
            let total: f64 = scores.iter().sum();
            if total.is_nan() || total <= 0.0 {
                break;
            }
            centres.push(self.row(pick(&scores, rng.gen::<f64>())).to_vec());
        }
        centres
    }

    /// The nearest of `centres` to every draw.
    fn nearest(&self, centres: &[Vec<f64>]) -> Vec<usize> {
        (0..self.n())
            .map(|i| {
                let dist = |c: usize| sq_dist(self.row(i), &centres[c]);
                (0..centres.len())
                    .min_by(|&a, &b| dist(a).total_cmp(&dist(b)))
                    .unwrap_or(0)
            })
            .collect()
    }

    /// Responsibilities `(n, K)` and ln p(z_i); returns Σ w_i ln p(z_i).
    fn e_step(&self, comps: &[Comp], resp: &mut Vec<f64>, logp: &mut [f64]) -> f64 {
        let (d, k) = (self.d, comps.len());
        resp.resize(self.n() * k, 0.0);
        let norms: Vec<f64> = comps
            .iter()
            .map(|c| {
                c.weight.ln()
                    - 0.5 * d as f64 * LN_2PI
                    - (0..d).map(|i| c.chol[i * d + i].ln()).sum::<f64>()
            })
            .collect();
        let mut y = vec![0.0; d];
        let mut ll = 0.0;
        for (i, lp) in logp.iter_mut().enumerate() {
            let r = &mut resp[i * k..(i + 1) * k];
            for ((rc, c), norm) in r.iter_mut().zip(comps).zip(&norms) {
                y.iter_mut()
                    .zip(self.row(i))
                    .zip(&c.mean)
                    .for_each(|((a, z), m)| *a = z - m);
                forward_solve(&c.chol, &mut y);
                *rc = norm - 0.5 * y.iter().map(|v| v * v).sum::<f64>();
            }
            // the largest term is finite: every weight is > 0
            let max = r.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let mut sum = 0.0;
            for v in r.iter_mut() {
                *v = (*v - max).exp();
                sum += *v;
            }
            r.iter_mut().for_each(|v| *v /= sum);
            *lp = max + sum.ln();
            ll += self.w[i] * *lp;
        }
        ll
    }

    /// The weighted M-step for `k` components from responsibilities `(n, k)`.
    fn m_step(&self, resp: &[f64], k: usize) -> Vec<Comp> {
        let d = self.d;
        (0..k)
            .map(|c| {
                let rw: Vec<f64> = (0..self.n()).map(|i| self.w[i] * resp[i * k + c]).collect();
                let nk: f64 = rw.iter().sum();
                if nk.is_nan() || nk <= 1e-300 {
                    return self.component(0.0, vec![0.0; d], Array2::eye(d));
                }
                let mut mean = vec![0.0; d];
                for (i, r) in rw.iter().enumerate() {
                    mean.iter_mut()
                        .zip(self.row(i))
                        .for_each(|(m, z)| *m += r * z / nk);
                }
                let mut scatter = Array2::zeros((d, d));
                for (i, r) in rw.iter().enumerate() {
                    let z = self.row(i);
                    scatter.indexed_iter_mut().for_each(|((a, b), s)| {
                        *s += r * (z[a] - mean[a]) * (z[b] - mean[b]) / nk;
                    });
                }
                self.component(nk, mean, scatter)
            })
            .collect()
    }

    /// A component of weight `weight` from its mean and scatter `(d, d)`: the floor added
    /// and factorised (a tiny ridge added if rounding leaves it indefinite).
    fn component(&self, weight: f64, mean: Vec<f64>, scatter: Array2<f64>) -> Comp {
        let spread = symmetric_eigenvalues(scatter.view())[0];
        let mut cov = scatter + &self.floor;
        let mut ridge = 1e-12;
        let chol = loop {
            match cholesky(cov.view()) {
                Some(l) => break l,
                None if ridge <= 1.0 && cov.iter().all(|v| v.is_finite()) => {
                    cov.diag_mut().iter_mut().for_each(|v| *v += ridge);
                    ridge *= 10.0;
                }
                None => {
                    cov = Array2::eye(self.d);
                    break Array2::eye(self.d);
                }
            }
        };
        Comp {
            weight,
            mean,
            cov,
            chol: chol.iter().copied().collect(),
            count: weight * self.n_eff,
            spread,
        }
    }

    fn collapsed(&self, c: &Comp) -> bool {
        c.count < (self.d + 1) as f64 || c.spread.is_nan() || c.spread < self.min_spread
    }

    /// Re-seeds collapsed components at the worst-fitted draw while `reseeds` last, drops
    /// them afterwards (never the last component); whether any collapsed.
    fn repair(&self, comps: &mut Vec<Comp>, logp: &[f64], reseeds: &mut usize) -> bool {
        let mut changed = false;
        let mut c = 0;
        while c < comps.len() {
            if comps.len() > 1 && self.collapsed(&comps[c]) {
                changed = true;
                if *reseeds > 0 {
                    *reseeds -= 1;
                    let worst = (0..logp.len())
                        .min_by(|&a, &b| logp[a].total_cmp(&logp[b]))
                        .unwrap_or(0);
                    let spread = Array2::eye(self.d) * 0.1;
                    let w = 1.0 / comps.len() as f64;
                    comps[c] = self.component(w, self.row(worst).to_vec(), spread);
                    c += 1;
                } else {
                    comps.remove(c);
                }
            } else {
                c += 1;
            }
        }
        if changed {
            normalise(comps);
        }
        changed
    }

    /// BIC of a fit, with ℓ in the units of x (ℓ_z − ln det L).
    fn bic(&self, fit: &Fit) -> f64 {
        let log_det: f64 = (0..self.d).map(|i| self.chol[i * self.d + i].ln()).sum();
        -2.0 * self.n_eff * (fit.ll - log_det) + n_params(fit.comps.len(), self.d) * self.n_eff.ln()
    }

    /// The components back in x: μ = m + L μ_z, Σ = L Σ_z Lᵀ, by decreasing weight.
    fn to_mixture(&self, mut comps: Vec<Comp>) -> GaussianMixture {
        let d = self.d;
        let l = Array2::from_shape_fn((d, d), |(i, j)| self.chol[i * d + j]);
        comps.sort_by(|a, b| b.weight.total_cmp(&a.weight));
        let mut out = GaussianMixture {
            weights: Vec::new(),
            means: Vec::new(),
            covs: Vec::new(),
        };
        for c in comps {
            let mean = l.dot(&Array1::from(c.mean)) + Array1::from(self.mean.clone());
            let cov = l.dot(&c.cov).dot(&l.t());
            out.weights.push(c.weight);
            out.means.push(mean.to_vec());
            out.covs
                .push(cov.rows().into_iter().map(|r| r.to_vec()).collect());
        }
        out
    }
}

fn normalise(comps: &mut [Comp]) {
    let total: f64 = comps.iter().map(|c| c.weight).sum();
    if total > 0.0 {
        comps.iter_mut().for_each(|c| c.weight /= total);
    }
}

fn sq_dist(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

/// The index `i` with Σ_{j<i} s_j ≤ u Σ s < Σ_{j≤i} s_j, for scores ≥ 0 and u ∈ [0, 1).
fn pick(scores: &[f64], u: f64) -> usize {
    let target = u * scores.iter().sum::<f64>();
    let mut cum = 0.0;
    for (i, s) in scores.iter().enumerate() {
        cum += s;
        if cum > target {
            return i;
        }
    }
    scores.iter().rposition(|s| *s > 0.0).unwrap_or(0)
}

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
