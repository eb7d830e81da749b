//! Combining many stars into the posterior of the global parameters.

pub mod gaussian;

pub use gaussian::{
    combine, combine_running, combine_running_in_blocks, CombineError, CombineMethod, Combined,
    GaussianPrior, GaussianSums, BLOCK_ROWS,
};
