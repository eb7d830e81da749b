//! CC-SN net yields of Nomoto et al. (2013) (CHEMPY `SN2_feedback.Nomoto2013_net`).
//!
//! CHEMPY loads pre-computed net tables `nomoto_net_met_ind_<i>.npy` for the metallicities
//! 0.05, 0.02, 0.008, 0.004, 0.001 (index order, hard-coded in `yields.py`); we read their
//! exact CSV conversions. Masses 13–40 Msun; no hypernova mixing for the `_net` tables.

use super::{Metallicity, ProcessYields, YieldTable};
use crate::data::DataDir;
use crate::gce::config::N_EL;
use crate::gce::error::GceError;
use crate::gce::input::Csv;

/// Table metallicities in file-index order.
pub const METALLICITIES: [f64; 5] = [0.05, 0.02, 0.008, 0.004, 0.001];

/// Loads the five tables.
pub fn load(data: &DataDir) -> Result<ProcessYields, GceError> {
    let mut tables = Vec::with_capacity(METALLICITIES.len());
    for (i, &z) in METALLICITIES.iter().enumerate() {
        let rel = format!("chempy-input/input/yields/Nomoto2013/nomoto_net_met_ind_{i}.csv");
        tables.push(read_table(data, &rel, z)?);
    }
    Ok(ProcessYields { tables })
}

/// Reads a net-yield table with columns `Mass, mass_in_remnants, unprocessed_mass_in_winds`
/// and element symbols.
pub fn read_table(data: &DataDir, relative: &str, z: f64) -> Result<YieldTable, GceError> {
    let csv = Csv::read(data, relative)?;
    let (mc, rc, uc) = (
        csv.column("Mass")?,
        csv.column("mass_in_remnants")?,
        csv.column("unprocessed_mass_in_winds")?,
    );
    let mut cols = [0usize; N_EL];
    for (t, col) in cols.iter_mut().enumerate() {
        *col = csv.column(crate::gce::config::ELEMENTS[t])?;
    }
    let mut table = YieldTable {
        metallicity: Metallicity {
            value: z,
            is_f32: false,
        },
        mass: Vec::new(),
        mass_is_f32: false,
        mass_in_remnants: Vec::new(),
        unprocessed: Some(Vec::new()),
        yields: Vec::new(),
        elements: csv.header[3..]
            .iter()
            .filter(|h| !h.is_empty())
            .cloned()
            .collect(),
    };
    for r in 0..csv.rows.len() {
        table.mass.push(csv.f64(r, mc)?);
        table.mass_in_remnants.push(csv.f64(r, rc)?);
        if let Some(u) = table.unprocessed.as_mut() {
            u.push(csv.f64(r, uc)?);
        }
        let mut row = [0.0; N_EL];
        for (t, &col) in cols.iter().enumerate() {
            row[t] = csv.f64(r, col)?;
        }
        table.yields.push(row);
    }
    if table.mass.is_empty() {
        return Err(csv.file.error(0, "no mass rows"));
    }
    Ok(table)
}
