//! Cooperative cancellation: Ctrl-C (SIGINT) and SIGTERM set a flag that scripts and long
//! native loops check.
//!
//! The flag is process-wide because a signal is. Long native loops call [`check`] between
//! units of work (a mini-batch, a chunk of simulations, a star) and return [`Interrupted`]
//! with the reason, so the REPL can go back to its prompt with everything it had intact and
//! `galchem run` can stop cleanly.
//!
//! The two reasons differ in what happens next:
//! - **Ctrl-C** ([`StopReason::Interrupt`]) is a request from the user at the keyboard. A
//!   training run that sees it ends with its best weights and *consumes* the request
//!   ([`consume_interrupt`]), so the script or REPL line goes on with the result; a second
//!   Ctrl-C stops the script.
//! - **SIGTERM** ([`StopReason::Terminate`]) is what a batch system sends at a job's time
//!   limit. Work writes its checkpoint, returns what it has, and the request stays set, so
//!   the script ends right after and the process exits with status 143.

use std::sync::atomic::{AtomicU8, Ordering};

/// Why work was asked to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StopReason {
    /// Ctrl-C (SIGINT).
    Interrupt,
    /// SIGTERM.
    Terminate,
}

impl StopReason {
    /// `"interrupted (Ctrl-C)"` or `"terminated (SIGTERM)"`.
    pub fn describe(self) -> &'static str {
        match self {
            StopReason::Interrupt => "interrupted (Ctrl-C)",
            StopReason::Terminate => "terminated (SIGTERM)",
        }
    }
}

/// 0 = nothing pending, 1 = Ctrl-C, 2 = SIGTERM (SIGTERM wins over Ctrl-C).
static REQUESTED: AtomicU8 = AtomicU8::new(0);

/// The error a cancelled native call returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{}", reason.describe())]
pub struct Interrupted {
    /// Why.
    pub reason: StopReason,
}

/// Asks every running script and native loop to stop at its next check (async-signal-safe:
/// one atomic operation).
pub fn request(reason: StopReason) {
    let code = match reason {
        StopReason::Interrupt => 1,
        StopReason::Terminate => 2,
    };
    REQUESTED.fetch_max(code, Ordering::SeqCst);
}

/// Clears a pending request (done before each new REPL input or script run).
pub fn clear() {
    REQUESTED.store(0, Ordering::SeqCst);
}

/// Clears a pending Ctrl-C (not a SIGTERM): called by work that has handled it by ending
/// early with a result, so that the script goes on with that result.
pub fn consume_interrupt() {
    let _ = REQUESTED.compare_exchange(1, 0, Ordering::SeqCst, Ordering::SeqCst);
}

/// The pending request, if any.
pub fn pending() -> Option<StopReason> {
    match REQUESTED.load(Ordering::Relaxed) {
        0 => None,
        1 => Some(StopReason::Interrupt),
        _ => Some(StopReason::Terminate),
    }
}

/// Whether a request is pending.
pub fn is_requested() -> bool {
    pending().is_some()
}

/// `Err(Interrupted)` if a request is pending.
pub fn check() -> Result<(), Interrupted> {
    match pending() {
        None => Ok(()),
        Some(reason) => Err(Interrupted { reason }),
    }
}

/// Installs the handlers that turn SIGINT into [`StopReason::Interrupt`] and SIGTERM into
/// [`StopReason::Terminate`] (on Unix; elsewhere Ctrl-C only). Call once, from `main`.
pub fn install_handlers() -> Result<(), String> {
    #[cfg(unix)]
    {
        use signal_hook::consts::{SIGINT, SIGTERM};
        // SAFETY: the handlers only perform one atomic read-modify-write, which is
        // async-signal-safe; they do not allocate, lock or call into non-reentrant code.
        unsafe {
            signal_hook::low_level::register(SIGINT, || request(StopReason::Interrupt))
                .map_err(|e| format!("cannot install the Ctrl-C handler: {e}"))?;
            signal_hook::low_level::register(SIGTERM, || request(StopReason::Terminate))
                .map_err(|e| format!("cannot install the SIGTERM handler: {e}"))?;
        }
        Ok(())
    }
    #[cfg(not(unix))]
    {
        ctrlc::set_handler(|| request(StopReason::Interrupt))
            .map_err(|e| format!("cannot install the Ctrl-C handler: {e}"))
    }
}
