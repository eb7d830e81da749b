//! Saving and loading emulators: one JSON document with a format name and version, the
//! input and output names, the architecture, the scalers, the flat parameters and the
//! training metadata. Writes are atomic; loading checks the format, the version and the
//! consistency of every shape, and names the file in every error.

use super::{Emulator, TrainReport};
use crate::nn::{Activation, Loss, Mlp, NnError, Scaler};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The `format` field of an emulator file.
pub const FORMAT_NAME: &str = "galchem-emulator";
/// The version this galchem writes and reads.
pub const FORMAT_VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Architecture {
    sizes: Vec<usize>,
    activation: Activation,
    output_activation: Activation,
    loss: Loss,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct EmulatorFile {
    format: String,
    version: u32,
    input_names: Vec<String>,
    output_names: Vec<String>,
    architecture: Architecture,
    input_scaler: Scaler,
    output_scaler: Scaler,
    params: Vec<f32>,
    training: TrainReport,
}

/// Just the header, to recognise foreign files and other versions before the full parse.
#[derive(Deserialize)]
struct Header {
    format: Option<String>,
    version: Option<serde_json::Value>,
}

fn bad(path: &Path, message: impl Into<String>) -> NnError {
    NnError::BadFile {
        path: path.to_path_buf(),
        format: "galchem emulator (JSON)",
        message: message.into(),
    }
}

impl Emulator {
    /// Writes the emulator to `path` (JSON), atomically.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), NnError> {
        let path = path.as_ref();
        let file = EmulatorFile {
            format: FORMAT_NAME.into(),
            version: FORMAT_VERSION,
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
        crate::fsutil::atomic_write(path, |w| {
            serde_json::to_writer(w, &file).map_err(std::io::Error::from)
        })
        .map_err(|e| NnError::Io {
            path: path.to_path_buf(),
            message: format!("cannot write the emulator: {e}"),
        })
    }

    /// Reads an emulator written by [`Emulator::save`].
    pub fn load(path: impl AsRef<Path>) -> Result<Emulator, NnError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| NnError::Io {
            path: path.to_path_buf(),
            message: format!("cannot read the emulator: {e}"),
        })?;
        Self::from_json(&text, path)
    }

    /// Parses the JSON of an emulator file (`path` only names it in errors).
    pub fn from_json(text: &str, path: &Path) -> Result<Emulator, NnError> {
        let header: Header = serde_json::from_str(text).map_err(|e| {
            bad(
                path,
                format!("not a JSON object ({e}); the file is corrupt or of another kind"),
            )
        })?;
        match header.format.as_deref() {
            Some(FORMAT_NAME) => {}
            Some(other) => {
                return Err(bad(
                    path,
                    format!("it is a '{other}' file, not a '{FORMAT_NAME}' file"),
                ))
            }
            None => {
                return Err(bad(
                    path,
                    "it has no 'format' field (not a galchem model file)",
                ))
            }
        }
        match header.version.as_ref().and_then(|v| v.as_u64()) {
            Some(v) if v == u64::from(FORMAT_VERSION) => {}
            Some(v) => {
                return Err(bad(
                    path,
                    format!("format version {v}; this galchem reads version {FORMAT_VERSION}"),
                ))
            }
            None => return Err(bad(path, "it has no valid 'version' field")),
        }
        let f: EmulatorFile = serde_json::from_str(text)
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
            input_names: f.input_names,
            output_names: f.output_names,
            training: f.training,
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
