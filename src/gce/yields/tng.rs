//! IllustrisTNG yield tables (`input/yields/TNG/{SNII,AGB,SNIa}.csv`, exact float32 values of
//! the HDF5 files CHEMPY reads).
//!
//! CHEMPY (`SN2_feedback.TNG_net`, `AGB_feedback.TNG_net`, `SN1a_feedback.TNG`) computes in
//! float32: remnant fraction `(M − M_ej)/M` and element fractions `y_el/M` are float32
//! divisions; the unprocessed wind fraction `1 − Σ_el y_el/M − remnant` is float64, summed over
//! the 11 TNG species H, He, C, N, O, Ne, Mg, Si, S, Ca, Fe (mapped to rows by position). The
//! AGB table is stored with masses in decreasing order. The SN Ia mass is the float32 pairwise
//! sum of all 42 SN Ia yields; its elements are mapped by position onto H … Mo.

use super::{traced_index, Metallicity, ProcessYields, YieldTable};
use crate::data::DataDir;
use crate::gce::config::N_EL;
use crate::gce::error::GceError;
use crate::gce::input::Csv;
use crate::gce::numeric::np_sum_f32;

/// The 11 species of the TNG CC-SN and AGB tables, in row order.
pub const SPECIES: [&str; 11] = ["H", "He", "C", "N", "O", "Ne", "Mg", "Si", "S", "Ca", "Fe"];

/// CHEMPY's element list for the TNG SN Ia table (rows are mapped by position).
pub const SN1A_SPECIES: [&str; 42] = [
    "H", "He", "Li", "Be", "B", "C", "N", "O", "F", "Ne", "Na", "Mg", "Al", "Si", "P", "S", "Cl",
    "Ar", "K", "Ca", "Sc", "Ti", "V", "Cr", "Mn", "Fe", "Co", "Ni", "Cu", "Zn", "Ga", "Ge", "As",
    "Se", "Br", "Kr", "Rb", "Sr", "Y", "Zr", "Nb", "Mo",
];

/// One metallicity group of a long-format TNG table (float32 values).
struct Group {
    metallicity: f32,
    mass: Vec<f32>,
    ejected: Vec<f32>,
    /// yield[species][mass]
    yields: Vec<Vec<f32>>,
}

/// Loads the CC-SN table `TNG_net`.
pub fn load_sn2(data: &DataDir) -> Result<ProcessYields, GceError> {
    let groups = read_groups(data, "chempy-input/input/yields/TNG/SNII.csv")?;
    Ok(ProcessYields {
        tables: groups.iter().map(|g| process_group(g, false)).collect(),
    })
}

/// Loads the AGB table `TNG_net` (rows in decreasing mass).
pub fn load_agb(data: &DataDir) -> Result<ProcessYields, GceError> {
    let groups = read_groups(data, "chempy-input/input/yields/TNG/AGB.csv")?;
    Ok(ProcessYields {
        tables: groups.iter().map(|g| process_group(g, true)).collect(),
    })
}

fn process_group(g: &Group, reversed: bool) -> YieldTable {
    let n = g.mass.len();
    let order: Vec<usize> = if reversed {
        (0..n).rev().collect()
    } else {
        (0..n).collect()
    };
    let mut table = YieldTable {
        metallicity: Metallicity {
            value: g.metallicity as f64,
            is_f32: true,
        },
        mass: Vec::with_capacity(n),
        mass_is_f32: true,
        mass_in_remnants: Vec::with_capacity(n),
        unprocessed: Some(Vec::with_capacity(n)),
        yields: Vec::with_capacity(n),
        elements: SPECIES.iter().map(|s| s.to_string()).collect(),
    };
    for &m in &order {
        let mass = g.mass[m];
        let remnant = (mass - g.ejected[m]) / mass;
        let mut summed = 0.0f64;
        let mut row = [0.0; N_EL];
        for (s, name) in SPECIES.iter().enumerate() {
            let fraction = g.yields[s][m] / mass;
            summed += fraction as f64;
            if let Some(t) = traced_index(name) {
                row[t] = fraction as f64;
            }
        }
        table.mass.push(mass as f64);
        table.mass_in_remnants.push(remnant as f64);
        if let Some(u) = table.unprocessed.as_mut() {
            u.push(1.0 - summed - remnant as f64);
        }
        table.yields.push(row);
    }
    table
}

