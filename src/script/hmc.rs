//! Bindings: the HMC and MAP baselines on the hierarchical model (`hmc`, `map_fit`), NUTS on
//! a log density written as a closure (`nuts`), mock catalogs at known global parameters
//! (`mock_catalog_ages`), and their figures (`trace_figure`, `rank_figure`, `methods_figure`).

use super::convert::{as_f64, numbers};
use super::density::ClosureDensity;
use super::failure::{rt, rt_error, RhaiResult};
use super::options::{parse, OptionDoc, ScriptOptions};
use super::simulators::with_simulator;
use crate::catalog::Table;
use crate::gce::Chempy;
use crate::infer::hier::{
    chempy_model, mock_catalog as make_mock, star_data, HierOptions, MockOptions,
};
use crate::infer::hmc::{hmc_hier, nuts_density, HmcFit, HmcOptions, NutsOptions, Sampled};
use crate::infer::map::{map_hier, MapFit, MapOptions};
use crate::infer::CatalogInference;
use crate::nn::Emulator;
use crate::plot::{Figure, MethodPoint, PosteriorEstimate};
use rhai::plugin::*;
#[allow(unused_imports)]
use rhai::{Array, Dynamic, FnPtr, Map, FLOAT, INT};

crate::script_options! {
    /// Options of `hmc`.
    pub struct HmcArgs for "hmc" {
        /// Use the first n usable rows (all).
        n_stars: Option<usize>,
        /// Skip this many usable rows first (disjoint blocks of stars, spec B.4) (0).
        first: Option<usize>,
        /// Number of chains, run in parallel (4).
        chains: Option<usize>,
        /// Warm-up iterations per chain (1000).
        warmup: Option<usize>,
        /// Draws kept per chain (1000).
        draws: Option<usize>,
        /// Target acceptance of the step-size adaptation (0.8; the paper used 0.9).
        target_accept: Option<f64>,
        /// Maximum tree depth (10).
        max_depth: Option<u64>,
        /// A model error per element shared by all stars, ~ HalfCauchy(0.01 dex) (true).
        model_error: Option<bool>,
        /// Birth-time priors around the catalog's ages `obs_time ± obs_time_err`: true
        /// requires them, false ignores them (default: used when the catalog has them).
        ages: Option<bool>,
        /// The reference code's prior mean of log10 N_Ia, −2.75 (spec B.3), instead of −2.89 (false).
        paper: Option<bool>,
        /// Start jitter in Laplace standard deviations (1).
        jitter: Option<f64>,
        /// Seed of the chains and their starts.
        seed: Option<u64>,
    }
}

crate::script_options! {
    /// Options of `map_fit`.
    pub struct MapFitArgs for "map_fit" {
        /// Use the first n usable rows (all).
        n_stars: Option<usize>,
        /// Skip this many usable rows first (0).
        first: Option<usize>,
        /// A model error per element shared by all stars (true).
        model_error: Option<bool>,
        /// Birth-time priors around the catalog's ages (when the catalog has them).
        ages: Option<bool>,
        /// The reference code's prior mean of log10 N_Ia, −2.75 (false).
        paper: Option<bool>,
        /// Maximum number of L-BFGS iterations (5000).
        max_iters: Option<u64>,
    }
}

crate::script_options! {
    /// Options of `nuts`.
    pub struct NutsArgs for "nuts" {
        /// Number of chains (4).
        chains: Option<usize>,
        /// Warm-up iterations per chain (1000).
        warmup: Option<usize>,
        /// Draws kept per chain (1000).
        draws: Option<usize>,
        /// Target acceptance (0.8).
        target_accept: Option<f64>,
        /// Maximum tree depth (10).
        max_depth: Option<u64>,
        /// Seed.
        seed: Option<u64>,
    }
}

