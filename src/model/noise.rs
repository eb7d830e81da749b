//! Gaussian observation noise: one standard deviation (dex) per observable, added to
//! simulator outputs once to make training pairs or mock observations.

use ndarray::{Array2, Axis};
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Independent Gaussian observation noise, one standard deviation (dex) per observable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoiseModel {
    /// σ of each observable, dex.
    pub sigma: Vec<f64>,
}

/// Rows per noise chunk (each chunk has its own random stream).
const NOISE_CHUNK: usize = 4096;

impl NoiseModel {
    /// The same σ for all `n` observables (the paper: 0.05 dex, spec A.0).
    pub fn uniform(n: usize, sigma: f64) -> Self {
        NoiseModel {
            sigma: vec![sigma; n],
        }
    }

    /// The paper's noise: 0.05 dex on each of the 8 abundances.
    pub fn paper() -> Self {
        NoiseModel::uniform(8, 0.05)
    }

    /// Checks that every σ is finite and ≥ 0 and that there is one per observable.
    pub fn validate(&self, n_obs: usize) -> Result<(), String> {
        if self.sigma.len() != n_obs {
            return Err(format!(
                "noise has {} standard deviations for {n_obs} observables",
                self.sigma.len()
            ));
        }
        if let Some(s) = self.sigma.iter().find(|s| !(s.is_finite() && **s >= 0.0)) {
            return Err(format!(
                "noise standard deviation {s} is not finite and ≥ 0"
            ));
        }
        Ok(())
    }

    /// Adds N(0, σ_j²) to every entry of column j of `x` `(n, n_obs)`, once. Rows are done
    /// in chunks of 4096 with random streams `rng::stream(seed, chunk)`, so the result does
    /// not depend on the number of threads.
    pub fn add(&self, x: &mut Array2<f64>, seed: u64) {
        let sig = &self.sigma;
        x.axis_chunks_iter_mut(Axis(0), NOISE_CHUNK)
            .into_par_iter()
            .enumerate()
            .for_each(|(c, mut chunk)| {
                let mut rng = crate::rng::stream(seed, c as u64);
                for mut row in chunk.rows_mut() {
                    for (v, s) in row.iter_mut().zip(sig) {
                        let z: f64 = StandardNormal.sample(&mut rng);
                        *v += s * z;
                    }
                }
            });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn noise_has_the_requested_spread_and_is_reproducible() {
        let m = NoiseModel {
            sigma: vec![0.05, 0.2],
        };
        let mut a = Array2::zeros((20_000, 2));
        m.add(&mut a, 3);
        let mut b = Array2::zeros((20_000, 2));
        m.add(&mut b, 3);
        assert_eq!(a, b);
        for (j, s) in [0.05, 0.2].iter().enumerate() {
            let col = a.column(j);
            let sd = (col.mapv(|v| v * v).sum() / 20_000.0).sqrt();
            assert!((sd / s - 1.0).abs() < 0.02, "column {j}: {sd}");
        }
        assert!(m.validate(2).is_ok());
        assert!(m.validate(3).is_err());
        assert!(NoiseModel { sigma: vec![-1.0] }.validate(1).is_err());
    }
}
