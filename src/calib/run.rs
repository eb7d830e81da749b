//! A calibration run: simulations from the prior, posterior draws for each, and the
//! per-simulation summaries ([`SimRecord`]) that SBC, TARP and coverage are computed from.
//!
//! Deterministic and shardable: simulation i depends only on the seed and i (its θ*, its
//! noise, its posterior draws — `Posterior::sample_many` with stream id i — and its TARP
//! references), so a run over a range of indices has the same records as the whole run, on
//! any number of threads. [`Calibration::merge`] joins the records of shards.

use super::error::CalibError;
use super::record::{density_rank, summarise, SimRecord, TarpFrame};
use super::truths::{first_draws, simulate_truths, stage};
use super::Convention;
use crate::model::{ModelError, NoiseModel, Posterior, Prior, SelectOutputs, Simulator};
use crate::rng::derive;
use ndarray::{s, Axis};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::ops::Range;
use std::time::Instant;

/// Simulations whose draws are summarised together (bounds the memory of the draws).
const DRAW_CHUNK: usize = 256;

/// Settings of a calibration run.
#[derive(Debug, Clone, PartialEq)]
pub struct RunOptions {
    /// Number of simulations of the whole run (indices `0..n`), at least 2.
    pub n: usize,
    /// The indices this call runs (a shard); `None` = all of `0..n`.
    pub range: Option<Range<usize>>,
    /// Posterior draws per simulation, at least 2.
    pub samples: usize,
    /// Seed of everything.
    pub seed: u64,
    /// Observation noise added to the simulations; `None` = the posterior's own.
    pub noise: Option<NoiseModel>,
    /// The prior θ* is drawn from; `None` = the posterior's.
    pub prior: Option<Prior>,
    /// TARP reference sets per simulation (1 + bootstrap resamples); 0 = no TARP.
    pub tarp_sets: usize,
    /// How TARP measures distances.
    pub convention: Convention,
    /// Rank θ* by the posterior's log density (joint coverage) when it has one.
    pub density: bool,
    /// Draws from the prior per simulation before giving up on failing runs.
    pub max_attempts: usize,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            n: 1000,
            range: None,
            samples: 1000,
            seed: crate::rng::DEFAULT_SEED,
            noise: None,
            prior: None,
            tarp_sets: 101,
            convention: Convention::Default,
            density: true,
            max_attempts: 100,
        }
    }
}

/// The records of a run and what they were made with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    /// Parameter names, in order.
    pub names: Vec<String>,
    /// Positions of the global parameters.
    pub globals: Vec<usize>,
    /// The prior θ* was drawn from.
    pub prior: Prior,
    /// The posterior's description.
    pub posterior: String,
    /// The simulator's description.
    pub simulator: String,
    /// Simulations of the whole run and draws per simulation.
    pub n: usize,
    pub samples: usize,
    /// The seed.
    pub seed: u64,
    /// The noise σ added (dex).
    pub noise: Vec<f64>,
    /// The TARP convention of the records' levels.
    pub convention: Convention,
    /// One record per simulation, by index.
    pub records: Vec<SimRecord>,
    /// Simulator runs that failed and were replaced by new draws.
    pub n_failed_runs: usize,
    /// Seconds spent (kept out of saved files, so that a merged run's file is the single
    /// run's, byte for byte; a loaded run has 0).
    #[serde(skip)]
    pub seconds: f64,
}

/// The simulator as the posterior sees it: the same parameters, and the posterior's
/// observables (a subset of the simulator's outputs is fine).
pub(crate) fn matched_outputs<'a>(
    post: &dyn Posterior,
    sim: &'a dyn Simulator,
) -> Result<Option<SelectOutputs<'a>>, CalibError> {
    if post.space().names() != sim.space().names() {
        return Err(CalibError::Mismatch {
            what: "parameters",
            posterior: post.space().names().join(", "),
            simulator: sim.space().names().join(", "),
        });
    }
    if post.observables() == sim.output_names() {
        return Ok(None);
    }
    SelectOutputs::new(sim, post.observables())
        .map(Some)
        .map_err(|_| CalibError::Mismatch {
            what: "observables",
            posterior: post.observables().join(", "),
            simulator: sim.output_names().join(", "),
        })
}

