//! Posterior samples for many observations at once: rayon over observations, each with its
//! own random stream `rng::stream(seed, id)` (so the samples of an observation depend on the
//! seed and its id only, never on the thread count or on the other observations), the flow's
//! context terms computed once per observation, and rejection of draws outside the prior
//! support (spec A.3).

use super::rejection::{sample_with_rejection, LowAcceptance, RejectionOptions};
use crate::flow::{SampleWorkspace, Sampler};
use ndarray::{Array3, ArrayView2, Axis};
use rayon::prelude::*;

/// The outcome for one observation.
pub type ObsResult = Result<f64, LowAcceptance>;

/// Draws `n` samples for every row of `xs` `(n_obs, C)` (raw units), keeping draws for
/// which `in_support` holds. `ids[i]` selects the random stream of row i (e.g. the catalog
/// row); Ctrl-C is checked between observations. Returns the samples (rows that failed hold
/// zeros) and the per-row outcome (acceptance rate or the reason it failed).
pub fn sample_batch(
    sampler: &Sampler,
    xs: ArrayView2<f64>,
    ids: &[u64],
    n: usize,
    seed: u64,
    in_support: &(dyn Fn(&[f64]) -> bool + Sync),
    opts: &RejectionOptions,
) -> Result<(Array3<f64>, Vec<ObsResult>), crate::interrupt::Interrupted> {
    let d = sampler.maf().theta_dim();
    let m = xs.nrows();
    let mut out = Array3::<f64>::zeros((m, n, d));
    let results: Vec<Result<ObsResult, crate::interrupt::Interrupted>> = out
        .axis_iter_mut(Axis(0))
        .into_par_iter()
        .enumerate()
        .map_init(SampleWorkspace::default, |ws, (i, mut dest)| {
            crate::interrupt::check()?;
            let cond = sampler.condition(&xs.row(i).to_vec());
            let mut rng = crate::rng::stream(seed, ids[i]);
            let acc = sample_with_rejection(
                n,
                d,
                opts,
                |k, buf| sampler.draw(&cond, k, &mut rng, buf, ws),
                in_support,
            );
            Ok(acc.map(|a| {
                if let Some(s) = dest.as_slice_mut() {
                    s.copy_from_slice(&a.samples);
                }
                a.acceptance()
            }))
        })
        .collect();
    let results = results.into_iter().collect::<Result<Vec<_>, _>>()?;
    Ok((out, results))
}
