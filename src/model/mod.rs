//! The generative model and the seams every inference method plugs into.
//!
//! - [`ParamSpace`]: parameter names and which are global;
//! - [`Prior`]: independent marginals over a space (the paper's Table 1 and variants);
//! - [`Simulator`] (θ → x with a [`RunStatus`] per row) and [`Differentiable`] (its
//!   Jacobian), implemented by the CHEMPY port, the MLP emulator and test models;
//! - [`NoiseModel`]: Gaussian observation errors;
//! - [`Posterior`]: draws of θ given x, for the flow, the refined flow, HMC and the
//!   closed-form [`LinearGaussian`] posterior;
//! - [`LogDensity`]: a differentiable log density over slices, for NUTS and L-BFGS;
//! - the runs table ([`runs`]): how simulator runs are stored as a table.

pub mod density;
pub mod error;
pub mod likelihood;
pub mod linear_gaussian;
pub mod noise;
pub mod posterior;
pub mod prior;
pub mod runs;
pub mod simulator;
pub mod space;

pub use density::{DensityError, LogDensity};
pub use error::ModelError;
pub use likelihood::StarDensity;
pub use linear_gaussian::{GaussianPosterior, LinearGaussian};
pub use noise::NoiseModel;
pub use posterior::{Accepts, DrawsResult, ObservedRows, Posterior};
pub use prior::{Marginal, Prior};
pub use simulator::{
    Cotangent, Differentiable, RunStatus, SelectOutputs, Simulated, Simulator, SimulatorError,
};
pub use space::{Param, ParamSpace};
