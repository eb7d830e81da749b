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
//!   seed, refined by 10 weighted Lloyd iterations, then one M-step from the hard assignment;
//! - a component collapses when it holds fewer than d + 1 effective draws (n_eff · π_k) or
//!   its own scatter is below the covariance floor in some direction (it sits on repeated
//!   draws): it is re-seeded at the worst-fitted draw (at most K re-seeds per fit), then
//!   dropped, so a fit may have fewer components than asked for;
//! - EM stops when the weighted mean log-likelihood changes by ≤ tol · max(|ℓ|, 1);
//! - K: the given number, or the K in 1..=max_components of smallest
//!   BIC = −2 n_eff ℓ̄ + p ln n_eff (ℓ̄ = Σ w_i ln p(x_i), n_eff the Kish effective sample
//!   size, n for equal weights; p = (K − 1) + K d + K d(d+1)/2); either way at most
//!   max(1, ⌊n_eff/5⌋) components (five effective draws per component);
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

use super::kde::{check_points, forward_solve, non_finite, Sample, LN_2PI};
use super::linalg::{cholesky, symmetric_eigenvalues};
use super::{Draws, StatsError};
use crate::error::OptionError;
use ndarray::{Array2, ArrayView2};
use rand::Rng;
use serde::{Deserialize, Serialize};

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
        let mut best: Option<(f64, Vec<Comp>)> = None;
        for k in ks {
            let fit = data.em(k, opts, crate::rng::derive(opts.seed, k as u64));
            let bic = data.bic(&fit);
            if best.as_ref().is_none_or(|(b, _)| bic < *b) {
                best = Some((bic, fit.comps));
            }
        }
        let (_, comps) = best.ok_or(StatsError::Empty("a mixture without components"))?;
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
                for (tc, (mean, chol, norm)) in t.iter_mut().zip(&factors) {
                    y.iter_mut()
                        .zip(x)
                        .zip(mean.iter())
                        .for_each(|((a, x), m)| *a = x - m);
                    forward_solve(chol, &mut y);
                    *tc = norm - 0.5 * y.iter().map(|v| v * v).sum::<f64>();
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

    /// Per component with positive weight: mean, Cholesky factor `(d, d)` row-major and
    /// ln π_k − (d/2) ln 2π − ln det L_k.
    fn factors(&self) -> Result<Vec<(&[f64], Vec<f64>, f64)>, StatsError> {
        let (k, d) = (self.n_components(), self.dim());
        let bad = |index, reason| Err(StatsError::BadComponent { index, reason });
        if k == 0 || d == 0 || self.means.len() != k || self.covs.len() != k {
            return bad(
                0,
                "weights, means and covariances must be K ≥ 1 each, of d ≥ 1",
            );
        }
        let total: f64 = self.weights.iter().sum();
        if self.weights.iter().any(|w| !(*w >= 0.0)) || !(total > 0.0 && total.is_finite()) {
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
            if mean.len() != d || cov.len() != d || cov.iter().any(|r| r.len() != d) {
                return bad(c, "mean of length d and covariance (d, d) needed");
            }
            if mean.iter().any(|v| !v.is_finite()) {
                return bad(c, "mean is not finite");
            }
            let a = Array2::from_shape_fn((d, d), |(i, j)| cov[i][j]);
            let Some(l) = cholesky(a.view()) else {
                return bad(c, "covariance is not positive definite");
            };
            if *w > 0.0 {
                let norm = (w / total).ln()
                    - 0.5 * d as f64 * LN_2PI
                    - l.diag().iter().map(|v| v.ln()).sum::<f64>();
                out.push((mean.as_slice(), l.iter().copied().collect(), norm));
            }
        }
        Ok(out)
    }
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
    /// Covariance including the floor, `(d, d)` row-major.
    cov: Vec<f64>,
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
}

