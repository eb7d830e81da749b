//! What an optimizer has learnt, as plain data: exported into training checkpoints and
//! imported to continue a run exactly ([`super::Optimizer::export_state`],
//! [`super::Optimizer::import_state`]), and the optimizer kinds as a small enum for option
//! structs that keep the learning rate and weight decay apart.

use super::{length_error, OptimizerConfig};
use crate::error::Vocabulary;
use crate::nn::exact;
use crate::nn::NnError;
use serde::{Deserialize, Serialize};

/// The state of [`super::Adam`] and [`super::AdamW`]: the moment buffers and the step count.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct MomentState {
    /// First moments m (one per parameter; empty before the first step).
    #[serde(with = "exact::vec")]
    pub m: Vec<f32>,
    /// Second moments v (same length as `m`).
    #[serde(with = "exact::vec")]
    pub v: Vec<f32>,
    /// Steps taken t.
    pub t: u64,
}

/// The state of [`super::ScheduleFreeAdamW`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScheduleFreeState {
    /// The z sequence (empty before the first step).
    #[serde(with = "exact::vec")]
    pub z: Vec<f32>,
    /// Second moments v (same length as `z`).
    #[serde(with = "exact::vec")]
    pub v: Vec<f32>,
    /// Steps taken k.
    pub k: u64,
    /// Σ of the averaging weights so far.
    #[serde(with = "exact::one")]
    pub weight_sum: f64,
    /// Largest learning rate so far (−1 before the first step).
    #[serde(with = "exact::one")]
    pub lr_max: f64,
    /// Whether the stored parameters are y (train mode) rather than x.
    pub train_mode: bool,
}

/// An optimizer's state; in JSON the kind sits beside the fields:
/// `{"kind": "adam", "m": […], "v": […], "t": 120}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum OptimizerState {
    /// [`super::Adam`].
    Adam(MomentState),
    /// [`super::AdamW`].
    #[serde(rename = "adamw")]
    AdamW(MomentState),
    /// [`super::ScheduleFreeAdamW`].
    #[serde(rename = "schedule_free_adamw")]
    ScheduleFreeAdamW(ScheduleFreeState),
}

impl OptimizerState {
    /// `adam`, `adamw` or `schedule_free_adamw` (as [`OptimizerConfig::name`]).
    pub fn kind_name(&self) -> &'static str {
        match self {
            OptimizerState::Adam(_) => "adam",
            OptimizerState::AdamW(_) => "adamw",
            OptimizerState::ScheduleFreeAdamW(_) => "schedule_free_adamw",
        }
    }
}

/// The error for a state of another optimizer kind.
pub(super) fn kind_error(expected: &str, found: &OptimizerState) -> NnError {
    NnError::option(
        "optimizer state",
        found.kind_name(),
        format!("the optimizer is {expected}"),
    )
}

/// Checks that state buffers (empty before the first step) fit `n_params` parameters.
pub(super) fn check_buffers(bufs: [&[f32]; 2], steps: u64, n_params: usize) -> Result<(), NnError> {
    for b in bufs {
        let ok = b.len() == n_params || (b.is_empty() && steps == 0);
        if !ok {
            return Err(length_error(
                "parameter vector length (saved optimizer state)",
                n_params,
                b.len(),
            ));
        }
    }
    Ok(())
}

/// The kind of an Adam-family optimizer, for option structs that hold the learning rate
/// and the weight decay themselves (e.g. the flow's training settings).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum OptimizerKind {
    /// `torch.optim.Adam` (weight decay: coupled L2).
    #[default]
    #[serde(rename = "adam")]
    Adam,
    /// `torch.optim.AdamW` (decoupled weight decay).
    #[serde(rename = "adamw", alias = "adam_w")]
    AdamW,
    /// `schedulefree.AdamWScheduleFree` (decoupled weight decay, no schedule).
    #[serde(
        rename = "schedule_free_adamw",
        alias = "schedule_free_adam_w",
        alias = "schedule_free"
    )]
    ScheduleFreeAdamW,
}

impl OptimizerKind {
    /// Every kind, in declaration order.
    pub const ALL: [OptimizerKind; 3] = [
        OptimizerKind::Adam,
        OptimizerKind::AdamW,
        OptimizerKind::ScheduleFreeAdamW,
    ];

    /// `adam`, `adamw` or `schedule_free_adamw`.
    pub fn name(self) -> &'static str {
        match self {
            OptimizerKind::Adam => "adam",
            OptimizerKind::AdamW => "adamw",
            OptimizerKind::ScheduleFreeAdamW => "schedule_free_adamw",
        }
    }

    /// The optimizer of this kind with learning rate `lr`, weight decay `weight_decay` and
    /// PyTorch's other defaults (not validated: [`OptimizerConfig::build`] does that).
    pub fn config(self, lr: f64, weight_decay: f64) -> OptimizerConfig {
        match self {
            OptimizerKind::Adam => OptimizerConfig::adam(lr),
            OptimizerKind::AdamW => OptimizerConfig::adamw(lr, weight_decay),
            OptimizerKind::ScheduleFreeAdamW => OptimizerConfig::schedule_free(lr),
        }
        .with_weight_decay(weight_decay)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::Optimizer;

    /// A few steps, export, import into a fresh optimizer, more steps: the same as without.
    fn continues_exactly(config: OptimizerConfig) {
        let grad = |p: &[f32]| -> Vec<f32> { p.iter().map(|x| 2.0 * x - 0.3).collect() };
        let run = |opt: &mut dyn Optimizer, p: &mut Vec<f32>, steps: usize| {
            opt.train(p);
            for _ in 0..steps {
                let g = grad(p);
                opt.step(p, &g).unwrap();
            }
        };
        let mut a = config.build().unwrap();
        let mut pa = vec![0.5f32, -1.0, 2.0];
        run(a.as_mut(), &mut pa, 7);
        let json = serde_json::to_string(&a.export_state().unwrap()).unwrap();
        let mut b = config.build().unwrap();
        b.import_state(serde_json::from_str(&json).unwrap(), 3)
            .unwrap();
        let mut pb = pa.clone();
        run(a.as_mut(), &mut pa, 5);
        run(b.as_mut(), &mut pb, 5);
        a.eval(&mut pa);
        b.eval(&mut pb);
        assert_eq!(pa, pb, "{}", config.name());
        assert_eq!(a.export_state(), b.export_state());
        assert!(b.import_state(a.export_state().unwrap(), 4).is_err());
    }

    #[test]
    fn every_optimizer_continues_exactly_from_its_exported_state() {
        for kind in OptimizerKind::ALL {
            continues_exactly(kind.config(1e-2, 0.01));
        }
        let adam = OptimizerConfig::adam(1e-3).build().unwrap();
        let mut sf = OptimizerConfig::schedule_free(1e-3).build().unwrap();
        let err = sf
            .import_state(adam.export_state().unwrap(), 3)
            .unwrap_err();
        assert!(err.to_string().contains("adam"), "{err}");
    }

    #[test]
    fn kinds_use_the_option_names() {
        for k in OptimizerKind::ALL {
            assert_eq!(
                serde_json::to_string(&k).unwrap(),
                format!("\"{}\"", k.name())
            );
            assert_eq!(k.config(1e-3, 0.0).name(), k.name());
        }
        let k: OptimizerKind = serde_json::from_str("\"adam_w\"").unwrap();
        assert_eq!(k, OptimizerKind::AdamW);
    }
}
