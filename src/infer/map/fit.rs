//! MAP and Laplace on the hierarchical model: the mode in the sampler's unconstrained
//! coordinates (L-BFGS), the Laplace covariance there (block-arrow finite differences of the
//! analytic gradient), and the marginal of the global parameters Λ.
//!
//! The mode is that of the density on ℝ^dim, log-Jacobians included (the model errors ε
//! would otherwise have their mode at 0). Λ is unbounded, so its marginal is the Gaussian
//! N(Λ̂, Σ_ΛΛ) in physical units.

use super::laplace::{laplace, LaplaceError};
use super::lbfgs::{maximize, LbfgsOptions, OptimizeError, Optimum};
use crate::infer::hier::error::BaselineError;
use crate::infer::hier::summary::ParamSummary;
use crate::infer::hier::HierModel;
use ndarray::{s, Array2};

/// Settings of the MAP baseline.
#[derive(Debug, Clone, PartialEq)]
pub struct MapOptions {
    /// The optimiser.
    pub lbfgs: LbfgsOptions,
    /// Finite-difference step of the Hessian (unconstrained units).
    pub hessian_step: f64,
    /// The start (unconstrained); the prior means when `None`.
    pub start: Option<Vec<f64>>,
}

impl Default for MapOptions {
    fn default() -> Self {
        MapOptions {
            lbfgs: LbfgsOptions::default(),
            hessian_step: 1e-4,
            start: None,
        }
    }
}

/// The MAP fit of a hierarchical model.
#[derive(Debug, Clone, PartialEq)]
pub struct MapFit {
    /// Every parameter's name (physical), in position order.
    pub names: Vec<String>,
    /// The Laplace marginals of the global parameters.
    pub global: Vec<ParamSummary>,
    /// Their covariance.
    pub global_cov: Array2<f64>,
    /// The mode in physical units.
    pub mode: Vec<f64>,
    /// The mode in unconstrained coordinates.
    pub x: Vec<f64>,
    /// Laplace standard deviations in unconstrained coordinates.
    pub sd: Vec<f64>,
    /// What the optimiser did.
    pub optimum: Optimum,
    /// Gradient evaluations of the Hessian.
    pub hessian_evaluations: usize,
    /// Number of stars.
    pub n_stars: usize,
    /// Wall-clock seconds (optimisation and Hessian).
    pub seconds: f64,
    /// Problems, in words.
    pub warnings: Vec<String>,
}

/// MAP and Laplace of `model`.
pub fn map_hier(model: &HierModel, opts: &MapOptions) -> Result<MapFit, BaselineError> {
    let started = std::time::Instant::now();
    let x0 = opts.start.clone().unwrap_or_else(|| model.initial_point());
    let optimum = maximize(model, &x0, &opts.lbfgs).map_err(|e| match e {
        OptimizeError::Density(d) => BaselineError::from_density(d),
        OptimizeError::Interrupted(i) => BaselineError::Interrupted(i),
        OptimizeError::Solver(s) => BaselineError::Numerical(s),
    })?;
    let lap =
        laplace(model, &optimum.x, model.structure(), opts.hessian_step).map_err(|e| match e {
            LaplaceError::Density(d) => BaselineError::from_density(d),
            other => BaselineError::Numerical(other.to_string()),
        })?;
    let g = model.global_names().len();
    let mode = model.to_physical(&optimum.x);
    let global_cov = lap.shared_cov.slice(s![..g, ..g]).to_owned();
    let global = (0..g)
        .map(|k| ParamSummary::gaussian(&model.names()[k], mode[k], global_cov[[k, k]].sqrt()))
        .collect();
    let mut warnings = Vec::new();
    if !optimum.converged {
        warnings.push(format!(
            "L-BFGS stopped before converging ({}; |gradient| = {:.2e}): the mode and its Laplace covariance are approximate",
            optimum.termination, optimum.grad_norm
        ));
    }
    Ok(MapFit {
        names: model.names().to_vec(),
        global,
        global_cov,
        mode,
        x: optimum.x.clone(),
        sd: lap.sd,
        optimum,
        hessian_evaluations: lap.evaluations,
        n_stars: model.n_stars(),
        seconds: started.elapsed().as_secs_f64(),
        warnings,
    })
}
