//! The posterior density of one star's parameters through a differentiable simulator:
//!
//! ```text
//! log p(θ | x) = log p(θ) − ½ Σ_j ((f_j(θ) − x_j)/σ_j)² + const,
//! ∇ log p(θ | x) = ∇ log p(θ) + Σ_j (x_j − f_j(θ))/σ_j² · ∂f_j/∂θ
//! ```
//!
//! with the simulator f (an emulator), the observation x and its errors σ (dex). A position
//! outside the prior's support, or where the simulator fails, is a recoverable error.

use super::density::{check_dim, DensityError, LogDensity};
use super::prior::Prior;
use super::simulator::Differentiable;
use crate::error::{ErrorKind, Kind, ShapeError};
use ndarray::Array2;

/// log p(θ | x) of one star with Gaussian errors, as a [`LogDensity`].
pub struct StarDensity<'a> {
    sim: &'a dyn Differentiable,
    prior: &'a Prior,
    x: Vec<f64>,
    sigma: Vec<f64>,
}

impl<'a> StarDensity<'a> {
    /// The density of θ given the observation `x` with errors `sigma` (both one value per
    /// output of `sim`, dex); `prior` must be over the simulator's inputs.
    pub fn new(
        sim: &'a dyn Differentiable,
        prior: &'a Prior,
        x: Vec<f64>,
        sigma: Vec<f64>,
    ) -> Result<Self, ShapeError> {
        let n_out = sim.output_names().len();
        if x.len() != n_out || sigma.len() != n_out {
            return Err(ShapeError::new(
                "observation and errors",
                format!("{n_out} values each ({})", sim.output_names().join(", ")),
                format!("{} and {}", x.len(), sigma.len()),
            ));
        }
        if prior.space().names() != sim.space().names() {
            return Err(ShapeError::new(
                "prior parameters",
                sim.space().names().join(", "),
                prior.space().names().join(", "),
            ));
        }
        if let Some(s) = sigma.iter().find(|s| !(s.is_finite() && **s > 0.0)) {
            return Err(ShapeError::new("errors", "finite positive values", s));
        }
        Ok(StarDensity {
            sim,
            prior,
            x,
            sigma,
        })
    }
}

impl LogDensity for StarDensity<'_> {
    fn dim(&self) -> usize {
        self.prior.dim()
    }

    fn log_density_grad(&self, theta: &[f64], grad: &mut [f64]) -> Result<f64, DensityError> {
        check_dim(self, theta, grad)?;
        let lp = self.prior.log_prob(theta);
        if !lp.is_finite() {
            return Err(DensityError::OutsideDomain(format!(
                "{theta:?} is outside the prior's support"
            )));
        }
        let row = Array2::from_shape_vec((1, theta.len()), theta.to_vec())
            .map_err(|e| fatal(ErrorKind::Shape, e))?;
        let sim = self
            .sim
            .simulate(row.view())
            .map_err(|e| fatal(e.kind(), e))?;
        if !sim.ok(0) {
            return Err(DensityError::FailedRun(sim.status[0].to_string()));
        }
        let jac = self
            .sim
            .jacobian(row.view())
            .map_err(|e| fatal(e.kind(), e))?;
        grad.fill(0.0);
        self.prior.add_grad_log_prob(theta, grad);
        let mut ll = 0.0;
        for (j, (&xj, &sj)) in self.x.iter().zip(&self.sigma).enumerate() {
            let r = xj - sim.x[[0, j]];
            ll -= 0.5 * (r / sj) * (r / sj);
            let w = r / (sj * sj);
            for (i, g) in grad.iter_mut().enumerate() {
                *g += w * jac[[0, j, i]];
            }
        }
        Ok(lp + ll)
    }
}

fn fatal(kind: ErrorKind, e: impl ToString) -> DensityError {
    DensityError::Fatal {
        kind,
        message: e.to_string(),
    }
}
