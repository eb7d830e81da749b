//! Streaming catalog inference, for catalogs of any size in bounded memory, on one machine or
//! as the shards of a cluster job.
//!
//! The catalog is read in blocks of [`BLOCK_ROWS`] rows (CSV or Parquet, see
//! [`TableBatches`]). Every block is validated, sampled and summarised like a whole catalog
//! ([`crate::infer::infer_catalog_with`]: a star's draws depend only on the seed and its
//! row), its per-star summaries go to a Parquet file as they are made, and the block is
//! reduced to a [`BlockResult`]: the Gaussian sums of its stars, the partial sums at the
//! running checkpoints inside it, and mergeable counts for the warnings. Memory holds one
//! block at a time (≈ 200 MB for 1000 draws of 6 parameters), whatever the catalog's size.
//!
//! A shard ([`ShardSpec`]) takes a contiguous range of blocks and writes a partial file with
//! its blocks' results; [`merge`] folds the partials of all shards, in block order, exactly
//! as a single process folds its blocks ([`finish`]), so the merged result is the
//! single-process result to the bit, for any number of shards and threads. SIGTERM (a time
//! limit) and Ctrl-C end a run after the blocks done, with a checkpoint from which the same
//! call resumes.

mod block;
mod finish;
mod merge;
mod report;
pub mod running;
pub mod stars_file;

pub use block::BlockResult;
pub use finish::{finish, MethodChoice, PosteriorFacts};
pub use merge::{merge, merge_checked};
pub use report::{report, write_report};

use super::catalog::{global_indices, ColumnMap, InferOptions, ObservationTable};
use super::combine::BLOCK_ROWS;
use super::error::InferError;
use super::star::Refiner;
use super::CatalogInference;
use crate::catalog::TableBatches;
use crate::error::{ErrorKind, Kind};
use crate::model::{Posterior, Simulator};
use crate::shard::{JobKey, Partial, ShardSpec};
use block::{infer_block, BlockInput};
use serde::{Deserialize, Serialize};
use stars_file::{incomplete_path, StarsLayout, StarsWriter};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Skipped rows a streamed result lists (its per-star file has them all).
pub const SKIPPED_EXAMPLES: usize = 100;

/// The job kind of streamed inference in partial files.
pub const JOB_KIND: &str = "infer";

/// The settings of a streamed inference (all of them enter the job key).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StreamSettings {
    /// Use only the first n usable rows (`None`: all; one process only).
    #[serde(default)]
    pub n_stars: Option<usize>,
    /// Posterior draws per star.
    pub samples: usize,
    /// Seed; a star's draws depend only on the seed and its row.
    pub seed: u64,
    /// The combination (`None`: divide the prior out, falling back to the paper's).
    pub method: MethodChoice,
    /// Which columns hold the abundances, errors and labels.
    pub columns: ColumnMap,
    /// The per-star Parquet file, if one is wanted.
    pub stars_out: Option<String>,
    /// Fields copied into the report (e.g. the posterior's and the catalog's paths).
    pub meta: serde_json::Map<String, serde_json::Value>,
    /// A systematic floor added to the combined covariance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub systematic: Option<crate::infer::catalog::systematic::FloorModel>,
}

/// A streamed inference: a posterior, a catalog file and the settings, optionally refined
/// with a simulator.
pub struct StreamRun<'a> {
    pub posterior: &'a dyn Posterior,
    pub catalog: &'a Path,
    pub settings: StreamSettings,
    pub refine: Option<&'a dyn Simulator>,
}

/// The body of a partial file (and of a checkpoint) of a streamed inference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StreamPart {
    pub settings: StreamSettings,
    pub facts: PosteriorFacts,
    /// Rows and blocks of the whole catalog.
    pub n_rows: usize,
    pub n_blocks: usize,
    /// The shard's blocks.
    pub range: Range<usize>,
    /// The results of the blocks done, in order from `range.start`.
    pub blocks: Vec<BlockResult>,
    /// Whether every block of the range is done.
    pub complete: bool,
    /// The shard's per-star file (complete, or under its `.incomplete` name).
    pub stars_file: Option<String>,
    /// Seconds of work, over all attempts.
    pub seconds: f64,
}

