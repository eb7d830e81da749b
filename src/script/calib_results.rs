//! The calibration results as script types: `CalibrationRun`, `Sbc`, `Tarp`, `Coverage`,
//! `Ppc` and `Lc2st`, with documented getters, `to_map()` for JSON and tables of the
//! per-simulation or per-star values.

use super::failure::{rt, RhaiResult};
use super::results::{describe, float, floats, int, or_error, strings, text};
use crate::calib::{Calibration, CoverageResult, Lc2stResult, PpcResult, SbcResult, TarpResult};
use crate::catalog::{ColumnData, Table};
use rhai::{Array, Dynamic, FuncRegistration, Map, Module};

/// `name → value` for parallel name and value lists.
fn by_name(names: &[String], values: &[f64]) -> Dynamic {
    Dynamic::from_map(
        names
            .iter()
            .zip(values)
            .map(|(n, v)| (n.as_str().into(), float(*v)))
            .collect(),
    )
}

/// The SBC ranks: one column per parameter, then `samples` (the draws they rank among).
pub fn ranks_table(r: &SbcResult) -> RhaiResult<Table> {
    let mut cols: Vec<(String, ColumnData)> = r
        .names
        .iter()
        .enumerate()
        .map(|(j, n)| {
            (
                n.clone(),
                ColumnData::Int(r.ranks.iter().map(|row| row[j].round() as i64).collect()),
            )
        })
        .collect();
    cols.push((
        "samples".into(),
        ColumnData::Int(vec![r.samples as i64; r.n]),
    ));
    Table::from_columns(cols).map_err(rt)
}

/// Per simulation: index, θ*, posterior mean and sd, ranks and the density rank.
fn simulations_table(c: &Calibration) -> RhaiResult<Table> {
    let rows: Vec<_> = c.usable().collect();
    let mut cols = vec![(
        "sim".to_string(),
        ColumnData::Int(rows.iter().map(|(r, _)| r.id as i64).collect()),
    )];
    for (j, n) in c.names.iter().enumerate() {
        let col = |f: &dyn Fn(&crate::calib::SimRecord, &crate::calib::SimStats) -> f64| {
            ColumnData::Float(rows.iter().map(|(r, s)| f(r, s)).collect())
        };
        cols.push((format!("true_{n}"), col(&|r, _| r.theta[j])));
        cols.push((format!("mean_{n}"), col(&|_, s| s.mean[j])));
        cols.push((format!("sd_{n}"), col(&|_, s| s.sd[j])));
        cols.push((format!("rank_{n}"), col(&|_, s| s.ranks[j])));
    }
    cols.push((
        "hpd".into(),
        ColumnData::Float(
            rows.iter()
                .map(|(_, s)| s.hpd.unwrap_or(f64::NAN))
                .collect(),
        ),
    ));
    Table::from_columns(cols).map_err(rt)
}

/// Per star: row, label, the two p-values and the residuals.
fn stars_table(r: &PpcResult) -> RhaiResult<Table> {
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
    cols.push((
        "p_value".into(),
        ColumnData::Float(r.stars.iter().map(|s| s.p_value).collect()),
    ));
    cols.push((
        "p_classical".into(),
        ColumnData::Float(r.stars.iter().map(|s| s.p_classical).collect()),
    ));
    for (j, e) in r.elements.iter().enumerate() {
        cols.push((
            format!("residual_{e}"),
            ColumnData::Float(r.stars.iter().map(|s| s.residuals[j]).collect()),
        ));
    }
    Table::from_columns(cols).map_err(rt)
}

fn unusable(u: &[(u64, String)]) -> Dynamic {
    Dynamic::from_array(
        u.iter()
            .map(|(i, m)| {
                let mut e = Map::new();
                e.insert("sim".into(), int(*i as usize));
                e.insert("reason".into(), text(m));
                Dynamic::from_map(e)
            })
            .collect(),
    )
}

fn flags(r: &PpcResult) -> Dynamic {
    Dynamic::from_array(
        r.flagged
            .iter()
            .map(|f| {
                let mut e = Map::new();
                e.insert("row".into(), int(f.row));
                e.insert(
                    "label".into(),
                    f.label.as_deref().map_or(Dynamic::UNIT, text),
                );
                e.insert("kind".into(), text(&f.kind));
                e.insert("elements".into(), strings(&f.elements));
                e.insert("reason".into(), text(&f.reason));
                Dynamic::from_map(e)
            })
            .collect(),
    )
}

