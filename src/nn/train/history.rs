//! What the training loop reports: per-epoch statistics for observers, the history of a
//! run and how it ended.

use crate::interrupt::StopReason;
use crate::nn::exact;
use serde::{Deserialize, Serialize};

/// How a training run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Termination {
    /// The epoch limit was reached (also what files written before galchem recorded the
    /// reason read as).
    #[default]
    Completed,
    /// Early stopping: `patience` epochs without a better validation loss.
    EarlyStopped,
    /// An [`Observer`] returned [`Control::Stop`] before the epoch limit.
    ObserverStopped,
    /// Ctrl-C (the request is consumed: the script goes on with the result).
    Interrupted,
    /// SIGTERM (the request stays pending: the script ends after the call).
    Terminated,
    /// The time budget was used up.
    TimeBudget,
}

impl Termination {
    /// Every reason, in declaration order.
    pub const ALL: [Termination; 6] = [
        Termination::Completed,
        Termination::EarlyStopped,
        Termination::ObserverStopped,
        Termination::Interrupted,
        Termination::Terminated,
        Termination::TimeBudget,
    ];

    /// The snake_case name (as in JSON), e.g. `"time_budget"`.
    pub fn name(self) -> &'static str {
        match self {
            Termination::Completed => "completed",
            Termination::EarlyStopped => "early_stopped",
            Termination::ObserverStopped => "observer_stopped",
            Termination::Interrupted => "interrupted",
            Termination::Terminated => "terminated",
            Termination::TimeBudget => "time_budget",
        }
    }

    /// A phrase for messages, e.g. `"interrupted (Ctrl-C)"`.
    pub fn describe(self) -> &'static str {
        match self {
            Termination::Completed => "reached the epoch limit",
            Termination::EarlyStopped => "stopped early (no better validation loss)",
            Termination::ObserverStopped => "stopped by an observer",
            Termination::Interrupted => StopReason::Interrupt.describe(),
            Termination::Terminated => StopReason::Terminate.describe(),
            Termination::TimeBudget => "stopped at the time budget",
        }
    }

    /// Whether the run is over (epoch limit or early stopping) rather than cut short: a
    /// finished run deletes its checkpoint, a cut-short one keeps it to resume from.
    pub fn is_finished(self) -> bool {
        matches!(self, Termination::Completed | Termination::EarlyStopped)
    }

    /// The reason for a pending stop request.
    pub fn from_stop(reason: StopReason) -> Self {
        match reason {
            StopReason::Interrupt => Termination::Interrupted,
            StopReason::Terminate => Termination::Terminated,
        }
    }
}

impl std::fmt::Display for Termination {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What an observer sees after every epoch.
#[derive(Debug, Clone, PartialEq)]
pub struct EpochStats {
    /// Epoch index (0-based).
    pub epoch: usize,
    /// The epoch limit.
    pub max_epochs: usize,
    /// Mean row loss over the epoch's mini-batches (at the weights of each step).
    pub train_loss: f64,
    /// Mean row loss on the validation rows (eval weights), if there are any.
    pub val_loss: Option<f64>,
    /// Best validation loss so far.
    pub best_val_loss: Option<f64>,
    /// Epoch (0-based) of the best validation loss so far.
    pub best_epoch: Option<usize>,
    /// Optimizer steps so far.
    pub steps: u64,
    /// Seconds of training so far (including the calls before a resume).
    pub seconds: f64,
}

/// An observer's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    /// Go on.
    Continue,
    /// Stop after this epoch (weights as they are; the best ones when early stopping
    /// tracks the validation loss). The run ends with [`Termination::ObserverStopped`] and
    /// keeps its checkpoint, so a later call can resume it.
    Stop,
}

/// Called after every epoch (logging, custom stopping rules, schedules).
pub trait Observer {
    /// Sees the epoch's statistics and decides whether to go on.
    fn epoch_end(&mut self, stats: &EpochStats) -> Control;
}

impl<F: FnMut(&EpochStats) -> Control> Observer for F {
    fn epoch_end(&mut self, stats: &EpochStats) -> Control {
        self(stats)
    }
}

/// What happened during [`super::train`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct TrainHistory {
    /// Mean training row loss of every completed epoch.
    #[serde(with = "exact::vec")]
    pub train_loss: Vec<f64>,
    /// Validation loss of every completed epoch (empty without validation).
    #[serde(with = "exact::vec")]
    pub val_loss: Vec<f64>,
    /// Epoch of the best validation loss.
    pub best_epoch: Option<usize>,
    /// Best validation loss.
    #[serde(with = "exact::opt")]
    pub best_val_loss: Option<f64>,
    /// Whether training ended before the epoch limit (any reason but
    /// [`Termination::Completed`]).
    pub stopped_early: bool,
    /// Whether the final weights are the restored best-validation ones.
    pub restored_best: bool,
    /// Optimizer steps taken (in every call of the run, a resumed one included).
    pub steps: u64,
    /// Wall-clock seconds (in every call of the run).
    pub seconds: f64,
    /// How the run ended.
    #[serde(default)]
    pub termination: Termination,
    /// The epoch at which this call resumed the run from its checkpoint (`None`: it
    /// started afresh).
    #[serde(default)]
    pub resumed_from_epoch: Option<usize>,
}

impl TrainHistory {
    /// Number of completed epochs.
    pub fn epochs(&self) -> usize {
        self.train_loss.len()
    }
}
