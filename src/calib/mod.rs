//! Calibration diagnostics: do a posterior's uncertainties mean what they say? (Paper §2.3
//! and Appendix B, Fig. A.2; what the reference code computes is in
//! `spec-reference-pipeline.md` A.4.)
//!
//! Every diagnostic works on any [`crate::model::Posterior`] (the flow, the refined
//! posterior, HMC, the closed-form [`crate::model::GaussianPosterior`]) and any
//! [`crate::model::Simulator`]:
//!
//! - [`run`]: θ* from the prior, x = simulator(θ*) + noise, posterior draws for each x, and
//!   per simulation the ranks of θ*, moments, the density rank and TARP levels
//!   ([`Calibration`]); deterministic from the seed and shardable by simulation index;
//! - [`shard`]: shard `i/n` of a run as a partial file, and their merge into the
//!   calibration file of the single-process run, byte for byte;
//! - [`sbc`]: simulation-based calibration (Talts et al. 2018): rank histograms with a
//!   binomial band, ECDF differences with a simultaneous band, KS and χ² p-values, the
//!   data-averaged posterior against the prior;
//! - [`tarp`]: tests of accuracy with random points (Lemos et al. 2023): expected coverage
//!   against credibility, ATC, KS p-value, a bootstrap band;
//! - [`coverage`]: expected coverage of marginal central intervals and joint highest-density
//!   regions (Hermans et al. 2022);
//! - [`ppc`]: posterior predictive checks of a catalog with the simulator and each star's
//!   errors, sampled-posterior p-values (Johnson 2007) and out-of-training flags;
//! - [`lc2st`]: the local classifier two-sample test at one observation (Linhart et al.
//!   2023) with galchem's own MLP;
//! - [`mock`]: mock catalogs from any simulator (well- or mis-specified);
//! - [`dist`]: the KS, χ² and binomial distributions behind the p-values and bands.
//!
//! Where the reference code (sbi 0.23.1) differs from the statistically correct version,
//! the correct one is the default and the reference is [`Convention::Paper`].

pub mod coverage;
pub mod dist;
mod error;
pub mod floor;
pub mod galaxy;
pub mod lc2st;
pub mod mock;
pub mod ppc;
pub mod record;
pub mod run;
pub mod sbc;
pub mod shard;
pub mod tarp;
pub mod truths;

pub use coverage::{coverage, CoverageOptions, CoverageResult};
pub use error::CalibError;
pub use floor::{apply_floor, estimate_floor, SystematicFloor};
pub use galaxy::{
    galaxy_calibration, GalaxyMethod, GalaxyModels, GalaxyOptions, GalaxyRecord, GalaxyRun,
};
pub use lc2st::{lc2st, Lc2stOptions, Lc2stResult};
pub use mock::{mock_catalog, mock_stars, MockOptions, MockStars};
pub use ppc::{ppc, PpcOptions, PpcResult};
pub use record::{SimRecord, SimStats};
pub use run::{run, Calibration, RunOptions};
pub use sbc::{sbc, SbcOptions, SbcResult};
pub use shard::{calibrate_shard, merge_calibration, CalibPart, CalibShard, CALIBRATION_FORMAT};
pub use tarp::{tarp, TarpOptions, TarpResult};

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Which version of a diagnostic: the corrected default or the reference code's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Convention {
    /// The statistically correct version (TARP: references in the normalised space, ECP on
    /// [0, 1], ATC with the bin width, KS of the credibility levels against U(0, 1); SBC:
    /// histogram over all ranks with the band of its expected count).
    #[default]
    Default,
    /// sbi 0.23.1 as the paper ran it (spec A.4.3–A.4.4).
    Paper,
}

impl Convention {
    /// `"default"` or `"paper"`.
    pub fn name(self) -> &'static str {
        match self {
            Convention::Default => "default",
            Convention::Paper => "paper",
        }
    }
}

impl fmt::Display for Convention {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Convention {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "default" => Ok(Convention::Default),
            "paper" => Ok(Convention::Paper),
            _ => Err(format!(
                "unknown convention '{s}': use \"default\" or \"paper\""
            )),
        }
    }
}
