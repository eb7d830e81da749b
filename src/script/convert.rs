//! Conversions between Rhai values and Rust data, the shared numeric [`Vector`] type, and
//! option maps with typo detection.

use rhai::{Array, Dynamic, EvalAltResult, ImmutableString, Map, Position, INT};
use std::sync::Arc;

/// Result type of every binding.
pub type RhaiResult<T> = Result<T, Box<EvalAltResult>>;

/// A runtime error carrying `msg`; Rhai fills in the position of the failing call.
pub fn rt_error(msg: impl Into<String>) -> Box<EvalAltResult> {
    EvalAltResult::ErrorRuntime(Dynamic::from(msg.into()), Position::NONE).into()
}

/// Maps any displayable error into a runtime error.
pub fn rt<E: std::fmt::Display>(e: E) -> Box<EvalAltResult> {
    rt_error(e.to_string())
}

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

/// An options map whose keys are consumed one by one; [`Opts::finish`] reports unknown keys,
/// so a misspelt option is an error rather than silently ignored.
pub struct Opts {
    map: Map,
    what: String,
}

impl Opts {
    /// Wraps the options of the function `what`.
    pub fn new(map: Map, what: &str) -> Self {
        Self {
            map,
            what: what.to_string(),
        }
    }

    /// No options.
    pub fn empty(what: &str) -> Self {
        Self::new(Map::new(), what)
    }

    fn take(&mut self, key: &str) -> Option<Dynamic> {
        self.map.remove(key).filter(|d| !d.is_unit())
    }

    fn bad(&self, key: &str, expected: &str, got: &Dynamic) -> Box<EvalAltResult> {
        rt_error(format!(
            "{}: option '{key}' must be {expected}, not {} ({got})",
            self.what,
            got.type_name()
        ))
    }

    /// A number option.
    pub fn f64(&mut self, key: &str) -> RhaiResult<Option<f64>> {
        match self.take(key) {
            None => Ok(None),
            Some(d) => as_f64(&d)
                .map(Some)
                .ok_or_else(|| self.bad(key, "a number", &d)),
        }
    }

    /// A non-negative integer option.
    pub fn usize(&mut self, key: &str) -> RhaiResult<Option<usize>> {
        match self.take(key) {
            None => Ok(None),
            Some(d) => match d.as_int() {
                Ok(i) if i >= 0 => Ok(Some(i as usize)),
                _ => match as_f64(&d) {
                    Some(f) if f >= 0.0 && f.fract() == 0.0 && f < 9.0e15 => Ok(Some(f as usize)),
                    _ => Err(self.bad(key, "a non-negative integer", &d)),
                },
            },
        }
    }

    /// A seed option (any non-negative integer).
    pub fn seed(&mut self, key: &str) -> RhaiResult<Option<u64>> {
        Ok(self.usize(key)?.map(|s| s as u64))
    }

    /// A boolean option.
    pub fn bool(&mut self, key: &str) -> RhaiResult<Option<bool>> {
        match self.take(key) {
            None => Ok(None),
            Some(d) => d
                .as_bool()
                .map(Some)
                .map_err(|_| self.bad(key, "true or false", &d)),
        }
    }

    /// A string option.
    pub fn string(&mut self, key: &str) -> RhaiResult<Option<String>> {
        match self.take(key) {
            None => Ok(None),
            Some(d) => match d.read_lock::<ImmutableString>() {
                Some(s) => Ok(Some(s.to_string())),
                None => Err(self.bad(key, "a string", &d)),
            },
        }
    }

    /// A string option that names one of `choices` (name, value); an unknown name is an
    /// error listing the valid ones.
    pub fn choice<T: Clone>(&mut self, key: &str, choices: &[(&str, T)]) -> RhaiResult<Option<T>> {
        let Some(name) = self.string(key)? else {
            return Ok(None);
        };
        match choices.iter().find(|(n, _)| *n == name) {
            Some((_, v)) => Ok(Some(v.clone())),
            None => {
                let valid: Vec<&str> = choices.iter().map(|(n, _)| *n).collect();
                Err(rt_error(format!(
                    "{}: unknown {key} '{name}' ({})",
                    self.what,
                    valid.join(", ")
                )))
            }
        }
    }

    /// A numeric array option.
    pub fn numbers(&mut self, key: &str) -> RhaiResult<Option<Vec<f64>>> {
        match self.take(key) {
            None => Ok(None),
            Some(d) => numbers(&d, &format!("{}: option '{key}'", self.what)).map(Some),
        }
    }

    /// A `[lo, hi]` pair option.
    pub fn range(&mut self, key: &str) -> RhaiResult<Option<(f64, f64)>> {
        match self.numbers(key)? {
            None => Ok(None),
            Some(v) if v.len() == 2 => Ok(Some((v[0], v[1]))),
            Some(v) => Err(rt_error(format!(
                "{}: option '{key}' must be [low, high], got {} values",
                self.what,
                v.len()
            ))),
        }
    }

    /// An option of any type, left for the caller to interpret.
    pub fn raw(&mut self, key: &str) -> Option<Dynamic> {
        self.take(key)
    }

    /// Errors if options remain that nobody asked for.
    pub fn finish(self) -> RhaiResult<()> {
        if self.map.is_empty() {
            return Ok(());
        }
        let mut keys: Vec<String> = self.map.keys().map(|k| k.to_string()).collect();
        keys.sort();
        Err(rt_error(format!(
            "{}: unknown option(s) {}",
            self.what,
            keys.join(", ")
        )))
    }
}

/// A Rhai integer from a count.
pub fn int(n: usize) -> INT {
    n as INT
}
