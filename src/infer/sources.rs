//! The two forward models of the paper behind the [`Simulator`] trait: the CHEMPY-equivalent
//! simulator itself and a trained neural emulator of it; and drawing valid training sets
//! from a prior.

use super::prior::Prior;
use super::simulator::{Simulator, SimulatorError};
use crate::gce::{Chempy, Params};
use crate::nn::Emulator;
use ndarray::{concatenate, Array2, ArrayView2, Axis};

impl Simulator for Chempy {
    /// `chempy:<yield set>`, followed by the changed model settings in brackets, e.g.
    /// `chempy:tng(sfr_factor_for_cosmic_accretion=0.000001)`.
    fn describe(&self) -> String {
        format!("chempy:{}", self.label())
    }

    fn simulate(&self, theta: ArrayView2<f64>) -> Result<(Array2<f64>, Vec<bool>), SimulatorError> {
        if theta.ncols() != 6 {
            return Err(SimulatorError::Failed(format!(
                "CHEMPY needs 6 parameters per row, got {}",
                theta.ncols()
            )));
        }
        let params: Vec<Params> = theta
            .rows()
            .into_iter()
            .map(|r| Params::from_array([r[0], r[1], r[2], r[3], r[4], r[5]]))
            .collect();
        let results = self.simulate_batch(&params)?;
        let mut x = Array2::from_elem((params.len(), 8), f64::NAN);
        let mut ok = Vec::with_capacity(params.len());
        for (i, r) in results.iter().enumerate() {
            if let Ok(v) = r {
                x.row_mut(i).iter_mut().zip(v).for_each(|(d, s)| *d = *s);
            }
            ok.push(r.is_ok());
        }
        Ok((x, ok))
    }
}

/// An emulator together with the name it was loaded from (for the posterior's metadata).
pub struct NamedEmulator<'a> {
    pub emulator: &'a Emulator,
    pub name: String,
}

impl Simulator for NamedEmulator<'_> {
    fn describe(&self) -> String {
        format!("emulator:{}", self.name)
    }

    fn output_names(&self) -> Vec<String> {
        self.emulator.output_names().to_vec()
    }

    fn simulate(&self, theta: ArrayView2<f64>) -> Result<(Array2<f64>, Vec<bool>), SimulatorError> {
        crate::interrupt::check()?;
        let x = self
            .emulator
            .predict(theta)
            .map_err(|e| SimulatorError::Failed(e.to_string()))?;
        let ok = x
            .rows()
            .into_iter()
            .map(|r| r.iter().all(|v| v.is_finite()))
            .collect();
        Ok((x, ok))
    }
}

/// A training set of `n` successful runs: θ `(n, 6)` drawn from `prior`, x `(n, n_out)`,
/// and the number of draws the simulator rejected on the way. Draws are made in rounds (round
/// k from seed stream k) until `n` runs succeeded, so the result depends only on the seed.
pub fn draw_valid(
    sim: &dyn Simulator,
    prior: &Prior,
    n: usize,
    seed: u64,
) -> Result<(Array2<f64>, Array2<f64>, usize), SimulatorError> {
    let n_out = sim.output_names().len();
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
        let theta = prior.sample(ask, super::npe::derive_seed(seed, round));
        let (x, ok) = sim.simulate(theta.view())?;
        let keep: Vec<usize> = (0..ask)
            .filter(|&i| ok[i] && x.row(i).iter().all(|v| v.is_finite()))
            .take(want)
            .collect();
        let used = keep
            .last()
            .map_or(ask, |&last| if keep.len() == want { last + 1 } else { ask });
        failed += used - keep.len();
        have += keep.len();
        thetas.push(theta.select(Axis(0), &keep));
        xs.push(x.select(Axis(0), &keep));
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
    debug_assert_eq!(x.ncols(), n_out);
    Ok((theta, x, failed))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::DataDir;
    use crate::gce::YieldSet;

    #[test]
    fn draw_valid_returns_exactly_n_successful_runs_reproducibly() {
        let sim = Chempy::load(&DataDir::resolve(None).unwrap(), YieldSet::Tng).unwrap();
        let prior = Prior::paper().uniform_box(5.0);
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
