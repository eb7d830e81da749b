//! The report of a catalog inference: the JSON file `scripts/infer.rhai` writes as `out`,
//! and `galchem merge` writes from the partials of a sharded run. It holds no timings, so a
//! merged report is the single-process report byte for byte.

use crate::error::FileError;
use crate::infer::CatalogInference;
use serde_json::{json, Map, Value};
use std::path::Path;

/// The report of `r`, with the fields of `meta` added (the report's own fields win).
///
/// Fields: `n_stars`, for every global parameter g `g_mean` and `g_sd`, `global_names`,
/// `mean`, `sd`, `cov`, `method`, `fallback` (why the default combination fell back to the
/// paper's, or null), `samples_per_star`, `mean_acceptance`, `n_rows`, `n_skipped`,
/// `skipped` (the first rows skipped: `row`, `label`, `reason`), `warnings`, `refined_with`,
/// `median_ess`, `stars_out`, `running` (`n_stars`, `mean`, `sd`, `error` per point).
pub fn report(r: &CatalogInference, meta: &Map<String, Value>) -> Value {
    let c = &r.combined;
    let mut m = Map::new();
    m.insert("n_stars".into(), json!(c.n_stars));
    for (j, g) in r.global_names.iter().enumerate() {
        m.insert(format!("{g}_mean"), json!(c.mean.get(j)));
        m.insert(format!("{g}_sd"), json!(c.sd.get(j)));
    }
    let skipped: Vec<Value> = r
        .skipped
        .iter()
        .map(|s| json!({ "row": s.row, "label": s.label, "reason": s.to_string() }))
        .collect();
    let running: Vec<Value> = r
        .running
        .iter()
        .map(|p| json!({ "n_stars": p.n_stars, "mean": p.mean, "sd": p.sd, "error": p.error }))
        .collect();
    let fields = [
        ("global_names", json!(r.global_names)),
        ("mean", json!(c.mean)),
        ("sd", json!(c.sd)),
        ("cov", json!(c.cov)),
        ("method", json!(c.method.name())),
        ("fallback", json!(r.fallback)),
        ("samples_per_star", json!(r.samples_per_star)),
        ("mean_acceptance", json!(r.mean_acceptance)),
        ("n_rows", json!(r.n_rows)),
        ("n_skipped", json!(r.n_skipped)),
        ("skipped", Value::Array(skipped)),
        ("warnings", json!(r.warnings)),
        ("refined_with", json!(r.refined_with)),
        ("median_ess", json!(r.median_ess)),
        ("systematic", json!(r.systematic)),
        ("stars_out", json!(r.stars_out)),
        ("running", Value::Array(running)),
    ];
    for (k, v) in fields {
        m.insert(k.into(), v);
    }
    for (k, v) in meta {
        m.entry(k.clone()).or_insert_with(|| v.clone());
    }
    Value::Object(m)
}

/// Writes [`report`] to `path` as indented JSON, atomically.
pub fn write_report(
    r: &CatalogInference,
    meta: &Map<String, Value>,
    path: &Path,
) -> Result<(), FileError> {
    let mut text =
        serde_json::to_string_pretty(&report(r, meta)).map_err(|e| FileError::io(path, e))?;
    text.push('\n');
    crate::fsutil::atomic_write_bytes(path, text.as_bytes()).map_err(|e| FileError::io(path, e))
}
