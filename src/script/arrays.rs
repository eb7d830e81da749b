//! Bindings: the `Vector` type and summary statistics of numeric arrays.

use super::convert::{float_array, numbers, Vector};
use super::failure::{rt, rt_error, RhaiResult};
use crate::stats;
use rhai::plugin::*;
#[allow(unused_imports)]
use rhai::{Array, Dynamic, Map, FLOAT, INT};

#[export_module]
pub mod arrays_api {
    use super::*;

    /// A shared numeric vector (the type of table columns and sample arrays).
    pub type Vector = super::Vector;

    /// Converts an array of numbers (or a Vector) into a Vector.
    ///
    /// Vectors are shared, not copied, when passed around; use them for long columns.
    /// ```rhai
    /// let v = vector([1, 2.5, 4]);
    /// ```
    #[rhai_fn(return_raw)]
    pub fn vector(values: Dynamic) -> RhaiResult<Vector> {
        Ok(Vector::new(numbers(&values, "vector")?))
    }

    /// Converts a Vector into an ordinary array of floats.
    #[rhai_fn(global, pure)]
    pub fn to_array(v: &mut Vector) -> Array {
        float_array(v.as_slice())
    }

    /// Number of values in a Vector.
    #[rhai_fn(global, pure, name = "len")]
    pub fn len(v: &mut Vector) -> INT {
        v.0.len() as INT
    }

    /// The value at `index` (negative indices count from the end).
    #[rhai_fn(global, index_get, return_raw, pure)]
    pub fn get(v: &mut Vector, index: INT) -> RhaiResult<FLOAT> {
        let n = v.0.len() as INT;
        let i = if index < 0 { index + n } else { index };
        if i < 0 || i >= n {
            return Err(rt_error(format!(
                "index {index} is out of range for a Vector of {n} values"
            )));
        }
        Ok(v.0[i as usize])
    }

    /// `n` evenly spaced values from `start` to `stop` (both included).
    #[rhai_fn(return_raw)]
    pub fn linspace(start: FLOAT, stop: FLOAT, n: INT) -> RhaiResult<Vector> {
        if n < 1 {
            return Err(rt_error(format!("linspace needs n >= 1, got {n}")));
        }
        let n = n as usize;
        let step = if n > 1 {
            (stop - start) / (n - 1) as f64
        } else {
            0.0
        };
        Ok(Vector::new(
            (0..n).map(|i| start + step * i as f64).collect(),
        ))
    }

    /// Mean of an array or Vector of numbers (an error names the first NaN/infinite value).
    #[rhai_fn(return_raw)]
    pub fn mean(values: Dynamic) -> RhaiResult<FLOAT> {
        stats::mean(&numbers(&values, "mean")?).map_err(rt)
    }

    /// Sample standard deviation (n − 1 in the denominator) of an array or Vector.
    #[rhai_fn(return_raw)]
    pub fn std(values: Dynamic) -> RhaiResult<FLOAT> {
        stats::std(&numbers(&values, "std")?).map_err(rt)
    }

    /// Smallest value of an array or Vector.
    #[rhai_fn(return_raw)]
    pub fn min(values: Dynamic) -> RhaiResult<FLOAT> {
        stats::min(&numbers(&values, "min")?).map_err(rt)
    }

    /// Largest value of an array or Vector.
    #[rhai_fn(return_raw)]
    pub fn max(values: Dynamic) -> RhaiResult<FLOAT> {
        stats::max(&numbers(&values, "max")?).map_err(rt)
    }

    /// Sum of an array or Vector.
    #[rhai_fn(return_raw)]
    pub fn sum(values: Dynamic) -> RhaiResult<FLOAT> {
        Ok(numbers(&values, "sum")?.iter().sum())
    }

    /// Quantile at level `q` in [0, 1] (linear interpolation, as numpy's default).
    /// ```rhai
    /// let median = quantile(t.col("obs_FeH"), 0.5);
    /// ```
    #[rhai_fn(return_raw)]
    pub fn quantile(values: Dynamic, q: FLOAT) -> RhaiResult<FLOAT> {
        stats::quantile(&numbers(&values, "quantile")?, q).map_err(rt)
    }

