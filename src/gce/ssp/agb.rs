//! AGB feedback of an SSP (CHEMPY `SSP.agb_feedback`).
//!
//! Walking down the dying masses m(t_0) > m(t_1) > … (until one falls below 1 Msun), the
//! mass interval (m(t_i), m(t_{i−1})] of step i is cut at the yield-table bin edges below 8 Msun
//! ("gaps"); each gap with a table mass index j ≥ 0 gets the IMF mass fraction w of
//! [gap_low, gap_high). The feedback at step i is, gap by gap,
//! E_el = Σ_gaps y_{j,el} w  +  Σ_gaps u_j w f_el
//! (net yields first, then the unprocessed wind with the birth composition f).

use super::bins::{MassBins, MAX_MASSES};
use super::ProcessBuf;
use crate::gce::config::{AGB_MMAX, AGB_MMIN, N_EL};
use crate::gce::imf::{Imf, MassGrid};

/// Fills `buf` (rows 0..m) with the AGB feedback of one yield table. `inverse` holds the dying
/// masses up to the first one below 1 Msun (or all of them).
pub fn agb_rows(
    grid: &MassGrid,
    imf: &Imf,
    bins: &MassBins,
    inverse: &[f64],
    m: usize,
    fractions: &[f64; N_EL],
    buf: &mut ProcessBuf,
) {
    buf.reset(m);
    let edges = &bins.edges;
    let mut j = 0usize;
    let mut last = 0.0f64;
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
            let lower = if crossing { edges[j] } else { item };
            if idx >= 0 {
                gap_idx[count] = idx as usize;
                gap_w[count] = imf.mass_fraction(grid, lower, upper);
                count += 1;
            }
            if !crossing {
                break;
            }
            upper = edges[j];
            j += 1;
            idx = j as isize - 1;
        }
        last = item;
        write_row(bins, &gap_idx[..count], &gap_w[..count], fractions, i, buf);
    }
}

fn write_row(
    bins: &MassBins,
    idx: &[usize],
    w: &[f64],
    fractions: &[f64; N_EL],
    i: usize,
    buf: &mut ProcessBuf,
) {
    let row = &mut buf.total[i];
    for e in 0..N_EL {
        for (&j, &wt) in idx.iter().zip(w) {
            row[e] += bins.yields[j][e] * wt;
        }
    }
    if buf.detail {
        buf.net[i] = *row;
        let mut r = 0.0;
        for (&j, &wt) in idx.iter().zip(w) {
            r += bins.remnants[j] * wt;
        }
        buf.remnants[i] = r;
    }
    for e in 0..N_EL {
        for (&j, &wt) in idx.iter().zip(w) {
            row[e] += (bins.unprocessed[j] * wt) * fractions[e];
        }
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
