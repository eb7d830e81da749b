//! A trained neural posterior q(θ | x): the flow, the prior it was trained under, the noise
//! model of its training data, names and training metadata; sampling with rejection of
//! draws outside the prior support (spec A.3), for one or many observations; save and load.

use super::batch::{sample_batch, BatchSamples};
use super::combine::Gaussian2;
use super::error::InferError;
use super::prior::{Marginal, Prior};
use super::rejection::RejectionOptions;
use super::simulator::NoiseModel;
use crate::flow::io::{check_header, read_json, write_json};
use crate::flow::{FlowError, FlowTrainConfig, Maf, MafRecord, Sampler};
use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Format name of posterior files.
pub const POSTERIOR_FORMAT: &str = "galchem-posterior";
/// Version of the posterior file layout.
pub const POSTERIOR_VERSION: u32 = 1;

/// How the posterior was trained.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingInfo {
    /// Where x came from (`"chempy:tng"`, `"emulator:PATH"`, `"pairs"`, …).
    pub source: String,
    /// Simulations requested.
    pub n_sims: usize,
    /// Simulations that failed (excluded).
    pub n_failed: usize,
    /// Rows with non-finite values excluded before training.
    pub n_excluded: usize,
    /// Training and validation rows.
    pub n_train: usize,
    pub n_val: usize,
    /// Epochs run and the (0-based) epoch whose weights were kept.
    pub epochs: usize,
    pub best_epoch: Option<usize>,
    /// Best mean validation log q(θ | x).
    pub best_val_log_prob: f64,
    /// Seconds spent simulating and training.
    pub simulate_seconds: f64,
    pub train_seconds: f64,
    /// Seed of the whole pipeline.
    pub seed: u64,
    /// The training settings.
    pub train_config: FlowTrainConfig,
    /// Mean training and validation loss per epoch.
    pub train_loss: Vec<f64>,
    pub val_loss: Vec<f64>,
}

/// A trained posterior for the 6 parameters given 8 abundances.
#[derive(Debug, Clone, PartialEq)]
pub struct Posterior {
    flow: Maf,
    prior: Prior,
    /// The prior's marginals (cached: the support is checked for every draw).
    marginals: [Marginal; 6],
    noise: NoiseModel,
    param_names: Vec<String>,
    obs_names: Vec<String>,
    training: TrainingInfo,
}

impl Posterior {
    /// Assembles a posterior; the names must match the flow's dimensions (6 parameters).
    pub fn new(
        flow: Maf,
        prior: Prior,
        noise: NoiseModel,
        param_names: Vec<String>,
        obs_names: Vec<String>,
        training: TrainingInfo,
    ) -> Result<Posterior, InferError> {
        let p = Posterior {
            flow,
            marginals: prior.marginals(),
            prior,
            noise,
            param_names,
            obs_names,
            training,
        };
        p.check().map_err(|e| InferError::Shape {
            what: "posterior".into(),
            expected: "consistent dimensions".into(),
            found: e,
        })?;
        Ok(p)
    }

    fn check(&self) -> Result<(), String> {
        if self.flow.theta_dim() != 6 || self.param_names.len() != 6 {
            return Err(format!(
                "{} flow dimensions and {} parameter names (6 needed)",
                self.flow.theta_dim(),
                self.param_names.len()
            ));
        }
        if self.obs_names.len() != self.flow.x_dim() {
            return Err(format!(
                "{} observable names for a flow with {} inputs",
                self.obs_names.len(),
                self.flow.x_dim()
            ));
        }
        self.noise.validate(self.flow.x_dim())
    }

    /// The flow q(θ | x).
    pub fn flow(&self) -> &Maf {
        &self.flow
    }
    /// The prior the posterior was trained under.
    pub fn prior(&self) -> &Prior {
        &self.prior
    }
    /// The noise added to the training simulations.
    pub fn noise(&self) -> &NoiseModel {
        &self.noise
    }
    /// Parameter names, in order.
    pub fn param_names(&self) -> &[String] {
        &self.param_names
    }
    /// Observable names, in order.
    pub fn obs_names(&self) -> &[String] {
        &self.obs_names
    }
    /// Training metadata.
    pub fn training(&self) -> &TrainingInfo {
        &self.training
    }

    /// Whether θ (length 6) lies in the prior's support.
    pub fn in_support(&self, theta: &[f64]) -> bool {
        theta.len() == 6
            && self
                .marginals
                .iter()
                .zip(theta)
                .all(|(m, &v)| m.contains(v))
    }

    /// The prior of the two global parameters (α_IMF, log10 N_Ia) as a Gaussian, if the
    /// prior's first two marginals are normal (needed by the combination).
    pub fn global_prior(&self) -> Option<Gaussian2> {
        global_prior(&self.prior)
    }

    /// `n` posterior samples for the observation `x` (length 8, dex), shape `(n, 6)`;
    /// the same as row 0 of [`Posterior::sample_many`] with the same seed.
    pub fn sample(&self, x: &[f64], n: usize, seed: u64) -> Result<Array2<f64>, InferError> {
        let xs =
            Array2::from_shape_vec((1, x.len()), x.to_vec()).map_err(|e| InferError::Shape {
                what: "x".into(),
                expected: format!("{} values", self.flow.x_dim()),
                found: e.to_string(),
            })?;
        let b = self.sample_many(xs.view(), n, seed, &RejectionOptions::default())?;
        Ok(b.samples.index_axis_move(ndarray::Axis(0), 0))
    }

