//! galchem's shared error vocabulary.
//!
//! Every module keeps its own error enum (what can go wrong there), but the failures that
//! every module has — an array of the wrong shape, an option outside its domain, too few
//! usable rows, a file that cannot be used — are one type each, defined here once. Every
//! error also says what *kind* of failure it is ([`ErrorKind`]): scripts branch on the kind
//! (`err.kind == "not_positive_definite"`) instead of matching message texts, and the
//! command line maps kinds to exit codes.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::PathBuf;

/// What kind of failure an error is. The names (`ErrorKind::name`) are what scripts see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// Arrays, tables or vectors of the wrong shape or length.
    Shape,
    /// An option that is unknown, of the wrong type, or outside its domain.
    Option,
    /// Input data that cannot be used: missing columns, non-finite values, no usable rows.
    Input,
    /// Parameters outside the domain of the simulator or the support of the prior.
    Domain,
    /// A simulator run, or a whole batch of runs, failed.
    Simulator,
    /// A posterior that cannot be sampled for an observation (its mass lies outside the
    /// prior support).
    LowAcceptance,
    /// A combination of stars whose precision is not positive definite.
    NotPositiveDefinite,
    /// Another computation without an answer: a singular matrix, a diverged training.
    Numerical,
    /// A file that is corrupt, of another format, or written by a newer galchem.
    File,
    /// Reading or writing failed (permissions, a missing directory, a full disk).
    Io,
    /// A script tried to write outside the directories it may write to.
    WriteDenied,
    /// The user pressed Ctrl-C.
    Interrupted,
    /// The process received SIGTERM (for example at a Slurm job's time limit).
    Terminated,
    /// An error of the script itself (syntax, types, unknown functions, `throw`).
    Script,
}

impl ErrorKind {
    /// Every kind, in declaration order.
    pub const ALL: [ErrorKind; 14] = [
        ErrorKind::Shape,
        ErrorKind::Option,
        ErrorKind::Input,
        ErrorKind::Domain,
        ErrorKind::Simulator,
        ErrorKind::LowAcceptance,
        ErrorKind::NotPositiveDefinite,
        ErrorKind::Numerical,
        ErrorKind::File,
        ErrorKind::Io,
        ErrorKind::WriteDenied,
        ErrorKind::Interrupted,
        ErrorKind::Terminated,
        ErrorKind::Script,
    ];

    /// The name scripts see, e.g. `"not_positive_definite"`.
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::Shape => "shape",
            ErrorKind::Option => "option",
            ErrorKind::Input => "input",
            ErrorKind::Domain => "domain",
            ErrorKind::Simulator => "simulator",
            ErrorKind::LowAcceptance => "low_acceptance",
            ErrorKind::NotPositiveDefinite => "not_positive_definite",
            ErrorKind::Numerical => "numerical",
            ErrorKind::File => "file",
            ErrorKind::Io => "io",
            ErrorKind::WriteDenied => "write_denied",
            ErrorKind::Interrupted => "interrupted",
            ErrorKind::Terminated => "terminated",
            ErrorKind::Script => "script",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An error that knows its [`ErrorKind`].
pub trait Kind {
    /// What kind of failure this is.
    fn kind(&self) -> ErrorKind;
}

/// An array, table or vector of the wrong shape: `what` names it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what}: expected {expected}, got {found}")]
pub struct ShapeError {
    /// What has the wrong shape, e.g. `"theta"` or `"observations"`.
    pub what: String,
    /// The shape that is needed, e.g. `"(n, 6)"`.
    pub expected: String,
    /// The shape that was given.
    pub found: String,
}

impl ShapeError {
    /// A shape error.
    pub fn new(what: impl Into<String>, expected: impl ToString, found: impl ToString) -> Self {
        ShapeError {
            what: what.into(),
            expected: expected.to_string(),
            found: found.to_string(),
        }
    }
}

/// An option or hyper-parameter outside its domain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid option {name} = {value}: {reason}")]
pub struct OptionError {
    /// The option's name.
    pub name: String,
    /// The value given, as text.
    pub value: String,
    /// What the value must satisfy.
    pub reason: String,
}

impl OptionError {
    /// An option error.
    pub fn new(name: impl Into<String>, value: impl ToString, reason: impl Into<String>) -> Self {
        OptionError {
            name: name.into(),
            value: value.to_string(),
            reason: reason.into(),
        }
    }
}

/// Too few usable rows for an operation (after rows with non-finite values were excluded).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what}: {found} usable rows, at least {needed} needed")]
pub struct TooFewRows {
    /// The operation and its data, e.g. `"flow training (90 finite rows of 100)"`.
    pub what: String,
    /// Usable rows.
    pub found: usize,
    /// Rows needed.
    pub needed: usize,
}

/// A file that could not be read or written, or that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    /// Reading or writing failed; an existing file at `path` is unchanged.
    #[error("{path}: {message}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What failed.
        message: String,
    },
    /// The file exists but is corrupt, of another format, or of an unsupported version.
    #[error("{path} is not a usable {format} file: {message}")]
    Unusable {
        /// The file.
        path: PathBuf,
        /// The format that was expected, e.g. `"galchem-posterior"`.
        format: String,
        /// Why it cannot be used.
        message: String,
    },
}

