//! Bindings: the neural-network emulator of the simulator (`train_emulator`, `predict`,
//! `report`, save/load, the paper's Fig. 2).

use super::context::context;
use super::convert::Vector;
use super::failure::{rt, rt_error, RhaiResult};
use super::options::{parse, OptionDoc, ScriptOptions};
use super::results::EmulatorAccuracy;
use super::training::{checkpoint_path, notice, ScriptObserver};
use crate::catalog::{ColumnData, Table};
use crate::gce::{ABUNDANCE_NAMES, PARAM_NAMES};
use crate::nn::emulator::TrainReport;
use crate::nn::train::Shuffle;
use crate::nn::{Activation, Emulator, EmulatorOptions, Loss, OptimizerConfig, VarianceHead};
use crate::plot::Figure;
use ndarray::Array2;
use rhai::plugin::*;
#[allow(unused_imports)]
use rhai::{Array, Dynamic, Map, FLOAT, INT};

crate::script_options! {
    /// Options of `train_emulator`.
    pub struct TrainEmulatorArgs for "train_emulator" {
        /// The reference procedure (spec A.5.1): raw values, one shuffle (false).
        paper: Option<bool>,
        /// Hidden-layer widths ([100, 40]).
        hidden: Option<Vec<usize>>,
        /// `tanh` (the default), `relu` or `softplus`.
        activation: Option<String>,
        /// `schedule_free` (the default), `adam` or `adamw`.
        optimizer: Option<String>,
        /// Learning rate (1e-3).
        lr: Option<f64>,
        /// Weight decay (0).
        weight_decay: Option<f64>,
        /// Mini-batch size (64).
        batch: Option<usize>,
        /// Number of epochs (20).
        epochs: Option<usize>,
        /// `mse` (the default) or `gaussian_nll` (predicts uncertainties too).
        loss: Option<String>,
        /// Seed of the weights, the split and the shuffling.
        seed: Option<u64>,
        /// z-score inputs and outputs (true).
        standardize: Option<bool>,
        /// `every_epoch` (the default) or `once`.
        shuffle: Option<String>,
        /// A Table of runs to validate on, instead of a split.
        validation: Option<Dynamic> as "a Table",
        /// Fraction of the runs split off for validation without `validation` (0.05).
        validation_fraction: Option<f64>,
        /// Stop after this many epochs without a better validation loss.
        early_stopping: Option<usize>,
        /// Gradient-norm limit.
        clip: Option<f64>,
        /// Seconds after which training stops with its weights so far (no limit).
        time_budget: Option<f64>,
        /// Where training checkpoints every epoch: a path, or `false` for none (a file in the
        /// cache directory named after the data and options, so that the same call resumes a
        /// run stopped by SIGTERM or the time budget).
        checkpoint: Option<Dynamic> as "a path or false",
        /// A closure called after every epoch with `#{ epoch, train_loss, val_loss, … }`;
        /// returning `true` or `"stop"` stops training.
        on_epoch: Option<Dynamic> as "a closure",
    }
}

/// The option tables of this module's functions.
pub fn option_docs() -> Vec<(&'static str, &'static [OptionDoc])> {
    vec![("train_emulator", TrainEmulatorArgs::docs())]
}

/// The successful runs of a runs table (see [`crate::model::runs`]): θ `(n, 6)`, y `(n, 8)`
/// and the number of failed rows left out.
fn training_arrays(t: &Table, what: &str) -> RhaiResult<(Array2<f64>, Array2<f64>, usize)> {
    let r = crate::model::runs::successful_runs(t, &PARAM_NAMES, &ABUNDANCE_NAMES)
        .map_err(|e| rt_error(format!("{what}: {e}")))?;
    Ok((r.theta, r.x, r.n_failed))
}

/// One of `choices` by name, or an error listing them.
fn choice<T: Clone>(what: &str, name: &str, choices: &[(&str, T)]) -> RhaiResult<T> {
    choices
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.clone())
        .ok_or_else(|| {
            let valid: Vec<&str> = choices.iter().map(|(n, _)| *n).collect();
            rt_error(format!(
                "train_emulator: unknown {what} '{name}' ({})",
                valid.join(", ")
            ))
        })
}

