//! Bindings: streamed catalog inference for catalogs of any size (`infer_stream`), its
//! shards on a cluster (`infer_shard`, `slurm_shard`) and the merge of their partial files
//! (`merge_inference`).

use super::context::context;
use super::failure::{rt, rt_error, RhaiResult};
use super::options::{parse, OptionDoc, ScriptOptions};
use super::simulators::with_simulator;
use super::training::checkpoint_path;
use crate::infer::stream::{self, ShardDone, StreamRun, StreamSettings};
use crate::infer::{CatalogInference, CombineMethod, NeuralPosterior};
use crate::model::Simulator;
use crate::shard::{shard_path, ShardSpec};
use rhai::plugin::*;
#[allow(unused_imports)]
use rhai::{Array, Dynamic, Map, FLOAT, INT};
use std::path::{Path, PathBuf};

crate::script_options! {
    /// Options of `infer_stream` and `infer_shard`.
    pub struct StreamArgs for "infer_stream" {
        /// Use only the first n usable rows (all; not with shards).
        n_stars: Option<usize>,
        /// Posterior draws per star (1000).
        samples: Option<usize>,
        /// Seed; a star's draws depend only on the seed and its row (1).
        seed: Option<u64>,
        /// The combination: `divide_prior`, `paper` or `inverse_variance`; without it
        /// `divide_prior`, falling back to `paper` (with the reason in `fallback`) when the
        /// stars cannot carry the division.
        method: Option<String>,
        /// Map from observable name to catalog column, or a preset name (the bundled
        /// catalogs' `obs_<X>`).
        columns: Option<Dynamic> as "a map or a preset name",
        /// The column layout: `default`, `apogee`, `galah` or `chempy_npz` (see `infer`).
        preset: Option<String>,
        /// Quality-flag columns by observable, e.g. `#{ N_Fe: "N_FLAG" }` (see `infer`).
        flags: Option<std::collections::BTreeMap<String, String>> as "a map of column names",
        /// Error columns, one per observable, or `false` for none (`err_<X>` when present).
        errors: Option<Dynamic> as "an array of column names, or false",
        /// The column of row labels (`star` when present).
        label: Option<String>,
        /// A simulator whose likelihood refines every star's draws (as for `infer`).
        refine: Option<Dynamic> as "a simulator or an emulator",
        /// The per-star Parquet file (a shard writes `<stem>.shard-i-of-n.parquet`).
        stars_out: Option<String>,
        /// The report (JSON) of the whole catalog; a shard's partial goes next to it as
        /// `<stem>.shard-i-of-n.json` unless `partial` is given.
        out: Option<String>,
        /// `infer_shard`: the partial file.
        partial: Option<String>,
        /// `infer_stream`: where an interrupted run keeps what it did, a path or `false` (in
        /// the cache, keyed by the call); the same call resumes from it.
        checkpoint: Option<Dynamic> as "a path or false",
        /// Fields copied into the report, e.g. `#{ posterior: "p.json", catalog: "c.csv" }`.
        meta: Option<serde_json::Value> as "a map",
        /// A systematic floor added to the combined covariance: the map of `galaxy_floor`
        /// (its `cov`) or a 2 × 2 matrix in dex², or `false` for none (default: the floor
        /// the posterior carries, `post.with_floor`, else none).
        systematic: Option<serde_json::Value> as "a galaxy_floor map, [[a, b], [c, d]] or false",
    }
}

/// The option tables of this module's functions.
pub fn option_docs() -> Vec<(&'static str, &'static [OptionDoc])> {
    vec![
        ("infer_stream", StreamArgs::docs()),
        ("infer_shard", StreamArgs::docs()),
    ]
}

