//! Errors of the neural-network layer.

use std::path::PathBuf;

/// Everything that can go wrong building, training, evaluating, saving or loading a network.
#[derive(Debug, thiserror::Error)]
pub enum NnError {
    /// An array or buffer of the wrong shape (`what` names it).
    #[error("{what}: expected shape {expected}, got {found}")]
    Shape {
        what: String,
        expected: String,
        found: String,
    },
    /// An option or hyper-parameter outside its domain.
    #[error("invalid option {name} = {value}: {reason}")]
    BadOption {
        name: &'static str,
        value: String,
        reason: String,
    },
    /// Too few usable rows (after excluding rows with non-finite values) for the operation.
    #[error("{what}: {found} usable rows, at least {needed} needed")]
    TooFewRows {
        what: String,
        found: usize,
        needed: usize,
    },
    /// The loss became NaN or infinite during training (diverged; try a smaller learning rate).
    #[error("training diverged: the loss is {value} at epoch {epoch}, step {step} (try a smaller learning rate or gradient clipping)")]
    NonFiniteLoss { epoch: usize, step: u64, value: f64 },
    /// `step()` of a schedule-free optimizer called while it is in eval mode.
    #[error("the schedule-free optimizer is in eval mode: call train() before step()")]
    NotInTrainMode,
    /// The user pressed Ctrl-C; the model holds the weights of the last completed step.
    #[error("interrupted (Ctrl-C)")]
    Interrupted,
    /// A model file could not be read or written.
    #[error("{path}: {message}")]
    Io { path: PathBuf, message: String },
    /// A model file that is corrupt, of another format or version, or internally inconsistent.
    #[error("{path} is not a usable {format} file: {message}")]
    BadFile {
        path: PathBuf,
        format: &'static str,
        message: String,
    },
}

impl From<crate::interrupt::Interrupted> for NnError {
    fn from(_: crate::interrupt::Interrupted) -> Self {
        NnError::Interrupted
    }
}

impl NnError {
    /// A [`NnError::Shape`] error.
    pub fn shape(what: impl Into<String>, expected: impl ToString, found: impl ToString) -> Self {
        NnError::Shape {
            what: what.into(),
            expected: expected.to_string(),
            found: found.to_string(),
        }
    }

    /// A [`NnError::BadOption`] error.
    pub fn option(name: &'static str, value: impl ToString, reason: impl Into<String>) -> Self {
        NnError::BadOption {
            name,
            value: value.to_string(),
            reason: reason.into(),
        }
    }
}
