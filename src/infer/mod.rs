//! Inference of the galactic parameters: the prior, posterior sampling per star, the
//! combination of stars into the posterior of the global parameters, the NPE pipeline and
//! catalog inference.

pub mod batch;
pub mod catalog;
pub mod combine;
pub mod error;
pub mod evaluate;
pub mod importance;
pub mod npe;
pub mod observe;
pub mod posterior;
pub mod prior;
pub mod refine;
pub mod rejection;
pub mod simulator;
pub mod sources;
pub mod table_input;

pub use catalog::{infer_catalog, infer_catalog_with, CatalogInference, InferOptions, StarSummary};
pub use combine::CombineMethod;
pub use error::InferError;
pub use evaluate::{evaluate, evaluate_exact, EvalReport, ExactReport};
pub use npe::{train_npe, train_on_pairs, NpeOptions, NpeReport};
pub use observe::Observations;
pub use posterior::{Posterior, TrainingInfo};
pub use simulator::{NoiseModel, Simulator, SimulatorError};
