//! Options of script functions as serde structs.
//!
//! Each function that takes an options map declares its options once, with
//! [`crate::script_options!`]: a serde struct whose fields are the option names, each with its
//! doc comment. From that one declaration come the parsing (an unknown key is an error that
//! lists the known ones and suggests the closest; a value of the wrong type names the option
//! and the type it needs; `()` counts as absent), and the option table that `help(name)` and
//! the book's function reference show.
//!
//! Every field is an `Option`: `None` means "the library's default", so no default value is
//! repeated here. Object values (a `Prior`, a simulator, a closure) are `Option<Dynamic>`
//! fields that the binding casts.

use super::convert::Vector;
use super::failure::{fail, RhaiResult};
use crate::error::ErrorKind;
use rhai::{Dynamic, Map};
use serde::de::DeserializeOwned;

/// One documented option of a script function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OptionDoc {
    /// The key in the options map.
    pub name: &'static str,
    /// The Rust type of the field, e.g. `Option<usize>` (shown as "integer").
    pub ty: &'static str,
    /// The doc comment.
    pub doc: &'static str,
    /// The type in words when the Rust type does not say it (e.g. "a Prior" for a
    /// `Dynamic`).
    pub words: Option<&'static str>,
}

impl OptionDoc {
    /// The type in words, for help texts.
    pub fn type_words(&self) -> &'static str {
        self.words.unwrap_or_else(|| type_words(self.ty))
    }
}

/// The options of one script function.
pub trait ScriptOptions: DeserializeOwned + Default {
    /// The function they belong to (named in errors).
    const FUNCTION: &'static str;
    /// Every option, in declaration order.
    fn docs() -> &'static [OptionDoc];
}

