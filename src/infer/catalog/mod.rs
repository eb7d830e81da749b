//! Inference on a catalog of stars (the library side of `infer(posterior, catalog, #{...})`):
//! validate the observed abundances, skip and report unusable rows, sample every usable star
//! with any [`Posterior`] (1000 draws by default, in parallel over stars), optionally refine
//! every star's draws with a simulator, summarise each star, and combine the stars into the
//! posterior of the global parameters.
//!
//! Star i's draws use stream id = its catalog row, so a star's draws do not change when
//! other rows are added, removed or skipped, nor with the number of threads.

pub mod average;
mod exact;
pub mod observe;
pub mod presets;
pub mod systematic;
pub mod table_input;
pub(crate) mod warnings;

use super::combine::exact::stars::ExactModels;
use super::combine::exact::{ExactCombined, ExactOptions};
use super::combine::{
    combine_running_in_blocks, CombineError, CombineMethod, Combined, GaussianPrior,
};
use super::error::InferError;
use super::star::{summarise, Refiner, StarSummary};
use crate::error::Vocabulary;
use crate::model::{DrawsResult, ObservedRows, Posterior, Simulator};
use crate::stats::{Draws, GaussianFit};
use observe::{validate, validate_masked, Observations, Problem, SkippedRow};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::time::Instant;

pub use presets::ColumnPreset;
pub use table_input::{ColumnMap, ObservationTable};

/// Settings of catalog inference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct InferOptions {
    /// Use only the first n usable rows (`None`: all).
    pub n_stars: Option<usize>,
    /// Posterior draws per star.
    pub samples: usize,
    /// Seed.
    pub seed: u64,
    /// Combination method.
    pub method: CombineMethod,
    /// Keep every star's draws in the result (48 MB for 1000 × 1000 × 6).
    pub keep_samples: bool,
    /// With a posterior that accepts missing values: the fewest usable values a star needs
    /// (`None`: half the observables, at least 2); stars with fewer are skipped.
    pub min_elements: Option<usize>,
    /// Combine exactly ([`crate::infer::combine::exact`]) instead of with Gaussian fits;
    /// the Gaussian combination of `method` starts its grid.
    pub exact: Option<ExactOptions>,
    /// A systematic floor of the global parameters added to the combined covariance
    /// (measured by `calib::estimate_floor` on mock galaxies); `None`: none.
    pub systematic: Option<systematic::FloorModel>,
}

impl Default for InferOptions {
    fn default() -> Self {
        InferOptions {
            n_stars: None,
            samples: 1000,
            seed: crate::rng::DEFAULT_SEED,
            method: CombineMethod::default(),
            keep_samples: false,
            min_elements: None,
            exact: None,
            systematic: None,
        }
    }
}

/// One point of the running combination (paper Fig. 5): the first `n_stars` stars.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunningPoint {
    pub n_stars: usize,
    /// Mean and sd of the global parameters; NaN where the combination does not exist.
    pub mean: Vec<f64>,
    pub sd: Vec<f64>,
    /// Why the combination does not exist for this n, if it does not.
    pub error: Option<String>,
}

impl RunningPoint {
    /// The point of the first `n_stars` stars from their combination (of `k` parameters).
    pub fn new(n_stars: usize, combination: &Result<Combined, CombineError>, k: usize) -> Self {
        match combination {
            Ok(c) => RunningPoint {
                n_stars,
                mean: c.mean.clone(),
                sd: c.sd.clone(),
                error: None,
            },
            Err(e) => RunningPoint {
                n_stars,
                mean: vec![f64::NAN; k],
                sd: vec![f64::NAN; k],
                error: Some(e.to_string()),
            },
        }
    }
}

