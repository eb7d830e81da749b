//! The diagnostics of a whole NUTS run, with warnings in words, and its draws as a table
//! (chain, draw, one column per parameter, then the sampler's statistics).
//!
//! Thresholds (Vehtari et al. 2021; Betancourt 2016): R̂ ≥ 1.01, bulk or tail ESS below 100
//! per chain, any divergence after warm-up, E-BFMI < 0.3, draws that hit the maximum tree
//! depth.

use super::diagnostics::{diagnose, ebfmi, ParamDiagnostics};
use super::trace::NutsRun;
use crate::catalog::{CatalogError, ColumnData, Table};
use rayon::prelude::*;

/// R̂ at or above this is a warning.
pub const RHAT_WARN: f64 = 1.01;
/// Bulk or tail ESS below this many per chain is a warning.
pub const ESS_PER_CHAIN_WARN: f64 = 100.0;
/// E-BFMI below this is a warning.
pub const EBFMI_WARN: f64 = 0.3;

/// The diagnostics of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct RunDiagnostics {
    /// Per parameter (in the order of the names given), R̂ and ESS.
    pub params: Vec<ParamDiagnostics>,
    /// Divergent transitions after warm-up, per chain.
    pub divergences: Vec<usize>,
    /// Divergent transitions during warm-up, all chains.
    pub warmup_divergences: usize,
    /// E-BFMI per chain.
    pub ebfmi: Vec<f64>,
    /// Mean tree depth over all kept draws.
    pub mean_tree_depth: f64,
    /// Largest tree depth.
    pub max_tree_depth: u64,
    /// Draws that reached the maximum tree depth.
    pub max_depth_hits: usize,
    /// Mean leapfrog steps per draw.
    pub mean_steps: f64,
    /// The mean step size of each chain after warm-up (nuts-rs jitters it by ±10 % from
    /// draw to draw).
    pub step_size: Vec<f64>,
    /// Problems, in words.
    pub warnings: Vec<String>,
}

impl RunDiagnostics {
    /// Total divergences after warm-up.
    pub fn total_divergences(&self) -> usize {
        self.divergences.iter().sum()
    }

    /// The largest R̂ over the parameters at `indices`.
    pub fn rhat_max(&self, indices: &[usize]) -> f64 {
        indices
            .iter()
            .map(|&i| self.params[i].rhat)
            .fold(f64::NAN, f64::max)
    }

    /// The smallest bulk ESS over the parameters at `indices`.
    pub fn ess_bulk_min(&self, indices: &[usize]) -> f64 {
        indices
            .iter()
            .map(|&i| self.params[i].ess_bulk)
            .fold(f64::NAN, f64::min)
    }
}

/// The diagnostics of `run` for draws mapped by `map` (e.g. to physical units; R̂ and
/// ESS are computed on the mapped values), parameters named `names`.
pub fn diagnostics(
    run: &NutsRun,
    names: &[String],
    map: &(dyn Fn(&[f64]) -> Vec<f64> + Sync),
) -> RunDiagnostics {
    let n = run.n_draws();
    let mapped: Vec<Vec<Vec<f64>>> = run
        .chains
        .iter()
        .map(|c| (0..n).map(|t| map(&c.draws.row(t).to_vec())).collect())
        .collect();
    let params: Vec<ParamDiagnostics> = (0..names.len())
        .into_par_iter()
        .map(|k| {
            let chains: Vec<Vec<f64>> = mapped
                .iter()
                .map(|c| c.iter().map(|x| x[k]).collect())
                .collect();
            diagnose(&chains)
        })
        .collect();
    let stats = run.chains.iter().flat_map(|c| c.stats.iter().take(n));
    let total = (n * run.chains.len()).max(1) as f64;
    let mut d = RunDiagnostics {
        params,
        divergences: run
            .chains
            .iter()
            .map(|c| c.stats.iter().take(n).filter(|s| s.diverging).count())
            .collect(),
        warmup_divergences: run.chains.iter().map(|c| c.warmup_divergences).sum(),
        ebfmi: run
            .chains
            .iter()
            .map(|c| {
                ebfmi(
                    &c.stats
                        .iter()
                        .take(n)
                        .map(|s| s.energy)
                        .collect::<Vec<f64>>(),
                )
            })
            .collect(),
        mean_tree_depth: stats.clone().map(|s| s.depth as f64).sum::<f64>() / total,
        max_tree_depth: stats.clone().map(|s| s.depth).max().unwrap_or(0),
        max_depth_hits: stats.clone().filter(|s| s.max_depth_reached).count(),
        mean_steps: stats.map(|s| s.n_steps as f64).sum::<f64>() / total,
        step_size: run
            .chains
            .iter()
            .map(|c| c.stats.iter().take(n).map(|s| s.step_size).sum::<f64>() / n.max(1) as f64)
            .collect(),
        warnings: Vec::new(),
    };
    d.warnings = warnings(&d, names, run.chains.len());
    d
}

