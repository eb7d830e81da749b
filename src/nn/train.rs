//! The mini-batch training loop.
//!
//! The model/objective is an [`Objective`], the optimizer an [`Optimizer`] value, and
//! [`train`] runs them with a [`TrainConfig`] and an optional [`Observer`] (argmin-style).
//! Per epoch: `optimizer.train()`, the mini-batches (each: gradient of the mean row loss,
//! optional joint gradient-norm clipping, one optimizer step), `optimizer.eval()`, the
//! validation loss, early stopping, the observer and the progress bar. Ctrl-C is checked
//! between mini-batches.
//!
//! Early stopping follows sbi (spec A.2): the best validation loss starts at +∞ with the
//! initial weights as "best"; after every epoch a strictly lower validation loss becomes
//! the best (weights copied, counter reset), otherwise the counter grows; when it reaches
//! `patience` the best weights are restored and training stops. With `restore_best` the
//! best weights are also restored when the epoch limit ends training.

use super::autopar::ThreadChoice;
use super::objective::{batch_loss_grad, grad_chunks, mean_loss, GradChunk, Objective};
use super::optim::{clip_grad_norm, Optimizer};
use super::NnError;
use crate::progress::Progress;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};
use std::time::Instant;

/// How the training rows are ordered into mini-batches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Shuffle {
    /// A new random permutation every epoch (stream `epoch` of the seed; PyTorch's
    /// `shuffle=True`, sbi).
    #[default]
    EveryEpoch,
    /// One random permutation before the first epoch, then the same sequential batches every
    /// epoch (the paper's emulator training, spec A.5.1).
    Once,
    /// The rows in their given order.
    Never,
}

/// Early stopping on the validation loss.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct EarlyStopping {
    /// Number of consecutive epochs without a strictly better validation loss that stops
    /// training (sbi: `stop_after_epochs = 20`).
    pub patience: usize,
    /// Restore the best-validation weights also when training ends by the epoch limit.
    pub restore_best: bool,
}

impl EarlyStopping {
    /// sbi's default: patience 20, best weights restored.
    pub fn sbi() -> Self {
        Self {
            patience: 20,
            restore_best: true,
        }
    }
}

/// Settings of [`train`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// Rows per mini-batch.
    pub batch_size: usize,
    /// Maximum number of epochs.
    pub epochs: usize,
    /// Row order.
    pub shuffle: Shuffle,
    /// Drop the last incomplete mini-batch of an epoch (sbi) instead of taking a smaller one.
    pub drop_last: bool,
    /// Seed of the shuffling.
    pub seed: u64,
    /// Clip the joint gradient L2 norm to this value (sbi: 5.0).
    pub clip_grad_norm: Option<f64>,
    /// Early stopping (needs a validation objective).
    pub early_stopping: Option<EarlyStopping>,
    /// Rows per gradient chunk: a batch is cut into chunks of this size, computed in parallel
    /// and summed in order. Results depend on it, not on the thread count.
    pub chunk_rows: usize,
    /// Allow computing the chunks of a batch on several threads (no effect on the results):
    /// the loop times serial and parallel mini-batches as it goes and uses the faster mode
    /// (see [`super::autopar`]).
    pub parallel: bool,
    /// Rows per chunk when computing the validation loss.
    pub eval_chunk_rows: usize,
    /// Progress-bar label.
    pub label: String,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            batch_size: 64,
            epochs: 20,
            shuffle: Shuffle::EveryEpoch,
            drop_last: false,
            seed: crate::rng::DEFAULT_SEED,
            clip_grad_norm: None,
            early_stopping: None,
            chunk_rows: 32,
            parallel: true,
            eval_chunk_rows: 1024,
            label: "training".into(),
        }
    }
}

/// What an observer sees after every epoch.
#[derive(Debug, Clone, PartialEq)]
pub struct EpochStats {
    /// Epoch index (0-based).
    pub epoch: usize,
    /// Mean row loss over the epoch's mini-batches (at the weights of each step).
    pub train_loss: f64,
    /// Mean row loss on the validation rows (eval weights), if there are any.
    pub val_loss: Option<f64>,
    /// Best validation loss so far.
    pub best_val_loss: Option<f64>,
    /// Optimizer steps so far.
    pub steps: u64,
    /// Seconds since training started.
    pub seconds: f64,
}

/// An observer's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    /// Go on.
    Continue,
    /// Stop after this epoch (weights as they are, or the best ones with early stopping's
    /// `restore_best`).
    Stop,
}

