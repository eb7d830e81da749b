//! The local classifier two-sample test (L-C2ST, Linhart et al. 2023): is q(θ | x_o) the
//! true posterior at one observation x_o?
//!
//! A classifier d(θ, x) learns to tell the true joint pairs (θ*ᵢ, xᵢ) — θ* from the prior, x
//! simulated — from pairs (θ_q,ᵢ, xᵢ) with θ_q,ᵢ one posterior draw given xᵢ. If q is exact,
//! the classes are indistinguishable and d = ½ everywhere. At x_o the statistic is
//! T = mean_k (d(θ_k, x_o) − ½)² over draws θ_k ~ q(θ | x_o). Its null distribution comes
//! from classifiers trained on the same pairs with permuted labels (sbi's permutation
//! method); the p-value is (1 + #{T_null ≥ T})/(1 + K).
//!
//! The classifier is galchem's own [`crate::nn::Mlp`] (tanh, identity output) trained by
//! least squares on the 0/1 labels: the Brier-score regression of the class, whose output
//! estimates P(true pair | θ, x) directly. Its inputs are θ standardised by the mean and sd
//! of 50 further posterior draws at the same x (a Gaussian version of the L-C2ST-NF idea of
//! testing in the posterior's own coordinates: under the null hypothesis these coordinates
//! have the same distribution for both classes, and an over- or under-dispersed posterior
//! shows as a wider or narrower spread of the true θ), and x; then all are z-scored.

use super::error::CalibError;
use super::truths::simulate_truths;
use crate::model::{NoiseModel, Posterior, Prior, Simulator};
use crate::nn::{
    train, Activation, Loss, Mlp, OptimizerConfig, Scaler, Shuffle, Supervised, TrainConfig,
};
use crate::rng::derive;
use ndarray::{Array1, Array2, Axis};
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};
use std::time::Instant;

/// Settings of the local C2ST.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Lc2stOptions {
    /// Calibration simulations (pairs per class).
    pub n: usize,
    /// Posterior draws at x_o where the classifier is evaluated.
    pub samples: usize,
    /// Classifiers trained under the null hypothesis.
    pub null: usize,
    /// Hidden layer widths of the classifier.
    pub hidden: Vec<usize>,
    /// Training epochs, mini-batch size and learning rate (Adam).
    pub epochs: usize,
    pub batch: usize,
    pub lr: f64,
    /// Seed.
    pub seed: u64,
    /// Noise of the simulations; `None` = the posterior's.
    pub noise: Option<NoiseModel>,
    /// Prior of θ*; `None` = the posterior's.
    pub prior: Option<Prior>,
}

impl Default for Lc2stOptions {
    fn default() -> Self {
        Lc2stOptions {
            n: 2000,
            samples: 1000,
            null: 20,
            hidden: vec![32, 32],
            epochs: 40,
            batch: 128,
            lr: 1e-3,
            seed: crate::rng::DEFAULT_SEED,
            noise: None,
            prior: None,
        }
    }
}

/// The result of the local C2ST.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Lc2stResult {
    /// T at x_o.
    pub statistic: f64,
    /// The p-value against the permutation null.
    pub p_value: f64,
    /// T of every null classifier.
    pub null_statistics: Vec<f64>,
    /// The classifier's P(true pair) at every draw θ_k ~ q(θ | x_o).
    pub probabilities: Vec<f64>,
    /// Pairs per class and draws at x_o.
    pub n: usize,
    pub samples: usize,
    /// Seconds.
    pub seconds: f64,
}

