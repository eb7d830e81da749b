//! Simulation-based calibration (Talts et al. 2018): under a calibrated posterior the rank
//! of θ*ⱼ among L draws is uniform on {0, …, L} for every parameter j.
//!
//! - **KS p-value** per parameter: ranks r/L against U(0, 1), as sbi's `check_sbc`
//!   (`kstest(ranks, uniform(0, L).cdf)`; the discreteness of the ranks biases D by at most
//!   1/(L + 1));
//! - **χ² p-value** per parameter: the rank histogram against its expected counts (B − 1
//!   degrees of freedom);
//! - **rank histogram** with B bins over all L + 1 rank values and the binomial 99 % band of
//!   one bin's count; `paper` spans [min rank, max rank] and uses p = 1/(B + 1) as sbi's
//!   `sbc_rank_plot` (spec A.4.3);
//! - **ECDF difference** F̂(z) − z on a grid with the simultaneous 99 % band (Säilynoja et
//!   al. 2022, the band's pointwise level adjusted by simulating uniform ranks);
//! - **data-averaged posterior**: the first draw of every simulation against the prior,
//!   per parameter (KS of the prior CDF of those draws against U(0, 1)).

use super::dist::{binomial_cdf_table, ks_uniform, marginal_cdf, quantile_from_cdf};
use super::error::CalibError;
use super::run::Calibration;
use super::truths::stage;
use super::Convention;
use crate::rng::{derive, stream};
use rand::Rng;
use serde::{Deserialize, Serialize};

/// Settings of the SBC summary.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SbcOptions {
    /// Histogram bins; `None` = n/20 (at most 50 for the default convention).
    pub bins: Option<usize>,
    /// The histogram convention.
    pub convention: Convention,
}

/// The ECDF-difference curves and their simultaneous band.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EcdfBand {
    /// Grid z in (0, 1).
    pub z: Vec<f64>,
    /// Per parameter F̂(z) − z.
    pub diff: Vec<Vec<f64>>,
    /// The simultaneous 99 % band of F̂(z) − z.
    pub lower: Vec<f64>,
    pub upper: Vec<f64>,
}

/// The result of SBC.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SbcResult {
    /// Parameter names.
    pub names: Vec<String>,
    /// Usable simulations and draws per simulation.
    pub n: usize,
    pub samples: usize,
    /// Simulation indices of the rows of `ranks`.
    pub ids: Vec<u64>,
    /// Ranks `(n, dim)`: per simulation and parameter the number of draws below θ*.
    pub ranks: Vec<Vec<f64>>,
    /// KS and χ² p-values per parameter.
    pub ks_pvalues: Vec<f64>,
    pub chi2_pvalues: Vec<f64>,
    /// Histogram: bin edges in rank units (B + 1), counts per parameter, the 99 % band.
    pub edges: Vec<Vec<f64>>,
    pub counts: Vec<Vec<usize>>,
    pub band: (f64, f64),
    /// ECDF differences.
    pub ecdf: EcdfBand,
    /// KS p-value of the data-averaged posterior against the prior, per parameter.
    pub dap_pvalues: Vec<f64>,
    /// Simulations the posterior could not sample: (index, reason).
    pub unusable: Vec<(u64, String)>,
    /// The convention of the histogram.
    pub convention: Convention,
}

/// SBC of a calibration run.
pub fn sbc(cal: &Calibration, opts: &SbcOptions) -> Result<SbcResult, CalibError> {
    let rows: Vec<(u64, Vec<f64>, Vec<f64>)> = cal
        .usable()
        .map(|(r, s)| (r.id, s.ranks.clone(), s.first.clone()))
        .collect();
    let n = rows.len();
    if n < 2 {
        return Err(CalibError::TooFew {
            what: "SBC (simulations the posterior could sample)".into(),
            found: n,
            needed: 2,
        });
    }
    let d = cal.names.len();
    let l = cal.samples as f64;
    let col = |j: usize| -> Vec<f64> { rows.iter().map(|r| r.1[j]).collect() };
    let bins = opts.bins.unwrap_or(match opts.convention {
        Convention::Default => (n / 20).clamp(2, 50),
        Convention::Paper => (n / 20).max(1),
    });
    crate::ensure_option!(bins >= 1, "bins", bins, "must be at least 1");
    let mut res = SbcResult {
        names: cal.names.clone(),
        n,
        samples: cal.samples,
        ids: rows.iter().map(|r| r.0).collect(),
        ranks: rows.iter().map(|r| r.1.clone()).collect(),
        ks_pvalues: vec![],
        chi2_pvalues: vec![],
        edges: vec![],
        counts: vec![],
        band: band(n, bins, opts.convention),
        ecdf: ecdf_band(n, cal.seed),
        dap_pvalues: vec![],
        unusable: cal.unusable(),
        convention: opts.convention,
    };
    for j in 0..d {
        let r = col(j);
        let u: Vec<f64> = r.iter().map(|v| v / l).collect();
        res.ks_pvalues.push(ks_uniform(&u).1);
        res.chi2_pvalues
            .push(chi2_uniform_ranks(&r, cal.samples, bins));
        let (e, c) = histogram(&r, cal.samples, bins, opts.convention);
        res.edges.push(e);
        res.counts.push(c);
        res.ecdf.diff.push(ecdf_diff(&u, &res.ecdf.z));
        let m = &cal.prior.marginals()[j];
        let p: Vec<f64> = rows.iter().map(|r| marginal_cdf(m, r.2[j])).collect();
        res.dap_pvalues.push(ks_uniform(&p).1);
    }
    Ok(res)
}

