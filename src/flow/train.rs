//! Maximum-likelihood training of the flow on (θ, x) pairs, as sbi's first NPE round
//! (spec A.2): rows with non-finite values removed, a random 90/10 train/validation split,
//! z-score statistics from the training split only, Adam (lr 5e-4), batches of 200 (last
//! incomplete batch dropped, reshuffled every epoch), gradient norm clipped at 5, validation
//! after every epoch, stop after 20 epochs without improvement and restore the best weights.
//! The loop itself is [`crate::nn::train()`]; this module supplies the objective
//! Σ_rows −log q(θ | x) and its gradient.
//!
//! Ctrl-C, SIGTERM, the time budget and an observer end a training with a usable flow (the
//! best weights so far) and the reason in [`FlowTrainReport::termination`]; with a
//! checkpoint file the same call resumes where it stopped (see [`crate::nn::train()`]).

use super::backprop::Cache;
use super::error::FlowError;
use super::maf::{FlowConfig, Maf};
use super::standardize::{THETA_STD_FLOOR, X_STD_FLOOR};
use crate::error::{RowsVocabulary, Vocabulary};
use crate::nn::objective::DataHash;
use crate::nn::{
    self, EarlyStopping, NnError, Objective, Observer, OptimizerKind, Scaler, Shuffle, Termination,
    TrainConfig, TrainHistory,
};
use ndarray::{Array2, ArrayView2};
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Training settings. Defaults: the reference (spec A.2). Settings stored before a field
/// existed read as its default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FlowTrainConfig {
    /// Learning rate of the optimizer.
    pub learning_rate: f64,
    /// The optimizer (default Adam, as sbi).
    pub optimizer: OptimizerKind,
    /// Weight decay λ: coupled L2 for Adam, decoupled for AdamW and schedule-free AdamW
    /// (default 0).
    pub weight_decay: f64,
    /// Mini-batch size.
    pub batch_size: usize,
    /// Fraction of the rows held out for validation.
    pub validation_fraction: f64,
    /// Stop after this many epochs without a better validation loss.
    pub patience: usize,
    /// Maximum number of epochs.
    pub max_epochs: usize,
    /// Clip the joint gradient L2 norm to this value (`None`: no clipping).
    pub clip_grad_norm: Option<f64>,
    /// Seed of the split and the batch order.
    pub seed: u64,
    /// Rows per parallel gradient chunk (results depend on it, never on the thread count).
    pub chunk_rows: usize,
    /// Compute the chunks of a batch in parallel.
    pub parallel: bool,
    /// Wall-clock seconds the training may take in this call (`None`: no limit); when they
    /// are used up it ends with the best weights so far.
    pub time_budget: Option<f64>,
    /// Checkpoint file: written after every epoch and when the training is cut short,
    /// resumed from when it belongs to the same training, deleted when training finishes.
    pub checkpoint: Option<PathBuf>,
}

impl Default for FlowTrainConfig {
    fn default() -> Self {
        FlowTrainConfig {
            learning_rate: 5e-4,
            optimizer: OptimizerKind::Adam,
            weight_decay: 0.0,
            batch_size: 200,
            validation_fraction: 0.1,
            patience: 20,
            max_epochs: 100_000,
            clip_grad_norm: Some(5.0),
            seed: crate::rng::DEFAULT_SEED,
            chunk_rows: 100,
            parallel: true,
            time_budget: None,
            checkpoint: None,
        }
    }
}

impl FlowTrainConfig {
    /// The optimizer's configuration (learning rate and weight decay included).
    pub fn optimizer_config(&self) -> nn::OptimizerConfig {
        self.optimizer.config(self.learning_rate, self.weight_decay)
    }
}

