//! Bindings: the neural-network emulator of the simulator (`train_emulator`, `predict`,
//! `report`, save/load, the paper's Fig. 2).

use super::convert::{float_array, rt, rt_error, Opts, RhaiResult};
use crate::catalog::{ColumnData, Table};
use crate::gce::{ABUNDANCE_NAMES, PARAM_NAMES};
use crate::nn::emulator::ErrorStats;
use crate::nn::train::Shuffle;
use crate::nn::{
    Activation, Emulator, EmulatorOptions, EmulatorReport, Loss, OptimizerConfig, VarianceHead,
};
use crate::plot::{Figure, Series};
use ndarray::Array2;
use rhai::plugin::*;
#[allow(unused_imports)]
use rhai::{Array, Dynamic, Map, FLOAT, INT};

/// The successful runs of a runs table (see [`crate::model::runs`]): θ `(n, 6)`, y `(n, 8)`
/// and the number of failed rows left out.
pub fn training_arrays(t: &Table, what: &str) -> RhaiResult<(Array2<f64>, Array2<f64>, usize)> {
    let r = crate::model::runs::successful_runs(t, &PARAM_NAMES, &ABUNDANCE_NAMES)
        .map_err(|e| rt_error(format!("{what}: {e}")))?;
    Ok((r.theta, r.x, r.n_failed))
}

/// Emulator options from a script map (see `train_emulator`); the validation table, if any,
/// is returned apart.
fn emulator_options(options: Map) -> RhaiResult<(EmulatorOptions, Option<Table>)> {
    let mut o = Opts::new(options, "train_emulator");
    let mut opts = if o.bool("paper")?.unwrap_or(false) {
        EmulatorOptions::paper()
    } else {
        EmulatorOptions::default()
    };
    network_options(&mut o, &mut opts)?;
    if let Some(b) = o.usize("batch")? {
        opts.batch_size = b;
    }
    if let Some(e) = o.usize("epochs")? {
        opts.epochs = e;
    }
    let losses = [
        ("mse", Loss::Mse),
        ("gaussian_nll", Loss::GaussianNll(VarianceHead::LogVariance)),
    ];
    if let Some(l) = o.choice("loss", &losses)? {
        opts.loss = l;
    }
    if let Some(s) = o.seed("seed")? {
        opts.seed = s;
    }
    if let Some(s) = o.bool("standardize")? {
        opts.standardize = s;
    }
    let shuffles = [
        ("every_epoch", Shuffle::EveryEpoch),
        ("once", Shuffle::Once),
    ];
    if let Some(s) = o.choice("shuffle", &shuffles)? {
        opts.shuffle = s;
    }
    if let Some(f) = o.f64("validation_fraction")? {
        opts.validation_fraction = f;
    }
    opts.early_stopping = o.usize("early_stopping")?;
    opts.clip_grad_norm = o.f64("clip")?;
    let validation = match o.raw("validation") {
        None => None,
        Some(d) => Some(
            d.try_cast::<Table>()
                .ok_or_else(|| rt_error("train_emulator: option 'validation' must be a Table"))?,
        ),
    };
    o.finish()?;
    Ok((opts, validation))
}

/// The network and optimizer options of `train_emulator`: hidden, activation, lr,
/// weight_decay, optimizer.
fn network_options(o: &mut Opts, opts: &mut EmulatorOptions) -> RhaiResult<()> {
    if let Some(h) = o.numbers("hidden")? {
        if h.iter().any(|&w| w < 1.0 || w.fract() != 0.0) {
            return Err(rt_error(format!(
                "train_emulator: hidden widths must be positive integers, got {h:?}"
            )));
        }
        opts.hidden = h.into_iter().map(|w| w as usize).collect();
    }
    let activations = [
        ("tanh", Activation::Tanh),
        ("relu", Activation::Relu),
        ("softplus", Activation::Softplus),
    ];
    if let Some(a) = o.choice("activation", &activations)? {
        opts.activation = a;
    }
    let lr = o.f64("lr")?;
    let wd = o.f64("weight_decay")?.unwrap_or(0.0);
    let kinds = [("schedule_free", 0), ("adam", 1), ("adamw", 2)];
    let lr = lr.unwrap_or(1e-3);
    opts.optimizer = match o.choice("optimizer", &kinds)?.unwrap_or(0) {
        0 => OptimizerConfig::schedule_free(lr).with_weight_decay(wd),
        1 => OptimizerConfig::adam(lr).with_weight_decay(wd),
        _ => OptimizerConfig::adamw(lr, wd),
    };
    Ok(())
}

