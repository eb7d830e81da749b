//! The parameter prior of Buck et al. (Table 1): independent Gaussians for the five galactic
//! parameters and a uniform birth time, with the variants the paper uses:
//!
//! | parameter | paper prior |
//! |---|---|
//! | `alpha_imf` | N(−2.3, 0.3) |
//! | `log10_n_ia` | N(−2.89, 0.3) |
//! | `log10_sfe` | N(−0.3, 0.3) |
//! | `log10_sfr_peak` | N(0.55, 0.1) |
//! | `x_out` | N(0.5, 0.1) |
//! | `birth_time` | U(1, 13.8) Gyr |
//!
//! (second number = standard deviation). Options: a uniform box of ±kσ around the means
//! instead of the Gaussians (k = 5 is the emulator's training box; `x_out` is clipped to its
//! domain [0, 1], so k = 5 gives U(0, 1)), another birth-time range (the NPE uses U(2, 12.8)),
//! and a lower truncation of `log10_sfr_peak` (CHEMPY's constraint `log10_sfr_peak > 0.294`),
//! which turns its Gaussian into a truncated Gaussian (or cuts its uniform box).
//!
//! The Gaussian on `x_out` extends beyond [0, 1] with probability 6e-7; such draws are
//! rejected by the simulator (`invalid:x_out`).

use crate::gce::PARAM_NAMES;
use crate::rng::stream;
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
        lower: f64,
        /// Upper bound (exclusive).
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

impl Marginal {
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
            } => normal_log_pdf(x, mean, std) - mass(mean, std, lower, upper).ln(),
            Marginal::Uniform { low, high } => -(high - low).ln(),
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
}

/// The prior over the six parameters ([`PARAM_NAMES`] order), stored as its configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prior {
    /// Means of the Gaussians of the five galactic parameters.
    pub means: [f64; 5],
    /// Standard deviations of the Gaussians.
    pub stds: [f64; 5],
    /// Replace the Gaussians by uniform boxes of ±k standard deviations.
    pub uniform_box: Option<f64>,
    /// Birth-time range (Gyr).
    pub birth_time: (f64, f64),
    /// Lower bound on `log10_sfr_peak`.
    pub sfr_peak_min: Option<f64>,
}

impl Default for Prior {
    fn default() -> Self {
        Self::paper()
    }
}

impl Prior {
    /// The prior of the paper's Table 1.
    pub fn paper() -> Self {
        Self {
            means: [-2.3, -2.89, -0.3, 0.55, 0.5],
            stds: [0.3, 0.3, 0.3, 0.1, 0.1],
            uniform_box: None,
            birth_time: (1.0, 13.8),
            sfr_peak_min: None,
        }
    }

    /// Uniform boxes of ±`k` σ around the means (`x_out` clipped to [0, 1]).
    pub fn uniform_box(mut self, k: f64) -> Self {
        self.uniform_box = Some(k);
        self
    }

    /// Birth time uniform in [`lo`, `hi`] Gyr.
    pub fn birth_range(mut self, lo: f64, hi: f64) -> Self {
        self.birth_time = (lo, hi);
        self
    }

    /// Restricts `log10_sfr_peak` to values above `lo` (0.294 in CHEMPY).
    pub fn truncate_sfr_peak(mut self, lo: f64) -> Self {
        self.sfr_peak_min = Some(lo);
        self
    }

    /// The six marginals.
    pub fn marginals(&self) -> [Marginal; 6] {
        let mut m = [Marginal::Uniform {
            low: self.birth_time.0,
            high: self.birth_time.1,
        }; 6];
        for (i, mi) in m.iter_mut().take(5).enumerate() {
            let (mean, std) = (self.means[i], self.stds[i]);
            *mi = match self.uniform_box {
                Some(k) => {
                    let (mut low, mut high) = (mean - k * std, mean + k * std);
                    if i == 4 {
                        low = low.max(0.0);
                        high = high.min(1.0);
                    }
                    Marginal::Uniform { low, high }
                }
                None => Marginal::Normal { mean, std },
            };
        }
        if let Some(lo) = self.sfr_peak_min {
            m[3] = match m[3] {
                Marginal::Uniform { low, high } => Marginal::Uniform {
                    low: low.max(lo),
                    high,
                },
                Marginal::Normal { mean, std } | Marginal::TruncatedNormal { mean, std, .. } => {
                    Marginal::TruncatedNormal {
                        mean,
                        std,
                        lower: lo,
                        upper: f64::INFINITY,
                    }
                }
            };
        }
        m
    }

    /// Parameter names with their marginals.
    pub fn describe(&self) -> Vec<(&'static str, Marginal)> {
        PARAM_NAMES.iter().copied().zip(self.marginals()).collect()
    }

