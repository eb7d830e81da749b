//! Errors of posterior estimation and inference, in galchem's shared vocabulary.

use super::catalog::observe::ObserveError;
use super::combine::CombineError;
use super::npe::rejection::LowAcceptance;
use crate::error::{ErrorKind, FileError, Kind, OptionError, ShapeError};
use crate::flow::FlowError;
use crate::interrupt::Interrupted;
use crate::model::{ModelError, SimulatorError};
use crate::stats::StatsError;

/// Everything that can go wrong training, saving, loading or using a posterior.
#[derive(Debug, thiserror::Error)]
pub enum InferError {
    /// An error of the flow (training, evaluation).
    #[error(transparent)]
    Flow(#[from] FlowError),
    /// The simulator failed as a whole.
    #[error(transparent)]
    Simulator(#[from] SimulatorError),
    /// A posterior could not be sampled or evaluated.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// Combining stars failed.
    #[error(transparent)]
    Combine(#[from] CombineError),
    /// The observations are unusable.
    #[error(transparent)]
    Observe(#[from] ObserveError),
    /// Draws that cannot be summarised.
    #[error(transparent)]
    Stats(#[from] StatsError),
    /// An observation's posterior lies (almost) entirely outside the prior support.
    #[error("observation {index}{}: {source}", label.as_ref().map(|l| format!(" ({l})")).unwrap_or_default())]
    LowAcceptance {
        index: usize,
        label: Option<String>,
        source: LowAcceptance,
    },
    /// An option outside its domain.
    #[error(transparent)]
    Option(#[from] OptionError),
    /// Arrays of the wrong shape.
    #[error(transparent)]
    Shape(#[from] ShapeError),
    /// A posterior file that cannot be read, written or used.
    #[error(transparent)]
    File(#[from] FileError),
    /// Ctrl-C or SIGTERM.
    #[error(transparent)]
    Interrupted(#[from] Interrupted),
    /// A catalog that cannot be read.
    #[error(transparent)]
    Catalog(#[from] crate::catalog::CatalogError),
    /// Shards and partial files of a sharded run.
    #[error(transparent)]
    Shard(#[from] crate::shard::ShardError),
}

impl Kind for InferError {
    fn kind(&self) -> ErrorKind {
        match self {
            InferError::Flow(e) => e.kind(),
            InferError::Simulator(e) => e.kind(),
            InferError::Model(e) => e.kind(),
            InferError::Combine(e) => e.kind(),
            InferError::Observe(e) => e.kind(),
            InferError::Stats(e) => e.kind(),
            InferError::LowAcceptance { .. } => ErrorKind::LowAcceptance,
            InferError::Option(e) => e.kind(),
            InferError::Shape(e) => e.kind(),
            InferError::File(e) => e.kind(),
            InferError::Interrupted(e) => e.kind(),
            InferError::Catalog(e) => e.kind(),
            InferError::Shard(e) => e.kind(),
        }
    }
}

impl From<InferError> for ModelError {
    /// Errors of an inference method used behind the [`crate::model::Posterior`] trait.
    fn from(e: InferError) -> Self {
        match e {
            InferError::Model(m) => m,
            InferError::Shape(s) => ModelError::Shape(s),
            InferError::Option(o) => ModelError::Option(o),
            InferError::Simulator(s) => ModelError::Simulator(s),
            InferError::Stats(s) => ModelError::Stats(s),
            InferError::Interrupted(i) => ModelError::Interrupted(i),
            other => ModelError::Unusable {
                kind: other.kind(),
                message: other.to_string(),
            },
        }
    }
}
