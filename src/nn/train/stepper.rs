//! The mini-batches of one epoch, and the checks between them that end a run early.

use super::config::TrainConfig;
use super::history::Termination;
use crate::nn::autopar::ThreadChoice;
use crate::nn::checkpoint::EpochCursor;
use crate::nn::objective::{batch_loss_grad, grad_chunks, GradChunk, Objective};
use crate::nn::optim::{clip_grad_norm, Optimizer};
use crate::nn::NnError;
use std::time::Instant;

/// The reasons to stop between mini-batches: Ctrl-C, SIGTERM and the time budget.
pub(crate) struct StopClock {
    started: Instant,
    budget: Option<f64>,
}

impl StopClock {
    /// Starts the clock; `budget` in seconds.
    pub fn start(budget: Option<f64>) -> Self {
        Self {
            started: Instant::now(),
            budget,
        }
    }

    /// Seconds since the start.
    pub fn seconds(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }

    /// Why the run must stop now, if it must: a pending Ctrl-C or SIGTERM, or the budget
    /// used up.
    pub fn poll(&self) -> Option<Termination> {
        if let Some(reason) = crate::interrupt::pending() {
            return Some(Termination::from_stop(reason));
        }
        match self.budget {
            Some(b) if self.seconds() >= b => Some(Termination::TimeBudget),
            _ => None,
        }
    }
}

/// Mini-batch gradient steps over one epoch's row order.
pub(crate) struct Stepper<'a, O: Objective> {
    objective: &'a O,
    config: &'a TrainConfig,
    chunk_rows: usize,
    chunks: Vec<GradChunk<O::Workspace>>,
    grad: Vec<f32>,
    threads: ThreadChoice,
}

impl<'a, O: Objective> Stepper<'a, O> {
    pub fn new(objective: &'a O, config: &'a TrainConfig) -> Self {
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

    /// Runs the epoch's batches from `cursor.batches` on, adding each one's loss to the
    /// cursor; returns why it stopped before the end, if it did (checked before every
    /// batch: `params` then hold the weights of the last completed step).
    pub fn epoch(
        &mut self,
        epoch: usize,
        order: &[usize],
        params: &mut [f32],
        optimizer: &mut dyn Optimizer,
        cursor: &mut EpochCursor,
        clock: &StopClock,
    ) -> Result<Option<Termination>, NnError> {
        let bs = self.config.batch_size;
        for batch in order.chunks(bs).skip(cursor.batches) {
            if self.config.drop_last && batch.len() < bs {
                break;
            }
            if let Some(stop) = clock.poll() {
                return Ok(Some(stop));
            }
            let loss = self.step(epoch, batch, params, optimizer)?;
            cursor.loss_sum += loss;
            cursor.rows += batch.len();
            cursor.batches += 1;
        }
        Ok(None)
    }

    /// One optimizer step on the mean row loss of `batch`; returns the summed row loss.
    fn step(
        &mut self,
        epoch: usize,
        batch: &[usize],
        params: &mut [f32],
        optimizer: &mut dyn Optimizer,
    ) -> Result<f64, NnError> {
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
        Ok(loss)
    }
}
