//! Bindings: the CHEMPY-equivalent simulator (`chempy("tng")`), its runs on tables, single
//! parameter sets and trajectories, and abundance-track figures.

use super::context::context;
use super::convert::{as_f64, color};
use super::failure::{rt, rt_error, RhaiResult};
use super::options::{parse, OptionDoc, ScriptOptions};
use super::results::DrawnRuns;
use crate::catalog::{ColumnData, Table};
use crate::gce::{Chempy, ModelSettings, Params, YieldSet, ABUNDANCE_NAMES, PARAM_NAMES};
use crate::model::{RunStatus, Simulated, Simulator};
use rhai::plugin::*;
#[allow(unused_imports)]
use rhai::{Array, Dynamic, Map, FLOAT, INT};

crate::script_options! {
    /// Options of `chempy(set, options)`.
    pub struct ChempyArgs for "chempy" {
        /// `"reference"` (the default) or `"chempy_multi_2019"`: ChempyMulti before
        /// 2019-08-31, which made the bundled catalog mock_chempy_tng.csv.
        preset: Option<String>,
        /// Primordial gas accreted onto the corona per unit mass of stars formed, ≥ 0 (1 in the
        /// reference, 1e-6 in the 2019 preset); overrides the preset.
        sfr_factor_for_cosmic_accretion: Option<f64>,
    }
}

crate::script_options! {
    /// Options of `track`.
    pub struct TrackArgs for "track" {
        /// Legend label.
        label: Option<String>,
        /// Colour of the line: a name, `#rrggbb` or `C0`…`C7`.
        color: Option<String>,
    }
}

/// The option tables of this module's functions.
pub fn option_docs() -> Vec<(&'static str, &'static [OptionDoc])> {
    vec![("chempy", ChempyArgs::docs()), ("track", TrackArgs::docs())]
}

/// Parameters from a map holding the six parameter names (`birth_time` may be omitted when
/// `birth_optional`; then it is the end of the model). Unknown keys are an error.
fn params_from_map(m: &Map, what: &str, birth_optional: bool) -> RhaiResult<Params> {
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
            None if birth_optional && *name == "birth_time" => v[i] = crate::gce::MAX_BIRTH_TIME,
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

/// A run's failure as a script error naming its status.
fn run_error(e: crate::gce::SimError) -> Box<EvalAltResult> {
    super::failure::fail(
        crate::error::Kind::kind(&e),
        format!("{e} (status {})", e.status()),
    )
}

/// Model settings from the options of `chempy(set, options)`.
fn settings_from_options(options: Map) -> RhaiResult<ModelSettings> {
    let a: ChempyArgs = parse(options)?;
    let mut s = match a.preset.as_deref() {
        None => ModelSettings::default(),
        Some(name) => ModelSettings::preset(name).map_err(|e| rt_error(format!("chempy: {e}")))?,
    };
    if let Some(v) = a.sfr_factor_for_cosmic_accretion {
        s.sfr_factor_for_cosmic_accretion = v;
    }
    Ok(s)
}

/// The simulator of yield set `set` with the reference settings, loaded once per session.
fn load_cached(ctx: &NativeCallContext, set: &str) -> RhaiResult<Chempy> {
    let ys: YieldSet = set.parse().map_err(|e| rt_error(format!("chempy: {e}")))?;
    let c = context(ctx)?;
    c.simulator(&ys.to_string(), || Chempy::load(c.data()?, ys).map_err(rt))
}

#[export_module]
pub mod gce_api {
    use super::*;

    /// A CHEMPY-equivalent simulator with one yield set.
    pub type Chempy = crate::gce::Chempy;

    /// The CHEMPY-equivalent simulator with the yield set `"tng"` (IllustrisTNG yields, the
    /// paper's training simulator) or `"alternative"` (Thielemann 2003 SN Ia, Nomoto 2013
    /// CC-SN, Karakas 2010 AGB; for misspecification tests). Yield tables are read from the
    /// data directory once per session.
    /// ```rhai
    /// let sim = chempy("tng");
    /// ```
    #[rhai_fn(return_raw)]
    pub fn chempy(ctx: NativeCallContext, set: &str) -> RhaiResult<Chempy> {
        load_cached(&ctx, set)
    }

    /// The simulator with changed model settings. The settings are part of the simulator's
    /// description, so a posterior trained on it records them.
    /// ```rhai
    /// let sim2019 = chempy("tng", #{ preset: "chempy_multi_2019" });
    /// ```
    #[rhai_fn(name = "chempy", return_raw)]
    pub fn chempy_with(ctx: NativeCallContext, set: &str, options: Map) -> RhaiResult<Chempy> {
        let settings = settings_from_options(options)?;
        load_cached(&ctx, set)?
            .with_settings(settings)
            .map_err(|e| rt_error(format!("chempy: {e}")))
    }

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
        let x = sim.simulate(&p).map_err(run_error)?;
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
        let tr = sim.trajectory(&p).map_err(run_error)?;
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
    /// replaced by new ones): a `DrawnRuns` with `runs` (a table of the six parameters, the
    /// eight abundances and `status`), `n_failed` (rejected draws) and `seconds`. The result
    /// depends only on the seed.
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
    ) -> RhaiResult<DrawnRuns> {
        if n < 1 || seed < 0 {
            return Err(rt_error(format!(
                "draw_valid needs n >= 1 and seed >= 0, got n = {n}, seed = {seed}"
            )));
        }
        let t0 = std::time::Instant::now();
        let (theta, x, n_failed) =
            crate::infer::draw_valid(sim, &prior, n as usize, seed as u64).map_err(rt)?;
        let runs = Simulated {
            status: vec![RunStatus::Ok; x.nrows()],
            x,
        };
        let names = sim.space().names();
        let runs =
            crate::model::runs::runs_table(&names, &theta, Simulator::output_names(sim), &runs)
                .map_err(rt)?;
        Ok(DrawnRuns {
            runs,
            n_failed,
            seconds: t0.elapsed().as_secs_f64(),
        })
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
    /// the points of `x` against `y` and the points coloured by `time`. Axis labels are set
    /// when the panel has none.
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
        let a: TrackArgs = parse(options)?;
        let color = a.color.as_deref().map(color).transpose()?;
        let (xs, ys) = (
            traj.column_f64(x).map_err(rt)?,
            traj.column_f64(y).map_err(rt)?,
        );
        let time = traj.column_f64("time").ok();
        crate::plot::track(fig, xs, ys, time, (x, y), a.label, color).map_err(rt)
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
        format!("Chempy({})", sim.label())
    }

    /// A one-line description.
    #[rhai_fn(global, pure, name = "to_debug")]
    pub fn to_debug(sim: &mut Chempy) -> String {
        format!("Chempy({})", sim.label())
    }
}