/// Checks the options and resolves the noise and the prior.
pub(crate) fn resolve(
    post: &dyn Posterior,
    o: &RunOptions,
) -> Result<(NoiseModel, Prior, Range<usize>), CalibError> {
    crate::ensure_option!(o.n >= 2, "n", o.n, "at least 2 simulations are needed");
    crate::ensure_option!(
        o.samples >= 2,
        "samples",
        o.samples,
        "at least 2 draws per simulation are needed"
    );
    let range = o.range.clone().unwrap_or(0..o.n);
    crate::ensure_option!(
        range.start < range.end && range.end <= o.n,
        "range",
        format!("{range:?}"),
        format!("must be a non-empty range within 0..{}", o.n)
    );
    let noise = match (&o.noise, post.noise()) {
        (Some(n), _) | (None, Some(n)) => n.clone(),
        (None, None) => {
            return Err(CalibError::option(
                "noise",
                "none",
                format!(
                    "{} has no noise model of its own: give the noise",
                    post.describe()
                ),
            ))
        }
    };
    noise
        .validate(post.observables().len())
        .map_err(|e| CalibError::option("noise", format!("{:?}", noise.sigma), e))?;
    let prior = o.prior.clone().unwrap_or_else(|| post.prior().clone());
    if prior.space().names() != post.space().names() {
        return Err(CalibError::Mismatch {
            what: "parameters of the prior",
            posterior: post.space().names().join(", "),
            simulator: prior.space().names().join(", "),
        });
    }
    Ok((noise, prior, range))
}

/// Runs the simulations of `opts.range` (default all) and summarises the posterior's
/// draws for each of them.
pub fn run(
    post: &dyn Posterior,
    sim: &dyn Simulator,
    opts: &RunOptions,
) -> Result<Calibration, CalibError> {
    run_in_frame(post, sim, opts, None)
}

/// The TARP frame of the whole run `opts` (`None` without TARP), whatever its range: for a
/// caller that runs several ranges of one run.
pub(crate) fn run_frame(
    post: &dyn Posterior,
    sim: &dyn Simulator,
    opts: &RunOptions,
) -> Result<Option<TarpFrame>, CalibError> {
    if opts.tarp_sets == 0 {
        return Ok(None);
    }
    let selected = matched_outputs(post, sim)?;
    let sim: &dyn Simulator = selected.as_ref().map_or(sim, |s| s as &dyn Simulator);
    let (noise, prior, _) = resolve(
        post,
        &RunOptions {
            range: None,
            ..opts.clone()
        },
    )?;
    let basis = match opts.convention {
        Convention::Default => first_draws(&prior, opts.n, opts.seed),
        Convention::Paper => {
            simulate_truths(sim, &prior, &noise, 0..opts.n, opts.seed, opts.max_attempts)?.theta
        }
    };
    Ok(Some(tarp_frame(&basis, opts)))
}

