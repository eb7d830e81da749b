//! Training a survey posterior: the NPE pipeline of [`crate::infer::npe::pipeline`] with, for
//! every simulation, `copies` noisy versions in which each observable gets its own error σ
//! (log-uniform over `sigma_range`, dex) and is masked with probability `missing_rate`
//! (never leaving fewer than `min_present` observables). The flow learns q(θ | x̃, m, ln σ)
//! ([`super::ContextEncoding`]), so one posterior serves any pattern of missing elements and
//! every star's own errors.
//!
//! Seeds: θ `derive(seed, 0)`, errors, noise and masks `derive(seed, 1)` (chunks of 4096 rows
//! with their own streams), the flow `derive(seed, 2)`, the split and batches `derive(seed,
//! 3)`: the result does not depend on the number of threads.

use super::encoding::ContextEncoding;
use crate::error::Vocabulary;
use crate::flow::{self, FlowConfig, FlowTrainConfig};
use crate::infer::error::InferError;
use crate::infer::npe::pipeline::training_info;
use crate::infer::npe::simulate::simulate_rows;
use crate::infer::npe::{NeuralPosterior, NpeOptions, NpeReport, PAPER_NOISE_DEX};
use crate::model::{NoiseModel, Prior, Simulator};
use crate::nn::Observer;
use crate::rng::derive;
use ndarray::{Array2, ArrayView2, Axis};
use rand::Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::time::Instant;

/// How the training pairs of a survey posterior are made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SurveyOptions {
    /// Probability that an observable is masked in a training copy (0: the posterior does
    /// not accept missing values).
    pub missing_rate: f64,
    /// Range `[low, high]` (dex) of the per-value errors, drawn log-uniformly; `None`: fixed
    /// noise (the pipeline's `noise`, else 0.05 dex), errors are not an input.
    pub sigma_range: Option<[f64; 2]>,
    /// Noisy (and masked) copies of every simulation.
    pub copies: usize,
    /// Fewest observables left unmasked in a training copy.
    pub min_present: usize,
}

impl Default for SurveyOptions {
    fn default() -> Self {
        SurveyOptions {
            missing_rate: 0.15,
            sigma_range: Some([0.01, 0.2]),
            copies: 2,
            min_present: 2,
        }
    }
}

impl SurveyOptions {
    /// Checks the ranges.
    pub fn validate(&self, k: usize) -> Result<(), InferError> {
        if !(0.0..1.0).contains(&self.missing_rate) {
            return Err(InferError::option(
                "missing_rate",
                self.missing_rate,
                "must be in [0, 1)",
            ));
        }
        if let Some([lo, hi]) = self.sigma_range {
            if !(lo > 0.0 && hi >= lo && hi.is_finite()) {
                return Err(InferError::option(
                    "errors",
                    format!("[{lo}, {hi}]"),
                    "must be a range 0 < low <= high (dex)",
                ));
            }
        }
        if self.copies == 0 {
            return Err(InferError::option("copies", 0, "must be at least 1"));
        }
        if self.min_present == 0 || self.min_present > k {
            return Err(InferError::option(
                "min_present",
                self.min_present,
                format!("must be between 1 and the {k} observables"),
            ));
        }
        Ok(())
    }
}

/// Rows per random stream.
const CHUNK: usize = 4096;

/// The contexts `(copies·n, width)` of the noise-free outputs `x` `(n, k)`: copy c of row r
/// is row `c·n + r`.
fn contexts(
    x: ArrayView2<f64>,
    enc: &ContextEncoding,
    o: &SurveyOptions,
    noise: &[f64],
    seed: u64,
) -> Array2<f64> {
    let (n, k) = x.dim();
    let mut out = Array2::<f64>::zeros((n * o.copies, enc.width()));
    out.axis_chunks_iter_mut(Axis(0), CHUNK)
        .into_par_iter()
        .enumerate()
        .for_each(|(c, mut chunk)| {
            let mut rng = crate::rng::stream(seed, c as u64);
            let (mut v, mut m, mut s) = (vec![0.0; k], vec![false; k], vec![0.0; k]);
            for (i, mut row) in chunk.rows_mut().into_iter().enumerate() {
                let src = x.row((c * CHUNK + i) % n);
                for j in 0..k {
                    s[j] = match o.sigma_range {
                        Some([lo, hi]) => (lo.ln() + rng.gen::<f64>() * (hi / lo).ln()).exp(),
                        None => noise[j],
                    };
                    let z: f64 =
                        rand_distr::Distribution::sample(&rand_distr::StandardNormal, &mut rng);
                    v[j] = src[j] + s[j] * z;
                    m[j] = enc.masks && rng.gen::<f64>() < o.missing_rate;
                }
                while m.iter().filter(|b| !**b).count() < o.min_present {
                    let j = rng.gen_range(0..k);
                    m[j] = false;
                }
                if let Some(dest) = row.as_slice_mut() {
                    enc.encode_into(&v, Some(&m), Some(&s), dest);
                }
            }
        });
    out
}

