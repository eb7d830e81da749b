//! Progress bars for long native calls.
//!
//! A [`Progress`] stays invisible for its first two seconds, then draws an indicatif bar
//! on stderr, but only when both stdout and stderr are terminals and galchem is not quiet
//! (`--quiet`, or [`set_quiet`]).

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

static QUIET: AtomicBool = AtomicBool::new(false);

/// Silences (or re-enables) every progress bar.
pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, Ordering::SeqCst);
}

/// Whether progress output is silenced.
pub fn is_quiet() -> bool {
    QUIET.load(Ordering::Relaxed)
}

const SHOW_AFTER: Duration = Duration::from_secs(2);

/// A progress bar that appears only for calls that last longer than ~2 s.
pub struct Progress {
    bar: Option<ProgressBar>,
    started: Instant,
    shown: AtomicBool,
}

impl Progress {
    /// A bar over `len` units of work labelled `label`.
    pub fn new(len: u64, label: &str) -> Self {
        let visible =
            !is_quiet() && std::io::stdout().is_terminal() && std::io::stderr().is_terminal();
        let bar = visible.then(|| {
            let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::hidden());
            let style = ProgressStyle::with_template(
                "{prefix} [{bar:30}] {pos}/{len} {msg} ({elapsed}, eta {eta})",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
            bar.set_style(style);
            bar.set_prefix(label.to_string());
            bar
        });
        Self {
            bar,
            started: Instant::now(),
            shown: AtomicBool::new(false),
        }
    }

    fn reveal(&self, bar: &ProgressBar) {
        if !self.shown.load(Ordering::Relaxed) && self.started.elapsed() >= SHOW_AFTER {
            self.shown.store(true, Ordering::Relaxed);
            bar.set_draw_target(ProgressDrawTarget::stderr());
        }
    }

    /// Advances by `n` units.
    pub fn inc(&self, n: u64) {
        if let Some(bar) = &self.bar {
            self.reveal(bar);
            bar.inc(n);
        }
    }

    /// Sets the message shown after the counter (e.g. the validation loss).
    pub fn message(&self, msg: impl Into<String>) {
        if let Some(bar) = &self.bar {
            self.reveal(bar);
            bar.set_message(msg.into());
        }
    }

    /// Removes the bar.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}
