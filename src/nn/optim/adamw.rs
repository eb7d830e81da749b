//! AdamW (Loshchilov & Hutter 2019) exactly as `torch.optim.AdamW`: the decoupled decay
//! `θ ← θ(1 − lr·λ)` first, then the Adam update of [`super::Adam`] without an L2 term.

use super::adam::Moments;
use super::state::kind_error;
use super::{AdamHyper, Optimizer, OptimizerConfig, OptimizerState};
use crate::nn::NnError;

/// AdamW.
#[derive(Debug, Clone)]
pub struct AdamW {
    /// The hyper-parameters (`weight_decay` is the decoupled decay λ).
    pub hyper: AdamHyper,
    state: Moments,
}

impl AdamW {
    /// AdamW with learning rate `lr`, decay `weight_decay` and PyTorch's other defaults.
    pub fn new(lr: f64, weight_decay: f64) -> Self {
        Self::with(AdamHyper::torch(lr, weight_decay))
    }

    /// AdamW with every hyper-parameter given.
    pub fn with(hyper: AdamHyper) -> Self {
        Self {
            hyper,
            state: Moments::default(),
        }
    }
}

impl Optimizer for AdamW {
    fn step(&mut self, params: &mut [f32], grad: &[f32]) -> Result<(), NnError> {
        self.state.prepare(params, grad)?;
        let h = self.hyper;
        if h.weight_decay != 0.0 {
            let f = (1.0 - h.lr * h.weight_decay) as f32;
            params.iter_mut().for_each(|p| *p *= f);
        }
        self.state
            .update(params, grad, h.lr, h.beta1, h.beta2, h.eps, 0.0);
        Ok(())
    }

    fn learning_rate(&self) -> f64 {
        self.hyper.lr
    }

    fn set_learning_rate(&mut self, lr: f64) {
        self.hyper.lr = lr;
    }

    fn steps(&self) -> u64 {
        self.state.t
    }

    fn config(&self) -> OptimizerConfig {
        OptimizerConfig::AdamW(self.hyper)
    }

    fn export_state(&self) -> Option<OptimizerState> {
        Some(OptimizerState::AdamW(self.state.export()))
    }

    fn import_state(&mut self, state: OptimizerState, n_params: usize) -> Result<(), NnError> {
        match state {
            OptimizerState::AdamW(s) => self.state.import(s, n_params),
            other => Err(kind_error("adamw", &other)),
        }
    }
}
