//! Neural posterior estimation: the trained flow posterior, the simulate-and-train
//! pipeline, batched sampling with rejection outside the prior support, and evaluation on
//! held-out simulations.

mod batch;
pub mod evaluate;
pub mod pipeline;
pub mod posterior;
pub mod rejection;
pub mod simulate;

pub use evaluate::{evaluate, evaluate_exact, held_out_pairs, EvalReport, ExactReport};
pub use pipeline::{
    train_npe, train_npe_with, train_on_pairs, train_on_pairs_with, NpeOptions, NpeReport,
    PAPER_NOISE_DEX,
};
pub use posterior::{NeuralPosterior, TrainingInfo};
pub use simulate::draw_valid;
