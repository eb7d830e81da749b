//! How missing values and per-star errors enter the flow: the context of a survey posterior
//! is `[x̃, m, ln σ̃]` for k observables — the values with missing ones replaced by a fixed
//! fill (the training mean), the missing-value flags (1 = missing), and the log of each
//! value's error clamped to the trained range (missing values get a fixed σ). Either block
//! after the values may be absent (a posterior trained without masks or at fixed noise).

use serde::{Deserialize, Serialize};

/// The context layout of a survey posterior.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContextEncoding {
    /// The value used for a missing observable (dex), one per observable.
    pub fill: Vec<f64>,
    /// Whether the missing-value flags are part of the context.
    pub masks: bool,
    /// The range of per-value errors the posterior was trained on (dex, `[low, high]`);
    /// `None`: trained at fixed noise, errors are not an input.
    pub sigma_range: Option<[f64; 2]>,
    /// The error assumed for a value when none is given (dex): the training noise, e.g. 0.05.
    pub default_sigma: f64,
}

impl ContextEncoding {
    /// Number of observables k.
    pub fn k(&self) -> usize {
        self.fill.len()
    }

    /// Width of the context: k, 2k or 3k.
    pub fn width(&self) -> usize {
        self.k() * (1 + self.masks as usize + self.sigma_range.is_some() as usize)
    }

    /// σ clamped to the trained range (the range's geometric mean for a missing value).
    pub fn clamp_sigma(&self, sigma: f64, missing: bool) -> f64 {
        match self.sigma_range {
            None => self.default_sigma,
            Some([lo, hi]) if missing || !sigma.is_finite() => (lo * hi).sqrt(),
            Some([lo, hi]) => sigma.clamp(lo, hi),
        }
    }

    /// The context of one observation: `x` (dex, any value where missing), `missing` flags
    /// and errors `sigma` (dex; `None` ⇒ [`ContextEncoding::default_sigma`]), written into
    /// `out` (length [`ContextEncoding::width`]).
    pub fn encode_into(
        &self,
        x: &[f64],
        missing: Option<&[bool]>,
        sigma: Option<&[f64]>,
        out: &mut [f64],
    ) {
        let k = self.k();
        let miss = |j: usize| missing.is_some_and(|m| m[j]) || !x[j].is_finite();
        for j in 0..k {
            out[j] = if miss(j) { self.fill[j] } else { x[j] };
        }
        let mut at = k;
        if self.masks {
            for j in 0..k {
                out[at + j] = if miss(j) { 1.0 } else { 0.0 };
            }
            at += k;
        }
        if self.sigma_range.is_some() {
            for j in 0..k {
                let s = sigma.map_or(self.default_sigma, |s| s[j]);
                out[at + j] = self.clamp_sigma(s, miss(j)).ln();
            }
        }
    }

    /// [`ContextEncoding::encode_into`] returning a new vector.
    pub fn encode(&self, x: &[f64], missing: Option<&[bool]>, sigma: Option<&[f64]>) -> Vec<f64> {
        let mut out = vec![0.0; self.width()];
        self.encode_into(x, missing, sigma, &mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masked_values_get_the_fill_and_errors_are_clamped() {
        let e = ContextEncoding {
            fill: vec![0.1, -0.2],
            masks: true,
            sigma_range: Some([0.01, 0.2]),
            default_sigma: 0.05,
        };
        assert_eq!(e.width(), 6);
        let c = e.encode(&[0.5, f64::NAN], None, Some(&[0.5, 0.03]));
        assert_eq!(&c[..4], &[0.5, -0.2, 0.0, 1.0]);
        assert!((c[4] - 0.2f64.ln()).abs() < 1e-15);
        assert!((c[5] - (0.01f64 * 0.2).sqrt().ln()).abs() < 1e-15);
        let d = e.encode(&[0.5, 0.3], Some(&[true, false]), None);
        assert_eq!(&d[..4], &[0.1, 0.3, 1.0, 0.0]);
        assert!((d[5] - 0.05f64.ln()).abs() < 1e-15);
    }
}
