//! Bindings: the CHEMPY-equivalent simulator (`chempy("tng")`), its runs on tables, single
//! parameter sets and trajectories, and abundance-track figures.

use super::convert::{as_f64, rt, rt_error, Opts, RhaiResult};
use super::engine::Context;
use crate::catalog::{ColumnData, Table};
use crate::gce::{Chempy, ModelSettings, Params, YieldSet, ABUNDANCE_NAMES, PARAM_NAMES};
use rhai::plugin::*;
#[allow(unused_imports)]
use rhai::{Array, Dynamic, FuncRegistration, Map, Module, FLOAT, INT};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Parameters from a map holding the six parameter names (`birth_time` may be omitted when
/// `birth_optional`; then it is the end of the model). Unknown keys are an error.
pub fn params_from_map(m: &Map, what: &str, birth_optional: bool) -> RhaiResult<Params> {
    let mut v = [0.0; 6];
    for (i, name) in PARAM_NAMES.iter().enumerate() {
        match m.get(*name) {
            Some(d) => {
                v[i] = as_f64(d).ok_or_else(|| {
                    rt_error(format!(
                        "{what}: parameter '{name}' must be a number, not {} ({d})",
                        d.type_name()
                    ))
                })?
            }
            None if birth_optional && *name == "birth_time" => v[i] = 13.8,
            None => {
                return Err(rt_error(format!(
                    "{what}: missing parameter '{name}' (the parameters are {})",
                    PARAM_NAMES.join(", ")
                )))
            }
        }
    }
    if let Some(k) = m.keys().find(|k| !PARAM_NAMES.contains(&k.as_str())) {
        return Err(rt_error(format!(
            "{what}: unknown parameter '{k}' (the parameters are {})",
            PARAM_NAMES.join(", ")
        )));
    }
    Ok(Params::from_array(v))
}

/// Typesetting of an abundance name for axis labels: `Mg_Fe` → `[Mg/Fe]`.
pub fn bracket(name: &str) -> String {
    match name.split_once('_') {
        Some((a, b)) if ABUNDANCE_NAMES.contains(&name) => format!("[{a}/{b}]"),
        _ => name.to_string(),
    }
}

#[export_module]
pub mod gce_api {
    use super::*;

    /// A CHEMPY-equivalent simulator with one yield set.
    pub type Chempy = crate::gce::Chempy;

    /// Runs the simulator on every row of a table with the columns `alpha_imf, log10_n_ia,
    /// log10_sfe, log10_sfr_peak, x_out, birth_time` (Gyr). Returns the table (other columns
    /// kept) with the abundances `C_Fe, Fe_H, He_Fe, Mg_Fe, N_Fe, Ne_Fe, O_Fe, Si_Fe` (dex) and
    /// a `status` column: `ok`, or why CHEMPY rejects the run (e.g.
    /// `inf:sfr_at_birth_below_5pct_of_mean`, `inf:element_negative_N`, `invalid:x_out`);
    /// failed rows keep their place with NaN abundances. Runs in parallel; the result does
    /// not depend on the number of threads.
    /// ```rhai
    /// let runs = chempy("tng").simulate(paper_prior().sample(1000, 1));
    /// ```
    #[rhai_fn(global, return_raw, pure)]
    pub fn simulate(sim: &mut Chempy, t: Table) -> RhaiResult<Table> {
        crate::model::runs::simulate_table(sim, &t).map_err(rt)
    }

    /// Runs one parameter set given as a map; returns the eight abundances as a map, or an
    /// error naming why CHEMPY rejects the run.
    /// ```rhai
    /// let x = chempy("tng").simulate_one(#{ alpha_imf: -2.3, log10_n_ia: -2.89, log10_sfe: -0.3,
    ///                                       log10_sfr_peak: 0.55, x_out: 0.5, birth_time: 8.0 });
    /// print(x.Fe_H);
    /// ```
    #[rhai_fn(global, return_raw, pure)]
    pub fn simulate_one(sim: &mut Chempy, params: Map) -> RhaiResult<Map> {
        let p = params_from_map(&params, "simulate_one", false)?;
        let x = sim
            .simulate(&p)
            .map_err(|e| rt_error(format!("{e} (status {})", e.status())))?;
        Ok(ABUNDANCE_NAMES
            .iter()
            .zip(x)
            .map(|(n, v)| ((*n).into(), Dynamic::from_float(v)))
            .collect())
    }

    /// The ISM abundances at every time step (CHEMPY's multi-timestep run to 13.8 Gyr) for the
    /// five physical parameters (`birth_time`, if given, is ignored). Returns a table with
    /// `time` (Gyr) and the eight abundances.
    #[rhai_fn(global, return_raw, pure)]
    pub fn trajectory(sim: &mut Chempy, params: Map) -> RhaiResult<Table> {
        let p = params_from_map(&params, "trajectory", true)?;
        let tr = sim
            .trajectory(&p)
            .map_err(|e| rt_error(format!("{e} (status {})", e.status())))?;
        let mut cols = vec![("time".to_string(), ColumnData::Float(tr.time.clone()))];
        for (j, name) in ABUNDANCE_NAMES.iter().enumerate() {
            cols.push((
                name.to_string(),
                ColumnData::Float(tr.abundances.iter().map(|a| a[j]).collect()),
            ));
        }
        Table::from_columns(cols).map_err(rt)
    }

    /// `n` successful runs with parameters drawn from `prior` (draws CHEMPY rejects are
    /// replaced by new ones): a map with `runs` (a table of the six parameters, the eight
    /// abundances and `status`), `n_failed` (rejected draws) and `seconds`.
    /// The result depends only on the seed.
    /// ```rhai
    /// let d = chempy("tng").draw_valid(paper_prior(#{ box: 5 }), 100000, 1);
    /// print(`${d.n_failed} draws failed`);
    /// ```
    #[rhai_fn(global, return_raw, pure)]
    pub fn draw_valid(
        sim: &mut Chempy,
        prior: crate::model::Prior,
        n: INT,
        seed: INT,
    ) -> RhaiResult<Map> {
        if n < 1 || seed < 0 {
            return Err(rt_error(format!(
                "draw_valid needs n >= 1 and seed >= 0, got n = {n}, seed = {seed}"
            )));
        }
        let t0 = std::time::Instant::now();
        let (theta, x, failed) =
            crate::infer::draw_valid(sim, &prior, n as usize, seed as u64).map_err(rt)?;
        let seconds = t0.elapsed().as_secs_f64();
        let runs = crate::model::Simulated {
            status: vec![crate::model::RunStatus::Ok; x.nrows()],
            x,
        };
        let t = crate::model::runs::runs_table(&PARAM_NAMES, &theta, crate::model::Simulator::output_names(sim), &runs)
            .map_err(rt)?;
        let mut m = Map::new();
        m.insert("runs".into(), Dynamic::from(t));
        m.insert("n_failed".into(), Dynamic::from_int(failed as INT));
        m.insert("seconds".into(), Dynamic::from_float(seconds));
        Ok(m)
    }

    /// The six parameter names in galchem's order: alpha_imf, log10_n_ia, log10_sfe,
    /// log10_sfr_peak, x_out, birth_time (Gyr).
    pub fn param_names() -> Array {
        PARAM_NAMES
            .iter()
            .map(|s| Dynamic::from(s.to_string()))
            .collect()
    }

    /// The eight abundance names in galchem's order: C_Fe, Fe_H, He_Fe, Mg_Fe, N_Fe, Ne_Fe,
    /// O_Fe, Si_Fe ([Fe/H] and [X/Fe], dex).
    pub fn abundance_names() -> Array {
        ABUNDANCE_NAMES
            .iter()
            .map(|s| Dynamic::from(s.to_string()))
            .collect()
    }

    /// The yield set of the simulator (`tng` or `alternative`).
    #[rhai_fn(global, pure)]
    pub fn yield_set(sim: &mut Chempy) -> String {
        sim.yield_set().to_string()
    }

    /// Adds an abundance track (e.g. from `trajectory`) to the current panel: a line through
    /// the points of `x` against `y` and the points coloured by `time`. Options: `label`,
    /// `color` (of the line). Axis labels are set when the panel has none.
    /// ```rhai
    /// let fig = figure();
    /// fig.track(sim.trajectory(params), "Fe_H", "O_Fe", #{ label: "prior means" });
    /// ```
    #[rhai_fn(global, return_raw, name = "track")]
    pub fn track(
        fig: &mut crate::plot::Figure,
        traj: Table,
        x: &str,
        y: &str,
        options: Map,
    ) -> RhaiResult<()> {
        let mut o = Opts::new(options, "track");
        let label = o.string("label")?;
        let color = match o.string("color")? {
            Some(c) => Some(
                crate::plot::parse_color_public(&c)
                    .ok_or_else(|| rt_error(format!("unknown colour '{c}'")))?,
            ),
            None => None,
        };
        o.finish()?;
        let (xs, ys) = (
            traj.column_f64(x).map_err(rt)?,
            traj.column_f64(y).map_err(rt)?,
        );
        let time = traj.column_f64("time").ok();
        let panel = fig.panel();
        if panel.xlabel.is_none() {
            panel.xlabel = Some(format!("{} (dex)", bracket(x)));
        }
        if panel.ylabel.is_none() {
            panel.ylabel = Some(format!("{} (dex)", bracket(y)));
        }
        if time.is_some() && panel.clabel.is_none() {
            panel.clabel = Some("time (Gyr)".into());
        }
        fig.line(xs.clone(), ys.clone(), label, color, 1, false)
            .map_err(rt)?;
        fig.scatter(xs, ys, time, None, color, 3).map_err(rt)
    }

    /// Abundance track with default style.
    #[rhai_fn(global, return_raw, name = "track")]
    pub fn track_plain(
        fig: &mut crate::plot::Figure,
        traj: Table,
        x: &str,
        y: &str,
    ) -> RhaiResult<()> {
        track(fig, traj, x, y, Map::new())
    }

    /// The model settings of the simulator as a map: `sfr_factor_for_cosmic_accretion`
    /// (primordial gas accreted onto the corona per unit mass of stars formed; 1 by default).
    #[rhai_fn(global, pure)]
    pub fn settings(sim: &mut Chempy) -> Map {
        let s = sim.settings();
        let mut m = Map::new();
        m.insert(
            "sfr_factor_for_cosmic_accretion".into(),
            Dynamic::from_float(s.sfr_factor_for_cosmic_accretion),
        );
        m
    }

    /// A one-line description.
    #[rhai_fn(global, pure, name = "to_string")]
    pub fn to_string(sim: &mut Chempy) -> String {
        describe(sim)
    }

    /// A one-line description.
    #[rhai_fn(global, pure, name = "to_debug")]
    pub fn to_debug(sim: &mut Chempy) -> String {
        describe(sim)
    }
}

fn describe(sim: &Chempy) -> String {
    format!("Chempy({})", sim.label())
}

/// Model settings from the options of `chempy(set, options)`: `preset` (`"reference"` or
/// `"chempy_multi_2019"`), then `sfr_factor_for_cosmic_accretion` overrides the preset.
fn settings_from_options(options: Map) -> RhaiResult<ModelSettings> {
    let mut o = Opts::new(options, "chempy");
    let mut s = o
        .choice(
            "preset",
            &[
                ("reference", ModelSettings::default()),
                ("chempy_multi_2019", ModelSettings::CHEMPY_MULTI_2019),
            ],
        )?
        .unwrap_or_default();
    if let Some(v) = o.f64("sfr_factor_for_cosmic_accretion")? {
        s.sfr_factor_for_cosmic_accretion = v;
    }
    o.finish()?;
    Ok(s)
}

/// Shared per-session cache of loaded yield tables, by yield-set name.
type SimCache = Arc<Mutex<HashMap<String, Chempy>>>;

/// The simulator of `set` with the reference settings, loaded once per session.
fn load_cached(ctx: &Context, cache: &SimCache, set: &str) -> RhaiResult<Chempy> {
    let ys: YieldSet = set.parse().map_err(|e| rt_error(format!("chempy: {e}")))?;
    let key = ys.to_string();
    if let Some(sim) = cache.lock().ok().and_then(|c| c.get(&key).cloned()) {
        return Ok(sim);
    }
    let data = ctx.data().map_err(rt_error)?;
    let sim = Chempy::load(data, ys).map_err(rt)?;
    if let Ok(mut cache) = cache.lock() {
        cache.insert(key, sim.clone());
    }
    Ok(sim)
}

/// `chempy(set)` and `chempy(set, options)`: load the yield tables once per session and share
/// them.
pub fn module(ctx: &Arc<Context>) -> Module {
    let mut m = Module::new();
    let cache: SimCache = Arc::default();
    let (c, k) = (ctx.clone(), cache.clone());
    FuncRegistration::new("chempy")
        .in_global_namespace()
        .with_comments([
            "/// The CHEMPY-equivalent simulator with the yield set `\"tng\"` (IllustrisTNG yields, the paper's\n\
             /// training simulator) or `\"alternative\"` (Thielemann 2003 SN Ia, Nomoto 2013 CC-SN,\n\
             /// Karakas 2010 AGB; for misspecification tests). Yield tables are read from the data\n\
             /// directory once per session.\n\
             /// ```rhai\n/// let sim = chempy(\"tng\");\n/// ```",
        ])
        .with_params_info(["set: &str", "Chempy"])
        .set_into_module(&mut m, move |set: &str| load_cached(&c, &k, set));
    let c = ctx.clone();
    FuncRegistration::new("chempy")
        .in_global_namespace()
        .with_comments([
            "/// The simulator with changed model settings. Options: `preset` (`\"reference\"`, the\n\
             /// default, or `\"chempy_multi_2019\"`: ChempyMulti before 2019-08-31, which made the\n\
             /// bundled catalog mock_chempy_tng.csv) and `sfr_factor_for_cosmic_accretion` (primordial\n\
             /// gas accreted onto the corona per unit mass of stars formed, ≥ 0; 1 in the reference,\n\
             /// 1e-6 in the 2019 preset). The settings are part of the simulator's description, so a\n\
             /// posterior trained on it records them.\n\
             /// ```rhai\n/// let sim2019 = chempy(\"tng\", #{ preset: \"chempy_multi_2019\" });\n/// ```",
        ])
        .with_params_info(["set: &str", "options: Map", "Chempy"])
        .set_into_module(&mut m, move |set: &str, options: Map| -> RhaiResult<Chempy> {
            let settings = settings_from_options(options)?;
            load_cached(&c, &cache, set)?
                .with_settings(settings)
                .map_err(|e| rt_error(format!("chempy: {e}")))
        });
    m
}
