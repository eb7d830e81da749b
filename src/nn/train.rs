//! The mini-batch training loop.
//!
//! The model/objective is an [`Objective`], the optimizer an [`Optimizer`] value, and
//! [`train`] runs them with a [`TrainConfig`] and an optional [`Observer`] (argmin-style).
//! Per epoch: `optimizer.train()`, the mini-batches (each: gradient of the mean row loss,
//! optional joint gradient-norm clipping, one optimizer step), `optimizer.eval()`, the
//! validation loss, early stopping, the observer, the checkpoint and the progress bar.
//!
//! Early stopping follows sbi (spec A.2): the best validation loss starts at +∞ with the
//! initial weights as "best"; after every epoch a strictly lower validation loss becomes
//! the best (weights copied, counter reset), otherwise the counter grows; when it reaches
//! `patience` the best weights are restored and training stops. With `restore_best` the
//! best weights are also restored when the epoch limit ends training.
//!
//! **Ending early with a result.** Between mini-batches the loop checks for Ctrl-C, SIGTERM
//! ([`crate::interrupt`]) and the time budget ([`TrainConfig::time_budget`]); after every
//! epoch the observer may stop it. A run that is cut short this way returns `Ok` with its
//! best weights so far (the best-validation ones when early stopping tracks validation and
//! an epoch was validated, otherwise those of the last completed optimizer step, in eval
//! mode), its history, and the reason in [`TrainHistory::termination`]. Ctrl-C is consumed
//! ([`crate::interrupt::consume_interrupt`]) so that the script goes on with the result;
//! SIGTERM stays pending, so that the script ends after the call.
//!
//! **Checkpoints.** With [`TrainConfig::checkpoint`] the run's state is written there
//! ([`crate::nn::checkpoint`]) after every epoch and when it is cut short; a run that finds
//! a checkpoint of itself resumes from it and ends with the same parameters and history, bit
//! for bit, as a run that was never stopped; a finished run deletes the file.

mod best;
pub(super) mod config;
pub(super) mod history;
mod stepper;

pub use config::{check_time_budget, EarlyStopping, Shuffle, TrainConfig};
pub use history::{Control, EpochStats, Observer, Termination, TrainHistory};

use super::checkpoint::{Checkpoint, Checkpointer, EpochCursor, Fingerprint};
use super::objective::{mean_loss, Objective};
use super::optim::Optimizer;
use super::NnError;
use crate::error::Vocabulary;
use crate::progress::Progress;
use best::BestTracker;
use rand::seq::SliceRandom;
use stepper::{Stepper, StopClock};

/// Trains `params` (length `objective.n_params()`) by mini-batch gradient descent on the
/// mean row loss of `objective`, validating on `validation` after every epoch.
///
/// On `Ok`, `params` holds the eval-mode weights (schedule-free: the averaged x), or the
/// restored best ones, and the history says how the run ended (see the module docs: Ctrl-C,
/// SIGTERM, the time budget and the observer end it with `Ok`). On a diverged loss
/// (`Err(NonFiniteLoss)`), `params` holds the weights of the last step. A checkpoint of
/// another run at [`TrainConfig::checkpoint`], or a corrupt one, is an error naming the file.
pub fn train<O: Objective>(
    objective: &O,
    validation: Option<&O>,
    params: &mut [f32],
    optimizer: &mut dyn Optimizer,
    config: &TrainConfig,
    observer: Option<&mut dyn Observer>,
) -> Result<TrainHistory, NnError> {
    config::check_config(objective, validation, params, config)?;
    let clock = StopClock::start(config.time_budget);
    let checkpoint = open_checkpoint(objective, validation, params, optimizer, config)?;
    let mut state = RunState::fresh(objective.n_rows(), params, config, validation.is_some());
    if let Some(c) = &checkpoint {
        if let Some(saved) = c.load()? {
            state = state.resume(saved, c, params, optimizer, config.batch_size)?;
        }
    }
    let mut run = Run {
        objective,
        validation,
        config,
        base_seconds: state.history.seconds,
        clock,
        checkpoint,
        progress: Progress::new(config.epochs as u64, &config.label),
    };
    run.progress.inc(state.epoch as u64);
    let end = run.epochs(&mut state, params, optimizer, observer)?;
    run.finish(state, params, optimizer, end)
}

