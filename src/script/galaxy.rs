//! Bindings: calibration over many mock galaxies (`galaxy_calibration`). Translation only:
//! the science is in `crate::calib::galaxy`.

use super::failure::{rt, rt_error, RhaiResult};
use super::options::{parse, NumberOrList, OptionDoc, ScriptOptions};
use super::simulators::with_simulator;
use crate::calib::galaxy::{
    coverage, galaxy_calibration, GalaxyMethod, GalaxyModels, GalaxyOptions,
};
use crate::infer::catalog::systematic::FloorModel;
use crate::infer::combine::exact::ExactOptions;
use crate::infer::NeuralPosterior;
use crate::model::NoiseModel;
use crate::plot::Figure;
use rhai::plugin::*;
#[allow(unused_imports)]
use rhai::{Array, Dynamic, Map, FLOAT, INT};

/// The default combination of galaxy calibrations (marked `default: true`).
pub const DEFAULT_METHOD: &str = "divide_prior";

crate::script_options! {
    /// Options of `galaxy_calibration`.
    pub struct GalaxyArgs for "galaxy_calibration" {
        /// Galaxies of the whole run (100).
        galaxies: Option<usize>,
        /// Only galaxies `[start, end)` of them (a shard; all).
        range: Option<Vec<usize>> as "two integers [start, end]",
        /// Numbers of stars combined, ascending ([10, 100]).
        n: Option<Vec<usize>> as "a list of integers",
        /// Methods: divide_prior, paper, inverse_variance, exact_likelihood, exact_kde,
        /// exact_mixture, exact_marginal_flow, each optionally prefixed `refined_`
        /// (`refined` = refined_divide_prior) (["divide_prior", "exact_kde"]).
        methods: Option<Vec<String>> as "a list of method names",
        /// Posterior draws per star (1000).
        samples: Option<usize>,
        /// Observational errors of the mocks, dex: one for all or one per observable (0.05).
        noise: Option<NumberOrList>,
        /// The simulator of refinement and of exact_likelihood (default: the mocks').
        likelihood: Option<Dynamic> as "chempy(...) or an emulator",
        /// The 2-D posterior of the global parameters for exact_marginal_flow.
        marginal: Option<Dynamic> as "a Posterior over the two global parameters",
        /// Draws of the local parameters per grid point of exact_likelihood (64).
        is_samples: Option<usize>,
        /// Seed (1).
        seed: Option<u64>,
    }
}

/// Option tables of this module.
pub fn option_docs() -> Vec<(&'static str, &'static [OptionDoc])> {
    vec![(GalaxyArgs::FUNCTION, GalaxyArgs::docs())]
}

fn options(a: &GalaxyArgs, n_obs: usize) -> RhaiResult<GalaxyOptions> {
    let galaxies = a.galaxies.unwrap_or(100);
    let range = match a.range.as_deref() {
        None => 0..galaxies,
        Some([s, e]) => *s..*e,
        Some(r) => {
            return Err(rt_error(format!(
                "galaxy_calibration: range must be [start, end], not {r:?}"
            )))
        }
    };
    let methods = a
        .methods
        .clone()
        .unwrap_or_else(|| vec!["divide_prior".into(), "exact_kde".into()])
        .iter()
        .map(|m| m.parse::<GalaxyMethod>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| rt_error(format!("galaxy_calibration: methods: {e}")))?;
    let mut exact = ExactOptions::default();
    if let Some(k) = a.is_samples {
        exact.likelihood.samples = k;
    }
    Ok(GalaxyOptions {
        galaxies,
        range,
        n_stars: a.n.clone().unwrap_or_else(|| vec![10, 100]),
        methods,
        samples: a.samples.unwrap_or(1000),
        noise: NoiseModel::new(
            a.noise
                .as_ref()
                .map_or(vec![0.05; n_obs], |n| n.values(n_obs)),
        ),
        exact,
        seed: a.seed.unwrap_or(1),
    })
}

