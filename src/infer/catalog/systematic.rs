//! A systematic floor T of the global parameters added to a combined posterior: the
//! covariance Σ becomes Σ + T, the standard deviations √diag(Σ + T), at every number of
//! stars of the running combination (see `calib::floor` for how T is measured). A trained
//! posterior may carry its floor (`NeuralPosterior::with_floor`).
//!
//! The floor may grow away from the centre of the galaxies it was measured on: a flow is
//! least accurate where the prior put few training simulations, so T(Λ) = T · g(m²), with
//! m² the Mahalanobis distance of the combined mean from the calibration galaxies' centre
//! and g a non-decreasing quadratic in m² ([`FloorGrowth`]).

use super::RunningPoint;
use crate::infer::combine::Combined;
use serde::{Deserialize, Serialize};

/// How a floor grows with the distance from the calibration galaxies' centre:
/// g(m²) = max(`min`, c₀ + c₁ m² + c₂ m⁴), m² = (Λ − c)ᵀ P (Λ − c).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FloorGrowth {
    /// The centre c of the calibration galaxies' true Λ (their mean), dex.
    pub centre: [f64; 2],
    /// P `(2, 2)`, the inverse covariance of the calibration galaxies' true Λ, dex⁻².
    pub precision: [[f64; 2]; 2],
    /// c₀, c₁, c₂ (dimensionless; g averages about 1 over the calibration galaxies).
    pub coef: [f64; 3],
    /// The smallest scale g.
    pub min: f64,
}

impl FloorGrowth {
    /// m² of `at` (the first two entries, dex); NaN for a non-finite point.
    pub fn m2(&self, at: &[f64]) -> f64 {
        if at.len() < 2 {
            return f64::NAN;
        }
        let d = [at[0] - self.centre[0], at[1] - self.centre[1]];
        let p = &self.precision;
        d[0] * (p[0][0] * d[0] + p[0][1] * d[1]) + d[1] * (p[1][0] * d[0] + p[1][1] * d[1])
    }

    /// g at `at` (dex); 1 where `at` is not finite (a failed combination).
    pub fn scale(&self, at: &[f64]) -> f64 {
        let m2 = self.m2(at);
        if !m2.is_finite() {
            return 1.0;
        }
        let [c0, c1, c2] = self.coef;
        (c0 + c1 * m2 + c2 * m2 * m2).max(self.min)
    }

    fn check(&self) -> Result<(), String> {
        let p = &self.precision;
        let numbers = self
            .centre
            .iter()
            .chain(p.iter().flatten())
            .chain(&self.coef);
        let finite = numbers.chain([&self.min]).all(|v| v.is_finite());
        let positive = p[0][0] > 0.0 && p[0][0] * p[1][1] - p[0][1] * p[1][0] > 0.0;
        if !finite || !positive || (p[0][1] - p[1][0]).abs() > 1e-9 * p[0][0] || self.min <= 0.0 {
            return Err(format!(
                "a floor's growth needs a finite centre, a symmetric positive-definite precision, finite coefficients and min > 0, got {self:?}"
            ));
        }
        Ok(())
    }
}

/// The floor added to a combination: T `(2, 2)` (dex²), optionally growing with Λ.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FloorModel {
    /// T `(2, 2)`, dex² (at g = 1).
    pub cov: [[f64; 2]; 2],
    /// How T grows away from the calibration galaxies' centre (`None`: constant).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub growth: Option<FloorGrowth>,
}

impl FloorModel {
    /// The constant floor T.
    pub fn constant(cov: [[f64; 2]; 2]) -> Self {
        FloorModel { cov, growth: None }
    }

    /// T(Λ) at the combined mean `mean` (dex), dex².
    pub fn at(&self, mean: &[f64]) -> [[f64; 2]; 2] {
        let g = self.growth.as_ref().map_or(1.0, |g| g.scale(mean));
        self.cov.map(|row| row.map(|v| v * g))
    }

    /// Checks T (see [`check_floor`]) and the growth.
    pub fn check(&self) -> Result<(), String> {
        check_floor(&self.cov)?;
        self.growth.as_ref().map_or(Ok(()), FloorGrowth::check)
    }
}