    /// `n` posterior samples for every row of `xs` `(m, 8)`: shape `(m, n, 6)`. Row i uses
    /// the random stream `rng::stream(seed, i)`: results are identical for any thread count.
    /// An observation whose draws (almost) never fall in the prior support is an error.
    pub fn sample_many(
        &self,
        xs: ArrayView2<f64>,
        n: usize,
        seed: u64,
        opts: &RejectionOptions,
    ) -> Result<BatchSamples, InferError> {
        let ids: Vec<u64> = (0..xs.nrows() as u64).collect();
        let (samples, results) = self.sample_ids(xs, &ids, n, seed, opts)?;
        let mut acceptance = Vec::with_capacity(results.len());
        for (index, r) in results.into_iter().enumerate() {
            match r {
                Ok(a) => acceptance.push(a),
                Err(source) => {
                    return Err(InferError::LowAcceptance {
                        index,
                        label: None,
                        source,
                    })
                }
            }
        }
        Ok(BatchSamples {
            samples,
            acceptance,
        })
    }

    /// Like [`Posterior::sample_many`] with explicit stream ids (e.g. catalog rows) and the
    /// per-row outcome instead of an error.
    pub fn sample_ids(
        &self,
        xs: ArrayView2<f64>,
        ids: &[u64],
        n: usize,
        seed: u64,
        opts: &RejectionOptions,
    ) -> Result<(ndarray::Array3<f64>, Vec<super::batch::ObsResult>), InferError> {
        if xs.ncols() != self.flow.x_dim() || ids.len() != xs.nrows() {
            return Err(InferError::Shape {
                what: "observations".into(),
                expected: format!("(m, {}) with m stream ids", self.flow.x_dim()),
                found: format!("{:?} with {} ids", xs.dim(), ids.len()),
            });
        }
        if n == 0 {
            return Err(InferError::option("samples", 0, "must be at least 1"));
        }
        let sampler = Sampler::new(&self.flow);
        let support = |t: &[f64]| self.in_support(t);
        Ok(sample_batch(&sampler, xs, ids, n, seed, &support, opts)?)
    }

    /// The flow's log q(θ | x) for every row (−∞ outside the prior support). Not
    /// renormalised for the mass outside the support (sbi's `log_prob` subtracts
    /// ln(acceptance)); this is the quantity the validation loss measures.
    pub fn log_prob(
        &self,
        theta: ArrayView2<f64>,
        x: ArrayView2<f64>,
    ) -> Result<Vec<f64>, InferError> {
        let mut lp = self.flow.log_prob(theta, x)?;
        for (l, row) in lp.iter_mut().zip(theta.rows()) {
            if !row.as_slice().is_some_and(|r| self.in_support(r)) {
                *l = f64::NEG_INFINITY;
            }
        }
        Ok(lp)
    }

    /// Writes the posterior as JSON to `path` (atomic write).
    pub fn save(&self, path: &Path) -> Result<(), InferError> {
        let file = PosteriorFile {
            format: POSTERIOR_FORMAT.into(),
            version: POSTERIOR_VERSION,
            param_names: self.param_names.clone(),
            obs_names: self.obs_names.clone(),
            prior: self.prior.clone(),
            noise: self.noise.clone(),
            training: self.training.clone(),
            flow: self.flow.to_record(),
        };
        Ok(write_json(path, &file)?)
    }

    /// Reads a posterior written by [`Posterior::save`]; a corrupt file, another format or
    /// version, or inconsistent contents give an error naming the file and the problem.
    pub fn load(path: &Path) -> Result<Posterior, InferError> {
        let bad = |m: String| {
            InferError::Flow(FlowError::BadFile {
                path: path.to_path_buf(),
                format: POSTERIOR_FORMAT,
                message: m,
            })
        };
        let value = read_json(path, POSTERIOR_FORMAT)?;
        check_header(path, &value, POSTERIOR_FORMAT, POSTERIOR_VERSION)?;
        let f: PosteriorFile = serde_json::from_value(value).map_err(|e| bad(e.to_string()))?;
        let flow = Maf::from_record(f.flow).map_err(bad)?;
        let p = Posterior {
            flow,
            marginals: f.prior.marginals(),
            prior: f.prior,
            noise: f.noise,
            param_names: f.param_names,
            obs_names: f.obs_names,
            training: f.training,
        };
        p.check().map_err(bad)?;
        Ok(p)
    }
}

#[derive(Serialize, Deserialize)]
struct PosteriorFile {
    format: String,
    version: u32,
    param_names: Vec<String>,
    obs_names: Vec<String>,
    prior: Prior,
    noise: NoiseModel,
    training: TrainingInfo,
    flow: MafRecord,
}

/// The Gaussian prior of (α_IMF, log10 N_Ia) from a prior's first two marginals, if they
/// are normal.
pub fn global_prior(prior: &Prior) -> Option<Gaussian2> {
    let m = prior.marginals();
    match (m.first()?, m.get(1)?) {
        (Marginal::Normal { mean: m0, std: s0 }, Marginal::Normal { mean: m1, std: s1 }) => {
            Some(Gaussian2::independent([*m0, *m1], [*s0, *s1]))
        }
        _ => None,
    }
}
