//! The one file envelope of everything galchem saves: posteriors, flows, emulators,
//! training checkpoints and partial results.
//!
//! A file is a JSON object
//!
//! ```text
//! { "format": "galchem-posterior", "version": 2, "galchem_version": "0.1.0", "body": { … } }
//! ```
//!
//! written atomically (a temporary file beside the target, renamed over it only when
//! complete), so an interrupted or failed save never leaves half a file and never touches
//! the file that was there. Reading checks, in order, that the file is JSON, that it is a
//! galchem file of the expected format, and that its version is one this galchem reads; each
//! failure is a [`FileError`] naming the path and the problem, and a file written by a newer
//! galchem says so. Files of version 1 (before the envelope) carried the body's fields next
//! to `format` and `version`; they are still read.

use crate::error::FileError;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::path::Path;

/// The galchem version that writes files.
pub const GALCHEM_VERSION: &str = env!("CARGO_PKG_VERSION");

/// A file format: its name and the versions this galchem writes and reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Format {
    /// The `format` field, e.g. `"galchem-posterior"`.
    pub name: &'static str,
    /// The version written.
    pub version: u32,
    /// The oldest version still read.
    pub oldest_readable: u32,
}

/// A file read by [`load`]: its version, the galchem that wrote it, and the body.
#[derive(Debug, Clone, PartialEq)]
pub struct Loaded<T> {
    /// The file's format version.
    pub version: u32,
    /// The galchem version that wrote it (absent in version 1 files).
    pub galchem_version: Option<String>,
    /// The contents.
    pub body: T,
}

#[derive(Serialize)]
struct Envelope<'a, T: Serialize> {
    format: &'a str,
    version: u32,
    galchem_version: &'a str,
    body: &'a T,
}

/// Writes `body` to `path` in the envelope of `format`, atomically.
pub fn save<T: Serialize>(path: &Path, format: &Format, body: &T) -> Result<(), FileError> {
    let env = Envelope {
        format: format.name,
        version: format.version,
        galchem_version: GALCHEM_VERSION,
        body,
    };
    let bytes = serde_json::to_vec(&env)
        .map_err(|e| FileError::io(path, format!("cannot serialise the {}: {e}", format.name)))?;
    crate::fsutil::atomic_write_bytes(path, &bytes).map_err(|e| {
        FileError::io(
            path,
            format!("cannot write: {e} (any existing file there is unchanged)"),
        )
    })
}

/// Reads a file written by [`save`] (or a version-1 file) and deserialises its body.
pub fn load<T: DeserializeOwned>(path: &Path, format: &Format) -> Result<Loaded<T>, FileError> {
    let raw = load_value(path, format)?;
    let body = serde_json::from_value(raw.body)
        .map_err(|e| FileError::unusable(path, format.name, format!("corrupt contents: {e}")))?;
    Ok(Loaded {
        version: raw.version,
        galchem_version: raw.galchem_version,
        body,
    })
}

/// Like [`load`], with the body left as JSON (for migrations between versions).
pub fn load_value(path: &Path, format: &Format) -> Result<Loaded<serde_json::Value>, FileError> {
    let bytes =
        std::fs::read(path).map_err(|e| FileError::io(path, format!("cannot read: {e}")))?;
    parse(&bytes, path, format)
}

/// Parses the bytes of a file (`path` only names it in errors).
pub fn parse(
    bytes: &[u8],
    path: &Path,
    format: &Format,
) -> Result<Loaded<serde_json::Value>, FileError> {
    let unusable = |m: String| FileError::unusable(path, format.name, m);
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| {
        unusable(format!(
            "not valid JSON ({e}); the file is truncated, corrupt or of another kind"
        ))
    })?;
    let serde_json::Value::Object(mut map) = value else {
        return Err(unusable("not a JSON object (not a galchem file)".into()));
    };
    match map.get("format").and_then(|f| f.as_str()) {
        Some(f) if f == format.name => {}
        Some(f) => return Err(unusable(format!("it is a '{f}' file"))),
        None => {
            return Err(unusable(
                "it has no 'format' field (not a galchem file)".into(),
            ))
        }
    }
    let version = check_version(&map, format).map_err(unusable)?;
    let galchem_version = map
        .get("galchem_version")
        .and_then(|v| v.as_str())
        .map(str::to_string);
    let body = match map.remove("body") {
        Some(b) => b,
        None if version == 1 => {
            // version 1: the body's fields sat beside the header
            map.remove("format");
            map.remove("version");
            serde_json::Value::Object(map)
        }
        None => return Err(unusable("it has no 'body'".into())),
    };
    Ok(Loaded {
        version,
        galchem_version,
        body,
    })
}

