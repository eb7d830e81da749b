//! One coordinate of the hierarchical model: its prior in physical units and the transform
//! that maps it to the real line.
//!
//! A normal prior cut to [lo, hi] is a truncated normal; its normaliser is dropped because
//! the mean, the width and the bounds are fixed (data, never sampled). A uniform prior is
//! constant on its interval.

use super::transform::{Mapped, Transform};
use crate::model::Marginal;

/// The prior of one coordinate, in physical units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CoordPrior {
    /// N(mean, sd²), cut to the transform's support.
    Normal {
        /// Mean.
        mean: f64,
        /// Standard deviation (> 0).
        sd: f64,
    },
    /// Uniform over the transform's support (which must be bounded).
    Uniform,
}

/// A prior with its transform.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Coord {
    /// The prior.
    pub prior: CoordPrior,
    /// The map from the real line to the support.
    pub transform: Transform,
}

/// One coordinate evaluated at an unconstrained position.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CoordValue {
    /// The physical value x(y).
    pub x: f64,
    /// dx/dy.
    pub dx_dy: f64,
    /// log p(x) + ln|dx/dy| (up to a constant).
    pub log_density: f64,
    /// The derivative of `log_density` with respect to y, without the likelihood.
    pub grad: f64,
}

impl Coord {
    /// A normal prior on [lo, hi].
    pub fn normal(mean: f64, sd: f64, lo: f64, hi: f64) -> Coord {
        Coord {
            prior: CoordPrior::Normal { mean, sd },
            transform: Transform::for_bounds(lo, hi),
        }
    }

    /// A uniform prior on [lo, hi] (both finite).
    pub fn uniform(lo: f64, hi: f64) -> Coord {
        Coord {
            prior: CoordPrior::Uniform,
            transform: Transform::Interval(lo, hi),
        }
    }

    /// The coordinate of a prior marginal cut to `bounds` (a parameter's domain, e.g.
    /// x_out ∈ [0, 1]); `None` for a uniform marginal whose support is unbounded.
    pub fn from_marginal(m: &Marginal, bounds: Option<(f64, f64)>) -> Option<Coord> {
        let (blo, bhi) = bounds.unwrap_or((f64::NEG_INFINITY, f64::INFINITY));
        Some(match *m {
            Marginal::Normal { mean, std } => Coord::normal(mean, std, blo, bhi),
            Marginal::TruncatedNormal {
                mean,
                std,
                lower,
                upper,
            } => Coord::normal(mean, std, lower.max(blo), upper.min(bhi)),
            Marginal::Uniform { low, high } => {
                let (lo, hi) = (low.max(blo), high.min(bhi));
                if !(lo.is_finite() && hi.is_finite() && lo < hi) {
                    return None;
                }
                Coord::uniform(lo, hi)
            }
        })
    }

    /// The value, prior density and gradient at the unconstrained `y`.
    pub fn eval(&self, y: f64) -> CoordValue {
        let Mapped {
            x,
            dx_dy,
            log_jac,
            dlog_jac_dy,
        } = self.transform.forward(y);
        let (lp, dlp_dx) = match self.prior {
            CoordPrior::Normal { mean, sd } => {
                let z = (x - mean) / sd;
                (-0.5 * z * z, -z / sd)
            }
            CoordPrior::Uniform => (0.0, 0.0),
        };
        CoordValue {
            x,
            dx_dy,
            log_density: lp + log_jac,
            grad: dlp_dx * dx_dy + dlog_jac_dy,
        }
    }

    /// A typical physical value: the prior mean moved inside the support, or the middle
    /// of a uniform's interval.
    pub fn typical(&self) -> f64 {
        let (lo, hi) = self.transform.bounds();
        match self.prior {
            CoordPrior::Normal { mean, sd } => {
                let pad = 0.01 * sd;
                if lo.is_finite() && hi.is_finite() {
                    mean.clamp(
                        lo + pad.min(0.25 * (hi - lo)),
                        hi - pad.min(0.25 * (hi - lo)),
                    )
                } else {
                    mean.clamp(lo + pad, hi - pad)
                }
            }
            CoordPrior::Uniform => 0.5 * (lo + hi),
        }
    }

    /// The prior's scale in physical units (its sd, or a uniform's sd).
    pub fn scale(&self) -> f64 {
        match self.prior {
            CoordPrior::Normal { sd, .. } => sd,
            CoordPrior::Uniform => {
                let (lo, hi) = self.transform.bounds();
                (hi - lo) / 12f64.sqrt()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gradient_of_the_transformed_prior() {
        let h = 1e-6;
        for c in [
            Coord::normal(0.55, 0.1, 0.294, f64::INFINITY),
            Coord::normal(0.5, 0.1, 0.0, 1.0),
            Coord::normal(-2.3, 0.3, f64::NEG_INFINITY, f64::INFINITY),
            Coord::uniform(1.0, 13.8),
        ] {
            for y in [-1.5, 0.2, 1.9] {
                let v = c.eval(y);
                let fd = (c.eval(y + h).log_density - c.eval(y - h).log_density) / (2.0 * h);
                assert!(
                    (fd - v.grad).abs() < 1e-6,
                    "{c:?} at {y}: {fd} vs {}",
                    v.grad
                );
            }
            let t = c.typical();
            let (lo, hi) = c.transform.bounds();
            assert!(t > lo && t < hi);
        }
        let m = Marginal::Uniform {
            low: 1.0,
            high: 13.8,
        };
        assert_eq!(
            Coord::from_marginal(&m, Some((0.0, 13.8))),
            Some(Coord::uniform(1.0, 13.8))
        );
    }
}