/// What happened during training.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlowTrainReport {
    /// Rows given.
    pub n_rows: usize,
    /// Rows dropped because θ or x had non-finite values.
    pub n_excluded: usize,
    /// Training rows.
    pub n_train: usize,
    /// Validation rows.
    pub n_val: usize,
    /// Epochs run.
    pub epochs: usize,
    /// Epoch (0-based) of the best validation loss, whose weights were kept.
    pub best_epoch: Option<usize>,
    /// Best mean validation log-probability (= −best validation loss).
    pub best_val_log_prob: f64,
    /// Mean training loss (−log q) per epoch.
    pub train_loss: Vec<f64>,
    /// Mean validation loss per epoch.
    pub val_loss: Vec<f64>,
    /// Optimizer steps.
    pub steps: u64,
    /// Wall-clock seconds of the training loop (with the calls before a resume).
    pub seconds: f64,
    /// How training ended.
    #[serde(default)]
    pub termination: Termination,
    /// The epoch at which this call resumed training from its checkpoint (`None`: it
    /// started afresh).
    #[serde(default)]
    pub resumed_from_epoch: Option<usize>,
}

/// The training objective: Σ_rows −log q(θ_r | x_r) on standardised f32 data.
pub struct FlowObjective<'a> {
    maf: &'a Maf,
    ts: ArrayView2<'a, f32>,
    xs: ArrayView2<'a, f32>,
}

impl<'a> FlowObjective<'a> {
    /// The objective of `maf` on standardised `ts` `(n, D)` and `xs` `(n, C)`.
    pub fn new(
        maf: &'a Maf,
        ts: ArrayView2<'a, f32>,
        xs: ArrayView2<'a, f32>,
    ) -> Result<Self, FlowError> {
        maf.check_dims(ts.dim(), xs.dim())?;
        Ok(FlowObjective { maf, ts, xs })
    }
}

/// Scratch buffers of [`FlowObjective`].
pub struct FlowWorkspace {
    cache: Cache,
}

impl FlowObjective<'_> {
    fn forward(&self, params: &[f32], rows: &[usize], ws: &mut FlowWorkspace) -> f64 {
        let n = rows.len();
        let (t, x) = ws.cache.inputs_mut(n);
        gather_rows(&self.ts, rows, t);
        gather_rows(&self.xs, rows, x);
        self.maf.forward_cached(params, n, &mut ws.cache);
        -ws.cache.log_q[..n].iter().sum::<f64>()
    }
}

impl Objective for FlowObjective<'_> {
    type Workspace = FlowWorkspace;

    fn n_params(&self) -> usize {
        self.maf.params.len()
    }

    fn n_rows(&self) -> usize {
        self.ts.nrows()
    }

    fn workspace(&self, max_rows: usize) -> FlowWorkspace {
        FlowWorkspace {
            cache: Cache::new(self.maf, max_rows),
        }
    }

    fn loss_grad(
        &self,
        params: &[f32],
        rows: &[usize],
        ws: &mut FlowWorkspace,
        grad: &mut [f32],
    ) -> f64 {
        let loss = self.forward(params, rows, ws);
        self.maf.backward(params, 1.0, grad, &mut ws.cache);
        loss
    }

    fn loss(&self, params: &[f32], rows: &[usize], ws: &mut FlowWorkspace) -> f64 {
        self.forward(params, rows, ws)
    }

    /// The architecture (its configuration and dimensions) and the standardised data.
    fn fingerprint(&self) -> Option<u64> {
        let config = serde_json::to_string(&self.maf.config).ok()?;
        let mut h = DataHash::new();
        h.str("flow")
            .str(&config)
            .u64(self.maf.theta_dim() as u64)
            .u64(self.maf.x_dim() as u64);
        Some(h.array(&self.ts).array(&self.xs).finish())
    }
}

