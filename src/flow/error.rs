//! Errors of the flow.

use std::path::PathBuf;

/// Everything that can go wrong building, training, evaluating, saving or loading a flow.
#[derive(Debug, thiserror::Error)]
pub enum FlowError {
    /// An array of the wrong shape.
    #[error("{what}: expected shape {expected}, got {found}")]
    Shape {
        what: String,
        expected: String,
        found: String,
    },
    /// An option outside its domain.
    #[error("invalid flow option {name} = {value}: {reason}")]
    BadOption {
        name: &'static str,
        value: String,
        reason: String,
    },
    /// Too few usable rows.
    #[error("{what}: {found} usable rows, at least {needed} needed")]
    TooFewRows {
        what: String,
        found: usize,
        needed: usize,
    },
    /// An error of the neural-network core (training loop, optimizer).
    #[error(transparent)]
    Nn(#[from] crate::nn::NnError),
    /// The user pressed Ctrl-C.
    #[error("interrupted (Ctrl-C)")]
    Interrupted,
    /// A file could not be read or written.
    #[error("{path}: {message}")]
    Io { path: PathBuf, message: String },
    /// A file that is corrupt, of another format or version, or inconsistent.
    #[error("{path} is not a usable {format} file: {message}")]
    BadFile {
        path: PathBuf,
        format: &'static str,
        message: String,
    },
}

impl From<crate::interrupt::Interrupted> for FlowError {
    fn from(_: crate::interrupt::Interrupted) -> Self {
        FlowError::Interrupted
    }
}

impl FlowError {
    /// A [`FlowError::BadOption`].
    pub fn option(name: &'static str, value: impl ToString, reason: impl Into<String>) -> Self {
        FlowError::BadOption {
            name,
            value: value.to_string(),
            reason: reason.into(),
        }
    }
}
