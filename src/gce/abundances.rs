//! From element masses in the ISM to abundances on the Asplund09 scale
//! (CHEMPY `making_abundances.mass_fraction_to_abundances` and `wrapper.Chempy_all_times`):
//!
//! [X/H] = log10((M_X / A_X) / (M_H / A_H)) + 12 − log ε_⊙(X),
//! [Fe/H] is reported as is and every other element as [X/Fe] = [X/H] − [Fe/H].
//!
//! M = element mass (Msun), A = atomic mass. A zero number ratio gives −∞ (then every
//! [X/Fe] is +∞, as CHEMPY does for the first time step).

use super::config::{ELEMENTS, FE, H, N_EL};
use super::solar::Solar;

/// Indices into [`ELEMENTS`] of the 8 output abundances `C_Fe, Fe_H, He_Fe, Mg_Fe, N_Fe,
/// Ne_Fe, O_Fe, Si_Fe` (H dropped).
pub const OUTPUT_ELEMENTS: [usize; 8] = [0, 1, 3, 4, 5, 6, 7, 8];

/// Abundances of all traced elements ([`ELEMENTS`] order; Fe as [Fe/H], the others as
/// [X/Fe], H as −[Fe/H]) from element masses in Msun.
pub fn from_masses(masses: &[f64; N_EL], solar: &Solar) -> [f64; N_EL] {
    let n_h = masses[H] / solar.atomic_mass[H];
    let mut x_h = [0.0; N_EL];
    for e in 0..N_EL {
        let ratio = (masses[e] / solar.atomic_mass[e]) / n_h;
        let dex = if ratio == 0.0 {
            f64::NEG_INFINITY
        } else {
            ratio.log10() + 12.0
        };
        x_h[e] = dex - solar.log_eps[e];
    }
    let fe = x_h[FE];
    let mut out = [0.0; N_EL];
    for e in 0..N_EL {
        out[e] = if e == FE {
            fe
        } else if fe.is_finite() {
            x_h[e] - fe
        } else {
            f64::INFINITY
        };
    }
    out
}

/// The 8 user-facing abundances from the 9 traced ones.
pub fn output(all: &[f64; N_EL]) -> [f64; 8] {
    OUTPUT_ELEMENTS.map(|e| all[e])
}

/// Name of a traced element.
pub fn element_name(e: usize) -> &'static str {
    ELEMENTS[e]
}

/// The typeset name of an abundance for axis labels: `Mg_Fe` → `[Mg/Fe]`, `Fe_H` →
/// `[Fe/H]`; other names unchanged.
pub fn bracket(name: &str) -> String {
    match name.split_once('_') {
        Some((a, b)) if super::ABUNDANCE_NAMES.contains(&name) => format!("[{a}/{b}]"),
        _ => name.to_string(),
    }
}
