//! Errors of posterior estimation and inference.

use super::combine::CombineError;
use super::observe::ObserveError;
use super::rejection::LowAcceptance;
use super::simulator::SimulatorError;
use crate::flow::FlowError;

/// Everything that can go wrong training, saving, loading or using a posterior.
#[derive(Debug, thiserror::Error)]
pub enum InferError {
    /// An error of the flow (shapes, training, files).
    #[error(transparent)]
    Flow(#[from] FlowError),
    /// The simulator failed as a whole.
    #[error(transparent)]
    Simulator(#[from] SimulatorError),
    /// Combining stars failed.
    #[error(transparent)]
    Combine(#[from] CombineError),
    /// The observations are unusable.
    #[error(transparent)]
    Observe(#[from] ObserveError),
    /// An observation's posterior lies (almost) entirely outside the prior support.
    #[error("observation {index}{}: {source}", label.as_ref().map(|l| format!(" ({l})")).unwrap_or_default())]
    LowAcceptance {
        index: usize,
        label: Option<String>,
        source: LowAcceptance,
    },
    /// An option outside its domain.
    #[error("invalid option {name} = {value}: {reason}")]
    BadOption {
        name: &'static str,
        value: String,
        reason: String,
    },
    /// Arrays of the wrong shape.
    #[error("{what}: expected {expected}, got {found}")]
    Shape {
        what: String,
        expected: String,
        found: String,
    },
    /// The user pressed Ctrl-C.
    #[error("interrupted (Ctrl-C)")]
    Interrupted,
}

impl From<crate::interrupt::Interrupted> for InferError {
    fn from(_: crate::interrupt::Interrupted) -> Self {
        InferError::Interrupted
    }
}

impl InferError {
    /// An [`InferError::BadOption`].
    pub fn option(name: &'static str, value: impl ToString, reason: impl Into<String>) -> Self {
        InferError::BadOption {
            name,
            value: value.to_string(),
            reason: reason.into(),
        }
    }
}
