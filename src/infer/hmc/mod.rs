//! The HMC baseline: NUTS (through nuts-rs) on any [`crate::model::LogDensity`], and on the
//! hierarchical model with MAP starts, with the diagnostics that say whether to trust it.
//!
//! - [`adapter`]: one chain of nuts-rs, its types kept inside (slices cross);
//! - [`trace`]: settings, per-draw statistics, chains and runs;
//! - [`sampler`]: chains in parallel with derived seeds and jittered starts;
//! - [`progress`]: a bar per chain with its divergences;
//! - [`diagnostics`]: rank-normalised split R̂, bulk and tail ESS, E-BFMI;
//! - [`report`]: a run's diagnostics with warnings in words, and its draws as a table;
//! - [`run`]: [`hmc_hier`] (MAP → NUTS → summaries) and [`nuts_density`].

pub mod adapter;
pub mod diagnostics;
pub mod progress;
pub mod report;
pub mod run;
pub mod sampler;
pub mod trace;

pub use diagnostics::{diagnose, ParamDiagnostics};
pub use report::{RunDiagnostics, EBFMI_WARN, ESS_PER_CHAIN_WARN, RHAT_WARN};
pub use run::{hmc_hier, nuts_density, HmcFit, HmcOptions, Sampled};
pub use sampler::sample;
pub use trace::{ChainTrace, DrawStats, NutsOptions, NutsRun};