/// The result of catalog inference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CatalogInference {
    /// Parameter names.
    pub param_names: Vec<String>,
    /// Names of the global parameters, in the order of the combined posterior.
    pub global_names: Vec<String>,
    /// Rows in the catalog.
    pub n_rows: usize,
    /// Rows skipped (missing or non-finite values, or posterior outside the prior support);
    /// a streamed inference keeps the first [`crate::infer::stream::SKIPPED_EXAMPLES`] (its
    /// per-star file lists all).
    pub skipped: Vec<SkippedRow>,
    /// Number of rows skipped.
    pub n_skipped: usize,
    /// Rows used with some values masked (missing, flagged, non-finite, or without a usable
    /// error), each with the reasons; only for a posterior that accepts missing values.
    #[serde(default)]
    pub masked: Vec<SkippedRow>,
    /// One summary per star used, in catalog order (empty for a streamed inference, which
    /// writes them to `stars_out`).
    pub stars: Vec<StarSummary>,
    /// Gaussian fits of every star's draws of the global parameters (empty when streamed).
    pub fits: Vec<GaussianFit>,
    /// The combined posterior of the global parameters.
    pub combined: Combined,
    /// The combination of the first n stars for n = 1 … N (streamed: at the stars of the
    /// first r catalog rows for r = 1 … 100 and 50 values of r per decade after).
    pub running: Vec<RunningPoint>,
    /// Mean acceptance rate over stars.
    pub mean_acceptance: f64,
    /// Draws per star.
    pub samples_per_star: usize,
    /// Every star's draws (in the order of `stars`), when `keep_samples`.
    #[serde(skip)]
    pub samples: Option<Vec<Draws>>,
    /// Differences between the catalog's errors and the posterior's training noise, poor
    /// refinement, estimates far outside the prior.
    pub warnings: Vec<String>,
    /// The simulator whose likelihood refined every star (importance sampling), if any.
    pub refined_with: Option<String>,
    /// Median effective sample size of the refined stars' weights (streamed: from a
    /// histogram, to 0.6 %).
    pub median_ess: Option<f64>,
    /// Σ over stars of log p(x_i) under the refining simulator (natural log), when every
    /// star was refined: the log evidence of the catalog for that simulator, which compares
    /// yield sets or model settings (in-memory `infer` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_evidence: Option<f64>,
    /// The per-star Parquet file written by a streamed inference.
    pub stars_out: Option<String>,
    /// Why the default combination fell back to the paper's (streamed `method` "auto").
    pub fallback: Option<String>,
    /// The systematic floor T `(2, 2)` (dex²) added to the combined covariance, at the
    /// combined mean, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub systematic: Option<[[f64; 2]; 2]>,
    /// The exact combination, when asked for (its numbers are then the result's).
    #[serde(default)]
    pub exact: Option<ExactCombined>,
    /// Wall-clock seconds.
    pub seconds: f64,
}

impl CatalogInference {
    /// The combined mean `(k)`, covariance `(k, k)` and standard deviations `(k)` of the
    /// global parameters: the exact combination's when there is one, else the Gaussian's.
    pub fn estimate(&self) -> (&[f64], &[Vec<f64>], &[f64]) {
        match &self.exact {
            Some(e) => (&e.mean, &e.cov, &e.sd),
            None => (&self.combined.mean, &self.combined.cov, &self.combined.sd),
        }
    }

    /// The combination's name: `exact_<density>` or the Gaussian method's.
    pub fn method_label(&self) -> String {
        match &self.exact {
            Some(e) => format!("exact_{}", e.density.name()),
            None => self.combined.method.name().to_string(),
        }
    }
}

/// Runs catalog inference; see the module documentation.
pub fn infer_catalog(
    posterior: &dyn Posterior,
    obs: &Observations,
    opts: &InferOptions,
) -> Result<CatalogInference, InferError> {
    infer_catalog_with(posterior, obs, opts, None)
}

/// [`infer_catalog_with`] plus the models of the exact combination's routes.
pub fn infer_catalog_exact(
    posterior: &dyn Posterior,
    obs: &Observations,
    opts: &InferOptions,
    refine: Option<&dyn Simulator>,
    models: ExactModels<'_>,
) -> Result<CatalogInference, InferError> {
    let mut keep = opts.clone();
    keep.keep_samples |= opts.exact.is_some();
    let mut r = match infer_catalog_with(posterior, obs, &keep, refine) {
        // the exact combination only needs a start: the paper's Gaussian always exists
        Err(InferError::Combine(CombineError::NotPositiveDefinite { .. }))
            if opts.exact.is_some() =>
        {
            keep.method = CombineMethod::Paper;
            infer_catalog_with(posterior, obs, &keep, refine)?
        }
        other => other?,
    };
    if let Some(e) = &opts.exact {
        let started = Instant::now();
        let draws = r.samples.take().unwrap_or_default();
        let rows: Vec<usize> = r.stars.iter().map(|s| s.row).collect();
        let sampled = exact::SampledStars {
            obs,
            rows: &rows,
            draws: &draws,
        };
        let c =
            exact::combine_catalog_exact(posterior, sampled, &r.combined, e, models, opts.seed)?;
        r.warnings.extend(c.warnings.iter().cloned());
        if !c.grid.converged {
            r.warnings.push(format!(
                "exact combination: the grid did not settle in {} rounds (heavy tails or a multimodal product); its moments are approximate",
                c.grid.rounds
            ));
        }
        r.exact = Some(c);
        if let (Some(f), Some(x)) = (&opts.systematic, r.exact.as_mut()) {
            r.systematic = Some(systematic::widen(&mut x.cov, &mut x.sd, &x.mean, f));
        }
        if opts.keep_samples {
            r.samples = Some(draws);
        }
        r.seconds += started.elapsed().as_secs_f64();
    }
    Ok(r)
}