/// The warnings of a run, in words.
fn warnings(d: &RunDiagnostics, names: &[String], chains: usize) -> Vec<String> {
    let mut w = Vec::new();
    let worst = |f: &dyn Fn(&ParamDiagnostics) -> f64, max: bool| {
        let mut it = d
            .params
            .iter()
            .enumerate()
            .filter(|(_, p)| f(p).is_finite());
        let first = it.next();
        it.fold(first, |best, cur| match best {
            Some(b) if (f(cur.1) > f(b.1)) == max => Some(cur),
            None => Some(cur),
            b => b,
        })
        .map(|(i, p)| (names.get(i).cloned().unwrap_or_default(), f(p)))
    };
    let bad_rhat = d
        .params
        .iter()
        .filter(|p| p.rhat.is_nan() || p.rhat >= RHAT_WARN)
        .count();
    if let (true, Some((name, v))) = (bad_rhat > 0, worst(&|p| p.rhat, true)) {
        w.push(format!(
            "R-hat ≥ {RHAT_WARN} for {bad_rhat} of {} parameters (largest {v:.3}, {name}): the chains have not mixed; run more warm-up and draws",
            d.params.len()
        ));
    }
    let floor = ESS_PER_CHAIN_WARN * chains as f64;
    let low = d
        .params
        .iter()
        .filter(|p| {
            let e = p.ess_bulk.min(p.ess_tail);
            e.is_nan() || e < floor
        })
        .count();
    if let (true, Some((name, v))) = (low > 0, worst(&|p| p.ess_bulk.min(p.ess_tail), false)) {
        w.push(format!(
            "effective sample size below {ESS_PER_CHAIN_WARN} per chain ({floor:.0}) for {low} parameters (smallest {v:.0}, {name}): the summaries are noisy; draw more"
        ));
    }
    let div = d.total_divergences();
    if div > 0 {
        w.push(format!(
            "{div} divergent transitions after warm-up: the sampler could not follow the posterior's curvature there and the draws may be biased; raise target_accept (e.g. 0.95)"
        ));
    }
    for (c, e) in d.ebfmi.iter().enumerate().filter(|(_, e)| **e < EBFMI_WARN) {
        w.push(format!(
            "E-BFMI {e:.2} < {EBFMI_WARN} in chain {c}: the momentum resampling explores the energy distribution poorly (heavy tails or a funnel); consider a reparametrisation"
        ));
    }
    if d.max_depth_hits > 0 {
        w.push(format!(
            "{} draws reached the maximum tree depth: the trajectories were cut short; sampling is less efficient (raise max_depth)",
            d.max_depth_hits
        ));
    }
    w
}

/// The kept draws as a table: `chain`, `draw`, one column per parameter (from `chains`,
/// `(n_draws, n_params)` per chain, e.g. in physical units), then `diverging`, `tree_depth`,
/// `n_steps`, `step_size`, `energy`, `log_density` from the run's statistics.
pub fn draws_table(
    chains: &[ndarray::Array2<f64>],
    run: &NutsRun,
    names: &[String],
) -> Result<Table, CatalogError> {
    let n = run.n_draws();
    let mut cols = vec![
        (
            "chain".to_string(),
            ColumnData::Int(
                (0..chains.len())
                    .flat_map(|c| std::iter::repeat_n(c as i64, n))
                    .collect(),
            ),
        ),
        (
            "draw".to_string(),
            ColumnData::Int((0..chains.len()).flat_map(|_| 0..n as i64).collect()),
        ),
    ];
    for (k, name) in names.iter().enumerate() {
        let v = chains
            .iter()
            .flat_map(|c| c.column(k).iter().take(n).copied().collect::<Vec<_>>())
            .collect();
        cols.push((name.clone(), ColumnData::Float(v)));
    }
    let stats = || run.chains.iter().flat_map(|c| c.stats.iter().take(n));
    cols.push((
        "diverging".into(),
        ColumnData::Bool(stats().map(|s| s.diverging).collect()),
    ));
    cols.push((
        "tree_depth".into(),
        ColumnData::Int(stats().map(|s| s.depth as i64).collect()),
    ));
    cols.push((
        "n_steps".into(),
        ColumnData::Int(stats().map(|s| s.n_steps as i64).collect()),
    ));
    cols.push((
        "step_size".into(),
        ColumnData::Float(stats().map(|s| s.step_size).collect()),
    ));
    cols.push((
        "energy".into(),
        ColumnData::Float(stats().map(|s| s.energy).collect()),
    ));
    cols.push((
        "log_density".into(),
        ColumnData::Float(stats().map(|s| s.log_density).collect()),
    ));
    Table::from_columns(cols)
}
