//! Tests of accuracy with random points (Lemos et al. 2023). For each simulation b and a
//! random reference point r_b, f_b is the posterior weight of the draws closer to r_b than
//! θ*_b (Euclidean distance after mapping every parameter by (θ − lo)/(hi − lo + 10⁻¹⁰)).
//! For an accurate posterior f is uniform, so the expected coverage probability
//! ECP(α) = P(f < α) lies on the diagonal.
//!
//! - default (sbi ≥ 0.26.1, maho3/tarp): references uniform in the normalised space; ECP on
//!   B equal bins of [0, 1]; ATC = Σ_{i ≥ ⌊(B+1)/2⌋} (ECP_i − α_i)·Δα (the area between the
//!   curve and the diagonal above α = ½; > 0: over-dispersed, < 0: over-confident); KS: the
//!   f values against U(0, 1);
//! - `paper` (sbi 0.23.1, spec A.4.4): references uniform in the raw box [lo, hi] but
//!   compared with normalised draws, ECP on B bins of [min f, max f], ATC the plain sum of
//!   ECP_i − α_i for i ≥ ⌊(B+1)/2⌋, KS a two-sample test of the ECP values against the α
//!   values (scipy's `kstest(ecp, alpha)`);
//! - bootstrap (maho3/tarp): resampled simulations, each with its next reference set, ECP on
//!   [0, 1]; mean and standard deviation per α.

use super::dist::{ks_two_sample, ks_uniform};
use super::error::CalibError;
use super::run::Calibration;
use super::truths::stage;
use super::Convention;
use crate::rng::{derive, stream};
use rand::Rng;
use serde::{Deserialize, Serialize};

/// Settings of the TARP summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TarpOptions {
    /// Credibility bins (30, sbi's default).
    pub bins: usize,
    /// Bootstrap resamples (at most the run's reference sets − 1; 100 by default).
    pub bootstrap: usize,
}

impl Default for TarpOptions {
    fn default() -> Self {
        TarpOptions {
            bins: 30,
            bootstrap: 100,
        }
    }
}

/// The result of TARP.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TarpResult {
    /// Credibility levels α (B + 1 bin edges).
    pub alpha: Vec<f64>,
    /// Expected coverage probability at each α.
    pub ecp: Vec<f64>,
    /// Area between the ECP curve and the diagonal above α = ½ (see the module docs).
    pub atc: f64,
    /// The KS p-value (see the module docs).
    pub ks_pvalue: f64,
    /// Bootstrap mean and standard deviation of the ECP on [0, 1] (`alpha_grid`).
    pub alpha_grid: Vec<f64>,
    pub boot_mean: Vec<f64>,
    pub boot_sd: Vec<f64>,
    /// The credibility level f of every usable simulation.
    pub f: Vec<f64>,
    /// Usable simulations.
    pub n: usize,
    /// The convention.
    pub convention: Convention,
}

/// TARP of a calibration run (its records must hold TARP levels).
pub fn tarp(cal: &Calibration, opts: &TarpOptions) -> Result<TarpResult, CalibError> {
    crate::ensure_option!(opts.bins >= 2, "bins", opts.bins, "must be at least 2");
    let sets: Vec<&Vec<f64>> = cal.usable().map(|(_, s)| &s.tarp).collect();
    if sets.iter().any(|t| t.is_empty()) {
        return Err(CalibError::option(
            "tarp",
            "none",
            "the calibration run was made without TARP reference sets",
        ));
    }
    let n = sets.len();
    if n < 2 {
        return Err(CalibError::TooFew {
            what: "TARP (usable simulations)".into(),
            found: n,
            needed: 2,
        });
    }
    let f: Vec<f64> = sets.iter().map(|t| t[0]).collect();
    let (alpha, ecp, atc, ks) = match cal.convention {
        Convention::Default => summary_default(&f, opts.bins),
        Convention::Paper => summary_paper(&f, opts.bins),
    };
    let available = sets.iter().map(|t| t.len()).min().unwrap_or(1) - 1;
    let (alpha_grid, boot_mean, boot_sd) =
        bootstrap(&sets, opts.bins, opts.bootstrap.min(available), cal.seed);
    Ok(TarpResult {
        alpha,
        ecp,
        atc,
        ks_pvalue: ks,
        alpha_grid,
        boot_mean,
        boot_sd,
        f,
        n,
        convention: cal.convention,
    })
}