    /// Whether `theta` lies in the support.
    pub fn in_support(&self, theta: &[f64; 6]) -> bool {
        self.marginals()
            .iter()
            .zip(theta)
            .all(|(m, &x)| m.contains(x))
    }

    /// Log density of `theta` (−∞ outside the support).
    pub fn log_prob(&self, theta: &[f64; 6]) -> f64 {
        self.marginals()
            .iter()
            .zip(theta)
            .map(|(m, &x)| m.log_prob(x))
            .sum()
    }

    /// `n` draws, shape (n, 6). Rows are drawn in chunks of [`SAMPLE_CHUNK`], chunk c from
    /// `rng::stream(seed, c)`, so the result is the same for any number of threads.
    pub fn sample(&self, n: usize, seed: u64) -> Array2<f64> {
        let marginals = self.marginals();
        let mut out = Array2::<f64>::zeros((n, 6));
        if let Some(flat) = out.as_slice_mut() {
            flat.par_chunks_mut(SAMPLE_CHUNK * 6)
                .enumerate()
                .for_each(|(c, rows)| {
                    let mut rng = stream(seed, c as u64);
                    for row in rows.chunks_mut(6) {
                        for (v, m) in row.iter_mut().zip(&marginals) {
                            *v = m.sample(&mut rng);
                        }
                    }
                });
        }
        out
    }
}

fn normal_log_pdf(x: f64, mean: f64, std: f64) -> f64 {
    let z = (x - mean) / std;
    -0.5 * z * z - std.ln() - 0.5 * (2.0 * std::f64::consts::PI).ln()
}

/// Standard normal CDF.
pub fn normal_cdf(z: f64) -> f64 {
    0.5 * libm::erfc(-z / std::f64::consts::SQRT_2)
}

/// Probability mass of N(mean, std) in (lower, upper).
fn mass(mean: f64, std: f64, lower: f64, upper: f64) -> f64 {
    let (a, b) = ((lower - mean) / std, (upper - mean) / std);
    if a > 0.0 {
        normal_cdf(-a) - normal_cdf(-b)
    } else {
        normal_cdf(b) - normal_cdf(a)
    }
}

/// Inverse CDF draw of a standard normal truncated to (a, b), from u ∈ [0, 1).
fn truncated_standard_normal(a: f64, b: f64, u: f64) -> f64 {
    if a > 0.0 {
        return -truncated_standard_normal(-b, -a, 1.0 - u);
    }
    let (pa, pb) = (normal_cdf(a), normal_cdf(b));
    let x = normal_quantile(pa + u * (pb - pa));
    x.clamp(a, b)
}

