//! Bindings for real survey data: the element-subset and survey options of `train_npe`
//! (elements, missing values, per-star errors), the column presets and the minimum number of
//! elements of `infer`, FITS and npz files, and what a catalog holds (its element set and
//! error range).

use super::context::context;
use super::failure::{rt, rt_error, RhaiResult};
use super::options::{OptionDoc, ScriptOptions};
use crate::catalog::Table;
use crate::infer::{
    ColumnMap, ColumnPreset, NeuralPosterior, NpeOptions, ObservationTable, SurveyOptions,
};
use crate::model::{Prior, SelectOutputs, Simulator};
use crate::nn::Observer;
use rhai::plugin::*;
#[allow(unused_imports)]
use rhai::{Array, Dynamic, Map, FLOAT, INT};

crate::script_options! {
    /// The survey options of `train_npe`.
    pub struct SurveyNpeArgs for "train_npe" {
        /// The observables to train on, a subset of the simulator's (all), e.g. `["C_Fe",
        /// "Fe_H", "Mg_Fe", "N_Fe", "O_Fe", "Si_Fe"]` for APOGEE.
        elements: Option<Vec<String>> as "an array of observable names",
        /// Probability that each element is masked in a training copy: the posterior then
        /// accepts any pattern of missing elements (0: it needs every element).
        missing: Option<f64>,
        /// `[low, high]` (dex): every training value gets its own error drawn log-uniformly
        /// from this range and the posterior conditions on each star's errors (none: trained
        /// at the fixed `noise`).
        errors: Option<Vec<f64>> as "[low, high] in dex",
        /// Noisy copies of every simulation with `missing` or `errors` (2).
        copies: Option<usize>,
        /// Fewest elements left unmasked in a training copy (2).
        min_present: Option<usize>,
    }
}

crate::script_options! {
    /// The survey options of `infer`.
    pub struct SurveyInferArgs for "infer" {
        /// The column layout: `default` (`obs_<X>`, `err_<X>`, `star`), `apogee`, `galah` or
        /// `chempy_npz`; `columns` may also name it.
        preset: Option<String>,
        /// With a posterior that accepts missing values: the fewest usable elements a star
        /// needs (half of them, at least 2); stars with fewer are skipped and reported.
        min_elements: Option<usize>,
        /// Quality-flag columns by observable, e.g. `#{ N_Fe: "N_FLAG" }` (the preset's
        /// `X_FE_FLAG`/`flag_X_fe` columns when the catalog has them): a non-zero or true
        /// flag masks that value of that star.
        flags: Option<std::collections::BTreeMap<String, String>> as "a map of column names",
    }
}

crate::script_options! {
    /// Options of `mock_survey`.
    pub struct MockSurveyArgs for "mock_survey" {
        /// Number of stars (1000).
        n_stars: Option<usize>,
        /// The observables to keep (all of the simulator's).
        elements: Option<Vec<String>> as "an array of observable names",
        /// `[low, high]`: every value's error is drawn uniformly from this range, dex
        /// ([0.05, 0.05]).
        errors: Option<Vec<f64>> as "[low, high] in dex",
        /// The fraction of stars lacking each observable, e.g. `#{ N_Fe: 0.2, C_Fe: 0.1 }`
        /// (their value and error are NaN).
        missing: Option<std::collections::BTreeMap<String, f64>> as "a map of fractions",
        /// The fraction of values whose quality flag is set (0).
        flagged: Option<f64>,
        /// The column layout: `default` (`obs_<X>`, `err_<X>`, the default), `apogee` or
        /// `galah` (with flag columns).
        preset: Option<String>,
        /// The global parameters of the galaxy ([-2.3, -2.89]).
        globals: Option<Vec<f64>> as "[alpha_imf, log10_n_ia]",
        /// The prior of the local parameters (the paper's, birth time U(2, 12.8) Gyr).
        prior: Option<Dynamic> as "a Prior",
        /// Seed.
        seed: Option<u64>,
    }
}

/// The option tables of this module's functions.
pub fn option_docs() -> Vec<(&'static str, &'static [OptionDoc])> {
    vec![
        ("train_npe", SurveyNpeArgs::docs()),
        ("infer", SurveyInferArgs::docs()),
        ("mock_survey", MockSurveyArgs::docs()),
    ]
}