/// The χ² p-value of rank counts in `bins` equal bins of the L + 1 rank values (a rank r
/// falls in bin ⌊(r + ½)·B/(L + 1)⌋), against the expected count of each bin.
pub fn chi2_uniform_ranks(ranks: &[f64], samples: usize, bins: usize) -> f64 {
    let values = (samples + 1) as f64;
    let bin = |r: f64| (((r + 0.5) * bins as f64 / values) as usize).min(bins - 1);
    let mut expected = vec![0.0; bins];
    for v in 0..=samples {
        expected[bin(v as f64)] += 1.0 / values;
    }
    let mut counts = vec![0.0; bins];
    for &r in ranks {
        counts[bin(r)] += 1.0;
    }
    let n = ranks.len() as f64;
    let used: Vec<(f64, f64)> = counts
        .iter()
        .zip(&expected)
        .filter(|(_, e)| **e > 0.0)
        .map(|(c, e)| (*c, e * n))
        .collect();
    let stat: f64 = used.iter().map(|(c, e)| (c - e) * (c - e) / e).sum();
    super::dist::chi2_sf(stat, (used.len().max(2) - 1) as f64)
}

/// Bin edges (rank units) and counts of one parameter's ranks.
fn histogram(
    ranks: &[f64],
    samples: usize,
    bins: usize,
    conv: Convention,
) -> (Vec<f64>, Vec<usize>) {
    let (lo, hi) = match conv {
        Convention::Default => (-0.5, samples as f64 + 0.5),
        Convention::Paper => {
            let lo = ranks.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = ranks.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            if hi > lo {
                (lo, hi)
            } else {
                (lo - 0.5, lo + 0.5)
            }
        }
    };
    let w = (hi - lo) / bins as f64;
    let edges: Vec<f64> = (0..=bins).map(|i| lo + i as f64 * w).collect();
    let mut counts = vec![0usize; bins];
    for &r in ranks {
        let b = (((r - lo) / w) as usize).min(bins - 1);
        counts[b] += 1;
    }
    (edges, counts)
}

/// The binomial 99 % band of one bin's count: p = 1/B (default) or 1/(B + 1) (`paper`).
fn band(n: usize, bins: usize, conv: Convention) -> (f64, f64) {
    let p = match conv {
        Convention::Default => 1.0 / bins as f64,
        Convention::Paper => 1.0 / (bins + 1) as f64,
    };
    let cdf = binomial_cdf_table(n, p);
    (
        quantile_from_cdf(&cdf, 0.005) as f64,
        quantile_from_cdf(&cdf, 0.995) as f64,
    )
}

/// F̂(z) − z at the grid points.
fn ecdf_diff(u: &[f64], z: &[f64]) -> Vec<f64> {
    let mut s = u.to_vec();
    s.sort_by(f64::total_cmp);
    z.iter()
        .map(|&zz| s.partition_point(|v| *v <= zz) as f64 / s.len() as f64 - zz)
        .collect()
}

/// Grid points of the ECDF plot and simulated uniform samples for its band.
const ECDF_GRID: usize = 100;
const BAND_SIMULATIONS: usize = 1000;

/// The simultaneous 99 % band of F̂(z) − z for n uniform values: the pointwise binomial
/// level γ is the 1 % quantile, over simulated uniform samples, of the smallest pointwise
/// two-sided tail probability along the grid.
fn ecdf_band(n: usize, seed: u64) -> EcdfBand {
    let k = ECDF_GRID.min(n.max(2));
    let z: Vec<f64> = (1..k).map(|i| i as f64 / k as f64).collect();
    let cdfs: Vec<Vec<f64>> = z.iter().map(|&p| binomial_cdf_table(n, p)).collect();
    let tail = |j: usize, c: usize| -> f64 {
        let below = cdfs[j][c];
        let above = if c == 0 { 1.0 } else { 1.0 - cdfs[j][c - 1] };
        (2.0 * below.min(above)).min(1.0)
    };
    let base = derive(seed, stage::BAND);
    let mut minima: Vec<f64> = (0..BAND_SIMULATIONS)
        .map(|s| {
            let mut rng = stream(base, s as u64);
            let mut hist = vec![0usize; k];
            for _ in 0..n {
                let u: f64 = rng.gen();
                hist[((u * k as f64) as usize).min(k - 1)] += 1;
            }
            let mut cum = 0;
            (0..z.len())
                .map(|j| {
                    cum += hist[j];
                    tail(j, cum)
                })
                .fold(1.0f64, f64::min)
        })
        .collect();
    minima.sort_by(f64::total_cmp);
    let gamma = crate::stats::quantile_sorted(&minima, 0.01).unwrap_or(0.01);
    let nf = n as f64;
    let lower = (0..z.len())
        .map(|j| quantile_from_cdf(&cdfs[j], gamma / 2.0) as f64 / nf - z[j])
        .collect();
    let upper = (0..z.len())
        .map(|j| quantile_from_cdf(&cdfs[j], 1.0 - gamma / 2.0) as f64 / nf - z[j])
        .collect();
    EcdfBand {
        z,
        diff: vec![],
        lower,
        upper,
    }
}
