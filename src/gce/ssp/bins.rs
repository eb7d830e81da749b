//! Yield tables prepared for the SSP integration: each progenitor mass of a table stands for
//! the IMF mass bin between the midpoints to its neighbours (bounded by the process' mass
//! range), and the metallicity tables are sorted for interpolation.
//!
//! CC-SN tables keep the masses in [8, 100] Msun sorted by decreasing mass; AGB tables keep the
//! masses in [1, 8] Msun in their stored (decreasing) order. Midpoints are numpy means, in
//! float32 for the float32 TNG masses.

use crate::gce::config::N_EL;
use crate::gce::error::GceError;
use crate::gce::imf::MassGrid;
use crate::gce::yields::{Metallicity, ProcessYields, YieldTable};

/// Largest number of progenitor masses per table.
pub const MAX_MASSES: usize = 64;

/// One yield table as the SSP uses it.
#[derive(Debug, Clone, PartialEq)]
pub struct MassBins {
    /// Table metallicity.
    pub metallicity: Metallicity,
    /// Bin edges (Msun), decreasing: `[m_max, midpoints…, m_min]`; bin b is
    /// `[edges[b+1], edges[b])`.
    pub edges: Vec<f64>,
    /// IMF grid index of each edge (first grid mass at or above it).
    pub edge_idx: Vec<usize>,
    /// Remnant fraction per bin.
    pub remnants: Vec<f64>,
    /// Unprocessed wind fraction per bin (0 when the table has none).
    pub unprocessed: Vec<f64>,
    /// Net yields per bin ([`crate::gce::config::ELEMENTS`] order).
    pub yields: Vec<[f64; N_EL]>,
}

/// All metallicity tables of a process, sorted by increasing metallicity.
#[derive(Debug, Clone, PartialEq)]
pub struct ProcessBins {
    /// The tables.
    pub tables: Vec<MassBins>,
    mets: Vec<Metallicity>,
}

impl ProcessBins {
    /// Metallicities in increasing order.
    pub fn metallicities(&self) -> &[Metallicity] {
        &self.mets
    }
}

/// Order of the masses kept in a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MassOrder {
    /// Sorted by decreasing mass (CC-SN).
    Decreasing,
    /// As stored (AGB).
    Stored,
}

/// Prepares the tables of one process for the mass range [`m_min`, `m_max`].
pub fn prepare(
    grid: &MassGrid,
    process: &ProcessYields,
    m_min: f64,
    m_max: f64,
    order: MassOrder,
    what: &str,
) -> Result<ProcessBins, GceError> {
    let mut tables = Vec::with_capacity(process.tables.len());
    for t in &process.tables {
        tables.push(prepare_table(grid, t, m_min, m_max, order, what)?);
    }
    tables.sort_by(|a, b| a.metallicity.value.total_cmp(&b.metallicity.value));
    let mets = tables.iter().map(|t| t.metallicity).collect();
    Ok(ProcessBins { tables, mets })
}

fn prepare_table(
    grid: &MassGrid,
    t: &YieldTable,
    m_min: f64,
    m_max: f64,
    order: MassOrder,
    what: &str,
) -> Result<MassBins, GceError> {
    let mut rows: Vec<usize> = (0..t.mass.len())
        .filter(|&i| t.mass[i] >= m_min && t.mass[i] <= m_max)
        .collect();
    if order == MassOrder::Decreasing {
        rows.sort_by(|&a, &b| t.mass[a].total_cmp(&t.mass[b]));
        rows.reverse();
    }
    if rows.is_empty() || rows.len() > MAX_MASSES {
        return Err(GceError::Malformed {
            path: what.into(),
            line: 0,
            reason: format!(
                "table at Z = {} has {} masses in [{m_min}, {m_max}] Msun (need 1..{MAX_MASSES})",
                t.metallicity.value,
                rows.len()
            ),
        });
    }
    let mut edges = vec![m_max];
    for w in rows.windows(2) {
        let (a, b) = (t.mass[w[0]], t.mass[w[1]]);
        edges.push(if t.mass_is_f32 {
            ((a as f32 + b as f32) / 2.0) as f64
        } else {
            (a + b) / 2.0
        });
    }
    edges.push(m_min);
    Ok(MassBins {
        metallicity: t.metallicity,
        edge_idx: edges.iter().map(|&e| grid.lower_bound(e)).collect(),
        edges,
        remnants: rows.iter().map(|&i| t.mass_in_remnants[i]).collect(),
        unprocessed: rows
            .iter()
            .map(|&i| t.unprocessed.as_ref().map_or(0.0, |u| u[i]))
            .collect(),
        yields: rows.iter().map(|&i| t.yields[i]).collect(),
    })
}
