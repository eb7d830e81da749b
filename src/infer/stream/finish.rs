//! The end of a streamed inference: the blocks' results, folded in block order, become the
//! result of the whole catalog — the combination, the running combination, the skipped rows,
//! the warnings. The fold is a pure function of the blocks, so a single process and the
//! merge of any number of shards give the same numbers, to the bit.

use super::block::{error_histogram, ess_histogram, BlockResult};
use super::SKIPPED_EXAMPLES;
use crate::error::Vocabulary;
use crate::infer::catalog::observe::ObserveError;
use crate::infer::catalog::warnings::{
    ess_warning_of, noise_warning_of, prior_distance_warning_of,
};
use crate::infer::catalog::{CatalogInference, RunningPoint};
use crate::infer::combine::{CombineError, CombineMethod, Combined, GaussianPrior, GaussianSums};
use crate::infer::error::InferError;
use crate::model::Posterior;
use serde::{Deserialize, Serialize};

/// What the fold needs to know of the posterior (kept in partial files, so that a merge
/// needs no posterior).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PosteriorFacts {
    /// Parameter names.
    pub param_names: Vec<String>,
    /// Names of the global parameters.
    pub global_names: Vec<String>,
    /// Observable names.
    pub observables: Vec<String>,
    /// Mean and sd of the Gaussian prior of the globals, if it is Gaussian.
    pub prior_global: Option<(Vec<f64>, Vec<f64>)>,
    /// The training noise per observable (dex), if fixed.
    pub noise: Option<Vec<f64>>,
    /// The simulator that refined every star, if any.
    pub refined_with: Option<String>,
}

impl PosteriorFacts {
    /// The facts of `posterior` (refined with `refined_with`).
    pub fn of(posterior: &dyn Posterior, refined_with: Option<String>) -> Self {
        let space = posterior.space();
        PosteriorFacts {
            param_names: space.name_strings(),
            global_names: space
                .global_indices()
                .iter()
                .filter_map(|&j| space.name(j))
                .map(str::to_string)
                .collect(),
            observables: posterior.observables().to_vec(),
            prior_global: posterior.prior().global_gaussian(),
            noise: posterior.noise().map(|n| n.sigma.clone()),
            refined_with,
        }
    }
}

/// How to combine: a method, or `None` for the default (divide the prior out, falling back
/// to the paper's combination when the stars cannot carry the division).
pub type MethodChoice = Option<CombineMethod>;

/// Everything the blocks add up to.
struct Totals {
    sums: GaussianSums,
    acceptance: f64,
    n_skipped: usize,
    skipped: Vec<crate::infer::catalog::observe::SkippedRow>,
    ess: crate::stats::LogHistogram,
    poor_ess: usize,
    errors: Option<Vec<crate::stats::LogHistogram>>,
}

fn totals(k: usize, blocks: &[BlockResult]) -> Result<Totals, InferError> {
    let mut t = Totals {
        sums: GaussianSums::new(k),
        acceptance: 0.0,
        n_skipped: 0,
        skipped: Vec::new(),
        ess: ess_histogram(),
        poor_ess: 0,
        errors: None,
    };
    let merge_error = |e: String| InferError::shape("block histograms", "one grid", e);
    for b in blocks {
        t.sums.merge(&b.sums)?;
        t.acceptance += b.acceptance_sum;
        t.n_skipped += b.n_skipped;
        let room = SKIPPED_EXAMPLES.saturating_sub(t.skipped.len());
        t.skipped.extend(b.skipped.iter().take(room).cloned());
        if let Some(h) = &b.ess {
            t.ess.merge(h).map_err(merge_error)?;
        }
        t.poor_ess += b.poor_ess;
        if let Some(e) = &b.errors {
            let acc = t
                .errors
                .get_or_insert_with(|| vec![error_histogram(); e.len()]);
            for (a, h) in acc.iter_mut().zip(e) {
                a.merge(h).map_err(merge_error)?;
            }
        }
    }
    Ok(t)
}

/// The prior of the globals to divide out (or add) with `method`.
fn prior_for(facts: &PosteriorFacts, method: CombineMethod) -> Result<GaussianPrior, InferError> {
    let k = facts.global_names.len();
    match (&facts.prior_global, method.needs_prior()) {
        (Some((m, s)), _) => Ok(GaussianPrior::independent(m, s)),
        (None, false) => Ok(GaussianPrior::independent(&vec![0.0; k], &vec![1.0; k])),
        (None, true) => Err(InferError::option(
            "method",
            method,
            "the posterior's prior of the global parameters is not Gaussian; use \"inverse_variance\"",
        )),
    }
}

