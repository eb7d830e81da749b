//! AGB net yields of Karakas (2010) (`input/yields/Karakas2010/tablea2..5.dat`, CHEMPY
//! `AGB_feedback.Karakas_net_yield`) for Z = 0.02, 0.008, 0.004, 0.0001.
//!
//! Isotopic net yields are summed into elements with CHEMPY's hard-coded isotope lists (in
//! list order); the last 77 rows of `tablea5.dat` (a duplicate 6 Msun model) are dropped.
//! Per mass: remnant fraction `M_final / M`, element yields `Σ_iso y / M`, and unprocessed wind
//! `1 − (remnant + Σ_el y_el/M)` summed over the 19 elements below. Rows end up in decreasing
//! mass order.

use super::{traced_index, Metallicity, ProcessYields, YieldTable};
use crate::data::DataDir;
use crate::gce::config::N_EL;
use crate::gce::error::GceError;
use crate::gce::input::{parse_f64, TextFile};

/// Table metallicities, files `tablea2.dat` … `tablea5.dat`.
pub const METALLICITIES: [f64; 4] = [0.02, 0.008, 0.004, 0.0001];

/// Rows dropped from the end of `tablea5.dat` (second 6 Msun model).
pub const DROPPED_ROWS_TABLEA5: usize = 77;

/// CHEMPY's element → isotope lists, in its dictionary order.
pub const ISOTOPES: [(&str, &[&str]); 19] = [
    ("H", &["n", "p", "d"]),
    ("He", &["he3", "he4"]),
    ("Li", &["li7", "be7", "b8"]),
    ("C", &["c12", "c13", "n13"]),
    ("N", &["n14", "n15", "c14", "o14", "o15"]),
    ("O", &["o16", "o17", "o18", "f17", "f18"]),
    ("F", &["ne19", "f19", "o19"]),
    ("Ne", &["ne20", "ne21", "ne22", "f20", "na21", "na22"]),
    ("Na", &["na23", "ne23", "mg23"]),
    ("Mg", &["mg24", "mg25", "mg26", "al-6", "na24", "al25"]),
    ("Al", &["mg27", "al*6", "al27", "si27"]),
    ("Si", &["al28", "si28", "si29", "si30", "p29", "p30"]),
    ("P", &["si31", "si32", "si33", "p31"]),
    ("S", &["s32", "s33", "s34", "p32", "p33", "p34"]),
    ("Cl", &["s35"]),
    ("Mn", &["fe55"]),
    ("Fe", &["fe54", "fe56", "fe57", "fe58"]),
    ("Co", &["ni59", "fe59", "co59"]),
    (
        "Ni",
        &[
            "ni58", "ni60", "ni61", "ni62", "co60", "co61", "fe60", "fe61",
        ],
    ),
];

/// One row of a Karakas table: initial mass, final mass, species, net yield.
struct Row {
    imass: f64,
    fmass: f64,
    species: String,
    net_yield: f64,
}

/// Loads the four tables.
pub fn load(data: &DataDir) -> Result<ProcessYields, GceError> {
    let mut tables = Vec::new();
    for (i, &z) in METALLICITIES.iter().enumerate() {
        let file = TextFile::read(
            data,
            &format!("chempy-input/input/yields/Karakas2010/tablea{}.dat", i + 2),
        )?;
        let mut rows = parse_rows(&file)?;
        if i == 3 {
            let keep = rows.len().saturating_sub(DROPPED_ROWS_TABLEA5);
            rows.truncate(keep);
        }
        tables.push(element_table(&file, &rows, z)?);
    }
    Ok(ProcessYields { tables })
}

fn parse_rows(file: &TextFile) -> Result<Vec<Row>, GceError> {
    let mut rows = Vec::new();
    for (n, line) in file.data_lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() != 11 {
            return Err(file.error(n, format!("{} fields, expected 11", f.len())));
        }
        // CHEMPY reads the species as a 4-byte string.
        let species: String = f[3].chars().take(4).collect();
        rows.push(Row {
            imass: parse_f64(file, n, "initial mass", f[0])?,
            fmass: parse_f64(file, n, "final mass", f[2])?,
            species,
            net_yield: parse_f64(file, n, "net yield", f[5])?,
        });
    }
    if rows.is_empty() {
        return Err(file.error(0, "no rows"));
    }
    Ok(rows)
}

/// Sums isotopes into elements and normalises by the initial mass (rows reversed).
fn element_table(file: &TextFile, rows: &[Row], z: f64) -> Result<YieldTable, GceError> {
    let mut unique: Vec<f64> = rows.iter().map(|r| r.imass).collect();
    unique.sort_by(f64::total_cmp);
    unique.dedup();
    let n = unique.len();
    let mut imass = Vec::new();
    let mut fmass = Vec::new();
    let mut net = vec![vec![0.0f64; n]; ISOTOPES.len()];
    for (e, (_, isotopes)) in ISOTOPES.iter().enumerate() {
        for (j, iso) in isotopes.iter().enumerate() {
            let sel: Vec<&Row> = rows.iter().filter(|r| r.species == *iso).collect();
            if sel.len() != n {
                return Err(file.error(
                    0,
                    format!(
                        "isotope {iso} has {} rows, expected one per mass ({n})",
                        sel.len()
                    ),
                ));
            }
            if e == 0 && j == 0 {
                imass = sel.iter().map(|r| r.imass).collect();
                fmass = sel.iter().map(|r| r.fmass).collect();
            }
            for (acc, r) in net[e].iter_mut().zip(&sel) {
                *acc += r.net_yield;
            }
        }
    }
    let mut table = YieldTable {
        metallicity: Metallicity {
            value: z,
            is_f32: false,
        },
        mass: Vec::with_capacity(n),
        mass_is_f32: false,
        mass_in_remnants: Vec::with_capacity(n),
        unprocessed: Some(Vec::with_capacity(n)),
        yields: Vec::with_capacity(n),
        elements: ISOTOPES.iter().map(|(e, _)| e.to_string()).collect(),
    };
    for m in (0..n).rev() {
        let mass = imass[m];
        let remnant = fmass[m] / mass;
        let mut total = 0.0;
        let mut row = [0.0; N_EL];
        for (e, (symbol, _)) in ISOTOPES.iter().enumerate() {
            let y = net[e][m] / mass;
            total += y;
            if let Some(t) = traced_index(symbol) {
                row[t] = y;
            }
        }
        table.mass.push(mass);
        table.mass_in_remnants.push(remnant);
        if let Some(u) = table.unprocessed.as_mut() {
            u.push(1.0 - (remnant + total));
        }
        table.yields.push(row);
    }
    Ok(table)
}