fn stats_map(s: &ErrorStats) -> Map {
    let mut m = Map::new();
    for (k, v) in [
        ("n", s.n as f64),
        ("ape_p25", s.ape_p25),
        ("ape_median", s.ape_median),
        ("ape_p75", s.ape_p75),
        ("ape_mean", s.ape_mean),
        ("dex_p25", s.dex_p25),
        ("dex_median", s.dex_median),
        ("dex_p75", s.dex_p75),
        ("dex_mean", s.dex_mean),
        ("mse", s.mse),
    ] {
        m.insert(
            k.into(),
            if k == "n" {
                Dynamic::from_int(v as INT)
            } else {
                Dynamic::from_float(v)
            },
        );
    }
    m
}

/// The report as a map: overall statistics at the top level, `per_element` by name.
pub fn report_map(r: &EmulatorReport) -> Map {
    let mut m = stats_map(&r.overall);
    m.insert("n_rows".into(), Dynamic::from_int(r.n_rows as INT));
    m.insert("n_excluded".into(), Dynamic::from_int(r.n_excluded as INT));
    m.insert(
        "ape_median_log_dex".into(),
        Dynamic::from_float(r.ape_median_dex),
    );
    let per: Map = r
        .outputs
        .iter()
        .zip(&r.per_output)
        .map(|(n, s)| (n.into(), Dynamic::from_map(stats_map(s))))
        .collect();
    m.insert("per_element".into(), Dynamic::from_map(per));
    m.insert(
        "cdf_ape".into(),
        Dynamic::from_array(float_array(&r.cdf_grid)),
    );
    m.insert(
        "cdf".into(),
        Dynamic::from_array(float_array(&r.overall.ape_cdf)),
    );
    m
}