/// The local C2ST of `post` at the observation `x_o` (one value per observable).
pub fn lc2st(
    post: &dyn Posterior,
    sim: &dyn Simulator,
    x_o: &[f64],
    o: &Lc2stOptions,
) -> Result<Lc2stResult, CalibError> {
    let started = Instant::now();
    crate::ensure_option!(o.n >= 10, "n", o.n, "at least 10 simulations are needed");
    crate::ensure_option!(
        o.samples >= 2,
        "samples",
        o.samples,
        "at least 2 draws are needed"
    );
    crate::ensure_option!(
        o.epochs >= 1 && o.batch >= 1,
        "epochs",
        o.epochs,
        "epochs and batch must be positive"
    );
    crate::ensure_shape!(
        x_o.len() == post.observables().len(),
        "x_o",
        post.observables().len(),
        x_o.len()
    );
    let selected = super::run::matched_outputs(post, sim)?;
    let sim: &dyn Simulator = selected.as_ref().map_or(sim, |s| s as &dyn Simulator);
    let noise = o
        .noise
        .clone()
        .or_else(|| post.noise().cloned())
        .ok_or_else(|| {
            CalibError::option(
                "noise",
                "none",
                "the posterior has no noise model: give the noise",
            )
        })?;
    let prior = o.prior.clone().unwrap_or_else(|| post.prior().clone());
    let t = simulate_truths(sim, &prior, &noise, 0..o.n, o.seed, 100)?;
    let d = post.space().dim();
    let draws = post.sample_many(t.x.view(), &t.ids, 1 + MOMENT_DRAWS, derive(o.seed, 30))?;
    let mut features = Array2::<f64>::zeros((2 * o.n, d + x_o.len()));
    for (i, dr) in draws.into_iter().enumerate() {
        let dr = dr?;
        let (m, s) = moments(&dr, 1);
        let (x, q) = (t.x.row(i), dr.values().row(0).to_vec());
        fill(features.row_mut(i), &t.theta.row(i).to_vec(), &m, &s, x);
        fill(features.row_mut(o.n + i), &q, &m, &s, x);
    }
    let labels: Vec<f32> = (0..2 * o.n)
        .map(|i| if i < o.n { 1.0 } else { 0.0 })
        .collect();
    let eval_draws = post.sample(x_o, o.samples + MOMENT_DRAWS, derive(o.seed, 31))?;
    let (m, s) = moments(&eval_draws, o.samples);
    let mut eval = Array2::<f64>::zeros((o.samples, features.ncols()));
    for k in 0..o.samples {
        let th = eval_draws.values().row(k).to_vec();
        fill(eval.row_mut(k), &th, &m, &s, ndarray::ArrayView1::from(x_o));
    }
    let scaler = Scaler::fit(features.view(), 1e-12)?;
    let (xf, ef) = (
        scaler.transform_f32(features.view())?,
        scaler.transform_f32(eval.view())?,
    );
    let probabilities = classify(&xf, &labels, &ef, o, derive(o.seed, 32))?;
    let statistic = stat(&probabilities);
    let mut null_statistics = Vec::with_capacity(o.null);
    for k in 0..o.null {
        crate::interrupt::check()?;
        let mut perm = labels.clone();
        perm.shuffle(&mut crate::rng::stream(derive(o.seed, 33), k as u64));
        null_statistics.push(stat(&classify(
            &xf,
            &perm,
            &ef,
            o,
            derive(o.seed, 34 + k as u64),
        )?));
    }
    let above = null_statistics.iter().filter(|&&s| s >= statistic).count();
    Ok(Lc2stResult {
        statistic,
        p_value: (1 + above) as f64 / (1 + o.null) as f64,
        null_statistics,
        probabilities: probabilities.iter().map(|&p| f64::from(p)).collect(),
        n: o.n,
        samples: o.samples,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Posterior draws per observation that give the mean and sd θ is standardised with.
const MOMENT_DRAWS: usize = 50;

/// Mean and sd of the draws from row `skip` on.
fn moments(d: &crate::stats::Draws, skip: usize) -> (Vec<f64>, Vec<f64>) {
    let rest = d.values().slice(ndarray::s![skip.., ..]).to_owned();
    let r = crate::stats::Draws::new(rest).ok();
    let dim = d.dim();
    let m = r.as_ref().map_or(vec![0.0; dim], |r| r.mean());
    let s = r.as_ref().map_or(vec![1.0; dim], |r| {
        r.sd().iter().map(|v| v.max(1e-12)).collect()
    });
    (m, s)
}

/// One classifier input: θ standardised by the posterior's moments at x, then x.
fn fill(
    mut row: ndarray::ArrayViewMut1<f64>,
    theta: &[f64],
    m: &[f64],
    s: &[f64],
    x: ndarray::ArrayView1<f64>,
) {
    let d = theta.len();
    for j in 0..d {
        row[j] = (theta[j] - m[j]) / s[j];
    }
    for (j, v) in x.iter().enumerate() {
        row[d + j] = *v;
    }
}

/// T = mean (p − ½)² with p clamped to [0, 1].
fn stat(p: &[f32]) -> f64 {
    p.iter()
        .map(|&v| (f64::from(v.clamp(0.0, 1.0)) - 0.5).powi(2))
        .sum::<f64>()
        / p.len().max(1) as f64
}

/// Trains a classifier on (`x`, `y`) and returns its outputs at `eval`.
fn classify(
    x: &Array2<f32>,
    y: &[f32],
    eval: &Array2<f32>,
    o: &Lc2stOptions,
    seed: u64,
) -> Result<Vec<f32>, CalibError> {
    let mut sizes = vec![x.ncols()];
    sizes.extend(&o.hidden);
    sizes.push(1);
    let mlp = Mlp::new(&sizes, Activation::Tanh, Activation::Identity)?;
    let target = Array1::from(y.to_vec()).insert_axis(Axis(1));
    let objective = Supervised::new(&mlp, Loss::Mse, x.view(), target.view())?;
    let mut params = mlp.init_params(seed);
    let mut opt = OptimizerConfig::adam(o.lr).build()?;
    let cfg = TrainConfig {
        batch_size: o.batch,
        epochs: o.epochs,
        shuffle: Shuffle::EveryEpoch,
        seed: derive(seed, 1),
        label: "L-C2ST classifier".into(),
        ..TrainConfig::default()
    };
    train(&objective, None, &mut params, opt.as_mut(), &cfg, None)?;
    Ok(mlp.predict(&params, eval.view())?.column(0).to_vec())
}
