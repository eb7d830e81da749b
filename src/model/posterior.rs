//! Posteriors: anything that gives draws of θ given an observation x — the neural flow,
//! the importance-weighted (refined) flow, an HMC run, the closed-form posterior of a
//! linear-Gaussian model in tests. Calibration and combination accept any of them.

use super::error::ModelError;
use super::noise::NoiseModel;
use super::prior::Prior;
use super::space::ParamSpace;
use crate::error::ShapeError;
use crate::stats::Draws;
use ndarray::ArrayView2;
use rayon::prelude::*;

/// The outcome for one observation of [`Posterior::sample_many`].
pub type DrawsResult = Result<Draws, ModelError>;

/// What a posterior conditions on besides the observed values.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Accepts {
    /// Any pattern of missing observables (e.g. trained with random masks).
    pub missing: bool,
    /// Each observation's own errors (e.g. trained with σ as an input).
    pub errors: bool,
}

/// Observations with what [`Posterior::sample_observed`] may use beyond the values.
#[derive(Debug, Clone, Copy)]
pub struct ObservedRows<'a> {
    /// Values `(m, n_observables)` in dex; missing entries may hold anything (NaN).
    pub values: ArrayView2<'a, f64>,
    /// `true` where a value is missing, same shape.
    pub missing: Option<ArrayView2<'a, bool>>,
    /// 1σ errors (dex), same shape.
    pub errors: Option<ArrayView2<'a, f64>>,
}

/// A posterior p(θ | x) over [`Posterior::space`] given observables
/// [`Posterior::observables`].
pub trait Posterior: Sync {
    /// A one-line description, e.g. `"flow posterior of chempy:tng"`.
    fn describe(&self) -> String;

    /// A stable fingerprint of what the draws depend on, for the job keys of sharded runs
    /// (partials of different posteriors must not be merged). The default is the
    /// description; posteriors with weights override it with a hash of them.
    fn fingerprint(&self) -> String {
        self.describe()
    }

    /// The parameters θ, in column order.
    fn space(&self) -> &ParamSpace;

    /// The observables x, in order.
    fn observables(&self) -> &[String];

    /// The prior the posterior is relative to (over [`Posterior::space`]).
    fn prior(&self) -> &Prior;

    /// The Gaussian observation noise the posterior assumes, if it has a fixed one (a
    /// neural posterior: the noise of its training data).
    fn noise(&self) -> Option<&NoiseModel> {
        None
    }

    /// `n` draws for the observation `x` (one value per observable). The same seed gives
    /// the same draws on any number of threads.
    fn sample(&self, x: &[f64], n: usize, seed: u64) -> Result<Draws, ModelError>;

    /// `n` draws for every row of `xs` `(m, n_observables)`; row i's draws depend only on
    /// `seed`, `ids[i]` and the row (not on the other rows nor on the thread count). An
    /// observation that cannot be sampled gets its own error; Ctrl-C, SIGTERM and wrong
    /// shapes fail the whole call. The default samples the rows in parallel with
    /// [`Posterior::sample`] and the seeds `rng::derive(seed, ids[i])`.
    fn sample_many(
        &self,
        xs: ArrayView2<f64>,
        ids: &[u64],
        n: usize,
        seed: u64,
    ) -> Result<Vec<DrawsResult>, ModelError> {
        check_observations(self.observables(), &xs, ids)?;
        let out: Vec<DrawsResult> = (0..xs.nrows())
            .into_par_iter()
            .map(|i| {
                crate::interrupt::check()?;
                let x = xs.row(i).to_vec();
                self.sample(&x, n, crate::rng::derive(seed, ids[i]))
            })
            .collect();
        if let Some(Err(ModelError::Interrupted(e))) = out
            .iter()
            .find(|r| matches!(r, Err(ModelError::Interrupted(_))))
        {
            return Err(ModelError::Interrupted(*e));
        }
        Ok(out)
    }

    /// What the posterior conditions on besides the values (default: nothing).
    fn accepts(&self) -> Accepts {
        Accepts::default()
    }

    /// [`Posterior::sample_many`] with every row's missing-value flags and errors. The
    /// default, for posteriors that accept neither, ignores both (callers skip rows with
    /// missing values when [`Posterior::accepts`] says so).
    fn sample_observed(
        &self,
        obs: ObservedRows<'_>,
        ids: &[u64],
        n: usize,
        seed: u64,
    ) -> Result<Vec<DrawsResult>, ModelError> {
        self.sample_many(obs.values, ids, n, seed)
    }

    /// log p(θ | x) for every row of `theta` `(m, dim)` with the matching row of `x`
    /// `(m, n_observables)`, if this posterior has a density (`None` otherwise).
    fn log_prob(
        &self,
        _theta: ArrayView2<f64>,
        _x: ArrayView2<f64>,
    ) -> Option<Result<Vec<f64>, ModelError>> {
        None
    }
}

/// Checks that `xs` has one column per observable and one stream id per row.
pub fn check_observations(
    observables: &[String],
    xs: &ArrayView2<f64>,
    ids: &[u64],
) -> Result<(), ShapeError> {
    if xs.ncols() != observables.len() || ids.len() != xs.nrows() {
        return Err(ShapeError::new(
            "observations",
            format!(
                "(m, {}) ({}) with m stream ids",
                observables.len(),
                observables.join(", ")
            ),
            format!("{:?} with {} ids", xs.dim(), ids.len()),
        ));
    }
    Ok(())
}