/// (α, ECP, ATC, KS p-value) of credibility levels `f`, the corrected way: ECP on B bins of
/// [0, 1], ATC with the bin width, KS of f against U(0, 1).
pub fn summary_default(f: &[f64], bins: usize) -> (Vec<f64>, Vec<f64>, f64, f64) {
    let (a, e) = ecp_unit(f, bins);
    let mid = a.len() / 2;
    let atc = (mid..a.len()).map(|i| (e[i] - a[i]) / bins as f64).sum();
    (a, e, atc, ks_uniform(f).1)
}

/// (α, ECP, ATC, KS p-value) as sbi 0.23.1's `run_tarp` and `check_tarp` (spec A.4.4).
pub fn summary_paper(f: &[f64], bins: usize) -> (Vec<f64>, Vec<f64>, f64, f64) {
    let (a, e) = ecp_range(f, bins);
    let mid = a.len() / 2;
    let atc = (mid..a.len()).map(|i| e[i] - a[i]).sum();
    let ks = ks_two_sample(&e, &a).1;
    (a, e, atc, ks)
}

/// Counts of `f` in B equal bins of [lo, hi] (the last bin closed), as numpy and torch bin.
fn counts(f: &[f64], lo: f64, hi: f64, bins: usize) -> (Vec<f64>, Vec<usize>) {
    let w = (hi - lo) / bins as f64;
    let mut edges: Vec<f64> = (0..=bins).map(|i| lo + i as f64 * w).collect();
    edges[bins] = hi;
    let mut c = vec![0usize; bins];
    for &v in f {
        if v < lo || v > hi {
            continue;
        }
        // the bin whose edges hold v (edges[b] ≤ v < edges[b + 1])
        let mut b = (((v - lo) / w) as usize).min(bins - 1);
        while b > 0 && v < edges[b] {
            b -= 1;
        }
        while b + 1 < bins && v >= edges[b + 1] {
            b += 1;
        }
        c[b] += 1;
    }
    (edges, c)
}

/// ECP on B equal bins of [0, 1]: α = the edges, ECP = [0, cumulative fraction].
pub fn ecp_unit(f: &[f64], bins: usize) -> (Vec<f64>, Vec<f64>) {
    let (edges, c) = counts(f, 0.0, 1.0, bins);
    (edges, cumulative(&c, f.len()))
}

/// ECP as sbi 0.23.1: B equal bins of [min f, max f] (±½ when all f are equal).
pub fn ecp_range(f: &[f64], bins: usize) -> (Vec<f64>, Vec<f64>) {
    let lo = f.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = f.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let (lo, hi) = if hi > lo {
        (lo, hi)
    } else {
        (lo - 0.5, hi + 0.5)
    };
    let (edges, c) = counts(f, lo, hi, bins);
    let total: usize = c.iter().sum();
    (edges, cumulative(&c, total))
}

fn cumulative(c: &[usize], total: usize) -> Vec<f64> {
    let mut out = vec![0.0];
    let mut cum = 0;
    for v in c {
        cum += v;
        out.push(cum as f64 / total.max(1) as f64);
    }
    out
}

/// Bootstrap band: resample k draws simulations with replacement, simulation s with its
/// reference set k; ECP on [0, 1]. Returns (α, mean, sd).
fn bootstrap(
    sets: &[&Vec<f64>],
    bins: usize,
    resamples: usize,
    seed: u64,
) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let alpha: Vec<f64> = (0..=bins).map(|i| i as f64 / bins as f64).collect();
    if resamples < 2 {
        return (alpha, vec![], vec![]);
    }
    let n = sets.len();
    let base = derive(seed, stage::BOOTSTRAP);
    let curves: Vec<Vec<f64>> = (1..=resamples)
        .map(|k| {
            let mut rng = stream(base, k as u64);
            let f: Vec<f64> = (0..n).map(|_| sets[rng.gen_range(0..n)][k]).collect();
            ecp_unit(&f, bins).1
        })
        .collect();
    let m = resamples as f64;
    let mean: Vec<f64> = (0..=bins)
        .map(|i| curves.iter().map(|c| c[i]).sum::<f64>() / m)
        .collect();
    let sd = (0..=bins)
        .map(|i| (curves.iter().map(|c| (c[i] - mean[i]).powi(2)).sum::<f64>() / (m - 1.0)).sqrt())
        .collect();
    (alpha, mean, sd)
}
