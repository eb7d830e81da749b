//! Best-validation bookkeeping and early stopping (sbi semantics, see [`super`]).

use super::config::EarlyStopping;
use super::history::{Termination, TrainHistory};
use crate::nn::checkpoint::BestState;

/// The best weights, the best validation loss and the epochs since it.
pub(crate) struct BestTracker {
    stopping: Option<EarlyStopping>,
    best: Option<Vec<f32>>,
    best_val: f64,
    since_best: usize,
    patience_ran_out: bool,
}

impl BestTracker {
    /// A tracker that starts with `params` as the best weights (when `stopping` is set).
    pub fn new(stopping: Option<EarlyStopping>, params: &[f32]) -> Self {
        Self {
            stopping,
            best: stopping.map(|_| params.to_vec()),
            best_val: f64::INFINITY,
            since_best: 0,
            patience_ran_out: false,
        }
    }

    /// The early-stopping settings it applies (`None`: it only records the best epoch).
    pub fn stopping(&self) -> Option<EarlyStopping> {
        self.stopping
    }

    /// The tracker of a checkpoint (`state`) for a run with `stopping`; an error message
    /// when the state does not fit it.
    pub fn restore(stopping: Option<EarlyStopping>, state: BestState) -> Result<Self, String> {
        if stopping.is_some() != state.best_params.is_some() {
            return Err("the early-stopping state does not match the settings".into());
        }
        Ok(Self {
            stopping,
            best: state.best_params,
            best_val: state.best_val,
            since_best: state.since_best,
            patience_ran_out: false,
        })
    }

    /// The state for a checkpoint.
    pub fn state(&self) -> BestState {
        BestState {
            best_params: self.best.clone(),
            best_val: self.best_val,
            since_best: self.since_best,
        }
    }

    /// Records the epoch's validation loss; true when patience ran out.
    pub fn update(&mut self, epoch: usize, val: f64, params: &[f32], h: &mut TrainHistory) -> bool {
        h.val_loss.push(val);
        if val < self.best_val {
            self.best_val = val;
            self.since_best = 0;
            h.best_epoch = Some(epoch);
            h.best_val_loss = Some(val);
            if let Some(b) = self.best.as_mut() {
                b.copy_from_slice(params);
            }
        } else {
            self.since_best += 1;
        }
        if let Some(s) = self.stopping {
            self.patience_ran_out = self.since_best >= s.patience;
        }
        self.patience_ran_out
    }

    /// Restores the best weights when early stopping says so: when patience ran out, at the
    /// epoch limit with `restore_best`, and when the run was cut short (observer, Ctrl-C,
    /// SIGTERM, time budget) after at least one validated improvement.
    pub fn finish(&self, params: &mut [f32], h: &mut TrainHistory, end: Termination) {
        let (Some(s), Some(b)) = (self.stopping, self.best.as_ref()) else {
            return;
        };
        let restore = match end {
            Termination::Completed => s.restore_best || self.patience_ran_out,
            Termination::EarlyStopped => true,
            _ => h.best_epoch.is_some(),
        };
        if restore {
            params.copy_from_slice(b);
            h.restored_best = true;
        }
    }
}
