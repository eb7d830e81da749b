//! Quality of a posterior on held-out simulations (spec C.3): the absolute percentage error
//! of the posterior mean, APE = 100·|θ_true − θ̂|/|θ_true| with θ̂ the mean of the posterior
//! samples, summarised by its quartiles per parameter and over all parameters, and the mean
//! log q(θ_true | x) of the flow.

use super::error::InferError;
use super::posterior::Posterior;
use super::rejection::RejectionOptions;
use ndarray::{ArrayView2, Axis};
use serde::{Deserialize, Serialize};
use std::time::Instant;

/// Quartiles of the APE (percent).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApeSummary {
    /// Parameter name, or `"all"`.
    pub name: String,
    pub p25: f64,
    pub median: f64,
    pub p75: f64,
}

/// The evaluation of a posterior on held-out pairs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalReport {
    /// Held-out pairs.
    pub n: usize,
    /// Posterior samples per pair.
    pub samples: usize,
    /// APE quartiles per parameter, in parameter order.
    pub ape: Vec<ApeSummary>,
    /// APE quartiles over all parameters of all pairs (spec C.3 "global").
    pub ape_all: ApeSummary,
    /// APE quartiles over the two global parameters (α_IMF, log10 N_Ia) pooled: the
    /// paper's "2.3 (+1.7, −1.2) %".
    pub ape_global: ApeSummary,
    /// Mean flow log q(θ_true | x) (not renormalised for the prior support).
    pub mean_log_prob: f64,
    /// Mean fraction of draws inside the prior support.
    pub mean_acceptance: f64,
    /// Posterior means, shape `(n, 6)`, row-major.
    pub posterior_means: Vec<f64>,
    /// Seconds.
    pub seconds: f64,
}

/// Evaluates `posterior` on θ_true `(n, 6)` and their observations x `(n, n_obs)` (noise
/// already added): `samples` draws per pair, streams `rng::stream(seed, i)`.
pub fn evaluate(
    posterior: &Posterior,
    theta: ArrayView2<f64>,
    x: ArrayView2<f64>,
    samples: usize,
    seed: u64,
) -> Result<EvalReport, InferError> {
    let started = Instant::now();
    if theta.nrows() != x.nrows() || theta.ncols() != 6 {
        return Err(InferError::Shape {
            what: "held-out pairs".into(),
            expected: format!("theta (n, 6) and x (n, {})", posterior.flow().x_dim()),
            found: format!("{:?} and {:?}", theta.dim(), x.dim()),
        });
    }
    let b = posterior.sample_many(x, samples, seed, &RejectionOptions::default())?;
    let means = b
        .samples
        .mean_axis(Axis(1))
        .ok_or_else(|| InferError::option("samples", samples, "must be at least 1"))?;
    let mut per: Vec<Vec<f64>> = (0..6).map(|_| Vec::with_capacity(theta.nrows())).collect();
    for (t, m) in theta.rows().into_iter().zip(means.rows()) {
        for j in 0..6 {
            per[j].push(100.0 * (t[j] - m[j]).abs() / t[j].abs());
        }
    }
    let quart = |name: &str, v: &[f64]| -> ApeSummary {
        let mut s: Vec<f64> = v.iter().copied().filter(|a| !a.is_nan()).collect();
        s.sort_by(f64::total_cmp);
        let q = |p: f64| crate::stats::quantile_sorted(&s, p).unwrap_or(f64::NAN);
        ApeSummary {
            name: name.to_string(),
            p25: q(0.25),
            median: q(0.5),
            p75: q(0.75),
        }
    };
    let ape: Vec<ApeSummary> = posterior
        .param_names()
        .iter()
        .zip(&per)
        .map(|(n, v)| quart(n, v))
        .collect();
    let all: Vec<f64> = per.concat();
    let global: Vec<f64> = per[..2].concat();
    let lp = posterior.flow().log_prob(theta, x)?;
    Ok(EvalReport {
        n: theta.nrows(),
        samples,
        ape,
        ape_all: quart("all", &all),
        ape_global: quart("alpha_imf+log10_n_ia", &global),
        mean_log_prob: lp.iter().sum::<f64>() / lp.len().max(1) as f64,
        mean_acceptance: b.acceptance.iter().sum::<f64>() / b.acceptance.len().max(1) as f64,
        posterior_means: means.iter().copied().collect(),
        seconds: started.elapsed().as_secs_f64(),
    })
}
