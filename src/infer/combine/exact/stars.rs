//! The exact combination of a catalog's stars from their posterior draws: builds every
//! star's factor along the chosen [`DensityRoute`] (in parallel; star i's random numbers
//! from its id) and runs [`combine_exact`].

use super::super::CombineError;
use super::likelihood::StarLikelihood;
use super::terms::{reference_prior, reweighted, FlowTerm, KdeTerm, MixtureTerm};
use super::{combine_exact, DensityRoute, ExactCombined, ExactOptions, StarTerm};
use crate::model::{Posterior, Prior, Simulator};
use crate::rng::derive;
use crate::stats::kde::KdeOptions;
use crate::stats::mixture::MixtureOptions;
use crate::stats::Draws;
use ndarray::ArrayView2;
use rayon::prelude::*;

/// The stars of an exact combination.
#[derive(Clone, Copy)]
pub struct StarData<'a> {
    /// Every star's posterior draws over the prior's parameters.
    pub draws: &'a [Draws],
    /// Observations `(n, n_obs)` and their 1σ errors (dex), one row per star.
    pub x: ArrayView2<'a, f64>,
    pub sigma: ArrayView2<'a, f64>,
    /// Every star's random stream id (its catalog row).
    pub ids: &'a [u64],
}

/// What some routes need besides the draws.
#[derive(Clone, Copy, Default)]
pub struct ExactModels<'a> {
    /// The simulator of [`DensityRoute::Likelihood`].
    pub simulator: Option<&'a dyn Simulator>,
    /// The 2-D posterior of the global parameters of [`DensityRoute::MarginalFlow`].
    pub marginal: Option<&'a dyn Posterior>,
}

/// The exact combination of `stars` under `prior` (over all parameters; its global
/// parameters are combined), starting the grid at `start` (mean, covariance); with a
/// known `truth` of Λ, also the credibility of the smallest HPD region holding it.
pub fn combine_stars_exact(
    prior: &Prior,
    stars: StarData<'_>,
    start: ([f64; 2], [[f64; 2]; 2]),
    opts: &ExactOptions,
    models: ExactModels<'_>,
    seed: u64,
    truth: Option<[f64; 2]>,
) -> Result<ExactCombined, CombineError> {
    let n = stars.draws.len();
    if n == 0 {
        return Err(CombineError::NoStars);
    }
    if opts.density == DensityRoute::Likelihood {
        // each grid round costs simulations: start from the (cheap) kernel-density
        // combination, 1.5 times as wide
        let kde = ExactOptions {
            density: DensityRoute::Kde,
            ..opts.clone()
        };
        let k = combine_stars_exact(prior, stars, start, &kde, models, seed, None)?;
        let c = &k.cov;
        let w = 2.25;
        let start = (
            [k.mean[0], k.mean[1]],
            [[c[0][0] * w, c[0][1] * w], [c[1][0] * w, c[1][1] * w]],
        );
        return combine_from(prior, stars, start, opts, models, seed, truth);
    }
    combine_from(prior, stars, start, opts, models, seed, truth)
}