crate::script_options! {
    /// Options of `mock_catalog_ages`.
    pub struct MockArgs for "mock_catalog_ages" {
        /// Number of stars (1000).
        n: Option<usize>,
        /// The true α_IMF (−2.3).
        alpha_imf: Option<f64>,
        /// The true log10 N_Ia (−2.89).
        log10_n_ia: Option<f64>,
        /// Observational error of every abundance, dex (0.05).
        noise: Option<f64>,
        /// Relative error of the observed ages (0.2).
        age_error: Option<f64>,
        /// Range of the true birth times, Gyr ([2, 12.8]).
        birth: Option<Vec<f64>> as "two numbers [low, high]",
        /// Round the observed values to 2 decimals like the reference mocks (true).
        round: Option<bool>,
        /// Seed.
        seed: Option<u64>,
    }
}

crate::script_options! {
    /// Options of `trace_figure` and `rank_figure`.
    pub struct ChainFigureArgs for "trace_figure" {
        /// The parameters to draw (the global ones; for `nuts` results every coordinate up to 6).
        params: Option<Vec<String>>,
        /// Bins of the rank histograms (20).
        bins: Option<usize>,
    }
}

crate::script_options! {
    /// Options of `posterior_figure`.
    pub struct PosteriorFigureArgs for "posterior_figure" {
        /// The true global parameters `[alpha_imf, log10_n_ia]`, drawn as dashed lines.
        truth: Option<Vec<f64>> as "two numbers [alpha_imf, log10_n_ia]",
        /// Legend names of the results, in order (by default `hmc`, `map`, `sbi` from their types).
        labels: Option<Vec<String>>,
    }
}

crate::script_options! {
    /// Options of `methods_figure`.
    pub struct MethodsFigureArgs for "methods_figure" {
        /// The true global parameters `[alpha_imf, log10_n_ia]`, drawn as lines.
        truth: Option<Vec<f64>> as "two numbers [alpha_imf, log10_n_ia]",
    }
}

/// The option tables of this module's functions.
pub fn option_docs() -> Vec<(&'static str, &'static [OptionDoc])> {
    vec![
        ("hmc", HmcArgs::docs()),
        ("map_fit", MapFitArgs::docs()),
        ("nuts", NutsArgs::docs()),
        ("mock_catalog_ages", MockArgs::docs()),
        ("trace_figure", ChainFigureArgs::docs()),
        ("rank_figure", ChainFigureArgs::docs()),
        ("methods_figure", MethodsFigureArgs::docs()),
        ("posterior_figure", PosteriorFigureArgs::docs()),
    ]
}

/// Runs `f` with the emulator a script passed: an emulator or the path of one.
fn with_emulator<R>(
    source: &Dynamic,
    what: &str,
    f: impl FnOnce(&Emulator) -> RhaiResult<R>,
) -> RhaiResult<R> {
    if let Some(emu) = source.read_lock::<Emulator>() {
        return f(&emu);
    }
    if source.is_string() {
        let emu = Emulator::load(source.to_string()).map_err(rt)?;
        return f(&emu.with_label(source.to_string()));
    }
    if source.read_lock::<Chempy>().is_some() {
        return Err(rt_error(format!(
            "{what}: CHEMPY has no gradient; give an emulator of it (train_emulator, load_emulator) or the path of one"
        )));
    }
    Err(rt_error(format!(
        "{what}: the model must be an emulator or the path of one, not {}",
        source.type_name()
    )))
}

fn hier_options(
    n_stars: Option<usize>,
    first: Option<usize>,
    model_error: Option<bool>,
    ages: Option<bool>,
    paper: Option<bool>,
) -> HierOptions {
    let d = HierOptions::default();
    HierOptions {
        n_stars,
        first: first.unwrap_or(d.first),
        model_error: model_error.unwrap_or(d.model_error),
        ages,
        paper: paper.unwrap_or(d.paper),
    }
}

