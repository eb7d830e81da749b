//! The CHEMPY emulator (paper §2.2, spec A.5): an MLP from the six model parameters θ
//! (alpha_imf, log10_n_ia, log10_sfe, log10_sfr_peak, x_out, birth_time in Gyr) to the eight
//! abundances (C_Fe, Fe_H, He_Fe, Mg_Fe, N_Fe, Ne_Fe, O_Fe, Si_Fe, dex), trained on
//! simulator runs.
//!
//! By default inputs and outputs are z-scored with statistics of the training split
//! (`u = (θ − μθ)/σθ`, `v = (y − μy)/σy`); the network learns v(u) and predictions are
//! mapped back, `ŷ = μy + σy·v̂`. With `paper: true` the network sees raw θ and raw y.
//! Interfaces are f64; the network computes in f32.

mod data;
mod file;
mod fit;
mod forward;
mod options;
mod precise;
mod report;

pub use file::{FORMAT_NAME, FORMAT_VERSION};
pub use fit::checkpoint_name;
pub use options::{EmulatorOptions, ABUNDANCE_NAMES, MIN_STD, PARAMETER_NAMES};
pub use report::{cdf_grid, EmulatorReport, ErrorStats, CDF_MAX_APE, CDF_POINTS};

use super::{Loss, Mlp, MlpWorkspace, NnError, Scaler, VarianceHead};
use crate::error::{RowsVocabulary, Vocabulary};
use ndarray::{s, Array2, Array3, ArrayView2, ArrayViewMut2, Axis};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Rows per parallel task in prediction.
const PREDICT_CHUNK: usize = 512;

/// What happened when an emulator was trained (stored in its file).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainReport {
    /// Rows given for training (before cleaning and the validation split).
    pub n_rows: usize,
    /// Rows excluded because θ or y held a NaN or infinite value.
    pub n_excluded_nonfinite: usize,
    /// Rows excluded because all their outputs were exactly 0 (failed CHEMPY runs).
    pub n_excluded_all_zero: usize,
    /// Rows trained on.
    pub n_train: usize,
    /// Validation rows (split off or given).
    pub n_val: usize,
    /// `"split"`, `"given"` or `"none"`.
    pub validation: String,
    /// Completed epochs.
    pub epochs: usize,
    /// Optimizer steps.
    pub steps: u64,
    /// Seconds spent in the training loop.
    pub train_seconds: f64,
    /// Mean training loss of every epoch (in the network's, possibly z-scored, units).
    pub train_loss: Vec<f64>,
    /// Validation loss after every epoch (same units).
    pub val_loss: Vec<f64>,
    /// Validation mean squared error of the final model in raw units (dex²).
    pub val_mse: Option<f64>,
    /// Epoch with the best validation loss.
    pub best_epoch: Option<usize>,
    /// Whether training ended before the epoch limit.
    pub stopped_early: bool,
    /// How training ended (files written before galchem recorded it: `completed`).
    #[serde(default)]
    pub termination: crate::nn::Termination,
    /// The epoch at which the training call resumed from its checkpoint (`None`: it
    /// started afresh).
    #[serde(default)]
    pub resumed_from_epoch: Option<usize>,
    /// The options used.
    pub options: EmulatorOptions,
    /// The galchem version that trained the model.
    pub galchem_version: String,
}

/// A trained emulator: network, parameters, scalers, names and training metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct Emulator {
    mlp: Mlp,
    params: Vec<f32>,
    loss: Loss,
    input_scaler: Scaler,
    output_scaler: Scaler,
    input_names: Vec<String>,
    output_names: Vec<String>,
    training: TrainReport,
    /// The inputs as a parameter space (CHEMPY's globals and bounds where the names match).
    space: crate::model::ParamSpace,
    /// Where the emulator came from (its file), for descriptions; empty when trained here.
    label: String,
}

impl Emulator {
    /// Number of inputs (parameters).
    pub fn n_inputs(&self) -> usize {
        self.mlp.n_in()
    }

    /// Number of outputs (abundances).
    pub fn n_outputs(&self) -> usize {
        self.output_names.len()
    }

    /// Input (parameter) names.
    pub fn input_names(&self) -> &[String] {
        &self.input_names
    }

    /// Output (abundance) names.
    pub fn output_names(&self) -> &[String] {
        &self.output_names
    }

    /// The network architecture.
    pub fn mlp(&self) -> &Mlp {
        &self.mlp
    }

    /// The flat f32 parameter vector.
    pub fn params(&self) -> &[f32] {
        &self.params
    }

    /// The training loss.
    pub fn loss(&self) -> Loss {
        self.loss
    }

    /// The input and output scalers (identity maps under `paper`).
    pub fn scalers(&self) -> (&Scaler, &Scaler) {
        (&self.input_scaler, &self.output_scaler)
    }

    /// Training metadata.
    pub fn training(&self) -> &TrainReport {
        &self.training
    }

    /// The label in descriptions (the file it was loaded from).
    pub fn label(&self) -> &str {
        &self.label
    }

