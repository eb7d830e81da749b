//! Results of the baselines as script types: `Hmc` (from `hmc`), `MapFit` (from `map_fit`)
//! and `Nuts` (from `nuts`), with documented getters; `r.alpha_imf_mean`, `r.log10_n_ia_sd`,
//! … give each global parameter's summary.

use super::convert::float_array;
use super::failure::{fail, RhaiResult};
use super::results::{describe, script_result};
use crate::catalog::{ColumnData, Table};
use crate::error::ErrorKind;
use crate::infer::hier::ParamSummary;
use crate::infer::hmc::{HmcFit, RunDiagnostics, Sampled};
use crate::infer::map::MapFit;
use crate::stats::Draws;
use ndarray::Array2;
use rhai::{Array, Dynamic, FuncRegistration, Map, Module, INT};

fn int(n: usize) -> Dynamic {
    Dynamic::from_int(n as INT)
}

fn float(v: f64) -> Dynamic {
    Dynamic::from_float(v)
}

fn floats(v: &[f64]) -> Dynamic {
    Dynamic::from_array(float_array(v))
}

fn strings(v: &[String]) -> Dynamic {
    Dynamic::from_array(v.iter().map(|s| Dynamic::from(s.clone())).collect())
}

fn matrix(m: &Array2<f64>) -> Dynamic {
    Dynamic::from_array(m.rows().into_iter().map(|r| floats(&r.to_vec())).collect())
}

fn table(t: Result<Table, crate::catalog::CatalogError>) -> Dynamic {
    t.map(Dynamic::from)
        .unwrap_or_else(|e| Dynamic::from(e.to_string()))
}

/// Pooled draws as a table, one column per parameter (`names`, in the draws' order).
fn draws_columns(s: &[ParamSummary], d: &Draws) -> Result<Table, crate::catalog::CatalogError> {
    let cols = s
        .iter()
        .enumerate()
        .map(|(j, p)| (p.name.clone(), ColumnData::Float(d.column(j).to_vec())))
        .collect();
    Table::from_columns(cols)
}

/// One field of every summary.
fn field(s: &[ParamSummary], f: fn(&ParamSummary) -> f64) -> Dynamic {
    floats(&s.iter().map(f).collect::<Vec<f64>>())
}

/// `#{ name: #{ mean, sd, median, q16, q84, q02, q98 } }`.
fn summary_map(s: &[ParamSummary]) -> Dynamic {
    Dynamic::from_map(
        s.iter()
            .map(|p| {
                let mut m = Map::new();
                for (k, v) in [
                    ("mean", p.mean),
                    ("sd", p.sd),
                    ("median", p.median),
                    ("q16", p.q16),
                    ("q84", p.q84),
                    ("q02", p.q02),
                    ("q98", p.q98),
                ] {
                    m.insert(k.into(), float(v));
                }
                (p.name.as_str().into(), Dynamic::from_map(m))
            })
            .collect(),
    )
}

fn names(s: &[ParamSummary]) -> Dynamic {
    Dynamic::from_array(s.iter().map(|p| Dynamic::from(p.name.clone())).collect())
}

/// Per-parameter diagnostics as a table: name, rhat, ess_bulk, ess_tail.
fn diagnostics_table(
    names: &[String],
    d: &RunDiagnostics,
) -> Result<Table, crate::catalog::CatalogError> {
    Table::from_columns(vec![
        ("name".into(), ColumnData::Text(names.to_vec())),
        (
            "rhat".into(),
            ColumnData::Float(d.params.iter().map(|p| p.rhat).collect()),
        ),
        (
            "ess_bulk".into(),
            ColumnData::Float(d.params.iter().map(|p| p.ess_bulk).collect()),
        ),
        (
            "ess_tail".into(),
            ColumnData::Float(d.params.iter().map(|p| p.ess_tail).collect()),
        ),
    ])
}

fn over(
    d: &RunDiagnostics,
    k: usize,
    f: fn(&crate::infer::hmc::ParamDiagnostics) -> f64,
) -> Vec<f64> {
    d.params.iter().take(k).map(f).collect()
}

fn all(d: &RunDiagnostics) -> Vec<usize> {
    (0..d.params.len()).collect()
}