fn nuts_options(
    chains: Option<usize>,
    warmup: Option<usize>,
    draws: Option<usize>,
    target: Option<f64>,
    depth: Option<u64>,
    seed: Option<u64>,
) -> NutsOptions {
    let d = NutsOptions::default();
    NutsOptions {
        chains: chains.unwrap_or(d.chains),
        warmup: warmup.unwrap_or(d.warmup),
        draws: draws.unwrap_or(d.draws),
        target_accept: target.unwrap_or(d.target_accept),
        max_depth: depth.unwrap_or(d.max_depth),
        seed: seed.unwrap_or(d.seed),
        ..d
    }
}

/// Parameter names and, per parameter and chain, the draws: `draws[p][c][t]`.
type ChainDraws = (Vec<String>, Vec<Vec<Vec<f64>>>);

/// Draws per chain of the parameters `params` (names) of a result, and their names.
fn chain_draws(result: &Dynamic, params: Option<Vec<String>>) -> RhaiResult<ChainDraws> {
    let pick = |s: &Sampled, default: usize| -> RhaiResult<ChainDraws> {
        let names = params
            .clone()
            .unwrap_or_else(|| s.names.iter().take(default).cloned().collect());
        let draws = names
            .iter()
            .map(|n| {
                s.names
                    .iter()
                    .position(|m| m == n)
                    .map(|k| s.per_chain(k))
                    .ok_or_else(|| {
                        rt_error(format!(
                            "no parameter '{n}'; the first ones are {}",
                            s.names
                                .iter()
                                .take(8)
                                .cloned()
                                .collect::<Vec<_>>()
                                .join(", ")
                        ))
                    })
            })
            .collect::<RhaiResult<Vec<_>>>()?;
        Ok((names, draws))
    };
    if let Some(r) = result.read_lock::<HmcFit>() {
        return pick(&r.sampled, r.global.len());
    }
    if let Some(r) = result.read_lock::<Sampled>() {
        return pick(&r, r.names.len().min(6));
    }
    Err(rt_error(format!(
        "chain figures need the result of hmc or nuts, not {}",
        result.type_name()
    )))
}

/// An estimate from a map `#{ n, method, alpha_imf_mean, alpha_imf_sd, log10_n_ia_mean, log10_n_ia_sd }`.
fn method_point(d: &Dynamic) -> RhaiResult<MethodPoint> {
    let m = d
        .read_lock::<Map>()
        .ok_or_else(|| rt_error("methods_figure: every result must be a map"))?;
    let num = |k: &str| -> RhaiResult<f64> {
        m.get(k)
            .and_then(as_f64)
            .ok_or_else(|| rt_error(format!("methods_figure: a result has no number '{k}'")))
    };
    Ok(MethodPoint {
        method: m
            .get("method")
            .map(|v| v.to_string())
            .unwrap_or_else(|| "?".into()),
        n: num("n")?,
        mean: [num("alpha_imf_mean")?, num("log10_n_ia_mean")?],
        sd: [num("alpha_imf_sd")?, num("log10_n_ia_sd")?],
    })
}

/// `[alpha_imf, log10_n_ia]` from an option.
fn truth_option(truth: Option<Vec<f64>>, what: &str) -> RhaiResult<Option<[f64; 2]>> {
    match truth.as_deref() {
        None => Ok(None),
        Some([x, y]) => Ok(Some([*x, *y])),
        Some(_) => Err(rt_error(format!(
            "{what}: truth must be [alpha_imf, log10_n_ia]"
        ))),
    }
}

/// The 2 × 2 covariance of the global parameters from a `(k, k)` matrix with k ≥ 2.
fn cov2(c: &ndarray::Array2<f64>) -> [[f64; 2]; 2] {
    [[c[[0, 0]], c[[0, 1]]], [c[[1, 0]], c[[1, 1]]]]
}

