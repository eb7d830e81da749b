//! The fixed z-scoring of θ and x (spec A.1.1) with the [`Scaler`] of the nn core:
//! per-dimension mean and unbiased (N − 1) standard deviation over the training split,
//! standard deviations below a floor replaced by the floor (θ: 1e-14, x: 1e-7). For θ it is
//! the flow's first transform, with constant log|det| = −Σ_d ln σ_d; for x it is the
//! embedding of the context.

use crate::nn::Scaler;

/// Floor of σθ (sbi).
pub const THETA_STD_FLOOR: f64 = 1e-14;
/// Floor of σx (sbi).
pub const X_STD_FLOOR: f64 = 1e-7;

/// Σ_d ln σ_d (minus the log|det| of the standardisation).
pub fn log_scale_sum(s: &Scaler) -> f64 {
    s.std.iter().map(|v| v.ln()).sum()
}

/// `(v − μ)/σ` of one row, as f32.
pub fn row_f32(s: &Scaler, row: &[f64]) -> Vec<f32> {
    row.iter()
        .zip(s.mean.iter().zip(&s.std))
        .map(|(v, (m, sd))| ((v - m) / sd) as f32)
        .collect()
}
