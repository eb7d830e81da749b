//! Bindings: training sets at scale — `simulate_set` (one shard of an n-run set, as Parquet),
//! `merge_set` and `read_tables` (a set of shards read as one table, for training).

use super::context::context;
use super::failure::{rt, rt_error, RhaiResult};
use super::simulators::with_simulator;
use crate::catalog::Table;
use crate::infer::training_set::{self, SetShard};
use crate::model::Prior;
use crate::shard::ShardSpec;
use rhai::plugin::*;
#[allow(unused_imports)]
use rhai::{Array, Dynamic, Map, FLOAT, INT};
use std::path::PathBuf;

fn paths(list: Array, what: &str) -> RhaiResult<Vec<PathBuf>> {
    Ok(super::convert::strings(&Dynamic::from_array(list), what)?
        .into_iter()
        .map(PathBuf::from)
        .collect())
}

#[export_module]
pub mod training_set_api {
    /// Shard `shard` (`"i/n"`; `"0/1"` for all) of a training set of `n` runs of `sim` (a
    /// CHEMPY or an emulator) on draws of `prior` with `seed`, written as a Parquet runs
    /// table to `out` (a shard writes `<stem>.shard-i-of-n.parquet` and its partial
    /// `<stem>.shard-i-of-n.json`). Blocks of 4096 runs; block b's parameters are the
    /// prior's chunk b, so shards merged with `merge_set` (or `galchem merge`) give the
    /// single-process file byte for byte. An interrupted shard resumes when called again.
    /// Returns a `SetShard`.
    /// ```rhai
    /// let s = simulate_set(chempy("tng"), paper_prior(#{ box: 5 }), 10000000, 1, slurm_shard() ?? "0/1", "runs.parquet");
    /// ```
    #[rhai_fn(return_raw)]
    pub fn simulate_set(
        ctx: NativeCallContext,
        sim: Dynamic,
        prior: Prior,
        n: INT,
        seed: INT,
        shard: &str,
        out: &str,
    ) -> RhaiResult<SetShard> {
        if n < 1 || seed < 0 {
            return Err(rt_error(format!(
                "simulate_set needs n >= 1 and seed >= 0, got n = {n}, seed = {seed}"
            )));
        }
        let c = context(&ctx)?;
        let spec = ShardSpec::parse(shard).map_err(rt)?;
        let out = c.writable("simulate_set", out)?;
        for p in [
            crate::shard::shard_path(&out, spec),
            crate::shard::shard_path(&out.with_extension("json"), spec),
        ] {
            c.writable("simulate_set", &p.to_string_lossy())?;
        }
        with_simulator(&sim, None, "simulate_set", |s| {
            training_set::simulate_set(s, &prior, n as usize, seed as u64, spec, &out).map_err(rt)
        })
    }

    /// Concatenates the shards of a training set (the paths of their partial `.json` files,
    /// any order) into the Parquet file `out`; refuses shards of other sets and names a
    /// missing one. Returns the number of runs.
    #[rhai_fn(return_raw)]
    pub fn merge_set(ctx: NativeCallContext, partials: Array, out: &str) -> RhaiResult<INT> {
        let c = context(&ctx)?;
        let out = c.writable("merge_set", out)?;
        let merged =
            training_set::merge_set(&paths(partials, "merge_set: partials")?, &out).map_err(rt)?;
        Ok(merged.rows as INT)
    }

    /// Reads several tables with the same columns (CSV or Parquet; e.g. the shards of a
    /// training set) as one table, in the order given: `train_emulator(read_tables(files))`.
    #[rhai_fn(return_raw)]
    pub fn read_tables(files: Array) -> RhaiResult<Table> {
        let files = paths(files, "read_tables: files")?;
        let mut it = files.iter();
        let first = it
            .next()
            .ok_or_else(|| rt_error("read_tables: give at least one file"))?;
        let mut t = Table::read(first).map_err(rt)?;
        for f in it {
            let next = Table::read(f).map_err(rt)?;
            t = t
                .vstack(&next)
                .map_err(|e| rt_error(format!("read_tables: {}: {e}", f.display())))?;
        }
        Ok(t)
    }
}
