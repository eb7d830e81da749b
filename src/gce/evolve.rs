//! Time integration of the one-zone ISM with its corona (CHEMPY
//! `time_integration.ABUNDANCE_MATRIX` driven by `wrapper.Chempy_all_times`).
//!
//! At step k (k ≥ 1), with SFR_j the stars formed at step j and E_j(k − j) the feedback of the
//! SSP born at step j, k − j steps later (per Msun):
//! 1. feedback F_el = Σ_{j<k} SFR_j E_{j,el}(k − j); the ISM receives (1 − x_out) F_el, the
//!    corona x_out F_el;
//! 2. the corona receives cosmic accretion f_cosmic SFR_k (H 0.76, He 0.24; f_cosmic is
//!    [`super::settings::ModelSettings::sfr_factor_for_cosmic_accretion`], 1 by default);
//! 3. infall I (see [`super::infall`]) moves corona gas of the corona's composition into the ISM;
//! 4. the ISM gas G = Σ_el M_el forms SFR_k of stars with the ISM composition:
//!    M_el ← M_el − SFR_k M_el / G;
//! 5. Z = Σ_metals M_el / (G − SFR_k).
//!
//! The SSP born at step k has metallicity Z_k and the element fractions of step k − 1 (CHEMPY's
//! choice). After step k + 1 is computed, CHEMPY checks step k: a negative element mass, ISM
//! gas or corona gas stops the run.

use super::config::{METALS, MG, N_EL, O, PRIMORDIAL, SI};
use super::error::SimError;
use super::infall;
use super::numeric::seq_sum;

/// ISM and corona over the time grid of one run. Masses in Msun (total stars formed = 1).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IsmHistory {
    /// Time (Gyr).
    pub time: Vec<f64>,
    /// Stars formed in each step.
    pub sfr: Vec<f64>,
    /// Gas accreted from the corona in each step.
    pub infall: Vec<f64>,
    /// ISM gas mass after the step.
    pub gas: Vec<f64>,
    /// Metal mass fraction of the ISM gas (traced metals only).
    pub z: Vec<f64>,
    /// Element masses in the ISM ([`super::config::ELEMENTS`] order).
    pub elements: Vec<[f64; N_EL]>,
    /// Corona gas mass.
    pub corona_gas: Vec<f64>,
    /// Element masses in the corona.
    pub corona_elements: Vec<[f64; N_EL]>,
    /// Detail: stellar mass (formed minus returned).
    pub stars: Vec<f64>,
    /// Detail: feedback mass returned in the step (ISM + corona).
    pub feedback: Vec<f64>,
    /// Detail: (O + Mg + Si)/gas.
    pub alpha: Vec<f64>,
    /// Detail: cumulative ISM share of remnant mass, SN Ia, CC-SN, AGB and BH events.
    pub cumulative: [Vec<f64>; 5],
    /// Detail: corona metallicity.
    pub corona_z: Vec<f64>,
    /// Detail: feedback sent to the corona in the step.
    pub corona_feedback: Vec<f64>,
    /// Cosmic accretion per unit SFR (set by [`IsmHistory::start`]).
    cosmic_factor: f64,
}

impl IsmHistory {
    /// Clears and sizes the history for `n` steps.
    pub fn reset(&mut self, time: &[f64], sfr: &[f64], detail: bool) {
        let n = time.len();
        self.time.clear();
        self.time.extend_from_slice(time);
        self.sfr.clear();
        self.sfr.extend_from_slice(sfr);
        for v in [
            &mut self.infall,
            &mut self.gas,
            &mut self.z,
            &mut self.corona_gas,
        ] {
            v.clear();
            v.resize(n, 0.0);
        }
        for v in [&mut self.elements, &mut self.corona_elements] {
            v.clear();
            v.resize(n, [0.0; N_EL]);
        }
        let dn = if detail { n } else { 0 };
        for v in [
            &mut self.stars,
            &mut self.feedback,
            &mut self.alpha,
            &mut self.corona_z,
            &mut self.corona_feedback,
        ] {
            v.clear();
            v.resize(dn, 0.0);
        }
        for v in self.cumulative.iter_mut() {
            v.clear();
            v.resize(dn, 0.0);
        }
    }

    fn detail(&self) -> bool {
        !self.stars.is_empty()
    }