impl FileError {
    /// A [`FileError::Io`].
    pub fn io(path: impl Into<PathBuf>, message: impl ToString) -> Self {
        FileError::Io {
            path: path.into(),
            message: message.to_string(),
        }
    }

    /// A [`FileError::Unusable`].
    pub fn unusable(
        path: impl Into<PathBuf>,
        format: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        FileError::Unusable {
            path: path.into(),
            format: format.into(),
            message: message.into(),
        }
    }
}

impl Kind for ShapeError {
    fn kind(&self) -> ErrorKind {
        ErrorKind::Shape
    }
}

impl Kind for OptionError {
    fn kind(&self) -> ErrorKind {
        ErrorKind::Option
    }
}

impl Kind for TooFewRows {
    fn kind(&self) -> ErrorKind {
        ErrorKind::Input
    }
}

impl Kind for FileError {
    fn kind(&self) -> ErrorKind {
        match self {
            FileError::Io { .. } => ErrorKind::Io,
            FileError::Unusable { .. } => ErrorKind::File,
        }
    }
}

impl Kind for crate::interrupt::Interrupted {
    fn kind(&self) -> ErrorKind {
        match self.reason {
            crate::interrupt::StopReason::Interrupt => ErrorKind::Interrupted,
            crate::interrupt::StopReason::Terminate => ErrorKind::Terminated,
        }
    }
}

/// Constructors of the shared vocabulary, for every error type that can hold its shape and
/// option errors: `NnError::shape(…)`, `InferError::option(…)`, … (bring the trait into
/// scope).
pub trait Vocabulary: From<ShapeError> + From<OptionError> + Sized {
    /// A [`ShapeError`] as this error.
    fn shape(what: impl Into<String>, expected: impl ToString, found: impl ToString) -> Self {
        ShapeError::new(what, expected, found).into()
    }

    /// An [`OptionError`] as this error.
    fn option(name: impl Into<String>, value: impl ToString, reason: impl Into<String>) -> Self {
        OptionError::new(name, value, reason).into()
    }
}

impl<E: From<ShapeError> + From<OptionError>> Vocabulary for E {}

/// The constructor of [`TooFewRows`] for every error type that can hold it.
pub trait RowsVocabulary: From<TooFewRows> + Sized {
    /// A [`TooFewRows`] as this error.
    fn too_few_rows(what: impl Into<String>, found: usize, needed: usize) -> Self {
        TooFewRows {
            what: what.into(),
            found,
            needed,
        }
        .into()
    }
}

impl<E: From<TooFewRows>> RowsVocabulary for E {}

/// Returns early with a [`ShapeError`] (converted with `?`'s `From`) unless `$cond` holds.
///
/// ```ignore
/// ensure_shape!(x.ncols() == 8, "observations", "(n, 8)", format!("{:?}", x.dim()));
/// ```
#[macro_export]
macro_rules! ensure_shape {
    ($cond:expr, $what:expr, $expected:expr, $found:expr) => {
        if !$cond {
            return Err($crate::error::ShapeError::new($what, $expected, $found).into());
        }
    };
}

/// Returns early with an [`OptionError`] (converted with `?`'s `From`) unless `$cond` holds.
///
/// ```ignore
/// ensure_option!(n > 0, "samples", n, "must be at least 1");
/// ```
#[macro_export]
macro_rules! ensure_option {
    ($cond:expr, $name:expr, $value:expr, $reason:expr) => {
        if !$cond {
            return Err($crate::error::OptionError::new($name, $value, $reason).into());
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_have_distinct_snake_case_names() {
        let names: Vec<&str> = ErrorKind::ALL.iter().map(|k| k.name()).collect();
        let mut sorted = names.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), names.len());
        for k in ErrorKind::ALL {
            let json = serde_json::to_string(&k).unwrap();
            assert_eq!(json, format!("\"{}\"", k.name()));
        }
    }

    #[test]
    fn messages_name_the_problem() {
        let e = ShapeError::new("theta", "(n, 6)", "(3, 5)");
        assert_eq!(e.to_string(), "theta: expected (n, 6), got (3, 5)");
        let e = OptionError::new("samples", 0, "must be at least 1");
        assert_eq!(
            e.to_string(),
            "invalid option samples = 0: must be at least 1"
        );
        assert_eq!(e.kind(), ErrorKind::Option);
    }
}
