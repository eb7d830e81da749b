//! A conditional masked autoregressive flow q(θ | x) written from scratch (paper §2.3,
//! reference spec A.1): MADE networks with sequential degrees and a context input, affine
//! autoregressive transforms, fixed random permutations, z-scoring of θ and x, and a
//! standard-normal base density.

pub mod act;
mod backprop;
pub mod degrees;
mod density;
pub mod error;
pub mod inverse;
pub mod io;
pub mod made;
pub mod maf;
pub mod permutation;
pub mod sample;
pub mod standardize;
pub mod train;

pub use error::FlowError;
pub use io::MafRecord;
pub use maf::{FlowConfig, Maf};
pub use sample::{Conditioned, SampleWorkspace, Sampler};
pub use train::{train, FlowTrainConfig, FlowTrainReport};
