//! galchem: simulation-based inference of galactic parameters from stellar chemical abundances.
//!
//! Every capability is a plain Rust API first; the Rhai layer in [`script`] only translates
//! values and errors. See `book/` for the user guide and the science.
//!
//! The layers, from the bottom:
//! - [`error`], [`envelope`], [`rng`], [`interrupt`]: the shared error vocabulary, the file
//!   envelope, seeded random streams, cooperative cancellation;
//! - [`stats`]: posterior draws ([`Draws`]) and their statistics;
//! - [`model`]: the seams — [`ParamSpace`], [`Prior`], the [`Simulator`], [`Differentiable`],
//!   [`Posterior`] and [`LogDensity`] traits, noise, runs tables;
//! - [`gce`] (the CHEMPY port), [`nn`] (networks and the emulator), [`flow`] (the masked
//!   autoregressive flow): implementations of the seams;
//! - [`infer`]: neural posterior estimation, refinement, combination, catalog inference;
//! - [`calib`]: calibration diagnostics (SBC, TARP, coverage, posterior predictive checks,
//!   local C2ST) for any posterior;
//! - [`catalog`] (tables), [`plot`] (figures), [`script`] and [`repl`] (the front end).

pub mod calib;
pub mod catalog;
pub mod data;
pub mod envelope;
pub mod error;
pub mod flow;
pub mod fsutil;
pub mod gce;
pub mod infer;
pub mod interrupt;
pub mod jobs;
pub mod model;
pub mod nn;
pub mod paper;
pub mod plot;
pub mod progress;
pub mod repl;
pub mod resources;
pub mod rng;
pub mod script;
pub mod shard;
pub mod stats;

// The types most programs need, at the top level.
pub use catalog::Table;
pub use data::DataDir;
pub use error::{ErrorKind, Kind};
pub use gce::{Chempy, Params, YieldSet};
pub use infer::{
    infer_catalog, infer_catalog_with, train_npe, CatalogInference, InferError, InferOptions,
    NeuralPosterior, NpeOptions, Observations,
};
pub use model::{Differentiable, LogDensity, NoiseModel, ParamSpace, Posterior, Prior, Simulator};
pub use nn::Emulator;
pub use plot::Figure;
pub use stats::Draws;