/// The file's version if this galchem reads it, else why not.
fn check_version(
    map: &serde_json::Map<String, serde_json::Value>,
    format: &Format,
) -> Result<u32, String> {
    let version = match map.get("version").and_then(|v| v.as_u64()) {
        Some(v) => u32::try_from(v).unwrap_or(u32::MAX),
        None => return Err("it has no valid 'version' field".into()),
    };
    if version > format.version {
        let by = map
            .get("galchem_version")
            .and_then(|v| v.as_str())
            .map(|v| format!(" (galchem {v})"))
            .unwrap_or_default();
        return Err(format!(
            "it was written by a newer galchem{by} in format version {version}; this galchem \
             ({GALCHEM_VERSION}) reads versions {} to {}: update galchem",
            format.oldest_readable, format.version
        ));
    }
    if version < format.oldest_readable {
        return Err(format!(
            "format version {version} is no longer read; this galchem reads versions {} to {}",
            format.oldest_readable, format.version
        ));
    }
    Ok(version)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    const TEST: Format = Format {
        name: "galchem-test",
        version: 2,
        oldest_readable: 1,
    };

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Body {
        a: u32,
        b: Vec<f64>,
    }

    #[test]
    fn round_trip_and_every_kind_of_bad_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.json");
        let body = Body {
            a: 3,
            b: vec![0.1, -2.5],
        };
        save(&p, &TEST, &body).unwrap();
        let back: Loaded<Body> = load(&p, &TEST).unwrap();
        assert_eq!(back.body, body);
        assert_eq!(
            (back.version, back.galchem_version.as_deref()),
            (2, Some(GALCHEM_VERSION))
        );

        let cases: [(&str, &str); 7] = [
            ("{\"format\": \"galchem-test\", \"vers", "not valid JSON"),
            ("[1, 2]", "not a JSON object"),
            ("{\"a\": 1}", "no 'format' field"),
            ("{\"format\": \"galchem-flow\", \"version\": 1}", "it is a 'galchem-flow' file"),
            ("{\"format\": \"galchem-test\"}", "no valid 'version'"),
            (
                "{\"format\": \"galchem-test\", \"version\": 7, \"galchem_version\": \"9.0.0\", \"body\": {}}",
                "newer galchem (galchem 9.0.0) in format version 7",
            ),
            ("{\"format\": \"galchem-test\", \"version\": 2, \"body\": {\"a\": \"x\"}}", "corrupt contents"),
        ];
        for (text, want) in cases {
            std::fs::write(&p, text).unwrap();
            let err = load::<Body>(&p, &TEST).unwrap_err().to_string();
            assert!(
                err.contains(want) && err.contains("x.json"),
                "{text}: {err}"
            );
        }
        // version 1: fields beside the header
        std::fs::write(
            &p,
            "{\"format\": \"galchem-test\", \"version\": 1, \"a\": 5, \"b\": []}",
        )
        .unwrap();
        let v1: Loaded<Body> = load(&p, &TEST).unwrap();
        assert_eq!((v1.version, v1.body.a), (1, 5));
        let missing = load::<Body>(&dir.path().join("none.json"), &TEST).unwrap_err();
        assert!(matches!(missing, FileError::Io { .. }));
    }

    #[test]
    fn a_save_into_a_missing_directory_is_an_io_error() {
        let dir = tempfile::tempdir().unwrap();
        let bad_dir = save(
            &dir.path().join("no/such/dir.json"),
            &TEST,
            &Body { a: 1, b: vec![] },
        );
        let err = bad_dir.unwrap_err();
        assert!(
            matches!(err, FileError::Io { .. }) && err.to_string().contains("dir.json"),
            "{err}"
        );
    }
}

/// Serde for an `f64` that may be NaN or infinite: JSON has no such numbers (serde_json
/// writes `null`, which does not read back), so they are written as the strings `"NaN"`,
/// `"inf"` and `"-inf"`; finite values stay numbers. Use with `#[serde(with = ...)]`.
pub mod any_f64 {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    #[serde(untagged)]
    enum Repr {
        Number(f64),
        Text(String),
    }

    /// Writes `value`, non-finite values as text.
    pub fn serialize<S: Serializer>(value: &f64, s: S) -> Result<S::Ok, S::Error> {
        if value.is_finite() {
            s.serialize_f64(*value)
        } else if value.is_nan() {
            s.serialize_str("NaN")
        } else if *value > 0.0 {
            s.serialize_str("inf")
        } else {
            s.serialize_str("-inf")
        }
    }

    /// Reads a number, or one of `"NaN"`, `"inf"`, `"-inf"`.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        match Repr::deserialize(d)? {
            Repr::Number(v) => Ok(v),
            Repr::Text(t) => match t.as_str() {
                "NaN" => Ok(f64::NAN),
                "inf" => Ok(f64::INFINITY),
                "-inf" => Ok(f64::NEG_INFINITY),
                other => Err(serde::de::Error::custom(format!(
                    "expected a number, \"NaN\", \"inf\" or \"-inf\", found \"{other}\""
                ))),
            },
        }
    }
}

/// [`any_f64`] for a `Vec<f64>`; reads `null` (e.g. a script's `()`) as NaN too.
pub mod any_f64_vec {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    #[serde(untagged)]
    enum Repr {
        Number(f64),
        Text(String),
        Null,
    }

    /// Writes every value as [`super::any_f64`] does.
    pub fn serialize<S: Serializer>(values: &[f64], s: S) -> Result<S::Ok, S::Error> {
        let reprs: Vec<Repr> = values
            .iter()
            .map(|v| {
                if v.is_finite() {
                    Repr::Number(*v)
                } else if v.is_nan() {
                    Repr::Text("NaN".into())
                } else if *v > 0.0 {
                    Repr::Text("inf".into())
                } else {
                    Repr::Text("-inf".into())
                }
            })
            .collect();
        reprs.serialize(s)
    }

    /// Reads numbers, `"NaN"`, `"inf"`, `"-inf"` and `null` (NaN).
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f64>, D::Error> {
        Vec::<Repr>::deserialize(d)?
            .into_iter()
            .map(|r| match r {
                Repr::Number(v) => Ok(v),
                Repr::Null => Ok(f64::NAN),
                Repr::Text(t) => match t.as_str() {
                    "NaN" => Ok(f64::NAN),
                    "inf" => Ok(f64::INFINITY),
                    "-inf" => Ok(f64::NEG_INFINITY),
                    other => Err(serde::de::Error::custom(format!(
                        "expected a number, \"NaN\", \"inf\" or \"-inf\", found \"{other}\""
                    ))),
                },
            })
            .collect()
    }
}