/// Whitened draws z_i = L⁻¹(x_i − m) `(n, d)` row-major with their weights.
struct Whitened {
    z: Vec<f64>,
    w: Vec<f64>,
    d: usize,
    n_eff: f64,
    /// The covariance floor in z, c·Σ⁻¹, `(d, d)` row-major.
    floor: Vec<f64>,
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
        // L⁻¹ column by column, floor = c L⁻¹ L⁻ᵀ
        let mut linv = vec![0.0; d * d];
        for j in 0..d {
            let mut e: Vec<f64> = (0..d).map(|i| if i == j { 1.0 } else { 0.0 }).collect();
            forward_solve(&s.chol, &mut e);
            (0..d).for_each(|i| linv[i * d + j] = e[i]);
        }
        let c = reg * s.cov.diag().sum() / d as f64;
        let floor = Array2::from_shape_fn((d, d), |(i, j)| {
            c * (0..d)
                .map(|p| linv[i * d + p] * linv[j * d + p])
                .sum::<f64>()
        });
        let min_spread = symmetric_eigenvalues(floor.view())[0].max(1e-12);
        Whitened {
            z,
            w: s.weights.clone(),
            d,
            n_eff: s.n_eff,
            floor: floor.iter().copied().collect(),
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

    /// EM with `k` components from a k-means++ start drawn from `seed`.
    fn em(&self, k: usize, opts: &MixtureOptions, seed: u64) -> Fit {
        let mut comps = self.initial(k, seed);
        let (mut resp, mut logp) = (Vec::new(), vec![0.0; self.n()]);
        let mut reseeds = comps.len();
        let mut prev = f64::NAN;
        for _ in 0..opts.max_iter {
            let ll = self.e_step(&comps, &mut resp, &mut logp);
            if (ll - prev).abs() <= opts.tol * prev.abs().max(1.0) {
                return Fit { comps, ll };
            }
            prev = ll;
            comps = self.m_step(&resp, comps.len());
            if self.repair(&mut comps, &logp, &mut reseeds) {
                prev = f64::NAN;
            }
        }
        let ll = self.e_step(&comps, &mut resp, &mut logp);
        Fit { comps, ll }
    }

    /// k-means++ centres refined by Lloyd's iterations, one M-step from the hard
    /// assignment, collapsed components dropped.
    fn initial(&self, k: usize, seed: u64) -> Vec<Comp> {
        let mut centres = self.kmeans_pp(k, seed);
        let assign = self.lloyd(&mut centres, 10);
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
            if !(scores.iter().sum::<f64>() > 0.0) {
                break;
            }
            centres.push(self.row(pick(&scores, rng.gen::<f64>())).to_vec());
        }
        centres
    }