/// [`combine_stars_exact`] from a given start.
fn combine_from(
    prior: &Prior,
    stars: StarData<'_>,
    start: ([f64; 2], [[f64; 2]; 2]),
    opts: &ExactOptions,
    models: ExactModels<'_>,
    seed: u64,
    truth: Option<[f64; 2]>,
) -> Result<ExactCombined, CombineError> {
    let n = stars.draws.len();
    if stars.x.nrows() != n || stars.sigma.nrows() != n || stars.ids.len() != n {
        return Err(CombineError::WrongDimension {
            star: 0,
            found: stars.x.nrows(),
            expected: n,
        });
    }
    let globals = prior.space().global_indices();
    if globals.len() != 2 {
        return Err(CombineError::WrongDimension {
            star: 0,
            found: globals.len(),
            expected: 2,
        });
    }
    let gprior = prior
        .marginal(&globals)
        .map_err(|e| bad(0, e.to_string()))?;
    let reference = reference_prior(&gprior, opts.reference).map_err(|e| bad(0, e))?;
    let built: Vec<Result<Box<dyn StarTerm + '_>, CombineError>> = (0..n)
        .into_par_iter()
        .map(|i| {
            build_term(
                i, prior, &gprior, &reference, &globals, stars, opts, models, seed,
            )
            .map_err(|m| bad(i, m))
        })
        .collect();
    // the first failing star in star order, whatever the threads did
    let terms: Vec<Box<dyn StarTerm + '_>> = built.into_iter().collect::<Result<_, _>>()?;
    let refs: Vec<&dyn StarTerm> = terms.iter().map(|t| t.as_ref()).collect();
    let mut grid = opts.grid;
    if grid.coarse.is_none() && (n >= 30 || opts.density == DensityRoute::Likelihood) {
        grid.coarse = Some(if opts.density == DensityRoute::Likelihood {
            9
        } else {
            13
        });
    }
    let mut c = combine_exact(&refs, &gprior, opts.density, start, &grid)?;
    c.warnings
        .extend(wider_than_prior(stars.draws, &globals, &gprior));
    if let Some(t) = truth {
        let v = super::log_density(&refs, &gprior, &[t])?;
        c.truth_credibility = Some(c.credibility(v[0]));
    }
    Ok(c)
}

/// A warning when stars' posteriors of the globals are wider than the prior: their factors
/// q/p then grow away from the prior mean, and no combination of them can be trusted.
fn wider_than_prior(draws: &[Draws], globals: &[usize], gprior: &Prior) -> Option<String> {
    let prior_sd: Vec<f64> = gprior.marginals().iter().map(|m| m.sd()).collect();
    let wide = draws
        .iter()
        .filter(|d| {
            let sd = d.select(globals).sd();
            sd.iter().zip(&prior_sd).any(|(s, p)| s > p)
        })
        .count();
    (wide > 0).then(|| {
        format!(
            "{wide} of {} stars have posteriors of the global parameters wider than the prior: the posterior estimator is poorer than the prior there (train it longer, or refine with the simulator)",
            draws.len()
        )
    })
}

fn bad(star: usize, message: String) -> CombineError {
    CombineError::StarDensity { star, message }
}

#[allow(clippy::too_many_arguments)]
fn build_term<'a>(
    i: usize,
    prior: &Prior,
    gprior: &Prior,
    reference: &'a Prior,
    globals: &[usize],
    stars: StarData<'_>,
    opts: &ExactOptions,
    models: ExactModels<'a>,
    seed: u64,
) -> Result<Box<dyn StarTerm + 'a>, String> {
    let draws = &stars.draws[i];
    let x = stars.x.row(i).to_vec();
    let star_seed = derive(seed, stars.ids[i]);
    match opts.density {
        DensityRoute::Likelihood => {
            let sim = models
                .simulator
                .ok_or("density \"likelihood\" needs a simulator (CHEMPY or an emulator)")?;
            let sigma = stars.sigma.row(i).to_vec();
            let l = StarLikelihood::new(
                sim,
                prior,
                &x,
                &sigma,
                draws,
                &opts.likelihood,
                seed,
                stars.ids[i],
            )?;
            Ok(Box::new(l))
        }
        DensityRoute::Kde => {
            let r = reweighted(draws, globals, gprior, reference)?;
            let kde = KdeOptions {
                bw_scale: opts.bandwidth,
                max_points: None,
                seed: star_seed,
            };
            Ok(Box::new(KdeTerm::new(&r, reference, &kde)?))
        }
        DensityRoute::Mixture => {
            let r = reweighted(draws, globals, gprior, reference)?;
            let m = MixtureOptions {
                max_components: opts.max_components,
                seed: star_seed,
                ..MixtureOptions::default()
            };
            Ok(Box::new(MixtureTerm::new(&r, reference, &m)?))
        }
        DensityRoute::MarginalFlow => {
            let post = models
                .marginal
                .ok_or("density \"marginal_flow\" needs a posterior of the global parameters (train_npe with params: \"global\")")?;
            Ok(Box::new(FlowTerm::new(post, &x)?))
        }
    }
}