fn run(post: &NeuralPosterior, mock: &Dynamic, a: &GalaxyArgs) -> RhaiResult<Dynamic> {
    let opts = options(a, post.obs_names().len())?;
    let marginal = match &a.marginal {
        None => None,
        Some(d) => Some(
            d.clone()
                .try_cast::<NeuralPosterior>()
                .ok_or_else(|| rt_error("galaxy_calibration: marginal must be a Posterior"))?,
        ),
    };
    with_simulator(mock, None, "galaxy_calibration", |mock_sim| {
        let go = |like: Option<&dyn crate::model::Simulator>| {
            let models = GalaxyModels {
                posterior: post,
                mock: mock_sim,
                likelihood: like,
                marginal: marginal.as_ref().map(|m| m as &dyn crate::model::Posterior),
            };
            let run = galaxy_calibration(models, &opts).map_err(rt)?;
            let cov = coverage(&run.records, DEFAULT_METHOD);
            let mut m = Map::new();
            m.insert("records".into(), rhai::serde::to_dynamic(&run.records)?);
            m.insert("done".into(), Dynamic::from_int(run.done as INT));
            m.insert(
                "stopped".into(),
                run.stopped.map_or(Dynamic::UNIT, Dynamic::from),
            );
            m.insert("coverage".into(), rhai::serde::to_dynamic(&cov)?);
            Ok(Dynamic::from_map(m))
        };
        match &a.likelihood {
            None => go(None),
            Some(l) => with_simulator(l, None, "galaxy_calibration: likelihood", |s| go(Some(s))),
        }
    })
}

/// Galaxy records from a script array.
fn records_of(records: Array) -> RhaiResult<Vec<crate::calib::GalaxyRecord>> {
    records
        .into_iter()
        .map(|d| rhai::serde::from_dynamic(&d))
        .collect::<Result<_, _>>()
}

/// The floor of option `systematic` of `function`: a `galaxy_floor` map (its `cov` and
/// `growth`) or a 2 × 2 matrix of finite numbers, symmetric with a non-negative diagonal.
pub(crate) fn floor_model(v: &serde_json::Value, function: &str) -> RhaiResult<FloorModel> {
    let m = v.get("cov").unwrap_or(v);
    let bad = || {
        rt_error(format!(
            "{function}: option 'systematic' must be the map of galaxy_floor or [[a, b], [b, c]] in dex² (a, c ≥ 0), got {v}"
        ))
    };
    let rows = m.as_array().filter(|r| r.len() == 2).ok_or_else(bad)?;
    let mut t = [[0.0; 2]; 2];
    for (a, row) in rows.iter().enumerate() {
        let row = row.as_array().filter(|r| r.len() == 2).ok_or_else(bad)?;
        for (b, x) in row.iter().enumerate() {
            t[a][b] = x.as_f64().ok_or_else(bad)?;
        }
    }
    let growth = match v.get("growth") {
        None | Some(serde_json::Value::Null) => None,
        Some(g) => Some(serde_json::from_value(g.clone()).map_err(|e| {
            rt_error(format!(
                "{function}: option 'systematic': its growth is not the map of galaxy_floor ({e})"
            ))
        })?),
    };
    let f = FloorModel { cov: t, growth };
    f.check()
        .map_err(|e| rt_error(format!("{function}: option 'systematic': {e}")))?;
    Ok(f)
}

/// The name under which a posterior keeps the floor of a combination: its galaxy
/// calibration name (`divide_prior`, `exact_kde`, `refined_paper`, …).
pub(crate) fn floor_key(
    gaussian: Option<crate::infer::CombineMethod>,
    exact: Option<&ExactOptions>,
    refined: bool,
) -> String {
    GalaxyMethod {
        refined,
        gaussian: if exact.is_some() {
            None
        } else {
            Some(gaussian.unwrap_or_default())
        },
        density: exact.map(|e| e.density).unwrap_or_default(),
    }
    .name()
}

/// Option `systematic` of `function` resolved against `post`: `false` or `()` for none, a
/// floor map or matrix as given, and without the option the floor the posterior carries for
/// combination `key` (see [`floor_key`]), if any.
pub(crate) fn resolve_floor(
    v: Option<&serde_json::Value>,
    post: &NeuralPosterior,
    key: &str,
    function: &str,
) -> RhaiResult<Option<FloorModel>> {
    match v {
        None => Ok(post.floor_for(key).map(|f| f.model())),
        Some(serde_json::Value::Bool(false)) | Some(serde_json::Value::Null) => Ok(None),
        Some(v) => floor_model(v, function).map(Some),
    }
}

#[export_module]
pub mod galaxy_api {
    use super::*;

