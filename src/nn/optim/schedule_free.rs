//! Schedule-free AdamW (Defazio et al. 2024) exactly as `schedulefree.AdamWScheduleFree`
//! (spec A.5.2), in f32 like the PyTorch original.
//!
//! State: `z` (copy of the parameters at the first step), `v` (second moment), the global
//! step `k`, `weight_sum`, `lr_max`, and the mode. While in **train** mode the stored
//! parameters are `y` (where gradients are evaluated). Step k = 0, 1, …:
//!
//! ```text
//! sched = (k+1)/warmup if k < warmup else 1;  lr = lr_base·sched;  lr_max = max(lr_max, lr)
//! w = (k+1)^r · lr_max^weight_lr_power;  weight_sum += w;  c = w/weight_sum
//! v ← β₂v + (1−β₂)g²;   ĝ = g/(√(v/(1−β₂^(k+1))) + ε) + λy
//! y ← lerp(y, z, c);    y ← y + lr(β₁(1−c) − 1)ĝ;    z ← z − lr·ĝ
//! ```
//!
//! [`Optimizer::eval`] stores `x = lerp(y, z, 1 − 1/β₁)` (the average of the z iterates: the
//! weights to evaluate and save); [`Optimizer::train`] goes back with `lerp(x, z, 1 − β₁)`.
//! Both act only when the mode changes and `z` exists. `lerp(a, b, w)` is PyTorch's:
//! `a + w(b − a)` if |w| < ½, else `b − (b − a)(1 − w)`.

use super::state::{check_buffers, kind_error};
use super::{
    length_error, Optimizer, OptimizerConfig, OptimizerState, ScheduleFreeHyper, ScheduleFreeState,
};
use crate::nn::NnError;

/// Schedule-free AdamW. It starts in eval mode, like the PyTorch original: call
/// [`Optimizer::train`] before the first [`Optimizer::step`].
#[derive(Debug, Clone)]
pub struct ScheduleFreeAdamW {
    hyper: ScheduleFreeHyper,
    z: Vec<f32>,
    v: Vec<f32>,
    k: u64,
    weight_sum: f64,
    lr_max: f64,
    train_mode: bool,
}

/// PyTorch's `torch.lerp(a, b, w)` element formula.
#[inline(always)]
fn lerp(a: f32, b: f32, w: f32) -> f32 {
    if w.abs() < 0.5 {
        a + w * (b - a)
    } else {
        b - (b - a) * (1.0 - w)
    }
}

fn lerp_all(p: &mut [f32], z: &[f32], w: f32) {
    p.iter_mut().zip(z).for_each(|(p, &z)| *p = lerp(*p, z, w));
}

impl ScheduleFreeAdamW {
    /// Learning rate `lr`, every other argument at its default.
    pub fn new(lr: f64) -> Self {
        Self::with(ScheduleFreeHyper::torch(lr))
    }

    /// Every hyper-parameter given.
    pub fn with(hyper: ScheduleFreeHyper) -> Self {
        Self {
            hyper,
            z: Vec::new(),
            v: Vec::new(),
            k: 0,
            weight_sum: 0.0,
            lr_max: -1.0,
            train_mode: false,
        }
    }

    /// Whether the stored parameters are currently y (train mode) rather than x.
    pub fn is_train_mode(&self) -> bool {
        self.train_mode
    }

    /// The z sequence (empty before the first step).
    pub fn z(&self) -> &[f32] {
        &self.z
    }
}

/// The per-step coefficients of the schedule-free update (step k, 0-based).
struct StepCoefficients {
    /// Learning rate after warm-up.
    lr: f64,
    /// Interpolation weight c_{k+1} of y towards z.
    ckp1: f64,
    /// 1 − β₂^(k+1).
    bias_correction2: f64,
}

impl ScheduleFreeAdamW {
    /// Checks the inputs of a step and creates z and v lazily at the first one.
    fn prepare_state(&mut self, params: &[f32], grad: &[f32]) -> Result<(), NnError> {
        if !self.train_mode {
            return Err(NnError::NotInTrainMode);
        }
        if grad.len() != params.len() {
            return Err(length_error("gradient length", params.len(), grad.len()));
        }
        if self.z.is_empty() && !params.is_empty() {
            self.z = params.to_vec();
            self.v = vec![0.0; params.len()];
        }
        if self.z.len() != params.len() {
            return Err(length_error(
                "parameter vector length (optimizer state)",
                self.z.len(),
                params.len(),
            ));
        }
        Ok(())
    }

