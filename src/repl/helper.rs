//! The rustyline helper: completion, hints, validation (multi-line input), hint colouring.

use super::input::{call_before, open_depth, string_start, word_start};
use crate::script::Session;
use rustyline::completion::{Completer, FilenameCompleter, Pair};
use rustyline::highlight::Highlighter;
use rustyline::hint::{Hinter, HistoryHinter};
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::{Context, Helper, Result};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

const KEYWORDS: &[&str] = &[
    "let", "const", "fn", "if", "else", "for", "in", "while", "loop", "break", "continue",
    "return", "import", "export", "as", "true", "false", "print", "throw", "try", "catch",
    "switch", "ARGS",
];

/// Names offered by completion, refreshed before each prompt.
#[derive(Default)]
pub struct Completions {
    /// Function name → first signature.
    functions: BTreeMap<String, String>,
    variables: Vec<String>,
}

impl Completions {
    /// Updates the variables and script functions from the session.
    pub fn refresh(&mut self, session: &Session) {
        if self.functions.is_empty() {
            for f in session.docs().functions.values() {
                self.functions.insert(
                    f.name.clone(),
                    f.signatures.first().cloned().unwrap_or_default(),
                );
            }
            for (name, _) in crate::script::STDLIB {
                self.variables.push(format!("\"{name}\""));
            }
        }
        for f in session.script_functions() {
            self.functions
                .entry(f.clone())
                .or_insert_with(|| format!("{f}(…)"));
        }
        self.variables = session.variables();
    }
}

/// The REPL helper.
pub struct GalchemHelper {
    names: Arc<RwLock<Completions>>,
    files: FilenameCompleter,
    history: HistoryHinter,
}

impl GalchemHelper {
    /// A helper reading its names from `names`.
    pub fn new(names: Arc<RwLock<Completions>>, session: &Session) -> Self {
        if let Ok(mut n) = names.write() {
            n.refresh(session);
        }
        Self {
            names,
            files: FilenameCompleter::new(),
            history: HistoryHinter::new(),
        }
    }

    /// Candidates for the identifier prefix `word` (methods after a `.`).
    pub fn candidates(&self, word: &str, after_dot: bool) -> Vec<Pair> {
        let Ok(names) = self.names.read() else {
            return vec![];
        };
        let mut out: Vec<Pair> = names
            .functions
            .iter()
            .filter(|(n, _)| n.starts_with(word))
            .map(|(n, sig)| Pair {
                display: sig.clone(),
                replacement: format!("{n}("),
            })
            .collect();
        if !after_dot {
            out.extend(
                names
                    .variables
                    .iter()
                    .map(String::as_str)
                    .chain(KEYWORDS.iter().copied())
                    .filter(|n| n.starts_with(word) && !n.starts_with('"'))
                    .map(|n| Pair {
                        display: n.to_string(),
                        replacement: n.to_string(),
                    }),
            );
        }
        out.sort_by(|a, b| a.replacement.cmp(&b.replacement));
        out.dedup_by(|a, b| a.replacement == b.replacement);
        out
    }
}

impl Completer for GalchemHelper {
    type Candidate = Pair;

    fn complete(&self, line: &str, pos: usize, ctx: &Context<'_>) -> Result<(usize, Vec<Pair>)> {
        if let Some(start) = string_start(line, pos) {
            let (offset, pairs) = self.files.complete_path(&line[start..pos], pos - start)?;
            let _ = ctx;
            return Ok((start + offset, pairs));
        }
        let start = word_start(line, pos);
        let after_dot = line[..start].ends_with('.');
        Ok((start, self.candidates(&line[start..pos], after_dot)))
    }
}

impl Hinter for GalchemHelper {
    type Hint = String;

    fn hint(&self, line: &str, pos: usize, ctx: &Context<'_>) -> Option<String> {
        if pos < line.len() {
            return None;
        }
        if let Some(name) = call_before(line, pos) {
            let names = self.names.read().ok()?;
            let sig = names.functions.get(name)?;
            let params = sig.split_once('(')?.1;
            return Some(params.to_string());
        }
        self.history.hint(line, pos, ctx)
    }
}

impl Highlighter for GalchemHelper {
    fn highlight_hint<'h>(&self, hint: &'h str) -> Cow<'h, str> {
        Cow::Owned(format!("\x1b[2m{hint}\x1b[0m"))
    }
}

impl Validator for GalchemHelper {
    fn validate(&self, ctx: &mut ValidationContext) -> Result<ValidationResult> {
        Ok(if open_depth(ctx.input()) > 0 {
            ValidationResult::Incomplete
        } else {
            ValidationResult::Valid(None)
        })
    }
}

impl Helper for GalchemHelper {}