fn read_groups(data: &DataDir, relative: &str) -> Result<Vec<Group>, GceError> {
    let csv = Csv::read(data, relative)?;
    let cols = [
        "z_index",
        "metallicity",
        "mass_index",
        "mass",
        "species_index",
        "yield",
        "ejected_mass",
    ]
    .map(|c| csv.column(c));
    let [zc, metc, mc, massc, sc, yc, ec] = cols;
    let (zc, metc, mc, massc, sc, yc, ec) = (zc?, metc?, mc?, massc?, sc?, yc?, ec?);
    let mut groups: Vec<Group> = Vec::new();
    for r in 0..csv.rows.len() {
        let (z, m, s) = (csv.usize(r, zc)?, csv.usize(r, mc)?, csv.usize(r, sc)?);
        if z > 64 || m > 1024 || s > 1024 {
            return Err(csv.file.error(csv.rows[r].0, "index out of range"));
        }
        while groups.len() <= z {
            groups.push(Group {
                metallicity: f32::NAN,
                mass: Vec::new(),
                ejected: Vec::new(),
                yields: Vec::new(),
            });
        }
        let g = &mut groups[z];
        g.metallicity = csv.f64(r, metc)? as f32;
        grow(&mut g.mass, m + 1);
        grow(&mut g.ejected, m + 1);
        g.mass[m] = csv.f64(r, massc)? as f32;
        g.ejected[m] = csv.f64(r, ec)? as f32;
        while g.yields.len() <= s {
            g.yields.push(Vec::new());
        }
        grow(&mut g.yields[s], m + 1);
        g.yields[s][m] = csv.f64(r, yc)? as f32;
    }
    check_groups(&csv, &groups)?;
    Ok(groups)
}

fn grow(v: &mut Vec<f32>, len: usize) {
    if v.len() < len {
        v.resize(len, f32::NAN);
    }
}

fn check_groups(csv: &Csv, groups: &[Group]) -> Result<(), GceError> {
    if groups.is_empty() {
        return Err(csv.file.error(0, "no yield rows"));
    }
    for (z, g) in groups.iter().enumerate() {
        let complete = !g.metallicity.is_nan()
            && !g.mass.is_empty()
            && g.yields.len() >= SPECIES.len()
            && g.mass.iter().chain(&g.ejected).all(|v| !v.is_nan())
            && g.yields[..SPECIES.len()]
                .iter()
                .all(|y| y.len() == g.mass.len() && y.iter().all(|v| !v.is_nan()));
        if !complete {
            return Err(csv.file.error(
                0,
                format!(
                    "metallicity group {z} lacks masses, ejecta or yields of the 11 TNG species"
                ),
            ));
        }
    }
    Ok(())
}

/// Loads the SN Ia table `TNG` (one metallicity, 0.02).
pub fn load_sn1a(data: &DataDir) -> Result<ProcessYields, GceError> {
    let csv = Csv::read(data, "chempy-input/input/yields/TNG/SNIa.csv")?;
    let (ic, yc) = (csv.column("species_index")?, csv.column("yield")?);
    let mut values = vec![f32::NAN; csv.rows.len()];
    for r in 0..csv.rows.len() {
        let i = csv.usize(r, ic)?;
        if i >= values.len() {
            return Err(csv.file.error(csv.rows[r].0, "species_index out of range"));
        }
        values[i] = csv.f64(r, yc)? as f32;
    }
    if values.len() < SN1A_SPECIES.len() || values.iter().any(|v| v.is_nan()) {
        return Err(csv
            .file
            .error(0, "expected 42 SN Ia yields (species_index 0..41)"));
    }
    let mass = np_sum_f32(&values);
    let mut row = [0.0; N_EL];
    for (i, name) in SN1A_SPECIES.iter().enumerate() {
        if let Some(t) = traced_index(name) {
            row[t] = (values[i] / mass) as f64;
        }
    }
    Ok(ProcessYields {
        tables: vec![YieldTable {
            metallicity: Metallicity {
                value: 0.02,
                is_f32: false,
            },
            mass: vec![mass as f64],
            mass_is_f32: true,
            mass_in_remnants: vec![-(mass as f64)],
            unprocessed: None,
            yields: vec![row],
            elements: SN1A_SPECIES.iter().map(|s| s.to_string()).collect(),
        }],
    })
}