script_result! {
    HmcFit as "Hmc", register_hmc, hmc_map {
        /// Names of the global parameters; `r.<name>_mean`, `_sd`, `_median`, `_q16`, `_q84`,
        /// `_q02`, `_q98` give each one's summary (e.g. `r.alpha_imf_mean`).
        global_names: "Array" => |r| names(&r.global),
        /// Posterior means of the global parameters (all chains' kept draws).
        mean: "Array" => |r| field(&r.global, |p| p.mean),
        /// Posterior standard deviations.
        sd: "Array" => |r| field(&r.global, |p| p.sd),
        /// Posterior medians.
        median: "Array" => |r| field(&r.global, |p| p.median),
        /// 15.865 % percentiles (spec B.5).
        q16: "Array" => |r| field(&r.global, |p| p.q16),
        /// 84.135 % percentiles.
        q84: "Array" => |r| field(&r.global, |p| p.q84),
        /// 2.275 % percentiles.
        q02: "Array" => |r| field(&r.global, |p| p.q02),
        /// 97.725 % percentiles.
        q98: "Array" => |r| field(&r.global, |p| p.q98),
        /// Every summary by name: `#{ alpha_imf: #{ mean, sd, median, q16, q84, q02, q98 }, … }`.
        summary: "Map" => |r| summary_map(&r.global),
        /// Covariance of the global parameters.
        cov: "Array" => |r| matrix(&r.global_cov),
        /// Rank-normalised split R-hat of each global parameter.
        rhat: "Array" => |r| floats(&over(&r.sampled.diagnostics, r.global.len(), |p| p.rhat)),
        /// Bulk effective sample size of each global parameter.
        ess_bulk: "Array" => |r| floats(&over(&r.sampled.diagnostics, r.global.len(), |p| p.ess_bulk)),
        /// Tail effective sample size of each global parameter.
        ess_tail: "Array" => |r| floats(&over(&r.sampled.diagnostics, r.global.len(), |p| p.ess_tail)),
        /// The largest R-hat over the global parameters.
        rhat_max: "float" => |r| float(r.sampled.diagnostics.rhat_max(&(0..r.global.len()).collect::<Vec<_>>())),
        /// The smallest bulk ESS over the global parameters.
        ess_bulk_min: "float" => |r| float(r.sampled.diagnostics.ess_bulk_min(&(0..r.global.len()).collect::<Vec<_>>())),
        /// The largest R-hat over all parameters (local ones and model errors included).
        rhat_max_all: "float" => |r| float(r.sampled.diagnostics.rhat_max(&all(&r.sampled.diagnostics))),
        /// The smallest bulk ESS over all parameters.
        ess_bulk_min_all: "float" => |r| float(r.sampled.diagnostics.ess_bulk_min(&all(&r.sampled.diagnostics))),
        /// R-hat, bulk and tail ESS of every parameter: a table with `name`, `rhat`, `ess_bulk`, `ess_tail`.
        diagnostics: "Table" => |r| table(diagnostics_table(&r.sampled.names, &r.sampled.diagnostics)),
        /// Divergent transitions after warm-up (all chains).
        divergences: "int" => |r| int(r.sampled.diagnostics.total_divergences()),
        /// Divergent transitions during warm-up.
        warmup_divergences: "int" => |r| int(r.sampled.diagnostics.warmup_divergences),
        /// E-BFMI of each chain.
        ebfmi: "Array" => |r| floats(&r.sampled.diagnostics.ebfmi),
        /// Mean tree depth.
        mean_tree_depth: "float" => |r| float(r.sampled.diagnostics.mean_tree_depth),
        /// Largest tree depth.
        max_tree_depth: "int" => |r| int(r.sampled.diagnostics.max_tree_depth as usize),
        /// Draws that reached the maximum tree depth.
        max_depth_hits: "int" => |r| int(r.sampled.diagnostics.max_depth_hits),
        /// Mean leapfrog steps per draw.
        mean_steps: "float" => |r| float(r.sampled.diagnostics.mean_steps),
        /// Each chain's step size after warm-up (of the Laplace-preconditioned coordinates).
        step_size: "Array" => |r| floats(&r.sampled.diagnostics.step_size),
        /// Number of stars.
        n_stars: "int" => |r| int(r.n_stars),
        /// Number of chains.
        chains: "int" => |r| int(r.sampled.chains.len()),
        /// Kept draws per chain.
        draws_per_chain: "int" => |r| int(r.sampled.run.n_draws()),
        /// Warm-up iterations per chain.
        warmup: "int" => |r| int(r.nuts.warmup),
        /// Target acceptance of the step-size adaptation.
        target_accept: "float" => |r| float(r.nuts.target_accept),
        /// Wall-clock seconds, MAP and sampling.
        seconds: "float" => |r| float(r.seconds),
        /// Seconds of the MAP fit (start and preconditioner).
        map_seconds: "float" => |r| float(r.map.seconds),
        /// Seconds of sampling.
        sampling_seconds: "float" => |r| float(r.sampled.run.seconds),
        /// `completed`, or why sampling stopped early.
        termination: "string" => |r| Dynamic::from(r.termination.clone()),
        /// Problems, in words (R-hat, ESS, divergences, E-BFMI, tree depth, the MAP fit).
        warnings: "Array" => |r| strings(&r.warnings),
        /// Every kept draw: `chain`, `draw`, one column per parameter (physical units), then
        /// `diverging`, `tree_depth`, `n_steps`, `step_size`, `energy`, `log_density`.
        /// `r.draws.write("draws.parquet")` saves it.
        draws: "Table" => |r| table(r.sampled.draws_table()),
        /// The kept draws of the global parameters, chains pooled chain after chain: a table
        /// with one column per global parameter (`alpha_imf`, `log10_n_ia`), chains × draws rows.
        global_draws: "Table" => |r| table(draws_columns(&r.global, &r.global_draws)),
        /// The MAP fit the chains started from.
        map: "MapFit" => |r| Dynamic::from(r.map.clone()),
    }
}

