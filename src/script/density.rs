//! A log density written as a Rhai closure, `|x| [log_density, gradient]`, as a
//! [`LogDensity`] for `nuts`. Slow (one script call per gradient) but exact: for teaching and
//! for checking the sampler on a known target.

use super::convert::{as_f64, numbers};
use crate::error::ErrorKind;
use crate::model::{DensityError, LogDensity};
use rhai::{Array, Dynamic, FnPtr, NativeCallContext};

/// `f(x) = [log p, ∇ log p]` of dimension `dim`.
pub struct ClosureDensity<'a> {
    /// The calling context (the script's engine and state).
    pub ctx: &'a NativeCallContext<'a>,
    /// The closure.
    pub f: &'a FnPtr,
    /// The dimension.
    pub dim: usize,
}

fn script_error(message: String) -> DensityError {
    DensityError::Fatal {
        kind: ErrorKind::Script,
        message,
    }
}

impl LogDensity for ClosureDensity<'_> {
    fn dim(&self) -> usize {
        self.dim
    }

    fn log_density_grad(&self, x: &[f64], grad: &mut [f64]) -> Result<f64, DensityError> {
        crate::model::density::check_dim(self, x, grad)?;
        let arg: Array = x.iter().map(|&v| Dynamic::from_float(v)).collect();
        let out: Dynamic = self
            .f
            .call_within_context(self.ctx, (arg,))
            .map_err(|e| script_error(format!("nuts: the log density failed: {e}")))?;
        let parts = out
            .read_lock::<Array>()
            .map(|a| a.clone())
            .unwrap_or_default();
        let (Some(lp), Some(g)) = (parts.first().and_then(as_f64), parts.get(1)) else {
            return Err(script_error(format!(
                "nuts: the log density must return [log_density, gradient], not {out}"
            )));
        };
        let g = numbers(g, "nuts: the gradient").map_err(|e| script_error(e.to_string()))?;
        if g.len() != self.dim {
            return Err(script_error(format!(
                "nuts: the gradient has {} values, the position {}",
                g.len(),
                self.dim
            )));
        }
        if !lp.is_finite() || g.iter().any(|v| !v.is_finite()) {
            return Err(DensityError::OutsideDomain(format!(
                "the log density is {lp} at {x:?}"
            )));
        }
        grad.copy_from_slice(&g);
        Ok(lp)
    }
}