/// Standard normal quantile: Acklam's rational approximation refined by one Halley step
/// (relative accuracy ~1e-15).
pub fn normal_quantile(p: f64) -> f64 {
    if p <= 0.0 {
        return f64::NEG_INFINITY;
    }
    if p >= 1.0 {
        return f64::INFINITY;
    }
    const A: [f64; 6] = [
        -3.969683028665376e1,
        2.209460984245205e2,
        -2.759285104469687e2,
        1.383_577_518_672_69e2,
        -3.066479806614716e1,
        2.506628277459239,
    ];
    const B: [f64; 5] = [
        -5.447609879822406e1,
        1.615858368580409e2,
        -1.556989798598866e2,
        6.680131188771972e1,
        -1.328068155288572e1,
    ];
    const C: [f64; 6] = [
        -7.784894002430293e-3,
        -3.223964580411365e-1,
        -2.400758277161838,
        -2.549732539343734,
        4.374664141464968,
        2.938163982698783,
    ];
    const D: [f64; 4] = [
        7.784695709041462e-3,
        3.224671290700398e-1,
        2.445134137142996,
        3.754408661907416,
    ];
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    let x = if p < 0.02425 {
        tail((-2.0 * p.ln()).sqrt())
    } else if p > 1.0 - 0.02425 {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    };
    let e = normal_cdf(x) - p;
    let u = e * (2.0 * std::f64::consts::PI).sqrt() * (0.5 * x * x).exp();
    x - u / (1.0 + 0.5 * x * u)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column_moments(a: &Array2<f64>, j: usize) -> (f64, f64, f64, f64) {
        let c: Vec<f64> = a.column(j).to_vec();
        let n = c.len() as f64;
        let m = c.iter().sum::<f64>() / n;
        let v = c.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1.0);
        let lo = c.iter().cloned().fold(f64::INFINITY, f64::min);
        let hi = c.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        (m, v.sqrt(), lo, hi)
    }

    #[test]
    fn paper_prior_moments() {
        let p = Prior::paper();
        let s = p.sample(40_000, 7);
        assert_eq!(s.dim(), (40_000, 6));
        for j in 0..5 {
            let (m, sd, _, _) = column_moments(&s, j);
            let se = p.stds[j] / 200.0;
            assert!((m - p.means[j]).abs() < 4.0 * se, "{j}: mean {m}");
            assert!((sd / p.stds[j] - 1.0).abs() < 0.02, "{j}: std {sd}");
        }
        let (m, sd, lo, hi) = column_moments(&s, 5);
        assert!((m - 7.4).abs() < 0.05 && (sd - 12.8 / 12f64.sqrt()).abs() < 0.05);
        assert!(lo >= 1.0 && hi <= 13.8);
    }

    #[test]
    fn box_and_birth_range_are_respected() {
        let p = Prior::paper().uniform_box(5.0).birth_range(2.0, 12.8);
        let s = p.sample(20_000, 1);
        let m = p.marginals();
        assert_eq!(
            m[4],
            Marginal::Uniform {
                low: 0.0,
                high: 1.0
            }
        );
        let Marginal::Uniform { low, high } = m[0] else {
            panic!()
        };
        assert!((low + 3.8).abs() < 1e-12 && (high + 0.8).abs() < 1e-12);
        for (j, mj) in m.iter().enumerate() {
            let (_, _, lo, hi) = column_moments(&s, j);
            let Marginal::Uniform { low, high } = *mj else {
                panic!()
            };
            assert!(
                lo >= low && hi <= high && hi - lo > 0.99 * (high - low),
                "{j}"
            );
        }
        assert!(p.in_support(&[-2.0, -2.0, 0.0, 0.5, 0.5, 5.0]));
        assert!(!p.in_support(&[-4.0, -2.0, 0.0, 0.5, 0.5, 5.0]));
        assert!(!p.in_support(&[-2.0, -2.0, 0.0, 0.5, 0.5, 13.0]));
        let lp = p.log_prob(&[-2.0, -2.0, 0.0, 0.5, 0.5, 5.0]);
        let expected = -(3.0f64.ln() * 3.0 + 1.0f64.ln() * 2.0 + 10.8f64.ln());
        assert!((lp - expected).abs() < 1e-12, "{lp} {expected}");
        assert_eq!(
            p.log_prob(&[-4.0, -2.0, 0.0, 0.5, 0.5, 5.0]),
            f64::NEG_INFINITY
        );
    }

    #[test]
    fn truncated_sfr_peak() {
        let p = Prior::paper().truncate_sfr_peak(0.294);
        let s = p.sample(50_000, 3);
        let (m, sd, lo, _) = column_moments(&s, 3);
        assert!(lo > 0.294);
        // moments of N(0.55, 0.1) truncated below at 0.294 (a = -2.56)
        let a: f64 = -2.56;
        let phi = (-0.5 * a * a).exp() / (2.0 * std::f64::consts::PI).sqrt();
        let z = 1.0 - normal_cdf(a);
        let mean = 0.55 + 0.1 * phi / z;
        let var = 0.01 * (1.0 + a * phi / z - (phi / z).powi(2));
        assert!((m - mean).abs() < 0.002, "{m} {mean}");
        assert!((sd - var.sqrt()).abs() < 0.002, "{sd}");
        // the density integrates to 1 on the support
        let mg = p.marginals()[3];
        let (h, mut total) = (1e-4, 0.0);
        let mut x = 0.294 + h / 2.0;
        while x < 1.5 {
            total += mg.log_prob(x).exp() * h;
            x += h;
        }
        assert!((total - 1.0).abs() < 1e-6, "{total}");
        assert_eq!(mg.log_prob(0.29), f64::NEG_INFINITY);
        let b = Prior::paper()
            .uniform_box(5.0)
            .truncate_sfr_peak(0.294)
            .marginals()[3];
        assert_eq!(
            b,
            Marginal::Uniform {
                low: 0.294,
                high: 0.55 + 0.5
            }
        );
    }

    #[test]
    fn sampling_is_reproducible_and_thread_independent() {
        let p = Prior::paper().truncate_sfr_peak(0.294);
        let run = |threads| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| p.sample(10_000, 42))
        };
        assert_eq!(run(1), run(2));
        assert_ne!(p.sample(100, 42), p.sample(100, 43));
    }

    #[test]
    fn quantile_inverts_the_cdf() {
        for p in [1e-12, 1e-5, 0.01, 0.3, 0.5, 0.8, 0.999, 1.0 - 1e-9] {
            let x = normal_quantile(p);
            assert!((normal_cdf(x) / p - 1.0).abs() < 1e-12, "{p} {x}");
        }
    }

    #[test]
    fn serialises_its_configuration() {
        let p = Prior::paper().uniform_box(5.0).truncate_sfr_peak(0.294);
        let s = serde_json::to_string(&p).unwrap();
        let q: Prior = serde_json::from_str(&s).unwrap();
        assert_eq!(p, q);
        let d = p.describe();
        assert_eq!(d[5].0, "birth_time");
        assert_eq!(d[3].1.kind(), "uniform");
    }
}
