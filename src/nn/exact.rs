//! JSON that keeps every float exactly: finite values as numbers (shortest round-trip
//! form, read back bit for bit), NaN and ±∞ — which JSON numbers cannot hold and
//! serde_json would write as `null` — as the strings `"NaN"`, `"inf"` and `"-inf"`.
//! Reading also accepts `null` (as NaN), for files written before.
//!
//! Use with `#[serde(with = "exact::vec")]` on `Vec<f32>`/`Vec<f64>`,
//! `#[serde(with = "exact::one")]` on `f64`, `#[serde(with = "exact::opt")]` on
//! `Option<f64>`, `#[serde(with = "exact::opt_vec")]` on `Option<Vec<f32>>`.

use serde::de::{self, Deserializer, Visitor};
use serde::ser::{SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::marker::PhantomData;

/// f32 or f64.
pub trait Float: Copy + Serialize {
    /// Whether the value is finite.
    fn finite(self) -> bool;
    /// The value as f64 (exact).
    fn wide(self) -> f64;
    /// The value from an f64 (rounded for f32; exact for values this module wrote).
    fn narrow(v: f64) -> Self;
}

impl Float for f32 {
    fn finite(self) -> bool {
        self.is_finite()
    }
    fn wide(self) -> f64 {
        f64::from(self)
    }
    fn narrow(v: f64) -> Self {
        v as f32
    }
}

impl Float for f64 {
    fn finite(self) -> bool {
        self.is_finite()
    }
    fn wide(self) -> f64 {
        self
    }
    fn narrow(v: f64) -> Self {
        v
    }
}

/// One float in its exact JSON form.
struct Exact<T>(T);

impl<T: Float> Serialize for Exact<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let v = self.0;
        if v.finite() {
            v.serialize(s)
        } else if v.wide().is_nan() {
            s.serialize_str("NaN")
        } else if v.wide() > 0.0 {
            s.serialize_str("inf")
        } else {
            s.serialize_str("-inf")
        }
    }
}

struct ExactVisitor<T>(PhantomData<T>);

impl<T: Float> Visitor<'_> for ExactVisitor<T> {
    type Value = Exact<T>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a number, \"NaN\", \"inf\" or \"-inf\"")
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Exact(T::narrow(v)))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Exact(T::narrow(v as f64)))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Exact(T::narrow(v as f64)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        match v {
            "NaN" | "nan" => Ok(Exact(T::narrow(f64::NAN))),
            "inf" | "+inf" | "Infinity" => Ok(Exact(T::narrow(f64::INFINITY))),
            "-inf" | "-Infinity" => Ok(Exact(T::narrow(f64::NEG_INFINITY))),
            _ => Err(E::invalid_value(de::Unexpected::Str(v), &self)),
        }
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Exact(T::narrow(f64::NAN)))
    }
}

impl<'de, T: Float> Deserialize<'de> for Exact<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ExactVisitor(PhantomData))
    }
}

/// `Vec<f32>` and `Vec<f64>`.
pub mod vec {
    use super::*;

    /// Writes the floats as a JSON array.
    pub fn serialize<S: Serializer, T: Float>(v: &[T], s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(v.len()))?;
        for &x in v {
            seq.serialize_element(&Exact(x))?;
        }
        seq.end()
    }

    /// Reads an array written by [`serialize`] (or a plain array of numbers).
    pub fn deserialize<'de, D: Deserializer<'de>, T: Float>(d: D) -> Result<Vec<T>, D::Error> {
        let v: Vec<Exact<T>> = Vec::deserialize(d)?;
        Ok(v.into_iter().map(|e| e.0).collect())
    }
}

/// One `f64`.
pub mod one {
    use super::*;

    /// Writes the float.
    pub fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        Exact(*v).serialize(s)
    }

    /// Reads a float written by [`serialize`].
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        Ok(Exact::<f64>::deserialize(d)?.0)
    }
}

/// `Option<f64>` (`null` is `None`).
pub mod opt {
    use super::*;

    /// Writes the float or `null`.
    pub fn serialize<S: Serializer>(v: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(x) => Exact(*x).serialize(s),
            None => s.serialize_none(),
        }
    }

    /// Reads a value written by [`serialize`].
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
        Ok(Option::<Exact<f64>>::deserialize(d)?.map(|e| e.0))
    }
}

/// `Option<Vec<f32>>` and `Option<Vec<f64>>` (`null` is `None`).
pub mod opt_vec {
    use super::*;

    /// Writes the floats as a JSON array, or `null`.
    pub fn serialize<S: Serializer, T: Float>(v: &Option<Vec<T>>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(v) => super::vec::serialize(v, s),
            None => s.serialize_none(),
        }
    }

    /// Reads a value written by [`serialize`].
    pub fn deserialize<'de, D: Deserializer<'de>, T: Float>(
        d: D,
    ) -> Result<Option<Vec<T>>, D::Error> {
        let v: Option<Vec<Exact<T>>> = Option::deserialize(d)?;
        Ok(v.map(|v| v.into_iter().map(|e| e.0).collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct T {
        #[serde(with = "vec")]
        a: Vec<f32>,
        #[serde(with = "vec")]
        b: Vec<f64>,
        #[serde(with = "one")]
        c: f64,
        #[serde(with = "opt", default)]
        d: Option<f64>,
    }

    #[test]
    fn every_float_survives_json_bit_for_bit() {
        let mut r = crate::rng::rng(3);
        let a: Vec<f32> = (0..2000)
            .map(|_| rand::Rng::gen::<f32>(&mut r) * 1e3 - 5e2)
            .collect();
        let mut b: Vec<f64> = (0..2000)
            .map(|_| rand::Rng::gen::<f64>(&mut r).ln())
            .collect();
        b.extend([
            f64::INFINITY,
            f64::NEG_INFINITY,
            0.0,
            -0.0,
            f64::MIN_POSITIVE,
            1e-310,
        ]);
        let t = T {
            a: [a, vec![f32::INFINITY, 1e-40, f32::MAX]].concat(),
            b,
            c: f64::NEG_INFINITY,
            d: Some(0.1),
        };
        let back: T = serde_json::from_str(&serde_json::to_string(&t).unwrap()).unwrap();
        let bits32 = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        let bits64 = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits32(&back.a), bits32(&t.a));
        assert_eq!(bits64(&back.b), bits64(&t.b));
        assert_eq!((back.c, back.d), (t.c, t.d));
        let nan: T =
            serde_json::from_str(r#"{"a": [null, "NaN"], "b": [1, -2], "c": "inf"}"#).unwrap();
        assert!(nan.a.iter().all(|x| x.is_nan()) && nan.b == [1.0, -2.0] && nan.d.is_none());
        let json = serde_json::to_string(&T {
            a: vec![f32::NAN],
            b: vec![],
            c: 1.0,
            d: None,
        })
        .unwrap();
        assert!(json.contains("\"NaN\""), "{json}");
    }
}