/// The library's settings from the options, for the catalog at `catalog`.
fn settings(
    a: &StreamArgs,
    post: &NeuralPosterior,
    catalog: &Path,
    stars_out: Option<&Path>,
) -> RhaiResult<StreamSettings> {
    let head = crate::catalog::TableBatches::open(catalog)
        .and_then(|b| b.head())
        .map_err(rt)?;
    let given = super::survey::GivenColumns {
        columns: a.columns.as_ref(),
        errors: a.errors.as_ref(),
        label: a.label.as_deref(),
    };
    let layout = super::survey::SurveyInferArgs {
        preset: a.preset.clone(),
        flags: a.flags.clone(),
        ..Default::default()
    };
    let columns = super::survey::column_map(&given, &layout, post, &head)?;
    let method = match a.method.as_deref() {
        None => None,
        Some(m) => Some(
            m.parse::<CombineMethod>()
                .map_err(|e| rt_error(format!("infer_stream: {e}")))?,
        ),
    };
    let meta = match &a.meta {
        None => serde_json::Map::new(),
        Some(serde_json::Value::Object(o)) => o.clone(),
        Some(_) => return Err(rt_error("infer_stream: option 'meta' must be a map")),
    };
    Ok(StreamSettings {
        n_stars: a.n_stars,
        samples: a.samples.unwrap_or(1000),
        seed: a.seed.unwrap_or(crate::rng::DEFAULT_SEED),
        method,
        columns,
        stars_out: stars_out.map(|p| p.to_string_lossy().into_owned()),
        meta,
        systematic: super::galaxy::resolve_floor(
            a.systematic.as_ref(),
            post,
            &super::galaxy::floor_key(method, None, a.refine.is_some()),
            "infer_stream",
        )?,
    })
}

/// Runs `f` with the run, refined with option `refine` if given.
fn with_run<R>(
    post: &NeuralPosterior,
    catalog: &Path,
    settings: StreamSettings,
    refine: Option<&Dynamic>,
    f: impl FnOnce(&StreamRun) -> RhaiResult<R>,
) -> RhaiResult<R> {
    let run = |sim: Option<&dyn Simulator>| {
        f(&StreamRun {
            posterior: post,
            catalog,
            settings: settings.clone(),
            refine: sim,
        })
    };
    match refine {
        None => run(None),
        Some(d) => with_simulator(d, None, "infer_stream: option 'refine'", |sim| {
            run(Some(sim))
        }),
    }
}

/// A name for the default checkpoint of a call.
fn checkpoint_name(catalog: &Path, a: &StreamArgs) -> String {
    let mut h = crate::nn::checkpoint::hash::DataHash::new();
    h.str("infer_stream")
        .str(&catalog.to_string_lossy())
        .str(a.out.as_deref().unwrap_or(""))
        .str(a.stars_out.as_deref().unwrap_or(""))
        .u64(a.samples.unwrap_or(1000) as u64)
        .u64(a.seed.unwrap_or(crate::rng::DEFAULT_SEED));
    format!(
        "infer-{}.json",
        crate::nn::checkpoint::hash::hex(h.finish())
    )
}

#[export_module]
pub mod stream_api {
    use super::*;

    /// Catalog inference for a catalog of any size, in bounded memory: reads the catalog
    /// (`catalog`, a CSV or Parquet path) in blocks of 4096 rows, writes every star's summary
    /// to the Parquet file `stars_out` as it goes, and combines the stars through mergeable
    /// sums. With `out`, writes the report (JSON). Returns an `Inference` (its `stars` are in
    /// `stars_out`; its `running` has the first 1 … 100 rows and 50 points per decade).
    /// Ctrl-C or SIGTERM stop it after the blocks done, with a checkpoint from which the
    /// same call resumes.
    /// ```rhai
    /// let r = infer_stream(post, data_path("catalogs/mock_chempy_tng.csv"), #{ stars_out: "stars.parquet", out: "result.json" });
    /// ```
    #[rhai_fn(return_raw)]
    pub fn infer_stream(
        ctx: NativeCallContext,
        post: NeuralPosterior,
        catalog: &str,
        options: Map,
    ) -> RhaiResult<CatalogInference> {
        let a: StreamArgs = parse(options)?;
        let c = context(&ctx)?;
        if a.partial.is_some() {
            return Err(rt_error(
                "infer_stream: option 'partial' is for infer_shard",
            ));
        }
        let catalog = PathBuf::from(catalog);
        let out = a
            .out
            .as_deref()
            .map(|p| c.writable("infer_stream", p))
            .transpose()?;
        let stars = a
            .stars_out
            .as_deref()
            .map(|p| c.writable("infer_stream", p))
            .transpose()?;
        let checkpoint = checkpoint_path(&c, "infer_stream", a.checkpoint.clone(), || {
            checkpoint_name(&catalog, &a)
        })?;
        let settings = settings(&a, &post, &catalog, stars.as_deref())?;
        with_run(&post, &catalog, settings, a.refine.as_ref(), |run| {
            stream::infer_stream(run, checkpoint.as_deref(), out.as_deref()).map_err(rt)
        })
    }

