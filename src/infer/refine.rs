//! Refinement of single-star posteriors by importance sampling (see [`super::importance`]):
//! the flow's draws for a star are reweighted to the exact posterior of a simulator (CHEMPY or
//! an emulator) with the star's own observational errors. The refined per-star summaries and
//! Gaussian fits then feed the usual combination, which removes the flow's approximation error
//! from the multi-star estimate (its per-star biases add up over thousands of stars).

use super::catalog::{StarSummary, SUMMARY_LEVELS};
use super::combine::{fit_star_weighted, StarFit};
use super::error::InferError;
use super::importance::{importance_weights, weighted_mean};
use super::posterior::Posterior;
use super::simulator::Simulator;
use ndarray::{s, Array2, ArrayView2};

/// A posterior and the simulator whose likelihood refines it.
pub struct Refiner<'a> {
    /// The flow that proposed the draws.
    pub posterior: &'a Posterior,
    /// The simulator of the likelihood.
    pub sim: &'a dyn Simulator,
}

/// One refined star: its weighted summary, the Gaussian fit of its weighted (α_IMF,
/// log10 N_Ia) draws, and the effective sample size of the weights.
pub struct RefinedStar {
    pub summary: StarSummary,
    pub fit: StarFit,
    pub ess: f64,
}

impl Refiner<'_> {
    /// Refines the draws `samples` `(n, 6)` of catalog row `row` (observation `x`, errors
    /// `sigma`, both of the simulator's output length, dex).
    pub fn star(
        &self,
        row: usize,
        label: Option<String>,
        x: &[f64],
        sigma: &[f64],
        samples: ArrayView2<f64>,
        acceptance: f64,
    ) -> Result<RefinedStar, InferError> {
        let xs = Array2::from_shape_fn((samples.nrows(), x.len()), |(_, j)| x[j]);
        let log_q = self.posterior.flow().log_prob(samples, xs.view())?;
        let imp = importance_weights(self.posterior.prior(), self.sim, x, sigma, samples, &log_q)?;
        let fit = fit_star_weighted(row, samples.slice(s![.., 0..2]), &imp.weights)?;
        let mut summary = weighted_summary(row, label, samples, &imp.weights, acceptance);
        summary.ess = Some(imp.ess);
        Ok(RefinedStar {
            summary,
            fit,
            ess: imp.ess,
        })
    }
}

/// Weighted mean, sd (reliability-weight corrected) and quantiles at [`SUMMARY_LEVELS`] of
/// every column of `s` `(n, D)` with normalised `weights` `(n)`.
pub fn weighted_summary(
    row: usize,
    label: Option<String>,
    s: ArrayView2<f64>,
    weights: &[f64],
    acceptance: f64,
) -> StarSummary {
    let mean = weighted_mean(s, weights);
    let sq: f64 = weights.iter().map(|w| w * w).sum();
    let sd = s
        .columns()
        .into_iter()
        .zip(&mean)
        .map(|(c, m)| {
            let v: f64 = c
                .iter()
                .zip(weights)
                .map(|(x, w)| w * (x - m).powi(2))
                .sum();
            (v / (1.0 - sq).max(f64::MIN_POSITIVE)).sqrt()
        })
        .collect();
    let quantiles = s
        .columns()
        .into_iter()
        .map(|c| weighted_quantiles(&c.to_vec(), weights, &SUMMARY_LEVELS))
        .collect();
    StarSummary {
        row,
        label,
        mean,
        sd,
        quantiles,
        acceptance,
        ess: None,
    }
}

/// Quantiles at `levels` of weighted values: the weighted empirical CDF through the points
/// (v_(k), C_k − w_(k)/2) (C_k the cumulative weight of the sorted values), interpolated
/// linearly and clamped to the extreme values. Equal weights give the Hazen quantiles.
pub fn weighted_quantiles<const L: usize>(v: &[f64], w: &[f64], levels: &[f64; L]) -> [f64; L] {
    let mut idx: Vec<usize> = (0..v.len()).filter(|&k| w[k] > 0.0).collect();
    let mut out = [f64::NAN; L];
    if idx.is_empty() {
        return out;
    }
    idx.sort_by(|&a, &b| v[a].total_cmp(&v[b]));
    let total: f64 = idx.iter().map(|&k| w[k]).sum();
    let mut cum = 0.0;
    let pos: Vec<f64> = idx
        .iter()
        .map(|&k| {
            cum += w[k];
            (cum - 0.5 * w[k]) / total
        })
        .collect();
    for (o, &p) in out.iter_mut().zip(levels) {
        let j = pos.partition_point(|&c| c < p);
        *o = if j == 0 {
            v[idx[0]]
        } else if j == idx.len() {
            v[idx[idx.len() - 1]]
        } else {
            let (c0, c1) = (pos[j - 1], pos[j]);
            let (a, b) = (v[idx[j - 1]], v[idx[j]]);
            a + (p - c0) / (c1 - c0) * (b - a)
        };
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weighted_quantiles_of_equal_and_unequal_weights() {
        let v = [3.0, 1.0, 2.0, 4.0];
        let q = weighted_quantiles(&v, &[0.25; 4], &[0.0, 0.125, 0.5, 0.875, 1.0]);
        assert_eq!(q, [1.0, 1.0, 2.5, 4.0, 4.0]);
        // all weight on two values: the other two do not count
        let q = weighted_quantiles(&v, &[0.0, 0.5, 0.0, 0.5], &[0.25, 0.5, 0.75]);
        assert_eq!(q, [1.0, 2.5, 4.0]);
        let q = weighted_quantiles(&v, &[0.0; 4], &[0.5]);
        assert!(q[0].is_nan());
    }

    #[test]
    fn weighted_summary_with_equal_weights_is_the_plain_one() {
        let s = ndarray::array![[1.0, 10.0], [2.0, 30.0], [3.0, 20.0], [6.0, 40.0]];
        let w = [0.25; 4];
        let r = weighted_summary(7, None, s.view(), &w, 0.9);
        assert_eq!(r.mean, vec![3.0, 25.0]);
        // sample sd with N − 1
        assert!((r.sd[0] - (14.0f64 / 3.0).sqrt()).abs() < 1e-12);
        assert!((r.sd[1] - (500.0f64 / 3.0).sqrt()).abs() < 1e-12);
        assert_eq!((r.row, r.acceptance), (7, 0.9));
    }
}