    /// Calibration over many mock galaxies: for each galaxy, the global parameters Λ from
    /// the prior, `max(n)` stars simulated with `sim` (local parameters from the prior,
    /// Gaussian noise), every star's posterior sampled, and the first n stars combined with
    /// every method. Returns `#{ records, coverage }`: one record per galaxy, n and method
    /// (truth, mean, sd, the credibility of the smallest region holding the truth, marginal
    /// CDFs at the truth), and per method and n the fractions `c68`, `c95` of galaxies whose
    /// joint 68 % / 95 % region of Λ holds the truth, the mean and sd of the standardised
    /// errors and the rank histograms. Galaxy g depends only on the seed and g, so `range`
    /// splits a run into shards whose records concatenate.
    /// ```rhai
    /// let r = galaxy_calibration(post, chempy("tng"), #{ galaxies: 400, n: [10, 100, 1000],
    ///     methods: ["divide_prior", "exact_kde", "exact_likelihood"], seed: 1 });
    /// for c in r.coverage { print(`${c.method} n=${c.n}: ${c.c68} / ${c.c95}`); }
    /// ```
    #[rhai_fn(return_raw)]
    pub fn galaxy_calibration(
        post: &mut NeuralPosterior,
        sim: Dynamic,
        options: Map,
    ) -> RhaiResult<Dynamic> {
        let a: GalaxyArgs = parse(options)?;
        run(post, &sim, &a)
    }

    /// The coverage table of galaxy records (e.g. of several shards joined): one entry per
    /// method and n, `default: true` on galchem's default method (`divide_prior`).
    #[rhai_fn(return_raw)]
    pub fn galaxy_coverage(records: Array) -> RhaiResult<Array> {
        let cov = coverage(&records_of(records)?, DEFAULT_METHOD);
        cov.iter().map(rhai::serde::to_dynamic).collect()
    }

    /// The coverage table of galaxy records with `default: true` on method `default` (e.g.
    /// `"divide_prior+floor"`, what `infer` does with a posterior that carries a floor).
    #[rhai_fn(name = "galaxy_coverage", return_raw)]
    pub fn galaxy_coverage_marked(records: Array, default: &str) -> RhaiResult<Array> {
        let cov = coverage(&records_of(records)?, default);
        cov.iter().map(rhai::serde::to_dynamic).collect()
    }

    /// The systematic floor T of `method` measured on galaxy records (at their largest n):
    /// the mean of e eᵀ − Σ over galaxies, e the error of the combined mean and Σ its
    /// covariance, made positive semi-definite. Returns `#{ method, n, galaxies, cov, sd }`
    /// (dex², dex), for `infer(…, #{ systematic: floor })` and `galaxy_apply_floor`
    /// (book: "Many stars").
    /// ```rhai
    /// let floor = galaxy_floor(r.records, "divide_prior");
    /// let held_out = galaxy_calibration(post, sim, #{ galaxies: 100, n: [100, 1000], seed: 9 });
    /// let widened = galaxy_apply_floor(held_out.records, floor);
    /// ```
    #[rhai_fn(return_raw)]
    pub fn galaxy_floor(records: Array, method: &str) -> RhaiResult<Dynamic> {
        let f = crate::calib::estimate_floor(&records_of(records)?, method, None).map_err(rt)?;
        rhai::serde::to_dynamic(&f)
    }

    /// The records of the floor's method with the floor added to their covariances and
    /// re-scored, named `<method>+floor` (for `galaxy_coverage`).
    #[rhai_fn(return_raw)]
    pub fn galaxy_apply_floor(records: Array, floor: Dynamic) -> RhaiResult<Array> {
        let f: crate::calib::SystematicFloor = rhai::serde::from_dynamic(&floor)?;
        let out = crate::calib::apply_floor(&records_of(records)?, &f);
        out.iter().map(rhai::serde::to_dynamic).collect()
    }

    /// The coverage table of `galaxy_coverage` as a figure: per method, the fraction of
    /// galaxies whose 68 % (left) and 95 % (right) regions hold the truth against the number
    /// of stars, with the nominal level and its ±2 binomial standard errors.
    #[rhai_fn(return_raw)]
    pub fn galaxy_coverage_figure(coverage: Array) -> RhaiResult<Figure> {
        let cov: Vec<crate::calib::galaxy::Coverage> = coverage
            .into_iter()
            .map(|d| rhai::serde::from_dynamic(&d))
            .collect::<Result<_, _>>()?;
        crate::plot::galaxy_coverage_figure(&cov).map_err(rt)
    }
}
