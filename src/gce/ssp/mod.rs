//! Feedback of a simple stellar population (SSP) of unit mass born with metallicity Z and
//! birth-gas composition f (CHEMPY `weighted_yield.SSP` via `wrapper.SSP_wrap`): for each
//! time step since its birth, the mass of every traced element returned to the gas (net yields
//! plus unprocessed winds), the remnant mass and the numbers of events, from CC-SN
//! ([`massive`]), AGB stars ([`agb`]), SN Ia ([`sn1a`]) and black holes (the configured range
//! [100, 100) Msun is empty, so they contribute nothing).
//!
//! The yield tables of two metallicities are interpolated ([`metallicity`]); per process the
//! table contributions are added to the SSP table in the order CC-SN, AGB, SN Ia.

pub mod agb;
pub mod bins;
pub mod massive;
pub mod metallicity;
pub mod sn1a;
mod table;

pub use table::{ProcessTable, SspTable};

use self::bins::{prepare, MassOrder, ProcessBins};
use self::metallicity::{select, Selection};
use self::sn1a::{remnant_ratio, DelayTimes};
use super::config::{AGB_MMAX, AGB_MMIN, H, N_EL, SN2_MMAX, SN2_MMIN};
use super::error::GceError;
use super::imf::{Imf, MassGrid};
use super::lifetimes::{DyingMass, InverseScratch, Portinari};
use super::yields::{Metallicity, YieldTables};

/// Zero metallicities are replaced by this value before taking logarithms (CC-SN, AGB).
const ZERO_Z_CC_AGB: f64 = 1e-10;
/// Zero metallicities are replaced by this value before taking logarithms (SN Ia).
const ZERO_Z_SN1A: f64 = 1e-9;

/// SN Ia yields as the SSP uses them.
#[derive(Debug, Clone, PartialEq)]
pub struct Sn1aYields {
    /// Table metallicities (increasing).
    pub metallicities: Vec<Metallicity>,
    /// Element yields per SN Ia mass, per table.
    pub yields: Vec<[f64; N_EL]>,
    /// Mass returned per SN Ia (Msun): minus the remnant entry of the Z = 0.02 table.
    pub mass: f64,
}

/// The yield tables of a yield set prepared for SSP integration.
#[derive(Debug, Clone, PartialEq)]
pub struct SspYields {
    /// CC-SN tables (8–100 Msun).
    pub sn2: ProcessBins,
    /// AGB tables (1–8 Msun).
    pub agb: ProcessBins,
    /// SN Ia tables.
    pub sn1a: Sn1aYields,
}

impl SspYields {
    /// Prepares loaded tables for the IMF grid `grid`.
    pub fn prepare(grid: &MassGrid, t: &YieldTables) -> Result<Self, GceError> {
        let sn2 = prepare(
            grid,
            &t.sn2,
            SN2_MMIN,
            SN2_MMAX,
            MassOrder::Decreasing,
            "CC-SN yields",
        )?;
        let agb = prepare(
            grid,
            &t.agb,
            AGB_MMIN,
            AGB_MMAX,
            MassOrder::Stored,
            "AGB yields",
        )?;
        let mut tables: Vec<_> = t.sn1a.tables.iter().collect();
        tables.sort_by(|a, b| a.metallicity.value.total_cmp(&b.metallicity.value));
        let z02 = tables
            .iter()
            .find(|t| t.metallicity.value == 0.02)
            .ok_or_else(|| GceError::Malformed {
                path: "SN Ia yields".into(),
                line: 0,
                reason: "CHEMPY needs a SN Ia table at Z = 0.02".into(),
            })?;
        let sn1a = Sn1aYields {
            metallicities: tables.iter().map(|t| t.metallicity).collect(),
            yields: tables.iter().map(|t| t.yields[0]).collect(),
            mass: -z02.mass_in_remnants[0],
        };
        Ok(Self { sn2, agb, sn1a })
    }
}

/// Everything an SSP needs besides its own inputs.
pub struct SspContext<'a> {
    /// IMF mass grid.
    pub grid: &'a MassGrid,
    /// IMF of the run.
    pub imf: &'a Imf,
    /// Stellar lifetimes.
    pub law: &'a Portinari,
    /// Prepared yields.
    pub yields: &'a SspYields,
    /// SN Ia per Msun formed, N_0.
    pub n_ia: f64,
    /// Evaluate lifetimes with `exp` instead of numpy's `pow` (agrees to ~1e-15).
    pub fast: bool,
}

/// Feedback rows of one process and metallicity table.
#[derive(Debug, Clone, Default)]
pub struct ProcessBuf {
    /// Element masses returned per step (net yields + unprocessed winds).
    pub total: Vec<[f64; N_EL]>,
    /// Net yields only (detail mode).
    pub net: Vec<[f64; N_EL]>,
    /// Remnant masses per step (detail mode).
    pub remnants: Vec<f64>,
    /// Whether `net` and `remnants` are filled.
    pub detail: bool,
    /// Rows 0..rows_used may be non-zero.
    pub rows_used: usize,
}

impl ProcessBuf {
    /// Zeroes `m` rows.
    pub fn reset(&mut self, m: usize) {
        self.total.clear();
        self.total.resize(m, [0.0; N_EL]);
        if self.detail {
            self.net.clear();
            self.net.resize(m, [0.0; N_EL]);
            self.remnants.clear();
            self.remnants.resize(m, 0.0);
        }
        self.rows_used = 0;
    }
}

