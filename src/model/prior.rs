//! Priors: independent one-dimensional marginals over the parameters of a [`ParamSpace`].
//!
//! The paper's prior (Buck et al., Table 1) over the six CHEMPY parameters is
//! `Prior::paper()` (defined with the simulator, in [`crate::gce::inference`]). Its
//! variants: a uniform box of ±kσ around the Gaussian means ([`Prior::uniform_box`];
//! bounded parameters are cut to their bounds), another birth-time range
//! ([`Prior::birth_range`]), and a lower truncation of `log10_sfr_peak`
//! ([`Prior::truncate_sfr_peak`]). The builders commute: a box and a truncation give the same
//! prior in either order.

use super::space::ParamSpace;
use crate::error::{OptionError, ShapeError};
use crate::rng::stream;
use crate::stats::special::{normal_log_pdf, normal_mass, truncated_standard_normal};
use ndarray::Array2;
use rand::Rng;
use rand_distr::StandardNormal;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Rows drawn per random stream (fixed, so samples do not depend on the thread count).
pub const SAMPLE_CHUNK: usize = 4096;

/// The one-dimensional distribution of one parameter.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Marginal {
    /// Gaussian with mean and standard deviation.
    Normal {
        /// Mean.
        mean: f64,
        /// Standard deviation.
        std: f64,
    },
    /// Gaussian restricted to (`lower`, `upper`) (either may be infinite) and renormalised.
    TruncatedNormal {
        /// Mean of the untruncated Gaussian.
        mean: f64,
        /// Standard deviation of the untruncated Gaussian.
        std: f64,
        /// Lower bound (exclusive).
        #[serde(with = "bound")]
        lower: f64,
        /// Upper bound (exclusive).
        #[serde(with = "bound")]
        upper: f64,
    },
    /// Uniform on [`low`, `high`].
    Uniform {
        /// Lower bound.
        low: f64,
        /// Upper bound.
        high: f64,
    },
}

/// Infinite bounds as `null` in JSON (which has no infinity): −∞ for a lower bound read
/// back as `null` cannot be told from +∞, so `null` means "unbounded on that side".
mod bound {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        if v.is_finite() {
            s.serialize_f64(*v)
        } else {
            s.serialize_none()
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
    }
}

impl Marginal {
    /// The same marginal with a Gaussian standard deviation multiplied by `factor` (a
    /// uniform is unchanged).
    pub fn widened(self, factor: f64) -> Marginal {
        match self {
            Marginal::Normal { mean, std } => Marginal::Normal {
                mean,
                std: std * factor,
            },
            Marginal::TruncatedNormal {
                mean,
                std,
                lower,
                upper,
            } => Marginal::TruncatedNormal {
                mean,
                std: std * factor,
                lower,
                upper,
            },
            other => other,
        }
    }

