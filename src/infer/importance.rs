//! Exact posterior moments by importance sampling: draws θ_k from a proposal q (normally the
//! trained flow q(θ | x)) are weighted by
//!
//! ```text
//! w_k ∝ p(θ_k) · p(x | θ_k) / q(θ_k),   p(x | θ) = Π_j N(x_j; f_j(θ), σ_j²)
//! ```
//!
//! with the simulator f (CHEMPY or an emulator) and the Gaussian observation noise σ (dex).
//! Self-normalised, the weighted mean is the mean of the exact posterior p(θ | x) up to Monte
//! Carlo error, whatever the flow's approximation error; the effective sample size
//! ESS = (Σw)²/Σw² says how far the flow is from it (ESS = n for a perfect flow). Draws
//! outside the prior support or where the simulator fails get weight 0.

use super::error::InferError;
use super::prior::Prior;
use super::simulator::Simulator;
use ndarray::ArrayView2;

/// Normalised importance weights of a set of draws.
#[derive(Debug, Clone, PartialEq)]
pub struct Importance {
    /// Weights, summing to 1, one per draw.
    pub weights: Vec<f64>,
    /// Effective sample size (Σw)²/Σw², between 1 and the number of draws.
    pub ess: f64,
}

/// Weights of `samples` `(n, 6)` drawn from a proposal with log-density `log_q` `(n)` for the
/// exact posterior given the observation `x` (length = simulator outputs) with noise `sigma`
/// (same length, dex). An error when no draw has a positive weight.
pub fn importance_weights(
    prior: &Prior,
    sim: &dyn Simulator,
    x: &[f64],
    sigma: &[f64],
    samples: ArrayView2<f64>,
    log_q: &[f64],
) -> Result<Importance, InferError> {
    let n_obs = sim.output_names().len();
    if x.len() != n_obs || sigma.len() != n_obs || samples.ncols() != 6 {
        return Err(InferError::Shape {
            what: "importance sampling inputs".into(),
            expected: format!("x and sigma of length {n_obs}, samples (n, 6)"),
            found: format!(
                "x {}, sigma {}, samples {:?}",
                x.len(),
                sigma.len(),
                samples.dim()
            ),
        });
    }
    if log_q.len() != samples.nrows() {
        return Err(InferError::Shape {
            what: "proposal log-densities".into(),
            expected: samples.nrows().to_string(),
            found: log_q.len().to_string(),
        });
    }
    let (pred, ok) = sim.simulate(samples)?;
    let log_w: Vec<f64> = (0..samples.nrows())
        .map(|k| {
            let row = samples.row(k);
            let theta: [f64; 6] = std::array::from_fn(|j| row[j]);
            if !ok[k] || !prior.in_support(&theta) || !log_q[k].is_finite() {
                return f64::NEG_INFINITY;
            }
            let log_lik: f64 = (0..n_obs)
                .map(|j| -0.5 * ((pred[[k, j]] - x[j]) / sigma[j]).powi(2))
                .sum();
            let lw = prior.log_prob(&theta) + log_lik - log_q[k];
            if lw.is_nan() {
                f64::NEG_INFINITY
            } else {
                lw
            }
        })
        .collect();
    normalise(&log_w)
}

/// Self-normalised weights from log-weights (−∞ = weight 0).
fn normalise(log_w: &[f64]) -> Result<Importance, InferError> {
    let max = log_w.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !max.is_finite() {
        return Err(InferError::option(
            "importance weights",
            format!("{} draws", log_w.len()),
            "no draw has a positive weight (all outside the prior support, failed simulations, or non-finite likelihoods)",
        ));
    }
    let w: Vec<f64> = log_w.iter().map(|l| (l - max).exp()).collect();
    let sum: f64 = w.iter().sum();
    let sq: f64 = w.iter().map(|v| v * v).sum();
    Ok(Importance {
        weights: w.iter().map(|v| v / sum).collect(),
        ess: sum * sum / sq,
    })
}

/// The weighted mean of every column of `samples` `(n, d)` with normalised `weights` `(n)`.
pub fn weighted_mean(samples: ArrayView2<f64>, weights: &[f64]) -> Vec<f64> {
    (0..samples.ncols())
        .map(|j| {
            samples
                .column(j)
                .iter()
                .zip(weights)
                .map(|(v, w)| v * w)
                .sum()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_normalise_and_count_effective_draws() {
        let w = normalise(&[0.0, 0.0, f64::NEG_INFINITY, 0.0]).unwrap();
        assert_eq!(w.weights, vec![1.0 / 3.0, 1.0 / 3.0, 0.0, 1.0 / 3.0]);
        assert!((w.ess - 3.0).abs() < 1e-12);
        let w = normalise(&[0.0, (0.5f64).ln()]).unwrap();
        assert!((w.weights[0] - 2.0 / 3.0).abs() < 1e-12);
        assert!((w.ess - 1.8).abs() < 1e-12);
        let err = normalise(&[f64::NEG_INFINITY; 3]).unwrap_err().to_string();
        assert!(err.contains("no draw has a positive weight"), "{err}");
    }

    #[test]
    fn weighted_mean_of_columns() {
        let s = ndarray::array![[1.0, 10.0], [3.0, 30.0]];
        assert_eq!(weighted_mean(s.view(), &[0.25, 0.75]), vec![2.5, 25.0]);
    }
}
