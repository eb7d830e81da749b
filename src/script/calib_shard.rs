//! Bindings: calibration files and sharded calibration runs (`calibrate` with `shard`/`out`,
//! `save`, `load_calibration`, `merge_calibration`). Translation only: the science is in
//! `crate::calib::shard`.

use super::context::{context, Context};
use super::failure::{rt, rt_error, RhaiResult};
use crate::calib::{self, CalibShard, Calibration, RunOptions};
use crate::infer::NeuralPosterior;
use crate::model::Simulator;
use crate::shard::{shard_path, ShardSpec};
use rhai::plugin::*;
#[allow(unused_imports)]
use rhai::{Array, Dynamic, Map, FLOAT, INT};
use std::path::{Path, PathBuf};

/// Where the files of a `calibrate` call go: a shard's partial, or the whole run's file.
pub(super) enum Output {
    /// No file.
    None,
    /// The whole run, saved to this path.
    Whole(PathBuf),
    /// Shard `spec`, its partial at this path.
    Shard(ShardSpec, PathBuf),
}

/// The output of `calibrate` from its options `shard`, `out` and `partial`, checked against
/// the script's write policy.
pub(super) fn output(
    c: &Context,
    shard: Option<&str>,
    out: Option<&str>,
    partial: Option<&str>,
) -> RhaiResult<Output> {
    let spec = shard.map(ShardSpec::parse).transpose().map_err(rt)?;
    match (spec, out, partial) {
        (None, _, Some(_)) => Err(rt_error("calibrate: option 'partial' needs option 'shard'")),
        (None, None, None) => Ok(Output::None),
        (None, Some(o), None) => Ok(Output::Whole(c.writable("calibrate", o)?)),
        (Some(s), _, Some(p)) => Ok(Output::Shard(s, c.writable("calibrate", p)?)),
        (Some(s), Some(o), None) => {
            let p = shard_path(Path::new(o), s);
            Ok(Output::Shard(s, c.writable("calibrate", &p.to_string_lossy())?))
        }
        (Some(_), None, None) => Err(rt_error(
            "calibrate: a shard writes a partial file: give option 'out' (the merged calibration file; the partial goes next to it) or 'partial'",
        )),
    }
}

/// Runs `opts` with `sim` into `output`: a `CalibrationRun` (saved if asked), or for a shard
/// a `#{ shard, partial, first, end, n_blocks, n_usable, seconds }` map.
pub(super) fn run_into(
    post: &NeuralPosterior,
    sim: &dyn Simulator,
    opts: &RunOptions,
    output: &Output,
) -> RhaiResult<Dynamic> {
    match output {
        Output::Shard(spec, partial) => {
            let s = calib::calibrate_shard(post, sim, opts, *spec, partial).map_err(rt)?;
            Ok(shard_map(&s))
        }
        Output::Whole(path) => {
            let run = calib::run(post, sim, opts).map_err(rt)?;
            run.save(path).map_err(rt)?;
            Ok(Dynamic::from(run))
        }
        Output::None => Ok(Dynamic::from(calib::run(post, sim, opts).map_err(rt)?)),
    }
}

fn shard_map(s: &CalibShard) -> Dynamic {
    let int = |v: usize| Dynamic::from_int(v as INT);
    let mut m = Map::new();
    m.insert("shard".into(), Dynamic::from(s.shard.to_string()));
    m.insert(
        "partial".into(),
        Dynamic::from(s.partial.to_string_lossy().into_owned()),
    );
    m.insert("first".into(), int(s.part.indices.start));
    m.insert("end".into(), int(s.part.indices.end));
    m.insert("n_blocks".into(), int(s.part.n_blocks));
    m.insert(
        "n_usable".into(),
        int(s.part.calibration.as_ref().map_or(0, |c| c.n_usable())),
    );
    m.insert(
        "seconds".into(),
        Dynamic::from_float(s.part.seconds as FLOAT),
    );
    Dynamic::from_map(m)
}

#[export_module]
pub mod calib_shard_api {
    use super::*;

    /// Saves a calibration run to `path` (format `galchem-calibration`, atomically; its
    /// `seconds` are not saved). `load_calibration(path)` reads it back; `sbc`, `tarp`,
    /// `coverage` and `figure` work on the loaded run.
    /// ```rhai
    /// calibrate(post, sim, #{ n: 200 }).save("calibration.json");
    /// ```
    #[rhai_fn(global, name = "save", return_raw, pure)]
    pub fn save_calibration(
        ctx: NativeCallContext,
        run: &mut Calibration,
        path: &str,
    ) -> RhaiResult<()> {
        let path = context(&ctx)?.writable("save", path)?;
        run.save(&path).map_err(rt)
    }

    /// Reads a calibration run saved by `save`, `calibrate(…, #{ out })` or `galchem merge`.
    /// ```rhai
    /// let run = load_calibration("calibration.json");
    /// print(sbc(run).ks_pvalues);
    /// ```
    #[rhai_fn(return_raw)]
    pub fn load_calibration(path: &str) -> RhaiResult<Calibration> {
        Calibration::load(Path::new(path)).map_err(rt)
    }

    /// Merges the partial files of a sharded calibration run (an array of paths, any
    /// order) into the calibration file `out`, the single-process run's file byte for byte
    /// (as `galchem merge PARTIALS -o OUT` does); partials of another run, seed or galchem
    /// version are refused and a missing shard is named. Returns the `CalibrationRun`.
    #[rhai_fn(return_raw)]
    pub fn merge_calibration(
        ctx: NativeCallContext,
        paths: Array,
        out: &str,
    ) -> RhaiResult<Calibration> {
        let out = context(&ctx)?.writable("merge_calibration", out)?;
        let paths: Vec<PathBuf> = super::super::convert::strings(
            &Dynamic::from_array(paths),
            "merge_calibration: paths",
        )?
        .into_iter()
        .map(PathBuf::from)
        .collect();
        calib::merge_calibration(&paths, Some(&out)).map_err(rt)
    }
}
