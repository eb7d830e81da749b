//! Inference on a catalog of stars (the library side of `infer(posterior, catalog, #{...})`):
//! validate the observed abundances, skip and report unusable rows, sample every usable star
//! (1000 samples by default, rayon over stars), summarise each star, and combine the stars
//! into the posterior of the global parameters (α_IMF, log10 N_Ia).
//!
//! Star i's samples use the random stream `rng::stream(seed, row)` of its catalog row, so a
//! star's samples do not change when other rows are added, removed or skipped, nor with the
//! number of threads.

use super::combine::{combine_running, fit_star, CombineError, CombineMethod, Combined, StarFit};
use super::error::InferError;
use super::observe::{validate, Observations, SkippedRow};
use super::posterior::Posterior;
use super::refine::Refiner;
use super::rejection::RejectionOptions;
use super::simulator::Simulator;
use ndarray::{s, Array2, Array3, Axis};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::time::Instant;

/// Quantile levels of the per-star summaries: 2.5, 16, 50, 84, 97.5 %.
pub const SUMMARY_LEVELS: [f64; 5] = [0.025, 0.16, 0.5, 0.84, 0.975];

/// Settings of catalog inference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct InferOptions {
    /// Use only the first n usable rows (`None`: all).
    pub n_stars: Option<usize>,
    /// Posterior samples per star.
    pub samples: usize,
    /// Seed.
    pub seed: u64,
    /// Combination method.
    pub method: CombineMethod,
    /// Keep every star's samples in the result (`(n_stars, samples, 6)`, 48 MB for
    /// 1000 × 1000).
    pub keep_samples: bool,
    /// Rejection settings.
    pub rejection: RejectionOptions,
}

impl Default for InferOptions {
    fn default() -> Self {
        InferOptions {
            n_stars: None,
            samples: 1000,
            seed: crate::rng::DEFAULT_SEED,
            method: CombineMethod::default(),
            keep_samples: false,
            rejection: RejectionOptions::default(),
        }
    }
}

/// The posterior summary of one star.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StarSummary {
    /// Catalog row (0-based).
    pub row: usize,
    /// Row label, if given.
    pub label: Option<String>,
    /// Posterior mean of each parameter.
    pub mean: Vec<f64>,
    /// Posterior standard deviation (N − 1) of each parameter.
    pub sd: Vec<f64>,
    /// Per parameter the quantiles at [`SUMMARY_LEVELS`].
    pub quantiles: Vec<[f64; 5]>,
    /// Fraction of flow draws inside the prior support.
    pub acceptance: f64,
    /// Effective sample size of the importance weights when the star was refined with a
    /// simulator (the summary is then of the weighted draws).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ess: Option<f64>,
}

/// One point of the running combination (paper Fig. 5): the first `n_stars` stars.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunningPoint {
    pub n_stars: usize,
    /// Mean and sd of (α_IMF, log10 N_Ia); NaN where the combination does not exist.
    pub mean: [f64; 2],
    pub sd: [f64; 2],
    /// Why the combination does not exist for this n, if it does not.
    pub error: Option<String>,
}

/// The result of catalog inference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CatalogInference {
    /// Parameter names.
    pub param_names: Vec<String>,
    /// Rows in the catalog.
    pub n_rows: usize,
    /// Rows skipped (missing or non-finite values, or posterior outside the prior support).
    pub skipped: Vec<SkippedRow>,
    /// One summary per star used, in catalog order.
    pub stars: Vec<StarSummary>,
    /// Gaussian fits of every star's (α_IMF, log10 N_Ia) samples.
    pub fits: Vec<StarFit>,
    /// The combined posterior of (α_IMF, log10 N_Ia).
    pub combined: Combined,
    /// The combination of the first n stars for n = 1 … N.
    pub running: Vec<RunningPoint>,
    /// Mean acceptance rate over stars.
    pub mean_acceptance: f64,
    /// Samples per star.
    pub samples_per_star: usize,
    /// All samples, shape `(n_stars, samples, 6)`, when `keep_samples`.
    #[serde(skip)]
    pub samples: Option<Array3<f64>>,
    /// Differences between the catalog's errors and the posterior's training noise.
    pub warnings: Vec<String>,
    /// The simulator whose likelihood refined every star (importance sampling), if any.
    pub refined_with: Option<String>,
    /// Median effective sample size of the refined stars' weights.
    pub median_ess: Option<f64>,
    /// Wall-clock seconds.
    pub seconds: f64,
}

