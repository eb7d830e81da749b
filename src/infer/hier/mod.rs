//! The hierarchical model of Philcox & Rybizki (2019, spec B.3): the global parameters Λ
//! shared by every star, each star's local parameters, and optional per-element model
//! errors, as one differentiable log density over unconstrained coordinates.
//!
//! - [`transform`]: identity, one-sided log and interval (logit) transforms with their
//!   log-Jacobians;
//! - [`coord`]: one coordinate's prior and transform;
//! - [`density`]: [`HierModel`], the [`crate::model::LogDensity`] through any
//!   [`crate::model::Differentiable`] simulator, in f64;
//! - [`catalog`]: the model of a star catalog through a CHEMPY emulator, with the priors of
//!   spec B.3, ages and per-star errors;
//! - [`mock`]: mock catalogs at known Λ made like the reference mocks (spec B.1);
//! - [`error`]: [`BaselineError`], shared by the MAP and NUTS baselines;
//! - [`summary`]: how the global parameters are summarised (spec B.5).

pub mod catalog;
pub mod coord;
pub mod density;
pub mod error;
pub mod mock;
pub mod summary;
pub mod transform;

pub use catalog::{chempy_model, hier_prior, star_data, HierOptions, StarData};
pub use coord::{Coord, CoordPrior};
pub use density::HierModel;
pub use error::BaselineError;
pub use mock::{mock_catalog, MockOptions};
pub use summary::ParamSummary;
pub use transform::Transform;