/// The mock-catalog settings, the prior and the layout of `mock_survey`.
fn mock_options(a: MockSurveyArgs) -> RhaiResult<(crate::infer::MockOptions, Prior, ColumnPreset)> {
    let mut o = crate::infer::MockOptions::default();
    o.n_stars = a.n_stars.unwrap_or(o.n_stars);
    match a.errors.as_deref() {
        None => {}
        Some([lo, hi]) => o.errors = [*lo, *hi],
        Some(_) => {
            return Err(rt_error(
                "mock_survey: option 'errors' must be [low, high] in dex",
            ))
        }
    }
    if let Some(m) = a.missing {
        o.missing = m.into_iter().collect();
    }
    o.flagged = a.flagged.unwrap_or(0.0);
    o.globals = a.globals.unwrap_or(o.globals);
    o.seed = a.seed.unwrap_or(o.seed);
    let prior = match a.prior {
        Some(d) => d
            .try_cast::<Prior>()
            .ok_or_else(|| rt_error("mock_survey: option 'prior' must be a Prior"))?,
        None => Prior::npe(),
    };
    let preset = preset(a.preset.as_deref().unwrap_or("default"))?;
    Ok((o, prior, preset))
}

/// The survey training settings, if `missing` or `errors` ask for a survey posterior.
fn survey_options(a: &SurveyNpeArgs) -> RhaiResult<Option<SurveyOptions>> {
    if a.missing.is_none() && a.errors.is_none() {
        return Ok(None);
    }
    let sigma_range = match a.errors.as_deref() {
        None => None,
        Some([lo, hi]) => Some([*lo, *hi]),
        Some(v) => {
            return Err(rt_error(format!(
                "train_npe: option 'errors' must be [low, high] in dex, got {} values",
                v.len()
            )))
        }
    };
    let d = SurveyOptions::default();
    Ok(Some(SurveyOptions {
        missing_rate: a.missing.unwrap_or(0.0),
        sigma_range,
        copies: a.copies.unwrap_or(d.copies),
        min_present: a.min_present.unwrap_or(d.min_present),
    }))
}

/// Runs `f` with `sim`, or `sim` restricted to the `elements` option.
pub fn with_elements<R>(
    sim: &dyn Simulator,
    a: &SurveyNpeArgs,
    f: impl FnOnce(&dyn Simulator) -> RhaiResult<R>,
) -> RhaiResult<R> {
    match &a.elements {
        None => f(sim),
        Some(names) => f(&SelectOutputs::new(sim, names).map_err(rt)?),
    }
}

/// The checkpoint name of a `train_npe` call.
pub fn checkpoint_name(
    prior: &Prior,
    sim: &dyn Simulator,
    opts: &NpeOptions,
    a: &SurveyNpeArgs,
) -> RhaiResult<String> {
    Ok(match survey_options(a)? {
        None => crate::infer::npe::pipeline::checkpoint_name(prior, sim, opts),
        Some(s) => crate::infer::survey::checkpoint_name(prior, sim, opts, &s),
    })
}

/// Trains the posterior `train_npe` asked for: a survey posterior with `missing` or
/// `errors`, else the paper's.
pub fn train(
    prior: &Prior,
    sim: &dyn Simulator,
    opts: &NpeOptions,
    a: &SurveyNpeArgs,
    observer: Option<&mut dyn Observer>,
) -> RhaiResult<Result<NeuralPosterior, crate::infer::InferError>> {
    Ok(match survey_options(a)? {
        None => crate::infer::npe::pipeline::train_npe_with(prior, sim, opts, observer),
        Some(s) => crate::infer::train_survey_npe(prior, sim, opts, &s, observer),
    }
    .map(|(p, _)| p))
}

/// The column options of `infer` that are not survey options: `columns`, `errors`, `label`.
pub struct GivenColumns<'a> {
    /// A preset name or a map observable → column.
    pub columns: Option<&'a Dynamic>,
    /// Error columns, or `false`/`()` for none.
    pub errors: Option<&'a Dynamic>,
    /// The label column (`""` for none).
    pub label: Option<&'a str>,
}

