//! The MAP baseline (argmin): L-BFGS with the More–Thuente line search on any
//! [`crate::model::LogDensity`] ([`lbfgs`]), the Laplace approximation from finite
//! differences of the analytic gradient with the hierarchical model's block-arrow Hessian
//! ([`laplace`]), and the fit of the hierarchical model with the marginal of the global
//! parameters ([`fit`]). It scales to 10³–10⁴ stars (the Hessian costs 2(s + b) gradients
//! whatever the number of stars) and gives NUTS its start and its preconditioner.

pub mod factor;
pub mod fit;
pub mod laplace;
pub mod lbfgs;

pub use fit::{map_hier, MapFit, MapOptions};
pub use laplace::{laplace, Laplace, Structure};
pub use lbfgs::{maximize, LbfgsOptions, Optimum};
