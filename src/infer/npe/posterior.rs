//! A trained neural posterior q(θ | x): the flow, the prior it was trained under, the noise
//! model of its training data, the observable names and training metadata; sampling with
//! rejection of draws outside the prior support (spec A.3), for one or many observations;
//! save and load in the [`crate::envelope`].

use super::rejection::RejectionOptions;
use crate::envelope::{self, Format};
use crate::error::Vocabulary;
use crate::error::{ErrorKind, FileError, ShapeError};
use crate::flow::{FlowTrainConfig, Maf, MafRecord, Sampler};
use crate::infer::catalog::systematic::SystematicFloor;

/// The combination whose floor [`NeuralPosterior::floor`] returns first.
pub const DEFAULT_FLOOR_METHOD: &str = "divide_prior";
use crate::infer::error::InferError;
use crate::infer::survey::ContextEncoding;
use crate::model::{
    Accepts, DrawsResult, ModelError, NoiseModel, ObservedRows, ParamSpace, Posterior, Prior,
};
use crate::stats::Draws;
use ndarray::{Array2, ArrayView2};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Format name of posterior files.
pub const POSTERIOR_FORMAT: &str = "galchem-posterior";

/// The posterior file format: version 2 is the envelope; version 1 (the fields beside the
/// header, the paper's prior stored as its configuration) is still read.
pub const FORMAT: Format = Format {
    name: POSTERIOR_FORMAT,
    version: 2,
    oldest_readable: 1,
};

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
    /// How training ended (`interrupted` after Ctrl-C: the weights are the best so far);
    /// posteriors saved before galchem recorded it read as `completed`.
    #[serde(default)]
    pub termination: crate::nn::Termination,
    /// The epoch at which the training call resumed from its checkpoint (`None`: it
    /// started afresh).
    #[serde(default)]
    pub resumed_from_epoch: Option<usize>,
}

/// A trained neural posterior q(θ | x) over the parameters of its prior.
#[derive(Debug, Clone, PartialEq)]
pub struct NeuralPosterior {
    flow: Maf,
    prior: Prior,
    noise: NoiseModel,
    obs_names: Vec<String>,
    training: TrainingInfo,
    /// How missing values and errors enter the flow's context (a survey posterior), if
    /// they do; `None`: the context is the observed values.
    encoding: Option<ContextEncoding>,
    /// The systematic floors measured on mock galaxies, at most one per combination
    /// method (saved).
    floors: Vec<SystematicFloor>,
    /// How draws outside the prior support are rejected (not saved).
    rejection: RejectionOptions,
}

/// The body of a posterior file.
#[derive(Serialize, Deserialize)]
struct PosteriorFile {
    param_names: Vec<String>,
    obs_names: Vec<String>,
    prior: serde_json::Value,
    noise: NoiseModel,
    training: TrainingInfo,
    flow: MafRecord,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    encoding: Option<ContextEncoding>,
    /// One floor (files written before floors were kept per method).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    floor: Option<SystematicFloor>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    floors: Vec<SystematicFloor>,
}

impl NeuralPosterior {
    /// Assembles a posterior; the flow's dimensions must match the prior's parameters and
    /// the observable names.
    pub fn new(
        flow: Maf,
        prior: Prior,
        noise: NoiseModel,
        obs_names: Vec<String>,
        training: TrainingInfo,
    ) -> Result<NeuralPosterior, InferError> {
        let p = NeuralPosterior {
            flow,
            prior,
            noise,
            obs_names,
            training,
            encoding: None,
            floors: Vec::new(),
            rejection: RejectionOptions::default(),
        };
        p.check()
            .map_err(|e| ShapeError::new("posterior", "consistent dimensions", e))?;
        Ok(p)
    }

    /// Assembles a survey posterior whose flow conditions on `encoding`'s context (values,
    /// missing-value flags, errors) of the observables `obs_names`.
    pub fn with_encoding(
        flow: Maf,
        prior: Prior,
        noise: NoiseModel,
        obs_names: Vec<String>,
        training: TrainingInfo,
        encoding: ContextEncoding,
    ) -> Result<NeuralPosterior, InferError> {
        let p = NeuralPosterior {
            flow,
            prior,
            noise,
            obs_names,
            training,
            encoding: Some(encoding),
            floors: Vec::new(),
            rejection: RejectionOptions::default(),
        };
        p.check()
            .map_err(|e| ShapeError::new("posterior", "consistent dimensions", e))?;
        Ok(p)
    }

