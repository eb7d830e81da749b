//! Optimizers over flat parameter slices, and gradient-norm clipping.
//!
//! An optimizer is a value holding its hyper-parameters and per-parameter state; the
//! training loop calls [`Optimizer::train`] before an epoch's steps, [`Optimizer::step`] once
//! per mini-batch, and [`Optimizer::eval`] before validating or saving. Only the
//! schedule-free optimizer gives the last two a meaning (it switches the stored weights
//! between the gradient-evaluation point y and the averaged point x); for Adam and AdamW
//! they do nothing.

mod adam;
mod adamw;
mod schedule_free;
mod state;

pub use adam::Adam;
pub use adamw::AdamW;
pub use schedule_free::ScheduleFreeAdamW;
pub use state::{MomentState, OptimizerKind, OptimizerState, ScheduleFreeState};

use super::NnError;
use crate::error::Vocabulary;
use serde::{Deserialize, Serialize};

/// A first-order optimizer over a flat parameter vector.
pub trait Optimizer: Send {
    /// One update of `params` with the gradient `grad` (same length).
    fn step(&mut self, params: &mut [f32], grad: &[f32]) -> Result<(), NnError>;

    /// Switches `params` to the weights at which gradients are evaluated (no-op by default).
    fn train(&mut self, _params: &mut [f32]) {}

    /// Switches `params` to the weights used for evaluation and saving (no-op by default).
    fn eval(&mut self, _params: &mut [f32]) {}

    /// The base learning rate.
    fn learning_rate(&self) -> f64;

    /// Changes the base learning rate (for schedules).
    fn set_learning_rate(&mut self, lr: f64);

    /// Number of steps taken.
    fn steps(&self) -> u64;

    /// The configuration that rebuilds this optimizer (fresh state).
    fn config(&self) -> OptimizerConfig;

    /// Everything the optimizer has learnt (moments, step counts, averaging sequences and
    /// its train/eval mode), for checkpoints; `None` when it cannot be exported (the
    /// default, for optimizers written outside galchem).
    fn export_state(&self) -> Option<OptimizerState> {
        None
    }

    /// Restores a state from [`Optimizer::export_state`] of the same kind of optimizer over
    /// a parameter vector of `n_params` entries; afterwards the optimizer continues exactly
    /// as the one that exported it. A state of another kind or length is an error.
    fn import_state(&mut self, state: OptimizerState, n_params: usize) -> Result<(), NnError> {
        let _ = n_params;
        Err(NnError::option(
            "optimizer",
            self.config().name(),
            format!("cannot restore a saved {} state", state.kind_name()),
        ))
    }
}

/// The hyper-parameters shared by the Adam family (defaults are PyTorch's).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AdamHyper {
    /// Learning rate.
    pub lr: f64,
    /// First-moment decay β₁.
    pub beta1: f64,
    /// Second-moment decay β₂.
    pub beta2: f64,
    /// Denominator offset ε.
    pub eps: f64,
    /// Weight decay λ (coupled L2 for Adam, decoupled for AdamW and schedule-free AdamW).
    pub weight_decay: f64,
}

impl AdamHyper {
    /// Learning rate `lr`, decay `weight_decay`, β = (0.9, 0.999), ε = 1e-8.
    pub fn torch(lr: f64, weight_decay: f64) -> Self {
        Self {
            lr,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay,
        }
    }

    /// Checks lr > 0, 0 ≤ β < 1, ε > 0, decay ≥ 0, all finite.
    fn validate(&self) -> Result<(), NnError> {
        check("lr", self.lr, self.lr > 0.0, "must be positive")?;
        check(
            "beta1",
            self.beta1,
            (0.0..1.0).contains(&self.beta1),
            "must be in [0, 1)",
        )?;
        check(
            "beta2",
            self.beta2,
            (0.0..1.0).contains(&self.beta2),
            "must be in [0, 1)",
        )?;
        check("eps", self.eps, self.eps > 0.0, "must be positive")?;
        check(
            "weight_decay",
            self.weight_decay,
            self.weight_decay >= 0.0,
            "must be non-negative",
        )
    }
}

/// The hyper-parameters of schedule-free AdamW (`schedulefree.AdamWScheduleFree`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ScheduleFreeHyper {
    /// Learning rate, β, ε and decoupled weight decay.
    #[serde(flatten)]
    pub adam: AdamHyper,
    /// Linear learning-rate warm-up over this many steps (0: none).
    pub warmup_steps: u64,
    /// Power of the step count in the averaging weights.
    pub r: f64,
    /// Power of the maximal learning rate in the averaging weights.
    pub weight_lr_power: f64,
}

impl ScheduleFreeHyper {
    /// Learning rate `lr` and every other argument at its default (β = (0.9, 0.999),
    /// ε = 1e-8, no decay, no warm-up, r = 0, weight_lr_power = 2).
    pub fn torch(lr: f64) -> Self {
        Self {
            adam: AdamHyper::torch(lr, 0.0),
            warmup_steps: 0,
            r: 0.0,
            weight_lr_power: 2.0,
        }
    }
}

/// `Ok` when `v` is finite and `ok` holds, else the error "`name` = v: `why`".
fn check(name: &'static str, v: f64, ok: bool, why: &str) -> Result<(), NnError> {
    if ok && v.is_finite() {
        Ok(())
    } else {
        Err(NnError::option(name, v, why))
    }
}