/// A measured systematic floor of the global parameters' combined posterior.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SystematicFloor {
    /// The combination method it was measured for.
    pub method: String,
    /// The number of stars of the galaxies it was measured on.
    pub n: usize,
    /// Galaxies used (those whose combination succeeded).
    pub galaxies: usize,
    /// T `(2, 2)`, dex² (at g = 1).
    pub cov: [[f64; 2]; 2],
    /// √diag T, dex.
    pub sd: [f64; 2],
    /// How T grows with Λ (`None`: constant; floors saved before growth existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub growth: Option<FloorGrowth>,
}

impl SystematicFloor {
    /// The floor to add.
    pub fn model(&self) -> FloorModel {
        FloorModel {
            cov: self.cov,
            growth: self.growth.clone(),
        }
    }
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

/// Σ += T(mean) and sd = √diag Σ for a `(2, 2)` covariance (other sizes are left alone);
/// returns the T added.
pub(crate) fn widen(
    cov: &mut [Vec<f64>],
    sd: &mut [f64],
    mean: &[f64],
    floor: &FloorModel,
) -> [[f64; 2]; 2] {
    let t = floor.at(mean);
    if cov.len() != 2 || sd.len() != 2 || cov.iter().any(|r| r.len() != 2) {
        return t;
    }
    for a in 0..2 {
        for b in 0..2 {
            cov[a][b] += t[a][b];
        }
        sd[a] = cov[a][a].sqrt();
    }
    t
}

/// The floor added to a combination and to every point of its running combination (each at
/// its own mean); returns the T added to the combination.
pub(crate) fn widen_all(
    combined: &mut Combined,
    running: &mut [RunningPoint],
    floor: &FloorModel,
) -> [[f64; 2]; 2] {
    for p in running.iter_mut().filter(|p| p.sd.len() == 2) {
        let t = floor.at(&p.mean);
        for (k, sd) in p.sd.iter_mut().enumerate() {
            *sd = (*sd * *sd + t[k][k]).sqrt();
        }
    }
    widen(&mut combined.cov, &mut combined.sd, &combined.mean, floor)
}

/// The floor (if any) added to a finished inference's combination, and the T added
/// recorded in it.
pub(crate) fn apply(r: &mut super::CatalogInference, floor: Option<&FloorModel>) {
    if let Some(f) = floor {
        r.systematic = Some(widen_all(&mut r.combined, &mut r.running, f));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn growth() -> FloorGrowth {
        FloorGrowth {
            centre: [-2.3, -2.9],
            precision: [[1.0 / 0.09, 0.0], [0.0, 1.0 / 0.09]],
            coef: [0.5, 0.2, 0.05],
            min: 0.1,
        }
    }

    #[test]
    fn growth_scales_the_floor_with_the_distance_from_the_centre() {
        let f = FloorModel {
            cov: [[1e-4, 2e-5], [2e-5, 4e-4]],
            growth: Some(growth()),
        };
        let at_centre = f.at(&[-2.3, -2.9]);
        assert!((at_centre[0][0] - 0.5e-4).abs() < 1e-15, "{at_centre:?}");
        // one prior sd away in α: m² = 1, g = 0.75
        let one = f.at(&[-2.0, -2.9]);
        assert!((one[1][1] - 0.75 * 4e-4).abs() < 1e-15, "{one:?}");
        assert!((f.growth.as_ref().unwrap().m2(&[-2.0, -2.6]) - 2.0).abs() < 1e-12);
        // a failed combination (NaN mean) gets T itself
        assert_eq!(f.at(&[f64::NAN, 0.0]), f.cov);
        let mut low = growth();
        low.coef = [-1.0, 0.0, 0.0];
        assert!((low.scale(&[-2.3, -2.9]) - 0.1).abs() < 1e-15);
        assert!(f.check().is_ok());
        let mut bad = growth();
        bad.precision = [[1.0, 0.0], [0.0, -1.0]];
        let err = FloorModel {
            cov: f.cov,
            growth: Some(bad),
        }
        .check()
        .unwrap_err();
        assert!(err.contains("positive-definite"), "{err}");
    }

    #[test]
    fn floors_saved_without_growth_still_load() {
        let old = r#"{"method":"divide_prior","n":1000,"galaxies":100,"cov":[[1e-4,0.0],[0.0,1e-4]],"sd":[0.01,0.01]}"#;
        let f: SystematicFloor = serde_json::from_str(old).unwrap();
        assert_eq!(f.growth, None);
        assert_eq!(f.model(), FloorModel::constant(f.cov));
    }
}