script_result! {
    MapFit as "MapFit", register_map_fit, map_fit_map {
        /// Names of the global parameters; `r.<name>_mean`, `_sd`, … as for `Hmc`.
        global_names: "Array" => |r| names(&r.global),
        /// The mode of the global parameters (the Laplace mean).
        mean: "Array" => |r| field(&r.global, |p| p.mean),
        /// Laplace standard deviations of the global parameters.
        sd: "Array" => |r| field(&r.global, |p| p.sd),
        /// Medians (= the mode).
        median: "Array" => |r| field(&r.global, |p| p.median),
        /// 15.865 % percentiles of the Laplace marginal.
        q16: "Array" => |r| field(&r.global, |p| p.q16),
        /// 84.135 % percentiles.
        q84: "Array" => |r| field(&r.global, |p| p.q84),
        /// 2.275 % percentiles.
        q02: "Array" => |r| field(&r.global, |p| p.q02),
        /// 97.725 % percentiles.
        q98: "Array" => |r| field(&r.global, |p| p.q98),
        /// Every summary by name.
        summary: "Map" => |r| summary_map(&r.global),
        /// Laplace covariance of the global parameters.
        cov: "Array" => |r| matrix(&r.global_cov),
        /// Every parameter at the mode: a table with `name`, `mode` (physical) and
        /// `sd_unconstrained` (Laplace, sampler coordinates).
        params: "Table" => |r| table(Table::from_columns(vec![
            ("name".into(), ColumnData::Text(r.names.clone())),
            ("mode".into(), ColumnData::Float(r.mode.clone())),
            ("sd_unconstrained".into(), ColumnData::Float(r.sd.clone())),
        ])),
        /// log p at the mode (unconstrained coordinates, up to a constant).
        log_density: "float" => |r| float(r.optimum.log_density),
        /// |∇ log p| at the mode.
        grad_norm: "float" => |r| float(r.optimum.grad_norm),
        /// L-BFGS iterations.
        iterations: "int" => |r| int(r.optimum.iterations as usize),
        /// Density evaluations of the optimiser.
        evaluations: "int" => |r| int(r.optimum.evaluations as usize),
        /// Gradient evaluations of the Hessian.
        hessian_evaluations: "int" => |r| int(r.hessian_evaluations),
        /// Whether a tolerance stopped the optimiser.
        converged: "bool" => |r| Dynamic::from_bool(r.optimum.converged),
        /// Why the optimiser stopped.
        termination: "string" => |r| Dynamic::from(r.optimum.termination.clone()),
        /// Number of stars.
        n_stars: "int" => |r| int(r.n_stars),
        /// Wall-clock seconds.
        seconds: "float" => |r| float(r.seconds),
        /// Problems, in words.
        warnings: "Array" => |r| strings(&r.warnings),
    }
}

