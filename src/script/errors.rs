//! Script errors with their place: file, line, column, the offending line and the chain of
//! function calls and module imports that led there.

use rhai::{EvalAltResult, ParseError, Position};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// Texts of every script and module compiled in this session, by source name, so that
/// errors can show the offending line.
#[derive(Default, Debug)]
pub struct SourceMap {
    texts: RwLock<HashMap<String, Arc<str>>>,
}

impl SourceMap {
    /// Remembers `text` under `name`.
    pub fn insert(&self, name: &str, text: &str) {
        if let Ok(mut m) = self.texts.write() {
            m.insert(name.to_string(), Arc::from(text));
        }
    }

    /// Line `line` (from 1) of source `name`.
    pub fn line(&self, name: &str, line: usize) -> Option<String> {
        let m = self.texts.read().ok()?;
        m.get(name)?
            .lines()
            .nth(line.checked_sub(1)?)
            .map(str::to_string)
    }
}

/// A script failure, already formatted for the user.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct ScriptError {
    /// The full report (message, location, source line, call chain).
    pub message: String,
    /// The innermost error message alone.
    pub summary: String,
    /// Whether the script was stopped by Ctrl-C or SIGTERM.
    pub interrupted: bool,
    /// The galchem error kind, when a galchem function failed (or the script was stopped).
    pub kind: Option<crate::error::ErrorKind>,
}

impl ScriptError {
    /// An error that has no script position (e.g. a file that cannot be read).
    pub fn plain(message: impl Into<String>) -> Self {
        let message = message.into();
        Self {
            summary: message.clone(),
            message: format!("error: {message}"),
            interrupted: false,
            kind: None,
        }
    }
}

struct Frame {
    source: String,
    pos: Position,
    note: String,
}

/// Formats a parse error in `source`.
pub fn format_parse(err: &ParseError, source: &str, sources: &SourceMap) -> ScriptError {
    let summary = err.err_type().to_string();
    let mut message = format!("syntax error: {summary}");
    push_location(&mut message, source, err.position(), sources);
    ScriptError {
        message,
        summary,
        interrupted: false,
        kind: Some(crate::error::ErrorKind::Script),
    }
}

/// Formats a runtime error raised while running `source`; `max_operations` is the
/// operation limit in force (named when a runaway script hits it).
pub fn format_eval(
    err: &EvalAltResult,
    source: &str,
    sources: &SourceMap,
    max_operations: u64,
) -> ScriptError {
    let (cur, src, frames) = unwind_calls(err, source);
    let interrupted = matches!(cur, EvalAltResult::ErrorTerminated(..));
    let stop = crate::interrupt::pending().unwrap_or(crate::interrupt::StopReason::Interrupt);
    let kind = match cur {
        EvalAltResult::ErrorTerminated(..) => {
            Some(crate::error::Kind::kind(&crate::interrupt::Interrupted {
                reason: stop,
            }))
        }
        EvalAltResult::ErrorRuntime(v, _) => {
            super::failure::kind_of(v).or(Some(crate::error::ErrorKind::Script))
        }
        _ => Some(crate::error::ErrorKind::Script),
    };
    let summary = match cur {
        EvalAltResult::ErrorTerminated(..) => stop.describe().to_string(),
        EvalAltResult::ErrorTooManyOperations(..) => format!(
            "the script was stopped after {max_operations} operations (a runaway loop?); \
             raise the limit with --max-operations N if the work is real"
        ),
        EvalAltResult::ErrorRuntime(v, _) => super::failure::message_of(v),
        EvalAltResult::ErrorParsing(t, _) => format!("syntax error: {t}"),
        other => strip_position(&other.to_string()),
    };
    let mut message = format!("error: {summary}");
    push_location(&mut message, &src, cur.position(), sources);
    for f in frames.iter().rev() {
        if f.pos.is_none() {
            message.push_str(&format!("\n  = {}", f.note));
        } else {
            message.push_str(&format!(
                "\n  = {} called at {}:{}:{}",
                f.note,
                f.source,
                f.pos.line().unwrap_or(0),
                f.pos.position().unwrap_or(0)
            ));
        }
    }
    ScriptError {
        message,
        summary,
        interrupted,
        kind,
    }
}

/// Peels the function-call and module-import layers off `err`: returns the innermost error,
/// the source it was raised in, and one frame per layer (outermost first).
fn unwind_calls<'e>(
    err: &'e EvalAltResult,
    source: &str,
) -> (&'e EvalAltResult, String, Vec<Frame>) {
    let mut frames = Vec::new();
    let mut cur = err;
    let mut src = source.to_string();
    loop {
        match cur {
            EvalAltResult::ErrorInFunctionCall(name, fn_source, inner, pos) => {
                frames.push(Frame {
                    source: src.clone(),
                    pos: *pos,
                    note: format!("in function '{name}'"),
                });
                if !fn_source.is_empty() {
                    src = fn_source.clone();
                }
                cur = inner;
            }
            EvalAltResult::ErrorInModule(name, inner, pos) => {
                // The resolver names modules by the file they were loaded from.
                frames.push(Frame {
                    source: src.clone(),
                    pos: *pos,
                    note: format!("while importing {name}"),
                });
                src = name.clone();
                cur = inner;
            }
            _ => return (cur, src, frames),
        }
    }
}

fn push_location(out: &mut String, source: &str, pos: Position, sources: &SourceMap) {
    let (Some(line), col) = (pos.line(), pos.position().unwrap_or(0)) else {
        if !source.is_empty() {
            out.push_str(&format!("\n  --> {source}"));
        }
        return;
    };
    out.push_str(&format!("\n  --> {source}:{line}:{col}"));
    if let Some(text) = sources.line(source, line) {
        let gutter = " ".repeat(line.to_string().len());
        let caret_pad: String = text
            .chars()
            .take(col.saturating_sub(1))
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        out.push_str(&format!(
            "\n {gutter} |\n {line} | {text}\n {gutter} | {caret_pad}^"
        ));
    }
}

/// Removes the ` (line L, position P)` suffix Rhai appends to messages (we print it apart).
fn strip_position(msg: &str) -> String {
    match msg.rfind(" (line ") {
        Some(i) if msg.ends_with(')') => msg[..i].to_string(),
        _ => msg.to_string(),
    }
}
