//! Accuracy of an emulator against reference simulator outputs (paper §2.2, spec C.3).
//!
//! For every element of every usable row: the absolute percentage error
//! APE = 100·|y − ŷ|/|y| (%) and the absolute error |y − ŷ| (dex). Summaries (median,
//! quartiles, mean) are given over all elements together and per output; the cumulative
//! distribution of the APE on a fixed grid reproduces the paper's Fig. 2. The paper's APE
//! also included the H column, which galchem's outputs do not have.

use crate::stats::quantile_sorted;
use ndarray::ArrayView2;
use serde::{Deserialize, Serialize};

/// Upper end of the APE grid of the cumulative distributions (%), as the paper's Fig. 2.
pub const CDF_MAX_APE: f64 = 30.0;
/// Number of points of that grid (steps of 0.1 %).
pub const CDF_POINTS: usize = 301;

/// Summary of the errors of one set of values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorStats {
    /// Number of values (APE excludes values with y = 0).
    pub n: usize,
    /// APE quartiles and mean (%).
    pub ape_p25: f64,
    pub ape_median: f64,
    pub ape_p75: f64,
    pub ape_mean: f64,
    /// Absolute-error quartiles and mean (dex).
    pub dex_p25: f64,
    pub dex_median: f64,
    pub dex_p75: f64,
    pub dex_mean: f64,
    /// Mean squared error (dex²).
    pub mse: f64,
    /// Fraction of values with APE ≤ the grid values [`EmulatorReport::cdf_grid`].
    pub ape_cdf: Vec<f64>,
}

/// Accuracy of an emulator on a test set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmulatorReport {
    /// Rows given.
    pub n_rows: usize,
    /// Rows left out because θ or y holds a non-finite value.
    pub n_excluded: usize,
    /// Elements left out of the APE because y = 0 exactly.
    pub n_zero_targets: usize,
    /// Output names, in column order.
    pub outputs: Vec<String>,
    /// All outputs together.
    pub overall: ErrorStats,
    /// One entry per output, in column order.
    pub per_output: Vec<ErrorStats>,
    /// log10(1 + median APE/100): the paper's "APE in dex" (`ape_NN_log.txt`).
    pub ape_median_dex: f64,
    /// APE grid of the cumulative distributions: 0, 0.1, …, 30 %.
    pub cdf_grid: Vec<f64>,
}

/// The APE grid 0..=30 % in steps of 0.1 %.
pub fn cdf_grid() -> Vec<f64> {
    (0..CDF_POINTS)
        .map(|i| CDF_MAX_APE * i as f64 / (CDF_POINTS - 1) as f64)
        .collect()
}

fn stats(mut ape: Vec<f64>, mut dex: Vec<f64>, sq_sum: f64, grid: &[f64]) -> ErrorStats {
    ape.sort_by(f64::total_cmp);
    dex.sort_by(f64::total_cmp);
    let q = |v: &[f64], p: f64| quantile_sorted(v, p).unwrap_or(f64::NAN);
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let mut cdf = Vec::with_capacity(grid.len());
    let mut k = 0;
    for &g in grid {
        while k < ape.len() && ape[k] <= g {
            k += 1;
        }
        cdf.push(k as f64 / ape.len().max(1) as f64);
    }
    ErrorStats {
        n: dex.len(),
        ape_p25: q(&ape, 0.25),
        ape_median: q(&ape, 0.5),
        ape_p75: q(&ape, 0.75),
        ape_mean: mean(&ape),
        dex_p25: q(&dex, 0.25),
        dex_median: q(&dex, 0.5),
        dex_p75: q(&dex, 0.75),
        dex_mean: mean(&dex),
        mse: sq_sum / dex.len() as f64,
        ape_cdf: cdf,
    }
}

impl EmulatorReport {
    /// Errors of predictions `pred` against references `truth`, both `(n, d)`, for the rows
    /// where `usable[r]`; `n_excluded` rows were dropped before.
    pub(crate) fn compute(
        pred: ArrayView2<f64>,
        truth: ArrayView2<f64>,
        outputs: Vec<String>,
        n_excluded: usize,
    ) -> Self {
        let d = truth.ncols();
        let grid = cdf_grid();
        let mut ape: Vec<Vec<f64>> = vec![Vec::with_capacity(truth.nrows()); d];
        let mut dex: Vec<Vec<f64>> = vec![Vec::with_capacity(truth.nrows()); d];
        let mut sq = vec![0.0; d];
        let mut n_zero = 0;
        for (p, t) in pred.rows().into_iter().zip(truth.rows()) {
            for j in 0..d {
                let e = (t[j] - p[j]).abs();
                dex[j].push(e);
                sq[j] += e * e;
                if t[j] == 0.0 {
                    n_zero += 1;
                } else {
                    ape[j].push(100.0 * e / t[j].abs());
                }
            }
        }
        let overall = stats(ape.concat(), dex.concat(), sq.iter().sum(), &grid);
        let per_output = ape
            .into_iter()
            .zip(dex)
            .zip(&sq)
            .map(|((a, e), &s)| stats(a, e, s, &grid))
            .collect();
        Self {
            n_rows: truth.nrows() + n_excluded,
            n_excluded,
            n_zero_targets: n_zero,
            outputs,
            ape_median_dex: (1.0 + overall.ape_median / 100.0).log10(),
            overall,
            per_output,
            cdf_grid: grid,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn closed_form_errors() {
        // errors 0.25, 0.5, 2, 8 dex on |y| = 1, 2, 4, 8: APE 25, 25, 50, 100 %
        let truth = array![[1.0, -2.0], [4.0, 8.0]];
        let pred = array![[1.25, -1.5], [2.0, 0.0]];
        let r = EmulatorReport::compute(pred.view(), truth.view(), vec!["a".into(), "b".into()], 1);
        assert_eq!((r.n_rows, r.n_excluded, r.n_zero_targets), (3, 1, 0));
        let o = &r.overall;
        assert_eq!(o.n, 4);
        assert_eq!(o.ape_median, 37.5);
        assert_eq!(o.ape_p25, 25.0);
        assert_eq!(o.ape_p75, 62.5);
        assert_eq!(o.ape_mean, 50.0);
        assert_eq!(o.dex_median, 1.25);
        assert_eq!(o.mse, (0.0625 + 0.25 + 4.0 + 64.0) / 4.0);
        assert!((r.ape_median_dex - 1.375f64.log10()).abs() < 1e-15);
        // CDF on the 0.1 % grid: both 25 % values count from 25 % on
        assert_eq!(r.cdf_grid.len(), CDF_POINTS);
        assert_eq!(r.cdf_grid[250], 25.0);
        assert_eq!(o.ape_cdf[249], 0.0);
        assert_eq!(o.ape_cdf[250], 0.5);
        assert_eq!(*o.ape_cdf.last().unwrap(), 0.5);
        // per output: a has APE 25 and 50, b has 25 and 100
        assert_eq!(r.per_output[0].ape_median, 37.5);
        assert_eq!(r.per_output[1].ape_median, 62.5);
        assert_eq!(r.per_output[1].dex_mean, 4.25);
        // a zero target is left out of the APE but not of the dex errors
        let r = EmulatorReport::compute(
            pred.view(),
            array![[0.0, -2.0], [4.0, 8.0]].view(),
            vec!["a".into(), "b".into()],
            0,
        );
        assert_eq!((r.n_zero_targets, r.per_output[0].n), (1, 2));
        assert_eq!(r.per_output[0].ape_median, 50.0);
    }
}