/// What a finished shard reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShardDone {
    pub shard: ShardSpec,
    pub partial: PathBuf,
    /// Its blocks, of how many, and its catalog rows.
    pub blocks: Range<usize>,
    pub n_blocks: usize,
    pub rows: usize,
    /// Usable stars in the shard.
    pub n_stars: usize,
    pub seconds: f64,
    /// The block at which this call resumed from a checkpoint.
    pub resumed_at: Option<usize>,
}

/// Streamed inference of a whole catalog in one process. With a `checkpoint` path, an
/// interruption (Ctrl-C, SIGTERM) saves the blocks done there and the same call resumes from
/// them; with `out`, the report ([`write_report`]) is written there.
pub fn infer_stream(
    run: &StreamRun,
    checkpoint: Option<&Path>,
    out: Option<&Path>,
) -> Result<CatalogInference, InferError> {
    let stars = run.settings.stars_out.as_ref().map(PathBuf::from);
    let (part, _, _) = process(run, ShardSpec::WHOLE, checkpoint, stars)?;
    let mut r = finish(
        &part.facts,
        part.settings.method,
        part.settings.samples,
        part.n_rows,
        &part.blocks,
        part.settings.stars_out.clone(),
    )?;
    crate::infer::catalog::systematic::apply(&mut r, part.settings.systematic.as_ref());
    r.seconds = part.seconds;
    if let Some(path) = out {
        write_report(&r, &run.settings.meta, path)?;
    }
    if let Some(c) = checkpoint {
        let _ = std::fs::remove_file(c);
    }
    Ok(r)
}

/// Shard `shard` of a streamed inference: infers its blocks and writes the partial file
/// `partial` (and its per-star file, [`crate::shard::shard_path`] of `stars_out`). The same
/// call after an interruption resumes; after completion it returns at once.
pub fn infer_shard(
    run: &StreamRun,
    shard: ShardSpec,
    partial: &Path,
) -> Result<ShardDone, InferError> {
    let stars = run
        .settings
        .stars_out
        .as_ref()
        .map(|s| crate::shard::shard_path(Path::new(s), shard));
    let (part, resumed_at, key) = process(run, shard, Some(partial), stars)?;
    let done = ShardDone {
        shard,
        partial: partial.to_path_buf(),
        blocks: part.range.clone(),
        n_blocks: part.n_blocks,
        rows: part.blocks.iter().map(|b| b.rows).sum(),
        n_stars: part.blocks.iter().map(|b| b.sums.n).sum(),
        seconds: part.seconds,
        resumed_at,
    };
    Partial {
        job: key,
        shard,
        body: part,
    }
    .save(partial)?;
    Ok(done)
}

/// Settings a run cannot use: fewer than 3 draws, no stars, `n_stars` with shards.
fn check_settings(s: &StreamSettings, shard: ShardSpec) -> Result<(), InferError> {
    use crate::error::Vocabulary;
    if let Some(f) = &s.systematic {
        f.check()
            .map_err(|e| InferError::option("systematic", "", e))?;
    }
    if s.samples < 3 {
        return Err(InferError::option(
            "samples",
            s.samples,
            "at least 3 per star are needed to fit a Gaussian",
        ));
    }
    match s.n_stars {
        Some(0) => Err(InferError::option("n_stars", 0, "must be at least 1")),
        Some(n) if shard.count > 1 => Err(InferError::option(
            "n_stars",
            n,
            "cannot be split into shards (a shard does not know how many usable rows come before it); give a catalog of the stars wanted",
        )),
        _ => Ok(()),
    }
}

/// The key of a streamed inference: the catalog's contents, the posterior's, the refining
/// simulator and the settings.
fn job_key(run: &StreamRun, batches: &TableBatches) -> Result<JobKey, InferError> {
    #[derive(Serialize)]
    struct Inputs<'a> {
        catalog: String,
        posterior: String,
        refine: Option<String>,
        settings: &'a StreamSettings,
    }
    let inputs = Inputs {
        catalog: batches.fingerprint()?,
        posterior: run.posterior.fingerprint(),
        refine: run.refine.map(|s| s.describe()),
        settings: &run.settings,
    };
    Ok(JobKey::new(JOB_KIND, &inputs, run.settings.seed))
}

