//! Combining many stars into the posterior of the global parameters.

pub mod gaussian;

pub use gaussian::{
    combine, combine_running, CombineError, CombineMethod, Combined, GaussianPrior,
};