/// The checkpointer of the run, if the settings ask for checkpoints.
fn open_checkpoint<O: Objective>(
    objective: &O,
    validation: Option<&O>,
    params: &[f32],
    optimizer: &dyn Optimizer,
    config: &TrainConfig,
) -> Result<Option<Checkpointer>, NnError> {
    let Some(path) = &config.checkpoint else {
        return Ok(None);
    };
    if optimizer.export_state().is_none() {
        return Err(NnError::option(
            "checkpoint",
            path.display(),
            format!(
                "the optimizer {} cannot save its state",
                optimizer.config().name()
            ),
        ));
    }
    let fingerprint = Fingerprint::of(objective, validation, params, optimizer, config)?;
    Ok(Some(Checkpointer::new(path, fingerprint)?))
}

/// Where a run stands, besides its parameters and optimizer.
struct RunState {
    /// The epoch in progress (with `cursor`) or the next one.
    epoch: usize,
    /// How far the epoch in progress got; `None` between epochs.
    cursor: Option<EpochCursor>,
    /// The row order (of the epoch in progress, or of the last one).
    order: Vec<usize>,
    tracker: BestTracker,
    history: TrainHistory,
}

impl RunState {
    /// The state before the first epoch.
    fn fresh(n_rows: usize, params: &[f32], config: &TrainConfig, validated: bool) -> Self {
        let mut order: Vec<usize> = (0..n_rows).collect();
        if config.shuffle == config::Shuffle::Once {
            order.shuffle(&mut crate::rng::rng(config.seed));
        }
        RunState {
            epoch: 0,
            cursor: None,
            order,
            tracker: BestTracker::new(config.early_stopping.filter(|_| validated), params),
            history: TrainHistory::default(),
        }
    }

    /// The state of checkpoint `saved` of this run (`self` is its fresh state), with its
    /// parameters and optimizer state put into `params` and `optimizer`.
    fn resume(
        self,
        saved: Checkpoint,
        file: &Checkpointer,
        params: &mut [f32],
        optimizer: &mut dyn Optimizer,
        batch_size: usize,
    ) -> Result<Self, NnError> {
        let bad = |m: String| file.unusable(format!("inconsistent contents: {m}"));
        if let Some(m) = saved.inconsistency(params.len(), self.order.len(), batch_size) {
            return Err(bad(m));
        }
        let tracker = BestTracker::restore(self.tracker.stopping(), saved.best).map_err(bad)?;
        optimizer
            .import_state(saved.optimizer, params.len())
            .map_err(|e| bad(format!("optimizer state: {e}")))?;
        params.copy_from_slice(&saved.params);
        let mut history = saved.history;
        history.resumed_from_epoch = Some(saved.epoch);
        Ok(RunState {
            epoch: saved.epoch,
            cursor: saved.cursor,
            order: saved.order,
            tracker,
            history,
        })
    }
}

/// What stays fixed during a run.
struct Run<'a, O: Objective> {
    objective: &'a O,
    validation: Option<&'a O>,
    config: &'a TrainConfig,
    /// Seconds of training before this call (of a resumed run).
    base_seconds: f64,
    clock: StopClock,
    checkpoint: Option<Checkpointer>,
    progress: Progress,
}

