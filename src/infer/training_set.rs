//! Training sets at scale: `n` runs of a simulator on prior draws, written as Parquet runs
//! tables (the schema of [`crate::model::runs`]), in blocks of [`SET_BLOCK`] rows, and
//! shardable. Block b holds rows `b·4096 … (b+1)·4096` of the single-process set: its
//! parameters are the prior's chunk b (random stream `(seed, b)`), so a shard computes its
//! blocks alone, and the shards' files, concatenated in shard order (`galchem merge`), are
//! byte for byte the single-process file. Emulator and NPE training read a set of shards
//! (`read_tables` in scripts) as one table.
//!
//! Each shard writes its runs to `<out>.shard-i-of-n.parquet` and a partial file
//! `<out>.shard-i-of-n.json` (kind [`JOB_KIND`]). On SIGTERM or Ctrl-C a shard closes the
//! blocks done as a valid file and marks its partial incomplete; the same call resumes.

use crate::catalog::{ParquetSink, Table};
use crate::error::{ErrorKind, Kind, Vocabulary};
use crate::infer::error::InferError;
use crate::infer::stream::stars_file::incomplete_path;
use crate::model::prior::SAMPLE_CHUNK;
use crate::model::runs::runs_table;
use crate::model::{Prior, Simulator};
use crate::shard::{load_all, shard_path, JobKey, Partial, ShardError, ShardSpec};
use serde::{Deserialize, Serialize};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Job kind of training-set partials.
pub const JOB_KIND: &str = "simulate";
/// Rows per block (= the prior's sampling chunk).
pub const SET_BLOCK: usize = SAMPLE_CHUNK;

/// The partial file of one shard of a training set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SetPart {
    /// Total runs of the set.
    pub n: usize,
    /// Blocks of the whole set.
    pub n_blocks: usize,
    /// This shard's blocks.
    pub range: Range<usize>,
    /// Blocks done (from `range.start`).
    pub done: usize,
    /// Rows written.
    pub rows: usize,
    /// Runs with status `ok`.
    pub n_ok: usize,
    /// The shard's runs file.
    pub file: String,
    /// Whether all blocks are done.
    pub complete: bool,
    /// Wall time, s (not part of any result).
    pub seconds: f64,
}

/// What a shard did.
#[derive(Debug, Clone, PartialEq)]
pub struct SetShard {
    /// The partial file.
    pub partial: PathBuf,
    /// Its contents.
    pub part: SetPart,
    /// The block it resumed at, if it resumed.
    pub resumed_at: Option<usize>,
}

fn key(sim: &dyn Simulator, prior: &Prior, n: usize, seed: u64) -> Result<JobKey, InferError> {
    #[derive(Serialize)]
    struct Inputs<'a> {
        simulator: String,
        prior: &'a Prior,
        n: usize,
    }
    let inputs = Inputs {
        simulator: sim.describe(),
        prior,
        n,
    };
    Ok(JobKey::new(JOB_KIND, &inputs, seed))
}

/// Rows `[block·4096, …)` of the set: the prior's draws of chunk `block` and their runs, and
/// how many of them succeeded.
fn block_table(
    sim: &dyn Simulator,
    prior: &Prior,
    n: usize,
    seed: u64,
    block: usize,
) -> Result<(Table, usize), InferError> {
    let start = block * SET_BLOCK;
    let theta = prior.sample_chunk(block, (n - start).min(SET_BLOCK), seed);
    let runs = sim.simulate(theta.view())?;
    let names = prior.space().names();
    Ok((
        runs_table(&names, &theta, sim.output_names(), &runs)?,
        runs.n_ok(),
    ))
}

/// Simulates shard `shard` of an `n`-run training set drawn from `prior` with `seed`, into
/// the runs file and partial next to `out` (for a single shard `0/1`: `out` itself, and no
/// partial). Resumes an interrupted shard; returns at once for a finished one.
pub fn simulate_set(
    sim: &dyn Simulator,
    prior: &Prior,
    n: usize,
    seed: u64,
    shard: ShardSpec,
    out: &Path,
) -> Result<SetShard, InferError> {
    if n == 0 {
        return Err(InferError::option(
            "n",
            0,
            "a training set needs at least one run",
        ));
    }
    let started = Instant::now();
    let single = shard.count == 1;
    let file = if single {
        out.to_path_buf()
    } else {
        shard_path(out, shard)
    };
    let partial = shard_path(&out.with_extension("json"), shard);
    let key = key(sim, prior, n, seed)?;
    let n_blocks = n.div_ceil(SET_BLOCK);
    let mut part = SetPart {
        n,
        n_blocks,
        range: shard.blocks(n_blocks),
        done: 0,
        rows: 0,
        n_ok: 0,
        file: file.to_string_lossy().into_owned(),
        complete: false,
        seconds: 0.0,
    };
    let prev = Partial::<SetPart>::load(&partial)
        .ok()
        .filter(|p| p.job == key && p.shard == shard);
    if let Some(p) = &prev {
        if p.body.complete && file.exists() {
            return Ok(SetShard {
                partial,
                part: p.body.clone(),
                resumed_at: Some(p.body.range.end),
            });
        }
    }
    let like = block_table(sim, prior, n.min(1), seed, 0)?.0.head(0);
    let mut sink = ParquetSink::create(&file, like.df())?;
    let resumed_at = match &prev {
        Some(p) if incomplete_path(&file).exists() => {
            sink.copy_from(&incomplete_path(&file), p.body.rows, SET_BLOCK)?;
            part = SetPart {
                seconds: p.body.seconds,
                ..p.body.clone()
            };
            Some(part.range.start + part.done)
        }
        _ => None,
    };
    let progress =
        crate::progress::Progress::new((part.range.len() - part.done) as u64, "simulate");
    for block in part.range.start + part.done..part.range.end {
        let step = crate::interrupt::check()
            .map_err(InferError::from)
            .and_then(|()| block_table(sim, prior, n, seed, block));
        let (t, n_ok) = match step {
            Ok(t) => t,
            Err(e) if matches!(e.kind(), ErrorKind::Interrupted | ErrorKind::Terminated) => {
                part.seconds += started.elapsed().as_secs_f64();
                sink.finish_as(&incomplete_path(&file))?;
                Partial {
                    job: key,
                    shard,
                    body: part,
                }
                .save(&partial)?;
                return Err(e);
            }
            Err(e) => return Err(e),
        };
        part.n_ok += n_ok;
        part.rows += t.len();
        sink.write_table(&t)?;
        part.done += 1;
        progress.inc(1);
    }
    progress.finish();
    sink.finish()?;
    let _ = std::fs::remove_file(incomplete_path(&file));
    part.complete = true;
    part.seconds += started.elapsed().as_secs_f64();
    if !single {
        Partial {
            job: key,
            shard,
            body: part.clone(),
        }
        .save(&partial)?;
    }
    Ok(SetShard {
        partial,
        part,
        resumed_at,
    })
}

