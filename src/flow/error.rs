//! Errors of the flow, in galchem's shared vocabulary ([`crate::error`]).

use crate::error::{ErrorKind, FileError, Kind, OptionError, ShapeError, TooFewRows};
use crate::interrupt::Interrupted;

/// Everything that can go wrong building, training, evaluating, saving or loading a flow.
#[derive(Debug, thiserror::Error)]
pub enum FlowError {
    /// An array of the wrong shape.
    #[error(transparent)]
    Shape(#[from] ShapeError),
    /// An option outside its domain.
    #[error(transparent)]
    Option(#[from] OptionError),
    /// Too few usable rows.
    #[error(transparent)]
    TooFewRows(#[from] TooFewRows),
    /// An error of the neural-network core (training loop, optimizer).
    #[error(transparent)]
    Nn(#[from] crate::nn::NnError),
    /// Ctrl-C or SIGTERM outside a training loop.
    #[error(transparent)]
    Interrupted(#[from] Interrupted),
    /// A file that cannot be read, written or used.
    #[error(transparent)]
    File(#[from] FileError),
}

impl Kind for FlowError {
    fn kind(&self) -> ErrorKind {
        match self {
            FlowError::Shape(e) => e.kind(),
            FlowError::Option(e) => e.kind(),
            FlowError::TooFewRows(e) => e.kind(),
            FlowError::Nn(e) => e.kind(),
            FlowError::Interrupted(e) => e.kind(),
            FlowError::File(e) => e.kind(),
        }
    }
}