    /// Shard `shard` (`"i/n"`, 0 ≤ i < n) of `infer_stream`: infers its contiguous share of
    /// the catalog's blocks and writes a partial file (option `partial`, else next to `out`
    /// as `<stem>.shard-i-of-n.json`). `galchem merge PARTIALS -o OUT` (or
    /// `merge_inference`) combines all shards into the single-process result, byte for byte.
    /// An interrupted shard resumes when called again. Returns a `ShardRun`.
    #[rhai_fn(return_raw)]
    pub fn infer_shard(
        ctx: NativeCallContext,
        post: NeuralPosterior,
        catalog: &str,
        shard: &str,
        options: Map,
    ) -> RhaiResult<ShardDone> {
        let a: StreamArgs = parse(options)?;
        let c = context(&ctx)?;
        let spec = ShardSpec::parse(shard).map_err(rt)?;
        let catalog = PathBuf::from(catalog);
        let partial = match (&a.partial, &a.out) {
            (Some(p), _) => PathBuf::from(p),
            (None, Some(o)) => shard_path(Path::new(o), spec),
            (None, None) => {
                return Err(rt_error(
                    "infer_shard: give option 'out' (the merged report) or 'partial'",
                ))
            }
        };
        let partial = c.writable("infer_shard", &partial.to_string_lossy())?;
        // the merged per-star file, resolved as infer_stream resolves it (the report names it)
        let stars = a
            .stars_out
            .as_deref()
            .map(|s| c.writable("infer_shard", s))
            .transpose()?;
        if let Some(s) = &stars {
            c.writable("infer_shard", &shard_path(s, spec).to_string_lossy())?;
        }
        let settings = settings(&a, &post, &catalog, stars.as_deref())?;
        with_run(&post, &catalog, settings, a.refine.as_ref(), |run| {
            stream::infer_shard(run, spec, &partial).map_err(rt)
        })
    }

    /// The shard of this Slurm array task, `"i/n"` from `SLURM_ARRAY_TASK_ID` and
    /// `SLURM_ARRAY_TASK_COUNT`, or `()` outside an array job.
    #[rhai_fn(return_raw)]
    pub fn slurm_shard() -> RhaiResult<Dynamic> {
        Ok(match ShardSpec::from_env().map_err(rt)? {
            Some(s) => Dynamic::from(s.to_string()),
            None => Dynamic::UNIT,
        })
    }

    /// Merges the partial files of a sharded `infer_shard` run (an array of paths, any
    /// order) into the report `out` and the per-star file; partials of another job, seed or
    /// galchem version are refused and a missing shard is named. Returns the `Inference`.
    #[rhai_fn(return_raw)]
    pub fn merge_inference(
        ctx: NativeCallContext,
        paths: Array,
        out: &str,
    ) -> RhaiResult<CatalogInference> {
        let c = context(&ctx)?;
        let out = c.writable("merge_inference", out)?;
        let paths: Vec<PathBuf> =
            super::super::convert::strings(&Dynamic::from_array(paths), "merge_inference: paths")?
                .into_iter()
                .map(PathBuf::from)
                .collect();
        let allow = |p: &Path| {
            c.writable("merge_inference", &p.to_string_lossy())
                .map_err(|e| e.to_string())
        };
        stream::merge_checked(&paths, &out, &allow).map_err(rt)
    }
}
