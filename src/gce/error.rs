//! Errors of the simulator: [`SimError`] for a run that CHEMPY would reject (or that has invalid
//! parameters), [`GceError`] for loading the input tables.

use std::path::PathBuf;

/// Why a simulation produced no abundances.
///
/// [`SimError::status`] gives the status strings of the reference runs
/// (`data/reference/chempy_*.csv`).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SimError {
    /// A parameter is outside the domain where CHEMPY's model is defined.
    #[error("invalid parameter {name} = {value}: {reason}")]
    InvalidParameter {
        /// Parameter name (one of [`crate::gce::PARAM_NAMES`]).
        name: &'static str,
        /// The offending value.
        value: f64,
        /// What the value must satisfy.
        reason: String,
    },
    /// The star-formation rate in the birth step is below 5 % of the mean SFR
    /// (CHEMPY `shorten_sfr` returns `inf`).
    #[error(
        "the star formation rate at the birth time is below 5% of the mean star formation rate"
    )]
    SfrAtBirthTooLow,
    /// The ISM mass of an element became negative (net yields can be negative).
    #[error("the ISM mass of element {0} became negative")]
    ElementNegative(String),
    /// The ISM gas mass became negative.
    #[error("the ISM gas mass became negative")]
    GasNegative,
    /// The corona (gas reservoir) mass became negative.
    #[error("the corona gas reservoir mass became negative")]
    GasReservoirNegative,
    /// After infall the ISM holds less gas than the step turns into stars (CHEMPY raises an
    /// `AssertionError` in `time_integration.advance_one_step`).
    #[error("the ISM gas after infall is smaller than the star formation of step {step}")]
    GasBelowSfr {
        /// Time step index of the failed assertion.
        step: usize,
    },
    /// A non-finite abundance came out of a run that passed every CHEMPY check.
    #[error("the abundance {0} is not a finite number")]
    NonFinite(&'static str),
}

impl SimError {
    /// The status string of the reference files: `inf:sfr_at_birth_below_5pct_of_mean`,
    /// `inf:element_negative_<El>`, `inf:gas_negative`, `inf:gas_reservoir_negative`,
    /// `exception:AssertionError`, `invalid:<name>` or `nan:<name>`.
    pub fn status(&self) -> String {
        match self {
            SimError::InvalidParameter { name, .. } => format!("invalid:{name}"),
            SimError::SfrAtBirthTooLow => "inf:sfr_at_birth_below_5pct_of_mean".to_string(),
            SimError::ElementNegative(el) => format!("inf:element_negative_{el}"),
            SimError::GasNegative => "inf:gas_negative".to_string(),
            SimError::GasReservoirNegative => "inf:gas_reservoir_negative".to_string(),
            SimError::GasBelowSfr { .. } => "exception:AssertionError".to_string(),
            SimError::NonFinite(name) => format!("nan:{name}"),
        }
    }
}

/// Errors while loading the CHEMPY input tables from the data directory.
#[derive(Debug, thiserror::Error)]
pub enum GceError {
    /// The data directory or a file in it is missing.
    #[error(transparent)]
    Data(#[from] crate::data::DataError),
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A file has unexpected content.
    #[error("{path}, line {line}: {reason}")]
    Malformed {
        /// The file.
        path: PathBuf,
        /// 1-based line number (0 when the problem concerns the whole file).
        line: usize,
        /// What was wrong.
        reason: String,
    },
    /// An unknown yield-set name.
    #[error("unknown yield set {0:?} (expected \"tng\" or \"alternative\")")]
    UnknownYieldSet(String),
}

impl crate::error::Kind for SimError {
    fn kind(&self) -> crate::error::ErrorKind {
        match self {
            SimError::InvalidParameter { .. } => crate::error::ErrorKind::Domain,
            _ => crate::error::ErrorKind::Simulator,
        }
    }
}

impl crate::error::Kind for GceError {
    fn kind(&self) -> crate::error::ErrorKind {
        match self {
            GceError::Data(e) => crate::error::Kind::kind(e),
            GceError::Io { .. } => crate::error::ErrorKind::Io,
            GceError::Malformed { .. } => crate::error::ErrorKind::File,
            GceError::UnknownYieldSet(_) => crate::error::ErrorKind::Option,
        }
    }
}
