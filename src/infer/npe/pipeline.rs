//! The neural posterior estimation pipeline (paper §2.3, spec A.0/A.2): θ from the prior,
//! x from a [`Simulator`] (the GCE simulator or a trained emulator), Gaussian observation
//! noise added once, failed simulations excluded, then the flow trained on the pairs.
//!
//! One seed drives everything: θ uses `derive(seed, 0)`, the noise `derive(seed, 1)`, the
//! flow's initial weights and permutations `derive(seed, 2)`, the split and batch order
//! `derive(seed, 3)`, where `derive(s, k)` is [`crate::rng::derive`].
//!
//! Training ends with a usable posterior also when it is cut short (Ctrl-C, SIGTERM, the
//! time budget, an observer): [`TrainingInfo::termination`] says why. With
//! `train.checkpoint` set, the same call after a cut-short one simulates the same pairs
//! again and resumes the training where it stopped.

use super::posterior::{NeuralPosterior, TrainingInfo};
use super::simulate::simulate_rows;
use crate::error::Vocabulary;
use crate::flow::{self, FlowConfig, FlowTrainConfig, FlowTrainReport};
use crate::infer::error::InferError;
use crate::model::{NoiseModel, Prior, Simulator};
use crate::nn::Observer;
use crate::rng::derive;
use ndarray::{ArrayView2, Axis};
use serde::{Deserialize, Serialize};
use std::time::Instant;

/// The observation noise of the paper's training pairs (dex, spec A.0).
pub const PAPER_NOISE_DEX: f64 = 0.05;

/// Settings of the pipeline. Defaults: the paper (10⁵ simulations, 0.05 dex noise, the
/// reference flow and training; the flow conditions every dimension unless `flow.paper`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct NpeOptions {
    /// Number of simulations.
    pub n_sims: usize,
    /// Observation noise; `None` ⇒ [`PAPER_NOISE_DEX`] on every observable.
    pub noise: Option<NoiseModel>,
    /// Seed of the whole pipeline (overrides the seeds in `flow` and `train`).
    pub seed: u64,
    /// Flow architecture.
    pub flow: FlowConfig,
    /// Training settings.
    pub train: FlowTrainConfig,
    /// Rows per simulator call (Ctrl-C and the progress bar act between calls).
    pub sim_chunk: usize,
}

impl Default for NpeOptions {
    fn default() -> Self {
        NpeOptions {
            n_sims: 100_000,
            noise: None,
            seed: crate::rng::DEFAULT_SEED,
            flow: FlowConfig::default(),
            train: FlowTrainConfig::default(),
            sim_chunk: 10_000,
        }
    }
}

/// What the pipeline did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NpeReport {
    /// Simulations requested and failed.
    pub n_sims: usize,
    pub n_failed: usize,
    /// Seconds simulating (0 when trained on given pairs).
    pub simulate_seconds: f64,
    /// The training report.
    pub train: FlowTrainReport,
    /// Seconds for the whole call.
    pub total_seconds: f64,
}

/// Simulates θ ~ `prior` with `sim`, adds noise, trains: the whole NPE pipeline. The
/// posterior is over the prior's parameters, which must be the simulator's inputs.
pub fn train_npe(
    prior: &Prior,
    sim: &dyn Simulator,
    opts: &NpeOptions,
) -> Result<(NeuralPosterior, NpeReport), InferError> {
    train_npe_with(prior, sim, opts, None)
}

/// [`train_npe`] with an observer of the flow's training epochs (progress, a custom
/// stopping rule: [`crate::nn::Control::Stop`] keeps the best weights so far).
pub fn train_npe_with(
    prior: &Prior,
    sim: &dyn Simulator,
    opts: &NpeOptions,
    observer: Option<&mut dyn Observer>,
) -> Result<(NeuralPosterior, NpeReport), InferError> {
    let started = Instant::now();
    if opts.n_sims == 0 {
        return Err(InferError::option("n_sims", 0, "must be positive"));
    }
    if prior.space().names() != sim.space().names() {
        return Err(InferError::shape(
            format!("the prior's parameters for {}", sim.describe()),
            sim.space().names().join(", "),
            prior.space().names().join(", "),
        ));
    }
    let theta = prior.sample(opts.n_sims, derive(opts.seed, 0));
    let x = simulate_rows(sim, theta.view(), opts.sim_chunk)?;
    let n_obs = x.ncols();
    let simulate_seconds = started.elapsed().as_secs_f64();
    let good: Vec<usize> = (0..opts.n_sims)
        .filter(|&r| x.row(r).iter().all(|v| v.is_finite()))
        .collect();
    let n_failed = opts.n_sims - good.len();
    let theta = theta.select(Axis(0), &good);
    let mut x = x.select(Axis(0), &good);
    let noise = opts
        .noise
        .clone()
        .unwrap_or_else(|| NoiseModel::uniform(n_obs, PAPER_NOISE_DEX));
    noise
        .validate(n_obs)
        .map_err(|e| InferError::option("noise", format!("{:?}", noise.sigma), e))?;
    noise.add(&mut x, derive(opts.seed, 1));
    let (post, mut report) = train_on_pairs_with(
        prior,
        (theta.view(), x.view()),
        noise,
        &sim.describe(),
        sim.output_names().to_vec(),
        opts,
        observer,
    )?;
    report.n_sims = opts.n_sims;
    report.n_failed = n_failed;
    report.simulate_seconds = simulate_seconds;
    report.total_seconds = started.elapsed().as_secs_f64();
    let mut info = post.training().clone();
    info.n_sims = opts.n_sims;
    info.n_failed = n_failed;
    info.simulate_seconds = simulate_seconds;
    Ok((post.with_training(info), report))
}

