//! AdamW (Loshchilov & Hutter 2019) exactly as `torch.optim.AdamW`: the decoupled decay
//! `θ ← θ(1 − lr·λ)` first, then the Adam update of [`super::Adam`] without an L2 term.

use super::adam::Moments;
use super::{Optimizer, OptimizerConfig};
use crate::nn::NnError;

/// AdamW.
#[derive(Debug, Clone)]
pub struct AdamW {
    /// Learning rate.
    pub lr: f64,
    /// First-moment decay β₁.
    pub beta1: f64,
    /// Second-moment decay β₂.
    pub beta2: f64,
    /// Denominator offset ε.
    pub eps: f64,
    /// Decoupled weight decay λ.
    pub weight_decay: f64,
    state: Moments,
}

impl AdamW {
    /// AdamW with learning rate `lr`, decay `weight_decay` and PyTorch's other defaults.
    pub fn new(lr: f64, weight_decay: f64) -> Self {
        Self::with(lr, 0.9, 0.999, 1e-8, weight_decay)
    }

    /// AdamW with every hyper-parameter given.
    pub fn with(lr: f64, beta1: f64, beta2: f64, eps: f64, weight_decay: f64) -> Self {
        Self {
            lr,
            beta1,
            beta2,
            eps,
            weight_decay,
            state: Moments::default(),
        }
    }
}

impl Optimizer for AdamW {
    fn step(&mut self, params: &mut [f32], grad: &[f32]) -> Result<(), NnError> {
        self.state.prepare(params, grad)?;
        if self.weight_decay != 0.0 {
            let f = (1.0 - self.lr * self.weight_decay) as f32;
            params.iter_mut().for_each(|p| *p *= f);
        }
        self.state
            .update(params, grad, self.lr, self.beta1, self.beta2, self.eps, 0.0);
        Ok(())
    }

    fn learning_rate(&self) -> f64 {
        self.lr
    }

    fn set_learning_rate(&mut self, lr: f64) {
        self.lr = lr;
    }

    fn steps(&self) -> u64 {
        self.state.t
    }

    fn config(&self) -> OptimizerConfig {
        OptimizerConfig::AdamW {
            lr: self.lr,
            beta1: self.beta1,
            beta2: self.beta2,
            eps: self.eps,
            weight_decay: self.weight_decay,
        }
    }
}
