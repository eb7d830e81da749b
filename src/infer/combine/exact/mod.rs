//! The exact combination of many stars: the posterior of the two global parameters Λ,
//!
//! ```text
//! p(Λ | D) ∝ p(Λ) Π_i p(x_i | Λ) = p(Λ)^{1−n} Π_i p(Λ | x_i),
//! ```
//!
//! evaluated on an adaptive 2-D grid ([`grid`]) from real per-star densities rather than
//! Gaussian fits. Every star contributes a *factor* ℓ_i(Λ) ∝ p(x_i | Λ) (a [`StarTerm`]):
//!
//! - [`DensityRoute::Likelihood`]: the marginal likelihood by importance sampling over the
//!   local parameters with a simulator ([`likelihood`]); exact up to Monte Carlo error;
//! - [`DensityRoute::Kde`] and [`DensityRoute::Mixture`]: a weighted kernel density or a
//!   Gaussian mixture of the star's draws of Λ, reweighted from the prior to a wider
//!   reference r(Λ) (weights r/p) and divided by r — so the smoothing acts on a density
//!   close to the likelihood, and the prior's n − 1 divisions do not amplify it ([`terms`]);
//! - [`DensityRoute::MarginalFlow`]: a 2-D neural posterior q(Λ | x_i) of the global
//!   parameters, divided by the prior.
//!
//! The stars' factors are summed in fixed chunks of [`CHUNK_STARS`] in star order, so the
//! result does not depend on the number of threads.

pub mod grid;
pub mod likelihood;
pub mod stars;
pub mod terms;

use super::CombineError;
use crate::model::Prior;
use grid::{adaptive_grid, GridDensity, GridOptions};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use std::time::Instant;

pub use likelihood::{LikelihoodOptions, StarLikelihood};

/// Stars per chunk of the deterministic parallel sum.
pub const CHUNK_STARS: usize = 32;

/// One star's factor ℓ_i(Λ) ∝ p(x_i | Λ) of the exact combination.
pub trait StarTerm: Send + Sync {
    /// log ℓ_i at every point `(m)` of Λ (up to a constant per star); −∞ where it is zero.
    fn log_factor(&self, points: &[[f64; 2]]) -> Result<Vec<f64>, CombineError>;
}

/// How a star's factor is obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DensityRoute {
    /// The importance-sampled marginal likelihood with a simulator.
    Likelihood,
    /// A weighted Gaussian kernel density of the (reweighted) draws of Λ.
    #[default]
    Kde,
    /// A Gaussian mixture fitted to the (reweighted) draws of Λ.
    Mixture,
    /// A 2-D neural posterior of the global parameters.
    MarginalFlow,
}

impl DensityRoute {
    /// Every route.
    pub const ALL: [DensityRoute; 4] = [
        DensityRoute::Likelihood,
        DensityRoute::Kde,
        DensityRoute::Mixture,
        DensityRoute::MarginalFlow,
    ];

    /// The name used in scripts and files.
    pub fn name(self) -> &'static str {
        match self {
            DensityRoute::Likelihood => "likelihood",
            DensityRoute::Kde => "kde",
            DensityRoute::Mixture => "mixture",
            DensityRoute::MarginalFlow => "marginal_flow",
        }
    }
}

impl fmt::Display for DensityRoute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for DensityRoute {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        DensityRoute::ALL
            .into_iter()
            .find(|r| r.name() == s)
            .ok_or_else(|| {
                format!(
                    "unknown density '{s}'; expected one of {}",
                    DensityRoute::ALL
                        .map(|r| format!("\"{}\"", r.name()))
                        .join(", ")
                )
            })
    }
}

/// The exact combined posterior of the two global parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExactCombined {
    /// The route to the stars' factors.
    pub density: DensityRoute,
    /// Stars combined.
    pub n_stars: usize,
    /// Mean `(2)`, covariance `(2, 2)` row-major, marginal standard deviations `(2)`.
    pub mean: Vec<f64>,
    pub cov: Vec<Vec<f64>>,
    pub sd: Vec<f64>,
    /// Unnormalised log densities bounding the 68 % and 95 % highest-density regions (on
    /// the scale of `grid.log_density`).
    pub hpd68: f64,
    pub hpd95: f64,
    /// The grid the density was evaluated on.
    pub grid: GridDensity,
    /// Seconds for the combination.
    pub seconds: f64,
    /// The credibility of the smallest HPD region holding a known true Λ (mock tests).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub truth_credibility: Option<f64>,
    /// What may make the result untrustworthy.
    #[serde(default)]
    pub warnings: Vec<String>,
}

