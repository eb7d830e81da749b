//! The simulations a calibration run is made of: for simulation index i, θ*ᵢ drawn from
//! the prior and its observation xᵢ = simulator(θ*ᵢ) + noise, with random streams keyed by
//! i alone, so any range of indices gives the same simulations as the whole run.
//!
//! θ*ᵢ comes from `rng::stream(derive(seed, 10), i)`: a run the simulator rejects (CHEMPY's
//! failures) is replaced by the next draw of the same stream, so the accepted θ*ᵢ depends on
//! (seed, i) only. The noise of xᵢ comes from `rng::stream(derive(seed, 11), i)`.

use super::error::CalibError;
use crate::model::{NoiseModel, Prior, Simulator};
use crate::rng::{derive, stream, Rng};
use ndarray::{Array2, Axis};
use rand_distr::{Distribution, StandardNormal};
use std::ops::Range;

/// Seed stages of a calibration run (`rng::derive(seed, stage)`).
pub(crate) mod stage {
    pub const THETA: u64 = 10;
    pub const NOISE: u64 = 11;
    pub const DRAWS: u64 = 12;
    pub const REFERENCES: u64 = 13;
    pub const BOOTSTRAP: u64 = 14;
    pub const BAND: u64 = 15;
}

/// Rows per simulator call (Ctrl-C is checked between calls).
const SIM_CHUNK: usize = 8192;

/// The simulations of a range of indices.
#[derive(Debug, Clone, PartialEq)]
pub struct Truths {
    /// Simulation indices, ascending.
    pub ids: Vec<u64>,
    /// θ* `(m, dim)`.
    pub theta: Array2<f64>,
    /// Noisy observations `(m, n_obs)`.
    pub x: Array2<f64>,
    /// Rejected simulator runs that were replaced.
    pub n_failed_runs: usize,
}

/// One draw of every marginal of `prior` from `rng`.
fn draw(prior: &Prior, rng: &mut Rng) -> Vec<f64> {
    prior.marginals().iter().map(|m| m.sample(rng)).collect()
}

/// The first draw of simulation index i for every i in `0..n` (before any replacement):
/// what the default TARP normalisation is computed from, identical for every shard.
pub fn first_draws(prior: &Prior, n: usize, seed: u64) -> Array2<f64> {
    let base = derive(seed, stage::THETA);
    let mut out = Array2::zeros((n, prior.dim()));
    for (i, mut row) in out.axis_iter_mut(Axis(0)).enumerate() {
        let v = draw(prior, &mut stream(base, i as u64));
        row.iter_mut().zip(v).for_each(|(d, s)| *d = s);
    }
    out
}

/// Simulates the indices `range`: θ* from `prior`, x from `sim` (finite outputs of a
/// successful run) with `noise` added; up to `max_attempts` draws per index.
pub fn simulate_truths(
    sim: &dyn Simulator,
    prior: &Prior,
    noise: &NoiseModel,
    range: Range<usize>,
    seed: u64,
    max_attempts: usize,
) -> Result<Truths, CalibError> {
    let base = derive(seed, stage::THETA);
    let m = range.len();
    let d = prior.dim();
    let mut rngs: Vec<Rng> = range.clone().map(|i| stream(base, i as u64)).collect();
    let mut theta = Array2::<f64>::zeros((m, d));
    let mut x = Array2::<f64>::from_elem((m, sim.output_names().len()), f64::NAN);
    let mut pending: Vec<usize> = (0..m).collect();
    let mut n_failed_runs = 0;
    for _ in 0..max_attempts.max(1) {
        if pending.is_empty() {
            break;
        }
        let rows: Vec<Vec<f64>> = pending.iter().map(|&k| draw(prior, &mut rngs[k])).collect();
        let block = Array2::from_shape_fn((rows.len(), d), |(r, c)| rows[r][c]);
        let ok = run_chunks(sim, &block)?;
        let mut still = Vec::new();
        for (r, &k) in pending.iter().enumerate() {
            match &ok[r] {
                Some(out) => {
                    theta.row_mut(k).assign(&block.row(r));
                    x.row_mut(k).iter_mut().zip(out).for_each(|(a, b)| *a = *b);
                }
                None => {
                    n_failed_runs += 1;
                    still.push(k);
                }
            }
        }
        pending = still;
    }
    if let Some(&k) = pending.first() {
        return Err(CalibError::TooFew {
            what: format!(
                "simulation {}: successful runs of {} after {max_attempts} draws from the prior",
                range.start + k,
                sim.describe()
            ),
            found: 0,
            needed: 1,
        });
    }
    add_noise(&mut x, noise, range.start, seed);
    Ok(Truths {
        ids: range.map(|i| i as u64).collect(),
        theta,
        x,
        n_failed_runs,
    })
}

/// Runs `sim` on the rows of `block` in chunks: per row the outputs, or `None` for a failed
/// run or non-finite outputs.
pub(crate) fn run_chunks(
    sim: &dyn Simulator,
    block: &Array2<f64>,
) -> Result<Vec<Option<Vec<f64>>>, CalibError> {
    let mut out = Vec::with_capacity(block.nrows());
    for rows in block.axis_chunks_iter(Axis(0), SIM_CHUNK) {
        crate::interrupt::check()?;
        let s = sim.simulate(rows)?;
        for i in 0..rows.nrows() {
            let good = s.ok(i) && s.x.row(i).iter().all(|v| v.is_finite());
            out.push(good.then(|| s.x.row(i).to_vec()));
        }
    }
    Ok(out)
}

/// Adds N(0, σ²) to every row k of `x` (simulation index `first + k`) from its own stream.
fn add_noise(x: &mut Array2<f64>, noise: &NoiseModel, first: usize, seed: u64) {
    let base = derive(seed, stage::NOISE);
    for (k, mut row) in x.axis_iter_mut(Axis(0)).enumerate() {
        let mut rng = stream(base, (first + k) as u64);
        for (v, s) in row.iter_mut().zip(&noise.sigma) {
            let z: f64 = StandardNormal.sample(&mut rng);
            *v += s * z;
        }
    }
}
