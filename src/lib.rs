//! galchem: simulation-based inference of galactic parameters from stellar chemical abundances.
//!
//! Every capability is a plain Rust API first; the Rhai layer in [`script`] only translates
//! values and errors. See `book/` for the user guide and the science.

pub mod catalog;
pub mod data;
pub mod flow;
pub mod fsutil;
pub mod gce;
pub mod infer;
pub mod interrupt;
pub mod nn;
pub mod plot;
pub mod progress;
pub mod repl;
pub mod rng;
pub mod script;
pub mod stats;