impl ExactCombined {
    /// The posterior mass of the region denser than a point whose unnormalised log density
    /// (from [`log_density`]) is `log_value`: the point is in the HPD region of level q
    /// when this is below q.
    pub fn credibility(&self, log_value: f64) -> f64 {
        self.grid.mass_above(log_value)
    }
}

/// The unnormalised log posterior log p(Λ) + Σ_i log ℓ_i(Λ) at `points`; `prior` is the
/// prior of the two global parameters.
pub fn log_density(
    terms: &[&dyn StarTerm],
    prior: &Prior,
    points: &[[f64; 2]],
) -> Result<Vec<f64>, CombineError> {
    crate::interrupt::check().map_err(|e| CombineError::StarDensity {
        star: 0,
        message: e.to_string(),
    })?;
    let chunks: Vec<Vec<f64>> = terms
        .par_chunks(CHUNK_STARS)
        .enumerate()
        .map(|(c, chunk)| {
            let mut acc = vec![0.0; points.len()];
            for (i, t) in chunk.iter().enumerate() {
                let v = t
                    .log_factor(points)
                    .map_err(|e| renumber(e, c * CHUNK_STARS + i))?;
                for (a, x) in acc.iter_mut().zip(v) {
                    *a += x;
                }
            }
            Ok(acc)
        })
        .collect::<Result<_, CombineError>>()?;
    let mut total: Vec<f64> = points.iter().map(|p| prior.log_prob(p)).collect();
    for c in chunks {
        for (t, x) in total.iter_mut().zip(c) {
            *t += x;
        }
    }
    Ok(total
        .into_iter()
        .map(|v| if v.is_nan() { f64::NEG_INFINITY } else { v })
        .collect())
}

fn renumber(e: CombineError, star: usize) -> CombineError {
    match e {
        CombineError::StarDensity { message, .. } => CombineError::StarDensity { star, message },
        other => other,
    }
}

/// The exact combination of `terms` (one per star, route `density`) with the prior `prior`
/// of the two global parameters, on a grid that starts from `start` (mean and covariance,
/// e.g. a Gaussian combination's, widened).
pub fn combine_exact(
    terms: &[&dyn StarTerm],
    prior: &Prior,
    density: DensityRoute,
    start: ([f64; 2], [[f64; 2]; 2]),
    opts: &GridOptions,
) -> Result<ExactCombined, CombineError> {
    let started = Instant::now();
    if terms.is_empty() {
        return Err(CombineError::NoStars);
    }
    if prior.dim() != 2 {
        return Err(CombineError::WrongDimension {
            star: 0,
            found: prior.dim(),
            expected: 2,
        });
    }
    let g = adaptive_grid(|p| log_density(terms, prior, p), start.0, start.1, opts)?;
    let (mean, cov) = g.moments();
    Ok(ExactCombined {
        density,
        n_stars: terms.len(),
        mean: mean.to_vec(),
        sd: vec![cov[0][0].sqrt(), cov[1][1].sqrt()],
        cov: cov.iter().map(|r| r.to_vec()).collect(),
        hpd68: g.hpd_threshold(0.68),
        hpd95: g.hpd_threshold(0.95),
        grid: g,
        seconds: started.elapsed().as_secs_f64(),
        truth_credibility: None,
        warnings: Vec::new(),
    })
}

/// Settings of the exact combination.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ExactOptions {
    /// The route to every star's factor.
    pub density: DensityRoute,
    /// The grid.
    pub grid: GridOptions,
    /// The importance-sampled likelihood ([`DensityRoute::Likelihood`]).
    pub likelihood: LikelihoodOptions,
    /// Width of the reference prior of the KDE and mixture routes, in prior widths.
    pub reference: f64,
    /// Bandwidth scale of the KDE route (1: Scott's rule).
    pub bandwidth: f64,
    /// Most mixture components (chosen by BIC).
    pub max_components: usize,
}

impl Default for ExactOptions {
    fn default() -> Self {
        ExactOptions {
            density: DensityRoute::default(),
            grid: GridOptions::default(),
            likelihood: LikelihoodOptions::default(),
            reference: 1.3,
            bandwidth: 1.0,
            max_components: 4,
        }
    }
}
