//! The HMC baseline: MAP and Laplace for the start and the preconditioner, NUTS, then the
//! diagnostics and the summary of the global parameters (spec B.4–B.5); and NUTS on any
//! log density from a given start ([`nuts_density`]).

use super::report::{diagnostics, draws_table, RunDiagnostics};
use super::sampler::sample;
use super::trace::{NutsOptions, NutsRun};
use crate::catalog::{CatalogError, Table};
use crate::infer::hier::error::BaselineError;
use crate::infer::hier::summary::ParamSummary;
use crate::infer::hier::HierModel;
use crate::infer::map::fit::{map_hier, MapFit, MapOptions};
use crate::model::LogDensity;
use crate::stats::Draws;
use ndarray::Array2;

/// Settings of the HMC baseline.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct HmcOptions {
    /// The sampler.
    pub nuts: NutsOptions,
    /// The MAP fit that gives the start and the preconditioner.
    pub map: MapOptions,
}

/// A NUTS run with its draws in the units of its parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct Sampled {
    /// Parameter names, in column order.
    pub names: Vec<String>,
    /// Kept draws per chain, `(n_draws, n_params)` each.
    pub chains: Vec<Array2<f64>>,
    /// The run (draws in the sampler's coordinates and the statistics).
    pub run: NutsRun,
    /// The diagnostics.
    pub diagnostics: RunDiagnostics,
}

impl Sampled {
    /// The draws as a table (chain, draw, parameters, sampler statistics).
    pub fn draws_table(&self) -> Result<Table, CatalogError> {
        draws_table(&self.chains, &self.run, &self.names)
    }

    /// All kept draws of parameter `k`, chain after chain.
    pub fn pooled(&self, k: usize) -> Vec<f64> {
        self.chains
            .iter()
            .flat_map(|c| c.column(k).to_vec())
            .collect()
    }

    /// Draws of parameter `k` per chain.
    pub fn per_chain(&self, k: usize) -> Vec<Vec<f64>> {
        self.chains.iter().map(|c| c.column(k).to_vec()).collect()
    }

    /// The kept draws of the parameters `cols` (in that order), all chains pooled chain
    /// after chain: values `(chains · draws, cols.len())`, equally weighted.
    pub fn pooled_draws(&self, cols: &[usize]) -> Result<Draws, BaselineError> {
        let n: usize = self.chains.iter().map(|c| c.nrows()).sum();
        let mut values = Array2::zeros((n, cols.len()));
        let rows = self.chains.iter().flat_map(|c| c.rows());
        for (mut out, row) in values.rows_mut().into_iter().zip(rows) {
            for (o, &k) in out.iter_mut().zip(cols) {
                *o = row[k];
            }
        }
        Draws::new(values).map_err(|e| BaselineError::Numerical(format!("the draws: {e}")))
    }
}

/// The HMC fit of a hierarchical model.
#[derive(Debug, Clone, PartialEq)]
pub struct HmcFit {
    /// The summaries of the global parameters over all kept draws.
    pub global: Vec<ParamSummary>,
    /// Their sample covariance `(g, g)` (n − 1 normalisation).
    pub global_cov: Array2<f64>,
    /// The kept draws of the global parameters, chains pooled: `(chains · draws, g)` in
    /// physical units (α_IMF, log10 N_Ia).
    pub global_draws: Draws,
    /// The draws and diagnostics (physical units).
    pub sampled: Sampled,
    /// The MAP fit the chains started from.
    pub map: MapFit,
    /// Number of stars.
    pub n_stars: usize,
    /// Wall-clock seconds, MAP included.
    pub seconds: f64,
    /// `completed` or why sampling stopped early.
    pub termination: String,
    /// Problems, in words (the diagnostics' and the MAP fit's).
    pub warnings: Vec<String>,
    /// The sampler settings used.
    pub nuts: NutsOptions,
}

/// MAP, then NUTS from the mode jittered per chain, preconditioned by the Laplace sds.
pub fn hmc_hier(model: &HierModel, opts: &HmcOptions) -> Result<HmcFit, BaselineError> {
    let started = std::time::Instant::now();
    let map = map_hier(model, &opts.map)?;
    let scale: Vec<f64> = map
        .sd
        .iter()
        .map(|s| {
            if s.is_finite() {
                s.clamp(1e-8, 1e3)
            } else {
                1.0
            }
        })
        .collect();
    let run = sample(model, &map.x, &scale, &opts.nuts).map_err(BaselineError::Numerical)?;
    let to_phys = |x: &[f64]| model.to_physical(x);
    let sampled = sampled(run, model.names().to_vec(), &to_phys)?;
    let g = model.global_names().len();
    let global_draws = sampled.pooled_draws(&(0..g).collect::<Vec<_>>())?;
    let global: Vec<ParamSummary> = (0..g)
        .filter_map(|k| {
            ParamSummary::from_draws(&sampled.names[k], &global_draws.column(k).to_vec())
        })
        .collect();
    let global_cov = global_draws.covariance();
    let mut warnings = map.warnings.clone();
    warnings.extend(sampled.diagnostics.warnings.iter().cloned());
    let termination = sampled.run.termination.clone();
    if termination != "completed" {
        warnings.push(format!(
            "sampling {termination}: the summaries use the draws made so far"
        ));
        crate::interrupt::consume_interrupt();
    }
    Ok(HmcFit {
        global,
        global_cov,
        global_draws,
        n_stars: model.n_stars(),
        map,
        sampled,
        seconds: started.elapsed().as_secs_f64(),
        termination,
        warnings,
        nuts: opts.nuts.clone(),
    })
}

/// NUTS on `density` from `init` without preconditioning (the adaptation learns the
/// scales); parameters named `x0, x1, …`.
pub fn nuts_density(
    density: &dyn LogDensity,
    init: &[f64],
    opts: &NutsOptions,
) -> Result<Sampled, BaselineError> {
    let ones = vec![1.0; init.len()];
    let run = sample(density, init, &ones, opts).map_err(BaselineError::Numerical)?;
    let names = (0..init.len()).map(|k| format!("x{k}")).collect();
    let sampled = sampled(run, names, &|x: &[f64]| x.to_vec())?;
    if sampled.run.termination != "completed" {
        crate::interrupt::consume_interrupt();
    }
    Ok(sampled)
}

/// Maps a run's draws and diagnoses them; too few draws (an early stop) is an error.
fn sampled(
    run: NutsRun,
    names: Vec<String>,
    map: &(dyn Fn(&[f64]) -> Vec<f64> + Sync),
) -> Result<Sampled, BaselineError> {
    let n = run.n_draws();
    if n < 4 {
        return Err(match crate::interrupt::check() {
            Err(i) => BaselineError::Interrupted(i),
            Ok(()) => BaselineError::Numerical(format!("only {n} draws per chain were made")),
        });
    }
    let chains = run
        .chains
        .iter()
        .map(|c| {
            let rows: Vec<Vec<f64>> = (0..n).map(|t| map(&c.draws.row(t).to_vec())).collect();
            Array2::from_shape_fn((n, names.len()), |(t, k)| rows[t][k])
        })
        .collect();
    let diagnostics = diagnostics(&run, &names, map);
    Ok(Sampled {
        names,
        chains,
        run,
        diagnostics,
    })
}