/// Emulator options from the script's options; the validation table, if any, apart.
fn emulator_options(a: TrainEmulatorArgs) -> RhaiResult<(EmulatorOptions, Option<Table>)> {
    let mut opts = if a.paper.unwrap_or(false) {
        EmulatorOptions::paper()
    } else {
        EmulatorOptions::default()
    };
    network_options(&a, &mut opts)?;
    opts.batch_size = a.batch.unwrap_or(opts.batch_size);
    opts.epochs = a.epochs.unwrap_or(opts.epochs);
    if let Some(name) = &a.loss {
        let losses = [
            ("mse", Loss::Mse),
            ("gaussian_nll", Loss::GaussianNll(VarianceHead::LogVariance)),
        ];
        opts.loss = choice("loss", name, &losses)?;
    }
    opts.seed = a.seed.unwrap_or(opts.seed);
    opts.standardize = a.standardize.unwrap_or(opts.standardize);
    if let Some(name) = &a.shuffle {
        let shuffles = [
            ("every_epoch", Shuffle::EveryEpoch),
            ("once", Shuffle::Once),
        ];
        opts.shuffle = choice("shuffle", name, &shuffles)?;
    }
    opts.validation_fraction = a.validation_fraction.unwrap_or(opts.validation_fraction);
    opts.early_stopping = a.early_stopping;
    opts.clip_grad_norm = a.clip;
    opts.time_budget = a.time_budget;
    let validation = match a.validation {
        None => None,
        Some(d) => Some(
            d.try_cast::<Table>()
                .ok_or_else(|| rt_error("train_emulator: option 'validation' must be a Table"))?,
        ),
    };
    Ok((opts, validation))
}

/// The network and optimizer options: hidden, activation, optimizer, lr, weight_decay.
fn network_options(a: &TrainEmulatorArgs, opts: &mut EmulatorOptions) -> RhaiResult<()> {
    if let Some(h) = &a.hidden {
        opts.hidden = h.clone();
    }
    if let Some(name) = &a.activation {
        let acts = [
            ("tanh", Activation::Tanh),
            ("relu", Activation::Relu),
            ("softplus", Activation::Softplus),
        ];
        opts.activation = choice("activation", name, &acts)?;
    }
    let lr = a.lr.unwrap_or(opts.optimizer.lr());
    let wd = a.weight_decay.unwrap_or(0.0);
    let kinds = [("schedule_free", 0), ("adam", 1), ("adamw", 2)];
    let kind = choice(
        "optimizer",
        a.optimizer.as_deref().unwrap_or("schedule_free"),
        &kinds,
    )?;
    opts.optimizer = match kind {
        0 => OptimizerConfig::schedule_free(lr).with_weight_decay(wd),
        1 => OptimizerConfig::adam(lr).with_weight_decay(wd),
        _ => OptimizerConfig::adamw(lr, wd),
    };
    Ok(())
}

#[export_module]
pub mod emulator_api {
    use super::*;

    /// A neural-network emulator of the simulator (6 parameters → 8 abundances).
    pub type Emulator = crate::nn::Emulator;

    /// Trains an emulator on a table of simulator runs (the six parameter columns and the
    /// eight abundance columns, e.g. the output of `sim.simulate`); rows whose `status` is not
    /// `ok` or that hold non-finite values are excluded and counted. Defaults follow the paper:
    /// 6 → 100 → 40 → 8, tanh, schedule-free AdamW with lr 1e-3, batch 64, 20 epochs, MSE,
    /// with inputs and outputs z-scored.
    /// ```rhai
    /// let runs = chempy("tng").simulate(paper_prior(#{ box: 5 }).sample(100000, 1));
    /// let emu = train_emulator(runs, #{ epochs: 20 });
    /// ```
    #[rhai_fn(return_raw)]
    pub fn train_emulator(
        ctx: NativeCallContext,
        runs: Table,
        options: Map,
    ) -> RhaiResult<Emulator> {
        let a: TrainEmulatorArgs = parse(options)?;
        let (checkpoint, on_epoch) = (a.checkpoint.clone(), a.on_epoch.clone());
        let (mut opts, validation) = emulator_options(a)?;
        let (theta, y, _dropped) = training_arrays(&runs, "train_emulator")?;
        let val = match &validation {
            Some(v) => Some(training_arrays(v, "train_emulator validation")?),
            None => None,
        };
        let val_views = val.as_ref().map(|(t, y, _)| (t.view(), y.view()));
        let session = context(&ctx)?;
        opts.checkpoint = checkpoint_path(&session, "train_emulator", checkpoint, || {
            crate::nn::emulator::checkpoint_name(theta.view(), y.view(), &opts)
        })?;
        let mut observer = ScriptObserver::from_option(&ctx, "train_emulator", on_epoch)?;
        let obs = observer.as_mut().map(|o| o as &mut dyn crate::nn::Observer);
        let result = Emulator::train_with(theta.view(), y.view(), val_views, &opts, obs);
        if let Some(e) = observer.as_mut().and_then(|o| o.take_error()) {
            return Err(e);
        }
        let (emu, report) = result.map_err(rt)?;
        notice(
            "train_emulator",
            report.termination,
            report.epochs,
            report.best_epoch,
            opts.checkpoint.as_ref(),
        );
        Ok(emu)
    }

