//! Quality of a posterior on held-out simulations (spec C.3): the absolute percentage error
//! of the posterior mean, APE = 100·|θ_true − θ̂|/|θ_true| with θ̂ the mean of the posterior
//! draws, summarised by its quartiles per parameter, over all parameters and over the
//! global parameters, and the mean log q(θ_true | x) of the posterior where it has a density.

use crate::catalog::Table;
use crate::error::Vocabulary;
use crate::infer::error::InferError;
use crate::infer::star::Refiner;
use crate::model::runs::successful_runs;
use crate::model::{NoiseModel, Posterior, Simulator};
use crate::stats::Draws;
use ndarray::{Array2, ArrayView2};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::time::Instant;

/// Posterior draws per held-out pair unless asked otherwise.
pub const DEFAULT_SAMPLES: usize = 1000;

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
    /// Posterior draws per pair.
    pub samples: usize,
    /// APE quartiles per parameter, in parameter order.
    pub ape: Vec<ApeSummary>,
    /// APE quartiles over all parameters of all pairs (spec C.3 "global").
    pub ape_all: ApeSummary,
    /// APE quartiles over the global parameters (α_IMF, log10 N_Ia) pooled.
    pub ape_global: ApeSummary,
    /// Mean log q(θ_true | x) over the pairs inside the prior support (not renormalised
    /// for the mass outside it); NaN for a posterior without a density.
    pub mean_log_prob: f64,
    /// Mean fraction of draws inside the prior support.
    pub mean_acceptance: f64,
    /// Posterior means, shape `(n, dim)`, row-major.
    pub posterior_means: Vec<f64>,
    /// Seconds.
    pub seconds: f64,
}

/// Held-out pairs from a runs table (see [`crate::model::runs`]): θ `(n, dim)` of the
/// successful runs and their outputs x `(n, n_obs)` with `noise` added once (random stream
/// `rng::derive(seed, 1)`, as the NPE pipeline adds its training noise).
pub fn held_out_pairs(
    posterior: &dyn Posterior,
    runs: &Table,
    noise: &NoiseModel,
    seed: u64,
) -> Result<(Array2<f64>, Array2<f64>), InferError> {
    let r = successful_runs(
        runs,
        &posterior.space().names(),
        &posterior
            .observables()
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    )
    .map_err(|e| InferError::option("runs", "table", e.to_string()))?;
    noise
        .validate(posterior.observables().len())
        .map_err(|e| InferError::option("noise", format!("{:?}", noise.sigma), e))?;
    let mut x = r.x;
    noise.add(&mut x, crate::rng::derive(seed, 1));
    Ok((r.theta, x))
}

