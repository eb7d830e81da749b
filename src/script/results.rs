//! Results of library calls as registered script types with documented getters:
//! `r.alpha_imf_mean`, `r.stars`, `report.ape_median`, … Each type is declared once with
//! `script_result!`: its script name, and per property a doc comment, a type for the
//! documentation and how to compute it. The same declaration gives `to_map()` (every
//! property, for JSON) and the property table of `help("TypeName")`.

use super::convert::{float_array, Vector};
use super::failure::{fail, RhaiResult};
use crate::catalog::{ColumnData, Table};
use crate::error::ErrorKind;
use crate::infer::npe::evaluate::ApeSummary;
use crate::infer::{CatalogInference, EvalReport, ExactReport, TrainingInfo};
use crate::nn::emulator::{EmulatorReport, ErrorStats, TrainReport};
use rhai::{Array, Dynamic, FuncRegistration, Map, Module, INT};

/// Declares a script result type; see the module documentation.
#[macro_export]
macro_rules! script_result {
    (
        $ty:ty as $name:literal, $register:ident, $tomap:ident {
            $( $(#[doc = $doc:literal])* $prop:ident : $pty:literal => |$r:ident| $body:expr ),* $(,)?
        }
    ) => {
        /// Every property of the result as a map (for JSON files).
        pub fn $tomap(x: &$ty) -> Map {
            let mut m = Map::new();
            $( m.insert(stringify!($prop).into(), (|$r: &$ty| -> Dynamic { $body })(x)); )*
            m
        }

        /// Registers the getters, `to_map`, `keys` and `to_string` of the type.
        pub fn $register(m: &mut Module) {
            $(
                FuncRegistration::new_getter(stringify!($prop))
                    .with_comments([concat!($("///", $doc, "\n"),*)])
                    .with_params_info([concat!("result: &mut ", $name), $pty])
                    .set_into_module(m, |$r: &mut $ty| -> Dynamic { let $r: &$ty = $r; $body });
            )*
            FuncRegistration::new("to_map")
                .in_global_namespace()
                .with_comments([concat!("/// Every property of the ", $name, " as a map (e.g. for `write_json`).")])
                .with_params_info([concat!("result: &mut ", $name), "Map"])
                .set_into_module(m, |x: &mut $ty| $tomap(x));
            FuncRegistration::new("keys")
                .in_global_namespace()
                .with_comments([concat!("/// The property names of the ", $name, ".")])
                .with_params_info([concat!("result: &mut ", $name), "Array"])
                .set_into_module(m, |_x: &mut $ty| -> Array { vec![$(Dynamic::from(stringify!($prop))),*] });
            FuncRegistration::new("to_string")
                .in_global_namespace()
                .set_into_module(m, |x: &mut $ty| describe($name, &$tomap(x)));
            FuncRegistration::new("to_debug")
                .in_global_namespace()
                .set_into_module(m, |x: &mut $ty| describe($name, &$tomap(x)));
        }
    };
}

/// The declaration macro, for the result types of other binding files.
pub(crate) use script_result;

/// `Name { key: value, … }` with tables and long arrays abbreviated.
pub(crate) fn describe(name: &str, m: &Map) -> String {
    let parts: Vec<String> = m
        .iter()
        .map(|(k, v)| {
            let shown = if let Some(t) = v.read_lock::<Table>() {
                format!("Table({} rows)", t.len())
            } else if let Some(a) = v.read_lock::<Array>() {
                if a.len() > 6 {
                    format!("[{} values]", a.len())
                } else {
                    v.to_string()
                }
            } else if let Some(vec) = v.read_lock::<Vector>() {
                format!("Vector({})", vec.as_slice().len())
            } else {
                v.to_string()
            };
            format!("{k}: {shown}")
        })
        .collect();
    format!("{name} {{ {} }}", parts.join(", "))
}

pub(crate) fn int(n: usize) -> Dynamic {
    Dynamic::from_int(n as INT)
}

pub(crate) fn float(v: f64) -> Dynamic {
    Dynamic::from_float(v)
}

fn opt_float(v: Option<f64>) -> Dynamic {
    v.map_or(Dynamic::UNIT, Dynamic::from_float)
}

pub(crate) fn text(s: &str) -> Dynamic {
    Dynamic::from(s.to_string())
}

pub(crate) fn strings(v: &[String]) -> Dynamic {
    Dynamic::from_array(v.iter().map(|s| Dynamic::from(s.clone())).collect())
}

pub(crate) fn floats(v: &[f64]) -> Dynamic {
    Dynamic::from_array(float_array(v))
}

pub(crate) fn matrix(v: &[Vec<f64>]) -> Dynamic {
    Dynamic::from_array(v.iter().map(|r| floats(r)).collect())
}

pub(crate) fn vector(v: &[f64]) -> Dynamic {
    Dynamic::from(Vector::new(v.to_vec()))
}

pub(crate) fn or_error(t: RhaiResult<Table>) -> Dynamic {
    t.map(Dynamic::from)
        .unwrap_or_else(|e| Dynamic::from(e.to_string()))
}

/// APE quartiles as `#{ p25, median, p75 }`.
fn ape(a: &ApeSummary) -> Dynamic {
    let mut e = Map::new();
    e.insert("p25".into(), float(a.p25));
    e.insert("median".into(), float(a.median));
    e.insert("p75".into(), float(a.p75));
    Dynamic::from_map(e)
}

/// APE quartiles by name.
fn ape_by_name(apes: &[ApeSummary]) -> Dynamic {
    Dynamic::from_map(
        apes.iter()
            .map(|a| (a.name.as_str().into(), ape(a)))
            .collect(),
    )
}

/// Any serialisable value as a script value (maps for structs).
fn serde_value<T: serde::Serialize>(v: &T) -> Dynamic {
    rhai::serde::to_dynamic(v).unwrap_or(Dynamic::UNIT)
}

script_result! {
    CatalogInference as "Inference", register_inference, inference_map {
        /// Number of stars combined.
        n_stars: "int" => |r| int(r.combined.n_stars),
        /// The combined mean of the global parameters (in the order of `global_names`).
        mean: "Array" => |r| floats(r.estimate().0),
        /// The combined covariance of the global parameters.
        cov: "Array" => |r| matrix(r.estimate().1),
        /// The combined standard deviations of the global parameters.
        sd: "Array" => |r| floats(r.estimate().2),
        /// The Gaussian combination's mean and sd (the same as `mean`, `sd` unless the method
        /// is exact).
        gaussian_mean: "Array" => |r| floats(&r.combined.mean),
        gaussian_sd: "Array" => |r| floats(&r.combined.sd),
        /// The exact combination: `#{ density, mean, cov, sd, hpd68, hpd95, rounds,
        /// converged, seconds }`, or `()`.
        exact: "Map" => |r| r.exact.as_ref().map_or(Dynamic::UNIT, exact_combined_map),
        /// Names of the global parameters; `r.<name>_mean` and `r.<name>_sd` give each one
        /// (e.g. `r.alpha_imf_mean`).
        global_names: "Array" => |r| strings(&r.global_names),
        /// Names of all parameters.
        param_names: "Array" => |r| strings(&r.param_names),
        /// The combination method.
        method: "string" => |r| text(&r.method_label()),
        /// Wall-clock seconds.
        seconds: "float" => |r| float(r.seconds),
        /// Rows in the catalog.
        n_rows: "int" => |r| int(r.n_rows),
        /// Mean fraction of draws inside the prior support.
        mean_acceptance: "float" => |r| float(r.mean_acceptance),
        /// Draws per star.
        samples_per_star: "int" => |r| int(r.samples_per_star),
        /// The skipped rows: `#{ row, label, reason }` each (a streamed inference lists the
        /// first 100; its per-star file has all).
        skipped: "Array" => |r| row_list(&r.skipped),
        /// Number of rows skipped.
        n_skipped: "int" => |r| int(r.n_skipped),
        /// Why the default combination fell back to the paper's (`infer_stream`), or `()`.
        fallback: "string" => |r| r.fallback.as_deref().map_or(Dynamic::UNIT, text),
        /// The per-star Parquet file of `infer_stream`, or `()`.
        stars_out: "string" => |r| r.stars_out.as_deref().map_or(Dynamic::UNIT, text),
        /// The rows used with some values masked (missing, flagged): `#{ row, label, reason }`.
        masked: "Array" => |r| row_list(&r.masked),
        /// Warnings (misspecification, poor refinement, errors unlike the training noise).
        warnings: "Array" => |r| strings(&r.warnings),
        /// The simulator that refined every star, or `()`.
        refined_with: "string" => |r| r.refined_with.as_deref().map_or(Dynamic::UNIT, text),
        /// Median effective sample size of the refined stars' weights, or `()`.
        median_ess: "float" => |r| opt_float(r.median_ess),
        /// Σ log p(x_i) over the stars under the refining simulator (natural log) when
        /// every star was refined, else `()`: differences between simulators (yield sets,
        /// model settings) are log Bayes factors (book: "Many stars").
        log_evidence: "float" => |r| opt_float(r.log_evidence),
        /// Per-star summaries: row, label, and per parameter `_mean`, `_sd`, `_q16`, `_q84`, then
        /// `acceptance` (and `ess` when refined).
        stars: "Table" => |r| or_error(stars_table(r)),
        /// The combination of the first n stars for n = 1 … N (paper Fig. 5).
        running: "Table" => |r| or_error(running_table(r)),
        /// Every draw (`row`, the parameters, and `weight` when refined), with `keep_samples`;
        /// else `()`.
        samples: "Table" => |r| r.samples.as_ref().map_or(Dynamic::UNIT, |d| or_error(samples_table(r, d))),
    }
}

fn exact_combined_map(e: &crate::infer::combine::ExactCombined) -> Dynamic {
    let mut m = rhai::Map::new();
    m.insert("density".into(), text(e.density.name()));
    m.insert("mean".into(), floats(&e.mean));
    m.insert("cov".into(), matrix(&e.cov));
    m.insert("sd".into(), floats(&e.sd));
    m.insert("hpd68".into(), float(e.hpd68));
    m.insert("hpd95".into(), float(e.hpd95));
    m.insert("rounds".into(), int(e.grid.rounds));
    m.insert("converged".into(), Dynamic::from_bool(e.grid.converged));
    m.insert("seconds".into(), float(e.seconds));
    Dynamic::from_map(m)
}

/// `r.<global>_mean` and `r.<global>_sd` of an inference.
pub fn inference_property(r: &CatalogInference, key: &str) -> RhaiResult<Dynamic> {
    for (j, name) in r.global_names.iter().enumerate() {
        if key == format!("{name}_mean") {
            return Ok(float(r.estimate().0[j]));
        }
        if key == format!("{name}_sd") {
            return Ok(float(r.estimate().2[j]));
        }
    }
    let mut known: Vec<String> = inference_map(r).keys().map(|k| k.to_string()).collect();
    known.extend(
        r.global_names
            .iter()
            .flat_map(|n| [format!("{n}_mean"), format!("{n}_sd")]),
    );
    Err(fail(
        ErrorKind::Script,
        format!(
            "an Inference has no property '{key}'; its properties are {}",
            known.join(", ")
        ),
    ))
}

fn row_list(rows: &[crate::infer::catalog::observe::SkippedRow]) -> Dynamic {
    Dynamic::from_array(
        rows.iter()
            .map(|s| {
                let mut e = Map::new();
                e.insert("row".into(), int(s.row));
                e.insert(
                    "label".into(),
                    s.label.as_deref().map_or(Dynamic::UNIT, text),
                );
                e.insert("reason".into(), text(&s.to_string()));
                Dynamic::from_map(e)
            })
            .collect(),
    )
}

/// Per-star summaries: row, label, mean, sd, q16, q84 of every parameter, acceptance.
fn stars_table(r: &CatalogInference) -> RhaiResult<Table> {
    if let (true, Some(path)) = (r.stars.is_empty(), &r.stars_out) {
        return Err(fail(
            ErrorKind::Input,
            format!("a streamed inference keeps its stars in {path}: read_table(r.stars_out)"),
        ));
    }
    let mut cols = vec![(
        "row".to_string(),
        ColumnData::Int(r.stars.iter().map(|s| s.row as i64).collect()),
    )];
    if r.stars.iter().any(|s| s.label.is_some()) {
        cols.push((
            "label".into(),
            ColumnData::Text(
                r.stars
                    .iter()
                    .map(|s| s.label.clone().unwrap_or_default())
                    .collect(),
            ),
        ));
    }
    for (j, name) in r.param_names.iter().enumerate() {
        let col = |f: &dyn Fn(&crate::infer::StarSummary) -> f64| {
            ColumnData::Float(r.stars.iter().map(f).collect())
        };
        cols.push((format!("{name}_mean"), col(&|s| s.mean[j])));
        cols.push((format!("{name}_sd"), col(&|s| s.sd[j])));
        cols.push((format!("{name}_q16"), col(&|s| s.quantiles[j][1])));
        cols.push((format!("{name}_q84"), col(&|s| s.quantiles[j][3])));
    }
    cols.push((
        "acceptance".into(),
        ColumnData::Float(r.stars.iter().map(|s| s.acceptance).collect()),
    ));
    if r.refined_with.is_some() {
        cols.push((
            "ess".into(),
            ColumnData::Float(r.stars.iter().map(|s| s.ess.unwrap_or(f64::NAN)).collect()),
        ));
    }
    Table::from_columns(cols).map_err(super::failure::rt)
}

/// The combination of the first n stars for n = 1 … N (paper Fig. 5).
fn running_table(r: &CatalogInference) -> RhaiResult<Table> {
    let p = &r.running;
    let mut cols = vec![(
        "n_stars".to_string(),
        ColumnData::Int(p.iter().map(|x| x.n_stars as i64).collect()),
    )];
    for (j, name) in r.global_names.iter().enumerate() {
        cols.push((
            format!("{name}_mean"),
            ColumnData::Float(p.iter().map(|x| x.mean[j]).collect()),
        ));
        cols.push((
            format!("{name}_sd"),
            ColumnData::Float(p.iter().map(|x| x.sd[j]).collect()),
        ));
    }
    cols.push((
        "error".into(),
        ColumnData::Text(
            p.iter()
                .map(|x| x.error.clone().unwrap_or_default())
                .collect(),
        ),
    ));
    Table::from_columns(cols).map_err(super::failure::rt)
}

/// Every star's draws in long form: star row, then the parameters (and `weight` when the
/// draws are importance weighted).
fn samples_table(r: &CatalogInference, draws: &[crate::stats::Draws]) -> RhaiResult<Table> {
    let rows: Vec<i64> = r
        .stars
        .iter()
        .zip(draws)
        .flat_map(|(st, d)| std::iter::repeat_n(st.row as i64, d.n()))
        .collect();
    let mut cols = vec![("row".to_string(), ColumnData::Int(rows))];
    for (j, name) in r.param_names.iter().enumerate() {
        cols.push((
            name.clone(),
            ColumnData::Float(draws.iter().flat_map(|d| d.column(j).to_vec()).collect()),
        ));
    }
    if draws.iter().any(|d| d.is_weighted()) {
        cols.push((
            "weight".into(),
            ColumnData::Float(
                draws
                    .iter()
                    .flat_map(|d| (0..d.n()).map(|k| d.weight(k)))
                    .collect(),
            ),
        ));
    }
    Table::from_columns(cols).map_err(super::failure::rt)
}

script_result! {
    EvalReport as "Evaluation", register_evaluation, evaluation_map {
        /// Held-out pairs evaluated.
        n: "int" => |r| int(r.n),
        /// Posterior draws per pair.
        samples: "int" => |r| int(r.samples),
        /// APE quartiles (%) of the posterior mean per parameter: name → `#{ p25, median, p75 }`.
        ape: "Map" => |r| ape_by_name(&r.ape),
        /// APE quartiles over all parameters of all pairs.
        ape_all: "Map" => |r| ape(&r.ape_all),
        /// APE quartiles over the global parameters pooled.
        ape_global: "Map" => |r| ape(&r.ape_global),
        /// Mean log q(θ_true | x) over the pairs inside the prior support.
        mean_log_prob: "float" => |r| float(r.mean_log_prob),
        /// Mean fraction of draws inside the prior support.
        mean_acceptance: "float" => |r| float(r.mean_acceptance),
        /// The posterior means, row-major `(n, dim)`.
        posterior_means: "Vector" => |r| vector(&r.posterior_means),
        /// Seconds.
        seconds: "float" => |r| float(r.seconds),
    }
}

script_result! {
    ExactReport as "ExactEvaluation", register_exact, exact_map {
        /// Held-out pairs in the APEs.
        n: "int" => |r| int(r.n),
        /// Pairs left out because no draw got a positive weight.
        n_unweighted: "int" => |r| int(r.n_unweighted),
        /// Proposal draws per pair.
        samples: "int" => |r| int(r.samples),
        /// APE quartiles of the posterior's means, global parameters pooled.
        ape_global_flow: "Map" => |r| ape(&r.ape_global_flow),
        /// APE quartiles of the exact (importance-weighted) posterior means.
        ape_global_exact: "Map" => |r| ape(&r.ape_global_exact),
        /// Exact-posterior APE quartiles per parameter.
        ape_exact: "Map" => |r| ape_by_name(&r.ape_exact),
        /// Median effective sample size of the weights.
        median_ess: "float" => |r| float(r.median_ess),
        /// Smallest effective sample size.
        min_ess: "float" => |r| float(r.min_ess),
        /// Seconds.
        seconds: "float" => |r| float(r.seconds),
    }
}

script_result! {
    TrainingInfo as "TrainingInfo", register_training, training_map {
        /// Where the training pairs came from, e.g. `chempy:tng`.
        source: "string" => |r| text(&r.source),
        /// Simulations requested.
        n_sims: "int" => |r| int(r.n_sims),
        /// Simulations that failed (excluded).
        n_failed: "int" => |r| int(r.n_failed),
        /// Rows with non-finite values excluded.
        n_excluded: "int" => |r| int(r.n_excluded),
        /// Training rows.
        n_train: "int" => |r| int(r.n_train),
        /// Validation rows.
        n_val: "int" => |r| int(r.n_val),
        /// Epochs run.
        epochs: "int" => |r| int(r.epochs),
        /// The (0-based) epoch whose weights were kept, or `()`.
        best_epoch: "int" => |r| r.best_epoch.map_or(Dynamic::UNIT, int),
        /// Best mean validation log q(θ | x).
        best_val_log_prob: "float" => |r| float(r.best_val_log_prob),
        /// Seconds simulating.
        simulate_seconds: "float" => |r| float(r.simulate_seconds),
        /// Seconds training.
        train_seconds: "float" => |r| float(r.train_seconds),
        /// Seed of the pipeline.
        seed: "int" => |r| Dynamic::from_int(r.seed as INT),
        /// Mean training loss per epoch.
        train_loss: "Vector" => |r| vector(&r.train_loss),
        /// Mean validation loss per epoch.
        val_loss: "Vector" => |r| vector(&r.val_loss),
        /// The training settings.
        train_config: "Map" => |r| serde_value(&r.train_config),
        /// How training ended: `completed`, `early_stopped`, `observer_stopped`,
        /// `interrupted` (Ctrl-C: the weights are the best so far), `terminated` (SIGTERM) or
        /// `time_budget`.
        termination: "string" => |r| text(r.termination.name()),
        /// The epoch the call resumed from a checkpoint at, or `()` when it started afresh.
        resumed_from_epoch: "int" => |r| r.resumed_from_epoch.map_or(Dynamic::UNIT, int),
    }
}

/// The accuracy of an emulator on a table of runs, and the failed runs left out.
#[derive(Debug, Clone, PartialEq)]
pub struct EmulatorAccuracy {
    /// The report.
    pub report: EmulatorReport,
    /// Runs of the table whose status was not `ok`.
    pub n_failed_runs: usize,
}

fn stats(s: &ErrorStats) -> Map {
    let mut m = Map::new();
    m.insert("n".into(), int(s.n));
    for (k, v) in [
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
        m.insert(k.into(), float(v));
    }
    m
}

script_result! {
    EmulatorAccuracy as "EmulatorReport", register_emulator_report, emulator_report_map {
        /// Rows compared.
        n: "int" => |r| int(r.report.overall.n),
        /// Quartiles and mean of the absolute percentage error (%), all outputs.
        ape_p25: "float" => |r| float(r.report.overall.ape_p25),
        /// Median absolute percentage error (%), all outputs (paper Fig. 2).
        ape_median: "float" => |r| float(r.report.overall.ape_median),
        /// Upper quartile of the APE (%).
        ape_p75: "float" => |r| float(r.report.overall.ape_p75),
        /// Mean APE (%).
        ape_mean: "float" => |r| float(r.report.overall.ape_mean),
        /// Lower quartile of the absolute error (dex).
        dex_p25: "float" => |r| float(r.report.overall.dex_p25),
        /// Median absolute error (dex).
        dex_median: "float" => |r| float(r.report.overall.dex_median),
        /// Upper quartile of the absolute error (dex).
        dex_p75: "float" => |r| float(r.report.overall.dex_p75),
        /// Mean absolute error (dex).
        dex_mean: "float" => |r| float(r.report.overall.dex_mean),
        /// Mean squared error (dex²).
        mse: "float" => |r| float(r.report.overall.mse),
        /// Rows given.
        n_rows: "int" => |r| int(r.report.n_rows),
        /// Rows left out for non-finite values.
        n_excluded: "int" => |r| int(r.report.n_excluded),
        /// Runs of the table whose status was not `ok`.
        n_failed_runs: "int" => |r| int(r.n_failed_runs),
        /// log10 of the median APE computed in dex space.
        ape_median_log_dex: "float" => |r| float(r.report.ape_median_dex),
        /// The same statistics per output: name → map.
        per_element: "Map" => |r| Dynamic::from_map(
            r.report.outputs.iter().zip(&r.report.per_output).map(|(n, s)| (n.as_str().into(), Dynamic::from_map(stats(s)))).collect()
        ),
        /// APE grid (%) of the cumulative distribution.
        cdf_ape: "Array" => |r| floats(&r.report.cdf_grid),
        /// Cumulative fraction of rows below each `cdf_ape`, all outputs.
        cdf: "Array" => |r| floats(&r.report.overall.ape_cdf),
    }
}

script_result! {
    TrainReport as "EmulatorTraining", register_emulator_training, emulator_training_map {
        /// Rows given.
        n_rows: "int" => |r| int(r.n_rows),
        /// Rows excluded (non-finite values, or all outputs exactly 0).
        n_excluded: "int" => |r| int(r.n_excluded_nonfinite + r.n_excluded_all_zero),
        /// Training rows.
        n_train: "int" => |r| int(r.n_train),
        /// Validation rows.
        n_val: "int" => |r| int(r.n_val),
        /// `split`, `given` or `none`.
        validation: "string" => |r| text(&r.validation),
        /// Completed epochs.
        epochs: "int" => |r| int(r.epochs),
        /// Optimizer steps.
        steps: "int" => |r| Dynamic::from_int(r.steps as INT),
        /// Seconds in the training loop.
        train_seconds: "float" => |r| float(r.train_seconds),
        /// Mean training loss per epoch.
        train_loss: "Vector" => |r| vector(&r.train_loss),
        /// Validation loss per epoch.
        val_loss: "Vector" => |r| vector(&r.val_loss),
        /// Validation MSE of the final model (dex²), or `()`.
        val_mse: "float" => |r| opt_float(r.val_mse),
        /// The epoch with the best validation loss, or `()`.
        best_epoch: "int" => |r| r.best_epoch.map_or(Dynamic::UNIT, int),
        /// Whether early stopping ended training.
        stopped_early: "bool" => |r| Dynamic::from_bool(r.stopped_early),
        /// The options used.
        options: "Map" => |r| serde_value(&r.options),
        /// The galchem version that trained the model.
        galchem_version: "string" => |r| text(&r.galchem_version),
        /// How training ended: `completed`, `early_stopped`, `observer_stopped`,
        /// `interrupted`, `terminated` or `time_budget`.
        termination: "string" => |r| text(r.termination.name()),
        /// The epoch the call resumed from a checkpoint at, or `()` when it started afresh.
        resumed_from_epoch: "int" => |r| r.resumed_from_epoch.map_or(Dynamic::UNIT, int),
    }
}

/// Successful simulator runs drawn from a prior (`sim.draw_valid`).
#[derive(Debug, Clone)]
pub struct DrawnRuns {
    /// The runs table.
    pub runs: Table,
    /// Draws the simulator rejected on the way.
    pub n_failed: usize,
    /// Seconds.
    pub seconds: f64,
}

script_result! {
    crate::infer::stream::ShardDone as "ShardRun", register_shard_run, shard_run_map {
        /// The shard, `"i/n"`.
        shard: "string" => |r| text(&r.shard.to_string()),
        /// The partial file written.
        partial: "string" => |r| text(&r.partial.to_string_lossy()),
        /// The shard's blocks `[first, end)` of `n_blocks` (4096 catalog rows each).
        first_block: "int" => |r| int(r.blocks.start),
        end_block: "int" => |r| int(r.blocks.end),
        n_blocks: "int" => |r| int(r.n_blocks),
        /// Catalog rows and usable stars in the shard.
        rows: "int" => |r| int(r.rows),
        n_stars: "int" => |r| int(r.n_stars),
        /// Seconds of work, over all attempts.
        seconds: "float" => |r| float(r.seconds),
        /// The block this call resumed at, or `()`.
        resumed_at: "int" => |r| r.resumed_at.map_or(Dynamic::UNIT, int),
    }
}

script_result! {
    DrawnRuns as "DrawnRuns", register_drawn_runs, drawn_runs_map {
        /// The runs: the parameters, the outputs and `status`.
        runs: "Table" => |r| Dynamic::from(r.runs.clone()),
        /// Draws the simulator rejected (and that were replaced).
        n_failed: "int" => |r| int(r.n_failed),
        /// Seconds.
        seconds: "float" => |r| float(r.seconds),
    }
}

/// Registers every result type's getters into `m`, and the dynamic `<global>_mean` /
/// `<global>_sd` properties of an inference.
pub fn register_all(m: &mut Module) {
    register_inference(m);
    register_evaluation(m);
    register_exact(m);
    register_training(m);
    register_emulator_report(m);
    register_emulator_training(m);
    register_drawn_runs(m);
    register_shard_run(m);
    register_set_shard(m);
    FuncRegistration::new_index_getter()
        .set_into_module(m, |r: &mut CatalogInference, key: &str| {
            inference_property(r, key)
        });
}

/// The script names of the result types, with their Rust types registered in the engine.
pub fn register_types(engine: &mut rhai::Engine) {
    engine.register_type_with_name::<CatalogInference>("Inference");
    engine.register_type_with_name::<EvalReport>("Evaluation");
    engine.register_type_with_name::<ExactReport>("ExactEvaluation");
    engine.register_type_with_name::<TrainingInfo>("TrainingInfo");
    engine.register_type_with_name::<EmulatorAccuracy>("EmulatorReport");
    engine.register_type_with_name::<TrainReport>("EmulatorTraining");
    engine.register_type_with_name::<DrawnRuns>("DrawnRuns");
    engine.register_type_with_name::<crate::infer::stream::ShardDone>("ShardRun");
    engine.register_type_with_name::<crate::infer::training_set::SetShard>("SetShard");
}

/// A result value as a map of its properties, if it is one of the result types.
pub fn as_map(d: &Dynamic) -> Option<Map> {
    if let Some(r) = d.read_lock::<CatalogInference>() {
        return Some(inference_map(&r));
    }
    if let Some(r) = d.read_lock::<EvalReport>() {
        return Some(evaluation_map(&r));
    }
    if let Some(r) = d.read_lock::<ExactReport>() {
        return Some(exact_map(&r));
    }
    if let Some(r) = d.read_lock::<TrainingInfo>() {
        return Some(training_map(&r));
    }
    if let Some(r) = d.read_lock::<EmulatorAccuracy>() {
        return Some(emulator_report_map(&r));
    }
    if let Some(r) = d.read_lock::<TrainReport>() {
        return Some(emulator_training_map(&r));
    }
    if let Some(r) = d.read_lock::<DrawnRuns>() {
        return Some(drawn_runs_map(&r));
    }
    if let Some(r) = d.read_lock::<crate::infer::stream::ShardDone>() {
        return Some(shard_run_map(&r));
    }
    if let Some(r) = d.read_lock::<crate::infer::training_set::SetShard>() {
        return Some(set_shard_map(&r));
    }
    None
}

script_result! {
    crate::infer::training_set::SetShard as "SetShard", register_set_shard, set_shard_map {
        /// The partial file (not written for a single shard `0/1`).
        partial: "string" => |r| text(&r.partial.to_string_lossy()),
        /// The shard's runs file.
        file: "string" => |r| text(&r.part.file),
        /// The shard's blocks `[first, end)` of `n_blocks` (4096 runs each).
        first_block: "int" => |r| int(r.part.range.start),
        end_block: "int" => |r| int(r.part.range.end),
        n_blocks: "int" => |r| int(r.part.n_blocks),
        /// Runs written, and how many succeeded.
        rows: "int" => |r| int(r.part.rows),
        n_ok: "int" => |r| int(r.part.n_ok),
        /// Seconds of work, over all attempts.
        seconds: "float" => |r| float(r.part.seconds),
        /// The block this call resumed at, or `()`.
        resumed_at: "int" => |r| r.resumed_at.map_or(Dynamic::UNIT, int),
    }
}
