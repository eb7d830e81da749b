//! Sharded calibration runs: shard `i/n` of a [`run`] works on a contiguous range of the
//! run's blocks of [`CALIB_BLOCK`] simulation indices (the blocks do not depend on the shard
//! count) and writes a partial file (kind [`JOB_KIND`]); [`merge_calibration`] (or
//! `galchem merge`) folds the partials in index order and writes the calibration file
//! (format [`CALIBRATION_FORMAT`]) the single-process run writes with
//! [`Calibration::save`], byte for byte, for any number of shards and threads.
//!
//! Why the bytes agree: simulation i depends only on the seed and i ([`super::run`]); the
//! TARP frame of the default convention is computed from the first prior draws of all n
//! indices, and that of the `paper` convention from the θ* of all n indices (a shard of a
//! paper-convention run simulates all n θ* to get it); the run's time is not in the file.

use super::error::CalibError;
use super::record::TarpFrame;
use super::run::{matched_outputs, resolve, run_frame, run_in_frame, Calibration, RunOptions};
use crate::envelope::{self, Format};
use crate::error::{ErrorKind, Kind};
use crate::model::{Posterior, Prior, Simulator};
use crate::shard::{load_all, JobKey, Partial, ShardError, ShardSpec};
use serde::{Deserialize, Serialize};
use std::ops::Range;
use std::path::{Path, PathBuf};

/// Job kind of calibration partials.
pub const JOB_KIND: &str = "calibrate";

/// Simulation indices per block of work (a shard takes whole blocks).
pub const CALIB_BLOCK: usize = 16;

/// Blocks run together (one posterior call per 256 simulations); a stopped shard keeps the
/// steps done.
const STEP_BLOCKS: usize = 16;

/// The format of calibration files (a whole run's records).
pub const CALIBRATION_FORMAT: Format = Format {
    name: "galchem-calibration",
    version: 1,
    oldest_readable: 1,
};

/// The partial file of one shard of a calibration run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalibPart {
    /// Blocks of the whole run.
    pub n_blocks: usize,
    /// This shard's blocks `[first, end)`.
    pub blocks: Range<usize>,
    /// Its simulation indices `[first, end)`.
    pub indices: Range<usize>,
    /// Blocks done (from `blocks.start`).
    pub done: usize,
    /// Whether all its blocks are done (a shard stopped by SIGTERM or Ctrl-C is not).
    pub complete: bool,
    /// The records of the blocks done (`None` before the first).
    pub calibration: Option<Calibration>,
    /// Wall time, s (not part of any result).
    pub seconds: f64,
}

/// What a shard did: its partial file and contents.
#[derive(Debug, Clone, PartialEq)]
pub struct CalibShard {
    /// The shard.
    pub shard: ShardSpec,
    /// The partial file.
    pub partial: PathBuf,
    /// Its contents.
    pub part: CalibPart,
    /// The block it resumed at, if it resumed a stopped shard.
    pub resumed_at: Option<usize>,
}

impl Calibration {
    /// Writes the run to `path` in the envelope `galchem-calibration`, atomically (its
    /// `seconds` are not written).
    pub fn save(&self, path: &Path) -> Result<(), CalibError> {
        envelope::save(path, &CALIBRATION_FORMAT, self).map_err(shard_error)
    }

    /// Reads a run written by [`Calibration::save`] or `galchem merge`.
    pub fn load(path: &Path) -> Result<Calibration, CalibError> {
        Ok(envelope::load(path, &CALIBRATION_FORMAT)
            .map_err(shard_error)?
            .body)
    }
}

fn shard_error(e: impl Into<ShardError>) -> CalibError {
    CalibError::Shard(e.into())
}

/// The job key of a run: everything the records depend on (the posterior's fingerprint, the
/// simulator, the prior, the noise, the sizes, the TARP settings) and the seed.
pub fn job_key(
    post: &dyn Posterior,
    sim: &dyn Simulator,
    opts: &RunOptions,
) -> Result<JobKey, CalibError> {
    #[derive(Serialize)]
    struct Inputs<'a> {
        posterior: String,
        simulator: String,
        prior: &'a Prior,
        noise: &'a [f64],
        n: usize,
        samples: usize,
        convention: super::Convention,
        tarp_sets: usize,
        density: bool,
        max_attempts: usize,
    }
    let whole = RunOptions {
        range: None,
        ..opts.clone()
    };
    let (noise, prior, _) = resolve(post, &whole)?;
    let inputs = Inputs {
        posterior: post.fingerprint(),
        simulator: sim.describe(),
        prior: &prior,
        noise: &noise.sigma,
        n: opts.n,
        samples: opts.samples,
        convention: opts.convention,
        tarp_sets: opts.tarp_sets,
        density: opts.density,
        max_attempts: opts.max_attempts,
    };
    Ok(JobKey::new(JOB_KIND, &inputs, opts.seed))
}

