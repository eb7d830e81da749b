//! Type Ia supernova feedback of an SSP (CHEMPY `SSP.sn1a_feedback`, Maoz delay-time
//! distribution).
//!
//! Rate per step: R(t) = (t/τ)^{−s} (s − 1)/τ for t ≥ τ, else 0, with τ = 0.04 Gyr, s = 1.12,
//! evaluated on the SSP's time grid extended by steps of dt until it reaches 13.8 Gyr, and
//! normalised over that extended grid: N_k = N_0 R(t_k) / Σ_ext R (SN Ia per Msun of SSP).
//! Each event returns the SN Ia mass M_Ia (the yield table mass): the element feedback is
//! N_k M_Ia y_el, the remnants lose N_k M_Ia ρ with ρ = 0.3 · 2.156 / M_Ia (white-dwarf
//! mass), and hydrogen loses N_k M_Ia (1 − ρ) (the accreted mass, single-degenerate picture).

use crate::gce::config::{
    SN1A_DELAY, SN1A_EXPONENT, SN1A_MEAN_MASS, SN1A_NORM_TIME, SN1A_REMNANT_FRACTION,
};

/// The delay-time rates on a run's time grid (extended past 13.8 Gyr) and their cumulative
/// sums, shared by all SSPs of the run.
#[derive(Debug, Clone, Default)]
pub struct DelayTimes {
    rate: Vec<f64>,
    cumulative: Vec<f64>,
    /// Last grid value of the shared extension.
    last: f64,
    dt: f64,
}

/// R(t) of the Maoz delay-time distribution (unnormalised).
pub fn maoz_rate(t: f64) -> f64 {
    if t >= SN1A_DELAY {
        (t / SN1A_DELAY).powf(-SN1A_EXPONENT) * ((SN1A_EXPONENT - 1.0) / SN1A_DELAY)
    } else {
        0.0
    }
}

impl DelayTimes {
    /// Rates on the run grid `time` (spacing `time[1] - time[0]`).
    pub fn reset(&mut self, time: &[f64]) {
        self.rate.clear();
        self.cumulative.clear();
        self.dt = time[1] - time[0];
        let mut acc = 0.0;
        for &t in time {
            let r = maoz_rate(t);
            acc += r;
            self.rate.push(r);
            self.cumulative.push(acc);
        }
        self.last = time[time.len() - 1];
    }

    /// Rate at grid index k (k < the SSP's number of steps).
    pub fn rate(&self, k: usize) -> f64 {
        self.rate[k]
    }

    /// Σ R over the grid of an SSP with `m` steps, extended until it reaches 13.8 Gyr.
    pub fn normalisation(&mut self, time: &[f64], m: usize) -> f64 {
        let mut v = time[m - 1];
        let mut extra = 0;
        while v < SN1A_NORM_TIME {
            v += self.dt;
            extra += 1;
        }
        let k = m - 1 + extra;
        while self.cumulative.len() <= k {
            self.last += self.dt;
            let r = maoz_rate(self.last);
            let acc = self.cumulative[self.cumulative.len() - 1] + r;
            self.rate.push(r);
            self.cumulative.push(acc);
        }
        self.cumulative[k]
    }
}

/// Mass fraction ρ of the exploding system that stays in the remnant, for SN Ia mass `m_ia`.
pub fn remnant_ratio(m_ia: f64) -> f64 {
    (SN1A_MEAN_MASS * SN1A_REMNANT_FRACTION) / m_ia
}