    /// Trains an emulator with the default options.
    #[rhai_fn(name = "train_emulator", return_raw)]
    pub fn train_emulator_plain(ctx: NativeCallContext, runs: Table) -> RhaiResult<Emulator> {
        train_emulator(ctx, runs, Map::new())
    }

    /// Predicts the eight abundances for every row of a table with the six parameter columns;
    /// returns the table with the abundance columns added (or replaced).
    #[rhai_fn(global, return_raw, pure)]
    pub fn predict(emu: &mut Emulator, t: Table) -> RhaiResult<Table> {
        let theta = t.matrix(&PARAM_NAMES).map_err(rt)?;
        let y = emu.predict(theta.view()).map_err(rt)?;
        let mut out = t;
        for (j, name) in emu.output_names().iter().enumerate().take(y.ncols()) {
            out = out
                .with_column(name, ColumnData::Float(y.column(j).to_vec()))
                .map_err(rt)?;
        }
        Ok(out)
    }

    /// Accuracy on a table of simulator runs, an `EmulatorReport` (see
    /// `help("EmulatorReport")`): absolute percentage error (%) and absolute error (dex),
    /// overall and `per_element`, and the cumulative APE distribution. Rows whose status is
    /// not `ok` are left out.
    #[rhai_fn(global, return_raw, pure)]
    pub fn report(emu: &mut Emulator, runs: Table) -> RhaiResult<EmulatorAccuracy> {
        let (theta, y, dropped) = training_arrays(&runs, "report")?;
        let report = emu.report(theta.view(), y.view()).map_err(rt)?;
        Ok(EmulatorAccuracy {
            report,
            n_failed_runs: dropped,
        })
    }

    /// The paper's Fig. 2 for this emulator on a table of simulator runs: cumulative APE,
    /// overall and per element, with the median and quartiles.
    #[rhai_fn(global, return_raw, pure)]
    pub fn ape_figure(emu: &mut Emulator, runs: Table) -> RhaiResult<Figure> {
        let (theta, y, _) = training_arrays(&runs, "ape_figure")?;
        let r = emu.report(theta.view(), y.view()).map_err(rt)?;
        crate::plot::emulator_ape_figure(&r).map_err(rt)
    }

    /// Training metadata, an `EmulatorTraining` (see `help("EmulatorTraining")`).
    #[rhai_fn(global, pure)]
    pub fn training(emu: &mut Emulator) -> TrainReport {
        emu.training().clone()
    }

    /// Gradient of the outputs with respect to the inputs at each row of a table: a map from
    /// output name to a map from parameter name to a Vector (∂ output / ∂ parameter).
    #[rhai_fn(global, return_raw, pure)]
    pub fn jacobian(emu: &mut Emulator, t: Table) -> RhaiResult<Map> {
        let theta = t.matrix(&PARAM_NAMES).map_err(rt)?;
        let jac = emu.input_jacobian(theta.view()).map_err(rt)?;
        let mut out = Map::new();
        for (o, oname) in emu.output_names().iter().enumerate() {
            let mut inner = Map::new();
            for (i, iname) in emu.input_names().iter().enumerate() {
                let v: Vec<f64> = (0..jac.shape()[0]).map(|r| jac[[r, o, i]]).collect();
                inner.insert(iname.into(), Dynamic::from(Vector::new(v)));
            }
            out.insert(oname.into(), Dynamic::from_map(inner));
        }
        Ok(out)
    }

    /// Saves the emulator (names, scalers, parameters, training metadata) in galchem's file
    /// envelope, atomically.
    #[rhai_fn(global, return_raw, pure)]
    pub fn save(ctx: NativeCallContext, emu: &mut Emulator, path: &str) -> RhaiResult<()> {
        let path = context(&ctx)?.writable("save", path)?;
        emu.save(&path).map_err(rt)
    }

    /// Loads an emulator saved by `emu.save`; a corrupt or foreign file is a clear error.
    #[rhai_fn(return_raw)]
    pub fn load_emulator(path: &str) -> RhaiResult<Emulator> {
        Emulator::load(path).map_err(rt)
    }

    /// A one-line description.
    #[rhai_fn(global, pure, name = "to_string")]
    pub fn to_string(emu: &mut Emulator) -> String {
        describe(emu)
    }

    /// A one-line description.
    #[rhai_fn(global, pure, name = "to_debug")]
    pub fn to_debug(emu: &mut Emulator) -> String {
        describe(emu)
    }
}

fn describe(emu: &Emulator) -> String {
    let t = emu.training();
    format!(
        "Emulator({} → {} outputs, trained on {} rows for {} epochs in {:.1} s)",
        emu.input_names().join(", "),
        emu.output_names().len(),
        t.n_train,
        t.epochs,
        t.train_seconds
    )
}