/// The per-star file's layout.
fn layout(facts: &PosteriorFacts, settings: &StreamSettings) -> StarsLayout {
    StarsLayout {
        params: facts.param_names.clone(),
        globals: facts.global_names.clone(),
        labels: settings.columns.label.is_some(),
    }
}

fn is_stop(e: &InferError) -> bool {
    matches!(e.kind(), ErrorKind::Interrupted | ErrorKind::Terminated)
}

/// Runs the blocks of `shard`, resuming from the checkpoint at `state` when it is one of
/// this job and shard, and saving one there when interrupted. Returns the shard's part, the
/// block it resumed at and the job's key.
fn process(
    run: &StreamRun,
    shard: ShardSpec,
    state: Option<&Path>,
    stars: Option<PathBuf>,
) -> Result<(StreamPart, Option<usize>, JobKey), InferError> {
    let started = Instant::now();
    check_settings(&run.settings, shard)?;
    let mut batches = TableBatches::open(run.catalog)?;
    let refiner = run
        .refine
        .map(|s| Refiner::new(run.posterior, s))
        .transpose()?;
    let key = job_key(run, &batches)?;
    let mut part = fresh_part(run, shard, &batches, refiner.as_ref(), stars.as_deref());
    let resumed = state.and_then(|s| resumable(s, &key, shard, &part));
    if let Some(prev) = &resumed {
        if prev.complete {
            return Ok((prev.clone(), Some(prev.range.end), key));
        }
        part.blocks = prev.blocks.clone();
        part.seconds = prev.seconds;
    }
    let mut writer = open_stars(&part, stars.as_deref())?;
    let resumed_at = resumed.map(|_| part.range.start + part.blocks.len());
    batches.seek((part.range.start + part.blocks.len()) * BLOCK_ROWS)?;
    let ctx = BlockContext {
        run,
        globals: global_indices(run.posterior)?,
        refiner: refiner.as_ref(),
        running_rows: running::running_rows(part.n_rows),
    };
    match run_blocks(&ctx, &mut batches, &mut part, writer.as_mut()) {
        Ok(()) => {}
        Err(e) if is_stop(&e) => {
            part.seconds += started.elapsed().as_secs_f64();
            suspend(state, &key, shard, &part, writer)?;
            return Err(e);
        }
        Err(e) => return Err(e),
    }
    if let Some(w) = writer {
        w.finish()?;
        if let Some(p) = &stars {
            let _ = std::fs::remove_file(incomplete_path(p));
        }
    }
    part.complete = true;
    part.seconds += started.elapsed().as_secs_f64();
    Ok((part, resumed_at, key))
}

/// The part of `shard` before any block is done.
fn fresh_part(
    run: &StreamRun,
    shard: ShardSpec,
    batches: &TableBatches,
    refiner: Option<&Refiner>,
    stars: Option<&Path>,
) -> StreamPart {
    let n_rows = batches.n_rows();
    let n_blocks = n_rows.div_ceil(BLOCK_ROWS);
    StreamPart {
        settings: run.settings.clone(),
        facts: PosteriorFacts::of(run.posterior, refiner.map(|r| r.simulator())),
        n_rows,
        n_blocks,
        range: shard.blocks(n_blocks),
        blocks: Vec::new(),
        complete: false,
        stars_file: stars.map(|p| p.to_string_lossy().into_owned()),
        seconds: 0.0,
    }
}

/// The per-star file of `part`, with the rows of the blocks already done copied from the
/// incomplete file of an interrupted run.
fn open_stars(part: &StreamPart, stars: Option<&Path>) -> Result<Option<StarsWriter>, InferError> {
    let Some(p) = stars else {
        return Ok(None);
    };
    let mut w = StarsWriter::create(p, layout(&part.facts, &part.settings))?;
    if !part.blocks.is_empty() {
        let rows = part.blocks.iter().map(|b| b.rows).sum();
        w.copy_from(&incomplete_path(p), rows)?;
    }
    Ok(Some(w))
}

/// What every block of a run shares.
struct BlockContext<'a> {
    run: &'a StreamRun<'a>,
    globals: Vec<usize>,
    refiner: Option<&'a Refiner<'a>>,
    running_rows: Vec<usize>,
}

