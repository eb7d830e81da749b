//! Rhai values → JSON (numbers stay numbers; Vectors become arrays; NaN/∞ become null
//! with a clear name in strict mode).

use super::convert::Vector;
use rhai::{Array, Dynamic, Map};
use serde_json::{Number, Value};

/// Converts a Rhai value into JSON. Non-finite floats become `null` (JSON has no NaN).
pub fn to_json(d: &Dynamic) -> Result<Value, String> {
    if d.is_unit() {
        return Ok(Value::Null);
    }
    if let Ok(b) = d.as_bool() {
        return Ok(Value::Bool(b));
    }
    if let Ok(i) = d.as_int() {
        return Ok(Value::Number(i.into()));
    }
    if let Ok(f) = d.as_float() {
        return Ok(float(f));
    }
    if d.is_string() {
        return Ok(Value::String(d.to_string()));
    }
    if let Some(v) = d.read_lock::<Vector>() {
        return Ok(Value::Array(v.0.iter().map(|&x| float(x)).collect()));
    }
    if let Some(arr) = d.read_lock::<Array>() {
        return arr
            .iter()
            .map(to_json)
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array);
    }
    if let Some(map) = super::results::as_map(d).or_else(|| super::calib_results::as_map(d)) {
        return to_json(&Dynamic::from_map(map));
    }
    if let Some(f) = d.read_lock::<super::failure::Failure>() {
        let mut m = serde_json::Map::new();
        m.insert("kind".into(), Value::String(f.kind.name().into()));
        m.insert("message".into(), Value::String(f.message.clone()));
        return Ok(Value::Object(m));
    }
    if let Some(t) = d.read_lock::<crate::catalog::Table>() {
        return Err(format!(
            "a Table ({} rows) cannot be written as JSON: write it with t.write(\"file.csv\") or select a few columns as arrays",
            t.len()
        ));
    }
    if let Some(map) = d.read_lock::<Map>() {
        let mut out = serde_json::Map::new();
        for (k, v) in map.iter() {
            out.insert(k.to_string(), to_json(v).map_err(|e| format!("{k}: {e}"))?);
        }
        return Ok(Value::Object(out));
    }
    Err(format!("a {} cannot be written as JSON", d.type_name()))
}

fn float(f: f64) -> Value {
    Number::from_f64(f)
        .map(Value::Number)
        .unwrap_or(Value::Null)
}
