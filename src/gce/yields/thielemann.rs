//! SN Ia yields of Thielemann et al. (2003) as compiled by Travaglio et al. (2004)
//! (`input/yields/Thielemann2003/0.02.txt`, CHEMPY `SN1a_feedback.Thielemann`).
//!
//! One metallicity (0.02). CHEMPY takes the SN Ia mass as the hard-coded 1.37409 Msun and
//! divides every element yield (Msun) by it; `Mass` and `mass_in_remnants` come from the file.

use super::{traced_index, Metallicity, ProcessYields, YieldTable};
use crate::data::DataDir;
use crate::gce::config::N_EL;
use crate::gce::error::GceError;
use crate::gce::input::{parse_f64, TextFile};

/// The SN Ia mass hard-coded in `yields.py` (Msun).
pub const SN1A_MASS: f64 = 1.37409;

/// Loads the table.
pub fn load(data: &DataDir) -> Result<ProcessYields, GceError> {
    let file = TextFile::read(data, "chempy-input/input/yields/Thielemann2003/0.02.txt")?;
    let mut lines = file.data_lines();
    let names: Vec<&str> = match lines.next() {
        Some((_, l)) => l.split_whitespace().collect(),
        None => return Err(file.error(0, "empty file")),
    };
    let (line, values) = match lines.next() {
        Some((n, l)) => (n, l.split_whitespace().collect::<Vec<_>>()),
        None => return Err(file.error(0, "no data line after the header")),
    };
    if values.len() != names.len() || names.len() < 3 {
        return Err(file.error(
            line,
            format!("{} values for {} column names", values.len(), names.len()),
        ));
    }
    let mut mass = None;
    let mut remnants = None;
    let mut row = [f64::NAN; N_EL];
    for (name, v) in names.iter().zip(&values) {
        let x = parse_f64(&file, line, name, v)?;
        match *name {
            "Mass" => mass = Some(x),
            "mass_in_remnants" => remnants = Some(x),
            _ => {
                if let Some(t) = traced_index(name) {
                    row[t] = x / SN1A_MASS;
                }
            }
        }
    }
    let (Some(mass), Some(remnants)) = (mass, remnants) else {
        return Err(file.error(0, "columns Mass and mass_in_remnants are required"));
    };
    if row.iter().any(|v| v.is_nan()) {
        return Err(file.error(0, "a traced element (C Fe H He Mg N Ne O Si) is missing"));
    }
    Ok(ProcessYields {
        tables: vec![YieldTable {
            metallicity: Metallicity {
                value: 0.02,
                is_f32: false,
            },
            mass: vec![mass],
            mass_is_f32: false,
            mass_in_remnants: vec![remnants],
            unprocessed: None,
            yields: vec![row],
            elements: names[2..].iter().map(|s| s.to_string()).collect(),
        }],
    })
}