/// Copies rows `rows` of `src` into `dst` (row-major, same width).
fn gather_rows(src: &ArrayView2<f32>, rows: &[usize], dst: &mut [f32]) {
    let w = src.ncols();
    match src.as_slice() {
        // fixed widths of the paper's problem: inlined moves instead of a memcpy call per row
        Some(s) if w == 6 => gather_fixed::<6>(s, rows, dst),
        Some(s) if w == 8 => gather_fixed::<8>(s, rows, dst),
        Some(s) => {
            for (d, &r) in dst.chunks_exact_mut(w.max(1)).zip(rows) {
                d.copy_from_slice(&s[r * w..(r + 1) * w]);
            }
        }
        None => {
            for (d, &r) in dst.chunks_exact_mut(w.max(1)).zip(rows) {
                for (d, s) in d.iter_mut().zip(src.row(r)) {
                    *d = *s;
                }
            }
        }
    }
}

fn gather_fixed<const W: usize>(src: &[f32], rows: &[usize], dst: &mut [f32]) {
    for (d, &r) in dst.chunks_exact_mut(W).zip(rows) {
        let s: &[f32; W] = match src[r * W..(r + 1) * W].try_into() {
            Ok(s) => s,
            Err(_) => continue,
        };
        let d: &mut [f32; W] = match d.try_into() {
            Ok(d) => d,
            Err(_) => continue,
        };
        *d = *s;
    }
}

/// Trains a flow q(θ | x) on `theta` `(n, D)` and `x` `(n, C)` (raw units).
pub fn train(
    theta: ArrayView2<f64>,
    x: ArrayView2<f64>,
    config: &FlowConfig,
    tc: &FlowTrainConfig,
) -> Result<(Maf, FlowTrainReport), FlowError> {
    train_with(theta, x, config, tc, None)
}

/// [`train`] with an observer that sees every epoch's losses and may stop training
/// ([`nn::Control::Stop`]: the flow keeps its best weights so far).
pub fn train_with(
    theta: ArrayView2<f64>,
    x: ArrayView2<f64>,
    config: &FlowConfig,
    tc: &FlowTrainConfig,
    observer: Option<&mut dyn Observer>,
) -> Result<(Maf, FlowTrainReport), FlowError> {
    check_train_config(tc)?;
    let split = split_rows(theta, x, tc)?;
    let theta_std = Scaler::fit(split.theta_train.view(), THETA_STD_FLOOR)?;
    let x_std = Scaler::fit(split.x_train.view(), X_STD_FLOOR)?;
    let mut maf = Maf::new(config.clone(), theta_std, x_std)?;
    let ts_tr = maf.theta_std.transform_f32(split.theta_train.view())?;
    let xs_tr = maf.x_std.transform_f32(split.x_train.view())?;
    let ts_va = maf.theta_std.transform_f32(split.theta_val.view())?;
    let xs_va = maf.x_std.transform_f32(split.x_val.view())?;
    let history = {
        let mut params = maf.params.clone();
        let probe = maf.clone();
        let obj = FlowObjective::new(&probe, ts_tr.view(), xs_tr.view())?;
        let val = FlowObjective::new(&probe, ts_va.view(), xs_va.view())?;
        let mut opt = tc.optimizer_config().build()?;
        let h = nn::train(
            &obj,
            Some(&val),
            &mut params,
            opt.as_mut(),
            &loop_config(tc),
            observer,
        )?;
        maf.set_params(&params)?;
        h
    };
    let report = report(
        theta.nrows(),
        &split,
        (ts_tr.nrows(), ts_va.nrows()),
        history,
    );
    Ok((maf, report))
}

/// The training report from the loop's history.
fn report(
    n_rows: usize,
    split: &Split,
    (n_train, n_val): (usize, usize),
    h: TrainHistory,
) -> FlowTrainReport {
    FlowTrainReport {
        n_rows,
        n_excluded: split.n_excluded,
        n_train,
        n_val,
        epochs: h.epochs(),
        best_epoch: h.best_epoch,
        best_val_log_prob: h.best_val_loss.map_or(f64::NAN, |v| -v),
        train_loss: h.train_loss,
        val_loss: h.val_loss,
        steps: h.steps,
        seconds: h.seconds,
        termination: h.termination,
        resumed_from_epoch: h.resumed_from_epoch,
    }
}