    /// The same emulator with another label (e.g. the file it was loaded from).
    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }

    fn check_inputs(&self, theta: &ArrayView2<f64>) -> Result<(), NnError> {
        if theta.ncols() != self.n_inputs() {
            return Err(NnError::shape(
                format!("emulator inputs ({})", self.input_names.join(", ")),
                format!("{} columns", self.n_inputs()),
                format!("{} columns", theta.ncols()),
            ));
        }
        Ok(())
    }

    /// Scales one chunk of θ into `xb`, runs the network, and returns its raw outputs.
    fn forward_chunk<'w>(
        &self,
        theta: ArrayView2<f64>,
        xb: &mut Array2<f32>,
        ws: &'w mut MlpWorkspace,
    ) -> ArrayView2<'w, f32> {
        let n = theta.nrows();
        let (m, sd) = (&self.input_scaler.mean, &self.input_scaler.std);
        for (mut dst, src) in xb.rows_mut().into_iter().zip(theta.rows()) {
            for j in 0..src.len() {
                dst[j] = ((src[j] - m[j]) / sd[j]) as f32;
            }
        }
        self.mlp.forward(&self.params, xb.slice(s![..n, ..]), ws)
    }

    /// Writes a chunk's outputs in raw units: the means, or (`std_dev`) the standard
    /// deviations of a Gaussian-NLL model.
    fn unscale(&self, net: ArrayView2<f32>, mut out: ArrayViewMut2<f64>, std_dev: bool) {
        let d = self.n_outputs();
        let (m, sd) = (&self.output_scaler.mean, &self.output_scaler.std);
        for (mut o, r) in out.rows_mut().into_iter().zip(net.rows()) {
            for j in 0..d {
                o[j] = if std_dev {
                    let h = f64::from(r[d + j]);
                    let var = match self.loss {
                        Loss::GaussianNll(VarianceHead::Variance) => {
                            h.max(super::loss::VARIANCE_FLOOR)
                        }
                        _ => h.exp(),
                    };
                    sd[j] * var.sqrt()
                } else {
                    m[j] + sd[j] * f64::from(r[j])
                };
            }
        }
    }

    fn run(&self, theta: ArrayView2<f64>, std_dev: bool) -> Result<Array2<f64>, NnError> {
        self.check_inputs(&theta)?;
        let mut out = Array2::zeros((theta.nrows(), self.n_outputs()));
        out.axis_chunks_iter_mut(Axis(0), PREDICT_CHUNK)
            .into_par_iter()
            .zip(theta.axis_chunks_iter(Axis(0), PREDICT_CHUNK))
            .for_each_init(
                || {
                    (
                        Array2::<f32>::zeros((PREDICT_CHUNK, self.n_inputs())),
                        self.mlp.workspace(PREDICT_CHUNK),
                    )
                },
                |(xb, ws), (o, t)| {
                    let net = self.forward_chunk(t, xb, ws);
                    self.unscale(net, o, std_dev);
                },
            );
        Ok(out)
    }

    /// Predicted outputs (dex) for every row of `theta` `(n, n_inputs)` → `(n, n_outputs)`,
    /// in parallel. A row with a non-finite parameter gives NaN outputs.
    pub fn predict(&self, theta: ArrayView2<f64>) -> Result<Array2<f64>, NnError> {
        self.run(theta, false)
    }

    /// Predicted standard deviations `(n, n_outputs)` (dex) of a model trained with the
    /// Gaussian NLL loss.
    pub fn predict_std(&self, theta: ArrayView2<f64>) -> Result<Array2<f64>, NnError> {
        if self.loss == Loss::Mse {
            return Err(NnError::option(
                "loss",
                "mse",
                "this emulator was trained with MSE and predicts no uncertainties",
            ));
        }
        self.run(theta, true)
    }

    /// Jacobian of the predicted outputs with respect to the inputs, `(n, n_outputs,
    /// n_inputs)`: `J[r, o, i] = ∂ŷ[r, o]/∂θ[r, i]` (dex per unit of θ_i), through the scalers.
    pub fn input_jacobian(&self, theta: ArrayView2<f64>) -> Result<Array3<f64>, NnError> {
        self.check_inputs(&theta)?;
        let x = self.input_scaler.transform_f32(theta)?;
        let js = self.mlp.input_jacobian(&self.params, x.view())?;
        let (sx, sy) = (&self.input_scaler.std, &self.output_scaler.std);
        let d = self.n_outputs();
        Ok(Array3::from_shape_fn(
            (theta.nrows(), d, self.n_inputs()),
            |(r, o, i)| sy[o] * f64::from(js[[r, o, i]]) / sx[i],
        ))
    }

    /// Accuracy against reference outputs `y` `(n, n_outputs)` for inputs `theta`: APE (%)
    /// and absolute errors (dex), overall and per output, with the cumulative APE
    /// distribution (paper Fig. 2). Rows with non-finite values are left out and counted.
    pub fn report(
        &self,
        theta: ArrayView2<f64>,
        y: ArrayView2<f64>,
    ) -> Result<EmulatorReport, NnError> {
        self.check_inputs(&theta)?;
        data::check_pair("report", &theta, &y)?;
        if y.ncols() != self.n_outputs() {
            return Err(NnError::shape(
                "reference outputs",
                self.n_outputs(),
                y.ncols(),
            ));
        }
        let keep: Vec<usize> = (0..theta.nrows())
            .filter(|&r| {
                theta
                    .row(r)
                    .iter()
                    .chain(y.row(r).iter())
                    .all(|v| v.is_finite())
            })
            .collect();
        if keep.is_empty() {
            return Err(NnError::too_few_rows(
                "emulator report (rows with finite values)",
                0,
                1,
            ));
        }
        let (t, yk) = (theta.select(Axis(0), &keep), y.select(Axis(0), &keep));
        let pred = self.predict(t.view())?;
        Ok(EmulatorReport::compute(
            pred.view(),
            yk.view(),
            self.output_names.clone(),
            theta.nrows() - keep.len(),
        ))
    }
}
