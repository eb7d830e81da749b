//! Expected coverage: the fraction of simulations whose θ* lies inside the posterior's
//! credible region of level γ, against γ (Hermans et al. 2022). Calibrated: on the
//! diagonal; above: conservative (too wide); below: over-confident.
//!
//! - **marginal** per parameter: the central interval of the draws. With u = (r + ½)/(L + 1)
//!   from θ*'s rank r among L draws, θ* is inside iff |u − ½| ≤ γ/2;
//! - **joint**: the highest-density region, through the posterior's log density: with h the
//!   weight of the draws whose density exceeds θ*'s, θ* is inside iff (L·h + ½)/(L + 1) ≤ γ.
//!   A posterior without a density uses the draws' Gaussian fit (Mahalanobis distance)
//!   instead, and says so;
//! - **global**: the same for the global parameters alone, their joint region from the
//!   Gaussian fit of their draws.

use super::error::CalibError;
use super::record::SimStats;
use super::run::Calibration;
use serde::{Deserialize, Serialize};

/// The credibility levels 0.05, 0.10, …, 0.95 and 0.68, ascending.
pub fn default_levels() -> Vec<f64> {
    let mut v: Vec<f64> = (1..=19).map(|k| k as f64 * 0.05).collect();
    v.push(0.68);
    v.sort_by(f64::total_cmp);
    v
}

/// Settings of the coverage summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CoverageOptions {
    /// Credibility levels in (0, 1).
    pub levels: Vec<f64>,
}

impl Default for CoverageOptions {
    fn default() -> Self {
        CoverageOptions {
            levels: default_levels(),
        }
    }
}

/// The result of the coverage test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CoverageResult {
    /// Parameter names.
    pub names: Vec<String>,
    /// Credibility levels.
    pub levels: Vec<f64>,
    /// Per parameter the coverage at each level.
    pub marginal: Vec<Vec<f64>>,
    /// The joint coverage at each level, and how the joint region was found (`log_prob`
    /// or `gaussian`).
    pub joint: Vec<f64>,
    pub joint_method: String,
    /// Names of the global parameters and the coverage of their joint region.
    pub global_names: Vec<String>,
    pub joint_global: Vec<f64>,
    /// The binomial standard error of a coverage at each level, √(γ(1 − γ)/n).
    pub stderr: Vec<f64>,
    /// Usable simulations.
    pub n: usize,
}

impl CoverageResult {
    /// The coverage of parameter `name` (or `"joint"`, `"joint_global"`) at `level`.
    pub fn at(&self, name: &str, level: f64) -> Option<f64> {
        let i = self.levels.iter().position(|l| (l - level).abs() < 1e-9)?;
        match name {
            "joint" => self.joint.get(i).copied(),
            "joint_global" => self.joint_global.get(i).copied(),
            _ => {
                let j = self.names.iter().position(|n| n == name)?;
                Some(self.marginal[j][i])
            }
        }
    }
}

/// Coverage of a calibration run.
pub fn coverage(cal: &Calibration, opts: &CoverageOptions) -> Result<CoverageResult, CalibError> {
    if let Some(l) = opts.levels.iter().find(|l| !(**l > 0.0 && **l < 1.0)) {
        return Err(CalibError::option(
            "levels",
            l,
            "every level must be in (0, 1)",
        ));
    }
    let stats: Vec<&SimStats> = cal.usable().map(|(_, s)| s).collect();
    let n = stats.len();
    if n < 2 {
        return Err(CalibError::TooFew {
            what: "coverage (usable simulations)".into(),
            found: n,
            needed: 2,
        });
    }
    let l = cal.samples as f64;
    let u = |r: f64| (r + 0.5) / (l + 1.0);
    let frac = |inside: &dyn Fn(&SimStats, f64) -> bool, g: f64| -> f64 {
        stats.iter().filter(|s| inside(s, g)).count() as f64 / n as f64
    };
    let levels = opts.levels.clone();
    let marginal = (0..cal.names.len())
        .map(|j| {
            levels
                .iter()
                .map(|&g| frac(&|s, g| (u(s.ranks[j]) - 0.5).abs() <= g / 2.0, g))
                .collect()
        })
        .collect();
    let use_density = stats.iter().all(|s| s.hpd.is_some_and(f64::is_finite));
    let joint = levels
        .iter()
        .map(|&g| {
            frac(
                &|s, g| {
                    let h = if use_density {
                        s.hpd.unwrap_or(f64::NAN)
                    } else {
                        s.gauss
                    };
                    u(l * h) <= g
                },
                g,
            )
        })
        .collect();
    let joint_global = levels
        .iter()
        .map(|&g| frac(&|s, g| u(l * s.gauss_global) <= g, g))
        .collect();
    Ok(CoverageResult {
        names: cal.names.clone(),
        stderr: levels
            .iter()
            .map(|g| (g * (1.0 - g) / n as f64).sqrt())
            .collect(),
        levels,
        marginal,
        joint,
        joint_method: if use_density { "log_prob" } else { "gaussian" }.into(),
        global_names: cal.globals.iter().map(|&j| cal.names[j].clone()).collect(),
        joint_global,
        n,
    })
}
