//! Saving and loading emulators: the [`crate::envelope`] around the input and output names,
//! the architecture, the scalers, the flat parameters and the training metadata. Writes are
//! atomic; loading checks the format, the version and the consistency of every shape, and
//! names the file in every error.

use super::{Emulator, TrainReport};
use crate::envelope::{self, Format};
use crate::error::FileError;
use crate::nn::{Activation, Loss, Mlp, NnError, Scaler};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The `format` field of an emulator file.
pub const FORMAT_NAME: &str = "galchem-emulator";
/// The version this galchem writes (it reads versions 1 and 2).
pub const FORMAT_VERSION: u32 = 2;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Architecture {
    sizes: Vec<usize>,
    activation: Activation,
    output_activation: Activation,
    loss: Loss,
}

/// The body of an emulator file (inside the [`crate::envelope`]).
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct EmulatorFile {
    input_names: Vec<String>,
    output_names: Vec<String>,
    architecture: Architecture,
    input_scaler: Scaler,
    output_scaler: Scaler,
    params: Vec<f32>,
    training: TrainReport,
}

/// The emulator file format.
pub const FORMAT: Format = Format {
    name: FORMAT_NAME,
    version: FORMAT_VERSION,
    oldest_readable: 1,
};

fn bad(path: &Path, message: impl Into<String>) -> NnError {
    FileError::unusable(path, FORMAT_NAME, message).into()
}

impl Emulator {
    /// Writes the emulator to `path` (the [`crate::envelope`], JSON), atomically.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), NnError> {
        let file = EmulatorFile {
            input_names: self.input_names.clone(),
            output_names: self.output_names.clone(),
            architecture: Architecture {
                sizes: self.mlp.sizes().to_vec(),
                activation: self.mlp.hidden_activation(),
                output_activation: self.mlp.output_activation(),
                loss: self.loss,
            },
            input_scaler: self.input_scaler.clone(),
            output_scaler: self.output_scaler.clone(),
            params: self.params.clone(),
            training: self.training.clone(),
        };
        Ok(envelope::save(path.as_ref(), &FORMAT, &file)?)
    }

    /// Reads an emulator written by [`Emulator::save`] (any readable version); its label is
    /// the path.
    pub fn load(path: impl AsRef<Path>) -> Result<Emulator, NnError> {
        let path = path.as_ref();
        let bytes = std::fs::read(path)
            .map_err(|e| FileError::io(path, format!("cannot read the emulator: {e}")))?;
        Ok(Self::from_bytes(&bytes, path)?.with_label(path.display().to_string()))
    }

    /// Parses the bytes of an emulator file (`path` only names it in errors).
    pub fn from_bytes(bytes: &[u8], path: &Path) -> Result<Emulator, NnError> {
        let raw = envelope::parse(bytes, path, &FORMAT)?;
        let f: EmulatorFile = serde_json::from_value(raw.body)
            .map_err(|e| bad(path, format!("corrupt emulator file: {e}")))?;
        Self::from_file(f).map_err(|m| bad(path, m))
    }

    fn from_file(f: EmulatorFile) -> Result<Emulator, String> {
        let a = &f.architecture;
        let mlp =
            Mlp::new(&a.sizes, a.activation, a.output_activation).map_err(|e| e.to_string())?;
        if let Some(msg) = inconsistency(&f, &mlp) {
            return Err(msg);
        }
        f.input_scaler.validate()?;
        f.output_scaler.validate()?;
        Ok(Emulator {
            mlp,
            params: f.params,
            loss: a.loss,
            input_scaler: f.input_scaler,
            output_scaler: f.output_scaler,
            space: crate::model::ParamSpace::with_chempy_names(&f.input_names)
                .map_err(|e| format!("input names: {e}"))?,
            input_names: f.input_names,
            output_names: f.output_names,
            training: f.training,
            label: String::new(),
        })
    }
}

/// The first way in which the file's names, scalers and parameters do not fit the network
/// `mlp` built from its architecture, if any.
fn inconsistency(f: &EmulatorFile, mlp: &Mlp) -> Option<String> {
    let a = &f.architecture;
    let (n_in, n_net) = (mlp.n_in(), mlp.n_out());
    let d = f.output_names.len();
    let checks = [
        (
            f.input_names.len() == n_in,
            format!(
                "{} input names for {n_in} network inputs",
                f.input_names.len()
            ),
        ),
        (
            a.loss.n_outputs(d) == n_net,
            format!(
                "{d} output names for {n_net} network outputs with loss {:?}",
                a.loss
            ),
        ),
        (
            f.input_scaler.dim() == n_in,
            format!(
                "input scaler of dimension {} for {n_in} inputs",
                f.input_scaler.dim()
            ),
        ),
        (
            f.output_scaler.dim() == d,
            format!(
                "output scaler of dimension {} for {d} outputs",
                f.output_scaler.dim()
            ),
        ),
        (
            f.params.len() == mlp.n_params(),
            format!(
                "{} parameters, the architecture {:?} needs {}",
                f.params.len(),
                a.sizes,
                mlp.n_params()
            ),
        ),
        (
            f.params.iter().all(|p| p.is_finite()),
            "non-finite network parameters".to_string(),
        ),
    ];
    checks.into_iter().find(|(ok, _)| !ok).map(|(_, msg)| msg)
}