/// [`run`] with the TARP frame of the whole run given (`None`: computed here).
pub(crate) fn run_in_frame(
    post: &dyn Posterior,
    sim: &dyn Simulator,
    opts: &RunOptions,
    given: Option<&TarpFrame>,
) -> Result<Calibration, CalibError> {
    let started = Instant::now();
    let selected = matched_outputs(post, sim)?;
    let sim: &dyn Simulator = match &selected {
        Some(s) => s,
        None => sim,
    };
    let (noise, prior, range) = resolve(post, opts)?;
    let whole = range.len() == opts.n;
    let truths = simulate_truths(sim, &prior, &noise, range, opts.seed, opts.max_attempts)?;
    let frame = match (opts.tarp_sets, given) {
        (0, _) => None,
        (_, Some(f)) => Some(f.clone()),
        (_, None) if whole && opts.convention == Convention::Paper => {
            Some(tarp_frame(&truths.theta, opts))
        }
        (_, None) if opts.convention == Convention::Default => {
            Some(tarp_frame(&first_draws(&prior, opts.n, opts.seed), opts))
        }
        (_, None) => run_frame(post, sim, opts)?,
    };
    let globals = post.space().global_indices();
    let mut records = Vec::with_capacity(truths.ids.len());
    for start in (0..truths.ids.len()).step_by(DRAW_CHUNK) {
        crate::interrupt::check()?;
        let end = (start + DRAW_CHUNK).min(truths.ids.len());
        let ids = &truths.ids[start..end];
        let theta = truths.theta.slice(s![start..end, ..]);
        let x = truths.x.slice(s![start..end, ..]);
        let draws = post.sample_many(x, ids, opts.samples, derive(opts.seed, stage::DRAWS))?;
        let chunk: Vec<Result<SimRecord, CalibError>> = (0..ids.len())
            .into_par_iter()
            .map(|k| {
                let (t, xr) = (theta.row(k).to_vec(), x.row(k).to_vec());
                let stats = match &draws[k] {
                    Ok(d) => {
                        check_draws(post, ids[k], d, t.len())?;
                        let mut st = summarise(ids[k], &t, d, &globals, frame.as_ref());
                        if opts.density {
                            st.hpd = density_rank(post, &t, &xr, d);
                        }
                        Ok(st)
                    }
                    Err(e) => Err(unusable(post, ids[k], e)?),
                };
                Ok(SimRecord {
                    id: ids[k],
                    theta: t,
                    x: xr,
                    stats,
                })
            })
            .collect();
        records.extend(chunk.into_iter().collect::<Result<Vec<_>, _>>()?);
    }
    Ok(Calibration {
        names: post.space().name_strings(),
        globals,
        prior,
        posterior: post.describe(),
        simulator: sim.describe(),
        n: opts.n,
        samples: opts.samples,
        seed: opts.seed,
        noise: noise.sigma,
        convention: opts.convention,
        records,
        n_failed_runs: truths.n_failed_runs,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// The TARP frame: the corrected default normalises by the first prior draws of all `n`
/// indices (the same for every shard) and draws references in the normalised space; the
/// `paper` convention normalises by the θ* of the whole run (`0..n`) and leaves references
/// raw — a shard of a paper-convention run therefore simulates the θ* of all `n` indices.
/// `basis` `(n, dim)` holds the points normalised by.
fn tarp_frame(basis: &ndarray::Array2<f64>, o: &RunOptions) -> TarpFrame {
    let col = |f: fn(f64, f64) -> f64, init: f64| -> Vec<f64> {
        basis
            .axis_iter(Axis(1))
            .map(|c| c.iter().copied().fold(init, f))
            .collect()
    };
    TarpFrame {
        lo: col(f64::min, f64::INFINITY),
        hi: col(f64::max, f64::NEG_INFINITY),
        scale_references: o.convention == Convention::Default,
        sets: o.tarp_sets,
        seed: derive(o.seed, stage::REFERENCES),
    }
}

/// Draws of the right dimension (finite values are guaranteed by [`crate::stats::Draws`]).
fn check_draws(
    post: &dyn Posterior,
    id: u64,
    d: &crate::stats::Draws,
    dim: usize,
) -> Result<(), CalibError> {
    if d.dim() != dim || d.n() < 2 {
        return Err(CalibError::BadDraws {
            posterior: post.describe(),
            id,
            message: format!(
                "{} draws of dimension {}, expected at least 2 of dimension {dim}",
                d.n(),
                d.dim()
            ),
        });
    }
    Ok(())
}

/// A per-observation failure: an observation the posterior cannot sample is kept as a
/// record with its reason; draws with non-finite values fail the run.
fn unusable(post: &dyn Posterior, id: u64, e: &ModelError) -> Result<String, CalibError> {
    match e {
        ModelError::Unusable { .. } => Ok(e.to_string()),
        ModelError::Stats(s) => Err(CalibError::BadDraws {
            posterior: post.describe(),
            id,
            message: s.to_string(),
        }),
        other => Err(CalibError::Model(other.clone())),
    }
}

impl Calibration {
    /// The records whose posterior could be sampled, with their summaries.
    pub fn usable(&self) -> impl Iterator<Item = (&SimRecord, &super::record::SimStats)> {
        self.records
            .iter()
            .filter_map(|r| r.stats.as_ref().ok().map(|s| (r, s)))
    }

    /// Number of usable simulations.
    pub fn n_usable(&self) -> usize {
        self.usable().count()
    }

    /// The simulations that could not be sampled: (index, reason).
    pub fn unusable(&self) -> Vec<(u64, String)> {
        self.records
            .iter()
            .filter_map(|r| r.stats.as_ref().err().map(|e| (r.id, e.clone())))
            .collect()
    }

    /// Joins the records of two shards of the same run (same posterior, seed, sizes and
    /// convention), sorted by simulation index; a simulation in both is an error.
    pub fn merge(mut self, other: Calibration) -> Result<Calibration, CalibError> {
        let same = self.names == other.names
            && self.n == other.n
            && self.samples == other.samples
            && self.seed == other.seed
            && self.noise == other.noise
            && self.convention == other.convention
            && self.posterior == other.posterior;
        crate::ensure_option!(
            same,
            "shards",
            "two runs",
            "belong to different calibration runs"
        );
        self.records.extend(other.records);
        self.records.sort_by_key(|r| r.id);
        if let Some(w) = self.records.windows(2).find(|w| w[0].id == w[1].id) {
            return Err(CalibError::option(
                "shards",
                w[0].id,
                "this simulation is in both shards",
            ));
        }
        self.n_failed_runs += other.n_failed_runs;
        self.seconds += other.seconds;
        Ok(self)
    }
}
