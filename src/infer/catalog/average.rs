//! Bayesian model averaging over simulators: the yield set (or any model setting) treated
//! as a discrete global parameter m with equal prior odds.
//!
//! For every candidate m the catalog is inferred with a posterior trained on m and refined
//! with m's simulator, so each star's importance weights estimate its evidence p(x_i | m)
//! (the mean unnormalised weight). With the stars independent given m,
//!
//! ```text
//! log p(D | m) = Σ_i log p(x_i | m),   p(m | D) = p(D | m) / Σ_m' p(D | m'),
//! p(Λ | D) = Σ_m p(m | D) p(Λ | D, m)
//! ```
//!
//! and the averaged posterior is summarised by the mixture's mean and covariance. A
//! catalog made with yields that one candidate reproduces selects it decisively (measured
//! in the book: log Bayes factors of 26–98 at 10 stars); a catalog no candidate fits is
//! flagged by the posterior predictive check, not by this average.

use super::CatalogInference;
use crate::error::Vocabulary;
use crate::infer::error::InferError;
use serde::{Deserialize, Serialize};

/// The model-averaged estimate of the global parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelAverage {
    /// The candidates, in the order given.
    pub names: Vec<String>,
    /// log p(D | m) of every candidate (natural log).
    pub log_evidence: Vec<f64>,
    /// p(m | D) of every candidate (equal prior odds).
    pub weights: Vec<f64>,
    /// The candidate with the largest weight.
    pub best: usize,
    /// Mean `(k)`, covariance `(k, k)` and standard deviations `(k)` of the mixture.
    pub mean: Vec<f64>,
    pub cov: Vec<Vec<f64>>,
    pub sd: Vec<f64>,
    /// Stars combined (the same for every candidate).
    pub n_stars: usize,
}

/// The average of `results` (name, inference of the same stars with that candidate's
/// posterior and refining simulator). Errors when a result was not refined (no evidence),
/// or when the results differ in their stars or global parameters.
pub fn average_models(results: &[(&str, &CatalogInference)]) -> Result<ModelAverage, InferError> {
    let Some((_, first)) = results.first() else {
        return Err(InferError::option(
            "results",
            0,
            "model averaging needs at least one inference",
        ));
    };
    let rows = |r: &CatalogInference| r.stars.iter().map(|s| s.row).collect::<Vec<_>>();
    let mut log_z = Vec::with_capacity(results.len());
    for (name, r) in results {
        if r.global_names != first.global_names || rows(r) != rows(first) {
            return Err(InferError::option(
                "results",
                name,
                format!(
                    "'{name}' combines other stars or parameters than '{}': infer the same \
                     catalog rows with every candidate",
                    results[0].0
                ),
            ));
        }
        let z = r.log_evidence.ok_or_else(|| {
            InferError::option(
                "results",
                name,
                format!(
                    "'{name}' has no evidence: infer it with refine = the candidate's \
                     simulator (importance sampling estimates p(x_i | m))"
                ),
            )
        })?;
        if !z.is_finite() {
            return Err(InferError::option(
                "results",
                name,
                format!("'{name}' has a log evidence of {z}"),
            ));
        }
        log_z.push(z);
    }
    let max = log_z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let raw: Vec<f64> = log_z.iter().map(|z| (z - max).exp()).collect();
    let total: f64 = raw.iter().sum();
    let weights: Vec<f64> = raw.iter().map(|w| w / total).collect();
    let best = (0..weights.len())
        .max_by(|&a, &b| weights[a].total_cmp(&weights[b]))
        .unwrap_or(0);
    let (mean, cov) = mixture_moments(results, &weights);
    Ok(ModelAverage {
        names: results.iter().map(|(n, _)| n.to_string()).collect(),
        log_evidence: log_z,
        best,
        sd: (0..mean.len()).map(|a| cov[a][a].sqrt()).collect(),
        mean,
        cov,
        weights,
        n_stars: first.stars.len(),
    })
}

/// Mean and covariance of the mixture Σ_m w_m N(μ_m, Σ_m) of the results' estimates.
fn mixture_moments(
    results: &[(&str, &CatalogInference)],
    weights: &[f64],
) -> (Vec<f64>, Vec<Vec<f64>>) {
    let k = results[0].1.estimate().0.len();
    let mut mean = vec![0.0; k];
    for ((_, r), w) in results.iter().zip(weights) {
        for (m, v) in mean.iter_mut().zip(r.estimate().0) {
            *m += w * v;
        }
    }
    let mut cov = vec![vec![0.0; k]; k];
    for ((_, r), w) in results.iter().zip(weights) {
        let (mu, c, _) = r.estimate();
        for a in 0..k {
            for b in 0..k {
                cov[a][b] += w * (c[a][b] + (mu[a] - mean[a]) * (mu[b] - mean[b]));
            }
        }
    }
    (mean, cov)
}