fn coverage_map(r: &CoverageResult) -> Dynamic {
    let mut m = Map::new();
    m.insert("levels".into(), floats(&r.levels));
    for (j, n) in r.names.iter().enumerate() {
        m.insert(n.as_str().into(), floats(&r.marginal[j]));
    }
    m.insert("joint".into(), floats(&r.joint));
    m.insert("joint_global".into(), floats(&r.joint_global));
    Dynamic::from_map(m)
}

crate::script_result! {
    Calibration as "CalibrationRun", register_run, run_map {
        /// Simulations of the whole run.
        n: "int" => |r| int(r.n),
        /// Posterior draws per simulation.
        samples: "int" => |r| int(r.samples),
        /// Simulations the posterior could sample.
        n_usable: "int" => |r| int(r.n_usable()),
        /// Simulations it could not sample: `#{ sim, reason }` each.
        unusable: "Array" => |r| unusable(&r.unusable()),
        /// Parameter names.
        names: "Array" => |r| strings(&r.names),
        /// The noise σ added to the simulations (dex).
        noise: "Array" => |r| floats(&r.noise),
        /// Simulator runs that failed and were replaced.
        n_failed_runs: "int" => |r| int(r.n_failed_runs),
        /// The seed.
        seed: "int" => |r| Dynamic::from_int(r.seed as rhai::INT),
        /// The TARP convention of the run.
        convention: "string" => |r| text(r.convention.name()),
        /// The posterior and the simulator.
        posterior: "string" => |r| text(&r.posterior),
        simulator: "string" => |r| text(&r.simulator),
        /// Seconds.
        seconds: "float" => |r| float(r.seconds),
        /// Per simulation: `sim`, `true_<p>`, `mean_<p>`, `sd_<p>`, `rank_<p>`, `hpd`.
        simulations: "Table" => |r| or_error(simulations_table(r)),
    }
}

crate::script_result! {
    SbcResult as "Sbc", register_sbc, sbc_map {
        /// Usable simulations.
        n: "int" => |r| int(r.n),
        /// Draws per simulation (the ranks are in 0 … samples).
        samples: "int" => |r| int(r.samples),
        /// Parameter names.
        names: "Array" => |r| strings(&r.names),
        /// KS p-value of the ranks per parameter: name → p.
        ks_pvalues: "Map" => |r| by_name(&r.names, &r.ks_pvalues),
        /// χ² p-value of the rank histogram per parameter.
        chi2_pvalues: "Map" => |r| by_name(&r.names, &r.chi2_pvalues),
        /// KS p-value of the data-averaged posterior against the prior per parameter.
        dap_pvalues: "Map" => |r| by_name(&r.names, &r.dap_pvalues),
        /// The binomial 99 % band of one histogram bin's count, `[low, high]`.
        band: "Array" => |r| floats(&[r.band.0, r.band.1]),
        /// Histogram counts per parameter: name → array.
        counts: "Map" => |r| Dynamic::from_map(r.names.iter().zip(&r.counts).map(|(n, c)| (n.as_str().into(), Dynamic::from_array(c.iter().map(|v| int(*v)).collect()))).collect()),
        /// The ranks: one column per parameter and `samples`.
        ranks: "Table" => |r| or_error(ranks_table(r)),
        /// Simulations the posterior could not sample.
        unusable: "Array" => |r| unusable(&r.unusable),
        /// The histogram convention.
        convention: "string" => |r| text(r.convention.name()),
    }
}

crate::script_result! {
    TarpResult as "Tarp", register_tarp, tarp_map {
        /// Area between the ECP curve and the diagonal above α = ½ (> 0 over-dispersed).
        atc: "float" => |r| float(r.atc),
        /// KS p-value (default: the credibility levels against U(0, 1)).
        ks_pvalue: "float" => |r| float(r.ks_pvalue),
        /// Credibility levels α.
        alpha: "Array" => |r| floats(&r.alpha),
        /// Expected coverage probability at each α.
        ecp: "Array" => |r| floats(&r.ecp),
        /// Bootstrap mean and sd of the ECP on `alpha_grid`.
        alpha_grid: "Array" => |r| floats(&r.alpha_grid),
        boot_mean: "Array" => |r| floats(&r.boot_mean),
        boot_sd: "Array" => |r| floats(&r.boot_sd),
        /// Usable simulations.
        n: "int" => |r| int(r.n),
        /// `default` or `paper`.
        convention: "string" => |r| text(r.convention.name()),
    }
}

