//! AGB feedback of an SSP (CHEMPY `SSP.agb_feedback`).
//!
//! Walking down the dying masses m(t_0) > m(t_1) > … (until one falls below 1 Msun), the
//! mass interval (m(t_i), m(t_{i−1})] of step i is cut at the yield-table bin edges below 8 Msun
//! ("gaps"); each gap with a table mass index j ≥ 0 gets the IMF mass fraction w of
//! [gap_low, gap_high). The feedback at step i is, gap by gap,
//! E_el = Σ_gaps y_{j,el} w  +  Σ_gaps u_j w f_el
//! (net yields first, then the unprocessed wind with the birth composition f).

use super::bins::{MassBins, MAX_MASSES};
use super::metallicity::Selection;
use super::ProcessBuf;
use crate::gce::config::{AGB_MMAX, AGB_MMIN, N_EL};
use crate::gce::imf::{Imf, MassGrid};

/// Walks the steps of an SSP (until the dying mass falls below 1 Msun) and the mass gaps of
/// each step: calls `visit(step, table mass indices, IMF mass fractions)` for every step.
fn for_each_row(
    imf: &Imf,
    bins: &MassBins,
    inverse: &[f64],
    inv_idx: &[usize],
    m: usize,
    mut visit: impl FnMut(usize, &[usize], &[f64]),
) {
    let edges = &bins.edges;
    let mut j = 0usize;
    // grid index of the previous dying mass (CHEMPY starts from mass 0)
    let mut last = 0usize;
    let mut gap_idx = [0usize; MAX_MASSES + 2];
    let mut gap_w = [0.0f64; MAX_MASSES + 2];
    for (i, &item) in inverse.iter().enumerate().take(m) {
        if item < AGB_MMIN {
            break;
        }
        let mut count = 0;
        let mut upper = last;
        let mut idx = j as isize - 1;
        loop {
            let crossing = j < edges.len() && edges[j] > item;
            let lower = if crossing {
                bins.edge_idx[j]
            } else {
                inv_idx[i]
            };
            if idx >= 0 {
                gap_idx[count] = idx as usize;
                gap_w[count] = imf.mass_fraction_idx(lower, upper);
                count += 1;
            }
            if !crossing {
                break;
            }
            upper = bins.edge_idx[j];
            j += 1;
            idx = j as isize - 1;
        }
        last = inv_idx[i];
        visit(i, &gap_idx[..count], &gap_w[..count]);
    }
}

/// Fills `buf` (rows 0..m) with the AGB feedback of one yield table. `inverse` holds the dying
/// masses up to the first one below 1 Msun (or all of them), `inv_idx` their IMF grid indices.
#[allow(clippy::too_many_arguments)]
pub fn agb_rows(
    imf: &Imf,
    bins: &MassBins,
    inverse: &[f64],
    inv_idx: &[usize],
    m: usize,
    fractions: &[f64; N_EL],
    buf: &mut ProcessBuf,
) {
    buf.reset(m);
    for_each_row(imf, bins, inverse, inv_idx, m, |i, idx, w| {
        write_row(bins, idx, w, fractions, i, buf)
    });
}

/// Adds the AGB feedback of the selected tables directly to `out` (fast path):
/// `out += T`, or `out += T0 w0; out += T1 w1` (row by row when both tables share their mass
/// bins, table by table otherwise — the same additions per element).
#[allow(clippy::too_many_arguments)]
pub fn agb_add(
    imf: &Imf,
    tables: [&MassBins; 2],
    sel: &Selection,
    inverse: &[f64],
    inv_idx: &[usize],
    m: usize,
    fractions: &[f64; N_EL],
    out: &mut [[f64; N_EL]],
) {
    if sel.count == 2 && tables[0].edges != tables[1].edges {
        for s in 0..2 {
            let ws = sel.weights[s];
            for_each_row(imf, tables[s], inverse, inv_idx, m, |i, idx, w| {
                let t = row_value(tables[s], idx, w, fractions);
                for e in 0..N_EL {
                    out[i][e] += t[e] * ws;
                }
            });
        }
        return;
    }
    for_each_row(imf, tables[0], inverse, inv_idx, m, |i, idx, w| {
        let o = &mut out[i];
        if sel.count == 1 {
            let t = row_value(tables[0], idx, w, fractions);
            for e in 0..N_EL {
                o[e] += t[e];
            }
        } else {
            for s in 0..2 {
                let t = row_value(tables[s], idx, w, fractions);
                let ws = sel.weights[s];
                for e in 0..N_EL {
                    o[e] += t[e] * ws;
                }
            }
        }
    });
}

/// Feedback of one step: net yields gap by gap, then the unprocessed winds gap by gap
/// (CHEMPY's order of additions, starting from 0).
#[inline]
fn row_value(bins: &MassBins, idx: &[usize], w: &[f64], fractions: &[f64; N_EL]) -> [f64; N_EL] {
    let mut row = [0.0f64; N_EL];
    if idx.len() == 1 {
        let (j, wt) = (idx[0], w[0]);
        let (y, uw) = (&bins.yields[j], bins.unprocessed[j] * wt);
        for e in 0..N_EL {
            row[e] = y[e] * wt + uw * fractions[e];
        }
        return row;
    }
    for e in 0..N_EL {
        let mut acc = 0.0;
        for (&j, &wt) in idx.iter().zip(w) {
            acc += bins.yields[j][e] * wt;
        }
        row[e] = acc;
    }
    for (&j, &wt) in idx.iter().zip(w) {
        let uw = bins.unprocessed[j] * wt;
        for e in 0..N_EL {
            row[e] += uw * fractions[e];
        }
    }
    row
}

fn write_row(
    bins: &MassBins,
    idx: &[usize],
    w: &[f64],
    fractions: &[f64; N_EL],
    i: usize,
    buf: &mut ProcessBuf,
) {
    buf.total[i] = row_value(bins, idx, w, fractions);
    if buf.detail {
        let mut net = [0.0f64; N_EL];
        let mut r = 0.0;
        for (&j, &wt) in idx.iter().zip(w) {
            for e in 0..N_EL {
                net[e] += bins.yields[j][e] * wt;
            }
            r += bins.remnants[j] * wt;
        }
        buf.net[i] = net;
        buf.remnants[i] = r;
    }
    buf.rows_used = buf.rows_used.max(i + 1);
}

/// Number of AGB stars (planetary nebulae) per Msun of SSP in each step (`table['pn']`).
pub fn pn_events(grid: &MassGrid, imf: &Imf, inverse: &[f64], out: &mut [f64]) {
    let mut first = true;
    for (i, &item) in inverse.iter().enumerate() {
        if item > AGB_MMAX {
            continue;
        }
        if first {
            out[i] += imf.number_fraction(grid, inverse[i], AGB_MMAX);
            first = false;
            continue;
        }
        if item < AGB_MMIN {
            out[i] += imf.number_fraction(grid, AGB_MMIN, inverse[i - 1]);
            break;
        }
        out[i] += imf.number_fraction(grid, inverse[i], inverse[i - 1]);
    }
}
