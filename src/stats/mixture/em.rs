//! The weighted EM of [`super::GaussianMixture::fit`] on whitened draws: k-means++
//! starts, E- and M-steps with the covariance floor, re-seeding of collapsed components,
//! and BIC (see the module documentation of `stats::mixture`).

use super::GaussianMixture;
use crate::stats::kde::LN_2PI;
use crate::stats::linalg::{cholesky, spd_inverse, symmetric_eigenvalues};
use crate::stats::{forward_solve, Sample};
use ndarray::{Array1, Array2};
use rand::Rng;

/// The number of free parameters of K full-covariance components in d dimensions.
pub(super) fn n_params(k: usize, d: usize) -> f64 {
    let (k, d) = (k as f64, d as f64);
    (k - 1.0) + k * d + k * d * (d + 1.0) / 2.0
}

/// ln Σ exp(t): the largest term factored out (−∞ when all are).
pub(super) fn log_sum_exp(t: &[f64]) -> f64 {
    let max = t.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !max.is_finite() {
        return max;
    }
    max + t.iter().map(|v| (v - max).exp()).sum::<f64>().ln()
}

/// A component during EM, in whitened coordinates.
#[derive(Debug, Clone)]
pub(super) struct Comp {
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
pub(super) struct Fit {
    pub(super) comps: Vec<Comp>,
    ll: f64,
    /// M-steps so far.
    iters: usize,
    /// Re-seeds of collapsed components left.
    reseeds: usize,
}

/// Whitened draws z_i = L⁻¹(x_i − m) `(n, d)` row-major with their weights.
pub(super) struct Whitened {
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
    pub(super) fn new(s: &Sample, reg: f64) -> Whitened {
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

    pub(super) fn n(&self) -> usize {
        self.w.len()
    }

    pub(super) fn row(&self, i: usize) -> &[f64] {
        &self.z[i * self.d..(i + 1) * self.d]
    }

    /// `k` components from a k-means++ start drawn from `seed`, before any EM iteration.
    pub(super) fn start(&self, k: usize, seed: u64) -> Fit {
        let comps = self.initial(k, seed);
        Fit {
            reseeds: comps.len(),
            comps,
            ll: f64::NAN,
            iters: 0,
        }
    }

    /// EM from `fit` until ℓ changes by ≤ `tol` · max(|ℓ|, 1) or `max_iter` M-steps in all.
    pub(super) fn iterate(&self, mut fit: Fit, tol: f64, max_iter: usize) -> Fit {
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
    pub(super) fn initial(&self, k: usize, seed: u64) -> Vec<Comp> {
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
    pub(super) fn kmeans_pp(&self, k: usize, seed: u64) -> Vec<Vec<f64>> {
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
    pub(super) fn nearest(&self, centres: &[Vec<f64>]) -> Vec<usize> {
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
    pub(super) fn e_step(&self, comps: &[Comp], resp: &mut Vec<f64>, logp: &mut [f64]) -> f64 {
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
    pub(super) fn m_step(&self, resp: &[f64], k: usize) -> Vec<Comp> {
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
    pub(super) fn component(&self, weight: f64, mean: Vec<f64>, scatter: Array2<f64>) -> Comp {
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

    pub(super) fn collapsed(&self, c: &Comp) -> bool {
        c.count < (self.d + 1) as f64 || c.spread.is_nan() || c.spread < self.min_spread
    }

    /// Re-seeds collapsed components at the worst-fitted draw while `reseeds` last, drops
    /// them afterwards (never the last component); whether any collapsed.
    pub(super) fn repair(&self, comps: &mut Vec<Comp>, logp: &[f64], reseeds: &mut usize) -> bool {
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
    pub(super) fn bic(&self, fit: &Fit) -> f64 {
        let log_det: f64 = (0..self.d).map(|i| self.chol[i * self.d + i].ln()).sum();
        -2.0 * self.n_eff * (fit.ll - log_det) + n_params(fit.comps.len(), self.d) * self.n_eff.ln()
    }

    /// The components back in x: μ = m + L μ_z, Σ = L Σ_z Lᵀ, by decreasing weight.
    pub(super) fn to_mixture(&self, mut comps: Vec<Comp>) -> GaussianMixture {
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

pub(super) fn normalise(comps: &mut [Comp]) {
    let total: f64 = comps.iter().map(|c| c.weight).sum();
    if total > 0.0 {
        comps.iter_mut().for_each(|c| c.weight /= total);
    }
}

pub(super) fn sq_dist(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

/// The index `i` with Σ_{j<i} s_j ≤ u Σ s < Σ_{j≤i} s_j, for scores ≥ 0 and u ∈ [0, 1).
pub(super) fn pick(scores: &[f64], u: f64) -> usize {
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