    /// Advances the warm-up schedule and the weight sum; returns this step's coefficients.
    fn coefficients(&mut self) -> StepCoefficients {
        let k = self.k;
        let ScheduleFreeHyper {
            adam: h,
            warmup_steps,
            r,
            weight_lr_power,
        } = self.hyper;
        let sched = if k < warmup_steps {
            (k + 1) as f64 / warmup_steps as f64
        } else {
            1.0
        };
        let lr = h.lr * sched;
        self.lr_max = self.lr_max.max(lr);
        let weight = ((k + 1) as f64).powf(r) * self.lr_max.powf(weight_lr_power);
        self.weight_sum += weight;
        let ckp1 = if self.weight_sum != 0.0 {
            weight / self.weight_sum
        } else {
            0.0
        };
        StepCoefficients {
            lr,
            ckp1,
            bias_correction2: 1.0 - h.beta2.powf((k + 1) as f64),
        }
    }
}

impl Optimizer for ScheduleFreeAdamW {
    fn step(&mut self, params: &mut [f32], grad: &[f32]) -> Result<(), NnError> {
        self.prepare_state(params, grad)?;
        let StepCoefficients {
            lr,
            ckp1,
            bias_correction2,
        } = self.coefficients();
        let h = self.hyper.adam;
        let y_lr = (lr * (h.beta1 * (1.0 - ckp1) - 1.0)) as f32;
        let (b2, b2c, bc2, eps, wd, c, lr32) = (
            h.beta2 as f32,
            (1.0 - h.beta2) as f32,
            bias_correction2 as f32,
            h.eps as f32,
            h.weight_decay as f32,
            ckp1 as f32,
            lr as f32,
        );
        for (((y, &g), z), v) in params
            .iter_mut()
            .zip(grad)
            .zip(self.z.iter_mut())
            .zip(self.v.iter_mut())
        {
            *v = *v * b2 + b2c * g * g;
            let mut gh = g / ((*v / bc2).sqrt() + eps);
            if wd != 0.0 {
                gh += wd * *y;
            }
            *y = lerp(*y, *z, c);
            *y += y_lr * gh;
            *z -= lr32 * gh;
        }
        self.k += 1;
        Ok(())
    }

    fn train(&mut self, params: &mut [f32]) {
        if !self.train_mode {
            if self.z.len() == params.len() && !self.z.is_empty() {
                lerp_all(params, &self.z, (1.0 - self.hyper.adam.beta1) as f32);
            }
            self.train_mode = true;
        }
    }

    fn eval(&mut self, params: &mut [f32]) {
        if self.train_mode {
            if self.z.len() == params.len() && !self.z.is_empty() {
                lerp_all(params, &self.z, (1.0 - 1.0 / self.hyper.adam.beta1) as f32);
            }
            self.train_mode = false;
        }
    }

    fn learning_rate(&self) -> f64 {
        self.hyper.adam.lr
    }

    fn set_learning_rate(&mut self, lr: f64) {
        self.hyper.adam.lr = lr;
    }

    fn steps(&self) -> u64 {
        self.k
    }

    fn config(&self) -> OptimizerConfig {
        OptimizerConfig::ScheduleFreeAdamW(self.hyper)
    }

    fn export_state(&self) -> Option<OptimizerState> {
        Some(OptimizerState::ScheduleFreeAdamW(ScheduleFreeState {
            z: self.z.clone(),
            v: self.v.clone(),
            k: self.k,
            weight_sum: self.weight_sum,
            lr_max: self.lr_max,
            train_mode: self.train_mode,
        }))
    }

    fn import_state(&mut self, state: OptimizerState, n_params: usize) -> Result<(), NnError> {
        let s = match state {
            OptimizerState::ScheduleFreeAdamW(s) => s,
            other => return Err(kind_error("schedule_free_adamw", &other)),
        };
        check_buffers([&s.z, &s.v], s.k, n_params)?;
        if s.z.len() != s.v.len() {
            return Err(length_error(
                "second-moment buffer (saved state)",
                s.z.len(),
                s.v.len(),
            ));
        }
        self.z = s.z;
        self.v = s.v;
        self.k = s.k;
        self.weight_sum = s.weight_sum;
        self.lr_max = s.lr_max;
        self.train_mode = s.train_mode;
        Ok(())
    }
}