/// Runs shard `shard` of the calibration run `opts` (whose `range` must be unset) and writes
/// its partial file to `partial`, atomically. On SIGTERM or Ctrl-C the blocks done are saved
/// in the partial, marked incomplete, and the error returned; the same call resumes them (a
/// finished shard returns at once).
pub fn calibrate_shard(
    post: &dyn Posterior,
    sim: &dyn Simulator,
    opts: &RunOptions,
    shard: ShardSpec,
    partial: &Path,
) -> Result<CalibShard, CalibError> {
    if let Some(r) = &opts.range {
        return Err(CalibError::option(
            "range",
            format!("{r:?}"),
            "a shard chooses its own simulations: give either 'range' or 'shard'",
        ));
    }
    matched_outputs(post, sim)?;
    let key = job_key(post, sim, opts)?;
    let started = std::time::Instant::now();
    let n_blocks = opts.n.div_ceil(CALIB_BLOCK);
    let blocks = shard.blocks(n_blocks);
    let at = |b: usize| (b * CALIB_BLOCK).min(opts.n);
    let fresh = CalibPart {
        n_blocks,
        blocks: blocks.clone(),
        indices: at(blocks.start)..at(blocks.end),
        done: 0,
        complete: false,
        calibration: None,
        seconds: 0.0,
    };
    let prev = Partial::<CalibPart>::load(partial)
        .ok()
        .filter(|p| p.job == key && p.shard == shard && p.body.blocks == blocks);
    let resumed_at = prev.as_ref().map(|p| p.body.blocks.start + p.body.done);
    let mut part = prev.map_or(fresh, |p| p.body);
    if part.complete {
        return Ok(CalibShard {
            shard,
            partial: partial.to_path_buf(),
            part,
            resumed_at,
        });
    }
    let frame = if part.indices.is_empty() {
        None
    } else {
        run_frame(post, sim, opts)?
    };
    while part.done < blocks.len() {
        let first = blocks.start + part.done;
        let last = (first + STEP_BLOCKS).min(blocks.end);
        match step(post, sim, opts, frame.as_ref(), at(first)..at(last)) {
            Ok(c) => {
                part.calibration = Some(match part.calibration.take() {
                    None => c,
                    Some(m) => m.merge(c)?,
                });
                part.done = last - blocks.start;
            }
            Err(e) if matches!(e.kind(), ErrorKind::Interrupted | ErrorKind::Terminated) => {
                part.seconds += started.elapsed().as_secs_f64();
                Partial {
                    job: key,
                    shard,
                    body: part,
                }
                .save(partial)?;
                return Err(e);
            }
            Err(e) => return Err(e),
        }
    }
    part.complete = true;
    part.seconds += started.elapsed().as_secs_f64();
    let p = Partial {
        job: key,
        shard,
        body: part,
    };
    p.save(partial)?;
    Ok(CalibShard {
        shard,
        partial: partial.to_path_buf(),
        part: p.body,
        resumed_at,
    })
}

/// The records of the simulations `range` in the run's TARP frame.
fn step(
    post: &dyn Posterior,
    sim: &dyn Simulator,
    opts: &RunOptions,
    frame: Option<&TarpFrame>,
    range: Range<usize>,
) -> Result<Calibration, CalibError> {
    crate::interrupt::check()?;
    let o = RunOptions {
        range: Some(range),
        ..opts.clone()
    };
    run_in_frame(post, sim, &o, frame)
}

/// Merges the partials at `paths` (all shards of one calibration run, any order): checks
/// that they are of one job and cover every simulation, folds their records in index order,
/// and writes the calibration file to `out`, atomically (`None`: no file).
pub fn merge_calibration(paths: &[PathBuf], out: Option<&Path>) -> Result<Calibration, CalibError> {
    let parts = load_all::<CalibPart>(paths).map_err(CalibError::Shard)?;
    let mut next = 0;
    let mut merged: Option<Calibration> = None;
    let mut seconds = 0.0;
    for (path, p) in &parts {
        let b = &p.body;
        if !b.complete {
            return Err(CalibError::Shard(ShardError::Incomplete {
                path: path.clone(),
                shard: p.shard,
                done: b.done,
                total: b.blocks.len(),
            }));
        }
        if b.indices.start != next {
            return Err(gap(format!(
                "{} starts at simulation {}, expected {next}",
                path.display(),
                b.indices.start
            )));
        }
        next = b.indices.end;
        seconds += b.seconds;
        let Some(c) = b.calibration.clone() else {
            continue;
        };
        if c.records.len() != b.indices.len() {
            return Err(gap(format!(
                "{} has {} records for {} simulations",
                path.display(),
                c.records.len(),
                b.indices.len()
            )));
        }
        merged = Some(match merged {
            None => c,
            Some(m) => m.merge(c)?,
        });
    }
    let mut merged = merged.ok_or(CalibError::Shard(ShardError::Nothing))?;
    if next != merged.n {
        return Err(gap(format!(
            "simulations {next}..{} are in no partial",
            merged.n
        )));
    }
    merged.seconds = seconds;
    if let Some(out) = out {
        merged.save(out)?;
    }
    Ok(merged)
}

fn gap(reason: String) -> CalibError {
    CalibError::Shard(ShardError::Gap(reason))
}
