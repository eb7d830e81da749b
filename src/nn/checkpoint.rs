//! Training checkpoints: everything [`crate::nn::train()`] needs to continue a run exactly
//! where it stopped, in galchem's [`crate::envelope`] (format `galchem-checkpoint`,
//! version 1), written atomically.
//!
//! A checkpoint holds
//! - the **fingerprint** of the run ([`Fingerprint`]): the loop settings that shape it, the
//!   optimizer's configuration, the number and a hash of the initial parameters (the
//!   architecture and its seed), and the number and a hash of the training and validation
//!   rows ([`crate::nn::Objective::fingerprint`]). A run refuses a checkpoint whose
//!   fingerprint differs from its own, with an error naming the file and what differs;
//! - where the run is: the epoch (in progress, or the next one), and within an epoch the
//!   mini-batches done and their loss sums ([`EpochCursor`]), with the epoch's row order;
//! - the parameters, the optimizer's full state ([`crate::nn::OptimizerState`]), the
//!   early-stopping tracker ([`BestState`]) and the history so far.
//!
//! Floats are stored in their exact JSON form ([`crate::nn::exact`]), so a resumed run continues bit
//! for bit: it ends with the parameters and history of a run that was never stopped.

pub mod hash;

use super::exact;
use super::objective::Objective;
use super::optim::{Optimizer, OptimizerConfig, OptimizerState};
use super::train::config::TrainConfig;
use super::train::history::TrainHistory;
use super::NnError;
use crate::envelope::{self, Format};
use crate::error::FileError;
use crate::error::Vocabulary;
use hash::{hex, DataHash};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The `format` field of a checkpoint file.
pub const FORMAT_NAME: &str = "galchem-checkpoint";

/// The checkpoint file format.
pub const FORMAT: Format = Format {
    name: FORMAT_NAME,
    version: 1,
    oldest_readable: 1,
};

/// How far an epoch got: the mini-batches done and the sums of their training losses.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct EpochCursor {
    /// Mini-batches done (optimizer steps of this epoch).
    pub batches: usize,
    /// Σ of the row losses of those batches.
    #[serde(with = "exact::one")]
    pub loss_sum: f64,
    /// Rows in those batches.
    pub rows: usize,
}

impl EpochCursor {
    /// The mean row loss so far (the epoch's training loss once it is complete).
    pub fn mean(&self) -> f64 {
        self.loss_sum / self.rows.max(1) as f64
    }
}

/// The early-stopping tracker: the best weights (when early stopping is on), the best
/// validation loss (+∞ before the first epoch) and the epochs since it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BestState {
    /// The best-validation weights (the initial ones before the first validation).
    #[serde(with = "exact::opt_vec")]
    pub best_params: Option<Vec<f32>>,
    /// The best validation loss.
    #[serde(with = "exact::one")]
    pub best_val: f64,
    /// Epochs since the best one.
    pub since_best: usize,
}

/// What identifies a training run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fingerprint {
    /// The loop settings that shape the run: every field of [`TrainConfig`] but `label`,
    /// `parallel`, `time_budget` and `checkpoint`.
    pub settings: serde_json::Value,
    /// The optimizer and its hyper-parameters.
    pub optimizer: OptimizerConfig,
    /// Number of parameters.
    pub n_params: usize,
    /// Hash of the initial parameters (16 hex digits).
    pub initial_params: String,
    /// Number of training rows.
    pub training_rows: usize,
    /// Hash of the training objective ([`Objective::fingerprint`]; `None`: it gives none).
    pub training: Option<String>,
    /// Number of validation rows (`None` without validation).
    pub validation_rows: Option<usize>,
    /// Hash of the validation objective.
    pub validation: Option<String>,
}