/// Simulates θ ~ `prior` with `sim` and trains a survey posterior (see the module
/// documentation); `opts` are the pipeline's settings (`n_sims`, `noise` when
/// `survey.sigma_range` is `None`, flow, training, seed).
pub fn train_survey_npe(
    prior: &Prior,
    sim: &dyn Simulator,
    opts: &NpeOptions,
    survey: &SurveyOptions,
    observer: Option<&mut dyn Observer>,
) -> Result<(NeuralPosterior, NpeReport), InferError> {
    let started = Instant::now();
    let k = sim.output_names().len();
    survey.validate(k)?;
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
    let simulate_seconds = started.elapsed().as_secs_f64();
    let good: Vec<usize> = (0..opts.n_sims)
        .filter(|&r| x.row(r).iter().all(|v| v.is_finite()))
        .collect();
    if good.is_empty() {
        return Err(InferError::option(
            "n_sims",
            opts.n_sims,
            "no simulation succeeded",
        ));
    }
    let (theta, x) = (theta.select(Axis(0), &good), x.select(Axis(0), &good));
    let noise = opts
        .noise
        .clone()
        .unwrap_or_else(|| NoiseModel::uniform(k, PAPER_NOISE_DEX));
    noise
        .validate(k)
        .map_err(|e| InferError::option("noise", format!("{:?}", noise.sigma), e))?;
    if let Some(s) = noise.model_error {
        return Err(InferError::option(
            "model_error",
            s,
            "a survey posterior (missing elements or per-star errors) has no model-error term yet",
        ));
    }
    let enc = ContextEncoding {
        fill: x.mean_axis(Axis(0)).map(|m| m.to_vec()).unwrap_or_default(),
        masks: survey.missing_rate > 0.0,
        sigma_range: survey.sigma_range,
        default_sigma: PAPER_NOISE_DEX,
    };
    let ctx = contexts(x.view(), &enc, survey, &noise.sigma, derive(opts.seed, 1));
    let reps: Vec<ArrayView2<f64>> = (0..survey.copies).map(|_| theta.view()).collect();
    let theta_all = ndarray::concatenate(Axis(0), &reps)
        .map_err(|e| InferError::shape("training θ", "copies of θ", e.to_string()))?;
    let fc = FlowConfig {
        seed: derive(opts.seed, 2),
        ..opts.flow.clone()
    };
    let tc = FlowTrainConfig {
        seed: derive(opts.seed, 3),
        ..opts.train.clone()
    };
    let (maf, tr) = flow::train_with(theta_all.view(), ctx.view(), &fc, &tc, observer)?;
    let mut info = training_info(&sim.describe(), opts.n_sims, opts.seed, tc, &tr);
    info.n_failed = opts.n_sims - good.len();
    info.simulate_seconds = simulate_seconds;
    let noise = if enc.sigma_range.is_some() {
        NoiseModel::uniform(k, PAPER_NOISE_DEX)
    } else {
        noise
    };
    let names = sim.output_names().to_vec();
    let post = NeuralPosterior::with_encoding(maf, prior.clone(), noise, names, info, enc)?;
    let report = NpeReport {
        n_sims: opts.n_sims,
        n_failed: opts.n_sims - good.len(),
        simulate_seconds,
        train: tr,
        total_seconds: started.elapsed().as_secs_f64(),
    };
    Ok((post, report))
}

/// The checkpoint file name of one survey training call: that of the plain pipeline
/// ([`crate::infer::npe::pipeline::checkpoint_name`]) with the survey options hashed in.
pub fn checkpoint_name(
    prior: &Prior,
    sim: &dyn Simulator,
    opts: &NpeOptions,
    survey: &SurveyOptions,
) -> String {
    let base = crate::infer::npe::pipeline::checkpoint_name(prior, sim, opts);
    let mut h = crate::nn::checkpoint::hash::DataHash::new();
    h.str(&base)
        .str(&serde_json::to_string(survey).unwrap_or_default());
    format!(
        "npe-survey-{}.json",
        crate::nn::checkpoint::hash::hex(h.finish())
    )
}