/// Declares the options struct of a script function: `struct Name for "function" { … }`
/// with `/// doc` comments on every field; a field may be renamed for scripts with
/// `field = "key": Type` (for keys that are Rust keywords, like `box`), and its type
/// described in words with `field: Type as "a Prior"`.
#[macro_export]
macro_rules! script_options {
    (
        $(#[doc = $sdoc:literal])*
        $vis:vis struct $name:ident for $func:literal {
            $(
                $(#[doc = $doc:literal])*
                $field:ident $(= $key:literal)? : $ty:ty $(as $words:literal)?
            ),* $(,)?
        }
    ) => {
        $(#[doc = $sdoc])*
        #[derive(Debug, Clone, Default, serde::Deserialize)]
        #[serde(deny_unknown_fields, default)]
        $vis struct $name {
            $(
                $(#[doc = $doc])*
                $(#[serde(rename = $key)])?
                pub $field: $ty,
            )*
        }

        impl $crate::script::options::ScriptOptions for $name {
            const FUNCTION: &'static str = $func;
            fn docs() -> &'static [$crate::script::options::OptionDoc] {
                &[$(
                    $crate::script::options::OptionDoc {
                        name: $crate::__option_key!($($key)? ; stringify!($field)),
                        ty: stringify!($ty),
                        doc: concat!($($doc, "\n"),*),
                        words: $crate::__option_words!($($words)?),
                    }
                ),*]
            }
        }
    };
}

/// The script key of an option: its rename, else the field name.
#[doc(hidden)]
#[macro_export]
macro_rules! __option_key {
    ($key:literal ; $default:expr) => {
        $key
    };
    ( ; $default:expr) => {
        $default
    };
}

/// The words of an option's type, if given.
#[doc(hidden)]
#[macro_export]
macro_rules! __option_words {
    ($words:literal) => {
        Some($words)
    };
    () => {
        None
    };
}

/// Parses an options map into `T`; see the module documentation.
pub fn parse<T: ScriptOptions>(map: Map) -> RhaiResult<T> {
    let docs = T::docs();
    let mut clean = Map::new();
    for (key, value) in map {
        let Some(doc) = docs.iter().find(|d| d.name == key.as_str()) else {
            return Err(unknown::<T>(&key));
        };
        if value.is_unit() {
            continue;
        }
        clean.insert(key, normalise(value, doc.ty));
    }
    let all = Dynamic::from_map(clean.clone());
    match rhai::serde::from_dynamic::<T>(&all) {
        Ok(v) => Ok(v),
        Err(e) => Err(culprit::<T>(&clean).unwrap_or_else(|| {
            fail(
                ErrorKind::Option,
                format!(
                    "{}: invalid options: {}",
                    T::FUNCTION,
                    strip(&e.to_string())
                ),
            )
        })),
    }
}

/// Parses one options map into two option structs (a function whose options are those of
/// `A` and those of `B`): each key goes to the struct that declares it; a key neither
/// declares is an error that lists both.
pub fn parse_split<A: ScriptOptions, B: ScriptOptions>(map: Map) -> RhaiResult<(A, B)> {
    let (mut a, mut b) = (Map::new(), Map::new());
    for (key, value) in map {
        if A::docs().iter().any(|d| d.name == key.as_str()) {
            a.insert(key, value);
        } else if B::docs().iter().any(|d| d.name == key.as_str()) {
            b.insert(key, value);
        } else {
            let names: Vec<&str> = A::docs().iter().chain(B::docs()).map(|d| d.name).collect();
            let close = names
                .iter()
                .map(|n| (edit_distance(n, &key), *n))
                .filter(|(d, _)| *d <= 2)
                .min()
                .map(|(_, n)| format!(" (did you mean '{n}'?)"))
                .unwrap_or_default();
            return Err(fail(
                ErrorKind::Option,
                format!(
                    "{}: unknown option '{key}'{close}; the options are {}",
                    A::FUNCTION,
                    names.join(", ")
                ),
            ));
        }
    }
    Ok((parse(a)?, parse(b)?))
}

/// Options that may be omitted: `()` (no map given) gives the defaults.
pub fn parse_or_default<T: ScriptOptions>(map: Option<Map>) -> RhaiResult<T> {
    match map {
        Some(m) => parse(m),
        None => Ok(T::default()),
    }
}

/// The error for an unknown key: the known ones, and the closest if one is close.
fn unknown<T: ScriptOptions>(key: &str) -> Box<rhai::EvalAltResult> {
    let names: Vec<&str> = T::docs().iter().map(|d| d.name).collect();
    let close = names
        .iter()
        .map(|n| (edit_distance(n, key), *n))
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, n)| format!(" (did you mean '{n}'?)"))
        .unwrap_or_default();
    let list = if names.is_empty() {
        "it takes no options".to_string()
    } else {
        format!("the options are {}", names.join(", "))
    };
    fail(
        ErrorKind::Option,
        format!("{}: unknown option '{key}'{close}; {list}", T::FUNCTION),
    )
}

/// The first option that does not deserialise on its own, with a message naming it.
fn culprit<T: ScriptOptions>(clean: &Map) -> Option<Box<rhai::EvalAltResult>> {
    for (key, value) in clean {
        let mut one = Map::new();
        one.insert(key.clone(), value.clone());
        if rhai::serde::from_dynamic::<T>(&Dynamic::from_map(one)).is_err() {
            let words = T::docs()
                .iter()
                .find(|d| d.name == key.as_str())
                .map_or("a valid value (see help)", OptionDoc::type_words);
            return Some(fail(
                ErrorKind::Option,
                format!(
                    "{}: option '{key}' must be {words}, not {} ({value})",
                    T::FUNCTION,
                    value.type_name()
                ),
            ));
        }
    }
    None
}

/// Integral floats for integer options become integers (`1e5` for `n_sims`), integers for
/// number options become floats (also inside arrays: `xlim: [0, 1]`), and Vectors become
/// arrays.
fn normalise(value: Dynamic, ty: &str) -> Dynamic {
    if let Some(v) = value.read_lock::<Vector>() {
        return Dynamic::from_array(
            v.as_slice()
                .iter()
                .map(|&x| Dynamic::from_float(x))
                .collect(),
        );
    }
    if is_integer(ty) {
        if let Ok(f) = value.as_float() {
            if f.fract() == 0.0 && f.abs() < 9.0e15 {
                return Dynamic::from_int(f as rhai::INT);
            }
        }
    }
    if is_number(ty) {
        return ints_to_floats(value);
    }
    value
}

/// Integers as floats, in arrays too.
fn ints_to_floats(value: Dynamic) -> Dynamic {
    if let Ok(i) = value.as_int() {
        return Dynamic::from_float(i as f64);
    }
    if let Some(a) = value.read_lock::<rhai::Array>() {
        return Dynamic::from_array(a.iter().cloned().map(ints_to_floats).collect());
    }
    value
}

/// Whether the option holds floats (a number, numbers, a number or a list).
fn is_number(ty: &str) -> bool {
    matches!(
        inner(ty).replace(' ', "").as_str(),
        "f64" | "Vec<f64>" | "NumberOrList" | "BoolOrNumber" | "[f64;2]"
    )
}

fn is_integer(ty: &str) -> bool {
    matches!(inner(ty), "usize" | "u64" | "u32" | "i64" | "INT")
}

/// `Option<T>` → `T`.
fn inner(ty: &str) -> &str {
    let t = ty.trim();
    t.strip_prefix("Option<")
        .and_then(|r| r.strip_suffix('>'))
        .unwrap_or(t)
        .trim()
}

/// A Rust type in words.
fn type_words(ty: &str) -> &'static str {
    match inner(ty).replace(' ', "").as_str() {
        "usize" | "u64" | "u32" => "a non-negative integer",
        "i64" | "INT" => "an integer",
        "f64" => "a number",
        "bool" => "true or false",
        "String" => "a string",
        "Vec<f64>" => "an array of numbers",
        "Vec<usize>" => "an array of non-negative integers",
        "Vec<String>" => "an array of strings",
        "[f64;2]" | "(f64,f64)" => "two numbers [low, high]",
        "Map" => "a map",
        "Dynamic" => "a value",
        "NumberOrList" => "a number or an array of numbers",
        "BoolOrNumber" => "true, false or a number",
        _ => "a valid value (see help)",
    }
}

/// A number, or one number per item (e.g. a noise σ for every observable).
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(untagged)]
pub enum NumberOrList {
    /// One number for all.
    One(f64),
    /// One number each.
    Many(Vec<f64>),
}

