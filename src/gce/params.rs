//! The six simulator inputs, their units and their domain.
//!
//! | name | CHEMPY name | meaning |
//! |---|---|---|
//! | `alpha_imf` | `high_mass_slope` | IMF slope above 1 Msun (dn/dm ∝ m^alpha) |
//! | `log10_n_ia` | `log10_N_0` | log10 of the number of SN Ia per Msun of stars formed |
//! | `log10_sfe` | `log10_starformation_efficiency` | log10 of the SFE (per Gyr) of the Kennicutt–Schmidt infall closure |
//! | `log10_sfr_peak` | `log10_sfr_scale` | log10 of the scale (Gyr) of the gamma-function SFR (its peak time) |
//! | `x_out` | `outflow_feedback_fraction` | fraction of stellar feedback sent to the corona |
//! | `birth_time` | — | time (Gyr since the start of the model) at which the star is born |

use super::config::{END_TIME, MAX_BIRTH_TIME, MAX_STELLAR_AGE};
use super::error::SimError;

/// Parameter names in the canonical order.
pub const PARAM_NAMES: [&str; 6] = [
    "alpha_imf",
    "log10_n_ia",
    "log10_sfe",
    "log10_sfr_peak",
    "x_out",
    "birth_time",
];

/// The parameters shared by every star of a galaxy (the paper's Λ).
pub const GLOBAL_PARAM_NAMES: [&str; 2] = ["alpha_imf", "log10_n_ia"];

/// ChempyMulti's lower limit on `log10_sfr_peak` (its prior constraint, spec B.3): the
/// bound of the truncated priors of the NPE and of the hierarchical model.
pub const SFR_PEAK_MIN: f64 = 0.294;

/// The closed domain of a bounded parameter (`x_out` in [0, 1], `birth_time` up to 13.8
/// Gyr), `None` for the unbounded ones. Uniform prior boxes are cut to it.
pub fn domain(name: &str) -> Option<(f64, f64)> {
    match name {
        "x_out" => Some((0.0, 1.0)),
        "birth_time" => Some((0.0, MAX_BIRTH_TIME)),
        _ => None,
    }
}

/// Bound on |alpha_imf| and on |log10 x| of the three logarithmic parameters. Beyond it the
/// discrete IMF or the powers of ten leave the range where CHEMPY's arithmetic is meaningful;
/// CHEMPY's own prior constraints (`parameter.py`) are far narrower.
pub const NUMERIC_BOUND: f64 = 20.0;

/// The inputs of one simulation. Times in Gyr.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Params {
    /// High-mass IMF slope.
    pub alpha_imf: f64,
    /// log10 of the number of SN Ia per Msun of stars formed.
    pub log10_n_ia: f64,
    /// log10 of the star-formation efficiency (Gyr^-1).
    pub log10_sfe: f64,
    /// log10 of the SFR peak time scale (Gyr).
    pub log10_sfr_peak: f64,
    /// Outflow feedback fraction, in [0, 1].
    pub x_out: f64,
    /// Birth time of the star (Gyr since the start of the model).
    pub birth_time: f64,
}

impl Params {
    /// The prior means of the paper (Table 1) with the given birth time.
    pub fn prior_means(birth_time: f64) -> Self {
        Self {
            alpha_imf: -2.3,
            log10_n_ia: -2.89,
            log10_sfe: -0.3,
            log10_sfr_peak: 0.55,
            x_out: 0.5,
            birth_time,
        }
    }

    /// From `[alpha_imf, log10_n_ia, log10_sfe, log10_sfr_peak, x_out, birth_time]`.
    pub fn from_array(a: [f64; 6]) -> Self {
        Self {
            alpha_imf: a[0],
            log10_n_ia: a[1],
            log10_sfe: a[2],
            log10_sfr_peak: a[3],
            x_out: a[4],
            birth_time: a[5],
        }
    }

    /// `[alpha_imf, log10_n_ia, log10_sfe, log10_sfr_peak, x_out, birth_time]`.
    pub fn to_array(&self) -> [f64; 6] {
        [
            self.alpha_imf,
            self.log10_n_ia,
            self.log10_sfe,
            self.log10_sfr_peak,
            self.x_out,
            self.birth_time,
        ]
    }

    /// Checks the domain of every parameter:
    /// - every value must be finite;
    /// - `alpha_imf`, `log10_n_ia`, `log10_sfe`, `log10_sfr_peak` within ±[`NUMERIC_BOUND`];
    /// - `x_out` in [0, 1];
    /// - `birth_time` in (0, 13.8] and, as CHEMPY's `shorten_sfr` asserts, the stellar age
    ///   `13.797617 − birth_time` at most 13 Gyr, i.e. `birth_time ≥ 0.797617`.
    pub fn validate(&self) -> Result<(), SimError> {
        self.validate_physics()?;
        let b = self.birth_time;
        check_finite("birth_time", b)?;
        if b <= 0.0 || b > MAX_BIRTH_TIME {
            return Err(invalid("birth_time", b, "must be in (0, 13.8] Gyr"));
        }
        if END_TIME - b > MAX_STELLAR_AGE {
            return Err(invalid(
                "birth_time",
                b,
                "CHEMPY requires a stellar age 13.797617 - birth_time <= 13 Gyr (birth_time >= 0.797617)",
            ));
        }
        Ok(())
    }

    /// Checks the five physical parameters (everything except `birth_time`).
    pub fn validate_physics(&self) -> Result<(), SimError> {
        let logs = [
            ("alpha_imf", self.alpha_imf),
            ("log10_n_ia", self.log10_n_ia),
            ("log10_sfe", self.log10_sfe),
            ("log10_sfr_peak", self.log10_sfr_peak),
        ];
        for (name, v) in logs {
            check_finite(name, v)?;
            if v.abs() > NUMERIC_BOUND {
                return Err(invalid(name, v, "must be within [-20, 20]"));
            }
        }
        check_finite("x_out", self.x_out)?;
        if !(0.0..=1.0).contains(&self.x_out) {
            return Err(invalid("x_out", self.x_out, "must be in [0, 1]"));
        }
        Ok(())
    }

    /// Number of SN Ia per Msun of stars formed, `N_0 = 10^log10_n_ia`.
    pub fn n_ia(&self) -> f64 {
        10f64.powf(self.log10_n_ia)
    }

    /// Star-formation efficiency (Gyr^-1), `10^log10_sfe`.
    pub fn sfe(&self) -> f64 {
        10f64.powf(self.log10_sfe)
    }

    /// SFR scale = peak time of the gamma-function SFR (Gyr), `10^log10_sfr_peak`.
    pub fn sfr_scale(&self) -> f64 {
        10f64.powf(self.log10_sfr_peak)
    }
}

fn invalid(name: &'static str, value: f64, reason: &str) -> SimError {
    SimError::InvalidParameter {
        name,
        value,
        reason: reason.to_string(),
    }
}

fn check_finite(name: &'static str, v: f64) -> Result<(), SimError> {
    if v.is_finite() {
        Ok(())
    } else {
        Err(invalid(name, v, "must be a finite number"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The domain checks are tested through `simulate` in tests/gce_inputs.rs.

    #[test]
    fn array_round_trip() {
        let a = [-2.1, -3.0, 0.1, 0.5, 0.3, 7.0];
        assert_eq!(Params::from_array(a).to_array(), a);
    }
}