    /// "normal", "truncated_normal" or "uniform".
    pub fn kind(&self) -> &'static str {
        match self {
            Marginal::Normal { .. } => "normal",
            Marginal::TruncatedNormal { .. } => "truncated_normal",
            Marginal::Uniform { .. } => "uniform",
        }
    }

    /// The parameters as (name, value) pairs, for printing.
    pub fn parameters(&self) -> Vec<(&'static str, f64)> {
        match *self {
            Marginal::Normal { mean, std } => vec![("mean", mean), ("std", std)],
            Marginal::TruncatedNormal {
                mean,
                std,
                lower,
                upper,
            } => vec![
                ("mean", mean),
                ("std", std),
                ("lower", lower),
                ("upper", upper),
            ],
            Marginal::Uniform { low, high } => vec![("low", low), ("high", high)],
        }
    }

    /// Whether `x` is in the support.
    pub fn contains(&self, x: f64) -> bool {
        match *self {
            Marginal::Normal { .. } => x.is_finite(),
            Marginal::TruncatedNormal { lower, upper, .. } => x > lower && x < upper,
            Marginal::Uniform { low, high } => x >= low && x <= high,
        }
    }

    /// Log density at `x` (−∞ outside the support).
    pub fn log_prob(&self, x: f64) -> f64 {
        if !self.contains(x) {
            return f64::NEG_INFINITY;
        }
        match *self {
            Marginal::Normal { mean, std } => normal_log_pdf(x, mean, std),
            Marginal::TruncatedNormal {
                mean,
                std,
                lower,
                upper,
            } => normal_log_pdf(x, mean, std) - normal_mass(mean, std, lower, upper).ln(),
            Marginal::Uniform { low, high } => -(high - low).ln(),
        }
    }

    /// d log p / dx inside the support (0 for a uniform).
    pub fn grad_log_prob(&self, x: f64) -> f64 {
        match *self {
            Marginal::Normal { mean, std } | Marginal::TruncatedNormal { mean, std, .. } => {
                -(x - mean) / (std * std)
            }
            Marginal::Uniform { .. } => 0.0,
        }
    }

    /// A scale of the distribution: the standard deviation of a Gaussian (of the untruncated
    /// one for a truncated Gaussian, an upper bound), (high − low)/√12 for a uniform.
    pub fn sd(&self) -> f64 {
        match *self {
            Marginal::Normal { std, .. } | Marginal::TruncatedNormal { std, .. } => std,
            Marginal::Uniform { low, high } => (high - low) / 12f64.sqrt(),
        }
    }

    /// Mean and standard deviation if the marginal is an (untruncated) Gaussian.
    pub fn as_normal(&self) -> Option<(f64, f64)> {
        match *self {
            Marginal::Normal { mean, std } => Some((mean, std)),
            _ => None,
        }
    }

    /// One draw.
    pub fn sample<R: Rng>(&self, rng: &mut R) -> f64 {
        match *self {
            Marginal::Normal { mean, std } => {
                let z: f64 = rng.sample(StandardNormal);
                mean + std * z
            }
            Marginal::TruncatedNormal {
                mean,
                std,
                lower,
                upper,
            } => {
                let (a, b) = ((lower - mean) / std, (upper - mean) / std);
                mean + std * truncated_standard_normal(a, b, rng.gen::<f64>())
            }
            Marginal::Uniform { low, high } => low + (high - low) * rng.gen::<f64>(),
        }
    }

    /// A uniform box of ±`k` standard deviations around the mean, cut to (`lo`, `hi`) and to
    /// a truncation's bounds; a uniform stays as it is.
    fn boxed(self, k: f64, (lo, hi): (f64, f64)) -> Marginal {
        match self {
            Marginal::Normal { mean, std } => Marginal::Uniform {
                low: (mean - k * std).max(lo),
                high: (mean + k * std).min(hi),
            },
            Marginal::TruncatedNormal {
                mean,
                std,
                lower,
                upper,
            } => Marginal::Uniform {
                low: (mean - k * std).max(lo).max(lower),
                high: (mean + k * std).min(hi).min(upper),
            },
            u => u,
        }
    }

    /// The marginal restricted to values above `lo`.
    fn truncated_below(self, lo: f64) -> Marginal {
        match self {
            Marginal::Uniform { low, high } => Marginal::Uniform {
                low: low.max(lo),
                high,
            },
            Marginal::Normal { mean, std } => Marginal::TruncatedNormal {
                mean,
                std,
                lower: lo,
                upper: f64::INFINITY,
            },
            Marginal::TruncatedNormal {
                mean,
                std,
                lower,
                upper,
            } => Marginal::TruncatedNormal {
                mean,
                std,
                lower: lower.max(lo),
                upper,
            },
        }
    }

    fn check(&self) -> Result<(), String> {
        let ok = match *self {
            Marginal::Normal { mean, std } => mean.is_finite() && std.is_finite() && std > 0.0,
            Marginal::TruncatedNormal {
                mean,
                std,
                lower,
                upper,
            } => {
                mean.is_finite()
                    && std.is_finite()
                    && std > 0.0
                    && !lower.is_nan()
                    && !upper.is_nan()
                    && lower < upper
            }
            Marginal::Uniform { low, high } => low.is_finite() && high.is_finite() && low < high,
        };
        if ok {
            Ok(())
        } else {
            Err(format!("{self:?} is not a proper distribution"))
        }
    }
}