/// The column mapping of `infer` from its options and the catalog: the layout of the preset
/// (`preset`, or `columns` given as a preset name; else the bundled catalogs' `obs_<X>`) for
/// the posterior's observables, with the columns a `columns` map renames (their errors then
/// come only from `errors` or an explicit preset), `errors` and `label`.
pub fn column_map(
    a: &GivenColumns,
    s: &SurveyInferArgs,
    post: &NeuralPosterior,
    t: &Table,
) -> RhaiResult<ColumnMap> {
    let names = post.obs_names();
    let named = a
        .columns
        .as_ref()
        .filter(|c| c.is_string())
        .map(|c| c.to_string());
    let preset_name = s.preset.clone().or(named);
    let preset = preset(preset_name.as_deref().unwrap_or("default"))?;
    let mut map = preset.layout(t, names);
    if let Some(d) = a.columns.filter(|c| !c.is_string()) {
        let m = d.read_lock::<Map>().ok_or_else(|| {
            rt_error("infer: option 'columns' must be a preset name (apogee, galah, chempy_npz) or map observable names to catalog columns, e.g. #{ Fe_H: \"feh\", … }")
        })?;
        if let Some(k) = m.keys().find(|k| !names.iter().any(|n| n == k.as_str())) {
            return Err(rt_error(format!(
                "infer: option 'columns' has unknown observable '{k}' (use {})",
                names.join(", ")
            )));
        }
        for (j, name) in names.iter().enumerate() {
            if let Some(c) = m.get(name.as_str()) {
                map.values[j] = c.to_string();
            }
        }
        if s.preset.is_none() {
            map.errors = None;
        }
    }
    if let Some(d) = a.errors {
        map.errors = if d.is_unit() || d.as_bool() == Ok(false) {
            None
        } else {
            let cols = super::convert::strings(d, "infer: option 'errors'")?;
            if cols.len() != names.len() {
                return Err(rt_error(format!(
                    "infer: option 'errors' names {} columns, one per observable is needed ({})",
                    cols.len(),
                    names.join(", ")
                )));
            }
            Some(cols)
        };
    }
    if let Some(l) = a.label {
        map.label = (!l.is_empty()).then(|| l.to_string());
    }
    if let Some(f) = &s.flags {
        set_flags(&mut map, f, names)?;
    }
    map.check_values(t, names, &preset.to_string())
        .map_err(rt)?;
    Ok(map)
}

/// Sets the flag columns of `infer`'s `flags` option (observable → column) in `map`.
pub fn set_flags(
    map: &mut ColumnMap,
    flags: &std::collections::BTreeMap<String, String>,
    names: &[String],
) -> RhaiResult<()> {
    let mut cols = map.flags.take().unwrap_or_else(|| vec![None; names.len()]);
    for (obs, col) in flags {
        let j = names.iter().position(|n| n == obs).ok_or_else(|| {
            rt_error(format!(
                "infer: option 'flags' has unknown observable '{obs}' (use {})",
                names.join(", ")
            ))
        })?;
        cols[j] = Some(col.clone());
    }
    map.flags = Some(cols);
    Ok(())
}

/// The simulator's observables.
fn all_observables() -> Vec<String> {
    crate::gce::ABUNDANCE_NAMES
        .iter()
        .map(|s| s.to_string())
        .collect()
}

/// The column layout named `name`.
pub fn preset(name: &str) -> RhaiResult<ColumnPreset> {
    name.parse().map_err(|e: String| rt_error(e))
}

#[export_module]
pub mod survey_api {
    use super::*;

    /// Reads the first binary table of a FITS file (APOGEE allStar, GALAH) into a Table:
    /// floats, integers (scaled by `TSCAL`/`TZERO`, `TNULL` → NaN), booleans and text;
    /// vector columns become `NAME[0]`, `NAME[1]`, …
    #[rhai_fn(return_raw)]
    pub fn read_fits(path: &str) -> RhaiResult<Table> {
        Table::read_fits(path).map_err(rt)
    }