/// The combination of all stars with the chosen method, the method used and why the default
/// fell back, if it did.
fn combine_all(
    facts: &PosteriorFacts,
    sums: &GaussianSums,
    choice: MethodChoice,
) -> Result<(Combined, GaussianPrior, Option<String>), InferError> {
    let method = choice.unwrap_or(CombineMethod::DividePrior);
    let gp = prior_for(facts, method)?;
    match (sums.finish(&gp, method), choice) {
        (Ok(c), _) => Ok((c, gp, None)),
        (Err(e @ CombineError::NotPositiveDefinite { .. }), None) => {
            let gp = prior_for(facts, CombineMethod::Paper)?;
            let c = sums.finish(&gp, CombineMethod::Paper)?;
            Ok((c, gp, Some(e.to_string())))
        }
        (Err(e), _) => Err(e.into()),
    }
}

/// The running combination at the blocks' checkpoints (a point per distinct number of
/// stars).
fn running(
    blocks: &[BlockResult],
    gp: &GaussianPrior,
    method: CombineMethod,
    k: usize,
) -> Result<Vec<RunningPoint>, InferError> {
    let mut done = GaussianSums::new(k);
    let mut out: Vec<RunningPoint> = Vec::new();
    for b in blocks {
        for (_, local) in &b.checkpoints {
            let mut prefix = done.clone();
            prefix.merge(local)?;
            if prefix.n == 0 || out.last().is_some_and(|p| p.n_stars == prefix.n) {
                continue;
            }
            out.push(RunningPoint::new(prefix.n, &prefix.finish(gp, method), k));
        }
        done.merge(&b.sums)?;
    }
    Ok(out)
}

/// The result of a streamed inference of `n_rows` catalog rows from its `blocks` (all of
/// them, in order) with `samples` draws per star; `stars` and `fits` are empty (they are in
/// the per-star file `stars_out`), `seconds` is 0 (the caller times).
pub fn finish(
    facts: &PosteriorFacts,
    choice: MethodChoice,
    samples: usize,
    n_rows: usize,
    blocks: &[BlockResult],
    stars_out: Option<String>,
) -> Result<CatalogInference, InferError> {
    let k = facts.global_names.len();
    let t = totals(k, blocks)?;
    if t.sums.n == 0 {
        return Err(ObserveError::NoUsableRows {
            n_rows,
            first: t.skipped.first().cloned(),
        }
        .into());
    }
    let (combined, gp, fallback) = combine_all(facts, &t.sums, choice)?;
    let running = running(blocks, &gp, combined.method, k)?;
    let refined = facts.refined_with.is_some();
    let median_ess = refined.then(|| t.ess.quantile(0.5)).flatten();
    let mut warnings = Vec::new();
    if let (false, Some(errors), Some(noise)) = (refined, &t.errors, &facts.noise) {
        for ((name, h), &trained) in facts.observables.iter().zip(errors).zip(noise) {
            if let Some(med) = h.quantile(0.5) {
                warnings.extend(noise_warning_of(name, med, trained));
            }
        }
    }
    if let Some(m) = median_ess {
        warnings.extend(ess_warning_of(
            m,
            t.poor_ess,
            t.ess.count() as usize,
            samples,
        ));
    }
    if let Some((mean, sd)) = &facts.prior_global {
        warnings.extend(prior_distance_warning_of(
            mean,
            sd,
            &facts.global_names,
            &combined,
        ));
    }
    Ok(CatalogInference {
        param_names: facts.param_names.clone(),
        global_names: facts.global_names.clone(),
        n_rows,
        skipped: t.skipped,
        n_skipped: t.n_skipped,
        // not collected by a streamed inference (a known gap: rows with masked values are
        // used, but not listed)
        masked: Vec::new(),
        stars: Vec::new(),
        fits: Vec::new(),
        mean_acceptance: t.acceptance / t.sums.n as f64,
        combined,
        running,
        samples_per_star: samples,
        samples: None,
        warnings,
        refined_with: facts.refined_with.clone(),
        median_ess,
        log_evidence: None,
        systematic: None,
        seconds: 0.0,
        stars_out,
        fallback,
        exact: None,
    })
}