impl NumberOrList {
    /// The values for `n` items: the number repeated, or the list (its length is checked by
    /// the library).
    pub fn values(&self, n: usize) -> Vec<f64> {
        match self {
            NumberOrList::One(v) => vec![*v; n],
            NumberOrList::Many(v) => v.clone(),
        }
    }
}

/// `true`/`false`, or a number (e.g. `box: true` for the default width, `box: 3` for 3σ).
#[derive(Debug, Clone, Copy, PartialEq, serde::Deserialize)]
#[serde(untagged)]
pub enum BoolOrNumber {
    /// A switch.
    Bool(bool),
    /// A value.
    Number(f64),
}

/// Rhai's parser-error prefix, removed from serde messages.
fn strip(msg: &str) -> String {
    msg.trim_start_matches("Improper symbol: ").to_string()
}

/// Levenshtein distance (for suggestions).
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    crate::script_options! {
        /// Test options.
        struct Demo for "demo" {
            /// How many.
            n: Option<usize>,
            /// A scale.
            scale: Option<f64>,
            /// A switch under a keyword's name.
            boxed = "box": Option<BoolOrNumber>,
            /// Noise.
            noise: Option<NumberOrList>,
            /// Anything.
            object: Option<Dynamic> as "a Vector",
            /// Two numbers.
            limits: Option<Vec<f64>>,
        }
    }

    fn msg(e: Box<rhai::EvalAltResult>) -> String {
        message(&e)
    }

    fn message(e: &rhai::EvalAltResult) -> String {
        match e {
            rhai::EvalAltResult::ErrorRuntime(v, _) => crate::script::failure::message_of(v),
            other => other.to_string(),
        }
    }

    fn map(pairs: &[(&str, Dynamic)]) -> Map {
        pairs
            .iter()
            .map(|(k, v)| ((*k).into(), v.clone()))
            .collect()
    }

    #[test]
    fn parses_known_options_and_names_the_unknown_and_the_mistyped() {
        let d: Demo = parse(map(&[
            ("n", Dynamic::from_float(1e5)),
            ("scale", Dynamic::from_int(2)),
            ("box", Dynamic::from_bool(true)),
            (
                "noise",
                Dynamic::from_array(vec![Dynamic::from_float(0.1), Dynamic::from_int(1)]),
            ),
            ("object", Dynamic::from(Vector::new(vec![1.0]))),
            (
                "limits",
                Dynamic::from_array(vec![Dynamic::from_int(0), Dynamic::from_float(2.5)]),
            ),
        ]))
        .unwrap_or_else(|e| panic!("{}", msg(e)));
        assert_eq!(d.n, Some(100_000));
        assert_eq!(d.scale, Some(2.0));
        assert_eq!(d.boxed, Some(BoolOrNumber::Bool(true)));
        assert_eq!(d.noise.unwrap().values(2), vec![0.1, 1.0]);
        assert!(d.object.is_some());
        assert_eq!(d.limits, Some(vec![0.0, 2.5]));
        let none: Demo = parse(map(&[("n", Dynamic::UNIT)])).unwrap();
        assert_eq!(none.n, None);

        let err = msg(parse::<Demo>(map(&[("scal", Dynamic::from_int(1))])).unwrap_err());
        assert!(
            err.contains("unknown option 'scal'") && err.contains("did you mean 'scale'"),
            "{err}"
        );
        assert!(
            err.contains("n, scale, box, noise, object, limits"),
            "{err}"
        );
        let err = msg(parse::<Demo>(map(&[("n", Dynamic::from("many"))])).unwrap_err());
        assert!(
            err.contains("option 'n' must be a non-negative integer, not string"),
            "{err}"
        );
        let err = msg(parse::<Demo>(map(&[("n", Dynamic::from_int(-3))])).unwrap_err());
        assert!(err.contains("option 'n'"), "{err}");
        assert_eq!(Demo::docs()[2].name, "box");
        assert!(Demo::docs()[0].doc.contains("How many."));
        assert_eq!(Demo::docs()[4].type_words(), "a Vector");
    }
}
