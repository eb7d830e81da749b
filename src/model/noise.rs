//! Gaussian observation noise: one standard deviation (dex) per observable, added to
//! simulator outputs once to make training pairs or mock observations, optionally with a
//! model-error term (Philcox & Rybizki 2019): per element an ε_j ~ HalfCauchy(scale) dex,
//! added in quadrature to the observational σ_j, so an observation is
//! x_j = f_j(θ) + sqrt(σ_j² + ε_j²)·z. Training a posterior on such pairs marginalises
//! the model error (per star, which makes the per-star likelihood a heavy-tailed scale
//! mixture of Gaussians); [`NoiseModel::log_likelihood`] is that marginal likelihood.

use ndarray::{Array2, Axis};
use rand::Rng;
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Independent Gaussian observation noise, one standard deviation (dex) per observable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoiseModel {
    /// σ of each observable, dex.
    pub sigma: Vec<f64>,
    /// Scale (dex) of the HalfCauchy model error ε_j of every observable, drawn afresh for
    /// every row and element and truncated at [`MODEL_ERROR_MAX`]; `None` = no model error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_error: Option<f64>,
}

/// The model error of Philcox & Rybizki (2019): HalfCauchy with scale 0.01 dex.
pub const PAPER_MODEL_ERROR: f64 = 0.01;

/// Largest model error drawn (dex): the HalfCauchy is truncated here so that a training pair
/// is never swamped by an error of several dex (P(ε > 0.5) = 1.3 % at scale 0.01).
pub const MODEL_ERROR_MAX: f64 = 0.5;

/// Gauss–Legendre nodes of the model-error integral of [`NoiseModel::log_likelihood`].
const MODEL_ERROR_NODES: usize = 24;

/// Rows per noise chunk (each chunk has its own random stream).
const NOISE_CHUNK: usize = 4096;

impl NoiseModel {
    /// The same σ for all `n` observables (the paper: 0.05 dex, spec A.0).
    pub fn uniform(n: usize, sigma: f64) -> Self {
        NoiseModel::new(vec![sigma; n])
    }

    /// Gaussian noise with σ_j = `sigma[j]` (dex) and no model error.
    pub fn new(sigma: Vec<f64>) -> Self {
        NoiseModel {
            sigma,
            model_error: None,
        }
    }

    /// The same noise with a HalfCauchy(`scale`) model error (dex) on every observable.
    pub fn with_model_error(mut self, scale: Option<f64>) -> Self {
        self.model_error = scale;
        self
    }

    /// The paper's noise: 0.05 dex on each of the 8 abundances.
    pub fn paper() -> Self {
        NoiseModel::uniform(8, 0.05)
    }

    /// Checks that every σ is finite and ≥ 0 and that there is one per observable.
    pub fn validate(&self, n_obs: usize) -> Result<(), String> {
        if self.sigma.len() != n_obs {
            return Err(format!(
                "noise has {} standard deviations for {n_obs} observables",
                self.sigma.len()
            ));
        }
        if let Some(s) = self.sigma.iter().find(|s| !(s.is_finite() && **s >= 0.0)) {
            return Err(format!(
                "noise standard deviation {s} is not finite and ≥ 0"
            ));
        }
        if let Some(s) = self.model_error {
            if !(s.is_finite() && s > 0.0 && s < MODEL_ERROR_MAX) {
                return Err(format!(
                    "model error scale {s} dex is not in (0, {MODEL_ERROR_MAX})"
                ));
            }
        }
        Ok(())
    }

    /// Log of the density of residual r = x − f(θ) (dex) of the observable with noise σ
    /// (dex), up to the constant −½ log 2π: without model error −½ (r/σ)² − log σ, with it
    /// log ∫ N(r; 0, σ² + ε²) p(ε) dε over the truncated HalfCauchy, by Gauss–Legendre
    /// quadrature in u = F(ε) (24 nodes; relative error < 1e-6 for σ ≥ 0.01 dex).
    pub fn log_likelihood(&self, r: f64, sigma: f64) -> f64 {
        log_likelihood(r, sigma, self.model_error)
    }

    /// Adds N(0, σ_j²) to every entry of column j of `x` `(n, n_obs)`, once. Rows are done
    /// in chunks of 4096 with random streams `rng::stream(seed, chunk)`, so the result does
    /// not depend on the number of threads.
    pub fn add(&self, x: &mut Array2<f64>, seed: u64) {
        let sig = &self.sigma;
        let model_error = self.model_error;
        x.axis_chunks_iter_mut(Axis(0), NOISE_CHUNK)
            .into_par_iter()
            .enumerate()
            .for_each(|(c, mut chunk)| {
                let mut rng = crate::rng::stream(seed, c as u64);
                for mut row in chunk.rows_mut() {
                    for (v, s) in row.iter_mut().zip(sig) {
                        let z: f64 = StandardNormal.sample(&mut rng);
                        let sd = match model_error {
                            None => *s,
                            Some(scale) => {
                                let u: f64 =
                                    rng.gen::<f64>() * half_cauchy_cdf(MODEL_ERROR_MAX, scale);
                                s.hypot(half_cauchy_quantile(u, scale))
                            }
                        };
                        *v += sd * z;
                    }
                }
            });
    }
}