/// The training record stored with a posterior (simulation counts are filled in by the
/// caller that ran the simulations).
pub(crate) fn training_info(
    source: &str,
    n_sims: usize,
    seed: u64,
    train_config: FlowTrainConfig,
    tr: &FlowTrainReport,
) -> TrainingInfo {
    TrainingInfo {
        source: source.to_string(),
        n_sims,
        n_failed: 0,
        n_excluded: tr.n_excluded,
        n_train: tr.n_train,
        n_val: tr.n_val,
        epochs: tr.epochs,
        best_epoch: tr.best_epoch,
        best_val_log_prob: tr.best_val_log_prob,
        simulate_seconds: 0.0,
        train_seconds: tr.seconds,
        seed,
        train_config,
        train_loss: tr.train_loss.clone(),
        val_loss: tr.val_loss.clone(),
        termination: tr.termination,
        resumed_from_epoch: tr.resumed_from_epoch,
    }
}

/// Trains a posterior on given pairs: θ `(n, prior.dim())` and **already noisy** x
/// `(n, n_obs)`; `noise` is recorded as the noise those x carry, `source` describes where
/// they came from.
pub fn train_on_pairs(
    prior: &Prior,
    theta: ArrayView2<f64>,
    x: ArrayView2<f64>,
    noise: NoiseModel,
    source: &str,
    obs_names: Vec<String>,
    opts: &NpeOptions,
) -> Result<(NeuralPosterior, NpeReport), InferError> {
    train_on_pairs_with(prior, (theta, x), noise, source, obs_names, opts, None)
}

/// [`train_on_pairs`] on the pairs `(θ, x)` with an observer of the flow's training epochs.
pub fn train_on_pairs_with(
    prior: &Prior,
    (theta, x): (ArrayView2<f64>, ArrayView2<f64>),
    noise: NoiseModel,
    source: &str,
    obs_names: Vec<String>,
    opts: &NpeOptions,
    observer: Option<&mut dyn Observer>,
) -> Result<(NeuralPosterior, NpeReport), InferError> {
    let started = Instant::now();
    prior.space().check_width("theta", theta.ncols())?;
    if obs_names.len() != x.ncols() {
        return Err(InferError::shape(
            "observable names",
            format!("{} names", x.ncols()),
            format!("{} names", obs_names.len()),
        ));
    }
    let fc = FlowConfig {
        seed: derive(opts.seed, 2),
        ..opts.flow.clone()
    };
    let tc = FlowTrainConfig {
        seed: derive(opts.seed, 3),
        ..opts.train.clone()
    };
    let (maf, tr) = flow::train_with(theta, x, &fc, &tc, observer)?;
    let info = training_info(source, theta.nrows(), opts.seed, tc, &tr);
    let post = NeuralPosterior::new(maf, prior.clone(), noise, obs_names, info)?;
    let report = NpeReport {
        n_sims: theta.nrows(),
        n_failed: 0,
        simulate_seconds: 0.0,
        train: tr,
        total_seconds: started.elapsed().as_secs_f64(),
    };
    Ok((post, report))
}

/// A file name for the checkpoint of one NPE call, the same for the same call: a hash of
/// the simulator's description, the prior and the options (the checkpoint path itself left
/// out). Scripts keep such checkpoints in the cache directory, so that a run stopped by
/// SIGTERM resumes when the same call is made again.
pub fn checkpoint_name(prior: &Prior, sim: &dyn Simulator, opts: &NpeOptions) -> String {
    let mut o = opts.clone();
    o.train.checkpoint = None;
    o.train.time_budget = None;
    let mut h = crate::nn::checkpoint::hash::DataHash::new();
    h.str(&sim.describe())
        .str(&serde_json::to_string(prior).unwrap_or_default())
        .str(&serde_json::to_string(&o).unwrap_or_default());
    format!("npe-{}.json", crate::nn::checkpoint::hash::hex(h.finish()))
}