/// Runs catalog inference; see the module documentation.
pub fn infer_catalog(
    posterior: &Posterior,
    obs: &Observations,
    opts: &InferOptions,
) -> Result<CatalogInference, InferError> {
    infer_catalog_with(posterior, obs, opts, None)
}

/// [`infer_catalog`], with every star's draws refined by importance sampling with the
/// likelihood of `refine` (see [`super::refine`]) and the catalog's errors (else the
/// posterior's noise model) when a simulator is given. Stars whose draws all get weight 0
/// are skipped with the reason.
pub fn infer_catalog_with(
    posterior: &Posterior,
    obs: &Observations,
    opts: &InferOptions,
    refine: Option<&dyn Simulator>,
) -> Result<CatalogInference, InferError> {
    let started = Instant::now();
    let (rows, mut skipped) = select_rows(posterior, obs, opts)?;
    let xs = obs.values.select(Axis(0), &rows);
    let ids: Vec<u64> = rows.iter().map(|&r| r as u64).collect();
    let (samples, outcomes) =
        posterior.sample_ids(xs.view(), &ids, opts.samples, opts.seed, &opts.rejection)?;
    let PerStar {
        kept,
        stars,
        fits,
        skipped: unusable,
    } = summarise_stars(
        obs,
        &rows,
        &samples,
        &outcomes,
        refine.map(|sim| Refiner { posterior, sim }).as_ref(),
    );
    skipped.extend(unusable);
    skipped.sort_by_key(|s| s.row);
    if fits.is_empty() {
        // every row was skipped: say why, with the first one
        return Err(super::observe::ObserveError::NoUsableRows {
            n_rows: obs.values.nrows(),
            first: skipped.first().cloned(),
        }
        .into());
    }
    let (combined, running) = combine_stars(posterior, &fits, opts.method)?;
    let mean_acceptance = stars.iter().map(|s| s.acceptance).sum::<f64>() / stars.len() as f64;
    let samples = opts.keep_samples.then(|| samples.select(Axis(0), &kept));
    let (warnings, median_ess) = result_warnings(
        posterior,
        obs,
        &rows,
        &stars,
        &combined,
        refine.is_some(),
        opts.samples,
    );
    Ok(CatalogInference {
        param_names: posterior.param_names().to_vec(),
        n_rows: obs.values.nrows(),
        skipped,
        stars,
        fits,
        combined,
        running,
        mean_acceptance,
        samples_per_star: opts.samples,
        samples,
        warnings,
        refined_with: refine.map(|sim| sim.describe()),
        median_ess,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// The usable rows to infer (the first `n_stars` of them, if set) and the rows skipped
/// before them, with their problems; too few samples per star is an error.
fn select_rows(
    posterior: &Posterior,
    obs: &Observations,
    opts: &InferOptions,
) -> Result<(Vec<usize>, Vec<SkippedRow>), InferError> {
    if opts.samples < 3 {
        return Err(InferError::option(
            "samples",
            opts.samples,
            "at least 3 per star are needed to fit a Gaussian",
        ));
    }
    let v = validate(obs, posterior.obs_names())?;
    let mut skipped = v.skipped;
    let rows: Vec<usize> = match opts.n_stars {
        Some(0) => return Err(InferError::option("n_stars", 0, "must be at least 1")),
        Some(n) => v.rows.iter().copied().take(n).collect(),
        None => v.rows,
    };
    // with n_stars, rows after the last star used are not requested, hence not "skipped"
    if let (Some(_), Some(&last)) = (opts.n_stars, rows.last()) {
        skipped.retain(|s| s.row < last);
    }
    Ok((rows, skipped))
}

/// The sampled stars, summarised: which of them (indices into the sampled rows) can be
/// combined, their summaries and Gaussian fits, and the ones that cannot.
struct PerStar {
    kept: Vec<usize>,
    stars: Vec<StarSummary>,
    fits: Vec<StarFit>,
    skipped: Vec<SkippedRow>,
}

/// Per-star summaries and Gaussian fits of (α_IMF, log10 N_Ia), in parallel over stars;
/// `samples` is `(stars, n, D)` for the catalog rows `rows`. With a `refiner`, every star's
/// draws are importance-weighted first (x and errors from `obs`, else the posterior's noise).
fn summarise_stars(
    obs: &Observations,
    rows: &[usize],
    samples: &Array3<f64>,
    outcomes: &[super::batch::ObsResult],
    refiner: Option<&Refiner>,
) -> PerStar {
    let label = |r: usize| obs.labels.as_ref().and_then(|l| l.get(r).cloned());
    let per_star: Vec<Result<(StarSummary, StarFit), SkippedRow>> = rows
        .par_iter()
        .zip(outcomes.par_iter())
        .enumerate()
        .map(|(i, (&row, out))| {
            let acc = *out
                .as_ref()
                .map_err(|e| unusable(obs, row, e.to_string()))?;
            let s = samples.index_axis(Axis(0), i);
            let star = match refiner {
                None => fit_star(row, s.slice(s![.., 0..2]))
                    .map(|fit| (summarise(row, label(row), s, acc), fit))
                    .map_err(|e| e.to_string()),
                Some(r) => {
                    let x = obs.values.row(row).to_vec();
                    let sigma = match &obs.errors {
                        Some(e) => e.row(row).to_vec(),
                        None => r.posterior.noise().sigma.clone(),
                    };
                    r.star(row, label(row), &x, &sigma, s, acc)
                        .map(|r| (r.summary, r.fit))
                        .map_err(|e| e.to_string())
                }
            };
            star.map_err(|message| unusable(obs, row, message))
        })
        .collect();
    collect_stars(per_star)
}

/// A star that cannot be combined, with the reason.
fn unusable(obs: &Observations, row: usize, message: String) -> SkippedRow {
    SkippedRow {
        row,
        label: obs.labels.as_ref().and_then(|l| l.get(row).cloned()),
        problems: vec![super::observe::Problem::Unusable { message }],
    }
}

/// Splits per-star outcomes (in sampled-row order) into kept stars and skipped rows.
fn collect_stars(per_star: Vec<Result<(StarSummary, StarFit), SkippedRow>>) -> PerStar {
    let mut out = PerStar {
        kept: Vec::with_capacity(per_star.len()),
        stars: Vec::with_capacity(per_star.len()),
        fits: Vec::with_capacity(per_star.len()),
        skipped: Vec::new(),
    };
    for (i, r) in per_star.into_iter().enumerate() {
        match r {
            Ok((summary, fit)) => {
                out.stars.push(summary);
                out.fits.push(fit);
                out.kept.push(i);
            }
            Err(s) => out.skipped.push(s),
        }
    }
    out
}

/// The combination of all stars and the running combination of the first n stars.
fn combine_stars(
    posterior: &Posterior,
    fits: &[StarFit],
    method: CombineMethod,
) -> Result<(Combined, Vec<RunningPoint>), InferError> {
    let needs_prior = method != CombineMethod::InverseVariance;
    let gp = match (posterior.global_prior(), needs_prior) {
        (Some(p), _) => p,
        (None, false) => super::combine::Gaussian2::paper_prior(),
        (None, true) => {
            return Err(InferError::option(
                "method",
                method,
                "the posterior's prior of (alpha_imf, log10_n_ia) is not Gaussian; use \"inverse_variance\"",
            ))
        }
    };
    let run = combine_running(fits, &gp, method)?;
    let combined = match run.last() {
        Some(Ok(c)) => c.clone(),
        Some(Err(e)) => return Err(InferError::Combine(e.clone())),
        None => return Err(InferError::Combine(CombineError::NoStars)),
    };
    let running = run
        .iter()
        .enumerate()
        .map(|(i, r)| match r {
            Ok(c) => RunningPoint {
                n_stars: i + 1,
                mean: c.mean,
                sd: c.sd,
                error: None,
            },
            Err(e) => RunningPoint {
                n_stars: i + 1,
                mean: [f64::NAN; 2],
                sd: [f64::NAN; 2],
                error: Some(e.to_string()),
            },
        })
        .collect();
    Ok((combined, running))
}

/// Mean, sd and quantiles of every parameter of one star's samples `(n, D)`.
fn summarise(
    row: usize,
    label: Option<String>,
    s: ndarray::ArrayView2<f64>,
    acceptance: f64,
) -> StarSummary {
    let n = s.nrows() as f64;
    let mut mean = Vec::with_capacity(s.ncols());
    let mut sd = Vec::with_capacity(s.ncols());
    let mut quantiles = Vec::with_capacity(s.ncols());
    let mut buf = Vec::with_capacity(s.nrows());
    for col in s.columns() {
        let m = col.sum() / n;
        let v = col.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1.0);
        buf.clear();
        buf.extend(col.iter().copied());
        mean.push(m);
        sd.push(v.sqrt());
        quantiles.push(quantiles_by_selection(&mut buf, &SUMMARY_LEVELS));
    }
    StarSummary {
        row,
        label,
        mean,
        sd,
        quantiles,
        acceptance,
        ess: None,
    }
}

/// Quantiles at ascending `levels` (numpy's linear interpolation, like
/// [`crate::stats::quantile`]) of the finite values `v`, by repeated selection in O(n)
/// instead of a full sort; `v` is reordered.
fn quantiles_by_selection<const L: usize>(v: &mut [f64], levels: &[f64; L]) -> [f64; L] {
    let mut out = [f64::NAN; L];
    let n = v.len();
    if n == 0 {
        return out;
    }
    let mut start = 0;
    for (o, &q) in out.iter_mut().zip(levels) {
        let h = q * (n - 1) as f64;
        let lo = (h.floor() as usize).min(n - 1);
        if lo >= start {
            v[start..].select_nth_unstable_by(lo - start, f64::total_cmp);
            start = lo;
        }
        let a = v[lo];
        // the next order statistic is the minimum of the elements after lo
        let b = if lo + 1 < n {
            v[lo + 1..].iter().copied().fold(f64::INFINITY, f64::min)
        } else {
            a
        };
        *o = a + (h - lo as f64) * (b - a);
    }
    out
}

/// The warnings of a catalog inference and the median effective sample size of refined
/// stars: catalog errors unlike the training noise (unrefined only: refinement uses them),
/// poor refinement, and a combined estimate far outside the prior.
fn result_warnings(
    posterior: &Posterior,
    obs: &Observations,
    rows: &[usize],
    stars: &[StarSummary],
    combined: &Combined,
    refined: bool,
    samples: usize,
) -> (Vec<String>, Option<f64>) {
    let mut warnings = if refined {
        Vec::new()
    } else {
        noise_warnings(posterior, obs, rows)
    };
    let mut ess: Vec<f64> = stars.iter().filter_map(|s| s.ess).collect();
    ess.sort_by(f64::total_cmp);
    warnings.extend(ess_warning(&ess, samples));
    warnings.extend(prior_distance_warning(posterior, combined));
    (warnings, crate::stats::quantile_sorted(&ess, 0.5).ok())
}

/// Warns when refinement had little to work with: a median effective sample size below 10 %
/// of the draws means the flow's draws rarely fall where the simulator's posterior is (a
/// catalog the simulator cannot explain, or errors much larger than the training noise), so
/// the refined estimates rest on a few draws per star.
fn ess_warning(sorted_ess: &[f64], samples: usize) -> Option<String> {
    let median = crate::stats::quantile_sorted(sorted_ess, 0.5).ok()?;
    let poor = sorted_ess.iter().filter(|&&e| e < 10.0).count();
    (median < 0.1 * samples as f64).then(|| {
        format!(
            "refinement: the median effective sample size is {median:.1} of {samples} draws \
             ({poor} of {} stars below 10): the flow's draws rarely fall where the simulator's \
             posterior is (a catalog the simulator cannot explain?), so the refined estimates \
             and their uncertainties are unreliable",
            sorted_ess.len()
        )
    })
}

/// Warns when the combined estimate lies more than 3 prior standard deviations from the
/// prior mean of (α_IMF, log10 N_Ia): the stars then pull the estimate where the posterior
/// was not trained, typically because the catalog is not explained by the simulator.
fn prior_distance_warning(posterior: &Posterior, combined: &Combined) -> Option<String> {
    let prior = posterior.global_prior()?;
    let names = ["alpha_imf", "log10_n_ia"];
    let far: Vec<String> = (0..2)
        .filter_map(|j| {
            let z = (combined.mean[j] - prior.mean[j]) / prior.cov[j][j].sqrt();
            (z.abs() > 3.0)
                .then(|| format!("{} {:.3} ({z:+.1} prior sd)", names[j], combined.mean[j]))
        })
        .collect();
    (!far.is_empty()).then(|| {
        format!(
            "the combined estimate lies far outside the prior: {}; the catalog is probably not \
             explained by the simulator and prior the posterior was trained on (misspecification)",
            far.join(", ")
        )
    })
}

/// Warns when the catalog's errors differ from the noise the posterior was trained with
/// (the posterior then under- or over-states the uncertainty of those stars).
fn noise_warnings(posterior: &Posterior, obs: &Observations, rows: &[usize]) -> Vec<String> {
    let Some(err) = &obs.errors else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (j, name) in posterior.obs_names().iter().enumerate() {
        let mut e: Vec<f64> = rows.iter().map(|&r| err[[r, j]]).collect();
        e.sort_by(f64::total_cmp);
        let Ok(med) = crate::stats::quantile_sorted(&e, 0.5) else {
            continue;
        };
        let trained = posterior.noise().sigma[j];
        if (med - trained).abs() > 0.1 * trained.max(1e-12) {
            out.push(format!(
                "{name}: the catalog's median error is {med:.3} dex but the posterior was trained with {trained:.3} dex noise"
            ));
        }
    }
    out
}

/// The (n, 2) samples of the two global parameters of a catalog inference's kept samples.
pub fn global_samples(samples: &Array3<f64>, star: usize) -> Option<Array2<f64>> {
    (star < samples.len_of(Axis(0))).then(|| samples.slice(s![star, .., 0..2]).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ess_warning_only_when_the_median_is_small() {
        assert!(ess_warning(&[], 1000).is_none());
        assert!(ess_warning(&[50.0, 200.0, 700.0], 1000).is_none());
        let w = ess_warning(&[1.2, 3.0, 40.0], 1000).unwrap();
        assert!(
            w.contains("3.0 of 1000") && w.contains("2 of 3 stars below 10"),
            "{w}"
        );
    }

    #[test]
    fn quantiles_by_selection_match_sorting() {
        let mut r = crate::rng::rng(4);
        for n in [1usize, 2, 3, 10, 999, 1000] {
            let v: Vec<f64> = (0..n).map(|_| rand::Rng::gen::<f64>(&mut r)).collect();
            let mut w = v.clone();
            let q = quantiles_by_selection(&mut w, &SUMMARY_LEVELS);
            for (k, &p) in SUMMARY_LEVELS.iter().enumerate() {
                let want = crate::stats::quantile(&v, p).unwrap();
                assert!(
                    (q[k] - want).abs() < 1e-15,
                    "n {n} level {p}: {} vs {want}",
                    q[k]
                );
            }
        }
    }
}
