//! Training an emulator: scalers, network, training loop, metadata.
//!
//! Ctrl-C, SIGTERM, the time budget and an observer end a training with a usable emulator
//! (the best weights so far) and the reason in [`TrainReport::termination`]; with a
//! checkpoint file the same call resumes where it stopped (see [`crate::nn::train`]).

use super::data::{prepare, Prepared};
use super::{Emulator, EmulatorOptions, TrainReport, ABUNDANCE_NAMES, MIN_STD, PARAMETER_NAMES};
use crate::error::Vocabulary;
use crate::nn::objective::Supervised;
use crate::nn::{
    train, Activation, EarlyStopping, Mlp, NnError, Observer, Scaler, TrainConfig, TrainHistory,
};
use ndarray::{Array2, ArrayView2};

/// The training-loop settings of `opts`.
fn train_config(opts: &EmulatorOptions) -> TrainConfig {
    TrainConfig {
        batch_size: opts.batch_size,
        epochs: opts.epochs,
        shuffle: opts.shuffle_mode(),
        drop_last: false,
        seed: opts.seed,
        clip_grad_norm: opts.clip_grad_norm,
        early_stopping: opts.early_stopping.map(|patience| EarlyStopping {
            patience,
            restore_best: true,
        }),
        chunk_rows: opts.chunk_rows,
        parallel: opts.parallel,
        eval_chunk_rows: 2048,
        label: "emulator".into(),
        time_budget: opts.time_budget,
        checkpoint: opts.checkpoint.clone(),
    }
}

/// z-score scalers of the training split, or identities.
fn scalers(
    opts: &EmulatorOptions,
    x: &Array2<f64>,
    y: &Array2<f64>,
) -> Result<(Scaler, Scaler), NnError> {
    Ok(if opts.standardizes() {
        (
            Scaler::fit(x.view(), MIN_STD)?,
            Scaler::fit(y.view(), MIN_STD)?,
        )
    } else {
        (Scaler::identity(x.ncols()), Scaler::identity(y.ncols()))
    })
}

/// Runs the training loop on the scaled data; returns the history.
fn fit(
    mlp: &Mlp,
    params: &mut [f32],
    (sx, sy): (&Scaler, &Scaler),
    data: &Prepared,
    opts: &EmulatorOptions,
    observer: Option<&mut dyn Observer>,
) -> Result<TrainHistory, NnError> {
    let xt = sx.transform_f32(data.x_train.view())?;
    let yt = sy.transform_f32(data.y_train.view())?;
    let val32 = match (&data.x_val, &data.y_val) {
        (Some(x), Some(y)) => Some((sx.transform_f32(x.view())?, sy.transform_f32(y.view())?)),
        _ => None,
    };
    let objective = Supervised::new(mlp, opts.loss, xt.view(), yt.view())?;
    let val_objective = match &val32 {
        Some((x, y)) => Some(Supervised::new(mlp, opts.loss, x.view(), y.view())?),
        None => None,
    };
    let mut optimizer = opts.optimizer.build()?;
    train(
        &objective,
        val_objective.as_ref(),
        params,
        optimizer.as_mut(),
        &train_config(opts),
        observer,
    )
}

impl Emulator {
    /// Trains an emulator on simulator runs: `theta` `(n, n_in)` (default 6 parameters),
    /// `y` `(n, n_out)` (default 8 abundances, dex). Rows with non-finite values, and rows
    /// whose outputs are all zero, are excluded and counted in the report. `validation`
    /// is an explicit validation set; without it `opts.validation_fraction` of the rows
    /// are split off (seeded).
    pub fn train(
        theta: ArrayView2<f64>,
        y: ArrayView2<f64>,
        validation: Option<(ArrayView2<f64>, ArrayView2<f64>)>,
        opts: &EmulatorOptions,
    ) -> Result<(Emulator, TrainReport), NnError> {
        Self::train_with(theta, y, validation, opts, None)
    }