/// The settings of `config` that shape a run, as JSON.
fn settings(config: &TrainConfig) -> Result<serde_json::Value, NnError> {
    let mut v = serde_json::to_value(config)
        .map_err(|e| NnError::option("training settings", "?", e.to_string()))?;
    if let Some(map) = v.as_object_mut() {
        for key in ["label", "parallel", "time_budget", "checkpoint"] {
            map.remove(key);
        }
    }
    Ok(v)
}

impl Fingerprint {
    /// The fingerprint of a run of `optimizer` on `objective` (validated on `validation`)
    /// from `params` with `config`.
    pub fn of<O: Objective>(
        objective: &O,
        validation: Option<&O>,
        params: &[f32],
        optimizer: &dyn Optimizer,
        config: &TrainConfig,
    ) -> Result<Fingerprint, NnError> {
        Ok(Fingerprint {
            settings: settings(config)?,
            optimizer: optimizer.config(),
            n_params: params.len(),
            initial_params: hex(DataHash::new().f32s(params).finish()),
            training_rows: objective.n_rows(),
            training: objective.fingerprint().map(hex),
            validation_rows: validation.map(|v| v.n_rows()),
            validation: validation.and_then(|v| v.fingerprint()).map(hex),
        })
    }

    /// What differs between the fingerprint of a checkpoint (`self`) and `now`, if anything.
    pub fn difference(&self, now: &Fingerprint) -> Option<String> {
        if self.settings != now.settings {
            return Some(format!(
                "the training settings differ{}",
                setting_changes(&self.settings, &now.settings)
            ));
        }
        if self.optimizer != now.optimizer {
            return Some(format!(
                "the optimizer differs ({} in the checkpoint, {} now)",
                json(&self.optimizer),
                json(&now.optimizer)
            ));
        }
        if (self.n_params, &self.initial_params) != (now.n_params, &now.initial_params) {
            return Some(format!(
                "the model differs ({} parameters in the checkpoint, {} now, or other initial \
                 weights: another architecture or seed)",
                self.n_params, now.n_params
            ));
        }
        if (self.training_rows, &self.training) != (now.training_rows, &now.training) {
            return Some(format!(
                "the training data differ ({} rows in the checkpoint, {} now, or other values)",
                self.training_rows, now.training_rows
            ));
        }
        if (self.validation_rows, &self.validation) != (now.validation_rows, &now.validation) {
            return Some("the validation data differ".into());
        }
        None
    }
}

fn json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "?".into())
}

/// `" (key: A in the checkpoint, B now; …)"` for the top-level keys that differ.
fn setting_changes(old: &serde_json::Value, new: &serde_json::Value) -> String {
    let (Some(a), Some(b)) = (old.as_object(), new.as_object()) else {
        return String::new();
    };
    let null = serde_json::Value::Null;
    let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
    keys.sort();
    keys.dedup();
    let changes: Vec<String> = keys
        .into_iter()
        .filter(|k| a.get(*k) != b.get(*k))
        .map(|k| {
            let (x, y) = (a.get(k).unwrap_or(&null), b.get(k).unwrap_or(&null));
            format!("{k}: {x} in the checkpoint, {y} now")
        })
        .collect();
    if changes.is_empty() {
        String::new()
    } else {
        format!(" ({})", changes.join("; "))
    }
}

/// The body of a checkpoint file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// The run it belongs to.
    pub fingerprint: Fingerprint,
    /// The epoch in progress (with `cursor`) or the next one to run (0-based).
    pub epoch: usize,
    /// How far the epoch in progress got (`None`: at an epoch boundary).
    pub cursor: Option<EpochCursor>,
    /// The parameters (in the optimizer's current mode: y for schedule-free in train mode).
    #[serde(with = "exact::vec")]
    pub params: Vec<f32>,
    /// The optimizer's state.
    pub optimizer: OptimizerState,
    /// The row order of the epoch in progress (at a boundary: of the last epoch).
    pub order: Vec<usize>,
    /// The early-stopping tracker.
    pub best: BestState,
    /// The history so far; its `termination` says why the call that wrote the checkpoint
    /// stopped (`completed` in the checkpoints written after each epoch of a run that goes
    /// on).
    pub history: TrainHistory,
}