    /// Up to `iters` weighted Lloyd iterations; the final assignment of every draw.
    fn lloyd(&self, centres: &mut [Vec<f64>], iters: usize) -> Vec<usize> {
        let nearest = |c: &[Vec<f64>], z: &[f64]| {
            (0..c.len())
                .min_by(|&a, &b| sq_dist(z, &c[a]).total_cmp(&sq_dist(z, &c[b])))
                .unwrap_or(0)
        };
        let mut assign: Vec<usize> = (0..self.n())
            .map(|i| nearest(centres, self.row(i)))
            .collect();
        for _ in 0..iters {
            let mut sums = vec![vec![0.0; self.d]; centres.len()];
            let mut mass = vec![0.0; centres.len()];
            for (i, &c) in assign.iter().enumerate() {
                mass[c] += self.w[i];
                sums[c]
                    .iter_mut()
                    .zip(self.row(i))
                    .for_each(|(s, z)| *s += self.w[i] * z);
            }
            for ((c, s), m) in centres.iter_mut().zip(sums).zip(mass) {
                if m > 0.0 {
                    c.iter_mut().zip(s).for_each(|(a, b)| *a = b / m);
                }
            }
            let next: Vec<usize> = (0..self.n())
                .map(|i| nearest(centres, self.row(i)))
                .collect();
            if next == assign {
                break;
            }
            assign = next;
        }
        assign
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
            *lp = log_sum_exp(r);
            r.iter_mut().for_each(|v| *v = (*v - *lp).exp());
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
                if !(nk > 1e-300) {
                    return self.component(0.0, vec![0.0; d], identity(d));
                }
                let mut mean = vec![0.0; d];
                for (i, r) in rw.iter().enumerate() {
                    mean.iter_mut()
                        .zip(self.row(i))
                        .for_each(|(m, z)| *m += r * z / nk);
                }
                let mut scatter = vec![0.0; d * d];
                for (i, r) in rw.iter().enumerate() {
                    let z = self.row(i);
                    for a in 0..d {
                        for b in 0..=a {
                            scatter[a * d + b] += r * (z[a] - mean[a]) * (z[b] - mean[b]) / nk;
                        }
                    }
                }
                (0..d).for_each(|a| (0..a).for_each(|b| scatter[b * d + a] = scatter[a * d + b]));
                self.component(nk, mean, scatter)
            })
            .collect()
    }

    /// A component of weight `weight` from its mean and scatter `(d, d)`: the floor added
    /// and factorised (a tiny ridge added if rounding leaves it indefinite).
    fn component(&self, weight: f64, mean: Vec<f64>, scatter: Vec<f64>) -> Comp {
        let d = self.d;
        let s = Array2::from_shape_fn((d, d), |(i, j)| scatter[i * d + j]);
        let spread = symmetric_eigenvalues(s.view())[0];
        let mut cov: Vec<f64> = scatter
            .iter()
            .zip(&self.floor)
            .map(|(a, b)| a + b)
            .collect();
        let mut ridge = 0.0;
        let chol = loop {
            let a = Array2::from_shape_fn((d, d), |(i, j)| cov[i * d + j]);
            if let Some(l) = cholesky(a.view()) {
                break l.iter().copied().collect();
            }
            if ridge > 1.0 || cov.iter().any(|v| !v.is_finite()) {
                cov = identity(d);
                break identity(d);
            }
            ridge = if ridge == 0.0 { 1e-12 } else { ridge * 10.0 };
            (0..d).for_each(|i| cov[i * d + i] += ridge);
        };
        Comp {
            weight,
            mean,
            cov,
            chol,
            count: weight * self.n_eff,
            spread,
        }
    }

    fn collapsed(&self, c: &Comp) -> bool {
        c.count < (self.d + 1) as f64 || !(c.spread >= self.min_spread)
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
                    let spread: Vec<f64> = identity(self.d).iter().map(|v| 0.1 * v).collect();
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
        let l = |i: usize, j: usize| if j <= i { self.chol[i * d + j] } else { 0.0 };
        comps.sort_by(|a, b| b.weight.total_cmp(&a.weight));
        let means = comps
            .iter()
            .map(|c| {
                (0..d)
                    .map(|i| self.mean[i] + (0..d).map(|j| l(i, j) * c.mean[j]).sum::<f64>())
                    .collect()
            })
            .collect();
        let covs = comps
            .iter()
            .map(|c| {
                (0..d)
                    .map(|i| {
                        (0..d)
                            .map(|j| {
                                let mut s = 0.0;
                                for p in 0..d {
                                    for q in 0..d {
                                        s += l(i, p) * c.cov[p * d + q] * l(j, q);
                                    }
                                }
                                s
                            })
                            .collect()
                    })
                    .collect()
            })
            .collect();
        GaussianMixture {
            weights: comps.iter().map(|c| c.weight).collect(),
            means,
            covs,
        }
    }
}

fn normalise(comps: &mut [Comp]) {
    let total: f64 = comps.iter().map(|c| c.weight).sum();
    if total > 0.0 {
        comps.iter_mut().for_each(|c| c.weight /= total);
    }
}

fn identity(d: usize) -> Vec<f64> {
    (0..d * d)
        .map(|i| if i % (d + 1) == 0 { 1.0 } else { 0.0 })
        .collect()
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