/// Called after every epoch (logging, custom stopping rules, schedules).
pub trait Observer {
    /// Sees the epoch's statistics and decides whether to go on.
    fn epoch_end(&mut self, stats: &EpochStats) -> Control;
}

impl<F: FnMut(&EpochStats) -> Control> Observer for F {
    fn epoch_end(&mut self, stats: &EpochStats) -> Control {
        self(stats)
    }
}

/// What happened during [`train`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct TrainHistory {
    /// Mean training row loss of every epoch.
    pub train_loss: Vec<f64>,
    /// Validation loss of every epoch (empty without validation).
    pub val_loss: Vec<f64>,
    /// Epoch of the best validation loss.
    pub best_epoch: Option<usize>,
    /// Best validation loss.
    pub best_val_loss: Option<f64>,
    /// Whether early stopping (or the observer) ended training before the epoch limit.
    pub stopped_early: bool,
    /// Whether the final weights are the restored best-validation ones.
    pub restored_best: bool,
    /// Optimizer steps taken.
    pub steps: u64,
    /// Wall-clock seconds.
    pub seconds: f64,
}

impl TrainHistory {
    /// Number of completed epochs.
    pub fn epochs(&self) -> usize {
        self.train_loss.len()
    }
}

fn check_config<O: Objective>(
    objective: &O,
    validation: Option<&O>,
    params: &[f32],
    config: &TrainConfig,
) -> Result<(), NnError> {
    if let Some(v) = validation {
        if v.n_params() != objective.n_params() {
            return Err(NnError::shape(
                "validation objective parameters",
                objective.n_params(),
                v.n_params(),
            ));
        }
    }
    if params.len() != objective.n_params() {
        return Err(NnError::shape(
            "parameter vector length",
            objective.n_params(),
            params.len(),
        ));
    }
    if config.batch_size == 0 {
        return Err(NnError::option("batch_size", 0, "must be positive"));
    }
    if config.chunk_rows == 0 {
        return Err(NnError::option("chunk_rows", 0, "must be positive"));
    }
    if let Some(c) = config.clip_grad_norm {
        if !(c > 0.0 && c.is_finite()) {
            return Err(NnError::option("clip_grad_norm", c, "must be positive"));
        }
    }
    let needed = if config.drop_last {
        config.batch_size
    } else {
        1
    };
    if objective.n_rows() < needed {
        return Err(NnError::too_few_rows("training set", objective.n_rows(), needed));
    }
    Ok(())
}

/// Mini-batch gradient steps over one epoch's row order.
struct Stepper<'a, O: Objective> {
    objective: &'a O,
    config: &'a TrainConfig,
    chunk_rows: usize,
    chunks: Vec<GradChunk<O::Workspace>>,
    grad: Vec<f32>,
    threads: ThreadChoice,
}

impl<'a, O: Objective> Stepper<'a, O> {
    fn new(objective: &'a O, config: &'a TrainConfig) -> Self {
        let chunk_rows = config.chunk_rows.min(config.batch_size);
        Self {
            objective,
            config,
            chunk_rows,
            chunks: grad_chunks(objective, config.batch_size, chunk_rows),
            grad: vec![0.0; objective.n_params()],
            threads: ThreadChoice::new(
                config.parallel
                    && config.batch_size > chunk_rows
                    && rayon::current_num_threads() > 1,
            ),
        }
    }

    /// Runs the epoch's batches; returns the mean row loss.
    fn epoch(
        &mut self,
        epoch: usize,
        order: &[usize],
        params: &mut [f32],
        optimizer: &mut dyn Optimizer,
    ) -> Result<f64, NnError> {
        let bs = self.config.batch_size;
        let (mut loss_sum, mut rows_seen) = (0.0, 0usize);
        for batch in order.chunks(bs) {
            if self.config.drop_last && batch.len() < bs {
                break;
            }
            crate::interrupt::check()?;
            let parallel = self.threads.next_parallel();
            let started = Instant::now();
            let loss = batch_loss_grad(
                self.objective,
                params,
                batch,
                self.chunk_rows,
                parallel,
                &mut self.chunks,
                &mut self.grad,
            );
            self.threads.record(parallel, started.elapsed());
            if !loss.is_finite() {
                return Err(NnError::NonFiniteLoss {
                    epoch,
                    step: optimizer.steps(),
                    value: loss,
                });
            }
            let inv = 1.0 / batch.len() as f32;
            self.grad.iter_mut().for_each(|g| *g *= inv);
            if let Some(max) = self.config.clip_grad_norm {
                clip_grad_norm(&mut self.grad, max);
            }
            optimizer.step(params, &self.grad)?;
            loss_sum += loss;
            rows_seen += batch.len();
        }
        Ok(loss_sum / rows_seen.max(1) as f64)
    }
}