/// The posterior of the global parameters of a result of `hmc`, `map_fit` or `infer`.
fn posterior_estimate(d: &Dynamic) -> RhaiResult<PosteriorEstimate> {
    let two = |mean: &[f64], what: &str| -> RhaiResult<[f64; 2]> {
        match mean {
            [a, b, ..] => Ok([*a, *b]),
            _ => Err(rt_error(format!(
                "posterior_figure: the {what} result has fewer than 2 global parameters"
            ))),
        }
    };
    if let Some(r) = d.read_lock::<HmcFit>() {
        let m: Vec<f64> = r.global.iter().map(|p| p.mean).collect();
        let v = r.global_draws.values();
        return Ok(PosteriorEstimate {
            method: "hmc".into(),
            mean: two(&m, "hmc")?,
            cov: cov2(&r.global_cov),
            draws: (v.ncols() >= 2).then(|| (v.column(0).to_vec(), v.column(1).to_vec())),
        });
    }
    if let Some(r) = d.read_lock::<MapFit>() {
        let m: Vec<f64> = r.global.iter().map(|p| p.mean).collect();
        return Ok(PosteriorEstimate {
            method: "map".into(),
            mean: two(&m, "map_fit")?,
            cov: cov2(&r.global_cov),
            draws: None,
        });
    }
    if let Some(r) = d.read_lock::<CatalogInference>() {
        let c = &r.combined.cov;
        if c.len() < 2 || c.iter().take(2).any(|row| row.len() < 2) {
            return Err(rt_error(
                "posterior_figure: the infer result has fewer than 2 global parameters",
            ));
        }
        return Ok(PosteriorEstimate {
            method: "sbi".into(),
            mean: two(&r.combined.mean, "infer")?,
            cov: [[c[0][0], c[0][1]], [c[1][0], c[1][1]]],
            draws: None,
        });
    }
    Err(rt_error(format!(
        "posterior_figure: every result must come from hmc, map_fit or infer, not {}",
        d.type_name()
    )))
}

#[export_module]
pub mod hmc_api {
    use super::*;

    /// The HMC baseline (Philcox & Rybizki 2019, spec B.3–B.5): the hierarchical model of the
    /// catalog's stars through an emulator (the object, or the path of its file), MAP and
    /// Laplace for the starts and the preconditioner, then NUTS with chains in parallel.
    /// Returns an `Hmc` result (see `help("Hmc")`): the summary of α_IMF and log10 N_Ia,
    /// R-hat, ESS, divergences, E-BFMI, the wall time and every draw.
    /// ```rhai
    /// let r = hmc(load_emulator("emulator.json"), read_csv(data_path("catalogs/mock_chempy_tng.csv")), #{ n_stars: 200 });
    /// print(`alpha_IMF = ${r.alpha_imf_mean} ± ${r.alpha_imf_sd}, R-hat ${r.rhat_max}`);
    /// r.draws.write("draws.parquet");
    /// ```
    #[rhai_fn(return_raw)]
    pub fn hmc(model: Dynamic, catalog: Table, options: Map) -> RhaiResult<HmcFit> {
        let a: HmcArgs = parse(options)?;
        let hopts = hier_options(a.n_stars, a.first, a.model_error, a.ages, a.paper);
        let mut nuts = nuts_options(
            a.chains,
            a.warmup,
            a.draws,
            a.target_accept,
            a.max_depth,
            a.seed,
        );
        nuts.jitter = a.jitter.unwrap_or(nuts.jitter);
        nuts.label = "hmc".into();
        nuts.validate().map_err(rt)?;
        with_emulator(&model, "hmc", |emu| {
            let stars = star_data(&catalog, emu, &hopts).map_err(rt)?;
            let model = chempy_model(emu, &stars, &hopts).map_err(rt)?;
            let mut fit = hmc_hier(
                &model,
                &HmcOptions {
                    nuts,
                    map: MapOptions::default(),
                },
            )
            .map_err(rt)?;
            fit.warnings.splice(0..0, stars.warnings);
            Ok(fit)
        })
    }

    /// `hmc` with the default options.
    #[rhai_fn(name = "hmc", return_raw)]
    pub fn hmc_plain(model: Dynamic, catalog: Table) -> RhaiResult<HmcFit> {
        hmc(model, catalog, Map::new())
    }