impl Checkpoint {
    /// The first inconsistency with a run of `n_params` parameters over `n_rows` rows in
    /// batches of `batch_size`, if any.
    pub fn inconsistency(
        &self,
        n_params: usize,
        n_rows: usize,
        batch_size: usize,
    ) -> Option<String> {
        let mut seen = vec![false; n_rows];
        let is_permutation = self.order.len() == n_rows
            && self
                .order
                .iter()
                .all(|&r| r < n_rows && !std::mem::replace(&mut seen[r], true));
        let best_len = self.best.best_params.as_ref().map_or(n_params, Vec::len);
        let batches = self.cursor.map_or(0, |c| c.batches);
        let checks = [
            (
                self.params.len() == n_params,
                format!("{} parameters for {n_params}", self.params.len()),
            ),
            (
                best_len == n_params,
                format!("{best_len} best parameters for {n_params}"),
            ),
            (
                is_permutation,
                format!("the row order is not a permutation of {n_rows} rows"),
            ),
            (
                batches <= n_rows.div_ceil(batch_size.max(1)),
                format!("{batches} mini-batches done in one epoch"),
            ),
            (
                self.history.epochs() == self.epoch,
                format!(
                    "{} epochs of history at epoch {}",
                    self.history.epochs(),
                    self.epoch
                ),
            ),
        ];
        checks.into_iter().find(|(ok, _)| !ok).map(|(_, m)| m)
    }
}

/// Reads a checkpoint file (e.g. to see how far a run got), without checking that it fits
/// any run.
pub fn load(path: &Path) -> Result<Checkpoint, NnError> {
    Ok(envelope::load::<Checkpoint>(path, &FORMAT)?.body)
}

/// The checkpoint file of one run: its path and the run's fingerprint (used by the loop).
#[derive(Debug, Clone)]
pub(crate) struct Checkpointer {
    path: PathBuf,
    fingerprint: Fingerprint,
}

impl Checkpointer {
    /// Checkpoints of the run `fingerprint` at `path`, whose directory must exist.
    pub fn new(path: &Path, fingerprint: Fingerprint) -> Result<Self, NnError> {
        crate::fsutil::temp_path(path)
            .map_err(|e| FileError::io(path, format!("cannot write a checkpoint here: {e}")))?;
        Ok(Self {
            path: path.to_path_buf(),
            fingerprint,
        })
    }

    /// The run's fingerprint.
    pub fn fingerprint(&self) -> &Fingerprint {
        &self.fingerprint
    }

    /// The checkpoint of this run, `None` if there is no file; a corrupt file or one of
    /// another run is an error naming the file.
    pub fn load(&self) -> Result<Option<Checkpoint>, NnError> {
        if !self.path.exists() {
            return Ok(None);
        }
        let ck = load(&self.path)?;
        if let Some(why) = ck.fingerprint.difference(&self.fingerprint) {
            return Err(self.unusable(format!(
                "it belongs to another training run: {why}; delete it to start afresh, or \
                 choose another checkpoint path"
            )));
        }
        Ok(Some(ck))
    }

    /// A [`FileError::Unusable`] about this file.
    pub fn unusable(&self, message: impl Into<String>) -> NnError {
        FileError::unusable(&self.path, FORMAT_NAME, message).into()
    }

    /// Writes `checkpoint` atomically (any file there is replaced only when complete).
    pub fn save(&self, checkpoint: &Checkpoint) -> Result<(), NnError> {
        Ok(envelope::save(&self.path, &FORMAT, checkpoint)?)
    }

    /// Deletes the file (a missing file is fine; a file that cannot be deleted stays, and
    /// a later identical run resumes from it to the same result).
    pub fn remove(&self) {
        let _ = std::fs::remove_file(&self.path);
    }
}