/// [`NoiseModel::log_likelihood`] of a residual `r` with noise `sigma` (dex) and, if given,
/// the HalfCauchy model error of scale `model_error` (dex).
pub fn log_likelihood(r: f64, sigma: f64, model_error: Option<f64>) -> f64 {
    match model_error {
        None => -0.5 * (r / sigma).powi(2) - sigma.ln(),
        Some(scale) => {
            let (nodes, weights) = gauss_legendre();
            let u_max = half_cauchy_cdf(MODEL_ERROR_MAX, scale);
            let terms: Vec<f64> = nodes
                .iter()
                .zip(weights)
                .map(|(t, w)| {
                    let eps = half_cauchy_quantile(0.5 * (t + 1.0) * u_max, scale);
                    let var = sigma * sigma + eps * eps;
                    (0.5 * w).ln() - 0.5 * r * r / var - 0.5 * var.ln()
                })
                .collect();
            log_sum_exp(&terms)
        }
    }
}

/// P(ε ≤ e) of HalfCauchy(scale).
fn half_cauchy_cdf(e: f64, scale: f64) -> f64 {
    std::f64::consts::FRAC_2_PI * (e / scale).atan()
}

/// The ε with P(ε ≤ ε) = u of HalfCauchy(scale).
fn half_cauchy_quantile(u: f64, scale: f64) -> f64 {
    scale * (std::f64::consts::FRAC_PI_2 * u).tan()
}

/// log Σ exp(tᵢ), stable.
fn log_sum_exp(t: &[f64]) -> f64 {
    let m = t.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !m.is_finite() {
        return m;
    }
    m + t.iter().map(|v| (v - m).exp()).sum::<f64>().ln()
}

/// Gauss–Legendre nodes and weights on [−1, 1], computed once by Newton's method on the
/// Legendre polynomial.
fn gauss_legendre() -> &'static (Vec<f64>, Vec<f64>) {
    static RULE: std::sync::OnceLock<(Vec<f64>, Vec<f64>)> = std::sync::OnceLock::new();
    RULE.get_or_init(|| {
        let n = MODEL_ERROR_NODES;
        let mut nodes = Vec::with_capacity(n);
        let mut weights = Vec::with_capacity(n);
        for i in 0..n {
            let mut t = (std::f64::consts::PI * (i as f64 + 0.75) / (n as f64 + 0.5)).cos();
            let mut dp = 1.0;
            for _ in 0..100 {
                // P_n(t) and its derivative by the three-term recurrence
                let (mut p0, mut p1) = (1.0, t);
                for k in 2..=n {
                    let p2 = ((2 * k - 1) as f64 * t * p1 - (k - 1) as f64 * p0) / k as f64;
                    p0 = p1;
                    p1 = p2;
                }
                dp = n as f64 * (t * p1 - p0) / (t * t - 1.0);
                let step = p1 / dp;
                t -= step;
                if step.abs() < 1e-15 {
                    break;
                }
            }
            nodes.push(t);
            weights.push(2.0 / ((1.0 - t * t) * dp * dp));
        }
        (nodes, weights)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn noise_has_the_requested_spread_and_is_reproducible() {
        let m = NoiseModel::new(vec![0.05, 0.2]);
        let mut a = Array2::zeros((20_000, 2));
        m.add(&mut a, 3);
        let mut b = Array2::zeros((20_000, 2));
        m.add(&mut b, 3);
        assert_eq!(a, b);
        for (j, s) in [0.05, 0.2].iter().enumerate() {
            let col = a.column(j);
            let sd = (col.mapv(|v| v * v).sum() / 20_000.0).sqrt();
            assert!((sd / s - 1.0).abs() < 0.02, "column {j}: {sd}");
        }
        assert!(m.validate(2).is_ok());
        assert!(m.validate(3).is_err());
        assert!(NoiseModel::new(vec![-1.0]).validate(1).is_err());
    }

    #[test]
    fn model_error_widens_the_noise_as_its_likelihood_says() {
        let m = NoiseModel::uniform(1, 0.05).with_model_error(Some(0.05));
        assert!(m.validate(1).is_ok());
        let n = 200_000;
        let mut a = Array2::zeros((n, 1));
        m.add(&mut a, 5);
        // histogram of the residuals against the quadrature density, in bins of 0.02 dex
        let (lo, w) = (-0.3, 0.02);
        let mut counts = [0usize; 30];
        for v in a.column(0) {
            let b = ((v - lo) / w).floor();
            if (0.0..30.0).contains(&b) {
                counts[b as usize] += 1;
            }
        }
        let norm = (2.0 * std::f64::consts::PI).sqrt();
        for (b, c) in counts.iter().enumerate() {
            let mid = lo + (b as f64 + 0.5) * w;
            let expect = n as f64 * w * m.log_likelihood(mid, 0.05).exp() / norm;
            let sd = expect.sqrt();
            assert!(
                (*c as f64 - expect).abs() < 5.0 * sd + 0.01 * expect,
                "bin {b} at {mid}: {c} draws, {expect:.0} expected"
            );
        }
        // heavier tails than the plain Gaussian
        let plain = NoiseModel::uniform(1, 0.05);
        assert!(m.log_likelihood(0.3, 0.05) > plain.log_likelihood(0.3, 0.05) + 5.0);
        // the density integrates to one
        let total: f64 = (-4000..4000)
            .map(|k| m.log_likelihood(k as f64 * 1e-3, 0.05).exp() * 1e-3 / norm)
            .sum();
        assert!((total - 1.0).abs() < 2e-3, "{total}");
        assert!(NoiseModel::uniform(1, 0.05)
            .with_model_error(Some(-1.0))
            .validate(1)
            .is_err());
    }
}