impl<O: Objective> Run<'_, O> {
    /// Seconds of training, this call and the earlier ones of the run.
    fn seconds(&self) -> f64 {
        self.base_seconds + self.clock.seconds()
    }

    /// Runs epochs until one of them ends the run; returns how it ended.
    fn epochs(
        &mut self,
        st: &mut RunState,
        params: &mut [f32],
        optimizer: &mut dyn Optimizer,
        mut observer: Option<&mut dyn Observer>,
    ) -> Result<Termination, NnError> {
        let (config, objective) = (self.config, self.objective);
        let mut stepper = Stepper::new(objective, config);
        while st.epoch < config.epochs {
            if st.cursor.is_none() {
                if let Some(stop) = self.clock.poll() {
                    return Ok(stop);
                }
                optimizer.train(params);
                if config.shuffle == config::Shuffle::EveryEpoch {
                    st.order
                        .shuffle(&mut crate::rng::stream(config.seed, st.epoch as u64));
                }
            }
            let cursor = st.cursor.get_or_insert_with(EpochCursor::default);
            let (epoch, order, clock) = (st.epoch, &st.order, &self.clock);
            // With parallel chunks the epoch runs on a rayon worker, so that every mini-batch
            // forks its chunks by work stealing instead of waking a blocked caller thread.
            let stop = if config.parallel {
                rayon::scope(|_| stepper.epoch(epoch, order, params, optimizer, cursor, clock))?
            } else {
                stepper.epoch(epoch, order, params, optimizer, cursor, clock)?
            };
            if let Some(stop) = stop {
                return Ok(stop);
            }
            let train_loss = cursor.mean();
            st.cursor = None;
            optimizer.eval(params);
            if let Some(end) =
                self.end_epoch(st, train_loss, params, optimizer, observer.as_deref_mut())?
            {
                return Ok(end);
            }
        }
        Ok(Termination::Completed)
    }

    /// Validation, early stopping, the observer and the checkpoint after a completed
    /// epoch (`params` in eval mode); returns how the run ends, if it ends here.
    fn end_epoch<'o>(
        &self,
        st: &mut RunState,
        train_loss: f64,
        params: &[f32],
        optimizer: &dyn Optimizer,
        observer: Option<&mut (dyn Observer + 'o)>,
    ) -> Result<Option<Termination>, NnError> {
        let epoch = st.epoch;
        st.history.train_loss.push(train_loss);
        let val = self
            .validation
            .map(|v| mean_loss(v, params, self.config.eval_chunk_rows));
        let patience = match val {
            Some(v) => st.tracker.update(epoch, v, params, &mut st.history),
            None => false,
        };
        st.history.steps = optimizer.steps();
        st.history.seconds = self.seconds();
        let stats = EpochStats {
            epoch,
            max_epochs: self.config.epochs,
            train_loss,
            val_loss: val,
            best_val_loss: st.history.best_val_loss,
            best_epoch: st.history.best_epoch,
            steps: st.history.steps,
            seconds: st.history.seconds,
        };
        let observer_stop = report_epoch(&self.progress, observer, &stats);
        st.epoch += 1;
        Ok(if patience {
            Some(Termination::EarlyStopped)
        } else if st.epoch >= self.config.epochs {
            Some(Termination::Completed)
        } else if observer_stop {
            Some(Termination::ObserverStopped)
        } else {
            self.save(st, params, optimizer, None)?;
            None
        })
    }

    /// Writes the checkpoint of the current state, if the run keeps one; `end`: the call
    /// ends here, cut short for that reason (recorded in the saved history).
    fn save(
        &self,
        st: &RunState,
        params: &[f32],
        optimizer: &dyn Optimizer,
        end: Option<Termination>,
    ) -> Result<(), NnError> {
        let Some(file) = &self.checkpoint else {
            return Ok(());
        };
        let optimizer_state = optimizer
            .export_state()
            .ok_or_else(|| file.unusable("the optimizer cannot save its state"))?;
        let mut history = st.history.clone();
        history.seconds = self.seconds();
        if let Some(end) = end {
            history.termination = end;
            history.stopped_early = true;
        }
        file.save(&Checkpoint {
            fingerprint: file.fingerprint().clone(),
            epoch: st.epoch,
            cursor: st.cursor,
            params: params.to_vec(),
            optimizer: optimizer_state,
            order: st.order.clone(),
            best: st.tracker.state(),
            history,
        })
    }

    /// Ends the run: the checkpoint of a cut-short run, the eval-mode or best weights, the
    /// history, the checkpoint of a finished run deleted, Ctrl-C consumed.
    fn finish(
        self,
        mut st: RunState,
        params: &mut [f32],
        optimizer: &mut dyn Optimizer,
        end: Termination,
    ) -> Result<TrainHistory, NnError> {
        if !end.is_finished() {
            self.save(&st, params, optimizer, Some(end))?;
        }
        if st.cursor.is_some() {
            optimizer.eval(params);
        }
        let h = &mut st.history;
        st.tracker.finish(params, h, end);
        h.termination = end;
        h.stopped_early = h.epochs() < self.config.epochs;
        h.steps = optimizer.steps();
        h.seconds = self.seconds();
        if end.is_finished() {
            if let Some(file) = &self.checkpoint {
                file.remove();
            }
        }
        if end == Termination::Interrupted {
            crate::interrupt::consume_interrupt();
        }
        Ok(st.history)
    }
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