/// The paper's Fig. 2: cumulative distribution of the absolute percentage error, overall and
/// per element, with the quartiles marked.
pub fn ape_figure(r: &EmulatorReport) -> RhaiResult<Figure> {
    let mut fig = Figure::new();
    let p = fig.panel();
    p.xlabel = Some("absolute percentage error (%)".into());
    p.ylabel = Some("cumulative fraction".into());
    p.title = Some(format!(
        "emulator APE: median {:.2} % (+{:.2} / −{:.2})",
        r.overall.ape_median,
        r.overall.ape_p75 - r.overall.ape_median,
        r.overall.ape_median - r.overall.ape_p25
    ));
    p.xlim = Some((0.0, 30.0));
    p.ylim = Some((0.0, 1.0));
    for (i, (name, s)) in r.outputs.iter().zip(&r.per_output).enumerate() {
        let color = crate::plot::color_cycle(i + 1);
        fig.line(
            r.cdf_grid.clone(),
            s.ape_cdf.clone(),
            Some(super::gce::bracket(name)),
            Some(color),
            1,
            false,
        )
        .map_err(rt)?;
    }
    fig.line(
        r.cdf_grid.clone(),
        r.overall.ape_cdf.clone(),
        Some("all".into()),
        Some((0, 0, 0)),
        3,
        false,
    )
    .map_err(rt)?;
    let o = &r.overall;
    fig.push(Series::VLine {
        x: o.ape_median,
        label: Some("median, quartiles".into()),
        color: (0, 0, 0),
        dashed: true,
    });
    for q in [o.ape_p25, o.ape_p75] {
        fig.push(Series::VLine {
            x: q,
            label: None,
            color: (128, 128, 128),
            dashed: true,
        });
    }
    Ok(fig)
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
    /// with inputs and outputs z-scored. Options: `hidden` ([100, 40]), `activation`,
    /// `optimizer` (`schedule_free`, `adam`, `adamw`), `lr`, `weight_decay`, `batch`,
    /// `epochs`, `loss` (`mse`, `gaussian_nll`), `seed`, `standardize`, `shuffle`
    /// (`every_epoch`, `once`), `paper` (the reference procedure: raw values, one shuffle),
    /// `validation` (a Table of runs) or `validation_fraction` (0.05), `early_stopping`
    /// (patience in epochs), `clip` (gradient-norm limit).
    /// ```rhai
    /// let runs = chempy("tng").simulate(paper_prior(#{ box: 5 }).sample(100000, 1));
    /// let emu = train_emulator(runs, #{ epochs: 20 });
    /// ```
    #[rhai_fn(return_raw)]
    pub fn train_emulator(runs: Table, options: Map) -> RhaiResult<Emulator> {
        let (opts, validation) = emulator_options(options)?;
        let (theta, y, dropped) = training_arrays(&runs, "train_emulator")?;
        let val = match &validation {
            Some(v) => Some(training_arrays(v, "train_emulator validation")?),
            None => None,
        };
        let val_views = val.as_ref().map(|(t, y, _)| (t.view(), y.view()));
        let (emu, report) =
            Emulator::train(theta.view(), y.view(), val_views, &opts).map_err(rt)?;
        let _ = (report, dropped);
        Ok(emu)
    }

    /// Trains an emulator with the default options.
    #[rhai_fn(name = "train_emulator", return_raw)]
    pub fn train_emulator_plain(runs: Table) -> RhaiResult<Emulator> {
        train_emulator(runs, Map::new())
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

    /// Accuracy on a table of simulator runs: absolute percentage error (%) and absolute error
    /// (dex) — `n`, `ape_p25`, `ape_median`, `ape_p75`, `ape_mean`, `dex_p25`, `dex_median`,
    /// `dex_p75`, `dex_mean`, `mse` — overall and under `per_element`, plus the cumulative APE
    /// distribution (`cdf_ape`, `cdf`). Rows whose status is not `ok` are left out.
    #[rhai_fn(global, return_raw, pure)]
    pub fn report(emu: &mut Emulator, runs: Table) -> RhaiResult<Map> {
        let (theta, y, dropped) = training_arrays(&runs, "report")?;
        let r = emu.report(theta.view(), y.view()).map_err(rt)?;
        let mut m = report_map(&r);
        m.insert("n_failed_runs".into(), Dynamic::from_int(dropped as INT));
        Ok(m)
    }

    /// The paper's Fig. 2 for this emulator on a table of simulator runs: cumulative APE,
    /// overall and per element, with the median and quartiles.
    #[rhai_fn(global, return_raw, pure)]
    pub fn ape_figure(emu: &mut Emulator, runs: Table) -> RhaiResult<Figure> {
        let (theta, y, _) = training_arrays(&runs, "ape_figure")?;
        let r = emu.report(theta.view(), y.view()).map_err(rt)?;
        super::ape_figure(&r)
    }

    /// Training metadata: `n_train`, `n_val`, `n_excluded`, `epochs`, `steps`,
    /// `train_seconds`, `val_mse`, `train_loss` and `val_loss` per epoch, and the options.
    #[rhai_fn(global, return_raw, pure)]
    pub fn training(emu: &mut Emulator) -> RhaiResult<Map> {
        let t = emu.training();
        let mut m: Map = rhai::serde::to_dynamic(t)
            .map_err(rt)?
            .try_cast::<Map>()
            .unwrap_or_default();
        m.insert(
            "n_excluded".into(),
            Dynamic::from_int((t.n_excluded_nonfinite + t.n_excluded_all_zero) as INT),
        );
        Ok(m)
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
                inner.insert(
                    iname.into(),
                    Dynamic::from(super::super::convert::Vector::new(v)),
                );
            }
            out.insert(oname.into(), Dynamic::from_map(inner));
        }
        Ok(out)
    }

    /// Saves the emulator (JSON with format version, names, scalers, training metadata),
    /// atomically.
    #[rhai_fn(global, return_raw, pure)]
    pub fn save(emu: &mut Emulator, path: &str) -> RhaiResult<()> {
        emu.save(path).map_err(rt)
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
