//! Saving and loading flows: a plain serde record of everything a flow needs (architecture,
//! standardisations, permutations, flat parameters), checked for consistency on the way in,
//! and JSON files with a format name and version written atomically.

use super::error::FlowError;
use super::maf::{FlowConfig, Maf};
use super::permutation::Permutation;
use crate::nn::Scaler;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Format name of a stand-alone flow file.
pub const FLOW_FORMAT: &str = "galchem-flow";
/// Version of the flow record layout.
pub const FLOW_VERSION: u32 = 1;

/// Everything that defines a trained flow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MafRecord {
    /// Architecture and seed.
    pub config: FlowConfig,
    /// Dimension of θ.
    pub theta_dim: usize,
    /// Dimension of x.
    pub x_dim: usize,
    /// Standardisation of θ.
    pub theta_scaler: Scaler,
    /// Standardisation of x.
    pub x_scaler: Scaler,
    /// One permutation per transform.
    pub permutations: Vec<Vec<usize>>,
    /// Flat parameters (masked weights zero).
    pub params: Vec<f32>,
}

impl Maf {
    /// The record of this flow.
    pub fn to_record(&self) -> MafRecord {
        MafRecord {
            config: self.config.clone(),
            theta_dim: self.d,
            x_dim: self.c,
            theta_scaler: self.theta_std.clone(),
            x_scaler: self.x_std.clone(),
            permutations: self.perms.iter().map(|p| p.indices().to_vec()).collect(),
            params: self.params.clone(),
        }
    }

    /// Rebuilds a flow from a record, checking every shape; the error message says what is
    /// inconsistent.
    pub fn from_record(r: MafRecord) -> Result<Maf, String> {
        r.config.validate().map_err(|e| e.to_string())?;
        let (d, c) = (r.theta_dim, r.x_dim);
        if d == 0 {
            return Err("theta_dim is 0".into());
        }
        for (what, s, dim) in [("theta", &r.theta_scaler, d), ("x", &r.x_scaler, c)] {
            s.validate().map_err(|e| format!("{what} scaler: {e}"))?;
            if s.dim() != dim {
                return Err(format!(
                    "{what} scaler has {} dimensions, expected {dim}",
                    s.dim()
                ));
            }
        }
        if r.permutations.len() != r.config.transforms {
            return Err(format!(
                "{} permutations for {} transforms",
                r.permutations.len(),
                r.config.transforms
            ));
        }
        let mut perms = Vec::with_capacity(r.permutations.len());
        for (k, p) in r.permutations.into_iter().enumerate() {
            if p.len() != d {
                return Err(format!(
                    "permutation {k} has length {}, expected {d}",
                    p.len()
                ));
            }
            perms.push(
                Permutation::from_indices(p)
                    .ok_or_else(|| format!("permutation {k} is not a permutation"))?,
            );
        }
        let (mades, _, n) = Maf::structure(&r.config, d, c, None).map_err(|e| e.to_string())?;
        if r.params.len() != n {
            return Err(format!(
                "{} parameters, the architecture needs {n}",
                r.params.len()
            ));
        }
        if let Some(i) = r.params.iter().position(|p| !p.is_finite()) {
            return Err(format!("parameter {i} is {}", r.params[i]));
        }
        let mut masked = r.params.clone();
        for m in &mades {
            m.apply_masks(&mut masked);
        }
        if masked != r.params {
            return Err("masked weights are not zero".into());
        }
        Ok(Maf {
            config: r.config,
            d,
            c,
            theta_std: r.theta_scaler,
            x_std: r.x_scaler,
            mades,
            perms,
            params: r.params,
        })
    }

    /// Writes the flow as JSON to `path` (atomically).
    pub fn save(&self, path: &Path) -> Result<(), FlowError> {
        let file = FlowFile {
            format: FLOW_FORMAT.into(),
            version: FLOW_VERSION,
            flow: self.to_record(),
        };
        write_json(path, &file)
    }

    /// Reads a flow written by [`Maf::save`].
    pub fn load(path: &Path) -> Result<Maf, FlowError> {
        let value = read_json(path, FLOW_FORMAT)?;
        check_header(path, &value, FLOW_FORMAT, FLOW_VERSION)?;
        let file: FlowFile =
            serde_json::from_value(value).map_err(|e| bad(path, FLOW_FORMAT, e))?;
        Maf::from_record(file.flow).map_err(|e| bad(path, FLOW_FORMAT, e))
    }
}

#[derive(Serialize, Deserialize)]
struct FlowFile {
    format: String,
    version: u32,
    flow: MafRecord,
}

fn bad(path: &Path, format: &'static str, e: impl ToString) -> FlowError {
    FlowError::BadFile {
        path: path.to_path_buf(),
        format,
        message: e.to_string(),
    }
}

/// Serialises `value` as JSON into `path` with an atomic write.
pub fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), FlowError> {
    let io = |e: std::io::Error| FlowError::Io {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let bytes = serde_json::to_vec(value).map_err(|e| FlowError::Io {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    crate::fsutil::atomic_write_bytes(path, &bytes).map_err(io)
}

/// Reads `path` as JSON; `format` names the expected format in errors.
pub fn read_json(path: &Path, format: &'static str) -> Result<serde_json::Value, FlowError> {
    let bytes = std::fs::read(path).map_err(|e| FlowError::Io {
        path: path.to_path_buf(),
        message: format!("cannot read: {e}"),
    })?;
    serde_json::from_slice(&bytes).map_err(|e| bad(path, format, format!("not valid JSON ({e})")))
}

/// Checks the `format` and `version` fields of a parsed file.
pub fn check_header(
    path: &Path,
    value: &serde_json::Value,
    format: &'static str,
    version: u32,
) -> Result<(), FlowError> {
    let found = value.get("format").and_then(|f| f.as_str());
    if found != Some(format) {
        return Err(bad(
            path,
            format,
            match found {
                Some(f) => format!("it is a '{f}' file"),
                None => "it has no 'format' field (not a galchem model file)".into(),
            },
        ));
    }
    let v = value.get("version").and_then(|v| v.as_u64());
    if v != Some(u64::from(version)) {
        return Err(bad(
            path,
            format,
            format!(
                "format version {}, this galchem reads version {version}",
                v.map_or("missing".to_string(), |v| v.to_string())
            ),
        ));
    }
    Ok(())
}
