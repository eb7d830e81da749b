//! Adam (Kingma & Ba 2015) exactly as `torch.optim.Adam` with `amsgrad=False`.
//!
//! Step t = 1, 2, …: `g ← g + λθ` (coupled L2 decay, if λ > 0); `m ← m + (1−β₁)(g − m)`;
//! `v ← β₂v + (1−β₂)g²`; `θ ← θ − (lr/(1−β₁ᵗ))·m/(√v/√(1−β₂ᵗ) + ε)`.

use super::state::{check_buffers, kind_error};
use super::{length_error, AdamHyper, MomentState, Optimizer, OptimizerConfig, OptimizerState};
use crate::nn::NnError;

/// First and second moment buffers shared by [`Adam`] and [`super::AdamW`].
#[derive(Debug, Clone, Default)]
pub(super) struct Moments {
    pub m: Vec<f32>,
    pub v: Vec<f32>,
    pub t: u64,
}

impl Moments {
    /// The buffers and step count as plain data.
    pub fn export(&self) -> MomentState {
        MomentState {
            m: self.m.clone(),
            v: self.v.clone(),
            t: self.t,
        }
    }

    /// Restores exported buffers for `n_params` parameters.
    pub fn import(&mut self, s: MomentState, n_params: usize) -> Result<(), NnError> {
        check_buffers([&s.m, &s.v], s.t, n_params)?;
        if s.m.len() != s.v.len() {
            return Err(length_error(
                "second-moment buffer (saved state)",
                s.m.len(),
                s.v.len(),
            ));
        }
        *self = Moments {
            m: s.m,
            v: s.v,
            t: s.t,
        };
        Ok(())
    }

    /// Sizes the buffers at the first step and checks lengths afterwards.
    pub fn prepare(&mut self, params: &[f32], grad: &[f32]) -> Result<(), NnError> {
        if grad.len() != params.len() {
            return Err(length_error("gradient length", params.len(), grad.len()));
        }
        if self.t == 0 && self.m.len() != params.len() {
            self.m = vec![0.0; params.len()];
            self.v = vec![0.0; params.len()];
        }
        if self.m.len() != params.len() {
            return Err(length_error(
                "parameter vector length (optimizer state)",
                self.m.len(),
                params.len(),
            ));
        }
        Ok(())
    }

    /// The Adam update with coupled decay `l2` (0 for none).
    #[allow(clippy::too_many_arguments)]
    pub fn update(
        &mut self,
        params: &mut [f32],
        grad: &[f32],
        lr: f64,
        beta1: f64,
        beta2: f64,
        eps: f64,
        l2: f64,
    ) {
        self.t += 1;
        let t = self.t as i32;
        let bc1 = 1.0 - beta1.powi(t);
        let bc2_sqrt = (1.0 - beta2.powi(t)).sqrt();
        let step_size = (lr / bc1) as f32;
        let inv_bc2_sqrt = (1.0 / bc2_sqrt) as f32;
        let (b1c, b2, b2c, eps, l2) = (
            (1.0 - beta1) as f32,
            beta2 as f32,
            (1.0 - beta2) as f32,
            eps as f32,
            l2 as f32,
        );
        for (((p, &g), m), v) in params
            .iter_mut()
            .zip(grad)
            .zip(self.m.iter_mut())
            .zip(self.v.iter_mut())
        {
            let g = if l2 != 0.0 { g + l2 * *p } else { g };
            *m += b1c * (g - *m);
            *v = b2 * *v + b2c * g * g;
            let denom = v.sqrt() * inv_bc2_sqrt + eps;
            *p -= step_size * (*m / denom);
        }
    }
}

/// Adam; `weight_decay` is PyTorch Adam's coupled L2 term (0 by default).
#[derive(Debug, Clone)]
pub struct Adam {
    /// The hyper-parameters.
    pub hyper: AdamHyper,
    state: Moments,
}

impl Adam {
    /// Adam with learning rate `lr` and PyTorch's other defaults.
    pub fn new(lr: f64) -> Self {
        Self::with(AdamHyper::torch(lr, 0.0))
    }

    /// Adam with every hyper-parameter given.
    pub fn with(hyper: AdamHyper) -> Self {
        Self {
            hyper,
            state: Moments::default(),
        }
    }
}

impl Optimizer for Adam {
    fn step(&mut self, params: &mut [f32], grad: &[f32]) -> Result<(), NnError> {
        self.state.prepare(params, grad)?;
        let h = self.hyper;
        self.state
            .update(params, grad, h.lr, h.beta1, h.beta2, h.eps, h.weight_decay);
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
        OptimizerConfig::Adam(self.hyper)
    }

    fn export_state(&self) -> Option<OptimizerState> {
        Some(OptimizerState::Adam(self.state.export()))
    }

    fn import_state(&mut self, state: OptimizerState, n_params: usize) -> Result<(), NnError> {
        match state {
            OptimizerState::Adam(s) => self.state.import(s, n_params),
            other => Err(kind_error("adam", &other)),
        }
    }
}
