//! Cooperative cancellation: Ctrl-C sets a flag that scripts and long native loops check.
//!
//! The flag is process-wide because a terminal interrupt is. Long native loops call
//! [`check`] between units of work (a batch, an epoch, a chunk of simulations) and return
//! [`Interrupted`] so the REPL can go back to its prompt with everything it had intact.

use std::sync::atomic::{AtomicBool, Ordering};

static REQUESTED: AtomicBool = AtomicBool::new(false);

/// The error a cancelled native call returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("interrupted (Ctrl-C)")]
pub struct Interrupted;

/// Asks every running script and native loop to stop at its next check.
pub fn request() {
    REQUESTED.store(true, Ordering::SeqCst);
}

/// Clears a pending request (done before each new REPL input or script run).
pub fn clear() {
    REQUESTED.store(false, Ordering::SeqCst);
}

/// Whether an interrupt is pending.
pub fn is_requested() -> bool {
    REQUESTED.load(Ordering::Relaxed)
}

/// `Err(Interrupted)` if an interrupt is pending.
pub fn check() -> Result<(), Interrupted> {
    if is_requested() {
        Err(Interrupted)
    } else {
        Ok(())
    }
}