/// Best-validation bookkeeping and early stopping (sbi semantics, see the module docs).
struct BestTracker {
    stopping: Option<EarlyStopping>,
    best: Option<Vec<f32>>,
    best_val: f64,
    since_best: usize,
    patience_ran_out: bool,
}

impl BestTracker {
    fn new(stopping: Option<EarlyStopping>, params: &[f32]) -> Self {
        Self {
            stopping,
            best: stopping.map(|_| params.to_vec()),
            best_val: f64::INFINITY,
            since_best: 0,
            patience_ran_out: false,
        }
    }

    /// Records the epoch's validation loss; true when patience ran out.
    fn update(&mut self, epoch: usize, val: f64, params: &[f32], h: &mut TrainHistory) -> bool {
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

    /// Restores the best weights if early stopping says so.
    fn finish(&self, params: &mut [f32], h: &mut TrainHistory) {
        if let (Some(s), Some(b)) = (self.stopping, self.best.as_ref()) {
            if self.patience_ran_out || s.restore_best {
                params.copy_from_slice(b);
                h.restored_best = true;
            }
        }
    }
}

/// Trains `params` (length `objective.n_params()`) by mini-batch gradient descent on the
/// mean row loss of `objective`, validating on `validation` after every epoch.
///
/// On success `params` holds the eval-mode weights (schedule-free: the averaged x), or the
/// restored best ones. On `Err(Interrupted)` or a diverged loss, `params` holds the weights
/// of the last step.
pub fn train<O: Objective>(
    objective: &O,
    validation: Option<&O>,
    params: &mut [f32],
    optimizer: &mut dyn Optimizer,
    config: &TrainConfig,
    mut observer: Option<&mut dyn Observer>,
) -> Result<TrainHistory, NnError> {
    check_config(objective, validation, params, config)?;
    let started = Instant::now();
    let mut stepper = Stepper::new(objective, config);
    let mut order: Vec<usize> = (0..objective.n_rows()).collect();
    if config.shuffle == Shuffle::Once {
        order.shuffle(&mut crate::rng::rng(config.seed));
    }
    let mut tracker = BestTracker::new(
        config.early_stopping.filter(|_| validation.is_some()),
        params,
    );
    let mut history = TrainHistory::default();
    let progress = Progress::new(config.epochs as u64, &config.label);
    for epoch in 0..config.epochs {
        optimizer.train(params);
        if config.shuffle == Shuffle::EveryEpoch {
            order.shuffle(&mut crate::rng::stream(config.seed, epoch as u64));
        }
        // With parallel chunks the epoch runs on a rayon worker, so that every mini-batch
        // forks its chunks by work stealing instead of waking a blocked caller thread.
        let train_loss = if config.parallel {
            rayon::scope(|_| stepper.epoch(epoch, &order, params, optimizer))?
        } else {
            stepper.epoch(epoch, &order, params, optimizer)?
        };
        optimizer.eval(params);
        history.train_loss.push(train_loss);
        let val = validation.map(|v| mean_loss(v, params, config.eval_chunk_rows));
        let mut stop = match val {
            Some(v) => tracker.update(epoch, v, params, &mut history),
            None => false,
        };
        history.steps = optimizer.steps();
        history.seconds = started.elapsed().as_secs_f64();
        let stats = EpochStats {
            epoch,
            train_loss,
            val_loss: val,
            best_val_loss: history.best_val_loss,
            steps: history.steps,
            seconds: history.seconds,
        };
        stop |= report_epoch(&progress, observer.as_deref_mut(), &stats);
        if stop {
            history.stopped_early = epoch + 1 < config.epochs;
            break;
        }
    }
    tracker.finish(params, &mut history);
    history.seconds = started.elapsed().as_secs_f64();
    Ok(history)
}

/// Shows the epoch's losses on the progress bar and passes them to the observer; true when
/// the observer asks to stop.
fn report_epoch<'o>(
    progress: &Progress,
    observer: Option<&mut (dyn Observer + 'o)>,
    stats: &EpochStats,
) -> bool {
    progress.inc(1);
    progress.message(match stats.val_loss {
        Some(v) => format!("loss {:.4e} val {v:.4e}", stats.train_loss),
        None => format!("loss {:.4e}", stats.train_loss),
    });
    observer.is_some_and(|o| o.epoch_end(stats) == Control::Stop)
}