/// A prior: one independent marginal per parameter of a space.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "PriorRepr", into = "PriorRepr")]
pub struct Prior {
    space: ParamSpace,
    marginals: Vec<Marginal>,
}

impl Default for Prior {
    fn default() -> Self {
        Self::paper()
    }
}

impl Prior {
    /// A prior with one marginal per parameter of `space`.
    pub fn new(space: ParamSpace, marginals: Vec<Marginal>) -> Result<Self, OptionError> {
        if marginals.len() != space.dim() {
            return Err(OptionError::new(
                "marginals",
                marginals.len(),
                format!("one per parameter is needed ({})", space.names().join(", ")),
            ));
        }
        for (m, name) in marginals.iter().zip(space.names()) {
            m.check().map_err(|e| OptionError::new(name, m.kind(), e))?;
        }
        Ok(Prior { space, marginals })
    }

    /// Uniform boxes of ±`k` σ around the Gaussian means, cut to the parameters' bounds
    /// (CHEMPY's `x_out` to [0, 1]).
    pub fn uniform_box(mut self, k: f64) -> Self {
        for (m, p) in self.marginals.iter_mut().zip(self.space.params()) {
            let bounds = p.bounds.unwrap_or((f64::NEG_INFINITY, f64::INFINITY));
            *m = m.boxed(k, bounds);
        }
        self
    }

    /// Birth time uniform in [`lo`, `hi`] Gyr (no change if the space has no birth time).
    pub fn birth_range(mut self, lo: f64, hi: f64) -> Self {
        if let Some(i) = self.space.index_of("birth_time") {
            self.marginals[i] = Marginal::Uniform { low: lo, high: hi };
        }
        self
    }

    /// Restricts `log10_sfr_peak` to values above `lo` (0.294 in CHEMPY).
    pub fn truncate_sfr_peak(mut self, lo: f64) -> Self {
        if let Some(i) = self.space.index_of("log10_sfr_peak") {
            self.marginals[i] = self.marginals[i].truncated_below(lo);
        }
        self
    }

    /// The parameter space.
    pub fn space(&self) -> &ParamSpace {
        &self.space
    }

    /// Number of parameters.
    pub fn dim(&self) -> usize {
        self.marginals.len()
    }

    /// The marginals, in parameter order.
    pub fn marginals(&self) -> &[Marginal] {
        &self.marginals
    }

    /// Parameter names with their marginals.
    pub fn describe(&self) -> Vec<(&str, Marginal)> {
        self.space
            .names()
            .into_iter()
            .zip(self.marginals.iter().copied())
            .collect()
    }

    /// The prior of the parameters at `indices` (a marginal prior, e.g. of the global
    /// parameters).
    pub fn marginal(&self, indices: &[usize]) -> Result<Prior, ShapeError> {
        let space = self.space.subspace(indices)?;
        Ok(Prior {
            space,
            marginals: indices.iter().map(|&i| self.marginals[i]).collect(),
        })
    }

    /// Whether `theta` (one value per parameter) lies in the support.
    pub fn in_support(&self, theta: &[f64]) -> bool {
        theta.len() == self.dim()
            && self
                .marginals
                .iter()
                .zip(theta)
                .all(|(m, &x)| m.contains(x))
    }

    /// Log density of `theta` (−∞ outside the support or for the wrong length).
    pub fn log_prob(&self, theta: &[f64]) -> f64 {
        if theta.len() != self.dim() {
            return f64::NEG_INFINITY;
        }
        self.marginals
            .iter()
            .zip(theta)
            .map(|(m, &x)| m.log_prob(x))
            .sum()
    }