/// Reusable buffers of the SSP computation.
#[derive(Debug, Clone, Default)]
pub struct SspWork {
    /// Dying mass per step.
    pub inverse: Vec<f64>,
    /// IMF grid index (`lower_bound`) of each dying mass.
    pub inv_idx: Vec<usize>,
    scratch: InverseScratch,
}

/// Element feedback (Msun per Msun of SSP, rows = steps since birth) of an SSP with
/// metallicity `z` and birth composition `fractions`, on the first `m` points of `time`
/// (`log10_time` = their log10). Writes `out[..m]`.
#[allow(clippy::too_many_arguments)]
pub fn element_feedback(
    ctx: &SspContext,
    z: f64,
    fractions: &[f64; N_EL],
    time: &[f64],
    log10_time: &[f64],
    m: usize,
    dtd: &mut DelayTimes,
    work: &mut SspWork,
    out: &mut [[f64; N_EL]],
) {
    dying_masses(ctx, z, time, log10_time, m, false, work);
    let out = &mut out[..m];
    out.fill([0.0; N_EL]);
    let y = ctx.yields;
    let sel = select(y.sn2.metallicities(), z, ZERO_Z_CC_AGB);
    let tables = [&y.sn2.tables[sel.tables[0]], &y.sn2.tables[sel.tables[1]]];
    let (inv, idx) = (&work.inverse, &work.inv_idx);
    massive::sn2_add(ctx.imf, tables, &sel, inv, idx, m, fractions, out);
    let sel = select(y.agb.metallicities(), z, ZERO_Z_CC_AGB);
    let tables = [&y.agb.tables[sel.tables[0]], &y.agb.tables[sel.tables[1]]];
    let (inv, idx) = (&work.inverse, &work.inv_idx);
    agb::agb_add(ctx.imf, tables, &sel, inv, idx, m, fractions, out);
    let norm = dtd.normalisation(time, m);
    let sel = select(&y.sn1a.metallicities, z, ZERO_Z_SN1A);
    let ratio = remnant_ratio(y.sn1a.mass);
    for (k, row) in out.iter_mut().enumerate() {
        let number = dtd.rate(k) / norm * ctx.n_ia;
        let fm = number * y.sn1a.mass;
        row[H] -= fm * (1.0 - ratio);
        add_sn1a_yields(row, fm, &y.sn1a, &sel);
    }
}

/// Adds `fm · y` of the selected SN Ia tables to `row`.
fn add_sn1a_yields(row: &mut [f64; N_EL], fm: f64, t: &Sn1aYields, sel: &Selection) {
    if sel.count == 1 {
        let y = &t.yields[sel.tables[0]];
        for e in 0..N_EL {
            row[e] += fm * y[e];
        }
    } else {
        for s in 0..2 {
            let y = &t.yields[sel.tables[s]];
            for e in 0..N_EL {
                row[e] += (fm * y[e]) * sel.weights[s];
            }
        }
    }
}

/// Fills `work.inverse` with the dying mass at each of the first `m` times (and
/// `work.inv_idx` with their IMF grid indices); stops after the first mass below 1 Msun
/// unless `all`.
fn dying_masses(
    ctx: &SspContext,
    z: f64,
    time: &[f64],
    log10_time: &[f64],
    m: usize,
    all: bool,
    work: &mut SspWork,
) {
    let dm = DyingMass::new(ctx.grid, ctx.law, z, ctx.fast);
    work.inv_idx.clear();
    if ctx.fast {
        dm.batch(
            &time[..m],
            &log10_time[..m],
            &mut work.scratch,
            &mut work.inverse,
        );
        for (k, &v) in work.inverse.iter().enumerate() {
            work.inv_idx.push(ctx.grid.lower_bound(v));
            if !all && v < AGB_MMIN {
                work.inverse.truncate(k + 1);
                break;
            }
        }
        return;
    }
    work.inverse.clear();
    for k in 0..m {
        let v = dm.at(time[k], log10_time[k]);
        work.inverse.push(v);
        work.inv_idx.push(ctx.grid.lower_bound(v));
        if !all && v < AGB_MMIN {
            break;
        }
    }
}

/// `out += T` (one table) or `out += T0 w0; out += T1 w1` (two tables), CHEMPY's order.
fn combine<F>(out: &mut [[f64; N_EL]], bufs: &[ProcessBuf; 2], sel: &Selection, field: F)
where
    F: Fn(&ProcessBuf) -> &Vec<[f64; N_EL]>,
{
    if sel.count == 1 {
        let src = field(&bufs[0]);
        for (o, r) in out.iter_mut().zip(src).take(bufs[0].rows_used) {
            for e in 0..N_EL {
                o[e] += r[e];
            }
        }
        return;
    }
    for s in 0..2 {
        let (src, w) = (field(&bufs[s]), sel.weights[s]);
        for (o, r) in out.iter_mut().zip(src).take(bufs[s].rows_used) {
            for e in 0..N_EL {
                o[e] += r[e] * w;
            }
        }
    }
}

/// `out += r` or the weighted sum, for a scalar column.
fn combine_scalar(out: &mut [f64], bufs: &[ProcessBuf; 2], sel: &Selection) {
    for s in 0..sel.count {
        let w = sel.weights[s];
        for (o, r) in out.iter_mut().zip(&bufs[s].remnants) {
            if sel.count == 1 {
                *o += r;
            } else {
                *o += r * w;
            }
        }
    }
}
