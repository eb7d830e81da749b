//! Transforms from the sampler's unconstrained coordinates y ∈ ℝ to bounded parameters x,
//! with the log-Jacobians that keep the density right (PyMC's conventions):
//!
//! ```text
//! identity       x = y                                    log|dx/dy| = 0
//! lower bound    x = lo + eʸ                              log|dx/dy| = y
//! upper bound    x = hi − eʸ                              log|dx/dy| = y
//! interval       x = lo + (hi − lo)·σ(y),  σ = 1/(1+e⁻ʸ)  log|dx/dy| = ln(hi − lo) + ln σ(y) + ln(1 − σ(y))
//! ```
//!
//! A density p(x) in physical units becomes p(x(y))·|dx/dy| on ℝ, so the sampler never
//! leaves the support and a truncation costs nothing.

/// How one parameter maps to the real line.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Transform {
    /// Unbounded: x = y.
    Identity,
    /// Bounded below: x = lo + eʸ.
    Lower(f64),
    /// Bounded above: x = hi − eʸ.
    Upper(f64),
    /// Bounded on both sides: x = lo + (hi − lo)·σ(y).
    Interval(f64, f64),
}

/// x(y) with the derivative and the log-Jacobian.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Mapped {
    /// The physical value.
    pub x: f64,
    /// dx/dy.
    pub dx_dy: f64,
    /// ln |dx/dy|.
    pub log_jac: f64,
    /// d ln|dx/dy| / dy.
    pub dlog_jac_dy: f64,
}

impl Transform {
    /// The transform for the support [lo, hi] (either end may be infinite).
    pub fn for_bounds(lo: f64, hi: f64) -> Transform {
        match (lo.is_finite(), hi.is_finite()) {
            (true, true) => Transform::Interval(lo, hi),
            (true, false) => Transform::Lower(lo),
            (false, true) => Transform::Upper(hi),
            (false, false) => Transform::Identity,
        }
    }

    /// The physical support (lo, hi).
    pub fn bounds(&self) -> (f64, f64) {
        match *self {
            Transform::Identity => (f64::NEG_INFINITY, f64::INFINITY),
            Transform::Lower(lo) => (lo, f64::INFINITY),
            Transform::Upper(hi) => (f64::NEG_INFINITY, hi),
            Transform::Interval(lo, hi) => (lo, hi),
        }
    }

    /// x(y) and its derivatives.
    pub fn forward(&self, y: f64) -> Mapped {
        match *self {
            Transform::Identity => Mapped {
                x: y,
                dx_dy: 1.0,
                log_jac: 0.0,
                dlog_jac_dy: 0.0,
            },
            Transform::Lower(lo) => {
                let e = y.exp();
                Mapped {
                    x: lo + e,
                    dx_dy: e,
                    log_jac: y,
                    dlog_jac_dy: 1.0,
                }
            }
            Transform::Upper(hi) => {
                let e = y.exp();
                Mapped {
                    x: hi - e,
                    dx_dy: -e,
                    log_jac: y,
                    dlog_jac_dy: 1.0,
                }
            }
            Transform::Interval(lo, hi) => {
                let s = sigmoid(y);
                let w = hi - lo;
                // ln σ(y) + ln(1 − σ(y)) = −|y| − 2 ln(1 + e^−|y|), stable for large |y|
                let log_s1s = -y.abs() - 2.0 * (-y.abs()).exp().ln_1p();
                Mapped {
                    x: (lo + w * s).clamp(lo, hi),
                    dx_dy: w * s * (1.0 - s),
                    log_jac: w.ln() + log_s1s,
                    dlog_jac_dy: 1.0 - 2.0 * s,
                }
            }
        }
    }

    /// y(x) for x strictly inside the support (values on or outside a bound are moved
    /// inside by 10⁻⁹ of the width, or 10⁻⁹ for a one-sided bound).
    pub fn inverse(&self, x: f64) -> f64 {
        match *self {
            Transform::Identity => x,
            Transform::Lower(lo) => (x - lo).max(1e-9).ln(),
            Transform::Upper(hi) => (hi - x).max(1e-9).ln(),
            Transform::Interval(lo, hi) => {
                let eps = 1e-9 * (hi - lo);
                let x = x.clamp(lo + eps, hi - eps);
                ((x - lo) / (hi - x)).ln()
            }
        }
    }
}

/// The logistic function 1/(1 + e⁻ʸ), stable for large |y|.
pub fn sigmoid(y: f64) -> f64 {
    if y >= 0.0 {
        1.0 / (1.0 + (-y).exp())
    } else {
        let e = y.exp();
        e / (1.0 + e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derivatives_match_finite_differences_and_inverse_round_trips() {
        let h = 1e-6;
        for t in [
            Transform::Identity,
            Transform::Lower(0.294),
            Transform::Interval(1.0, 13.8),
            Transform::for_bounds(0.0, 1.0),
            Transform::for_bounds(f64::NEG_INFINITY, 2.0),
        ] {
            for y in [-3.0, -0.4, 0.0, 0.7, 2.5] {
                let m = t.forward(y);
                let (u, d) = (t.forward(y + h), t.forward(y - h));
                assert!(((u.x - d.x) / (2.0 * h) - m.dx_dy).abs() < 1e-6);
                assert!((m.dx_dy.abs().ln() - m.log_jac).abs() < 1e-9, "{t:?} {y}");
                assert!(((u.log_jac - d.log_jac) / (2.0 * h) - m.dlog_jac_dy).abs() < 1e-6);
                assert!((t.inverse(m.x) - y).abs() < 1e-6, "{t:?} {y}");
            }
        }
        // far out in the tails the log-Jacobian stays finite
        let far = Transform::Interval(0.0, 1.0).forward(800.0);
        assert!(far.log_jac.is_finite() && far.x == 1.0);
        assert_eq!(
            Transform::for_bounds(f64::NEG_INFINITY, f64::INFINITY),
            Transform::Identity
        );
    }
}
