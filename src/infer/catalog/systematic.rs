//! A systematic floor T of the global parameters added to a combined posterior: the
//! covariance Σ becomes Σ + T, the standard deviations √diag(Σ + T), at every number of
//! stars of the running combination (see `calib::floor` for how T is measured). A trained
//! posterior may carry its floor (`NeuralPosterior::with_floor`).

use super::RunningPoint;
use crate::infer::combine::Combined;
use serde::{Deserialize, Serialize};

/// A measured systematic floor of the global parameters' combined posterior.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SystematicFloor {
    /// The combination method it was measured for.
    pub method: String,
    /// The number of stars of the galaxies it was measured on.
    pub n: usize,
    /// Galaxies used (those whose combination succeeded).
    pub galaxies: usize,
    /// T `(2, 2)`, dex².
    pub cov: [[f64; 2]; 2],
    /// √diag T, dex.
    pub sd: [f64; 2],
}

/// Checks a floor matrix T `(2, 2)` (dex²): finite, symmetric, non-negative diagonal.
pub fn check_floor(t: &[[f64; 2]; 2]) -> Result<(), String> {
    let finite = t.iter().flatten().all(|v| v.is_finite());
    let symmetric = (t[0][1] - t[1][0]).abs() <= 1e-12 * (t[0][0].abs() + t[1][1].abs());
    if !finite || !symmetric || t[0][0] < 0.0 || t[1][1] < 0.0 {
        return Err(format!(
            "a systematic floor must be a finite symmetric 2 × 2 matrix with a non-negative diagonal (dex²), got {t:?}"
        ));
    }
    Ok(())
}

/// Σ += T and sd = √diag Σ for a `(2, 2)` covariance (other sizes are left alone).
pub(crate) fn widen(cov: &mut [Vec<f64>], sd: &mut [f64], t: &[[f64; 2]; 2]) {
    if cov.len() != 2 || sd.len() != 2 || cov.iter().any(|r| r.len() != 2) {
        return;
    }
    for a in 0..2 {
        for b in 0..2 {
            cov[a][b] += t[a][b];
        }
        sd[a] = cov[a][a].sqrt();
    }
}

/// The floor added to a combination and to every point of its running combination.
pub(crate) fn widen_all(combined: &mut Combined, running: &mut [RunningPoint], t: &[[f64; 2]; 2]) {
    widen(&mut combined.cov, &mut combined.sd, t);
    for p in running.iter_mut().filter(|p| p.sd.len() == 2) {
        for (k, sd) in p.sd.iter_mut().enumerate() {
            *sd = (*sd * *sd + t[k][k]).sqrt();
        }
    }
}

/// The floor `t` (if any) added to a finished inference's combination and recorded in it.
pub(crate) fn apply(r: &mut super::CatalogInference, t: Option<&[[f64; 2]; 2]>) {
    if let Some(t) = t {
        widen_all(&mut r.combined, &mut r.running, t);
        r.systematic = Some(*t);
    }
}
