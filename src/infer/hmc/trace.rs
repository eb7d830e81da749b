//! What NUTS runs keep: the settings, the per-draw statistics, each chain's draws and the
//! whole run (no sampling here).

use ndarray::Array2;

/// Sampler settings.
#[derive(Debug, Clone, PartialEq)]
pub struct NutsOptions {
    /// Number of chains.
    pub chains: usize,
    /// Warm-up (adaptation) iterations per chain, discarded.
    pub warmup: usize,
    /// Draws kept per chain.
    pub draws: usize,
    /// Target acceptance probability of the step-size adaptation (0.8; the paper 0.9).
    pub target_accept: f64,
    /// Maximum tree depth (trajectories of at most 2^depth − 1 leapfrog steps).
    pub max_depth: u64,
    /// Seed of the chains and their starts.
    pub seed: u64,
    /// Start jitter in units of the scale vector (0: every chain starts at the centre).
    pub jitter: f64,
    /// Label of the progress bars.
    pub label: String,
}

impl Default for NutsOptions {
    fn default() -> Self {
        NutsOptions {
            chains: 4,
            warmup: 1000,
            draws: 1000,
            target_accept: 0.8,
            max_depth: 10,
            seed: crate::rng::DEFAULT_SEED,
            jitter: 1.0,
            label: "nuts".into(),
        }
    }
}

impl NutsOptions {
    /// Checks the settings.
    pub fn validate(&self) -> Result<(), crate::error::OptionError> {
        use crate::error::OptionError as E;
        if self.chains == 0 {
            return Err(E::new("chains", 0, "at least one chain is needed"));
        }
        if self.draws < 4 {
            return Err(E::new(
                "draws",
                self.draws,
                "at least 4 draws per chain are needed",
            ));
        }
        if !(self.target_accept > 0.0 && self.target_accept < 1.0) {
            return Err(E::new(
                "target_accept",
                self.target_accept,
                "must lie in (0, 1)",
            ));
        }
        if !(1..=20).contains(&self.max_depth) {
            return Err(E::new("max_depth", self.max_depth, "must lie in 1 … 20"));
        }
        if !(self.jitter >= 0.0 && self.jitter.is_finite()) {
            return Err(E::new(
                "jitter",
                self.jitter,
                "must be finite and non-negative",
            ));
        }
        Ok(())
    }
}

/// The sampler's statistics of one kept draw.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DrawStats {
    /// Whether the trajectory diverged.
    pub diverging: bool,
    /// Tree depth.
    pub depth: u64,
    /// Whether the maximum tree depth was reached.
    pub max_depth_reached: bool,
    /// Leapfrog steps.
    pub n_steps: u64,
    /// Step size (of the preconditioned coordinates).
    pub step_size: f64,
    /// Hamiltonian (energy) of the draw.
    pub energy: f64,
    /// log p of the draw.
    pub log_density: f64,
}

/// The kept draws of one chain.
#[derive(Debug, Clone, PartialEq)]
pub struct ChainTrace {
    /// Draws `(n_draws, dim)` in the density's coordinates.
    pub draws: Array2<f64>,
    /// Statistics, one per draw.
    pub stats: Vec<DrawStats>,
    /// Divergences during warm-up (not counted in the diagnostics).
    pub warmup_divergences: usize,
    /// Whether Ctrl-C or SIGTERM stopped the chain before its last draw.
    pub stopped_early: bool,
}

impl ChainTrace {
    /// An empty trace with room for `n` draws of dimension `dim`.
    pub fn new(dim: usize, n: usize) -> Self {
        ChainTrace {
            draws: Array2::zeros((0, dim)),
            stats: Vec::with_capacity(n),
            warmup_divergences: 0,
            stopped_early: false,
        }
    }

    /// Appends a draw.
    pub fn push(&mut self, x: &[f64], s: DrawStats) {
        // push_row only fails on a length mismatch, which run_chain rules out
        let _ = self.draws.push_row(ndarray::ArrayView1::from(x));
        self.stats.push(s);
    }
}

/// All chains of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct NutsRun {
    /// One trace per chain.
    pub chains: Vec<ChainTrace>,
    /// Wall-clock seconds of the sampling (all chains).
    pub seconds: f64,
    /// `completed`, or why the run stopped early.
    pub termination: String,
}

impl NutsRun {
    /// Draws per chain that every chain has (chains stopped early are cut to the shortest).
    pub fn n_draws(&self) -> usize {
        self.chains.iter().map(|c| c.stats.len()).min().unwrap_or(0)
    }

    /// Draws of coordinate `k`, per chain (cut to [`NutsRun::n_draws`]).
    pub fn coordinate(&self, k: usize) -> Vec<Vec<f64>> {
        let n = self.n_draws();
        self.chains
            .iter()
            .map(|c| c.draws.column(k).iter().take(n).copied().collect())
            .collect()
    }
}