    /// The context layout of a survey posterior (`None` for a plain one).
    pub fn encoding(&self) -> Option<&ContextEncoding> {
        self.encoding.as_ref()
    }

    /// The flow's context for every observation: the values themselves, or their encoding
    /// with missing-value flags and errors (`(m, width)`).
    fn contexts(&self, obs: &ObservedRows<'_>) -> Array2<f64> {
        let Some(enc) = &self.encoding else {
            return obs.values.to_owned();
        };
        let m = obs.values.nrows();
        let mut out = Array2::zeros((m, enc.width()));
        for (i, mut row) in out.rows_mut().into_iter().enumerate() {
            let x = obs.values.row(i).to_vec();
            let miss = obs.missing.map(|a| a.row(i).to_vec());
            let sig = obs.errors.map(|a| a.row(i).to_vec());
            if let Some(dest) = row.as_slice_mut() {
                enc.encode_into(&x, miss.as_deref(), sig.as_deref(), dest);
            }
        }
        out
    }

    fn check(&self) -> Result<(), String> {
        if let Some(e) = &self.encoding {
            if e.k() != self.obs_names.len() || e.width() != self.flow.x_dim() {
                return Err(format!(
                    "a context of {} values for {} observables and a flow with {} inputs",
                    e.width(),
                    self.obs_names.len(),
                    self.flow.x_dim()
                ));
            }
            return Ok(());
        }
        if self.flow.theta_dim() != self.prior.dim() {
            return Err(format!(
                "a flow of {} dimensions for a prior over {} parameters",
                self.flow.theta_dim(),
                self.prior.dim()
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
    /// The noise added to the training simulations.
    pub fn noise(&self) -> &NoiseModel {
        &self.noise
    }
    /// Parameter names, in order.
    pub fn param_names(&self) -> Vec<String> {
        self.prior.space().name_strings()
    }
    /// Observable names, in order.
    pub fn obs_names(&self) -> &[String] {
        &self.obs_names
    }
    /// Training metadata.
    pub fn training(&self) -> &TrainingInfo {
        &self.training
    }
    /// The same posterior with other rejection settings for its draws.
    pub fn with_rejection(mut self, rejection: RejectionOptions) -> Self {
        self.rejection = rejection;
        self
    }

    /// The rejection settings of its draws.
    pub fn rejection(&self) -> &RejectionOptions {
        &self.rejection
    }

    /// The same posterior with other training metadata.
    pub fn with_training(mut self, training: TrainingInfo) -> Self {
        self.training = training;
        self
    }

    /// Whether θ lies in the prior's support.
    pub fn in_support(&self, theta: &[f64]) -> bool {
        self.prior.in_support(theta)
    }

    /// `n` draws for every row of `xs` `(m, C)` with explicit stream ids (e.g. catalog
    /// rows): values `(m, n, D)` and per row the acceptance rate or why it failed. Row i
    /// uses the random stream `rng::stream(seed, ids[i])`: results are identical for any
    /// thread count.
    pub fn sample_ids(
        &self,
        xs: ArrayView2<f64>,
        ids: &[u64],
        n: usize,
        seed: u64,
        opts: &RejectionOptions,
    ) -> Result<(ndarray::Array3<f64>, Vec<super::batch::ObsResult>), InferError> {
        let obs = ObservedRows {
            values: xs,
            missing: None,
            errors: None,
        };
        self.sample_ids_observed(&obs, ids, n, seed, opts)
    }

    /// [`NeuralPosterior::sample_ids`] with every row's missing-value flags and errors
    /// (used by a survey posterior, ignored by a plain one).
    pub fn sample_ids_observed(
        &self,
        obs: &ObservedRows<'_>,
        ids: &[u64],
        n: usize,
        seed: u64,
        opts: &RejectionOptions,
    ) -> Result<(ndarray::Array3<f64>, Vec<super::batch::ObsResult>), InferError> {
        let ctx = self.sampling_context(obs, ids, n)?;
        let sampler = Sampler::new(&self.flow);
        let support = |t: &[f64]| self.in_support(t);
        let rows = super::batch::sample_rows(&sampler, ctx.view(), ids, n, seed, &support, opts)?;
        Ok(super::batch::stack(rows, n, self.flow.theta_dim()))
    }

    /// The flow's contexts of `obs` after checking it and the number of draws `n` (≥ 1).
    fn sampling_context(
        &self,
        obs: &ObservedRows<'_>,
        ids: &[u64],
        n: usize,
    ) -> Result<Array2<f64>, InferError> {
        crate::model::posterior::check_observations(&self.obs_names, &obs.values, ids)?;
        if n == 0 {
            return Err(InferError::option("samples", 0, "must be at least 1"));
        }
        Ok(self.contexts(obs))
    }

    /// The flow's log q(θ | x) for every row (−∞ outside the prior support). Not
    /// renormalised for the mass outside the support (sbi's `log_prob` subtracts
    /// ln(acceptance)); this is the quantity the validation loss measures.
    pub fn flow_log_prob(
        &self,
        theta: ArrayView2<f64>,
        x: ArrayView2<f64>,
    ) -> Result<Vec<f64>, InferError> {
        let obs = ObservedRows {
            values: x,
            missing: None,
            errors: None,
        };
        let ctx = self.contexts(&obs);
        let mut lp = self.flow.log_prob(theta, ctx.view())?;
        for (l, row) in lp.iter_mut().zip(theta.rows()) {
            if !row.as_slice().is_some_and(|r| self.in_support(r)) {
                *l = f64::NEG_INFINITY;
            }
        }
        Ok(lp)
    }

    /// The same posterior carrying the systematic floor `floor` of the combination method
    /// `floor.method` (measured by `calib::estimate_floor` on mock galaxies), saved with it;
    /// it replaces that method's floor. `None` drops every floor.
    pub fn with_floor(mut self, floor: Option<SystematicFloor>) -> Self {
        match floor {
            None => self.floors.clear(),
            Some(f) => {
                self.floors.retain(|g| g.method != f.method);
                self.floors.push(f);
            }
        }
        self
    }

    /// The floor of galchem's default combination (`divide_prior`) if the posterior carries
    /// one, else its first floor.
    pub fn floor(&self) -> Option<&SystematicFloor> {
        self.floor_for(DEFAULT_FLOOR_METHOD)
            .or_else(|| self.floors.first())
    }

    /// The floor measured for combination `method` (`divide_prior`, `exact_kde`, …), if any.
    pub fn floor_for(&self, method: &str) -> Option<&SystematicFloor> {
        self.floors.iter().find(|f| f.method == method)
    }

    /// Every floor the posterior carries, one per method.
    pub fn floors(&self) -> &[SystematicFloor] {
        &self.floors
    }

    /// Writes the posterior to `path` (atomically).
    pub fn save(&self, path: &Path) -> Result<(), InferError> {
        let file = PosteriorFile {
            param_names: self.param_names(),
            obs_names: self.obs_names.clone(),
            prior: serde_json::to_value(&self.prior).map_err(|e| FileError::io(path, e))?,
            noise: self.noise.clone(),
            training: self.training.clone(),
            flow: self.flow.to_record(),
            encoding: self.encoding.clone(),
            floor: None,
            floors: self.floors.clone(),
        };
        Ok(envelope::save(path, &FORMAT, &file)?)
    }

    /// Reads a posterior written by [`NeuralPosterior::save`] (or by an earlier galchem); a
    /// corrupt file, another format, a newer version or inconsistent contents give an error
    /// naming the file and the problem.
    pub fn load(path: &Path) -> Result<NeuralPosterior, InferError> {
        let bad = |m: String| InferError::File(FileError::unusable(path, POSTERIOR_FORMAT, m));
        let raw = envelope::load::<PosteriorFile>(path, &FORMAT)?;
        let f = raw.body;
        let prior = if raw.version == 1 {
            crate::gce::inference::legacy_prior(&f.prior).map_err(bad)?
        } else {
            serde_json::from_value::<Prior>(f.prior).map_err(|e| bad(format!("prior: {e}")))?
        };
        if prior.space().name_strings() != f.param_names {
            return Err(bad(format!(
                "parameter names {:?} do not match the prior's {:?}",
                f.param_names,
                prior.space().names()
            )));
        }
        let flow = Maf::from_record(f.flow).map_err(bad)?;
        let legacy = f.floor;
        let p = NeuralPosterior {
            flow,
            prior,
            noise: f.noise,
            obs_names: f.obs_names,
            training: f.training,
            encoding: f.encoding,
            floors: f.floors,
            rejection: RejectionOptions::default(),
        };
        p.check().map_err(bad)?;
        Ok(match legacy {
            Some(old) if p.floor_for(&old.method).is_none() => p.with_floor(Some(old)),
            _ => p,
        })
    }
}

/// A per-row failure of the rejection sampler as a [`ModelError`].
fn low_acceptance(e: super::rejection::LowAcceptance) -> ModelError {
    ModelError::Unusable {
        kind: ErrorKind::LowAcceptance,
        message: e.to_string(),
    }
}

impl Posterior for NeuralPosterior {
    fn describe(&self) -> String {
        format!(
            "neural posterior trained on {} simulations of {}",
            self.training.n_sims, self.training.source
        )
    }

    /// A hash of the flow's weights, the prior, the noise model and the names.
    fn fingerprint(&self) -> String {
        let json = serde_json::to_string(&(
            self.flow.to_record(),
            &self.prior,
            &self.noise,
            &self.obs_names,
        ))
        .unwrap_or_default();
        let mut h = crate::nn::checkpoint::hash::DataHash::new();
        h.str(&json);
        format!(
            "neural-posterior:{}",
            crate::nn::checkpoint::hash::hex(h.finish())
        )
    }

    fn space(&self) -> &ParamSpace {
        self.prior.space()
    }

    fn observables(&self) -> &[String] {
        &self.obs_names
    }

    fn prior(&self) -> &Prior {
        &self.prior
    }

    fn noise(&self) -> Option<&NoiseModel> {
        Some(&self.noise)
    }

    /// The same draws as row 0 of [`Posterior::sample_many`] with id 0.
    fn sample(&self, x: &[f64], n: usize, seed: u64) -> Result<Draws, ModelError> {
        if !self.accepts().missing {
            if let Some(j) = x.iter().position(|v| !v.is_finite()) {
                let name = self.obs_names.get(j).map_or("?", String::as_str);
                return Err(ModelError::Unusable {
                    kind: crate::error::ErrorKind::Input,
                    message: format!(
                        "observation: {name} = {} is not a finite value; this posterior needs \
                         every observable (train one with `missing` to accept gaps)",
                        x[j]
                    ),
                });
            }
        }
        let xs = Array2::from_shape_vec((1, x.len()), x.to_vec())
            .map_err(|e| ShapeError::new("x", self.obs_names.len(), e))?;
        let mut rows = self.sample_many(xs.view(), &[0], n, seed)?;
        rows.pop()
            .unwrap_or_else(|| Err(ShapeError::new("x", "one observation", "none").into()))
    }

    /// Row i uses the random stream `rng::stream(seed, ids[i])`.
    fn sample_many(
        &self,
        xs: ArrayView2<f64>,
        ids: &[u64],
        n: usize,
        seed: u64,
    ) -> Result<Vec<DrawsResult>, ModelError> {
        let obs = ObservedRows {
            values: xs,
            missing: None,
            errors: None,
        };
        self.sample_observed(obs, ids, n, seed)
    }

    fn accepts(&self) -> Accepts {
        self.encoding
            .as_ref()
            .map_or(Accepts::default(), |e| Accepts {
                missing: e.masks,
                errors: e.sigma_range.is_some(),
            })
    }

    /// Row i uses the random stream `rng::stream(seed, ids[i])`.
    fn sample_observed(
        &self,
        obs: ObservedRows<'_>,
        ids: &[u64],
        n: usize,
        seed: u64,
    ) -> Result<Vec<DrawsResult>, ModelError> {
        let ctx = self.sampling_context(&obs, ids, n)?;
        let sampler = Sampler::new(&self.flow);
        let support = |t: &[f64]| self.in_support(t);
        let rows = super::batch::sample_rows(
            &sampler,
            ctx.view(),
            ids,
            n,
            seed,
            &support,
            &self.rejection,
        )
        .map_err(InferError::from)?;
        // one star per task: checking 10⁶ × 6 values would otherwise run on one core
        Ok(rows
            .into_par_iter()
            .map(|row| match row {
                Ok((v, acc)) => Ok(Draws::new(v)?.with_acceptance(acc)),
                Err(e) => Err(low_acceptance(e)),
            })
            .collect())
    }

    fn log_prob(
        &self,
        theta: ArrayView2<f64>,
        x: ArrayView2<f64>,
    ) -> Option<Result<Vec<f64>, ModelError>> {
        Some(self.flow_log_prob(theta, x).map_err(ModelError::from))
    }
}
