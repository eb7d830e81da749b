//! Errors of the plotting layer.

use std::path::PathBuf;

/// Errors building or saving a figure.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// x and y of a series differ in length.
    #[error("{what}: x has {x} values but y has {y}")]
    LengthMismatch {
        what: &'static str,
        x: usize,
        y: usize,
    },
    /// Nothing finite to draw, or an unusable argument.
    #[error("{0}")]
    BadArgument(String),
    /// The extension is neither .png nor .svg.
    #[error("cannot save {path}: the file name must end in .png or .svg")]
    Format { path: PathBuf },
    /// Rendering or writing failed; any existing file at `path` is untouched.
    #[error("cannot save {path}: {message} (any existing file there is unchanged)")]
    Save { path: PathBuf, message: String },
}

impl crate::error::Kind for PlotError {
    fn kind(&self) -> crate::error::ErrorKind {
        match self {
            PlotError::Save { .. } => crate::error::ErrorKind::Io,
            PlotError::LengthMismatch { .. } => crate::error::ErrorKind::Shape,
            PlotError::BadArgument(_) | PlotError::Format { .. } => crate::error::ErrorKind::Option,
        }
    }
}
