//! Errors of the hierarchical baselines (model, MAP, NUTS), in galchem's vocabulary.

use crate::catalog::CatalogError;
use crate::error::{ErrorKind, Kind, OptionError, ShapeError, TooFewRows};
use crate::infer::catalog::observe::ObserveError;
use crate::interrupt::Interrupted;
use crate::model::{DensityError, SimulatorError};

/// Everything that can go wrong building, maximising or sampling the hierarchical model.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    /// Arrays or models of the wrong shape (e.g. an emulator with other inputs).
    #[error(transparent)]
    Shape(#[from] ShapeError),
    /// An option outside its domain.
    #[error(transparent)]
    Option(#[from] OptionError),
    /// Fewer usable catalog rows than asked for.
    #[error(transparent)]
    TooFewRows(#[from] TooFewRows),
    /// Catalog data that cannot be used, e.g. no ages although `ages: true`.
    #[error("{0}")]
    Input(String),
    /// A catalog column that is missing or not numeric.
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    /// Observations that cannot be validated.
    #[error(transparent)]
    Observe(#[from] ObserveError),
    /// The simulator failed as a whole.
    #[error(transparent)]
    Simulator(#[from] SimulatorError),
    /// The log density failed where it must not (the start point, a fatal error).
    #[error("log density: {0}")]
    Density(#[from] DensityError),
    /// The sampler or the optimiser failed, or a matrix had no inverse.
    #[error("{0}")]
    Numerical(String),
    /// Ctrl-C or SIGTERM.
    #[error(transparent)]
    Interrupted(#[from] Interrupted),
}

impl Kind for BaselineError {
    fn kind(&self) -> ErrorKind {
        match self {
            BaselineError::Shape(e) => e.kind(),
            BaselineError::Option(e) => e.kind(),
            BaselineError::TooFewRows(e) => e.kind(),
            BaselineError::Input(_) => ErrorKind::Input,
            BaselineError::Catalog(e) => e.kind(),
            BaselineError::Observe(e) => e.kind(),
            BaselineError::Simulator(e) => e.kind(),
            BaselineError::Density(e) => e.kind(),
            BaselineError::Numerical(_) => ErrorKind::Numerical,
            BaselineError::Interrupted(e) => e.kind(),
        }
    }
}

impl BaselineError {
    /// The error of a fatal density failure, or an interruption as such.
    pub fn from_density(e: DensityError) -> Self {
        match &e {
            DensityError::Fatal {
                kind: ErrorKind::Interrupted | ErrorKind::Terminated,
                ..
            } => match crate::interrupt::check() {
                Err(i) => BaselineError::Interrupted(i),
                Ok(()) => BaselineError::Density(e),
            },
            _ => BaselineError::Density(e),
        }
    }
}