    /// The MAP baseline: the mode of the same hierarchical model as `hmc` (L-BFGS with the
    /// More–Thuente line search), the Laplace covariance from finite differences of the
    /// analytic gradient, and the marginal of α_IMF and log10 N_Ia. Fast enough for 10⁴ stars.
    /// Returns a `MapFit` (see `help("MapFit")`).
    #[rhai_fn(return_raw)]
    pub fn map_fit(model: Dynamic, catalog: Table, options: Map) -> RhaiResult<MapFit> {
        let a: MapFitArgs = parse(options)?;
        let hopts = hier_options(a.n_stars, a.first, a.model_error, a.ages, a.paper);
        let mut mopts = MapOptions::default();
        mopts.lbfgs.max_iters = a.max_iters.unwrap_or(mopts.lbfgs.max_iters);
        with_emulator(&model, "map_fit", |emu| {
            let stars = star_data(&catalog, emu, &hopts).map_err(rt)?;
            let model = chempy_model(emu, &stars, &hopts).map_err(rt)?;
            let mut fit = map_hier(&model, &mopts).map_err(rt)?;
            fit.warnings.splice(0..0, stars.warnings);
            Ok(fit)
        })
    }

    /// `map_fit` with the default options.
    #[rhai_fn(name = "map_fit", return_raw)]
    pub fn map_fit_plain(model: Dynamic, catalog: Table) -> RhaiResult<MapFit> {
        map_fit(model, catalog, Map::new())
    }

    /// NUTS on a log density written as a closure `|x| [log_density, gradient]` (x an array
    /// of numbers), from `init`. Slow (one script call per gradient) but exact. Returns a
    /// `Nuts` result (see `help("Nuts")`): `mean`, `sd`, `rhat`, `ess_bulk` per coordinate,
    /// `divergences`, and `draws` (`chain`, `draw`, `x0`, `x1`, …).
    /// ```rhai
    /// let r = nuts(|x| [-0.5 * (x[0] * x[0] + x[1] * x[1]), [-x[0], -x[1]]], [0.0, 0.0], #{ draws: 500 });
    /// print(r.mean);
    /// ```
    #[rhai_fn(return_raw)]
    pub fn nuts(
        ctx: NativeCallContext,
        f: FnPtr,
        init: Dynamic,
        options: Map,
    ) -> RhaiResult<Sampled> {
        let a: NutsArgs = parse(options)?;
        let mut opts = nuts_options(
            a.chains,
            a.warmup,
            a.draws,
            a.target_accept,
            a.max_depth,
            a.seed,
        );
        opts.jitter = 0.0;
        let init = numbers(&init, "nuts: the start")?;
        if init.is_empty() {
            return Err(rt_error("nuts: the start needs at least one coordinate"));
        }
        let d = ClosureDensity {
            ctx: &ctx,
            f: &f,
            dim: init.len(),
        };
        nuts_density(&d, &init, &opts).map_err(rt)
    }

    /// `nuts` with the default options.
    #[rhai_fn(name = "nuts", return_raw)]
    pub fn nuts_plain(ctx: NativeCallContext, f: FnPtr, init: Dynamic) -> RhaiResult<Sampled> {
        nuts(ctx, f, init, Map::new())
    }