    /// Reads a ChempyMulti `.npz` mock (`elements`, `abundances`, `abundance_errs`,
    /// `obs_time`, …) into a Table with galchem's columns `obs_<X>`, `err_<X>`, `true_<X>`.
    #[rhai_fn(return_raw)]
    pub fn read_npz(path: &str) -> RhaiResult<Table> {
        Table::read_npz(path).map_err(rt)
    }

    /// Writes a Table as a FITS binary table (atomically); `t.write("x.fits")` does too.
    #[rhai_fn(return_raw)]
    pub fn write_fits(ctx: NativeCallContext, t: Table, path: &str) -> RhaiResult<()> {
        let path = context(&ctx)?.writable("write_fits", path)?;
        t.write_fits(&path).map_err(rt)
    }

    /// The simulator's observables (`C_Fe`, `Fe_H`, …) whose value column the catalog has
    /// in the layout `preset` (`default`, `apogee`, `galah`, `chempy_npz`): its element set.
    /// ```rhai
    /// let elements = catalog_elements(read_table("allStar.fits"), "apogee");
    /// ```
    #[rhai_fn(return_raw)]
    pub fn catalog_elements(t: Table, preset_name: &str) -> RhaiResult<Array> {
        let found = preset(preset_name)?.elements_in(&t, &all_observables());
        Ok(found.into_iter().map(Dynamic::from).collect())
    }

    /// The smallest and largest error (dex) of the `elements` in the catalog, as
    /// `[low, high]`, or `()` when it has no error columns for them.
    #[rhai_fn(return_raw)]
    pub fn catalog_errors(t: Table, preset_name: &str, elements: Array) -> RhaiResult<Dynamic> {
        let names: Vec<String> = elements.iter().map(|d| d.to_string()).collect();
        let map = preset(preset_name)?.map(&t, &names).map_err(rt)?;
        let obs = ObservationTable::from_table(&t, &map).map_err(rt)?;
        Ok(obs.error_range().map_or(Dynamic::UNIT, |[lo, hi]| {
            Dynamic::from_array(vec![Dynamic::from_float(lo), Dynamic::from_float(hi)])
        }))
    }

    /// A survey-like mock catalog made with `sim` (`chempy(...)` or an emulator): stars of
    /// one galaxy with the global parameters fixed, every value with its own error, some
    /// elements missing and some values flagged, in a survey's column layout (with the true
    /// values and parameters as `true_*` columns).
    /// ```rhai
    /// let cat = mock_survey(chempy("tng"), #{ n_stars: 500, errors: [0.02, 0.15],
    ///     missing: #{ N_Fe: 0.2 }, preset: "apogee" });
    /// ```
    #[rhai_fn(return_raw)]
    pub fn mock_survey(sim: Dynamic, options: Map) -> RhaiResult<Table> {
        let a: MockSurveyArgs = super::super::options::parse(options)?;
        let elements = a.elements.clone();
        let (o, prior, preset) = mock_options(a)?;
        super::super::simulators::with_simulator(
            &sim,
            None,
            "mock_survey",
            |full| match &elements {
                None => crate::infer::mock_catalog(full, &prior, &o, preset).map_err(rt),
                Some(e) => {
                    let sub = SelectOutputs::new(full, e).map_err(rt)?;
                    crate::infer::mock_catalog(&sub, &prior, &o, preset).map_err(rt)
                }
            },
        )
    }

    /// Whether the posterior accepts missing elements and conditions on every star's errors:
    /// `#{ missing, errors, error_range }` (`error_range` the trained `[low, high]` or `()`).
    #[rhai_fn(global, pure)]
    pub fn accepts(post: &mut NeuralPosterior) -> Map {
        let enc = post.encoding();
        let mut m = Map::new();
        m.insert(
            "missing".into(),
            Dynamic::from_bool(enc.is_some_and(|e| e.masks)),
        );
        let range = enc.and_then(|e| e.sigma_range);
        m.insert("errors".into(), Dynamic::from_bool(range.is_some()));
        m.insert(
            "error_range".into(),
            range.map_or(Dynamic::UNIT, |[a, b]| {
                Dynamic::from_array(vec![Dynamic::from_float(a), Dynamic::from_float(b)])
            }),
        );
        m
    }
}