    /// A number as text with `digits` significant digits (scientific notation outside
    /// 10⁻⁴ … 10⁶); for printing results.
    /// ```rhai
    /// print(`alpha_IMF = ${fmt(r.alpha_imf_mean, 4)} ± ${fmt(r.alpha_imf_sd, 2)}`);   // -2.267 ± 0.0025
    /// ```
    #[rhai_fn(return_raw)]
    pub fn fmt(x: Dynamic, digits: INT) -> RhaiResult<String> {
        let v = super::super::convert::as_f64(&x)
            .ok_or_else(|| rt_error(format!("fmt: expected a number, got {}", x.type_name())))?;
        if !(1..=17).contains(&digits) {
            return Err(rt_error(format!(
                "fmt: digits must be in 1..=17, got {digits}"
            )));
        }
        Ok(crate::stats::format_significant(v, digits as usize))
    }

    /// Element-wise `a + b` (Vector with Vector or with a number).
    #[rhai_fn(name = "+", return_raw)]
    pub fn add(a: Vector, b: Dynamic) -> RhaiResult<Vector> {
        zip(&a, &b, "+", |x, y| x + y)
    }

    /// Element-wise `a - b`.
    #[rhai_fn(name = "-", return_raw)]
    pub fn sub(a: Vector, b: Dynamic) -> RhaiResult<Vector> {
        zip(&a, &b, "-", |x, y| x - y)
    }

    /// Element-wise `a * b`.
    #[rhai_fn(name = "*", return_raw)]
    pub fn mul(a: Vector, b: Dynamic) -> RhaiResult<Vector> {
        zip(&a, &b, "*", |x, y| x * y)
    }

    /// Element-wise `a / b`.
    #[rhai_fn(name = "/", return_raw)]
    pub fn div(a: Vector, b: Dynamic) -> RhaiResult<Vector> {
        zip(&a, &b, "/", |x, y| x / y)
    }

    /// Element-wise absolute value.
    #[rhai_fn(global, pure)]
    pub fn abs(v: &mut Vector) -> Vector {
        map(v, f64::abs)
    }

    /// Element-wise base-10 logarithm.
    #[rhai_fn(global, pure)]
    pub fn log10(v: &mut Vector) -> Vector {
        map(v, f64::log10)
    }

    /// Element-wise square root.
    #[rhai_fn(global, pure)]
    pub fn sqrt(v: &mut Vector) -> Vector {
        map(v, f64::sqrt)
    }

    /// The values sorted in increasing order (NaN last).
    #[rhai_fn(global, pure)]
    pub fn sorted(v: &mut Vector) -> Vector {
        let mut s = v.0.as_ref().clone();
        s.sort_by(f64::total_cmp);
        Vector::new(s)
    }

    /// Short description: length and the first values.
    #[rhai_fn(global, pure, name = "to_string")]
    pub fn to_string(v: &mut Vector) -> String {
        describe(v)
    }

    /// Same as `to_string`.
    #[rhai_fn(global, pure, name = "to_debug")]
    pub fn to_debug(v: &mut Vector) -> String {
        describe(v)
    }
}

fn map(v: &Vector, f: impl Fn(f64) -> f64) -> Vector {
    Vector::new(v.0.iter().map(|&x| f(x)).collect())
}

fn zip(a: &Vector, b: &Dynamic, op: &str, f: impl Fn(f64, f64) -> f64) -> RhaiResult<Vector> {
    if let Some(x) = super::convert::as_f64(b) {
        return Ok(map(a, |v| f(v, x)));
    }
    let b = numbers(b, &format!("right operand of {op}"))?;
    if b.len() != a.0.len() {
        return Err(rt_error(format!(
            "Vector {op}: lengths differ ({} and {})",
            a.0.len(),
            b.len()
        )));
    }
    Ok(Vector::new(
        a.0.iter().zip(&b).map(|(&x, &y)| f(x, y)).collect(),
    ))
}

/// `Vector(n values: v0, v1, …)` with at most 6 values shown.
pub fn describe(v: &Vector) -> String {
    let n = v.0.len();
    let shown: Vec<String> = v.0.iter().take(6).map(|x| format!("{x}")).collect();
    let more = if n > 6 { ", …" } else { "" };
    format!("Vector({n} values: [{}{more}])", shown.join(", "))
}
