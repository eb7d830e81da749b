//! Saving and loading flows: a plain serde record of everything a flow needs (architecture,
//! standardisations, permutations, flat parameters), checked for consistency on the way in,
//! and files in the [`crate::envelope`] written atomically.

use super::error::FlowError;
use super::maf::{FlowConfig, Maf};
use super::permutation::Permutation;
use crate::envelope::{self, Format};
use crate::error::FileError;
use crate::nn::Scaler;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Format name of a stand-alone flow file.
pub const FLOW_FORMAT: &str = "galchem-flow";
/// Version of the flow file layout written (versions 1 and 2 are read).
pub const FLOW_VERSION: u32 = 2;

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

    /// Writes the flow to `path` in the [`crate::envelope`] (JSON, atomically).
    pub fn save(&self, path: &Path) -> Result<(), FlowError> {
        let file = FlowFile {
            flow: self.to_record(),
        };
        Ok(envelope::save(path, &FORMAT, &file)?)
    }

    /// Reads a flow written by [`Maf::save`].
    pub fn load(path: &Path) -> Result<Maf, FlowError> {
        let file: FlowFile = envelope::load(path, &FORMAT)?.body;
        Maf::from_record(file.flow).map_err(|e| FileError::unusable(path, FLOW_FORMAT, e).into())
    }
}

/// The body of a flow file.
#[derive(Serialize, Deserialize)]
struct FlowFile {
    flow: MafRecord,
}

/// The flow file format.
pub const FORMAT: Format = Format {
    name: FLOW_FORMAT,
    version: FLOW_VERSION,
    oldest_readable: 1,
};