/// Infers the blocks of `part` not done yet, in order, appending them to `part` and their
/// stars to `writer`; stops between blocks on Ctrl-C or SIGTERM (the error says which).
fn run_blocks(
    ctx: &BlockContext,
    batches: &mut TableBatches,
    part: &mut StreamPart,
    mut writer: Option<&mut StarsWriter>,
) -> Result<(), InferError> {
    let run = ctx.run;
    let opts = InferOptions {
        samples: run.settings.samples,
        seed: run.settings.seed,
        keep_samples: false,
        ..InferOptions::default()
    };
    let first = part.range.start + part.blocks.len();
    let rows_left = (part.range.end * BLOCK_ROWS)
        .min(part.n_rows)
        .saturating_sub(first * BLOCK_ROWS);
    let progress = crate::progress::Progress::new(rows_left as u64, "infer");
    let mut remaining = run
        .settings
        .n_stars
        .map(|n| n.saturating_sub(part.blocks.iter().map(|b| b.n_valid).sum()));
    for block in first..part.range.end {
        if remaining == Some(0) {
            break;
        }
        crate::interrupt::check()?;
        let (_, t) = batches.next_batch(BLOCK_ROWS)?.ok_or_else(|| {
            crate::catalog::CatalogError::BadArgument(format!(
                "{}: ended before row {}",
                run.catalog.display(),
                block * BLOCK_ROWS
            ))
        })?;
        let obs = ObservationTable::from_table(&t, &run.settings.columns)?;
        let view = obs.view();
        let (result, block_stars) = infer_block(&BlockInput {
            posterior: run.posterior,
            obs: &view,
            block,
            globals: &ctx.globals,
            opts: &opts,
            refiner: ctx.refiner,
            running_rows: &ctx.running_rows,
            limit: remaining,
        })?;
        if let Some(w) = writer.as_deref_mut() {
            w.write_block(&block_stars)?;
        }
        progress.inc(result.rows as u64);
        remaining = remaining.map(|n| n.saturating_sub(result.n_valid));
        part.blocks.push(result);
    }
    progress.finish();
    Ok(())
}

/// The checkpoint at `state`, if it is one of this job and shard (anything else there is
/// replaced, with a notice).
fn resumable(
    state: &Path,
    key: &JobKey,
    shard: ShardSpec,
    fresh: &StreamPart,
) -> Option<StreamPart> {
    if !state.exists() {
        return None;
    }
    let notice = |why: &str| {
        eprintln!("note: {} {why}; starting afresh", state.display());
        None
    };
    match Partial::<StreamPart>::load(state) {
        Ok(p) if &p.job == key && p.shard == shard && p.body.range == fresh.range => {
            let stars_ok = match &fresh.stars_file {
                None => true,
                Some(s) if p.body.complete => Path::new(s).exists(),
                Some(s) => p.body.blocks.is_empty() || incomplete_path(Path::new(s)).exists(),
            };
            if stars_ok {
                eprintln!(
                    "note: resuming from {} ({} of {} blocks done)",
                    state.display(),
                    p.body.blocks.len(),
                    fresh.range.len()
                );
                Some(p.body)
            } else {
                notice("has no per-star file to go on from")
            }
        }
        Ok(_) => notice("is a checkpoint of another job or shard"),
        Err(e) => notice(&format!("cannot be read ({e})")),
    }
}

/// Saves the blocks done at `state` (with the per-star file closed under its incomplete
/// name); without a state the per-star file is discarded.
fn suspend(
    state: Option<&Path>,
    key: &JobKey,
    shard: ShardSpec,
    part: &StreamPart,
    writer: Option<StarsWriter>,
) -> Result<(), InferError> {
    let Some(state) = state else {
        return Ok(());
    };
    if let Some(w) = writer {
        w.suspend()?;
    }
    Partial {
        job: key.clone(),
        shard,
        body: part.clone(),
    }
    .save(state)?;
    eprintln!(
        "note: stopped after {} of {} blocks; checkpoint {} (the same call resumes)",
        part.blocks.len(),
        part.range.len(),
        state.display()
    );
    Ok(())
}