/// Evaluates `posterior` on θ_true `(n, dim)` and their observations x `(n, n_obs)` (noise
/// already added): `samples` draws per pair, pair i from stream id i of `seed`.
pub fn evaluate(
    posterior: &dyn Posterior,
    theta: ArrayView2<f64>,
    x: ArrayView2<f64>,
    samples: usize,
    seed: u64,
) -> Result<EvalReport, InferError> {
    let started = Instant::now();
    check_pairs(posterior, theta, x)?;
    let ids: Vec<u64> = (0..x.nrows() as u64).collect();
    let draws = all_or_first_error(posterior.sample_many(x, &ids, samples, seed)?)?;
    let mean_rows: Vec<Vec<f64>> = draws.iter().map(Draws::mean).collect();
    let per = ape_per_parameter(theta, &mean_rows);
    let names = posterior.space().name_strings();
    let ape: Vec<ApeSummary> = names
        .iter()
        .zip(&per)
        .map(|(n, v)| ape_summary(n, v))
        .collect();
    let all: Vec<f64> = per.concat();
    let global: Vec<f64> = posterior
        .space()
        .global_indices()
        .iter()
        .flat_map(|&j| per[j].iter().copied())
        .collect();
    let mean_log_prob = match posterior.log_prob(theta, x) {
        Some(lp) => {
            let finite: Vec<f64> = lp?.into_iter().filter(|v| v.is_finite()).collect();
            finite.iter().sum::<f64>() / finite.len().max(1) as f64
        }
        None => f64::NAN,
    };
    let acc: Vec<f64> = draws
        .iter()
        .map(|d| d.acceptance().unwrap_or(1.0))
        .collect();
    Ok(EvalReport {
        n: theta.nrows(),
        samples,
        ape,
        ape_all: ape_summary("all", &all),
        ape_global: ape_summary(&global_name(posterior), &global),
        mean_log_prob,
        mean_acceptance: acc.iter().sum::<f64>() / acc.len().max(1) as f64,
        posterior_means: mean_rows.concat(),
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// The name of the pooled global parameters, e.g. `alpha_imf+log10_n_ia`.
fn global_name(posterior: &dyn Posterior) -> String {
    let s = posterior.space();
    s.global_indices()
        .iter()
        .filter_map(|&j| s.name(j))
        .collect::<Vec<_>>()
        .join("+")
}

/// The draws of every observation, or the first observation's error.
fn all_or_first_error(rows: Vec<crate::model::DrawsResult>) -> Result<Vec<Draws>, InferError> {
    rows.into_iter()
        .enumerate()
        .map(|(i, r)| {
            r.map_err(|e| match e {
                crate::model::ModelError::Unusable { .. } => {
                    InferError::option("held-out pair", i, e.to_string())
                }
                e => e.into(),
            })
        })
        .collect()
}

/// θ `(n, dim)` and x `(n, n_obs)` must have the same rows.
fn check_pairs(
    posterior: &dyn Posterior,
    theta: ArrayView2<f64>,
    x: ArrayView2<f64>,
) -> Result<(), InferError> {
    if theta.nrows() != x.nrows()
        || theta.ncols() != posterior.space().dim()
        || x.ncols() != posterior.observables().len()
    {
        return Err(InferError::shape(
            "held-out pairs",
            format!(
                "theta (n, {}) and x (n, {})",
                posterior.space().dim(),
                posterior.observables().len()
            ),
            format!("{:?} and {:?}", theta.dim(), x.dim()),
        ));
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
    /// Proposal draws per pair.
    pub samples: usize,
    /// APE quartiles of the posterior's means, global parameters pooled.
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

/// One held-out pair in [`evaluate_exact`]: the proposal's and the exact posterior means
/// and the effective sample size of the weights.
struct PairMeans {
    flow: Vec<f64>,
    exact: Vec<f64>,
    ess: f64,
}

/// Every pair's proposal and exact means, in parallel: the indices of the pairs whose draws
/// got usable weights and their means. Pairs whose draws all get weight 0 (e.g. every
/// simulation failed) are left out; with none left, the first reason is the error.
fn weigh_pairs(
    refiner: &Refiner,
    x: ArrayView2<f64>,
    sigma: &[f64],
    draws: &[Draws],
) -> Result<(Vec<usize>, Vec<PairMeans>), InferError> {
    let outcomes: Vec<Result<PairMeans, InferError>> = draws
        .par_iter()
        .enumerate()
        .map(|(i, d)| {
            let w = refiner.refine(&x.row(i).to_vec(), sigma, d)?;
            Ok(PairMeans {
                flow: d.mean(),
                exact: w.mean(),
                ess: w.ess(),
            })
        })
        .collect();
    let mut kept = Vec::with_capacity(outcomes.len());
    let mut per_pair = Vec::with_capacity(outcomes.len());
    let mut first_error = None;
    for (i, o) in outcomes.into_iter().enumerate() {
        match o {
            Ok(v) => {
                kept.push(i);
                per_pair.push(v);
            }
            Err(e) => first_error = first_error.or(Some(e)),
        }
    }
    match (per_pair.is_empty(), first_error) {
        (true, Some(e)) => Err(e),
        _ => Ok((kept, per_pair)),
    }
}

/// Compares `posterior` with the exact posterior given the likelihood of `sim` and the
/// posterior's noise model: for every held-out pair (θ_true `(n, dim)`, noisy x `(n, n_obs)`),
/// `samples` draws (pair i from stream id i) are importance-weighted
/// ([`crate::infer::star::importance`]); reports the APE of both posterior means and the
/// effective sample sizes. Costs `n · samples` simulator runs (pairs in parallel).
pub fn evaluate_exact(
    posterior: &dyn Posterior,
    sim: &dyn Simulator,
    theta: ArrayView2<f64>,
    x: ArrayView2<f64>,
    samples: usize,
    seed: u64,
) -> Result<ExactReport, InferError> {
    let started = Instant::now();
    check_pairs(posterior, theta, x)?;
    let sigma = posterior
        .noise()
        .ok_or_else(|| {
            InferError::option(
                "posterior",
                posterior.describe(),
                "has no noise model to weight with",
            )
        })?
        .sigma
        .clone();
    let refiner = Refiner::new(posterior, sim)?;
    let ids: Vec<u64> = (0..x.nrows() as u64).collect();
    let draws = all_or_first_error(posterior.sample_many(x, &ids, samples, seed)?)?;
    let (kept, per_pair) = weigh_pairs(&refiner, x, &sigma, &draws)?;
    let n_unweighted = draws.len() - kept.len();
    let theta = theta.select(ndarray::Axis(0), &kept);
    let flow_means: Vec<Vec<f64>> = per_pair.iter().map(|p| p.flow.clone()).collect();
    let exact_means: Vec<Vec<f64>> = per_pair.iter().map(|p| p.exact.clone()).collect();
    let mut ess: Vec<f64> = per_pair.iter().map(|p| p.ess).collect();
    ess.sort_by(f64::total_cmp);
    let flow = ape_per_parameter(theta.view(), &flow_means);
    let exact = ape_per_parameter(theta.view(), &exact_means);
    let g = posterior.space().global_indices();
    let pooled =
        |per: &[Vec<f64>]| -> Vec<f64> { g.iter().flat_map(|&j| per[j].iter().copied()).collect() };
    let name = global_name(posterior);
    Ok(ExactReport {
        n: theta.nrows(),
        n_unweighted,
        samples,
        ape_global_flow: ape_summary(&name, &pooled(&flow)),
        ape_global_exact: ape_summary(&name, &pooled(&exact)),
        ape_exact: posterior
            .space()
            .name_strings()
            .iter()
            .zip(&exact)
            .map(|(n, v)| ape_summary(n, v))
            .collect(),
        median_ess: crate::stats::quantile_sorted(&ess, 0.5).unwrap_or(f64::NAN),
        min_ess: ess.first().copied().unwrap_or(f64::NAN),
        seconds: started.elapsed().as_secs_f64(),
    })
}
