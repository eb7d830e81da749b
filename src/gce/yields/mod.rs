//! Nucleosynthetic yield tables, loaded from the data directory exactly as CHEMPY holds them in
//! memory after its loaders ran (`yields.py`), for the two supported yield sets:
//!
//! - **TNG** ([`tng`]): IllustrisTNG tables (Pillepich et al. 2018): CC-SN `TNG_net`
//!   (Portinari et al. 1998 / Kobayashi 2006), AGB `TNG_net` (Karakas 2010, Doherty+14,
//!   Fishlock+14), SN Ia `TNG` (Thielemann et al. 2003 / Nomoto W7, via Travaglio et al. 2004).
//!   The HDF5 values are float32 and CHEMPY divides them in float32 arithmetic.
//! - **alternative**: SN Ia Thielemann et al. 2003 ([`thielemann`]), CC-SN Nomoto et al. 2013
//!   net yields ([`nomoto`]), AGB Karakas 2010 net yields ([`karakas`]).
//!
//! Every table gives, per progenitor mass, the remnant mass fraction, the unprocessed wind
//! fraction (mass returned with the birth composition) and the net yields of the traced
//! elements, all as fractions of the initial stellar mass.

pub mod karakas;
pub mod nomoto;
pub mod thielemann;
pub mod tng;

use super::config::N_EL;
use super::error::GceError;
use crate::data::DataDir;
use std::fmt;
use std::str::FromStr;

/// The yield-table combination of a simulator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum YieldSet {
    /// IllustrisTNG yields (the paper's training simulator).
    Tng,
    /// Thielemann 2003 SN Ia + Nomoto 2013 CC-SN + Karakas 2010 AGB.
    Alternative,
}

impl FromStr for YieldSet {
    type Err = GceError;
    fn from_str(s: &str) -> Result<Self, GceError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "tng" => Ok(YieldSet::Tng),
            "alternative" | "alt" => Ok(YieldSet::Alternative),
            _ => Err(GceError::UnknownYieldSet(s.to_string())),
        }
    }
}

impl fmt::Display for YieldSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            YieldSet::Tng => "tng",
            YieldSet::Alternative => "alternative",
        })
    }
}

/// A metallicity key of a yield table. TNG keys are float32 numbers; CHEMPY then takes their
/// logarithms in float32 when it interpolates between tables.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Metallicity {
    /// The metallicity (metal mass fraction), exactly as stored.
    pub value: f64,
    /// Whether the key is a float32 number.
    pub is_f32: bool,
}

/// One yield table: one process at one metallicity, rows in CHEMPY's order.
#[derive(Debug, Clone, PartialEq)]
pub struct YieldTable {
    /// Table metallicity.
    pub metallicity: Metallicity,
    /// Progenitor masses (Msun).
    pub mass: Vec<f64>,
    /// Whether the masses are float32 numbers (TNG), which makes CHEMPY's mass-bin midpoints
    /// float32 means.
    pub mass_is_f32: bool,
    /// Remnant mass as a fraction of the initial mass (negative SN Ia mass for SN Ia tables).
    pub mass_in_remnants: Vec<f64>,
    /// Mass returned unprocessed (with the birth composition) as a fraction of the initial
    /// mass; `None` for SN Ia tables.
    pub unprocessed: Option<Vec<f64>>,
    /// Net yields of the traced elements (fractions of the initial mass), per mass row, in
    /// [`super::config::ELEMENTS`] order.
    pub yields: Vec<[f64; N_EL]>,
    /// Names of all elements the table provides (for display).
    pub elements: Vec<String>,
}

/// All tables of one process, in CHEMPY's metallicity-list order.
#[derive(Debug, Clone, PartialEq)]
pub struct ProcessYields {
    /// One table per metallicity.
    pub tables: Vec<YieldTable>,
}

/// The three yield processes of a yield set.
#[derive(Debug, Clone, PartialEq)]
pub struct YieldTables {
    /// Core-collapse supernovae.
    pub sn2: ProcessYields,
    /// AGB stars.
    pub agb: ProcessYields,
    /// Type Ia supernovae.
    pub sn1a: ProcessYields,
}

impl YieldTables {
    /// Loads the tables of `set` from the data directory.
    pub fn load(data: &DataDir, set: YieldSet) -> Result<Self, GceError> {
        match set {
            YieldSet::Tng => Ok(Self {
                sn2: tng::load_sn2(data)?,
                agb: tng::load_agb(data)?,
                sn1a: tng::load_sn1a(data)?,
            }),
            YieldSet::Alternative => Ok(Self {
                sn2: nomoto::load(data)?,
                agb: karakas::load(data)?,
                sn1a: thielemann::load(data)?,
            }),
        }
    }
}

/// Maps element symbols to their index in [`super::config::ELEMENTS`].
pub fn traced_index(symbol: &str) -> Option<usize> {
    super::config::ELEMENTS.iter().position(|e| *e == symbol)
}
