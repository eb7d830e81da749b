//! Errors of the model traits ([`super::Posterior`] and friends), in the shared vocabulary.

use super::simulator::SimulatorError;
use crate::error::{ErrorKind, Kind, OptionError, ShapeError};
use crate::interrupt::Interrupted;
use crate::stats::StatsError;

/// What can go wrong sampling or evaluating a posterior.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ModelError {
    /// Inputs of the wrong shape.
    #[error(transparent)]
    Shape(#[from] ShapeError),
    /// An option outside its domain.
    #[error(transparent)]
    Option(#[from] OptionError),
    /// The simulator failed as a whole.
    #[error(transparent)]
    Simulator(#[from] SimulatorError),
    /// Draws that cannot be summarised.
    #[error(transparent)]
    Stats(#[from] StatsError),
    /// Ctrl-C or SIGTERM.
    #[error(transparent)]
    Interrupted(#[from] Interrupted),
    /// One observation cannot be sampled, e.g. because the posterior's mass lies outside the
    /// prior support ([`ErrorKind::LowAcceptance`]).
    #[error("{message}")]
    Unusable {
        /// What kind of failure.
        kind: ErrorKind,
        /// Why, as a sentence.
        message: String,
    },
}

impl Kind for ModelError {
    fn kind(&self) -> ErrorKind {
        match self {
            ModelError::Shape(e) => e.kind(),
            ModelError::Option(e) => e.kind(),
            ModelError::Simulator(e) => e.kind(),
            ModelError::Stats(e) => e.kind(),
            ModelError::Interrupted(e) => e.kind(),
            ModelError::Unusable { kind, .. } => *kind,
        }
    }
}