    /// [`Emulator::train`] with an observer that sees every epoch's losses and may stop
    /// training ([`crate::nn::Control::Stop`]: the emulator keeps its best weights so far).
    pub fn train_with(
        theta: ArrayView2<f64>,
        y: ArrayView2<f64>,
        validation: Option<(ArrayView2<f64>, ArrayView2<f64>)>,
        opts: &EmulatorOptions,
        observer: Option<&mut dyn Observer>,
    ) -> Result<(Emulator, TrainReport), NnError> {
        opts.validate()?;
        let input_names = EmulatorOptions::names(
            &opts.input_names,
            &PARAMETER_NAMES,
            "x",
            theta.ncols(),
            "input_names",
        )?;
        let output_names = EmulatorOptions::names(
            &opts.output_names,
            &ABUNDANCE_NAMES,
            "y",
            y.ncols(),
            "output_names",
        )?;
        let data = prepare(theta, y, validation, opts)?;
        let (input_scaler, output_scaler) = scalers(opts, &data.x_train, &data.y_train)?;
        let mut sizes = vec![theta.ncols()];
        sizes.extend(&opts.hidden);
        sizes.push(opts.loss.n_outputs(y.ncols()));
        let mlp = Mlp::new(&sizes, opts.activation, Activation::Identity)?;
        let mut params = mlp.init_params(opts.seed);
        let history = fit(
            &mlp,
            &mut params,
            (&input_scaler, &output_scaler),
            &data,
            opts,
            observer,
        )?;
        let report = with_history(data.report.clone(), history);
        let mut emu = Emulator {
            mlp,
            params,
            loss: opts.loss,
            input_scaler,
            output_scaler,
            space: crate::model::ParamSpace::with_chempy_names(&input_names)
                .map_err(|e| NnError::option("input_names", e.value, e.reason))?,
            input_names,
            output_names,
            training: report,
            label: String::new(),
        };
        if let (Some(x), Some(y)) = (&data.x_val, &data.y_val) {
            let p = emu.predict(x.view())?;
            emu.training.val_mse = Some(mse(p.view(), y.view()));
        }
        let report = emu.training.clone();
        Ok((emu, report))
    }
}

/// The report before training completed with the loop's history.
fn with_history(mut report: TrainReport, h: TrainHistory) -> TrainReport {
    report.epochs = h.epochs();
    report.steps = h.steps;
    report.train_seconds = h.seconds;
    report.train_loss = h.train_loss;
    report.val_loss = h.val_loss;
    report.best_epoch = h.best_epoch;
    report.stopped_early = h.stopped_early;
    report.termination = h.termination;
    report.resumed_from_epoch = h.resumed_from_epoch;
    report
}

/// Mean squared error over all elements (dex²).
pub(crate) fn mse(pred: ArrayView2<f64>, truth: ArrayView2<f64>) -> f64 {
    let n = pred.len().max(1) as f64;
    pred.iter()
        .zip(truth.iter())
        .map(|(a, b)| (a - b).powi(2))
        .sum::<f64>()
        / n
}

/// A file name for the checkpoint of one emulator training, the same for the same training
/// data and options (the checkpoint path and time budget left out); see
/// [`crate::infer::npe::pipeline::checkpoint_name`].
pub fn checkpoint_name<'a>(
    theta: ArrayView2<'a, f64>,
    y: ArrayView2<'a, f64>,
    opts: &EmulatorOptions,
) -> String {
    use crate::nn::checkpoint::hash::{hex, DataHash};
    let mut o = opts.clone();
    o.checkpoint = None;
    o.time_budget = None;
    let mut h = DataHash::new();
    h.str(&serde_json::to_string(&o).unwrap_or_default());
    for a in [theta, y] {
        h.u64(a.nrows() as u64).u64(a.ncols() as u64);
        for v in a.iter() {
            h.bytes(&v.to_bits().to_le_bytes());
        }
    }
    format!("emulator-{}.json", hex(h.finish()))
}
