//! The maximum of a [`LogDensity`] with argmin's L-BFGS and the More–Thuente line search.
//!
//! The adapter keeps argmin's types inside: a position slice goes in, the mode comes out.
//! argmin minimises, so the cost is −log p and the gradient −∇ log p; the last evaluation
//! is cached because argmin asks for the cost and the gradient at the same point
//! separately. A recoverable density error (a failed run) makes the line search step back;
//! Ctrl-C ends the run with an `Interrupted` error.

use argmin::core::{CostFunction, Executor, Gradient, State, TerminationReason};
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::quasinewton::LBFGS;
use std::sync::Mutex;

use crate::model::{DensityError, LogDensity};

/// Settings of the optimiser.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LbfgsOptions {
    /// Maximum number of L-BFGS iterations.
    pub max_iters: u64,
    /// Number of correction pairs kept (the memory m).
    pub memory: usize,
    /// Stop when ‖∇ log p‖ falls below this.
    pub tol_grad: f64,
    /// Stop when −log p changes by less than this between iterations.
    pub tol_cost: f64,
}

impl Default for LbfgsOptions {
    fn default() -> Self {
        LbfgsOptions {
            max_iters: 5000,
            memory: 10,
            tol_grad: 1e-6,
            tol_cost: 1e-12,
        }
    }
}

/// A mode found by L-BFGS.
#[derive(Debug, Clone, PartialEq)]
pub struct Optimum {
    /// The best position found.
    pub x: Vec<f64>,
    /// log p there.
    pub log_density: f64,
    /// ‖∇ log p‖ there.
    pub grad_norm: f64,
    /// Iterations run.
    pub iterations: u64,
    /// Density evaluations.
    pub evaluations: u64,
    /// Why the optimiser stopped, in words.
    pub termination: String,
    /// Whether it stopped because a tolerance was met.
    pub converged: bool,
}

/// −log p and −∇ log p of a density for argmin, with a one-point cache.
/// The last evaluation: position, log density, gradient.
type Evaluated = (Vec<f64>, f64, Vec<f64>);

struct Problem<'a> {
    density: &'a dyn LogDensity,
    cache: Mutex<Option<Evaluated>>,
    evaluations: Mutex<u64>,
}

/// A recoverable failure becomes an infinite cost (the line search steps back); the
/// others end the run.
const BIG: f64 = f64::INFINITY;

impl Problem<'_> {
    fn eval(&self, x: &[f64]) -> Result<(f64, Vec<f64>), argmin::core::Error> {
        if let Ok(c) = self.cache.lock() {
            if let Some((cx, f, g)) = c.as_ref() {
                if cx.as_slice() == x {
                    return Ok((*f, g.clone()));
                }
            }
        }
        crate::interrupt::check()?;
        if let Ok(mut n) = self.evaluations.lock() {
            *n += 1;
        }
        let mut g = vec![0.0; x.len()];
        let (f, g) = match self.density.log_density_grad(x, &mut g) {
            Ok(lp) => (-lp, g.iter().map(|v| -v).collect::<Vec<f64>>()),
            Err(e) if e.is_recoverable() => (BIG, vec![0.0; x.len()]),
            Err(e) => return Err(e.into()),
        };
        if let Ok(mut c) = self.cache.lock() {
            *c = Some((x.to_vec(), f, g.clone()));
        }
        Ok((f, g))
    }
}

impl CostFunction for Problem<'_> {
    type Param = Vec<f64>;
    type Output = f64;
    fn cost(&self, p: &Vec<f64>) -> Result<f64, argmin::core::Error> {
        self.eval(p).map(|(f, _)| f)
    }
}

impl Gradient for Problem<'_> {
    type Param = Vec<f64>;
    type Gradient = Vec<f64>;
    fn gradient(&self, p: &Vec<f64>) -> Result<Vec<f64>, argmin::core::Error> {
        self.eval(p).map(|(_, g)| g)
    }
}

/// Why maximisation failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OptimizeError {
    /// The density failed fatally (or at the start point).
    #[error(transparent)]
    Density(#[from] DensityError),
    /// Ctrl-C or SIGTERM.
    #[error(transparent)]
    Interrupted(#[from] crate::interrupt::Interrupted),
    /// The optimiser itself failed.
    #[error("L-BFGS failed: {0}")]
    Solver(String),
}

/// The mode of `density` from the start `x0` (unconstrained coordinates).
pub fn maximize(
    density: &dyn LogDensity,
    x0: &[f64],
    opts: &LbfgsOptions,
) -> Result<Optimum, OptimizeError> {
    let mut g0 = vec![0.0; x0.len()];
    density.log_density_grad(x0, &mut g0)?;
    let problem = Problem {
        density,
        cache: Mutex::new(None),
        evaluations: Mutex::new(0),
    };
    let solver = LBFGS::new(MoreThuenteLineSearch::new(), opts.memory.max(1))
        .with_tolerance_grad(opts.tol_grad)
        .and_then(|s| s.with_tolerance_cost(opts.tol_cost))
        .map_err(|e| OptimizeError::Solver(e.to_string()))?;
    let res = Executor::new(problem, solver)
        .configure(|s| s.param(x0.to_vec()).max_iters(opts.max_iters))
        .run()
        .map_err(solver_error)?;
    let state = res.state();
    let x = state
        .get_best_param()
        .cloned()
        .ok_or_else(|| OptimizeError::Solver("no point was evaluated".into()))?;
    let reason = state.get_termination_reason().cloned();
    let converged = matches!(reason, Some(TerminationReason::SolverConverged));
    let mut g = vec![0.0; x.len()];
    let log_density = density.log_density_grad(&x, &mut g)?;
    let evaluations = res
        .problem
        .problem
        .as_ref()
        .and_then(|p| p.evaluations.lock().ok().map(|n| *n))
        .unwrap_or(0);
    Ok(Optimum {
        grad_norm: g.iter().map(|v| v * v).sum::<f64>().sqrt(),
        log_density,
        iterations: state.get_iter(),
        evaluations,
        termination: reason.map_or("unknown".into(), |r| r.text().to_string()),
        converged,
        x,
    })
}

fn solver_error(e: argmin::core::Error) -> OptimizeError {
    if let Some(i) = e.downcast_ref::<crate::interrupt::Interrupted>() {
        return OptimizeError::Interrupted(*i);
    }
    if let Some(d) = e.downcast_ref::<DensityError>() {
        return OptimizeError::Density(d.clone());
    }
    OptimizeError::Solver(e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// log p = −Σ_k (x_k − k)² / (2 s_k²) with s_k spread over 10²: mode at x_k = k.
    struct Quad;

    impl LogDensity for Quad {
        fn dim(&self) -> usize {
            5
        }
        fn log_density_grad(&self, x: &[f64], g: &mut [f64]) -> Result<f64, DensityError> {
            let mut lp = 0.0;
            for k in 0..5 {
                let s = 10f64.powf(k as f64 / 2.0 - 1.0);
                let r = x[k] - k as f64;
                lp -= 0.5 * r * r / (s * s);
                g[k] = -r / (s * s);
            }
            Ok(lp)
        }
    }

    #[test]
    fn finds_a_known_optimum() {
        let o = maximize(&Quad, &[3.0; 5], &LbfgsOptions::default()).unwrap();
        for (k, v) in o.x.iter().enumerate() {
            assert!((v - k as f64).abs() < 1e-5, "{:?}", o.x);
        }
        assert!(o.log_density > -1e-9 && o.converged, "{o:?}");
        assert!(o.evaluations > 0);
    }
}
