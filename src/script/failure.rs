//! Errors as script values: every failure of a galchem function reaches the script as an
//! [`Failure`] with a `kind` (one of [`ErrorKind`]'s names) and a `message`, so that a
//! script can branch on the kind:
//!
//! ```rhai
//! try { infer(post, catalog) } catch (err) {
//!     if err.kind == "not_positive_definite" { infer(post, catalog, #{ method: "paper" }) } else { throw err; }
//! }
//! ```
//!
//! Errors of the script language itself (a typo, a type mismatch) are caught as Rhai's
//! own map with a `message` and no `kind`.

use crate::error::{ErrorKind, Kind};
use rhai::{Dynamic, EvalAltResult, Position};
use std::fmt;

/// Result type of every binding.
pub type RhaiResult<T> = Result<T, Box<EvalAltResult>>;

/// A galchem error as a script value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// What kind of failure.
    pub kind: ErrorKind,
    /// The message.
    pub message: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// A script error of `kind` carrying `message`; Rhai fills in the position of the call.
pub fn fail(kind: ErrorKind, message: impl Into<String>) -> Box<EvalAltResult> {
    let f = Failure {
        kind,
        message: message.into(),
    };
    EvalAltResult::ErrorRuntime(Dynamic::from(f), Position::NONE).into()
}

/// An invalid argument or option (kind `option`).
pub fn rt_error(msg: impl Into<String>) -> Box<EvalAltResult> {
    fail(ErrorKind::Option, msg)
}

/// A library error as a script error of its own kind.
pub fn rt<E: Kind + fmt::Display>(e: E) -> Box<EvalAltResult> {
    fail(e.kind(), e.to_string())
}

/// A library error of `kind` that has no [`Kind`] of its own, prefixed with `what`.
pub fn rt_in(kind: ErrorKind, what: &str, e: impl fmt::Display) -> Box<EvalAltResult> {
    fail(kind, format!("{what}: {e}"))
}

/// The message of a thrown value: a [`Failure`]'s message, else the value as text.
pub fn message_of(v: &Dynamic) -> String {
    match v.read_lock::<Failure>() {
        Some(f) => f.message.clone(),
        None => v.to_string(),
    }
}

/// The kind of a thrown value, if it is a [`Failure`].
pub fn kind_of(v: &Dynamic) -> Option<ErrorKind> {
    v.read_lock::<Failure>().map(|f| f.kind)
}
