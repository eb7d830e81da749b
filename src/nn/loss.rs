//! Training losses: value and gradient with respect to the network outputs.
//!
//! Conventions (those of PyTorch's `reduction="mean"` losses): the loss of one row is the
//! **mean over its target dimensions** `d`, and the loss of a batch is the mean of its row
//! losses. The functions here return the **sum** of the row losses of the rows given and the
//! gradient of that sum; the training loop divides by the batch size.
//!
//! * [`Loss::Mse`]: ℓ = (1/d) Σⱼ (pⱼ − yⱼ)²; ∂ℓ/∂pⱼ = 2(pⱼ − yⱼ)/d. The network has d outputs.
//! * [`Loss::GaussianNll`]: the network has 2d outputs, the means μ (columns `0..d`) then
//!   the variance head (columns `d..2d`):
//!   - [`VarianceHead::LogVariance`]: s = ln σ²; ℓ = (1/d) Σⱼ ½[sⱼ + (yⱼ − μⱼ)² e^−sⱼ];
//!     ∂ℓ/∂μⱼ = −(yⱼ − μⱼ)e^−sⱼ/d, ∂ℓ/∂sⱼ = ½[1 − (yⱼ − μⱼ)² e^−sⱼ]/d.
//!   - [`VarianceHead::Variance`]: v = σ² (must be positive, e.g. a softplus output) clamped
//!     below at 10⁻⁶ as `torch.nn.GaussianNLLLoss` does (the clamp passes the gradient
//!     through); ℓ = (1/d) Σⱼ ½[ln vⱼ + (yⱼ − μⱼ)²/vⱼ]; ∂ℓ/∂vⱼ = ½[1/vⱼ − (yⱼ − μⱼ)²/vⱼ²]/d.
//!
//!   The constant ½ ln 2π per dimension is left out (PyTorch's `full=False`).

use ndarray::{ArrayView2, ArrayViewMut2, Axis, Zip};
use serde::{Deserialize, Serialize};

/// Variance floor of the [`VarianceHead::Variance`] head (PyTorch's default `eps`).
pub const VARIANCE_FLOOR: f64 = 1e-6;

/// How the second half of a Gaussian-NLL network's outputs encodes the variance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum VarianceHead {
    /// The outputs are ln σ² (any real value; the default).
    #[default]
    LogVariance,
    /// The outputs are σ² (positive; floored at `VARIANCE_FLOOR`).
    Variance,
}

/// A training loss.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Loss {
    /// Mean squared error.
    #[default]
    Mse,
    /// Gaussian negative log-likelihood with a mean head and a variance head.
    GaussianNll(VarianceHead),
}

impl Loss {
    /// Number of network outputs needed for `n_targets` target columns.
    pub fn n_outputs(self, n_targets: usize) -> usize {
        match self {
            Loss::Mse => n_targets,
            Loss::GaussianNll(_) => 2 * n_targets,
        }
    }

    /// Sum over the rows of the row losses; `pred` `(n, n_outputs)`, `target` `(n, d)`.
    ///
    /// # Panics
    /// If the shapes disagree.
    pub fn value(self, pred: ArrayView2<f32>, target: ArrayView2<f32>) -> f64 {
        self.eval(pred, target, None)
    }

    /// [`Loss::value`], and `d_pred` (shape of `pred`) set to the gradient of that sum.
    ///
    /// # Panics
    /// If the shapes disagree.
    pub fn value_grad(
        self,
        pred: ArrayView2<f32>,
        target: ArrayView2<f32>,
        d_pred: ArrayViewMut2<f32>,
    ) -> f64 {
        self.eval(pred, target, Some(d_pred))
    }

    fn eval(
        self,
        pred: ArrayView2<f32>,
        target: ArrayView2<f32>,
        d_pred: Option<ArrayViewMut2<f32>>,
    ) -> f64 {
        let d = target.ncols();
        assert_eq!(pred.nrows(), target.nrows(), "loss: row counts differ");
        assert_eq!(pred.ncols(), self.n_outputs(d), "loss: output width");
        let inv_d = 1.0 / d.max(1) as f64;
        match self {
            Loss::Mse => mse(pred, target, d_pred) * inv_d,
            Loss::GaussianNll(head) => gaussian_nll(head, pred, target, d_pred, inv_d) * inv_d,
        }
    }
}

