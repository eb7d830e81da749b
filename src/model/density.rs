//! Differentiable log densities: a position slice in, the value and the gradient out — the
//! shape that the NUTS sampler (nuts-rs) and the L-BFGS optimiser (argmin) need.
//!
//! Errors say whether they are recoverable: a position outside the domain or a failed
//! simulator run is a *divergence* to a sampler (it rejects the step and goes on) and a
//! failed line-search step to an optimiser; anything else ends the run.

use crate::error::{ErrorKind, Kind};

/// Why a log density could not be evaluated at a position.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DensityError {
    /// The position lies outside the domain of the density (recoverable).
    #[error("outside the domain: {0}")]
    OutsideDomain(String),
    /// The model could not be evaluated there, e.g. a simulator run failed (recoverable).
    #[error("the model failed at this position: {0}")]
    FailedRun(String),
    /// Anything that ends the run: wrong dimension, Ctrl-C, a broken model.
    #[error("{message}")]
    Fatal {
        /// What kind of failure.
        kind: ErrorKind,
        /// Why.
        message: String,
    },
}

impl DensityError {
    /// Whether a sampler or optimiser may treat the error as a rejected step and go on.
    pub fn is_recoverable(&self) -> bool {
        matches!(
            self,
            DensityError::OutsideDomain(_) | DensityError::FailedRun(_)
        )
    }
}

impl Kind for DensityError {
    fn kind(&self) -> ErrorKind {
        match self {
            DensityError::OutsideDomain(_) => ErrorKind::Domain,
            DensityError::FailedRun(_) => ErrorKind::Simulator,
            DensityError::Fatal { kind, .. } => *kind,
        }
    }
}

impl From<crate::interrupt::Interrupted> for DensityError {
    fn from(e: crate::interrupt::Interrupted) -> Self {
        DensityError::Fatal {
            kind: e.kind(),
            message: e.to_string(),
        }
    }
}

/// A log density (up to a constant) on ℝ^dim with its gradient.
pub trait LogDensity: Sync {
    /// The dimension of positions.
    fn dim(&self) -> usize;

    /// The log density at `x` (length [`LogDensity::dim`]); writes ∇ log p(x) into `grad`
    /// (same length).
    fn log_density_grad(&self, x: &[f64], grad: &mut [f64]) -> Result<f64, DensityError>;

    /// The log density alone (the default evaluates the gradient too).
    fn log_density(&self, x: &[f64]) -> Result<f64, DensityError> {
        let mut g = vec![0.0; self.dim()];
        self.log_density_grad(x, &mut g)
    }
}

/// Checks that `x` and `grad` have the density's dimension.
pub fn check_dim(d: &dyn LogDensity, x: &[f64], grad: &[f64]) -> Result<(), DensityError> {
    if x.len() == d.dim() && grad.len() == d.dim() {
        Ok(())
    } else {
        Err(DensityError::Fatal {
            kind: ErrorKind::Shape,
            message: format!(
                "log density of dimension {}: position of length {}, gradient of length {}",
                d.dim(),
                x.len(),
                grad.len()
            ),
        })
    }
}

/// The largest absolute difference between `d`'s gradient at `x` and central finite
/// differences with step `h` (a check for hand-written gradients).
pub fn gradient_error(d: &dyn LogDensity, x: &[f64], h: f64) -> Result<f64, DensityError> {
    let mut g = vec![0.0; d.dim()];
    d.log_density_grad(x, &mut g)?;
    let mut worst = 0.0f64;
    let mut p = x.to_vec();
    for j in 0..x.len() {
        p[j] = x[j] + h;
        let up = d.log_density(&p)?;
        p[j] = x[j] - h;
        let down = d.log_density(&p)?;
        p[j] = x[j];
        worst = worst.max(((up - down) / (2.0 * h) - g[j]).abs());
    }
    Ok(worst)
}