/// Concatenates the shards of a training set (their partials, any order) into `out`: the
/// file the single process writes, byte for byte. Returns the number of runs.
pub fn merge_set(paths: &[PathBuf], out: &Path) -> Result<SetPart, InferError> {
    let parts = load_all::<SetPart>(paths)?;
    let (_, first) = parts.first().ok_or(ShardError::Nothing)?;
    let mut merged = SetPart {
        range: 0..first.body.n_blocks,
        done: first.body.n_blocks,
        rows: 0,
        n_ok: 0,
        file: out.to_string_lossy().into_owned(),
        complete: true,
        seconds: 0.0,
        ..first.body.clone()
    };
    let mut sink: Option<ParquetSink> = None;
    for (path, p) in &parts {
        let b = &p.body;
        if !b.complete {
            return Err(ShardError::Incomplete {
                path: path.clone(),
                shard: p.shard,
                done: b.done,
                total: b.range.len(),
            }
            .into());
        }
        if b.rows == 0 {
            continue;
        }
        let from = Path::new(&b.file);
        if sink.is_none() {
            let like = crate::catalog::TableBatches::open(from)?.head()?.head(0);
            sink = Some(ParquetSink::create(out, like.df())?);
        }
        if let Some(s) = &mut sink {
            s.copy_from(from, b.rows, SET_BLOCK)?;
        }
        merged.rows += b.rows;
        merged.n_ok += b.n_ok;
        merged.seconds += b.seconds;
    }
    sink.ok_or(ShardError::Nothing)?.finish()?;
    Ok(merged)
}

/// Neural posterior estimation on a training set already simulated (a runs table, e.g. the
/// shards of [`simulate_set`] read as one): the successful runs' outputs (every column that is
/// neither a parameter of `prior` nor `status`, in table order) get the noise of `opts` (the
/// paper's 0.05 dex by default) once, as [`crate::infer::npe::pipeline::train_npe`] does, and
/// the flow is trained on them.
pub fn train_npe_on_runs(
    prior: &Prior,
    runs: &Table,
    opts: &crate::infer::NpeOptions,
    observer: Option<&mut dyn crate::nn::Observer>,
) -> Result<(crate::infer::NeuralPosterior, crate::infer::NpeReport), InferError> {
    use crate::model::runs::{successful_runs, STATUS_COLUMN};
    let params = prior.space().names();
    let outputs: Vec<String> = runs
        .columns()
        .into_iter()
        .filter(|c| c != STATUS_COLUMN && !params.contains(&c.as_str()))
        .collect();
    if outputs.is_empty() {
        return Err(InferError::option(
            "runs",
            runs.columns().join(", "),
            "holds no output columns besides the parameters and status",
        ));
    }
    let out_names: Vec<&str> = outputs.iter().map(String::as_str).collect();
    let arrays = successful_runs(runs, &params, &out_names)?;
    let good: Vec<usize> = (0..arrays.x.nrows())
        .filter(|&r| arrays.x.row(r).iter().all(|v| v.is_finite()))
        .collect();
    let theta = arrays.theta.select(ndarray::Axis(0), &good);
    let mut x = arrays.x.select(ndarray::Axis(0), &good);
    let noise = opts.noise.clone().unwrap_or_else(|| {
        crate::model::NoiseModel::uniform(
            outputs.len(),
            crate::infer::npe::pipeline::PAPER_NOISE_DEX,
        )
    });
    noise
        .validate(outputs.len())
        .map_err(|e| InferError::option("noise", format!("{:?}", noise.sigma), e))?;
    noise.add(&mut x, crate::rng::derive(opts.seed, 1));
    let source = runs
        .origin()
        .map_or_else(|| "runs table".to_string(), |o| format!("runs:{o}"));
    let (post, mut report) = crate::infer::npe::pipeline::train_on_pairs_with(
        prior,
        (theta.view(), x.view()),
        noise,
        &source,
        outputs,
        opts,
        observer,
    )?;
    report.n_failed = arrays.n_failed + (arrays.x.nrows() - good.len());
    Ok((post, report))
}
