//! Neural networks from first principles on ndarray: dense layers (optionally masked),
//! activations, losses, optimizers, a mini-batch training loop, z-score scalers, and the
//! CHEMPY emulator built from them.
//!
//! Design: every model keeps **all its parameters in one flat `Vec<f32>`**; layers
//! ([`Dense`]) know their offset into it and gradients use the same layout, so optimizers,
//! clipping, snapshots and serialisation work on plain slices. Computation is f32 (a fast
//! vectorised tanh, sgemm products on contiguous row-major buffers, no allocation per
//! training step); user-facing models take and return f64.
//!
//! Shapes: batches are `(n_rows, n_features)`; a dense layer's weights are `(n_in, n_out)`.
//!
//! Building a model of one's own (e.g. a flow of MADEs) on the core:
//!
//! ```text
//! let mut layout = ParamLayout::new();
//! let first = Dense::masked(&mut layout, mask0.view());     // mask (n_in, n_out)
//! let context = Dense::new(&mut layout, 8, 8);
//! …                                                          // more layers
//! let mut params = vec![0.0f32; layout.len()];
//! let mut rng = galchem::rng::rng(seed);
//! first.init(&mut params, &mut rng); context.init(&mut params, &mut rng); …
//!
//! impl Objective for MyFlowData<'_> {                         // rows = (θ, x) pairs
//!     type Workspace = MyBuffers;                             // preallocated per chunk
//!     fn loss_grad(&self, params, rows, ws, grad) -> f64 {    // Σ_r −log q(θ_r|x_r)
//!         // gather rows, forward with Dense::forward / forward_add + Activation::apply,
//!         // backward with Activation::backprop + Dense::backward (adds into grad)
//!     }
//!     …
//! }
//! let mut opt = OptimizerConfig::adam(5e-4).build()?;
//! let cfg = TrainConfig { batch_size: 200, epochs: usize::MAX, drop_last: true,
//!                         clip_grad_norm: Some(5.0), early_stopping: Some(EarlyStopping::sbi()),
//!                         ..TrainConfig::default() };
//! let history = train(&train_set, Some(&val_set), &mut params, opt.as_mut(), &cfg, None)?;
//! ```

mod activation;
mod autopar;
pub mod checkpoint;
mod dense;
pub mod emulator;
mod error;
pub mod exact;
pub mod fastmath;
mod linalg;
mod loss;
mod mlp;
pub mod mlp64;
pub mod objective;
pub mod optim;
mod params;
mod scaler;
pub mod train;

pub use activation::Activation;
pub use dense::Dense;
pub use emulator::{Emulator, EmulatorOptions, EmulatorReport, TrainReport};
pub use error::NnError;
pub use loss::{Loss, VarianceHead};
pub use mlp::{Mlp, MlpWorkspace};
pub use mlp64::Mlp64;
pub use objective::{Objective, Supervised};
pub use optim::{
    clip_grad_norm, Adam, AdamHyper, AdamW, Optimizer, OptimizerConfig, OptimizerKind,
    OptimizerState, ScheduleFreeAdamW, ScheduleFreeHyper,
};
pub use params::ParamLayout;
pub use scaler::Scaler;
pub use train::{
    train, Control, EarlyStopping, EpochStats, Observer, Shuffle, Termination, TrainConfig,
    TrainHistory,
};
