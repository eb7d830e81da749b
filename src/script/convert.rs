//! Conversions between Rhai values and Rust data, and the shared numeric [`Vector`] type.

use super::failure::{rt_error, RhaiResult};
use rhai::{Array, Dynamic, ImmutableString};
use std::sync::Arc;

/// A shared, immutable vector of `f64` values: what numeric columns, samples and results are
/// in scripts. Cloning shares the data (no element-by-element copies); `to_array()` converts
/// to a Rhai array when a script really wants one.
#[derive(Clone, Debug, PartialEq)]
pub struct Vector(pub Arc<Vec<f64>>);

impl Vector {
    /// Wraps values.
    pub fn new(v: Vec<f64>) -> Self {
        Vector(Arc::new(v))
    }
    /// The values.
    pub fn as_slice(&self) -> &[f64] {
        &self.0
    }
}

impl From<Vec<f64>> for Vector {
    fn from(v: Vec<f64>) -> Self {
        Vector::new(v)
    }
}

/// A number from a Rhai value (integer or float).
pub fn as_f64(d: &Dynamic) -> Option<f64> {
    if let Ok(f) = d.as_float() {
        Some(f)
    } else {
        d.as_int().ok().map(|i| i as f64)
    }
}

/// Numbers from a Rhai array or a [`Vector`]; `what` names the argument in errors.
pub fn numbers(d: &Dynamic, what: &str) -> RhaiResult<Vec<f64>> {
    if let Some(v) = d.read_lock::<Vector>() {
        return Ok(v.0.as_ref().clone());
    }
    if d.is_array() {
        let arr = d
            .read_lock::<Array>()
            .ok_or_else(|| rt_error(format!("{what}: cannot read the array")))?;
        return arr
            .iter()
            .enumerate()
            .map(|(i, x)| {
                as_f64(x).ok_or_else(|| {
                    rt_error(format!(
                        "{what}: element {i} is a {} ({x}), not a number",
                        x.type_name()
                    ))
                })
            })
            .collect();
    }
    Err(rt_error(format!(
        "{what} must be an array of numbers or a Vector, not a {}",
        d.type_name()
    )))
}

/// Numbers from a Rhai array where `()` stands for "no value" (NaN).
pub fn numbers_or_nan(d: &Dynamic, what: &str) -> RhaiResult<Vec<f64>> {
    if let Some(arr) = d.read_lock::<Array>() {
        return arr
            .iter()
            .enumerate()
            .map(|(i, x)| {
                if x.is_unit() {
                    Ok(f64::NAN)
                } else {
                    as_f64(x).ok_or_else(|| {
                        rt_error(format!(
                            "{what}: element {i} is a {} ({x}), not a number",
                            x.type_name()
                        ))
                    })
                }
            })
            .collect();
    }
    numbers(d, what)
}

/// Strings from a Rhai array.
pub fn strings(d: &Dynamic, what: &str) -> RhaiResult<Vec<String>> {
    let arr = d.read_lock::<Array>().ok_or_else(|| {
        rt_error(format!(
            "{what} must be an array of strings, not a {}",
            d.type_name()
        ))
    })?;
    arr.iter()
        .enumerate()
        .map(|(i, x)| {
            x.read_lock::<ImmutableString>()
                .map(|s| s.to_string())
                .ok_or_else(|| {
                    rt_error(format!(
                        "{what}: element {i} is a {}, not a string",
                        x.type_name()
                    ))
                })
        })
        .collect()
}

/// A Rhai array of floats.
pub fn float_array(v: &[f64]) -> Array {
    v.iter().map(|&x| Dynamic::from_float(x)).collect()
}

/// A colour from its name (blue, red, green, orange, purple, brown, pink, grey, black),
/// `#rrggbb` or `C0`…`C7`.
pub fn color(c: &str) -> RhaiResult<crate::plot::Rgb> {
    crate::plot::parse_color_public(c).ok_or_else(|| {
        rt_error(format!(
            "unknown colour '{c}': use a name (blue, red, green, orange, purple, brown, pink, grey, black), #rrggbb or C0…C7"
        ))
    })
}
