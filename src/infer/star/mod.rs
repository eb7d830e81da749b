//! Single stars: per-star summaries of posterior draws, and their refinement by
//! importance sampling to the exact posterior of a simulator.

pub mod importance;
pub mod refine;
pub mod summary;

pub use refine::{RefinedPosterior, Refiner};
pub use summary::{summarise, StarSummary, SUMMARY_LEVELS};