    /// Adds ∇ log p(θ) to `grad` (same length as θ; inside the support).
    pub fn add_grad_log_prob(&self, theta: &[f64], grad: &mut [f64]) {
        for ((g, m), &x) in grad.iter_mut().zip(&self.marginals).zip(theta) {
            *g += m.grad_log_prob(x);
        }
    }

    /// The means and standard deviations of the global parameters, if all of them have
    /// (untruncated) Gaussian marginals: the prior that Gaussian combinations divide out.
    pub fn global_gaussian(&self) -> Option<(Vec<f64>, Vec<f64>)> {
        let g = self.space.global_indices();
        if g.is_empty() {
            return None;
        }
        let pairs: Option<Vec<(f64, f64)>> =
            g.iter().map(|&i| self.marginals[i].as_normal()).collect();
        let pairs = pairs?;
        Some(pairs.into_iter().unzip())
    }

    /// The first `rows` (≤ [`SAMPLE_CHUNK`]) draws of chunk `chunk` of [`Prior::sample`]:
    /// rows `chunk·SAMPLE_CHUNK …` of `sample(n, seed)` for any `n` past them, shape
    /// `(rows, dim)`.
    pub fn sample_chunk(&self, chunk: usize, rows: usize, seed: u64) -> Array2<f64> {
        let mut out = Array2::<f64>::zeros((rows.min(SAMPLE_CHUNK), self.dim()));
        if let Some(flat) = out.as_slice_mut() {
            self.fill_chunk(flat, seed, chunk);
        }
        out
    }

    /// Fills the rows of `flat` (row-major, `dim` values a row) with chunk `chunk`'s draws.
    fn fill_chunk(&self, flat: &mut [f64], seed: u64, chunk: usize) {
        let mut rng = stream(seed, chunk as u64);
        for row in flat.chunks_mut(self.dim()) {
            for (v, m) in row.iter_mut().zip(&self.marginals) {
                *v = m.sample(&mut rng);
            }
        }
    }

    /// `n` draws, shape `(n, dim)`. Rows are drawn in chunks of [`SAMPLE_CHUNK`], chunk c
    /// from `rng::stream(seed, c)`, so the result is the same for any number of threads.
    pub fn sample(&self, n: usize, seed: u64) -> Array2<f64> {
        let d = self.dim();
        let mut out = Array2::<f64>::zeros((n, d));
        if let Some(flat) = out.as_slice_mut() {
            flat.par_chunks_mut(SAMPLE_CHUNK * d)
                .enumerate()
                .for_each(|(c, rows)| self.fill_chunk(rows, seed, c));
        }
        out
    }
}

/// How a prior is stored: its parameters with their marginals.
#[derive(Serialize, Deserialize)]
struct PriorRepr {
    space: ParamSpace,
    marginals: Vec<Marginal>,
}

impl TryFrom<PriorRepr> for Prior {
    type Error = String;
    fn try_from(r: PriorRepr) -> Result<Self, String> {
        let marginals = r
            .marginals
            .into_iter()
            .map(|m| match m {
                // null bounds (JSON has no infinity) are unbounded sides
                Marginal::TruncatedNormal {
                    mean,
                    std,
                    lower,
                    upper,
                } => Marginal::TruncatedNormal {
                    mean,
                    std,
                    lower: if lower.is_nan() {
                        f64::NEG_INFINITY
                    } else {
                        lower
                    },
                    upper: if upper.is_nan() { f64::INFINITY } else { upper },
                },
                m => m,
            })
            .collect();
        Prior::new(r.space, marginals).map_err(|e| e.to_string())
    }
}

impl From<Prior> for PriorRepr {
    fn from(p: Prior) -> Self {
        PriorRepr {
            space: p.space,
            marginals: p.marginals,
        }
    }
}