    /// Step 0: the ISM receives primordial gas for the first stars; the corona starts with
    /// cosmic accretion plus the corona mass factor times the stars to be formed, minus what
    /// fell into the ISM. `reservoir_factor` = corona mass factor / shortened-SFR rescaling
    /// (CHEMPY's `gas_reservoir_mass_factor / shortened_sfr_rescaling`); `cosmic_factor` =
    /// cosmic accretion per unit SFR, used in this and every later step.
    pub fn start(&mut self, sfe_dt: f64, reservoir_factor: f64, cosmic_factor: f64) {
        self.cosmic_factor = cosmic_factor;
        let sfr0 = self.sfr[0];
        let inf = infall::initial_gas(sfr0, sfe_dt);
        self.infall[0] = inf;
        let ism = &mut self.elements[0];
        for e in 0..N_EL {
            ism[e] += PRIMORDIAL[e] * inf;
        }
        let gas = 0.0 + inf;
        for v in ism.iter_mut() {
            *v -= (*v / gas) * sfr0;
        }
        self.gas[0] = gas - sfr0;
        let cosmic = sfr0 * cosmic_factor;
        let starting = seq_sum(&self.sfr) * reservoir_factor - inf;
        let cor = &mut self.corona_elements[0];
        for e in 0..N_EL {
            cor[e] = PRIMORDIAL[e] * cosmic;
            cor[e] += PRIMORDIAL[e] * starting;
        }
        self.corona_gas[0] = cosmic + starting;
        self.z[0] = metal_mass(&self.elements[0]) / self.gas[0];
        if self.detail() {
            self.stars[0] = sfr0;
            self.corona_z[0] = metal_mass(&self.corona_elements[0]) / self.corona_gas[0];
        }
    }

    /// Advances to step `k` given the summed feedback `f[el] = Σ_j SFR_j E_{j,el}(k − j)`.
    pub fn advance(
        &mut self,
        k: usize,
        f: &[f64; N_EL],
        x_out: f64,
        sfe_dt: f64,
    ) -> Result<(), SimError> {
        for e in 0..N_EL {
            self.elements[k][e] = self.elements[k - 1][e] + (1.0 - x_out) * f[e];
            self.corona_elements[k][e] = self.corona_elements[k - 1][e] + f[e] * x_out;
        }
        let fsum = seq_sum(f);
        let sfr = self.sfr[k];
        let cosmic = sfr * self.cosmic_factor;
        let mut cgas = self.corona_gas[k - 1] + cosmic;
        for e in 0..N_EL {
            self.corona_elements[k][e] += PRIMORDIAL[e] * cosmic;
        }
        cgas += fsum * x_out;
        let gas_there = seq_sum(&self.elements[k]);
        let inf = infall::infall(sfr, sfe_dt, gas_there, cgas);
        self.infall[k] = inf;
        for e in 0..N_EL {
            self.elements[k][e] += inf * (self.corona_elements[k][e] / cgas);
        }
        for e in 0..N_EL {
            self.corona_elements[k][e] -= inf * (self.corona_elements[k][e] / cgas);
        }
        self.corona_gas[k] = cgas - inf;
        let gas = seq_sum(&self.elements[k]);
        // CHEMPY asserts gas >= sfr (a NaN fails the assertion too).
        if gas < sfr || gas.is_nan() || sfr.is_nan() {
            return Err(SimError::GasBelowSfr { step: k });
        }
        for v in self.elements[k].iter_mut() {
            *v -= sfr * (*v / gas);
        }
        self.gas[k] = gas - sfr;
        self.z[k] = metal_mass(&self.elements[k]) / self.gas[k];
        if self.detail() {
            self.advance_detail(k, fsum, x_out);
        }
        Ok(())
    }

    fn advance_detail(&mut self, k: usize, fsum: f64, x_out: f64) {
        self.stars[k] = self.stars[k - 1] - fsum + self.sfr[k];
        self.feedback[k] = fsum;
        self.corona_feedback[k] = fsum * x_out;
        let cg = self.corona_gas[k];
        self.corona_z[k] = if cg <= 0.0 {
            f64::INFINITY
        } else {
            metal_mass(&self.corona_elements[k]) / cg
        };
        let el = &self.elements[k];
        self.alpha[k] = (0.0 + el[MG] + el[O] + el[SI]) / self.gas[k];
    }

    /// Adds the ISM share of the summed event/remnant feedback `c` (remnants, SN Ia, CC-SN,
    /// AGB, BH) to the cumulative columns at step `k` (detail mode).
    pub fn add_cumulative(&mut self, k: usize, c: &[f64; 5], x_out: f64) {
        for (col, v) in self.cumulative.iter_mut().zip(c) {
            col[k] = col[k - 1] + (1.0 - x_out) * v;
        }
    }

    /// CHEMPY's checks on step `k`: negative element (first in element order), ISM gas, corona.
    pub fn check(&self, k: usize) -> Result<(), SimError> {
        if let Some(e) = self.elements[k].iter().position(|&v| v < 0.0) {
            return Err(SimError::ElementNegative(
                super::config::ELEMENTS[e].to_string(),
            ));
        }
        if self.gas[k] < 0.0 {
            return Err(SimError::GasNegative);
        }
        if self.corona_gas[k] < 0.0 {
            return Err(SimError::GasReservoirNegative);
        }
        Ok(())
    }

    /// Composition of the birth gas of the SSP born at step `i`: element fractions of step
    /// max(i − 1, 0).
    pub fn birth_fractions(&self, i: usize) -> [f64; N_EL] {
        let k = i.saturating_sub(1);
        let g = self.gas[k];
        self.elements[k].map(|v| v / g)
    }
}

/// Σ of the traced metal masses (left to right, as CHEMPY).
fn metal_mass(m: &[f64; N_EL]) -> f64 {
    let mut s = 0.0;
    for &e in &METALS {
        s += m[e];
    }
    s
}
