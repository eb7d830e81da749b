//! The settings of the training loop and their checks.

use crate::error::{RowsVocabulary, Vocabulary};
use crate::nn::objective::Objective;
use crate::nn::NnError;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// How the training rows are ordered into mini-batches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Shuffle {
    /// A new random permutation every epoch (stream `epoch` of the seed; PyTorch's
    /// `shuffle=True`, sbi).
    #[default]
    EveryEpoch,
    /// One random permutation before the first epoch, then the same sequential batches every
    /// epoch (the paper's emulator training, spec A.5.1).
    Once,
    /// The rows in their given order.
    Never,
}

/// Early stopping on the validation loss.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct EarlyStopping {
    /// Number of consecutive epochs without a strictly better validation loss that stops
    /// training (sbi: `stop_after_epochs = 20`).
    pub patience: usize,
    /// Restore the best-validation weights also when training ends by the epoch limit.
    pub restore_best: bool,
}

impl EarlyStopping {
    /// sbi's default: patience 20, best weights restored.
    pub fn sbi() -> Self {
        Self {
            patience: 20,
            restore_best: true,
        }
    }
}

/// Settings of [`super::train`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// Rows per mini-batch.
    pub batch_size: usize,
    /// Maximum number of epochs.
    pub epochs: usize,
    /// Row order.
    pub shuffle: Shuffle,
    /// Drop the last incomplete mini-batch of an epoch (sbi) instead of taking a smaller one.
    pub drop_last: bool,
    /// Seed of the shuffling.
    pub seed: u64,
    /// Clip the joint gradient L2 norm to this value (sbi: 5.0).
    pub clip_grad_norm: Option<f64>,
    /// Early stopping (needs a validation objective).
    pub early_stopping: Option<EarlyStopping>,
    /// Rows per gradient chunk: a batch is cut into chunks of this size, computed in parallel
    /// and summed in order. Results depend on it, not on the thread count.
    pub chunk_rows: usize,
    /// Allow computing the chunks of a batch on several threads (no effect on the results):
    /// the loop times serial and parallel mini-batches as it goes and uses the faster mode
    /// (see the module `nn::autopar`).
    pub parallel: bool,
    /// Rows per chunk when computing the validation loss.
    pub eval_chunk_rows: usize,
    /// Progress-bar label.
    pub label: String,
    /// Wall-clock seconds this call may train (counted from its start; a resumed run gets
    /// the budget afresh). Checked between mini-batches, like Ctrl-C: when it is used up
    /// the run ends with [`super::Termination::TimeBudget`] and its best weights so far.
    #[serde(default)]
    pub time_budget: Option<f64>,
    /// Checkpoint file (see [`crate::nn::checkpoint`]): written atomically at the end of
    /// every epoch and when the run stops early; a run that finds a checkpoint of the same
    /// run there resumes from it; deleted when the run completes (epoch limit or early
    /// stopping). Its directory must exist.
    #[serde(default)]
    pub checkpoint: Option<PathBuf>,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            batch_size: 64,
            epochs: 20,
            shuffle: Shuffle::EveryEpoch,
            drop_last: false,
            seed: crate::rng::DEFAULT_SEED,
            clip_grad_norm: None,
            early_stopping: None,
            chunk_rows: 32,
            parallel: true,
            eval_chunk_rows: 1024,
            label: "training".into(),
            time_budget: None,
            checkpoint: None,
        }
    }
}

/// Checks the settings against the objectives and the parameter vector.
pub(crate) fn check_config<O: Objective>(
    objective: &O,
    validation: Option<&O>,
    params: &[f32],
    config: &TrainConfig,
) -> Result<(), NnError> {
    if let Some(v) = validation {
        if v.n_params() != objective.n_params() {
            return Err(NnError::shape(
                "validation objective parameters",
                objective.n_params(),
                v.n_params(),
            ));
        }
    }
    if params.len() != objective.n_params() {
        return Err(NnError::shape(
            "parameter vector length",
            objective.n_params(),
            params.len(),
        ));
    }
    check_numbers(config)?;
    let needed = if config.drop_last {
        config.batch_size
    } else {
        1
    };
    if objective.n_rows() < needed {
        return Err(NnError::too_few_rows(
            "training set",
            objective.n_rows(),
            needed,
        ));
    }
    Ok(())
}

/// Checks the numeric settings on their own.
fn check_numbers(config: &TrainConfig) -> Result<(), NnError> {
    if config.batch_size == 0 {
        return Err(NnError::option("batch_size", 0, "must be positive"));
    }
    if config.chunk_rows == 0 {
        return Err(NnError::option("chunk_rows", 0, "must be positive"));
    }
    if let Some(c) = config.clip_grad_norm {
        if !(c > 0.0 && c.is_finite()) {
            return Err(NnError::option("clip_grad_norm", c, "must be positive"));
        }
    }
    check_time_budget(config.time_budget)
}

/// A time budget must be a finite number of seconds ≥ 0.
pub fn check_time_budget(budget: Option<f64>) -> Result<(), NnError> {
    match budget {
        Some(b) if !(b >= 0.0 && b.is_finite()) => Err(NnError::option(
            "time_budget",
            b,
            "must be a non-negative number of seconds",
        )),
        _ => Ok(()),
    }
}
