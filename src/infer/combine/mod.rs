//! Combining many stars into the posterior of the global parameters: Gaussian fits
//! ([`gaussian`], the paper's combinations) or the exact product of per-star densities on a
//! grid ([`exact`]).

pub mod exact;
pub mod gaussian;

pub use exact::{combine_exact, DensityRoute, ExactCombined, StarTerm};
pub use gaussian::{
    combine, combine_running, combine_running_in_blocks, CombineError, CombineMethod, Combined,
    GaussianPrior, GaussianSums, BLOCK_ROWS,
};
