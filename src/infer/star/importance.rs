//! Exact posterior draws by importance sampling: draws θ_k from a proposal q (normally the
//! trained flow q(θ | x)) are weighted by
//!
//! ```text
//! w_k ∝ p(θ_k) · p(x | θ_k) / q(θ_k),   p(x | θ) = Π_j N(x_j; f_j(θ), σ_j²)
//! ```
//!
//! with the simulator f (CHEMPY or an emulator) and the Gaussian observation noise σ (dex)
//! (with a model error, N becomes the HalfCauchy scale mixture of `NoiseModel::log_likelihood`).
//! Self-normalised, the weighted draws give the moments of the exact posterior p(θ | x) up
//! to Monte Carlo error, whatever the flow's approximation error; their effective sample
//! size (Σw)²/Σw² says how far the flow is from it (n for a perfect flow). Draws outside
//! the prior support or where the simulator fails get weight 0.

use crate::error::ErrorKind;
use crate::error::Vocabulary;
use crate::infer::error::InferError;
use crate::model::noise::log_likelihood;
use crate::model::{ModelError, Prior, Simulator};
use crate::stats::Draws;
use ndarray::ArrayView2;

/// The draws `samples` `(n, dim)` of a proposal with log-densities `log_q` `(n)`, weighted
/// to the exact posterior given the observation `x` (one value per simulator output) with
/// noise `sigma` (same length, dex) and, with `model_error` = Some(scale), the HalfCauchy
/// model error of `NoiseModel` marginalised per element. An error when no draw has a
/// positive weight.
pub fn importance_weights(
    prior: &Prior,
    sim: &dyn Simulator,
    x: &[f64],
    sigma: &[f64],
    model_error: Option<f64>,
    samples: ArrayView2<f64>,
    log_q: &[f64],
) -> Result<Draws, InferError> {
    let n_obs = sim.output_names().len();
    if x.len() != n_obs || sigma.len() != n_obs || samples.ncols() != prior.dim() {
        return Err(InferError::shape(
            "importance sampling inputs",
            format!(
                "x and sigma of length {n_obs}, samples (n, {})",
                prior.dim()
            ),
            format!(
                "x {}, sigma {}, samples {:?}",
                x.len(),
                sigma.len(),
                samples.dim()
            ),
        ));
    }
    if log_q.len() != samples.nrows() {
        return Err(InferError::shape(
            "proposal log-densities",
            samples.nrows(),
            log_q.len(),
        ));
    }
    let runs = sim.simulate(samples)?;
    let log_w: Vec<f64> = (0..samples.nrows())
        .map(|k| {
            let row = samples.row(k);
            let theta = row.to_vec();
            if !runs.ok(k) || !prior.in_support(&theta) || !log_q[k].is_finite() {
                return f64::NEG_INFINITY;
            }
            let log_lik: f64 = (0..n_obs)
                .map(|j| log_likelihood(runs.x[[k, j]] - x[j], sigma[j], model_error))
                .sum();
            let lw = prior.log_prob(&theta) + log_lik - log_q[k];
            if lw.is_nan() {
                f64::NEG_INFINITY
            } else {
                lw
            }
        })
        .collect();
    let (weights, log_mean) = normalise(&log_w)?;
    // log p(x) = log mean_k w_k, with the −½ log 2π of every Gaussian factor
    let log_evidence = log_mean - 0.5 * n_obs as f64 * (2.0 * std::f64::consts::PI).ln();
    Ok(Draws::weighted(samples.to_owned(), weights)?.with_log_evidence(log_evidence))
}

/// Self-normalised weights from log-weights (−∞ = weight 0), and the log of the mean
/// unnormalised weight.
fn normalise(log_w: &[f64]) -> Result<(Vec<f64>, f64), InferError> {
    let max = log_w.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !max.is_finite() {
        return Err(ModelError::Unusable {
            kind: ErrorKind::Input,
            message: format!(
                "none of the {} draws has a positive importance weight (all outside the prior \
                 support, failed simulations, or non-finite likelihoods)",
                log_w.len()
            ),
        }
        .into());
    }
    let w: Vec<f64> = log_w.iter().map(|l| (l - max).exp()).collect();
    let sum: f64 = w.iter().sum();
    let log_mean = max + (sum / log_w.len() as f64).ln();
    Ok((w.iter().map(|v| v / sum).collect(), log_mean))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_normalise_and_count_effective_draws() {
        let (w, log_mean) = normalise(&[0.0, 0.0, f64::NEG_INFINITY, 0.0]).unwrap();
        assert!((log_mean - 0.75f64.ln()).abs() < 1e-12);
        assert_eq!(w, vec![1.0 / 3.0, 1.0 / 3.0, 0.0, 1.0 / 3.0]);
        let d = Draws::weighted(ndarray::Array2::zeros((4, 1)), w).unwrap();
        assert!((d.ess() - 3.0).abs() < 1e-12);
        let (w, _) = normalise(&[0.0, (0.5f64).ln()]).unwrap();
        assert!((w[0] - 2.0 / 3.0).abs() < 1e-12);
        let err = normalise(&[f64::NEG_INFINITY; 3]).unwrap_err().to_string();
        assert!(err.contains("positive importance weight"), "{err}");
    }
}
