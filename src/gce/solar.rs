//! The solar reference scale: Asplund et al. (2009) photospheric abundances (log ε, H = 12)
//! and the atomic masses of CHEMPY's elemental table, for the traced elements.
//!
//! Read from `chempy-input/hardcoded/solar_asplund09.csv` (numbers hard-coded in CHEMPY's
//! `solar_abundance.py`) and `chempy-input/input/elemental_table.csv`.

use super::config::{ATOMIC_NUMBERS, ELEMENTS, N_EL};
use super::error::GceError;
use super::input::Csv;
use crate::data::DataDir;

/// Atomic masses and solar abundances of the traced elements ([`ELEMENTS`] order).
#[derive(Debug, Clone, PartialEq)]
pub struct Solar {
    /// Atomic mass (u).
    pub atomic_mass: [f64; N_EL],
    /// Photospheric log ε (dex, H = 12).
    pub log_eps: [f64; N_EL],
}

impl Solar {
    /// Loads both tables.
    pub fn load(data: &DataDir) -> Result<Self, GceError> {
        let table = Csv::read(data, "chempy-input/input/elemental_table.csv")?;
        let (sc, mc) = (table.column("Symbol")?, table.column("Mass")?);
        let mut atomic_mass = [f64::NAN; N_EL];
        for r in 0..table.rows.len() {
            let symbol = &table.rows[r].1[sc];
            if let Some(t) = ELEMENTS.iter().position(|e| e == symbol) {
                atomic_mass[t] = table.f64(r, mc)?;
            }
        }
        if let Some(t) = atomic_mass.iter().position(|m| m.is_nan()) {
            return Err(table
                .file
                .error(0, format!("element {} is missing", ELEMENTS[t])));
        }
        let sol = Csv::read(data, "chempy-input/hardcoded/solar_asplund09.csv")?;
        let (nc, lc) = (sol.column("atomic_number")?, sol.column("log_eps")?);
        let mut log_eps = [f64::NAN; N_EL];
        for r in 0..sol.rows.len() {
            let z = sol.usize(r, nc)?;
            if let Some(t) = ATOMIC_NUMBERS.iter().position(|&a| a as usize == z) {
                log_eps[t] = sol.f64(r, lc)?;
            }
        }
        if let Some(t) = log_eps.iter().position(|m| m.is_nan()) {
            return Err(sol
                .file
                .error(0, format!("element {} is missing", ELEMENTS[t])));
        }
        Ok(Self {
            atomic_mass,
            log_eps,
        })
    }
}