/// Σ (p − y)² and, if asked, d_pred = 2(p − y)/d.
fn mse(pred: ArrayView2<f32>, target: ArrayView2<f32>, d_pred: Option<ArrayViewMut2<f32>>) -> f64 {
    let inv_d = 1.0 / target.ncols().max(1) as f64;
    let mut sum = 0.0;
    match d_pred {
        Some(mut g) => Zip::from(&mut g)
            .and(&pred)
            .and(&target)
            .for_each(|g, &p, &y| {
                let e = f64::from(p) - f64::from(y);
                sum += e * e;
                *g = (2.0 * e * inv_d) as f32;
            }),
        None => Zip::from(&pred).and(&target).for_each(|&p, &y| {
            let e = f64::from(p) - f64::from(y);
            sum += e * e;
        }),
    }
    sum
}

/// One element of the Gaussian NLL: (½[ln σ² + r²/σ²], ∂/∂μ, ∂/∂head) for residual r = y − μ.
#[inline]
fn nll_term(head: VarianceHead, m: f32, h: f32, y: f32) -> (f64, f64, f64) {
    let r = f64::from(y) - f64::from(m);
    match head {
        VarianceHead::LogVariance => {
            let s = f64::from(h);
            let w = (-s).exp();
            (0.5 * (s + r * r * w), -r * w, 0.5 * (1.0 - r * r * w))
        }
        VarianceHead::Variance => {
            let v = f64::from(h).max(VARIANCE_FLOOR);
            (
                0.5 * (v.ln() + r * r / v),
                -r / v,
                0.5 * (1.0 / v - r * r / (v * v)),
            )
        }
    }
}

/// Σ of the NLL terms and, if asked, their gradient divided by d.
fn gaussian_nll(
    head: VarianceHead,
    pred: ArrayView2<f32>,
    target: ArrayView2<f32>,
    d_pred: Option<ArrayViewMut2<f32>>,
    inv_d: f64,
) -> f64 {
    let d = target.ncols();
    let (mu, h) = pred.split_at(Axis(1), d);
    let mut sum = 0.0;
    match d_pred {
        Some(mut g) => {
            let (mut gm, mut gh) = g.view_mut().split_at(Axis(1), d);
            Zip::from(&mut gm)
                .and(&mut gh)
                .and(&mu)
                .and(&h)
                .and(&target)
                .for_each(|gm, gh, &m, &h, &y| {
                    let (l, dm, dh) = nll_term(head, m, h, y);
                    sum += l;
                    *gm = (dm * inv_d) as f32;
                    *gh = (dh * inv_d) as f32;
                });
        }
        None => Zip::from(&mu).and(&h).and(&target).for_each(|&m, &h, &y| {
            sum += nll_term(head, m, h, y).0;
        }),
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{array, Array2};

    #[test]
    fn mse_closed_form() {
        let p = array![[1.0f32, 2.0], [0.0, -1.0]];
        let y = array![[0.0f32, 2.0], [1.0, 1.0]];
        // rows: (1 + 0)/2, (1 + 4)/2
        assert_eq!(Loss::Mse.value(p.view(), y.view()), 3.0);
        let mut g = Array2::zeros((2, 2));
        Loss::Mse.value_grad(p.view(), y.view(), g.view_mut());
        assert_eq!(g, array![[1.0f32, 0.0], [-1.0, -2.0]]);
    }

    #[test]
    fn nll_closed_form_and_heads_agree() {
        // one row, d = 1: μ = 1, σ² = e, y = 2 ⇒ ½(1 + 1/e)
        let y = array![[2.0f32]];
        let lv = array![[1.0f32, 1.0]];
        let want = 0.5 * (1.0 + (-1.0f64).exp());
        let got = Loss::GaussianNll(VarianceHead::LogVariance).value(lv.view(), y.view());
        assert!((got - want).abs() < 1e-7);
        let v = array![[1.0f32, std::f32::consts::E]];
        let got = Loss::GaussianNll(VarianceHead::Variance).value(v.view(), y.view());
        assert!((got - want).abs() < 1e-6);
        assert_eq!(Loss::GaussianNll(VarianceHead::Variance).n_outputs(3), 6);
    }
}
