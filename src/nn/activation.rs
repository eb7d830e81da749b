//! Element-wise activation functions and their derivatives.
//!
//! Every derivative used in back-propagation is written in terms of the activation's
//! **output** y = f(z), so a network only keeps its post-activation buffers:
//! identity 1; tanh 1 − y²; ReLU 1 if y > 0 else 0; softplus 1 − e^−y (because σ(z) = 1 − e^−softplus(z)).

use super::fastmath;
use crate::error::Vocabulary;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// An element-wise activation function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Activation {
    /// f(z) = z.
    Identity,
    /// f(z) = tanh z (the fast f32 [`fastmath::tanh`]).
    #[default]
    Tanh,
    /// f(z) = max(z, 0).
    Relu,
    /// f(z) = ln(1 + eᶻ).
    Softplus,
}

impl Activation {
    /// All activations, for option parsing and help texts.
    pub const ALL: [Activation; 4] = [
        Activation::Identity,
        Activation::Tanh,
        Activation::Relu,
        Activation::Softplus,
    ];

    /// The lower-case name (`"tanh"`, …), as accepted by [`FromStr`].
    pub fn name(self) -> &'static str {
        match self {
            Activation::Identity => "identity",
            Activation::Tanh => "tanh",
            Activation::Relu => "relu",
            Activation::Softplus => "softplus",
        }
    }

    /// f(z) in f32.
    #[inline]
    pub fn eval(self, z: f32) -> f32 {
        match self {
            Activation::Identity => z,
            Activation::Tanh => fastmath::tanh(z),
            Activation::Relu => z.max(0.0),
            Activation::Softplus => fastmath::softplus(z),
        }
    }

    /// f'(z) expressed through the output y = f(z).
    #[inline]
    pub fn derivative_from_output(self, y: f32) -> f32 {
        match self {
            Activation::Identity => 1.0,
            Activation::Tanh => 1.0 - y * y,
            Activation::Relu => {
                if y > 0.0 {
                    1.0
                } else {
                    0.0
                }
            }
            Activation::Softplus => -(-y).exp_m1(),
        }
    }

    /// f(z) in f64 (reference implementation, used by tests and f64 code paths).
    pub fn eval_f64(self, z: f64) -> f64 {
        match self {
            Activation::Identity => z,
            Activation::Tanh => z.tanh(),
            Activation::Relu => z.max(0.0),
            Activation::Softplus => fastmath::softplus_f64(z),
        }
    }

    /// f'(z) in f64 (reference implementation).
    pub fn derivative_f64(self, z: f64) -> f64 {
        match self {
            Activation::Identity => 1.0,
            Activation::Tanh => 1.0 - z.tanh().powi(2),
            Activation::Relu => {
                if z > 0.0 {
                    1.0
                } else {
                    0.0
                }
            }
            Activation::Softplus => fastmath::sigmoid_f64(z),
        }
    }

    /// Replaces every pre-activation z in `v` by f(z) (vectorised for tanh and ReLU).
    pub fn apply(self, v: &mut [f32]) {
        match self {
            Activation::Identity => {}
            Activation::Tanh => fastmath::tanh_in_place(v),
            Activation::Relu => v.iter_mut().for_each(|x| *x = x.max(0.0)),
            Activation::Softplus => v.iter_mut().for_each(|x| *x = fastmath::softplus(*x)),
        }
    }

    /// Back-propagates through the activation: `d[i] *= f'(z_i)`, with f' taken from the
    /// outputs `y = f(z)` (same length as `d`).
    pub fn backprop(self, y: &[f32], d: &mut [f32]) {
        debug_assert_eq!(y.len(), d.len());
        match self {
            Activation::Identity => {}
            Activation::Tanh => d.iter_mut().zip(y).for_each(|(d, &y)| *d *= 1.0 - y * y),
            Activation::Relu => d.iter_mut().zip(y).for_each(|(d, &y)| {
                if y <= 0.0 {
                    *d = 0.0
                }
            }),
            Activation::Softplus => d.iter_mut().zip(y).for_each(|(d, &y)| *d *= -(-y).exp_m1()),
        }
    }
}

impl fmt::Display for Activation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Activation {
    type Err = super::NnError;

    /// Parses `identity` (or `linear`), `tanh`, `relu`, `softplus` (case-insensitive).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.to_ascii_lowercase();
        if lower == "linear" {
            return Ok(Activation::Identity);
        }
        Activation::ALL
            .into_iter()
            .find(|a| a.name() == lower)
            .ok_or_else(|| {
                super::NnError::option(
                    "activation",
                    s,
                    "expected one of identity, tanh, relu, softplus",
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derivatives_match_central_differences() {
        let h = 1e-6;
        for act in Activation::ALL {
            for &z in &[-3.0, -0.7, -0.1, 0.2, 0.9, 2.5] {
                let fd = (act.eval_f64(z + h) - act.eval_f64(z - h)) / (2.0 * h);
                let an = act.derivative_f64(z);
                assert!((fd - an).abs() < 1e-8, "{act} at {z}: {fd} vs {an}");
                // the f32 path: value and derivative-from-output agree with f64
                let y = act.eval(z as f32);
                assert!(
                    (f64::from(y) - act.eval_f64(z)).abs() < 1e-6,
                    "{act} value at {z}"
                );
                let d = act.derivative_from_output(y);
                assert!((f64::from(d) - an).abs() < 1e-6, "{act} derivative at {z}");
            }
        }
    }

    #[test]
    fn slice_forms_agree_with_scalar_forms() {
        let z: Vec<f32> = (0..50).map(|i| (i as f32 - 25.0) * 0.17).collect();
        for act in Activation::ALL {
            let mut y = z.clone();
            act.apply(&mut y);
            let mut d = vec![1.5f32; z.len()];
            act.backprop(&y, &mut d);
            for i in 0..z.len() {
                assert_eq!(y[i], act.eval(z[i]));
                assert_eq!(d[i], 1.5 * act.derivative_from_output(y[i]));
            }
        }
    }

    #[test]
    fn names_round_trip() {
        for act in Activation::ALL {
            assert_eq!(act.name().parse::<Activation>().unwrap(), act);
        }
        assert_eq!("TANH".parse::<Activation>().unwrap(), Activation::Tanh);
        assert!("sigmoid".parse::<Activation>().is_err());
    }
}
