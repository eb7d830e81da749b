//! The adapter to nuts-rs (pymc-devs/nuts-rs, the sampler behind nutpie): one chain of
//! NUTS with diagonal mass-matrix and step-size adaptation on a [`LogDensity`].
//!
//! nuts-rs uses newer `rand` and `ndarray` majors than galchem, so none of its types leave
//! this file: positions and gradients cross as slices, seeds as `u64`, results as
//! [`ChainTrace`].
//!
//! **Preconditioning.** nuts-rs starts its mass matrix from the gradient at the first point
//! and takes no initial matrix, so the chain samples z with x = c + s ⊙ z, where c is the
//! mode and s the Laplace standard deviations: the sampler then sees a density of unit
//! scale, and its diagonal adaptation refines the remaining factor. The log density is
//! unchanged up to the constant Σ ln sₖ; draws are mapped back to x.

use super::trace::{ChainTrace, DrawStats, NutsOptions};
use crate::model::{DensityError, LogDensity};
use nuts_rs::rand::SeedableRng;
use nuts_rs::{Chain, CpuLogpFunc, CpuMath, CpuMathError, DiagNutsSettings, HasDims, Settings};
use std::collections::HashMap;

/// A density error as nuts-rs sees it (recoverable: a divergence).
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
struct LogpError(DensityError);

impl nuts_rs::LogpError for LogpError {
    fn is_recoverable(&self) -> bool {
        self.0.is_recoverable()
    }
}

/// The preconditioned density z ↦ log p(c + s ⊙ z).
struct Scaled<'a> {
    density: &'a dyn LogDensity,
    center: &'a [f64],
    scale: &'a [f64],
    x: Vec<f64>,
    g: Vec<f64>,
}

impl HasDims for Scaled<'_> {
    fn dim_sizes(&self) -> HashMap<String, u64> {
        let d = self.center.len() as u64;
        HashMap::from([
            ("unconstrained_parameter".to_string(), d),
            ("dim".to_string(), d),
        ])
    }
}

impl CpuLogpFunc for Scaled<'_> {
    type LogpError = LogpError;
    type FlowParameters = ();
    type ExpandedVector = Vec<f64>;

    fn dim(&self) -> usize {
        self.center.len()
    }

    fn logp(&mut self, z: &[f64], grad: &mut [f64]) -> Result<f64, LogpError> {
        for ((x, z), (c, s)) in self
            .x
            .iter_mut()
            .zip(z)
            .zip(self.center.iter().zip(self.scale))
        {
            *x = c + s * z;
        }
        let lp = self
            .density
            .log_density_grad(&self.x, &mut self.g)
            .map_err(LogpError)?;
        for ((g, gx), s) in grad.iter_mut().zip(&self.g).zip(self.scale) {
            *g = gx * s;
        }
        Ok(lp)
    }

    /// Draws are mapped back by [`run_chain`]; nothing is stored through nuts-rs.
    fn expand_vector<R: nuts_rs::rand::Rng + ?Sized>(
        &mut self,
        _rng: &mut R,
        _z: &[f64],
    ) -> Result<Vec<f64>, CpuMathError> {
        Ok(Vec::new())
    }
}

/// nuts-rs settings from ours.
fn settings(opts: &NutsOptions) -> DiagNutsSettings {
    let mut s = DiagNutsSettings {
        num_tune: opts.warmup as u64,
        num_draws: opts.draws as u64,
        maxdepth: opts.max_depth,
        num_chains: 1,
        ..Default::default()
    };
    s.adapt_options.step_size_settings.target_accept = opts.target_accept;
    s
}

/// Runs one chain of `opts.warmup + opts.draws` iterations from `z0` (preconditioned
/// coordinates), seeded by `seed`; `on_draw(iteration, diverging, step_size)` after each.
/// Stops early (with what it has) when `stop()` says so.
#[allow(clippy::too_many_arguments)]
pub fn run_chain(
    density: &dyn LogDensity,
    center: &[f64],
    scale: &[f64],
    z0: &[f64],
    opts: &NutsOptions,
    chain: u64,
    seed: u64,
    on_draw: &mut dyn FnMut(usize, bool, f64),
    stop: &dyn Fn() -> bool,
) -> Result<ChainTrace, String> {
    let n = center.len();
    let func = Scaled {
        density,
        center,
        scale,
        x: vec![0.0; n],
        g: vec![0.0; n],
    };
    let mut rng = nuts_rs::rand::rngs::ChaCha8Rng::seed_from_u64(seed);
    let mut sampler = settings(opts)
        .new_chain(chain, CpuMath::new(func), &mut rng)
        .map_err(|e| format!("nuts-rs: {}", first_line(&e)))?;
    let z0 = start_point(density, center, scale, z0, seed);
    sampler
        .set_position(&z0)
        .map_err(|e| format!("the start point: {}", first_line(&e)))?;
    let mut trace = ChainTrace::new(n, opts.draws);
    for it in 0..opts.warmup + opts.draws {
        if stop() {
            trace.stopped_early = true;
            break;
        }
        let (z, _, stats, progress) = sampler
            .expanded_draw()
            .map_err(|e| format!("nuts-rs: {}", first_line(&e)))?;
        on_draw(it, progress.diverging, progress.step_size);
        if progress.tuning {
            trace.warmup_divergences += usize::from(progress.diverging);
            continue;
        }
        let x: Vec<f64> = z
            .iter()
            .zip(center.iter().zip(scale))
            .map(|(z, (c, s))| c + s * z)
            .collect();
        trace.push(
            &x,
            DrawStats {
                diverging: progress.diverging,
                depth: stats.depth,
                max_depth_reached: stats.maxdepth_reached,
                n_steps: progress.num_steps,
                step_size: progress.step_size,
                energy: stats.point.energy,
                log_density: stats.point.logp,
            },
        );
    }
    Ok(trace)
}

/// The first line of an error (nuts-rs's messages carry a backtrace after it).
fn first_line(e: &dyn std::fmt::Display) -> String {
    e.to_string().lines().next().unwrap_or_default().to_string()
}

/// `z0`, or a point near it where every gradient component is finite and non-zero: nuts-rs
/// initialises its mass matrix from the gradient and rejects a start where a component is
/// exactly 0 (e.g. the mode of a closure's Gaussian). Perturbs by N(0, h²) per coordinate,
/// h = 10⁻⁴ · 4ᵏ in preconditioned units for attempt k < 8, from a stream of `seed`; a start
/// where the density fails is returned as is for nuts-rs to report.
fn start_point(
    density: &dyn LogDensity,
    center: &[f64],
    scale: &[f64],
    z0: &[f64],
    seed: u64,
) -> Vec<f64> {
    use rand::Rng;
    let mut rng = crate::rng::stream(seed, 7);
    let mut z = z0.to_vec();
    let mut g = vec![0.0; z.len()];
    for k in 0..8 {
        let x: Vec<f64> = z
            .iter()
            .zip(center.iter().zip(scale))
            .map(|(z, (c, s))| c + s * z)
            .collect();
        match density.log_density_grad(&x, &mut g) {
            Ok(_) if g.iter().all(|v| v.is_finite() && *v != 0.0) => return z,
            Ok(_) => {}
            Err(_) => return z,
        }
        let h = 1e-4 * 4f64.powi(k);
        for (v, u) in z.iter_mut().zip(z0) {
            *v = u + h * rng.sample::<f64, _>(rand_distr::StandardNormal);
        }
    }
    z
}
