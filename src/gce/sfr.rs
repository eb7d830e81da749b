//! The star-formation history and CHEMPY's birth-time grid (`sfr.SFR.gamma_function`,
//! `cem_function.shorten_sfr`, `wrapper.initialise_stuff`).
//!
//! SFR(t) ∝ Γ-pdf(t; a = 2, scale = s) = (t/s) e^{−t/s} / s, s = 10^log10_sfr_peak Gyr (its
//! peak). Zeros (t = 0) are replaced by 1e-10 before normalising.
//!
//! **Birth-time grid.** For a star born at t_b (age A = 13.797617 − t_b) CHEMPY rebuilds the
//! 28-point grid so that a grid point falls near t_b:
//! N' = int(27·13.797617/(13.797617 − A) + 1), t_end' = (13.797617 − A)(N' − 1)/27, and
//! t' = linspace(0, t_end', N') (spacing ≈ t_b/27). With the SFR on t' normalised to a total
//! mass c = Σ_{t'} Γ-pdf dt' / Σ_{t} Γ-pdf dt (t = the default grid), the run stops at the grid
//! point nearest to t_b (index k), and
//! - it **fails** if SFR(t'_k) < 5 % of the mean SFR Σ SFR / t_end';
//! - the corona mass factor is divided by r = Σ_{i≤k} SFR_i / c (the fraction of stars formed
//!   by the birth step).
//!
//! The simulation then runs on linspace(0, t'_k, k + 1) with the SFR recomputed on that grid
//! and normalised to sum 1 (Msun per step for a total of 1 Msun of stars).

use super::config::{END_TIME, MIN_SFR_FRACTION_AT_BIRTH, TIME_STEPS};
use super::error::SimError;
use super::numeric::{linspace_into, np_sum, seq_sum};

/// Gamma-distribution pdf with shape 2, location 0 and scale `scale` (scipy semantics:
/// exp(log(x) − x)/scale with x = t/scale; 0 at t = 0).
pub fn gamma2_pdf(t: f64, scale: f64) -> f64 {
    let x = t / scale;
    if x < 0.0 {
        return 0.0;
    }
    (x.ln() - x - 0.0).exp() / scale
}

/// `SFR.gamma_function` on a grid of spacing `dt`: pdf with zeros replaced by 1e-10,
/// normalised so that Σ sfr · dt = 1.
pub fn gamma_sfr_into(t: &[f64], dt: f64, scale: f64, out: &mut Vec<f64>) {
    out.clear();
    out.extend(t.iter().map(|&ti| {
        let v = gamma2_pdf(ti, scale);
        if v == 0.0 {
            1e-10
        } else {
            v
        }
    }));
    let norm = seq_sum(out) / ((1.0 / dt) * 1.0);
    out.iter_mut().for_each(|v| *v /= norm);
}

/// The time grid and SFR of one run, ending at the birth step.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunGrid {
    /// Time grid (Gyr), `linspace(0, t_birth_grid, steps)`.
    pub time: Vec<f64>,
    /// Stars formed per step (Msun, sums to 1).
    pub sfr: Vec<f64>,
    /// Grid spacing (Gyr).
    pub dt: f64,
    /// Fraction of the total star formation that happened by the birth step (CHEMPY
    /// `shortened_sfr_rescaling`).
    pub rescaling: f64,
    /// Stars formed up to the birth step on the shortened grid (CHEMPY's `total_mass` after
    /// `shorten_sfr`; the shortened grid forms `rescaling`⁻¹ times this in total).
    pub formed: f64,
    /// Number of points of the shortened grid before cropping.
    pub full_steps: usize,
    /// End of the uncropped shortened grid (Gyr).
    pub full_end: f64,
    /// SFR of the birth step relative to the mean SFR (fails below 0.05).
    pub sfr_fraction_at_birth: f64,
    scratch_t: Vec<f64>,
    scratch_sfr: Vec<f64>,
}

