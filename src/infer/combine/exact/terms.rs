//! Star factors from a star's posterior draws of Λ (a kernel density or a Gaussian
//! mixture) and from a 2-D neural posterior of the global parameters.
//!
//! A density estimate smooths. Smoothing p(Λ | x_i) itself and dividing by the prior n − 1
//! times would amplify the smoothing's bias n-fold (a kernel of width h moves the factor's
//! mean away from the prior mean by about h²/s² of its offset, s the star's width). The
//! draws are therefore reweighted by r(Λ)/p(Λ) to the star's posterior under a reference
//! prior r that is wider than p (Gaussian components with standard deviations × `reference`,
//! default 1.3; other marginals are kept), the density of r·ℓ_i is estimated, and r is
//! divided out: ℓ_i = estimate / r. With r wider than p the smoothed density is already
//! close to the likelihood; with r no wider than √2 p the weights keep a finite variance
//! even for a star that is uninformative.

use super::super::CombineError;
use super::StarTerm;
use crate::model::{Posterior, Prior};
use crate::stats::kde::{Kde, KdeOptions};
use crate::stats::mixture::{GaussianMixture, MixtureOptions};
use crate::stats::Draws;
use ndarray::Array2;

/// The reference prior of the global parameters: `prior` (over the globals) with every
/// Gaussian standard deviation multiplied by `factor`.
pub fn reference_prior(prior: &Prior, factor: f64) -> Result<Prior, String> {
    let marginals = prior
        .marginals()
        .iter()
        .map(|m| m.widened(factor))
        .collect();
    Prior::new(prior.space().clone(), marginals).map_err(|e| e.to_string())
}

/// The star's draws of the globals (columns `globals` of `draws`) reweighted from `prior`
/// (the prior of the globals) to `reference`: a `(n, 2)` weighted [`Draws`].
pub fn reweighted(
    draws: &Draws,
    globals: &[usize],
    prior: &Prior,
    reference: &Prior,
) -> Result<Draws, String> {
    let g = draws.select(globals);
    let values = g.values().to_owned();
    let w: Vec<f64> = (0..g.n())
        .map(|k| {
            let row: Vec<f64> = values.row(k).to_vec();
            let lr = reference.log_prob(&row) - prior.log_prob(&row);
            let w = g.weight(k) * lr.exp();
            if w.is_finite() {
                w
            } else {
                0.0
            }
        })
        .collect();
    Draws::weighted(values, w).map_err(|e| e.to_string())
}

fn to_array(points: &[[f64; 2]]) -> Array2<f64> {
    Array2::from_shape_fn((points.len(), 2), |(i, j)| points[i][j])
}

/// A star's factor from a kernel density of its reweighted draws.
pub struct KdeTerm<'a> {
    kde: Kde,
    reference: &'a Prior,
}

impl<'a> KdeTerm<'a> {
    /// The factor of a star with draws `draws` (reweighted with [`reweighted`]).
    pub fn new(
        reweighted: &Draws,
        reference: &'a Prior,
        opts: &KdeOptions,
    ) -> Result<Self, String> {
        Ok(KdeTerm {
            kde: Kde::fit(reweighted, &[0, 1], opts).map_err(|e| e.to_string())?,
            reference,
        })
    }
}

impl StarTerm for KdeTerm<'_> {
    fn log_factor(&self, points: &[[f64; 2]]) -> Result<Vec<f64>, CombineError> {
        let d = self
            .kde
            .log_density(to_array(points).view())
            .map_err(stats_error)?;
        Ok(divide(d, self.reference, points))
    }
}

/// A star's factor from a Gaussian mixture fitted to its reweighted draws.
pub struct MixtureTerm<'a> {
    mixture: GaussianMixture,
    reference: &'a Prior,
}

impl<'a> MixtureTerm<'a> {
    /// The factor of a star with draws `draws` (reweighted with [`reweighted`]).
    pub fn new(
        reweighted: &Draws,
        reference: &'a Prior,
        opts: &MixtureOptions,
    ) -> Result<Self, String> {
        Ok(MixtureTerm {
            mixture: GaussianMixture::fit(reweighted, &[0, 1], opts).map_err(|e| e.to_string())?,
            reference,
        })
    }
}

impl StarTerm for MixtureTerm<'_> {
    fn log_factor(&self, points: &[[f64; 2]]) -> Result<Vec<f64>, CombineError> {
        let d = self
            .mixture
            .log_density(to_array(points).view())
            .map_err(stats_error)?;
        Ok(divide(d, self.reference, points))
    }
}

fn stats_error(e: crate::stats::StatsError) -> CombineError {
    CombineError::StarDensity {
        star: 0,
        message: e.to_string(),
    }
}

fn divide(log_density: Vec<f64>, reference: &Prior, points: &[[f64; 2]]) -> Vec<f64> {
    log_density
        .into_iter()
        .zip(points)
        .map(|(d, p)| d - reference.log_prob(p))
        .collect()
}

/// A star's factor q(Λ | x_i) / p(Λ) from a posterior over the two global parameters.
pub struct FlowTerm<'a> {
    posterior: &'a dyn Posterior,
    x: Vec<f64>,
}

impl<'a> FlowTerm<'a> {
    /// The factor of observation `x` under the 2-D posterior `posterior`.
    pub fn new(posterior: &'a dyn Posterior, x: &[f64]) -> Result<Self, String> {
        if posterior.space().dim() != 2 || x.len() != posterior.observables().len() {
            return Err(format!(
                "a marginal flow over 2 parameters given {} observables is needed; got {} parameters and {} values",
                posterior.observables().len(),
                posterior.space().dim(),
                x.len()
            ));
        }
        Ok(FlowTerm {
            posterior,
            x: x.to_vec(),
        })
    }
}

impl StarTerm for FlowTerm<'_> {
    fn log_factor(&self, points: &[[f64; 2]]) -> Result<Vec<f64>, CombineError> {
        let theta = to_array(points);
        let xs = Array2::from_shape_fn((points.len(), self.x.len()), |(_, j)| self.x[j]);
        let star = |message: String| CombineError::StarDensity { star: 0, message };
        let lq = self
            .posterior
            .log_prob(theta.view(), xs.view())
            .ok_or_else(|| star(format!("{} has no density", self.posterior.describe())))?
            .map_err(|e| star(e.to_string()))?;
        Ok(divide(lq, self.posterior.prior(), points))
    }
}
