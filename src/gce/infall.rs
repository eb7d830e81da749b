//! Gas infall from the corona onto the ISM (CHEMPY `INFALL.sfr_related` with the
//! Kennicutt–Schmidt closure in `time_integration.ABUNDANCE_MATRIX`) and the primordial
//! composition of the corona and of cosmic accretion (H 0.76, He 0.24 by mass).
//!
//! With SFE ε (Gyr⁻¹), step dt and Schmidt exponent 1, the ISM must hold
//! G_needed = SFR_k / (ε dt) of gas when step k forms SFR_k of stars. The infall is
//! I = 1.00000001 · (G_needed − G_there), at least 0; if that leaves no more gas than the
//! step turns into stars, I = 1.01 · (SFR_k − G_there); and never more than the corona holds.
//! At the first step the ISM starts with max(1.0000001 · SFR_0, SFR_0/(ε dt)) of primordial gas.

use super::config::{
    FIRST_STEP_GAS_FACTOR, GAS_POWER, INFALL_SAFETY_FACTOR, INFALL_SHORTFALL_FACTOR,
};

/// Gas the ISM needs at the first step (Msun).
pub fn initial_gas(sfr0: f64, sfe_dt: f64) -> f64 {
    let a = sfr0 * FIRST_STEP_GAS_FACTOR;
    let b = (sfr0 / sfe_dt).powf(1.0 / GAS_POWER);
    if b > a {
        b
    } else {
        a
    }
}

/// Infall (Msun) at a later step: `sfr` formed in the step, `gas_there` in the ISM after the
/// step's feedback, `corona` available in the corona.
pub fn infall(sfr: f64, sfe_dt: f64, gas_there: f64, corona: f64) -> f64 {
    let gas_needed = (sfr / sfe_dt).powf(1.0 / GAS_POWER);
    let mut need = (gas_needed - gas_there) * INFALL_SAFETY_FACTOR;
    if need < 0.0 {
        need = 0.0;
    }
    if need + gas_there <= sfr {
        need = (sfr - gas_there) * INFALL_SHORTFALL_FACTOR;
    }
    if need > corona {
        need = corona;
    }
    need
}