/// The finite rows of (θ, x), shuffled once and split into training and validation parts.
struct Split {
    theta_train: Array2<f64>,
    x_train: Array2<f64>,
    theta_val: Array2<f64>,
    x_val: Array2<f64>,
    /// Rows dropped because θ or x had non-finite values.
    n_excluded: usize,
}

/// Drops non-finite rows, shuffles with stream 0 of `tc.seed` and splits off the last
/// `validation_fraction` for validation; too few rows for one batch is an error.
fn split_rows(
    theta: ArrayView2<f64>,
    x: ArrayView2<f64>,
    tc: &FlowTrainConfig,
) -> Result<Split, FlowError> {
    if theta.nrows() != x.nrows() {
        return Err(FlowError::shape(
            "x rows",
            theta.nrows().to_string(),
            x.nrows().to_string(),
        ));
    }
    let n_rows = theta.nrows();
    let finite: Vec<usize> = (0..n_rows)
        .filter(|&r| {
            theta.row(r).iter().all(|v| v.is_finite()) && x.row(r).iter().all(|v| v.is_finite())
        })
        .collect();
    let n = finite.len();
    let n_train = ((1.0 - tc.validation_fraction) * n as f64) as usize;
    let n_val = n - n_train;
    if n_train < tc.batch_size.max(2) || n_val < 1 {
        return Err(FlowError::too_few_rows(format!(
                "flow training ({n} finite rows of {n_rows}, {n_train} for training, {n_val} for validation)"
            ), n, ((tc.batch_size.max(2) as f64) / (1.0 - tc.validation_fraction)).ceil()
                as usize
                + 1));
    }
    let mut order = finite;
    order.shuffle(&mut crate::rng::stream(tc.seed, 0));
    let pick = |a: &ArrayView2<f64>, rows: &[usize]| a.select(ndarray::Axis(0), rows);
    let (tr, va) = order.split_at(n_train);
    Ok(Split {
        theta_train: pick(&theta, tr),
        x_train: pick(&x, tr),
        theta_val: pick(&theta, va),
        x_val: pick(&x, va),
        n_excluded: n_rows - n,
    })
}

/// The generic training loop's settings for the flow (spec A.2).
fn loop_config(tc: &FlowTrainConfig) -> TrainConfig {
    TrainConfig {
        batch_size: tc.batch_size,
        epochs: tc.max_epochs,
        shuffle: Shuffle::EveryEpoch,
        drop_last: true,
        seed: tc.seed,
        clip_grad_norm: tc.clip_grad_norm,
        early_stopping: Some(EarlyStopping {
            patience: tc.patience,
            restore_best: true,
        }),
        chunk_rows: tc.chunk_rows,
        parallel: tc.parallel,
        eval_chunk_rows: 1000,
        label: "flow".into(),
        time_budget: tc.time_budget,
        checkpoint: tc.checkpoint.clone(),
    }
}

/// An option error of the network core as the flow's own option error.
fn option_error(e: NnError) -> FlowError {
    match e {
        NnError::Option(o) => FlowError::Option(o),
        other => FlowError::Nn(other),
    }
}

fn check_train_config(tc: &FlowTrainConfig) -> Result<(), FlowError> {
    if !(tc.learning_rate > 0.0 && tc.learning_rate.is_finite()) {
        return Err(FlowError::option(
            "learning_rate",
            tc.learning_rate,
            "must be positive",
        ));
    }
    if tc.batch_size == 0 {
        return Err(FlowError::option("batch_size", 0, "must be positive"));
    }
    if !(tc.validation_fraction > 0.0 && tc.validation_fraction < 1.0) {
        return Err(FlowError::option(
            "validation_fraction",
            tc.validation_fraction,
            "must be in (0, 1)",
        ));
    }
    if tc.max_epochs == 0 {
        return Err(FlowError::option("max_epochs", 0, "must be positive"));
    }
    nn::train::check_time_budget(tc.time_budget).map_err(option_error)?;
    tc.optimizer_config().validate().map_err(option_error)
}
