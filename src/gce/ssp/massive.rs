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
use super::ProcessBuf;
use crate::gce::config::{N_EL, SN2_MMAX, SN2_MMIN};
use crate::gce::imf::{Imf, MassGrid};

/// Fills `buf` (rows 0..m) with the CC-SN feedback of one yield table. `inverse` holds the
/// dying masses at least up to the first one below 8 Msun.
pub fn sn2_rows(
    grid: &MassGrid,
    imf: &Imf,
    bins: &MassBins,
    inverse: &[f64],
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
        for b in 0..nb {
            let lower = max_py(bins.edges[b + 1], inverse[ti + 1]);
            let upper = min_py(bins.edges[b], inverse[ti]);
            w[b] = if upper < lower {
                0.0
            } else {
                imf.mass_fraction(grid, lower, upper)
            };
        }
        let row = &mut buf.total[ti + 1];
        for e in 0..N_EL {
            let mut s = 0.0;
            for b in 0..nb {
                s += bins.yields[b][e] * w[b];
            }
            row[e] = s;
        }
        if buf.detail {
            buf.net[ti + 1] = *row;
            let mut r = 0.0;
            for b in 0..nb {
                r += bins.remnants[b] * w[b];
            }
            buf.remnants[ti + 1] = r;
        }
        for e in 0..N_EL {
            let mut s = 0.0;
            for b in 0..nb {
                s += (bins.unprocessed[b] * w[b]) * fractions[e];
            }
            row[e] += s;
        }
        buf.rows_used = ti + 2;
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
