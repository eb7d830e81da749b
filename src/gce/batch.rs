//! Many simulations in parallel (rayon), in fixed chunks so that results never depend on the
//! number of threads; Ctrl-C is honoured between chunks and a progress bar appears for long
//! batches.

use super::error::SimError;
use super::model::Chempy;
use super::params::Params;
use crate::interrupt::{self, Interrupted};
use crate::progress::Progress;
use rayon::prelude::*;

/// Simulations per chunk of work.
pub const CHUNK: usize = 256;

impl Chempy {
    /// Runs [`Chempy::simulate`] for every parameter set, in input order. The outer error is
    /// returned only when the batch was interrupted (Ctrl-C).
    pub fn simulate_batch(
        &self,
        ps: &[Params],
    ) -> Result<Vec<Result<[f64; 8], SimError>>, Interrupted> {
        let progress = Progress::new(ps.len() as u64, "chempy");
        let chunks: Result<Vec<Vec<_>>, Interrupted> = ps
            .par_chunks(CHUNK)
            .map(|chunk| {
                interrupt::check()?;
                let out: Vec<_> = chunk.iter().map(|p| self.simulate(p)).collect();
                progress.inc(chunk.len() as u64);
                Ok(out)
            })
            .collect();
        progress.finish();
        Ok(chunks?.into_iter().flatten().collect())
    }
}
