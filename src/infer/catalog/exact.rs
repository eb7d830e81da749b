//! The exact combination of a catalog's stars ([`crate::infer::combine::exact`]), after
//! they have been sampled: star i's factor from its draws, its observation and errors, its
//! random stream the catalog row; the grid starts at the Gaussian combination, twice as wide.

use super::observe::Observations;
use super::star_errors;
use crate::error::Vocabulary;
use crate::infer::combine::exact::stars::{combine_stars_exact, ExactModels, StarData};
use crate::infer::combine::exact::{ExactCombined, ExactOptions};
use crate::infer::combine::Combined;
use crate::infer::error::InferError;
use crate::model::Posterior;
use crate::stats::Draws;
use ndarray::{Array2, Axis};

/// The sampled stars of a catalog: rows of `obs` and one set of draws per row.
pub(crate) struct SampledStars<'a, 'o> {
    pub obs: &'a Observations<'o>,
    pub rows: &'a [usize],
    pub draws: &'a [Draws],
}

/// The exact combination of the sampled stars; `start` is a Gaussian combination of them.
pub(crate) fn combine_catalog_exact(
    posterior: &dyn Posterior,
    sampled: SampledStars<'_, '_>,
    start: &Combined,
    opts: &ExactOptions,
    models: ExactModels<'_>,
    seed: u64,
) -> Result<ExactCombined, InferError> {
    let SampledStars { obs, rows, draws } = sampled;
    let x = obs.values.select(Axis(0), rows);
    let n_obs = x.ncols();
    let mut sigma = Array2::zeros((rows.len(), n_obs));
    for (i, &r) in rows.iter().enumerate() {
        let s = star_errors(obs, r, posterior).ok_or_else(|| {
            InferError::option(
                "method",
                "exact",
                "the catalog has no error columns and the posterior no noise model",
            )
        })?;
        sigma.row_mut(i).iter_mut().zip(s).for_each(|(a, b)| *a = b);
    }
    let ids: Vec<u64> = rows.iter().map(|&r| r as u64).collect();
    let w = 4.0; // variance × 4: the grid starts twice as wide as the Gaussian combination
    let c = &start.cov;
    let start = (
        [start.mean[0], start.mean[1]],
        [[c[0][0] * w, c[0][1] * w], [c[1][0] * w, c[1][1] * w]],
    );
    let stars = StarData {
        draws,
        x: x.view(),
        sigma: sigma.view(),
        ids: &ids,
    };
    Ok(combine_stars_exact(
        posterior.prior(),
        stars,
        start,
        opts,
        models,
        seed,
        None,
    )?)
}
