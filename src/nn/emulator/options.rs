//! Hyper-parameters of the emulator, with the paper's values as defaults (spec A.5.1).

use crate::error::Vocabulary;
use crate::nn::{Activation, Loss, NnError, OptimizerConfig, Shuffle};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// The six model parameters and the eight abundances, in galchem's order (the simulator's).
pub use crate::gce::{ABUNDANCE_NAMES, PARAM_NAMES as PARAMETER_NAMES};

/// Floor of the z-score standard deviations (sbi's value for x, spec A.1.1).
pub const MIN_STD: f64 = 1e-7;

/// Everything that can be set when training an emulator. `Default` is the paper's network
/// and training (6 → 100 → 40 → 8, tanh, schedule-free AdamW lr 10⁻³, batch 64, 20 epochs,
/// MSE) with galchem's statistical defaults: inputs and outputs z-scored, rows reshuffled
/// every epoch, 5 % of the rows held out for validation when no validation set is given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EmulatorOptions {
    /// Hidden-layer widths.
    pub hidden: Vec<usize>,
    /// Hidden-layer activation.
    pub activation: Activation,
    /// Optimizer and its hyper-parameters.
    pub optimizer: OptimizerConfig,
    /// Rows per mini-batch.
    pub batch_size: usize,
    /// Number of epochs (the maximum, with early stopping).
    pub epochs: usize,
    /// Training loss ([`Loss::GaussianNll`] doubles the outputs: means and log-variances).
    pub loss: Loss,
    /// Seed of the initial weights, the validation split and the shuffling.
    pub seed: u64,
    /// z-score the inputs and outputs (statistics of the training split).
    pub standardize: bool,
    /// The paper's exact procedure (spec A.5.1): raw θ and raw abundances (no z-scoring),
    /// rows shuffled once, sequential batches. Overrides `standardize` and `shuffle`.
    pub paper: bool,
    /// Row order of the mini-batches.
    pub shuffle: Shuffle,
    /// Fraction of the rows held out for validation when no validation set is given.
    pub validation_fraction: f64,
    /// Stop after this many epochs without a better validation loss, restoring the best
    /// weights.
    pub early_stopping: Option<usize>,
    /// Clip the joint gradient norm to this value.
    pub clip_grad_norm: Option<f64>,
    /// Rows per parallel gradient chunk (results depend on it, not on the thread count).
    pub chunk_rows: usize,
    /// Compute the gradient chunks of a batch in parallel.
    pub parallel: bool,
    /// Names of the input columns (default [`PARAMETER_NAMES`] for 6 inputs).
    pub input_names: Option<Vec<String>>,
    /// Names of the output columns (default [`ABUNDANCE_NAMES`] for 8 outputs).
    pub output_names: Option<Vec<String>>,
    /// Wall-clock seconds the training may take in this call (`None`: no limit); when they
    /// are used up it ends with the best weights so far.
    pub time_budget: Option<f64>,
    /// Checkpoint file: written after every epoch and when the training is cut short,
    /// resumed from when it belongs to the same training, deleted when training finishes.
    pub checkpoint: Option<PathBuf>,
}

impl Default for EmulatorOptions {
    fn default() -> Self {
        Self {
            hidden: vec![100, 40],
            activation: Activation::Tanh,
            optimizer: OptimizerConfig::schedule_free(1e-3),
            batch_size: 64,
            epochs: 20,
            loss: Loss::Mse,
            seed: crate::rng::DEFAULT_SEED,
            standardize: true,
            paper: false,
            shuffle: Shuffle::EveryEpoch,
            validation_fraction: 0.05,
            early_stopping: None,
            clip_grad_norm: None,
            chunk_rows: 32,
            parallel: true,
            input_names: None,
            output_names: None,
            time_budget: None,
            checkpoint: None,
        }
    }
}

impl EmulatorOptions {
    /// The paper's procedure: defaults with `paper = true`.
    pub fn paper() -> Self {
        Self {
            paper: true,
            ..Self::default()
        }
    }

    /// Whether inputs and outputs are z-scored (`standardize` unless `paper`).
    pub fn standardizes(&self) -> bool {
        self.standardize && !self.paper
    }

    /// The row order used (`Once` under `paper`).
    pub fn shuffle_mode(&self) -> Shuffle {
        if self.paper {
            Shuffle::Once
        } else {
            self.shuffle
        }
    }

    /// Checks every option.
    pub fn validate(&self) -> Result<(), NnError> {
        if self.hidden.contains(&0) {
            return Err(NnError::option(
                "hidden",
                format!("{:?}", self.hidden),
                "layer widths must be positive",
            ));
        }
        if self.batch_size == 0 {
            return Err(NnError::option("batch_size", 0, "must be positive"));
        }
        if self.chunk_rows == 0 {
            return Err(NnError::option("chunk_rows", 0, "must be positive"));
        }
        if !(0.0..1.0).contains(&self.validation_fraction) {
            return Err(NnError::option(
                "validation_fraction",
                self.validation_fraction,
                "must be in [0, 1)",
            ));
        }
        if self.early_stopping == Some(0) {
            return Err(NnError::option(
                "early_stopping",
                0,
                "patience must be positive",
            ));
        }
        if let Some(c) = self.clip_grad_norm {
            if !(c > 0.0 && c.is_finite()) {
                return Err(NnError::option("clip_grad_norm", c, "must be positive"));
            }
        }
        crate::nn::train::check_time_budget(self.time_budget)?;
        self.optimizer.validate()
    }

    /// Column names for `n` columns: the given ones, the standard ones, or `prefix0…`.
    pub(crate) fn names(
        given: &Option<Vec<String>>,
        standard: &[&str],
        prefix: &str,
        n: usize,
        what: &'static str,
    ) -> Result<Vec<String>, NnError> {
        match given {
            Some(v) if v.len() == n => Ok(v.clone()),
            Some(v) => Err(NnError::option(
                what,
                format!("{v:?}"),
                format!("{n} names needed for {n} columns"),
            )),
            None if standard.len() == n => Ok(standard.iter().map(|s| s.to_string()).collect()),
            None => Ok((0..n).map(|i| format!("{prefix}{i}")).collect()),
        }
    }
}
