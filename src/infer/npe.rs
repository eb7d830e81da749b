//! The neural posterior estimation pipeline (paper §2.3, spec A.0/A.2): θ from the prior,
//! x from a [`Simulator`] (the GCE simulator or a trained emulator), Gaussian observation
//! noise added once, failed simulations excluded, then the flow trained on the pairs.
//!
//! One seed drives everything: θ uses `derive(seed, 0)`, the noise `derive(seed, 1)`, the
//! flow's initial weights and permutations `derive(seed, 2)`, the split and batch order
//! `derive(seed, 3)`, where `derive(s, k)` is the first number of `rng::stream(s, k)`.

use super::error::InferError;
use super::posterior::{Posterior, TrainingInfo};
use super::prior::Prior;
use super::simulator::{NoiseModel, Simulator, PARAM_NAMES};
use crate::flow::{self, FlowConfig, FlowTrainConfig, FlowTrainReport};
use crate::progress::Progress;
use ndarray::{Array2, ArrayView2, Axis};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use std::time::Instant;

/// Settings of the pipeline. Defaults: the paper (10⁵ simulations, 0.05 dex noise, the
/// reference flow and training; the flow conditions every dimension unless `flow.paper`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct NpeOptions {
    /// Number of simulations.
    pub n_sims: usize,
    /// Observation noise; `None` ⇒ 0.05 dex on every observable.
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

/// The k-th derived seed of `seed`.
pub fn derive_seed(seed: u64, k: u64) -> u64 {
    crate::rng::stream(seed, k).next_u64()
}

/// Simulates θ ~ prior with `sim`, adds noise, trains: the whole NPE pipeline.
pub fn train_npe(
    prior: &Prior,
    sim: &dyn Simulator,
    opts: &NpeOptions,
) -> Result<(Posterior, NpeReport), InferError> {
    let started = Instant::now();
    if opts.n_sims == 0 {
        return Err(InferError::option("n_sims", 0, "must be positive"));
    }
    let theta = prior.sample(opts.n_sims, derive_seed(opts.seed, 0));
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
        .unwrap_or_else(|| NoiseModel::uniform(n_obs, 0.05));
    noise
        .validate(n_obs)
        .map_err(|e| InferError::option("noise", format!("{:?}", noise.sigma), e))?;
    noise.add(&mut x, derive_seed(opts.seed, 1));
    let (post, mut report) = train_on_pairs(
        prior,
        theta.view(),
        x.view(),
        noise,
        &sim.describe(),
        sim.output_names(),
        opts,
    )?;
    report.n_sims = opts.n_sims;
    report.n_failed = n_failed;
    report.simulate_seconds = simulate_seconds;
    report.total_seconds = started.elapsed().as_secs_f64();
    let mut info = post.training().clone();
    info.n_sims = opts.n_sims;
    info.n_failed = n_failed;
    info.simulate_seconds = simulate_seconds;
    let post = Posterior::new(
        post.flow().clone(),
        post.prior().clone(),
        post.noise().clone(),
        post.param_names().to_vec(),
        post.obs_names().to_vec(),
        info,
    )?;
    Ok((post, report))
}

/// The training record stored with a posterior (simulation counts are filled in by the
/// caller that ran the simulations).
fn training_info(
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
    }
}

/// Runs `sim` on every row of `theta` in chunks of `chunk` rows (interruptible, with a
/// progress bar): x `(n, n_obs)`, NaN rows where the simulation failed.
fn simulate_rows(
    sim: &dyn Simulator,
    theta: ArrayView2<f64>,
    chunk: usize,
) -> Result<Array2<f64>, InferError> {
    let n_obs = sim.output_names().len();
    let mut x = Array2::<f64>::from_elem((theta.nrows(), n_obs), f64::NAN);
    let chunk = chunk.max(1);
    let progress = Progress::new(theta.nrows() as u64, "simulating");
    for (c, rows) in theta.axis_chunks_iter(Axis(0), chunk).enumerate() {
        crate::interrupt::check()?;
        let (xc, ok) = sim.simulate(rows)?;
        if xc.dim() != (rows.nrows(), n_obs) || ok.len() != rows.nrows() {
            return Err(InferError::Shape {
                what: format!("simulator '{}' output", sim.describe()),
                expected: format!("({}, {n_obs}) and {} flags", rows.nrows(), rows.nrows()),
                found: format!("{:?} and {} flags", xc.dim(), ok.len()),
            });
        }
        let a = c * chunk;
        for (i, good) in ok.iter().enumerate() {
            if *good {
                x.row_mut(a + i).assign(&xc.row(i));
            }
        }
        progress.inc(rows.nrows() as u64);
    }
    progress.finish();
    Ok(x)
}

/// Trains a posterior on given pairs: θ `(n, 6)` and **already noisy** x `(n, n_obs)`;
/// `noise` is recorded as the noise those x carry, `source` describes where they came from.
pub fn train_on_pairs(
    prior: &Prior,
    theta: ArrayView2<f64>,
    x: ArrayView2<f64>,
    noise: NoiseModel,
    source: &str,
    obs_names: Vec<String>,
    opts: &NpeOptions,
) -> Result<(Posterior, NpeReport), InferError> {
    let started = Instant::now();
    if theta.ncols() != 6 {
        return Err(InferError::Shape {
            what: "theta".into(),
            expected: "(n, 6)".into(),
            found: format!("{:?}", theta.dim()),
        });
    }
    if obs_names.len() != x.ncols() {
        return Err(InferError::Shape {
            what: "observable names".into(),
            expected: format!("{} names", x.ncols()),
            found: format!("{} names", obs_names.len()),
        });
    }
    let fc = FlowConfig {
        seed: derive_seed(opts.seed, 2),
        ..opts.flow.clone()
    };
    let tc = FlowTrainConfig {
        seed: derive_seed(opts.seed, 3),
        ..opts.train.clone()
    };
    let (maf, tr) = flow::train(theta, x, &fc, &tc)?;
    let info = training_info(source, theta.nrows(), opts.seed, tc, &tr);
    let post = Posterior::new(
        maf,
        prior.clone(),
        noise,
        PARAM_NAMES.iter().map(|s| s.to_string()).collect(),
        obs_names,
        info,
    )?;
    let report = NpeReport {
        n_sims: theta.nrows(),
        n_failed: 0,
        simulate_seconds: 0.0,
        train: tr,
        total_seconds: started.elapsed().as_secs_f64(),
    };
    Ok((post, report))
}
