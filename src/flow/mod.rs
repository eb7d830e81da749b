//! A conditional masked autoregressive flow q(θ | x) written from scratch (paper §2.3,
//! reference spec A.1): MADE networks with sequential degrees and a context input, affine
//! autoregressive transforms, fixed random permutations, z-scoring of θ and x, and a
//! standard-normal base density.

mod act;
mod backprop;
mod degrees;
mod density;
mod error;
mod inverse;
mod io;
mod made;
mod maf;
mod permutation;
mod sample;
mod standardize;
pub mod train;

pub use error::FlowError;
pub use io::{MafRecord, FLOW_FORMAT, FLOW_VERSION};
pub use made::{Made, MadeShape};
pub use maf::{FlowConfig, Maf};
pub use permutation::Permutation;
pub use sample::{Conditioned, SampleWorkspace, Sampler};
pub use train::{train, train_with, FlowTrainConfig, FlowTrainReport};