impl RunGrid {
    /// Builds the grid of a star born at `birth_time` (Gyr); `Err(SfrAtBirthTooLow)` when the
    /// 5 % rule fails. `birth_time` must already be validated.
    pub fn build(&mut self, birth_time: f64, sfr_scale: f64) -> Result<(), SimError> {
        let age = END_TIME - birth_time;
        let steps_m1 = (TIME_STEPS - 1) as f64;
        let nt = (steps_m1 * END_TIME / (END_TIME - age) + 1.0) as usize;
        if nt < 2 {
            return Err(SimError::InvalidParameter {
                name: "birth_time",
                value: birth_time,
                reason: "the birth-time grid has fewer than two points".into(),
            });
        }
        let new_end = (END_TIME - age) * (nt - 1) as f64 / steps_m1;
        let correction = self.mass_correction(new_end, nt, sfr_scale);
        // Shortened grid and its SFR (scaled to the corrected total mass).
        let (t, sfr) = (&mut self.scratch_t, &mut self.scratch_sfr);
        linspace_into(0.0, new_end, nt, t);
        let dt = t[1] - t[0];
        gamma_sfr_into(t, dt, sfr_scale, sfr);
        let total = seq_sum(sfr);
        sfr.iter_mut().for_each(|v| *v = correction * (*v / total));
        let mean_sfr = seq_sum(sfr) / new_end;
        let star_time = END_TIME - age;
        let cut = nearest(t, star_time);
        let time_model = t[cut];
        let formed = seq_sum(&sfr[..=cut]);
        self.sfr_fraction_at_birth = (sfr[cut] / dt) / mean_sfr;
        self.rescaling = formed / correction;
        self.formed = formed;
        self.full_steps = nt;
        self.full_end = new_end;
        if self.sfr_fraction_at_birth < MIN_SFR_FRACTION_AT_BIRTH {
            return Err(SimError::SfrAtBirthTooLow);
        }
        if cut == 0 {
            return Err(SimError::InvalidParameter {
                name: "birth_time",
                value: birth_time,
                reason: "the birth step is the first grid point".into(),
            });
        }
        // The run grid (initialise_stuff): SFR recomputed and normalised to sum 1.
        linspace_into(0.0, time_model, cut + 1, &mut self.time);
        self.dt = self.time[1] - self.time[0];
        gamma_sfr_into(&self.time, self.dt, sfr_scale, &mut self.sfr);
        let s = seq_sum(&self.sfr);
        self.sfr.iter_mut().for_each(|v| *v /= s);
        Ok(())
    }

    /// Ratio of the gamma-pdf mass on the shortened grid to that on the default grid.
    fn mass_correction(&mut self, new_end: f64, nt: usize, scale: f64) -> f64 {
        let t = &mut self.scratch_t;
        linspace_into(0.0, new_end, nt, t);
        let dt_new = t[1] - t[0];
        let pdf = &mut self.scratch_sfr;
        pdf.clear();
        pdf.extend(t.iter().map(|&v| gamma2_pdf(v, scale)));
        let basic = np_sum(pdf) * dt_new;
        linspace_into(0.0, END_TIME, TIME_STEPS, t);
        let dt_old = t[1] - t[0];
        pdf.clear();
        pdf.extend(t.iter().map(|&v| gamma2_pdf(v, scale)));
        let old = np_sum(pdf) * dt_old;
        basic / old
    }
}

/// Index of the grid point nearest to `x` (first one on ties).
fn nearest(t: &[f64], x: f64) -> usize {
    let mut best = 0;
    let mut d = (t[0] - x).abs();
    for (i, v) in t.iter().enumerate().skip(1) {
        let di = (v - x).abs();
        if di < d {
            d = di;
            best = i;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn birth_grid_has_28_points_near_the_birth_time() {
        let mut g = RunGrid::default();
        g.build(8.0, 10f64.powf(0.55)).unwrap();
        assert_eq!(g.time.len(), 28);
        assert_eq!(*g.time.last().unwrap(), 8.0);
        assert!((seq_sum(&g.sfr) - 1.0).abs() < 1e-14);
        // the documented quirk: birth 13.8 > end gives a 27-point grid ending at 13.289 Gyr
        g.build(13.8, 10f64.powf(0.55)).unwrap();
        assert_eq!(g.time.len(), 27);
        assert!((g.time[26] - 13.2889).abs() < 1e-3);
    }

    #[test]
    fn late_birth_with_early_sfr_peak_fails_the_5pct_rule() {
        let mut g = RunGrid::default();
        assert_eq!(
            g.build(13.8, 10f64.powf(0.28)),
            Err(SimError::SfrAtBirthTooLow)
        );
        assert!(g.build(13.8, 10f64.powf(0.29)).is_ok());
        assert!(g.build(8.0, 10f64.powf(0.28)).is_ok());
    }
}