    /// A mock catalog made like Philcox & Rybizki's (spec B.1) with a simulator
    /// (`chempy("tng")` or an emulator) at known α_IMF and log10 N_Ia: local parameters from
    /// their priors, birth times U(2, 12.8) Gyr, abundances with 0.05 dex noise, ages with
    /// 20 % errors. The table has the bundled catalogs' columns and `true_<parameter>`.
    /// (`mock_catalog`, of the calibration topic, makes mock galaxies without ages.)
    /// ```rhai
    /// let cat = mock_catalog_ages(chempy("tng"), #{ n: 200, seed: 3 });
    /// ```
    #[rhai_fn(return_raw)]
    pub fn mock_catalog_ages(sim: Dynamic, options: Map) -> RhaiResult<Table> {
        let a: MockArgs = parse(options)?;
        let d = MockOptions::default();
        let birth = match a.birth.as_deref() {
            None => d.birth,
            Some([lo, hi]) => (*lo, *hi),
            Some(_) => {
                return Err(rt_error(
                    "mock_catalog_ages: option 'birth' must be [low, high]",
                ))
            }
        };
        let opts = MockOptions {
            n: a.n.unwrap_or(d.n),
            lambda: [
                a.alpha_imf.unwrap_or(d.lambda[0]),
                a.log10_n_ia.unwrap_or(d.lambda[1]),
            ],
            noise: a.noise.unwrap_or(d.noise),
            age_error: a.age_error.unwrap_or(d.age_error),
            birth,
            round: a.round.unwrap_or(d.round),
            seed: a.seed.unwrap_or(d.seed),
        };
        with_simulator(&sim, None, "mock_catalog_ages", |s| {
            make_mock(s, &opts).map_err(rt)
        })
    }

    /// Trace plots of a result of `hmc` or `nuts`: each parameter's draws against the draw
    /// index, one line per chain.
    #[rhai_fn(return_raw)]
    pub fn trace_figure(result: Dynamic, options: Map) -> RhaiResult<Figure> {
        let a: ChainFigureArgs = parse(options)?;
        let (names, draws) = chain_draws(&result, a.params)?;
        crate::plot::trace_figure(&names, &draws).map_err(rt)
    }

    /// Rank plots of a result of `hmc` or `nuts` (Vehtari et al. 2021): histograms of each
    /// chain's ranks among all draws; flat when the chains agree.
    #[rhai_fn(return_raw)]
    pub fn rank_figure(result: Dynamic, options: Map) -> RhaiResult<Figure> {
        let a: ChainFigureArgs = parse(options)?;
        let (names, draws) = chain_draws(&result, a.params)?;
        crate::plot::rank_figure(&names, &draws, a.bins.unwrap_or(20)).map_err(rt)
    }

    /// The paper's Fig. 5 for several methods: an array of maps `#{ n, method,
    /// alpha_imf_mean, alpha_imf_sd, log10_n_ia_mean, log10_n_ia_sd }` (e.g. the `results`
    /// of `scripts/compare_sbi_hmc.rhai`), drawn with 1σ and 2σ bars against n.
    #[rhai_fn(return_raw)]
    pub fn methods_figure(results: Array, options: Map) -> RhaiResult<Figure> {
        let a: MethodsFigureArgs = parse(options)?;
        let truth = truth_option(a.truth, "methods_figure")?;
        let points = results
            .iter()
            .map(method_point)
            .collect::<RhaiResult<Vec<_>>>()?;
        crate::plot::methods_figure(&points, truth).map_err(rt)
    }

    /// The posteriors of α_IMF and log10 N_Ia of several results overlaid (results of `hmc`,
    /// `map_fit` and `infer` on the same stars): each marginal (HMC's draws as a histogram,
    /// every method's Gaussian as a curve) and the joint with 1σ and 2σ ellipses.
    /// ```rhai
    /// posterior_figure([infer(post, cat), hmc(emu, cat), map_fit(emu, cat)], #{ truth: [-2.3, -2.89] }).save("posteriors.png");
    /// ```
    #[rhai_fn(return_raw)]
    pub fn posterior_figure(results: Array, options: Map) -> RhaiResult<Figure> {
        let a: PosteriorFigureArgs = parse(options)?;
        let truth = truth_option(a.truth, "posterior_figure")?;
        let mut estimates = results
            .iter()
            .map(posterior_estimate)
            .collect::<RhaiResult<Vec<_>>>()?;
        if let Some(labels) = a.labels {
            if labels.len() != estimates.len() {
                return Err(rt_error(format!(
                    "posterior_figure: {} labels for {} results",
                    labels.len(),
                    estimates.len()
                )));
            }
            for (e, l) in estimates.iter_mut().zip(labels) {
                e.method = l;
            }
        }
        crate::plot::posterior_overlay(&estimates, truth).map_err(rt)
    }
}
