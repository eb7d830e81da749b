//! Posterior samples for many observations at once: rayon over observations, each with its
//! own random stream `rng::stream(seed, id)` (so the samples of an observation depend on the
//! seed and its id only, never on the thread count or on the other observations), the flow's
//! context terms computed once per observation, and rejection of draws outside the prior
//! support (spec A.3).

use super::rejection::{sample_with_rejection, LowAcceptance, RejectionOptions};
use crate::flow::{SampleWorkspace, Sampler};
use ndarray::{Array2, Array3, ArrayView2, Axis};
use rayon::prelude::*;

/// The outcome for one observation.
pub type ObsResult = Result<f64, LowAcceptance>;

/// One observation's draws `(n, D)` and acceptance rate, or why it failed.
pub type RowDraws = Result<(Array2<f64>, f64), LowAcceptance>;

/// The draws of [`sample_rows`] stacked into one array `(n_obs, n, D)` (rows that failed hold
/// zeros), with the per-row outcome (acceptance rate or the reason it failed).
pub fn stack(rows: Vec<RowDraws>, n: usize, d: usize) -> (Array3<f64>, Vec<ObsResult>) {
    let mut out = Array3::<f64>::zeros((rows.len(), n, d));
    let results = out
        .axis_iter_mut(Axis(0))
        .into_par_iter()
        .zip(rows)
        .map(|(mut dest, row)| {
            row.map(|(samples, acceptance)| {
                dest.assign(&samples);
                acceptance
            })
        })
        .collect();
    (out, results)
}

/// Draws `n` samples for every row of `xs` `(n_obs, C)` (raw units), keeping draws for
/// which `in_support` holds. `ids[i]` selects the random stream of row i (e.g. the catalog
/// row); Ctrl-C is checked between observations. Returns every row's draws `(n, D)` and
/// acceptance rate, or the reason it failed.
pub fn sample_rows(
    sampler: &Sampler,
    xs: ArrayView2<f64>,
    ids: &[u64],
    n: usize,
    seed: u64,
    in_support: &(dyn Fn(&[f64]) -> bool + Sync),
    opts: &RejectionOptions,
) -> Result<Vec<RowDraws>, crate::interrupt::Interrupted> {
    let d = sampler.maf().theta_dim();
    let results: Vec<Result<RowDraws, crate::interrupt::Interrupted>> = (0..xs.nrows())
        .into_par_iter()
        .map_init(SampleWorkspace::default, |ws, i| {
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
            Ok(acc.and_then(|a| {
                let (acceptance, drawn, rows) =
                    (a.acceptance(), a.drawn, a.samples.len() / d.max(1));
                // sample_with_rejection returns n rows of d values; fewer is a failed row
                Array2::from_shape_vec((n, d), a.samples)
                    .map(|samples| (samples, acceptance))
                    .map_err(|_| LowAcceptance {
                        accepted: rows,
                        drawn,
                        min_acceptance: opts.min_acceptance,
                    })
            }))
        })
        .collect();
    results.into_iter().collect()
}