/// A serialisable description of an optimizer (defaults are PyTorch's). In JSON the kind
/// and the hyper-parameters sit side by side: `{"kind": "adam", "lr": 0.001, …}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum OptimizerConfig {
    /// [`Adam`] (weight decay, if any, is the coupled L2 term of `torch.optim.Adam`).
    Adam(AdamHyper),
    /// [`AdamW`] (decoupled weight decay, `torch.optim.AdamW`).
    AdamW(AdamHyper),
    /// [`ScheduleFreeAdamW`] (`schedulefree.AdamWScheduleFree`).
    ScheduleFreeAdamW(ScheduleFreeHyper),
}

impl OptimizerConfig {
    /// Adam with learning rate `lr` and PyTorch's defaults (β = (0.9, 0.999), ε = 1e-8, no decay).
    pub fn adam(lr: f64) -> Self {
        OptimizerConfig::Adam(AdamHyper::torch(lr, 0.0))
    }

    /// AdamW with learning rate `lr`, decoupled decay `weight_decay` (PyTorch default 0.01).
    pub fn adamw(lr: f64, weight_decay: f64) -> Self {
        OptimizerConfig::AdamW(AdamHyper::torch(lr, weight_decay))
    }

    /// Schedule-free AdamW with learning rate `lr` and every other argument at its default
    /// (β = (0.9, 0.999), ε = 1e-8, no decay, no warm-up, r = 0, weight_lr_power = 2).
    pub fn schedule_free(lr: f64) -> Self {
        OptimizerConfig::ScheduleFreeAdamW(ScheduleFreeHyper::torch(lr))
    }

    /// The name used in option maps: `adam`, `adamw`, `schedule_free_adamw`.
    pub fn name(&self) -> &'static str {
        match self {
            OptimizerConfig::Adam(_) => "adam",
            OptimizerConfig::AdamW(_) => "adamw",
            OptimizerConfig::ScheduleFreeAdamW(_) => "schedule_free_adamw",
        }
    }

    /// The Adam-family hyper-parameters every optimizer has.
    pub fn adam_hyper(&self) -> &AdamHyper {
        match self {
            OptimizerConfig::Adam(h) | OptimizerConfig::AdamW(h) => h,
            OptimizerConfig::ScheduleFreeAdamW(h) => &h.adam,
        }
    }

    /// The same optimizer with weight decay `wd` (L2 for Adam, decoupled for the others).
    pub fn with_weight_decay(mut self, wd: f64) -> Self {
        match &mut self {
            OptimizerConfig::Adam(h) | OptimizerConfig::AdamW(h) => h.weight_decay = wd,
            OptimizerConfig::ScheduleFreeAdamW(h) => h.adam.weight_decay = wd,
        }
        self
    }

    /// The learning rate.
    pub fn lr(&self) -> f64 {
        self.adam_hyper().lr
    }

    /// Checks the hyper-parameters (lr > 0, 0 ≤ β < 1, ε > 0, decay ≥ 0, all finite; for
    /// schedule-free also β₁ > 0 and r ≥ 0).
    pub fn validate(&self) -> Result<(), NnError> {
        self.adam_hyper().validate()?;
        if let OptimizerConfig::ScheduleFreeAdamW(h) = self {
            let b1 = h.adam.beta1;
            check("beta1", b1, b1 > 0.0, "must be positive for schedule-free")?;
            check("r", h.r, h.r >= 0.0, "must be non-negative")?;
            check("weight_lr_power", h.weight_lr_power, true, "must be finite")?;
        }
        Ok(())
    }

    /// A fresh optimizer (its state is sized at the first step).
    pub fn build(&self) -> Result<Box<dyn Optimizer>, NnError> {
        self.validate()?;
        Ok(match *self {
            OptimizerConfig::Adam(h) => Box::new(Adam::with(h)),
            OptimizerConfig::AdamW(h) => Box::new(AdamW::with(h)),
            OptimizerConfig::ScheduleFreeAdamW(h) => Box::new(ScheduleFreeAdamW::with(h)),
        })
    }
}

/// Scales `grad` so that its joint L2 norm is at most `max_norm`, like
/// `torch.nn.utils.clip_grad_norm_`: the factor is `max_norm/(norm + 1e-6)` when that is
/// below 1. Returns the norm before clipping.
pub fn clip_grad_norm(grad: &mut [f32], max_norm: f64) -> f64 {
    let norm = super::params::l2_norm(grad);
    let coef = max_norm / (norm + 1e-6);
    if coef < 1.0 {
        let c = coef as f32;
        grad.iter_mut().for_each(|g| *g *= c);
    }
    norm
}

/// The error for a gradient or parameter slice of the wrong length.
pub(crate) fn length_error(what: &str, expected: usize, found: usize) -> NnError {
    NnError::shape(what, expected, found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clipping_scales_to_the_max_norm() {
        let mut g = vec![3.0f32, 4.0];
        assert_eq!(clip_grad_norm(&mut g, 10.0), 5.0);
        assert_eq!(g, vec![3.0, 4.0]);
        clip_grad_norm(&mut g, 1.0);
        let n = crate::nn::params::l2_norm(&g);
        assert!((n - 1.0).abs() < 1e-6, "{n}");
        assert!((g[0] / g[1] - 0.75).abs() < 1e-6);
    }

    #[test]
    fn configs_validate_and_build() {
        assert!(OptimizerConfig::adam(-1.0).validate().is_err());
        assert!(OptimizerConfig::adamw(1e-3, -0.1).validate().is_err());
        let o = OptimizerConfig::schedule_free(1e-3).build().unwrap();
        assert_eq!(o.config(), OptimizerConfig::schedule_free(1e-3));
        let json = serde_json::to_string(&OptimizerConfig::adam(5e-4)).unwrap();
        assert!(json.contains("\"kind\":\"adam\""), "{json}");
        let back: OptimizerConfig = serde_json::from_str(&json).unwrap();
        assert_eq!(back, OptimizerConfig::adam(5e-4));
    }
}
