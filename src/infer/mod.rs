//! Inference of the global parameters, by concern:
//!
//! - [`npe`]: neural posterior estimation — the flow posterior ([`NeuralPosterior`]), the
//!   simulate-and-train pipeline, batched sampling with rejection outside the prior, and
//!   evaluation on held-out simulations;
//! - [`star`]: single stars — summaries of their draws and refinement by importance sampling
//!   ([`RefinedPosterior`]);
//! - [`combine`]: many stars into the posterior of the global parameters (paper eq. 5–9);
//! - [`catalog`]: catalog inference with any [`crate::model::Posterior`];
//! - [`survey`]: posteriors for real surveys — any pattern of missing elements, every star's
//!   own errors.
//! - [`hier`], [`map`], [`hmc`]: the baselines of Philcox & Rybizki (2019) — the
//!   hierarchical model, its MAP and Laplace fit (argmin), and NUTS (nuts-rs).

pub mod catalog;
pub mod combine;
pub mod error;
pub mod hier;
pub mod hmc;
pub mod map;
pub mod npe;
pub mod star;
pub mod stream;
pub mod survey;
pub mod training_set;

pub use catalog::observe::Observations;
pub use catalog::systematic::{FloorGrowth, FloorModel};
pub use catalog::{
    infer_catalog, infer_catalog_exact, infer_catalog_with, CatalogInference, ColumnMap,
    ColumnPreset, InferOptions, ObservationTable,
};
pub use combine::{CombineMethod, Combined, GaussianPrior};
pub use error::InferError;
pub use npe::{
    draw_valid, evaluate, evaluate_exact, held_out_pairs, train_npe, train_on_pairs, EvalReport,
    ExactReport, NeuralPosterior, NpeOptions, NpeReport, TrainingInfo,
};
pub use star::{RefinedPosterior, Refiner, StarSummary};
pub use survey::{mock_catalog, train_survey_npe, ContextEncoding, MockOptions, SurveyOptions};
