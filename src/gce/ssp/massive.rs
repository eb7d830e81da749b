//! Core-collapse supernova feedback of an SSP (CHEMPY `SSP.sn2_feedback`).
//!
//! Stars of 8–100 Msun that die between the ages t_k and t_{k+1} (masses between
//! m(t_{k+1}) and m(t_k), the inverse lifetimes) are distributed over the yield-table mass bins
//! b: w_b = IMF mass fraction in [max(edge_{b+1}, m(t_{k+1})), min(edge_b, m(t_k))).
//! The feedback at step k+1, per Msun of SSP, is
//! E_el = Σ_b y_{b,el} w_b + Σ_b u_b w_b f_el,
//! with y the net yields, u the unprocessed wind fraction and f_el the element mass fractions
//! of the birth gas; the remnant mass is Σ_b r_b w_b.

use super::bins::{MassBins, MAX_MASSES};
use super::metallicity::Selection;
use super::ProcessBuf;
use crate::gce::config::{N_EL, SN2_MMAX, SN2_MMIN};
use crate::gce::imf::{Imf, MassGrid};

/// IMF mass fractions of the table's mass bins among the stars dying in step `ti + 1`:
/// [max(edge_{b+1}, m_{k+1}), min(edge_b, m_k)) on the grid. The `lower_bound` index is
/// monotone, so max/min of masses are max/min of indices (and an empty or reversed interval
/// has no grid point).
fn bin_weights(imf: &Imf, bins: &MassBins, inv_idx: &[usize], ti: usize, w: &mut [f64]) {
    for (b, wb) in w.iter_mut().enumerate() {
        let lower = bins.edge_idx[b + 1].max(inv_idx[ti + 1]);
        let upper = bins.edge_idx[b].min(inv_idx[ti]);
        *wb = imf.mass_fraction_idx(lower, upper);
    }
}

/// Net yields Σ_b y_b w_b and total feedback (net + Σ_b u_b w_b f) of one step, summed over
/// the bins in table order (bins with zero weight add exactly nothing and are skipped).
#[inline]
fn step_feedback(bins: &MassBins, w: &[f64], f: &[f64; N_EL]) -> ([f64; N_EL], [f64; N_EL]) {
    let mut net = [0.0f64; N_EL];
    let mut wind = [0.0f64; N_EL];
    for (b, &wb) in w.iter().enumerate() {
        if wb == 0.0 {
            continue;
        }
        let (y, uw) = (&bins.yields[b], bins.unprocessed[b] * wb);
        for e in 0..N_EL {
            net[e] += y[e] * wb;
            wind[e] += uw * f[e];
        }
    }
    let mut total = net;
    for e in 0..N_EL {
        total[e] += wind[e];
    }
    (net, total)
}

/// Fills `buf` (rows 0..m) with the CC-SN feedback of one yield table. `inverse` holds the
/// dying masses at least up to the first one below 8 Msun, `inv_idx` their IMF grid indices
/// (`lower_bound`), so that IMF mass fractions are index ranges.
#[allow(clippy::too_many_arguments)]
pub fn sn2_rows(
    imf: &Imf,
    bins: &MassBins,
    inverse: &[f64],
    inv_idx: &[usize],
    m: usize,
    fractions: &[f64; N_EL],
    buf: &mut ProcessBuf,
) {
    buf.reset(m);
    let nb = bins.remnants.len();
    let mut w = [0.0f64; MAX_MASSES];
    for ti in 0..m.saturating_sub(1) {
        if inverse[ti] < SN2_MMIN {
            break;
        }
        bin_weights(imf, bins, inv_idx, ti, &mut w[..nb]);
        let (net, total) = step_feedback(bins, &w[..nb], fractions);
        buf.total[ti + 1] = total;
        if buf.detail {
            buf.net[ti + 1] = net;
            let mut r = 0.0;
            for b in 0..nb {
                r += bins.remnants[b] * w[b];
            }
            buf.remnants[ti + 1] = r;
        }
        buf.rows_used = ti + 2;
    }
}

/// Adds the CC-SN feedback of the selected tables directly to `out` (fast path): `out += T`
/// or `out += T0 w0; out += T1 w1` (the bin weights are shared when the tables share their
/// mass bins).
#[allow(clippy::too_many_arguments)]
pub fn sn2_add(
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
            let nb = tables[s].remnants.len();
            let mut w = [0.0f64; MAX_MASSES];
            for ti in 0..m.saturating_sub(1) {
                if inverse[ti] < SN2_MMIN {
                    break;
                }
                bin_weights(imf, tables[s], inv_idx, ti, &mut w[..nb]);
                let (_, t) = step_feedback(tables[s], &w[..nb], fractions);
                for e in 0..N_EL {
                    out[ti + 1][e] += t[e] * sel.weights[s];
                }
            }
        }
        return;
    }
    let nb = tables[0].remnants.len();
    let mut w = [0.0f64; MAX_MASSES];
    for ti in 0..m.saturating_sub(1) {
        if inverse[ti] < SN2_MMIN {
            break;
        }
        bin_weights(imf, tables[0], inv_idx, ti, &mut w[..nb]);
        let o = &mut out[ti + 1];
        if sel.count == 1 {
            let (_, t) = step_feedback(tables[0], &w[..nb], fractions);
            for e in 0..N_EL {
                o[e] += t[e];
            }
        } else {
            for s in 0..2 {
                let (_, t) = step_feedback(tables[s], &w[..nb], fractions);
                for e in 0..N_EL {
                    o[e] += t[e] * sel.weights[s];
                }
            }
        }
    }
}

/// Number of CC-SN per Msun of SSP in each step (`table['sn2']`), from the full inverse.
pub fn sn2_events(grid: &MassGrid, imf: &Imf, inverse: &[f64], out: &mut [f64]) {
    for i in 0..inverse.len().saturating_sub(1) {
        let lower = max_py(inverse[i + 1], SN2_MMIN);
        let upper = min_py(inverse[i], SN2_MMAX);
        out[i + 1] += imf.number_fraction(grid, lower, upper);
        if upper < lower && inverse[i + 1] < SN2_MMIN {
            break;
        }
    }
}

/// Python's `max(a, b)`: `a` unless `b > a`.
pub fn max_py(a: f64, b: f64) -> f64 {
    if b > a {
        b
    } else {
        a
    }
}

/// Python's `min(a, b)`: `a` unless `b < a`.
pub fn min_py(a: f64, b: f64) -> f64 {
    if b < a {
        b
    } else {
        a
    }
}
