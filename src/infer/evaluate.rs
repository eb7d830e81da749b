//! Quality of a posterior on held-out simulations (spec C.3): the absolute percentage error
//! of the posterior mean, APE = 100·|θ_true − θ̂|/|θ_true| with θ̂ the mean of the posterior
//! samples, summarised by its quartiles per parameter and over all parameters, and the mean
//! log q(θ_true | x) of the flow.

use super::error::InferError;
use super::importance::{importance_weights, weighted_mean};
use super::posterior::Posterior;
use super::rejection::RejectionOptions;
use super::simulator::Simulator;
use ndarray::{Array2, ArrayView2, Axis};
use rayon::prelude::*;
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
    check_pairs(posterior, theta, x)?;
    let b = posterior.sample_many(x, samples, seed, &RejectionOptions::default())?;
    let means = b
        .samples
        .mean_axis(Axis(1))
        .ok_or_else(|| InferError::option("samples", samples, "must be at least 1"))?;
    let mean_rows: Vec<Vec<f64>> = means.rows().into_iter().map(|r| r.to_vec()).collect();
    let per = ape_per_parameter(theta, &mean_rows);
    let ape: Vec<ApeSummary> = posterior
        .param_names()
        .iter()
        .zip(&per)
        .map(|(n, v)| ape_summary(n, v))
        .collect();
    let all: Vec<f64> = per.concat();
    let global: Vec<f64> = per[..2].concat();
    let lp = posterior.flow().log_prob(theta, x)?;
    Ok(EvalReport {
        n: theta.nrows(),
        samples,
        ape,
        ape_all: ape_summary("all", &all),
        ape_global: ape_summary("alpha_imf+log10_n_ia", &global),
        mean_log_prob: lp.iter().sum::<f64>() / lp.len().max(1) as f64,
        mean_acceptance: b.acceptance.iter().sum::<f64>() / b.acceptance.len().max(1) as f64,
        posterior_means: means.iter().copied().collect(),
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// θ `(n, 6)` and x `(n, ·)` must have the same rows.
fn check_pairs(
    posterior: &Posterior,
    theta: ArrayView2<f64>,
    x: ArrayView2<f64>,
) -> Result<(), InferError> {
    if theta.nrows() != x.nrows() || theta.ncols() != 6 {
        return Err(InferError::Shape {
            what: "held-out pairs".into(),
            expected: format!("theta (n, 6) and x (n, {})", posterior.flow().x_dim()),
            found: format!("{:?} and {:?}", theta.dim(), x.dim()),
        });
    }
    Ok(())
}

/// Quartiles of a set of APE values (NaN values ignored; NaN quartiles when none is left).
fn ape_summary(name: &str, v: &[f64]) -> ApeSummary {
    let mut s: Vec<f64> = v.iter().copied().filter(|a| !a.is_nan()).collect();
    s.sort_by(f64::total_cmp);
    let q = |p: f64| crate::stats::quantile_sorted(&s, p).unwrap_or(f64::NAN);
    ApeSummary {
        name: name.to_string(),
        p25: q(0.25),
        median: q(0.5),
        p75: q(0.75),
    }
}

/// APE = 100·|t − m|/|t| of every pair, per parameter: `per[j][i]` for parameter j, pair i.
fn ape_per_parameter(theta: ArrayView2<f64>, means: &[Vec<f64>]) -> Vec<Vec<f64>> {
    (0..theta.ncols())
        .map(|j| {
            theta
                .rows()
                .into_iter()
                .zip(means)
                .map(|(t, m)| 100.0 * (t[j] - m[j]).abs() / t[j].abs())
                .collect()
        })
        .collect()
}

/// The flow against the exact posterior on held-out pairs (see [`evaluate_exact`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExactReport {
    /// Held-out pairs in the APEs.
    pub n: usize,
    /// Pairs left out because none of their draws got a positive weight.
    pub n_unweighted: usize,
    /// Flow draws per pair.
    pub samples: usize,
    /// APE quartiles of the flow's posterior means, (α_IMF, log10 N_Ia) pooled.
    pub ape_global_flow: ApeSummary,
    /// APE quartiles of the exact posterior means (importance-weighted), pooled likewise:
    /// the best any estimator of the posterior mean can do on these pairs.
    pub ape_global_exact: ApeSummary,
    /// Exact-posterior APE quartiles per parameter, in parameter order.
    pub ape_exact: Vec<ApeSummary>,
    /// Median effective sample size of the importance weights.
    pub median_ess: f64,
    /// Smallest effective sample size.
    pub min_ess: f64,
    /// Seconds.
    pub seconds: f64,
}

/// The flow's and the exact posterior means of every pair, in parallel: `draws`
/// `(n, samples, 6)` are the flow's draws for the observations `x` `(n, n_obs)`.
fn exact_means(
    posterior: &Posterior,
    sim: &dyn Simulator,
    x: ArrayView2<f64>,
    draws: &ndarray::Array3<f64>,
) -> Vec<Result<PairMeans, InferError>> {
    let sigma = &posterior.noise().sigma;
    (0..x.nrows())
        .into_par_iter()
        .map(|i| {
            let s = draws.index_axis(Axis(0), i);
            let xi = x.row(i).to_vec();
            let xs = Array2::from_shape_fn((s.nrows(), xi.len()), |(_, j)| xi[j]);
            let log_q = posterior.flow().log_prob(s, xs.view())?;
            let imp = importance_weights(posterior.prior(), sim, &xi, sigma, s, &log_q)?;
            let flow_mean = weighted_mean(s, &vec![1.0 / s.nrows() as f64; s.nrows()]);
            Ok(PairMeans {
                flow: flow_mean,
                exact: weighted_mean(s, &imp.weights),
                ess: imp.ess,
            })
        })
        .collect()
}

/// One held-out pair in [`evaluate_exact`]: the flow's and the exact posterior means
/// `(6)` and the effective sample size of the weights.
struct PairMeans {
    flow: Vec<f64>,
    exact: Vec<f64>,
    ess: f64,
}

/// Compares the flow with the exact posterior given the likelihood of `sim` and the
/// posterior's noise model: for every held-out pair (θ_true `(n, 6)`, noisy x `(n, n_obs)`),
/// `samples` flow draws (streams `rng::stream(seed, i)`) are importance-weighted
/// ([`super::importance`]); reports the APE of both posterior means and the effective
/// sample sizes. Costs `n · samples` simulator runs (pairs in parallel).
pub fn evaluate_exact(
    posterior: &Posterior,
    sim: &dyn Simulator,
    theta: ArrayView2<f64>,
    x: ArrayView2<f64>,
    samples: usize,
    seed: u64,
) -> Result<ExactReport, InferError> {
    let started = Instant::now();
    check_pairs(posterior, theta, x)?;
    let b = posterior.sample_many(x, samples, seed, &RejectionOptions::default())?;
    let outcomes = exact_means(posterior, sim, x, &b.samples);
    // pairs whose draws all get weight 0 (e.g. every simulation failed) are left out of
    // both APEs; with none left, the first reason is the error
    let kept: Vec<usize> = (0..outcomes.len())
        .filter(|&i| outcomes[i].is_ok())
        .collect();
    let n_unweighted = outcomes.len() - kept.len();
    let mut per_pair = Vec::with_capacity(kept.len());
    let mut first_error = None;
    for o in outcomes {
        match o {
            Ok(v) => per_pair.push(v),
            Err(e) => first_error = first_error.or(Some(e)),
        }
    }
    if let (true, Some(e)) = (per_pair.is_empty(), first_error) {
        return Err(e);
    }
    let theta = theta.select(Axis(0), &kept);
    let flow_means: Vec<Vec<f64>> = per_pair.iter().map(|p| p.flow.clone()).collect();
    let exact_means: Vec<Vec<f64>> = per_pair.iter().map(|p| p.exact.clone()).collect();
    let mut ess: Vec<f64> = per_pair.iter().map(|p| p.ess).collect();
    ess.sort_by(f64::total_cmp);
    let flow = ape_per_parameter(theta.view(), &flow_means);
    let exact = ape_per_parameter(theta.view(), &exact_means);
    const GLOBAL: &str = "alpha_imf+log10_n_ia";
    Ok(ExactReport {
        n: theta.nrows(),
        n_unweighted,
        samples,
        ape_global_flow: ape_summary(GLOBAL, &flow[..2].concat()),
        ape_global_exact: ape_summary(GLOBAL, &exact[..2].concat()),
        ape_exact: posterior
            .param_names()
            .iter()
            .zip(&exact)
            .map(|(n, v)| ape_summary(n, v))
            .collect(),
        median_ess: crate::stats::quantile_sorted(&ess, 0.5).unwrap_or(f64::NAN),
        min_ess: ess.first().copied().unwrap_or(f64::NAN),
        seconds: started.elapsed().as_secs_f64(),
    })
}
