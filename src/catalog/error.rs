//! Errors of the catalog layer.

use std::path::PathBuf;

/// Everything that can go wrong reading, writing or querying a [`crate::catalog::Table`].
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// The file does not exist or cannot be opened.
    #[error("cannot open {path}: {message}")]
    Open { path: PathBuf, message: String },
    /// The file exists but is not a readable table of the expected format.
    #[error("cannot read {path} as {format}: {message}")]
    Read {
        path: PathBuf,
        format: &'static str,
        message: String,
    },
    /// Writing failed; any existing file at `path` is untouched.
    #[error("cannot write {path}: {message} (any existing file there is unchanged)")]
    Write { path: PathBuf, message: String },
    /// A requested column is absent.
    #[error("no column '{name}'{}; available columns: {}", context_suffix(.context), .available.join(", "))]
    MissingColumn {
        name: String,
        available: Vec<String>,
        context: Option<String>,
    },
    /// A value in a column that should be numeric does not parse as a number.
    #[error("column '{column}' is not numeric: row {row} (line {line} of a CSV file with a header) holds '{value}'{}", context_suffix(.context))]
    NotNumeric {
        column: String,
        row: usize,
        line: usize,
        value: String,
        context: Option<String>,
    },
    /// A column of another type than the operation needs.
    #[error("column '{column}' has type {found}, but {expected} is needed")]
    WrongType {
        column: String,
        found: String,
        expected: &'static str,
    },
    /// A new column whose length differs from the table's.
    #[error("column '{name}' has {len} values but the table has {expected} rows")]
    LengthMismatch {
        name: String,
        len: usize,
        expected: usize,
    },
    /// An unknown comparison operator or an operand of the wrong kind.
    #[error("{0}")]
    BadArgument(String),
    /// Any other polars error.
    #[error("table operation failed: {0}")]
    Polars(String),
}

fn context_suffix(context: &Option<String>) -> String {
    context
        .as_ref()
        .map(|c| format!(" in {c}"))
        .unwrap_or_default()
}

impl From<polars::error::PolarsError> for CatalogError {
    fn from(e: polars::error::PolarsError) -> Self {
        CatalogError::Polars(e.to_string())
    }
}

impl crate::error::Kind for CatalogError {
    fn kind(&self) -> crate::error::ErrorKind {
        match self {
            CatalogError::Open { .. } | CatalogError::Write { .. } => crate::error::ErrorKind::Io,
            CatalogError::Read { .. } => crate::error::ErrorKind::File,
            CatalogError::BadArgument(_) => crate::error::ErrorKind::Option,
            CatalogError::LengthMismatch { .. } => crate::error::ErrorKind::Shape,
            _ => crate::error::ErrorKind::Input,
        }
    }
}
