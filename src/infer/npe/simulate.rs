//! Simulating training sets: a simulator run over many parameter rows in interruptible
//! chunks with a progress bar, and sets of successful runs drawn from a prior.

use crate::error::Vocabulary;
use crate::infer::error::InferError;
use crate::model::{Prior, Simulator, SimulatorError};
use crate::progress::Progress;
use ndarray::{concatenate, Array2, ArrayView2, Axis};

/// Runs `sim` on every row of `theta` in chunks of `chunk` rows (interruptible, with a
/// progress bar): x `(n, n_obs)`, NaN rows where the simulation failed.
pub fn simulate_rows(
    sim: &dyn Simulator,
    theta: ArrayView2<f64>,
    chunk: usize,
) -> Result<Array2<f64>, InferError> {
    let n_obs = sim.output_names().len();
    let mut x = Array2::<f64>::from_elem((theta.nrows(), n_obs), f64::NAN);
    let chunk = chunk.max(1);
    let progress = Progress::new(theta.nrows() as u64, "simulating");
    for (c, rows) in theta.axis_chunks_iter(Axis(0), chunk).enumerate() {
        crate::interrupt::check()?;
        let runs = sim.simulate(rows)?;
        if runs.x.dim() != (rows.nrows(), n_obs) || runs.status.len() != rows.nrows() {
            return Err(InferError::shape(
                format!("simulator '{}' output", sim.describe()),
                format!("({}, {n_obs}) and {} statuses", rows.nrows(), rows.nrows()),
                format!("{:?} and {} statuses", runs.x.dim(), runs.status.len()),
            ));
        }
        let a = c * chunk;
        for (i, s) in runs.status.iter().enumerate() {
            if s.is_ok() {
                x.row_mut(a + i).assign(&runs.x.row(i));
            }
        }
        progress.inc(rows.nrows() as u64);
    }
    progress.finish();
    Ok(x)
}

/// A training set of `n` successful runs: θ `(n, dim)` drawn from `prior`, x `(n, n_out)`,
/// and the number of draws the simulator rejected on the way. Draws are made in rounds (round
/// k from `rng::derive(seed, k)`) until `n` runs succeeded, so the result depends only on the
/// seed.
pub fn draw_valid(
    sim: &dyn Simulator,
    prior: &Prior,
    n: usize,
    seed: u64,
) -> Result<(Array2<f64>, Array2<f64>, usize), SimulatorError> {
    let mut thetas: Vec<Array2<f64>> = vec![];
    let mut xs: Vec<Array2<f64>> = vec![];
    let (mut have, mut failed, mut round) = (0usize, 0usize, 0u64);
    while have < n {
        let want = n - have;
        // Ask for a little more than missing, guessing from the failure rate so far.
        let rate = if have + failed > 0 {
            have as f64 / (have + failed) as f64
        } else {
            1.0
        };
        let ask = ((want as f64 / rate.max(0.05)) * 1.02).ceil() as usize + 16;
        let theta = prior.sample(ask, crate::rng::derive(seed, round));
        let runs = sim.simulate(theta.view())?;
        let keep: Vec<usize> = (0..ask)
            .filter(|&i| runs.ok(i) && runs.x.row(i).iter().all(|v| v.is_finite()))
            .take(want)
            .collect();
        let used = keep
            .last()
            .map_or(ask, |&last| if keep.len() == want { last + 1 } else { ask });
        failed += used - keep.len();
        have += keep.len();
        thetas.push(theta.select(Axis(0), &keep));
        xs.push(runs.x.select(Axis(0), &keep));
        round += 1;
        if round > 1000 {
            return Err(SimulatorError::Failed(format!(
                "only {have} of {n} draws from the prior ran successfully after 1000 rounds"
            )));
        }
    }
    let tv: Vec<_> = thetas.iter().map(|a| a.view()).collect();
    let xv: Vec<_> = xs.iter().map(|a| a.view()).collect();
    let theta = concatenate(Axis(0), &tv).map_err(|e| SimulatorError::Failed(e.to_string()))?;
    let x = concatenate(Axis(0), &xv).map_err(|e| SimulatorError::Failed(e.to_string()))?;
    Ok((theta, x, failed))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::DataDir;
    use crate::gce::{Chempy, Params, YieldSet};

    #[test]
    fn draw_valid_returns_exactly_n_successful_runs_reproducibly() {
        let sim = Chempy::load(&DataDir::resolve(None).unwrap(), YieldSet::Tng).unwrap();
        let prior = Prior::emulator_box();
        let (theta, x, failed) = draw_valid(&sim, &prior, 400, 9).unwrap();
        assert_eq!((theta.nrows(), x.nrows(), x.ncols()), (400, 400, 8));
        assert!(failed > 0, "the ±5σ box always has failing runs");
        assert!(x.iter().all(|v| v.is_finite()));
        let (theta2, _, failed2) = draw_valid(&sim, &prior, 400, 9).unwrap();
        assert_eq!((&theta, failed), (&theta2, failed2));
        let row = theta.row(17);
        let again = sim
            .simulate(&Params::from_array([
                row[0], row[1], row[2], row[3], row[4], row[5],
            ]))
            .unwrap();
        assert_eq!(again.to_vec(), x.row(17).to_vec());
    }
}
