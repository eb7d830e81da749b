//! The posterior summary of one star: mean, standard deviation and quantiles of every
//! parameter, from its draws (equal or importance weighted, one convention for both: see
//! [`crate::stats::draws`]).

use crate::stats::{Draws, StatsError};
use serde::{Deserialize, Serialize};

/// Quantile levels of the per-star summaries: 2.5, 16, 50, 84, 97.5 %.
pub const SUMMARY_LEVELS: [f64; 5] = [0.025, 0.16, 0.5, 0.84, 0.975];

/// The posterior summary of one star.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StarSummary {
    /// Catalog row (0-based).
    pub row: usize,
    /// Row label, if given.
    pub label: Option<String>,
    /// Posterior mean of each parameter.
    pub mean: Vec<f64>,
    /// Posterior standard deviation of each parameter (n − 1, or the weighted analogue).
    pub sd: Vec<f64>,
    /// Per parameter the quantiles at [`SUMMARY_LEVELS`].
    pub quantiles: Vec<[f64; 5]>,
    /// Fraction of the sampler's proposals inside the prior support (1 without rejection).
    pub acceptance: f64,
    /// Effective sample size of the importance weights when the star was refined with a
    /// simulator (the summary is then of the weighted draws).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ess: Option<f64>,
    /// log p(x) of the star under the refining simulator (natural log; importance-sampling
    /// estimate), when the star was refined.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_evidence: Option<f64>,
}

/// The summary of catalog row `row` from its draws.
pub fn summarise(
    row: usize,
    label: Option<String>,
    draws: &Draws,
) -> Result<StarSummary, StatsError> {
    let s = draws.summary(&SUMMARY_LEVELS)?;
    Ok(StarSummary {
        row,
        label,
        mean: s.mean,
        sd: s.sd,
        quantiles: s
            .quantiles
            .iter()
            .map(|q| [q[0], q[1], q[2], q[3], q[4]])
            .collect(),
        acceptance: draws.acceptance().unwrap_or(1.0),
        ess: draws.is_weighted().then(|| draws.ess()),
        log_evidence: draws.log_evidence(),
    })
}
