//! Errors of the neural-network layer, in galchem's shared vocabulary
//! ([`crate::error`]).

use crate::error::{ErrorKind, FileError, Kind, OptionError, ShapeError, TooFewRows};
use crate::interrupt::Interrupted;

/// Everything that can go wrong building, training, evaluating, saving or loading a network.
#[derive(Debug, thiserror::Error)]
pub enum NnError {
    /// An array or buffer of the wrong shape.
    #[error(transparent)]
    Shape(#[from] ShapeError),
    /// An option or hyper-parameter outside its domain.
    #[error(transparent)]
    Option(#[from] OptionError),
    /// Too few usable rows (after excluding rows with non-finite values) for the operation.
    #[error(transparent)]
    TooFewRows(#[from] TooFewRows),
    /// The loss became NaN or infinite during training (diverged; try a smaller learning rate).
    #[error("training diverged: the loss is {value} at epoch {epoch}, step {step} (try a smaller learning rate or gradient clipping)")]
    NonFiniteLoss { epoch: usize, step: u64, value: f64 },
    /// `step()` of a schedule-free optimizer called while it is in eval mode.
    #[error("the schedule-free optimizer is in eval mode: call train() before step()")]
    NotInTrainMode,
    /// Ctrl-C or SIGTERM outside a training loop (training itself ends with a result).
    #[error(transparent)]
    Interrupted(#[from] Interrupted),
    /// A model file that cannot be read, written or used.
    #[error(transparent)]
    File(#[from] FileError),
}

impl Kind for NnError {
    fn kind(&self) -> ErrorKind {
        match self {
            NnError::Shape(e) => e.kind(),
            NnError::Option(e) => e.kind(),
            NnError::TooFewRows(e) => e.kind(),
            NnError::NonFiniteLoss { .. } => ErrorKind::Numerical,
            NnError::NotInTrainMode => ErrorKind::Option,
            NnError::Interrupted(e) => e.kind(),
            NnError::File(e) => e.kind(),
        }
    }
}