/// [`infer_catalog`], with every star's draws refined by importance sampling with the
/// likelihood of `refine` (see [`super::star::refine`]) and the catalog's errors (else the
/// posterior's noise model) when a simulator is given. Stars whose draws all get weight 0
/// are skipped with the reason.
pub fn infer_catalog_with(
    posterior: &dyn Posterior,
    obs: &Observations,
    opts: &InferOptions,
    refine: Option<&dyn Simulator>,
) -> Result<CatalogInference, InferError> {
    let started = Instant::now();
    if let Some(f) = &opts.systematic {
        f.check()
            .map_err(|e| InferError::option("systematic", "", e))?;
    }
    let globals = global_indices(posterior)?;
    let refiner = refine.map(|sim| Refiner::new(posterior, sim)).transpose()?;
    let (rows, mut skipped, masked, mask) = select_rows(posterior, obs, opts)?;
    let part = Part {
        obs,
        offset: 0,
        rows: &rows,
        mask: &mask,
    };
    let per = infer_part(posterior, &part, opts, &globals, refiner.as_ref())?;
    skipped.extend(per.skipped);
    skipped.sort_by_key(|s| s.row);
    if per.fits.is_empty() {
        // every row was skipped: say why, with the first one
        return Err(observe::ObserveError::NoUsableRows {
            n_rows: obs.values.nrows(),
            first: skipped.first().cloned(),
        }
        .into());
    }
    let star_rows: Vec<usize> = per.stars.iter().map(|s| s.row).collect();
    let (combined, running) = combine_stars(posterior, &per.fits, &star_rows, opts.method)?;
    let mean_acceptance =
        per.stars.iter().map(|s| s.acceptance).sum::<f64>() / per.stars.len() as f64;
    let (warnings, median_ess) = warnings::result_warnings(
        posterior,
        obs,
        &rows,
        &per.stars,
        &combined,
        refiner.is_some(),
        opts.samples,
    );
    let log_evidence = per.stars.iter().map(|s| s.log_evidence).sum();
    let (mut combined, mut running) = (combined, running);
    let added = opts
        .systematic
        .as_ref()
        .map(|f| systematic::widen_all(&mut combined, &mut running, f));
    let space = posterior.space();
    Ok(CatalogInference {
        param_names: space.name_strings(),
        global_names: globals
            .iter()
            .filter_map(|&j| space.name(j))
            .map(str::to_string)
            .collect(),
        n_rows: obs.values.nrows(),
        n_skipped: skipped.len(),
        skipped,
        masked,
        stars: per.stars,
        fits: per.fits,
        combined,
        running,
        mean_acceptance,
        samples_per_star: opts.samples,
        samples: opts.keep_samples.then_some(per.draws),
        stars_out: None,
        fallback: None,
        exact: None,
        warnings,
        refined_with: refiner.map(|r| r.simulator()),
        median_ess,
        log_evidence,
        systematic: added,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// The positions of the posterior's global parameters (an error when it has none).
pub(crate) fn global_indices(posterior: &dyn Posterior) -> Result<Vec<usize>, InferError> {
    let globals = posterior.space().global_indices();
    if globals.is_empty() {
        return Err(InferError::option(
            "posterior",
            posterior.describe(),
            "has no global parameters to combine",
        ));
    }
    Ok(globals)
}

/// Rows of a catalog to infer: `rows` of `obs`, whose row 0 is catalog row `offset` (a
/// streamed batch; 0 for a whole catalog).
pub(crate) struct Part<'a, 'o> {
    pub obs: &'a Observations<'o>,
    pub offset: usize,
    pub rows: &'a [usize],
    /// `(obs rows, n_obs)`: `true` where a value is masked (all false for a posterior that
    /// does not accept missing values).
    pub mask: &'a ndarray::Array2<bool>,
}

/// Samples and summarises the stars of `part` (star ids: catalog rows), keeping their draws
/// when `opts.keep_samples`.
pub(crate) fn infer_part(
    posterior: &dyn Posterior,
    part: &Part,
    opts: &InferOptions,
    globals: &[usize],
    refiner: Option<&Refiner>,
) -> Result<PerStar, InferError> {
    let ids: Vec<u64> = part
        .rows
        .iter()
        .map(|&r| (part.offset + r) as u64)
        .collect();
    let draws = sample_stars(posterior, part.obs, part.rows, part.mask, &ids, opts)?;
    Ok(summarise_stars(
        part,
        draws,
        globals,
        refiner,
        posterior,
        opts.keep_samples,
    ))
}

/// Every star's draws: the rows `rows` of `obs` with their masks (`mask`, all rows) and, for
/// a posterior that conditions on errors, their errors.
fn sample_stars(
    posterior: &dyn Posterior,
    obs: &Observations,
    rows: &[usize],
    mask: &ndarray::Array2<bool>,
    ids: &[u64],
    opts: &InferOptions,
) -> Result<Vec<DrawsResult>, InferError> {
    let take = ndarray::Axis(0);
    let xs = obs.values.select(take, rows);
    let accepts = posterior.accepts();
    if !accepts.missing && !accepts.errors {
        return Ok(posterior.sample_many(xs.view(), ids, opts.samples, opts.seed)?);
    }
    let miss = mask.select(take, rows);
    let errs = obs
        .errors
        .filter(|_| accepts.errors)
        .map(|e| e.select(take, rows));
    let observed = ObservedRows {
        values: xs.view(),
        missing: Some(miss.view()),
        errors: errs.as_ref().map(|e| e.view()),
    };
    Ok(posterior.sample_observed(observed, ids, opts.samples, opts.seed)?)
}

/// The rows chosen by [`select_rows`]: used rows, skipped rows, rows used with masked
/// values, and the mask `(n_rows, n_obs)`.
type Selection = (
    Vec<usize>,
    Vec<SkippedRow>,
    Vec<SkippedRow>,
    ndarray::Array2<bool>,
);

/// The usable rows to infer (the first `n_stars` of them, if set) and the rows skipped or
/// masked before them, with their problems; too few draws per star is an error. A posterior
/// that accepts missing values keeps rows with at least `min_elements` usable values.
fn select_rows(
    posterior: &dyn Posterior,
    obs: &Observations,
    opts: &InferOptions,
) -> Result<Selection, InferError> {
    if opts.samples < 3 {
        return Err(InferError::option(
            "samples",
            opts.samples,
            "at least 3 per star are needed to fit a Gaussian",
        ));
    }
    let names = posterior.observables();
    let v = match min_present(posterior, opts)? {
        Some(needed) => validate_masked(obs, names, needed)?,
        None => validate(obs, names)?,
    };
    let (mut skipped, mut masked) = (v.skipped, v.masked);
    let rows: Vec<usize> = match opts.n_stars {
        Some(0) => return Err(InferError::option("n_stars", 0, "must be at least 1")),
        Some(n) => v.rows.iter().copied().take(n).collect(),
        None => v.rows,
    };
    // with n_stars, rows after the last star used are not requested, hence not "skipped"
    if let (Some(_), Some(&last)) = (opts.n_stars, rows.last()) {
        skipped.retain(|s| s.row < last);
        masked.retain(|s| s.row <= last);
    }
    Ok((rows, skipped, masked, v.mask))
}

/// With a posterior that accepts missing values, the fewest usable values a star needs
/// (`opts.min_elements`, by default half the observables and at least 2); else `None`.
pub(crate) fn min_present(
    posterior: &dyn Posterior,
    opts: &InferOptions,
) -> Result<Option<usize>, InferError> {
    if !posterior.accepts().missing {
        return Ok(None);
    }
    let n = posterior.observables().len();
    let needed = opts.min_elements.unwrap_or(n.div_ceil(2).max(2));
    if needed == 0 || needed > n {
        return Err(InferError::option(
            "min_elements",
            needed,
            format!("must be between 1 and the {n} observables"),
        ));
    }
    Ok(Some(needed))
}

/// The sampled stars, summarised: their draws (if kept), summaries and Gaussian fits of the
/// global parameters, and the stars that cannot be combined.
pub(crate) struct PerStar {
    pub draws: Vec<Draws>,
    pub stars: Vec<StarSummary>,
    pub fits: Vec<GaussianFit>,
    pub skipped: Vec<SkippedRow>,
}

/// One usable star (with its draws, if kept).
type StarOutcome = (Option<Draws>, StarSummary, GaussianFit);

/// Per-star summaries and Gaussian fits of the global parameters, in parallel over stars.
/// With a `refiner`, every star's draws are importance-weighted first (x and errors from
/// `obs`, else the posterior's noise). Summaries and skipped rows carry catalog rows.
fn summarise_stars(
    part: &Part,
    draws: Vec<DrawsResult>,
    globals: &[usize],
    refiner: Option<&Refiner>,
    posterior: &dyn Posterior,
    keep_draws: bool,
) -> PerStar {
    let obs = part.obs;
    let label = |r: usize| obs.labels.as_ref().and_then(|l| l.get(r).cloned());
    let outcomes: Vec<Result<StarOutcome, SkippedRow>> = part
        .rows
        .par_iter()
        .zip(draws.into_par_iter())
        .map(|(&row, d)| {
            let star = || -> Result<StarOutcome, String> {
                let d = d.map_err(|e| e.to_string())?;
                let d = match refiner {
                    None => d,
                    Some(r) => {
                        let sigma = star_errors(obs, row, posterior).ok_or("no errors to refine with: the catalog has no error columns and the posterior no noise model")?;
                        r.refine(&obs.values.row(row).to_vec(), &sigma, &d).map_err(|e| e.to_string())?
                    }
                };
                let fit = d.gaussian_fit(globals).map_err(|e| e.to_string())?;
                let summary = summarise(part.offset + row, label(row), &d).map_err(|e| e.to_string())?;
                Ok((keep_draws.then_some(d), summary, fit))
            };
            star().map_err(|message| unusable(obs, row, part.offset, message))
        })
        .collect();
    let mut out = PerStar {
        draws: Vec::with_capacity(outcomes.len()),
        stars: Vec::with_capacity(outcomes.len()),
        fits: Vec::with_capacity(outcomes.len()),
        skipped: Vec::new(),
    };
    for o in outcomes {
        match o {
            Ok((d, s, f)) => {
                out.draws.extend(d);
                out.stars.push(s);
                out.fits.push(f);
            }
            Err(s) => out.skipped.push(s),
        }
    }
    out
}

/// The errors of catalog row `row` (dex), else the posterior's noise.
fn star_errors(obs: &Observations, row: usize, posterior: &dyn Posterior) -> Option<Vec<f64>> {
    match &obs.errors {
        Some(e) => Some(e.row(row).to_vec()),
        None => posterior.noise().map(|n| n.sigma.clone()),
    }
}

/// A star (row `row` of `obs`, catalog row `offset + row`) that cannot be combined, with
/// the reason.
fn unusable(obs: &Observations, row: usize, offset: usize, message: String) -> SkippedRow {
    SkippedRow {
        row: offset + row,
        label: obs.labels.as_ref().and_then(|l| l.get(row).cloned()),
        problems: vec![Problem::Unusable { message }],
    }
}

/// The combination of all stars and the running combination of the first n stars; star i
/// is catalog row `rows[i]`.
fn combine_stars(
    posterior: &dyn Posterior,
    fits: &[GaussianFit],
    rows: &[usize],
    method: CombineMethod,
) -> Result<(Combined, Vec<RunningPoint>), InferError> {
    let gp = combination_prior(posterior, method, fits[0].mean.len())?;
    let run = combine_running_in_blocks(fits, rows, &gp, method)?;
    let combined = match run.last() {
        Some(Ok(c)) => c.clone(),
        Some(Err(e)) => return Err(InferError::Combine(e.clone())),
        None => return Err(InferError::Combine(CombineError::NoStars)),
    };
    let k = combined.mean.len();
    let running = run
        .iter()
        .enumerate()
        .map(|(i, r)| RunningPoint::new(i + 1, r, k))
        .collect();
    Ok((combined, running))
}

/// The prior of the `k` global parameters to divide out (or add) with `method`: the
/// posterior's, which must be Gaussian unless the method ignores it.
pub(crate) fn combination_prior(
    posterior: &dyn Posterior,
    method: CombineMethod,
    k: usize,
) -> Result<GaussianPrior, InferError> {
    match (global_prior(posterior), method.needs_prior()) {
        (Some(p), _) => Ok(p),
        // unused by the inverse-variance mean
        (None, false) => Ok(GaussianPrior::independent(&vec![0.0; k], &vec![1.0; k])),
        (None, true) => Err(InferError::option(
            "method",
            method,
            "the posterior's prior of the global parameters is not Gaussian; use \"inverse_variance\"",
        )),
    }
}

/// The Gaussian prior of the global parameters that every single-star posterior contains,
/// if their marginals are Gaussian.
pub fn global_prior(posterior: &dyn Posterior) -> Option<GaussianPrior> {
    let (mean, sd) = posterior.prior().global_gaussian()?;
    Some(GaussianPrior::independent(&mean, &sd))
}
