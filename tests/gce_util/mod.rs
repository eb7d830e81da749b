//! Shared helpers of the gce integration tests: the data directory and the reference files
//! (copies of the original CHEMPY's reference runs in `tests/data/reference/`).
#![allow(dead_code)]

use galchem::data::DataDir;
use galchem::gce::{Chempy, Params, YieldSet};
use std::path::PathBuf;
use std::sync::OnceLock;

pub fn data() -> DataDir {
    DataDir::resolve(None).expect("data directory")
}

/// `tests/data/reference`: the conformance targets.
pub fn reference_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/reference")
}

pub fn reference(name: &str) -> PathBuf {
    reference_dir().join(name)
}

pub fn tng() -> &'static Chempy {
    static SIM: OnceLock<Chempy> = OnceLock::new();
    SIM.get_or_init(|| Chempy::load(&data(), YieldSet::Tng).expect("TNG tables"))
}

pub fn alt() -> &'static Chempy {
    static SIM: OnceLock<Chempy> = OnceLock::new();
    SIM.get_or_init(|| Chempy::load(&data(), YieldSet::Alternative).expect("alternative tables"))
}

/// A CSV file with `#` comments: header and rows of strings.
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    pub fn read(path: &std::path::Path) -> Table {
        let text =
            std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut lines = text
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty());
        let header = lines
            .next()
            .unwrap()
            .split(',')
            .map(|s| s.to_string())
            .collect();
        let rows = lines
            .map(|l| l.split(',').map(|s| s.to_string()).collect())
            .collect();
        Table { header, rows }
    }

    pub fn col(&self, name: &str) -> usize {
        self.header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("column {name}"))
    }

    pub fn f64(&self, row: usize, name: &str) -> f64 {
        let s = &self.rows[row][self.col(name)];
        match s.as_str() {
            "inf" => f64::INFINITY,
            "-inf" => f64::NEG_INFINITY,
            "nan" | "" => f64::NAN,
            _ => s.parse().unwrap_or_else(|_| panic!("{name}: {s}")),
        }
    }

    pub fn str(&self, row: usize, name: &str) -> &str {
        &self.rows[row][self.col(name)]
    }

    pub fn params(&self, row: usize) -> Params {
        Params {
            alpha_imf: self.f64(row, "alpha_imf"),
            log10_n_ia: self.f64(row, "log10_n_ia"),
            log10_sfe: self.f64(row, "log10_sfe"),
            log10_sfr_peak: self.f64(row, "log10_sfr_peak"),
            x_out: self.f64(row, "x_out"),
            birth_time: if self.header.iter().any(|h| h == "birth_time") {
                self.f64(row, "birth_time")
            } else {
                13.797617
            },
        }
    }
}

/// Reference column of each output abundance.
pub const REF_COLUMNS: [&str; 8] = ["C", "Fe", "He", "Mg", "N", "Ne", "O", "Si"];

/// Max relative difference |a − b| / max(|b|, floor).
pub fn rel(a: f64, b: f64, floor: f64) -> f64 {
    if a == b {
        0.0
    } else {
        (a - b).abs() / b.abs().max(floor)
    }
}