crate::script_result! {
    CoverageResult as "Coverage", register_coverage, coverage_result_map {
        /// Credibility levels.
        levels: "Array" => |r| floats(&r.levels),
        /// `levels`, then per parameter, `joint` and `joint_global` the coverage at each level.
        coverage: "Map" => |r| coverage_map(r),
        /// How the joint region was found: `log_prob` or `gaussian`.
        joint_method: "string" => |r| text(&r.joint_method),
        /// The global parameters of `joint_global`.
        global_names: "Array" => |r| strings(&r.global_names),
        /// Binomial standard error at each level.
        stderr: "Array" => |r| floats(&r.stderr),
        /// Usable simulations.
        n: "int" => |r| int(r.n),
    }
}

crate::script_result! {
    PpcResult as "Ppc", register_ppc, ppc_map {
        /// Sampled-posterior p-value of every checked star, in catalog order (uniform under a
        /// well-specified model).
        p_values: "Array" => |r| floats(&r.p_values()),
        /// Classical posterior predictive p-values (bunched towards ½).
        p_classical: "Array" => |r| floats(&r.stars.iter().map(|s| s.p_classical).collect::<Vec<_>>()),
        /// KS p-value of `p_values` against U(0, 1).
        ks_pvalue: "float" => |r| float(r.ks_pvalue),
        /// The same for the classical p-values (not uniform even when the model is right).
        ks_classical: "float" => |r| float(r.ks_classical),
        /// Stars that do not fit or were not checked: `#{ row, label, kind, elements, reason }`
        /// with kind `misfit`, `out_of_training` or `unusable`.
        flagged: "Array" => |r| flags(r),
        /// Stars checked.
        n_stars: "int" => |r| int(r.stars.len()),
        /// Rows in the catalog and rows skipped for missing or non-finite values.
        n_rows: "int" => |r| int(r.n_rows),
        n_skipped: "int" => |r| int(r.n_skipped),
        /// Per element the rms and the mean of the standardised residuals.
        residual_rms: "Map" => |r| by_name(&r.elements, &r.residual_rms),
        residual_mean: "Map" => |r| by_name(&r.elements, &r.residual_mean),
        /// Per star: `row`, `label`, `p_value`, `p_classical`, `residual_<element>`.
        stars: "Table" => |r| or_error(stars_table(r)),
        /// Seconds.
        seconds: "float" => |r| float(r.seconds),
    }
}

crate::script_result! {
    Lc2stResult as "Lc2st", register_lc2st, lc2st_map {
        /// The statistic T = mean (d − ½)² at the observation.
        statistic: "float" => |r| float(r.statistic),
        /// Its p-value against the permutation null.
        p_value: "float" => |r| float(r.p_value),
        /// T of every null classifier.
        null_statistics: "Array" => |r| floats(&r.null_statistics),
        /// Pairs per class and draws at the observation.
        n: "int" => |r| int(r.n),
        samples: "int" => |r| int(r.samples),
        /// Seconds.
        seconds: "float" => |r| float(r.seconds),
    }
}

/// Registers the getters of every calibration result.
pub fn register_all(m: &mut Module) {
    register_run(m);
    register_sbc(m);
    register_tarp(m);
    register_coverage(m);
    register_ppc(m);
    register_lc2st(m);
}

/// The script names of the calibration results.
pub fn register_types(engine: &mut rhai::Engine) {
    engine.register_type_with_name::<Calibration>("CalibrationRun");
    engine.register_type_with_name::<SbcResult>("Sbc");
    engine.register_type_with_name::<TarpResult>("Tarp");
    engine.register_type_with_name::<CoverageResult>("Coverage");
    engine.register_type_with_name::<PpcResult>("Ppc");
    engine.register_type_with_name::<Lc2stResult>("Lc2st");
}

/// A calibration result as a map of its properties.
pub fn as_map(d: &Dynamic) -> Option<Map> {
    if let Some(r) = d.read_lock::<Calibration>() {
        return Some(run_map(&r));
    }
    if let Some(r) = d.read_lock::<SbcResult>() {
        return Some(sbc_map(&r));
    }
    if let Some(r) = d.read_lock::<TarpResult>() {
        return Some(tarp_map(&r));
    }
    if let Some(r) = d.read_lock::<CoverageResult>() {
        return Some(coverage_result_map(&r));
    }
    if let Some(r) = d.read_lock::<PpcResult>() {
        return Some(ppc_map(&r));
    }
    d.read_lock::<Lc2stResult>().map(|r| lc2st_map(&r))
}
