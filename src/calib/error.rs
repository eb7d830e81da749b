//! Errors of the calibration diagnostics, in galchem's shared vocabulary.

use crate::error::{ErrorKind, Kind, OptionError, ShapeError};
use crate::interrupt::Interrupted;
use crate::model::{ModelError, SimulatorError};
use crate::nn::NnError;
use crate::stats::StatsError;

/// What can go wrong running a diagnostic.
#[derive(Debug, thiserror::Error)]
pub enum CalibError {
    /// The posterior and the simulator do not describe the same model: other parameters,
    /// or observables the simulator does not produce.
    #[error("{what} do not match: the posterior has {posterior}, the simulator {simulator}")]
    Mismatch {
        /// What differs, e.g. `"parameters"`.
        what: &'static str,
        /// The posterior's names.
        posterior: String,
        /// The simulator's names.
        simulator: String,
    },
    /// The posterior returned draws that are not finite numbers, or of the wrong dimension.
    #[error("the posterior ({posterior}) returned unusable draws for simulation {id}: {message}")]
    BadDraws {
        /// The posterior's description.
        posterior: String,
        /// The simulation (or star) index.
        id: u64,
        /// What is wrong with them.
        message: String,
    },
    /// Too few usable simulations or stars left for the statistic.
    #[error("{what}: {found} usable, at least {needed} needed")]
    TooFew {
        /// The statistic and its data.
        what: String,
        /// Usable ones.
        found: usize,
        /// Needed.
        needed: usize,
    },
    /// An option outside its domain.
    #[error(transparent)]
    Option(#[from] OptionError),
    /// Arrays of the wrong shape.
    #[error(transparent)]
    Shape(#[from] ShapeError),
    /// The posterior failed as a whole.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// The simulator failed as a whole.
    #[error(transparent)]
    Simulator(#[from] SimulatorError),
    /// Statistics of unusable values.
    #[error(transparent)]
    Stats(#[from] StatsError),
    /// Training the classifier of the local C2ST failed.
    #[error("local C2ST classifier: {0}")]
    Classifier(#[from] NnError),
    /// Ctrl-C or SIGTERM.
    #[error(transparent)]
    Interrupted(#[from] Interrupted),
    /// Partial or calibration files that cannot be read, written or merged.
    #[error(transparent)]
    Shard(#[from] crate::shard::ShardError),
}

impl CalibError {
    /// An option error.
    pub fn option(name: &str, value: impl ToString, reason: impl Into<String>) -> Self {
        CalibError::Option(OptionError::new(name, value, reason))
    }
}

impl Kind for CalibError {
    fn kind(&self) -> ErrorKind {
        match self {
            CalibError::Mismatch { .. } => ErrorKind::Shape,
            CalibError::BadDraws { .. } => ErrorKind::Numerical,
            CalibError::TooFew { .. } => ErrorKind::Input,
            CalibError::Option(e) => e.kind(),
            CalibError::Shape(e) => e.kind(),
            CalibError::Model(e) => e.kind(),
            CalibError::Simulator(e) => e.kind(),
            CalibError::Stats(e) => e.kind(),
            CalibError::Classifier(e) => e.kind(),
            CalibError::Interrupted(e) => e.kind(),
            CalibError::Shard(e) => e.kind(),
        }
    }
}