fn sampled_stat(s: &Sampled, f: fn(&[f64]) -> f64) -> Dynamic {
    floats(
        &(0..s.names.len())
            .map(|k| f(&s.pooled(k)))
            .collect::<Vec<f64>>(),
    )
}

fn mean(v: &[f64]) -> f64 {
    crate::stats::mean(v).unwrap_or(f64::NAN)
}

fn sd(v: &[f64]) -> f64 {
    crate::stats::std(v).unwrap_or(f64::NAN)
}

script_result! {
    Sampled as "Nuts", register_nuts, nuts_map {
        /// Coordinate names `x0, x1, …`.
        names: "Array" => |r| strings(&r.names),
        /// Mean of every coordinate.
        mean: "Array" => |r| sampled_stat(r, mean),
        /// Standard deviation of every coordinate.
        sd: "Array" => |r| sampled_stat(r, sd),
        /// Rank-normalised split R-hat of every coordinate.
        rhat: "Array" => |r| floats(&over(&r.diagnostics, r.names.len(), |p| p.rhat)),
        /// Bulk ESS of every coordinate.
        ess_bulk: "Array" => |r| floats(&over(&r.diagnostics, r.names.len(), |p| p.ess_bulk)),
        /// Tail ESS of every coordinate.
        ess_tail: "Array" => |r| floats(&over(&r.diagnostics, r.names.len(), |p| p.ess_tail)),
        /// Divergent transitions after warm-up.
        divergences: "int" => |r| int(r.diagnostics.total_divergences()),
        /// E-BFMI of each chain.
        ebfmi: "Array" => |r| floats(&r.diagnostics.ebfmi),
        /// Each chain's step size after warm-up.
        step_size: "Array" => |r| floats(&r.diagnostics.step_size),
        /// Mean tree depth.
        mean_tree_depth: "float" => |r| float(r.diagnostics.mean_tree_depth),
        /// Number of chains.
        chains: "int" => |r| int(r.chains.len()),
        /// Kept draws per chain.
        draws_per_chain: "int" => |r| int(r.run.n_draws()),
        /// Wall-clock seconds.
        seconds: "float" => |r| float(r.run.seconds),
        /// `completed`, or why sampling stopped early.
        termination: "string" => |r| Dynamic::from(r.run.termination.clone()),
        /// Problems, in words.
        warnings: "Array" => |r| strings(&r.diagnostics.warnings),
        /// Every kept draw: `chain`, `draw`, `x0`, `x1`, …, then the sampler's statistics.
        draws: "Table" => |r| table(r.draws_table()),
    }
}

/// `r.<global>_mean`, `_sd`, `_median`, `_q16`, `_q84`, `_q02`, `_q98` of a baseline.
fn global_property(
    what: &str,
    s: &[ParamSummary],
    known: Vec<String>,
    key: &str,
) -> RhaiResult<Dynamic> {
    for p in s {
        for (suffix, v) in [
            ("mean", p.mean),
            ("sd", p.sd),
            ("median", p.median),
            ("q16", p.q16),
            ("q84", p.q84),
            ("q02", p.q02),
            ("q98", p.q98),
        ] {
            if key == format!("{}_{suffix}", p.name) {
                return Ok(float(v));
            }
        }
    }
    Err(fail(
        ErrorKind::Script,
        format!("{what} has no property '{key}'; its properties are {} and <global>_mean, _sd, _median, _q16, _q84, _q02, _q98", known.join(", ")),
    ))
}

/// Registers the getters of the three types.
pub fn register_all(m: &mut Module) {
    register_hmc(m);
    register_map_fit(m);
    register_nuts(m);
    FuncRegistration::new_index_getter().set_into_module(m, |r: &mut HmcFit, key: &str| {
        global_property(
            "an Hmc result",
            &r.global,
            hmc_map(r).keys().map(|k| k.to_string()).collect(),
            key,
        )
    });
    FuncRegistration::new_index_getter().set_into_module(m, |r: &mut MapFit, key: &str| {
        global_property(
            "a MapFit",
            &r.global,
            map_fit_map(r).keys().map(|k| k.to_string()).collect(),
            key,
        )
    });
}

/// The script names of the types.
pub fn register_types(engine: &mut rhai::Engine) {
    engine.register_type_with_name::<HmcFit>("Hmc");
    engine.register_type_with_name::<MapFit>("MapFit");
    engine.register_type_with_name::<Sampled>("Nuts");
}
