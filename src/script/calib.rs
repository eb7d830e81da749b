//! Bindings: calibration diagnostics (`calibrate`, `sbc`, `tarp`, `coverage`, `ppc`,
//! `lc2st`), mock catalogs (`mock_catalog`) and their figures. Translation only: the
//! science is in `crate::calib`.

use super::calib_shard::{output, run_into};
use super::failure::{rt, rt_error, RhaiResult};
use super::options::{parse, NumberOrList, OptionDoc, ScriptOptions};
use super::simulators::with_simulator;
use crate::calib::{
    self, Calibration, Convention, CoverageOptions, CoverageResult, Lc2stOptions, Lc2stResult,
    MockOptions, PpcOptions, PpcResult, RunOptions, SbcOptions, SbcResult, TarpOptions, TarpResult,
};
use crate::catalog::Table;
use crate::infer::{ColumnMap, NeuralPosterior, ObservationTable};
use crate::model::{NoiseModel, Prior};
use crate::plot::Figure;
use rhai::plugin::*;
#[allow(unused_imports)]
use rhai::{Array, Dynamic, Map, FLOAT, INT};

crate::script_options! {
    /// Options of `calibrate`.
    pub struct CalibrateArgs for "calibrate" {
        /// Simulations (1000).
        n: Option<usize>,
        /// Posterior draws per simulation (1000).
        samples: Option<usize>,
        /// Seed; simulation i depends only on the seed and i.
        seed: Option<u64>,
        /// Observation noise added to the simulations: σ in dex for every observable, or one
        /// per observable (the posterior's training noise).
        noise: Option<NumberOrList>,
        /// The prior θ* is drawn from, a `Prior` (the posterior's).
        prior: Option<Dynamic> as "a Prior",
        /// Run only the simulation indices `[start, end)` of the n (a shard; all).
        range: Option<Vec<usize>> as "two integers [start, end]",
        /// TARP references: `default` (in the normalised space) or `paper` (sbi 0.23.1).
        convention: Option<String>,
        /// TARP bootstrap resamples (100; 0 for none).
        bootstrap: Option<usize>,
        /// Run only shard `"i/n"` of the n simulations (blocks of 16 indices) and write its
        /// partial file; `galchem merge` joins the partials (all: no shard).
        shard: Option<String>,
        /// The calibration file (JSON) of the whole run; a shard writes its partial next to
        /// it as `<stem>.shard-i-of-n.json` (none).
        out: Option<String>,
        /// A shard's partial file (next to `out`).
        partial: Option<String>,
    }
}
crate::script_options! {
    /// Options of `sbc`.
    pub struct SbcArgs for "sbc" {
        /// Simulations (1000).
        n: Option<usize>,
        /// Posterior draws per simulation (1000).
        samples: Option<usize>,
        /// Seed; simulation i depends only on the seed and i.
        seed: Option<u64>,
        /// Observation noise added to the simulations: σ in dex for every observable, or one
        /// per observable (the posterior's training noise).
        noise: Option<NumberOrList>,
        /// The prior θ* is drawn from, a `Prior` (the posterior's).
        prior: Option<Dynamic> as "a Prior",
        /// Run only the simulation indices `[start, end)` of the n (a shard; all).
        range: Option<Vec<usize>> as "two integers [start, end]",
        /// TARP references: `default` (in the normalised space) or `paper` (sbi 0.23.1).
        convention: Option<String>,
        /// TARP bootstrap resamples (100; 0 for none).
        bootstrap: Option<usize>,
        /// Rank histogram bins (n/20, at most 50).
        bins: Option<usize>,
        /// Rank histogram: `default` (all ranks, band of p = 1/bins) or `paper` (sbi's
        /// [min, max] range and p = 1/(bins + 1)); also the TARP convention of a new run.
        histogram: Option<String>,
    }
}
crate::script_options! {
    /// Options of `tarp`.
    pub struct TarpArgs for "tarp" {
        /// Simulations (1000).
        n: Option<usize>,
        /// Posterior draws per simulation (1000).
        samples: Option<usize>,
        /// Seed; simulation i depends only on the seed and i.
        seed: Option<u64>,
        /// Observation noise added to the simulations: σ in dex for every observable, or one
        /// per observable (the posterior's training noise).
        noise: Option<NumberOrList>,
        /// The prior θ* is drawn from, a `Prior` (the posterior's).
        prior: Option<Dynamic> as "a Prior",
        /// Run only the simulation indices `[start, end)` of the n (a shard; all).
        range: Option<Vec<usize>> as "two integers [start, end]",
        /// TARP references: `default` (in the normalised space) or `paper` (sbi 0.23.1).
        convention: Option<String>,
        /// TARP bootstrap resamples (100; 0 for none).
        bootstrap: Option<usize>,
        /// Credibility bins (30).
        bins: Option<usize>,
    }
}
crate::script_options! {
    /// Options of `coverage`.
    pub struct CoverageArgs for "coverage" {
        /// Simulations (1000).
        n: Option<usize>,
        /// Posterior draws per simulation (1000).
        samples: Option<usize>,
        /// Seed; simulation i depends only on the seed and i.
        seed: Option<u64>,
        /// Observation noise added to the simulations: σ in dex for every observable, or one
        /// per observable (the posterior's training noise).
        noise: Option<NumberOrList>,
        /// The prior θ* is drawn from, a `Prior` (the posterior's).
        prior: Option<Dynamic> as "a Prior",
        /// Run only the simulation indices `[start, end)` of the n (a shard; all).
        range: Option<Vec<usize>> as "two integers [start, end]",
        /// TARP references: `default` (in the normalised space) or `paper` (sbi 0.23.1).
        convention: Option<String>,
        /// TARP bootstrap resamples (100; 0 for none).
        bootstrap: Option<usize>,
        /// Credibility levels (0.05, 0.10, …, 0.95 and 0.68).
        levels: Option<Vec<f64>>,
    }
}
crate::script_options! {
    /// Options of `ppc`.
    pub struct PpcArgs for "ppc" {
        /// Check only the first n usable stars (all).
        n_stars: Option<usize>,
        /// Posterior draws, and simulator runs, per star (100).
        samples: Option<usize>,
        /// Seed; a star's draws depend only on the seed and its row.
        seed: Option<u64>,
        /// Errors (dex) for a catalog without `err_<X>` columns (the posterior's noise).
        noise: Option<NumberOrList>,
        /// p-values below this flag a star (0.01).
        alpha: Option<f64>,
        /// |standardised residual| above this names an element (3).
        residual_limit: Option<f64>,
        /// Simulations from the prior that define the training range (4000).
        reference_sims: Option<usize>,
        /// Widening of the training range, in noise σ per side (5).
        margin: Option<f64>,
    }
}

crate::script_options! {
    /// Options of `lc2st`.
    pub struct Lc2stArgs for "lc2st" {
        /// Calibration simulations (pairs per class, 2000).
        n: Option<usize>,
        /// Posterior draws at the observation (1000).
        samples: Option<usize>,
        /// Classifiers trained on permuted labels for the null distribution (20).
        permutations: Option<usize>,
        /// Hidden layer widths of the classifier ([32, 32]).
        hidden: Option<Vec<usize>>,
        /// Training epochs of every classifier (40).
        epochs: Option<usize>,
        /// Seed.
        seed: Option<u64>,
        /// Noise of the simulations, σ in dex or one per observable (the posterior's).
        noise: Option<NumberOrList>,
    }
}

crate::script_options! {
    /// Options of `mock_catalog`.
    pub struct MockArgs for "mock_catalog" {
        /// Number of stars (1000).
        n: Option<usize>,
        /// Observational errors: σ in dex, or one per output (0.05).
        noise: Option<NumberOrList>,
        /// Values of the global parameters shared by the stars (the prior means: −2.3, −2.89).
        globals: Option<Vec<f64>>,
        /// The prior of the local parameters, a `Prior` (birth time U(2, 12.8) Gyr).
        prior: Option<Dynamic> as "a Prior",
        /// Seed.
        seed: Option<u64>,
    }
}

/// The option tables of this module's functions.
pub fn option_docs() -> Vec<(&'static str, &'static [OptionDoc])> {
    vec![
        ("calibrate", CalibrateArgs::docs()),
        ("sbc", SbcArgs::docs()),
        ("tarp", TarpArgs::docs()),
        ("coverage", CoverageArgs::docs()),
        ("ppc", PpcArgs::docs()),
        ("lc2st", Lc2stArgs::docs()),
        ("mock_catalog", MockArgs::docs()),
    ]
}

/// The run settings shared by the options of `calibrate`, `sbc`, `tarp` and `coverage`.
struct RunParts {
    n: Option<usize>,
    samples: Option<usize>,
    seed: Option<u64>,
    noise: Option<NumberOrList>,
    prior: Option<Dynamic>,
    range: Option<Vec<usize>>,
    convention: Option<String>,
    bootstrap: Option<usize>,
}

macro_rules! parts {
    ($a:expr) => {
        RunParts {
            n: $a.n,
            samples: $a.samples,
            seed: $a.seed,
            noise: $a.noise.clone(),
            prior: $a.prior.clone(),
            range: $a.range.clone(),
            convention: $a.convention.clone(),
            bootstrap: $a.bootstrap,
        }
    };
}

fn convention(s: &Option<String>) -> RhaiResult<Convention> {
    s.as_deref()
        .map_or(Ok(Convention::Default), |c| c.parse().map_err(rt_error))
}

fn prior(d: &Option<Dynamic>, what: &str) -> RhaiResult<Option<Prior>> {
    d.as_ref()
        .map(|p| {
            p.clone()
                .try_cast::<Prior>()
                .ok_or_else(|| rt_error(format!("{what}: option 'prior' must be a Prior")))
        })
        .transpose()
}

/// The library's run settings from the script's.
fn run_options(p: RunParts, n_obs: usize) -> RhaiResult<RunOptions> {
    let d = RunOptions::default();
    let range = match p.range {
        None => None,
        Some(v) if v.len() == 2 => Some(v[0]..v[1]),
        Some(v) => {
            return Err(rt_error(format!(
                "option 'range' must be [start, end], got {} values",
                v.len()
            )))
        }
    };
    Ok(RunOptions {
        n: p.n.unwrap_or(d.n),
        samples: p.samples.unwrap_or(d.samples),
        seed: p.seed.unwrap_or(d.seed),
        noise: p.noise.map(|n| NoiseModel::new(n.values(n_obs))),
        prior: prior(&p.prior, "calibrate")?,
        range,
        convention: convention(&p.convention)?,
        tarp_sets: 1 + p.bootstrap.unwrap_or(100),
        ..d
    })
}

/// A calibration run of `post` with the simulator a script passed.
fn calibrate_with(
    post: &NeuralPosterior,
    sim: &Dynamic,
    p: RunParts,
    what: &str,
) -> RhaiResult<Calibration> {
    let opts = run_options(p, post.obs_names().len())?;
    with_simulator(sim, None, what, |s| calib::run(post, s, &opts).map_err(rt))
}

fn sbc_options(a: &SbcArgs) -> RhaiResult<SbcOptions> {
    Ok(SbcOptions {
        bins: a.bins,
        convention: convention(&a.histogram)?,
    })
}

fn coverage_options(levels: &Option<Vec<f64>>) -> CoverageOptions {
    levels
        .clone()
        .map_or_else(CoverageOptions::default, |levels| CoverageOptions {
            levels,
        })
}

fn tarp_options(bins: Option<usize>, bootstrap: Option<usize>) -> TarpOptions {
    let d = TarpOptions::default();
    TarpOptions {
        bins: bins.unwrap_or(d.bins),
        bootstrap: bootstrap.unwrap_or(d.bootstrap),
    }
}

/// The catalog's observations in the layout of the bundled catalogs.
fn observations(post: &NeuralPosterior, t: &Table) -> RhaiResult<ObservationTable> {
    let map = ColumnMap::catalog_default(t);
    if map.values.len() != post.obs_names().len() {
        return Err(rt_error(
            "ppc: the catalog layout (obs_<X> columns) does not match the posterior's observables",
        ));
    }
    ObservationTable::from_table(t, &map).map_err(rt)
}

#[export_module]
pub mod calib_api {
    use super::*;

    /// A calibration run: n parameter sets θ* from the prior, their simulations with noise,
    /// `samples` posterior draws for each, and per simulation the ranks of θ*, the
    /// posterior's mean and sd, the joint density rank and the TARP levels. `sbc(run)`,
    /// `tarp(run)` and `coverage(run)` summarise it; simulation i depends only on the seed
    /// and i, so `range` shards merge (`a.merge(b)`) into the whole run. With `out`, the run
    /// is also saved there (`load_calibration` reads it). With `shard: "i/n"` (e.g. from
    /// `slurm_shard()`), only that shard runs and writes its partial file; the call returns
    /// `#{ shard, partial, first, end, n_blocks, n_usable, seconds }`, and `galchem merge
    /// PARTIALS -o OUT` writes the whole run's file, byte for byte. A shard stopped by
    /// SIGTERM or Ctrl-C keeps its finished steps; the same call resumes it.
    /// ```rhai
    /// let run = calibrate(post, chempy("tng"), #{ n: 1000, samples: 1000, seed: 1 });
    /// print(sbc(run).ks_pvalues);
    /// calibrate(post, chempy("tng"), #{ n: 1000, shard: "0/4", out: "calibration.json" });
    /// ```
    #[rhai_fn(return_raw)]
    pub fn calibrate(
        ctx: NativeCallContext,
        post: &mut NeuralPosterior,
        sim: Dynamic,
        options: Map,
    ) -> RhaiResult<Dynamic> {
        let a: CalibrateArgs = parse(options)?;
        let c = super::super::context::context(&ctx)?;
        let output = output(
            &c,
            a.shard.as_deref(),
            a.out.as_deref(),
            a.partial.as_deref(),
        )?;
        let opts = run_options(parts!(a), post.obs_names().len())?;
        with_simulator(&sim, None, "calibrate", |s| {
            run_into(post, s, &opts, &output)
        })
    }

    /// A calibration run with the default options.
    #[rhai_fn(name = "calibrate", return_raw)]
    pub fn calibrate_plain(
        ctx: NativeCallContext,
        post: &mut NeuralPosterior,
        sim: Dynamic,
    ) -> RhaiResult<Dynamic> {
        calibrate(ctx, post, sim, Map::new())
    }

    /// The records of two shards of the same run, joined.
    #[rhai_fn(global, return_raw)]
    pub fn merge(run: Calibration, other: Calibration) -> RhaiResult<Calibration> {
        run.merge(other).map_err(rt)
    }

    /// Simulation-based calibration (Talts et al. 2018): a calibration run and its SBC —
    /// per parameter the ranks of θ* among the draws, KS and χ² p-values of their
    /// uniformity, the rank histogram with its binomial 99 % band, ECDF differences with a
    /// simultaneous band, and the data-averaged posterior against the prior. Returns an
    /// `Sbc` (`ks_pvalues`, `chi2_pvalues`, `dap_pvalues`, `ranks`, …, `.figure()`).
    /// ```rhai
    /// let s = sbc(post, chempy("tng"), #{ n: 200, samples: 1000 });
    /// s.figure().save("sbc.png");
    /// ```
    #[rhai_fn(return_raw)]
    pub fn sbc(post: &mut NeuralPosterior, sim: Dynamic, options: Map) -> RhaiResult<SbcResult> {
        let a: SbcArgs = parse(options)?;
        let mut p = parts!(a);
        p.convention = p.convention.or(a.histogram.clone());
        let run = calibrate_with(post, &sim, p, "sbc")?;
        calib::sbc(&run, &sbc_options(&a)?).map_err(rt)
    }

    /// SBC of an existing calibration run (options `bins`, `histogram`).
    #[rhai_fn(name = "sbc", return_raw)]
    pub fn sbc_of(run: &mut Calibration, options: Map) -> RhaiResult<SbcResult> {
        let a: SbcArgs = parse(options)?;
        calib::sbc(run, &sbc_options(&a)?).map_err(rt)
    }

    /// SBC of an existing calibration run.
    #[rhai_fn(name = "sbc", return_raw)]
    pub fn sbc_of_plain(run: &mut Calibration) -> RhaiResult<SbcResult> {
        calib::sbc(run, &SbcOptions::default()).map_err(rt)
    }

    /// TARP (Lemos et al. 2023): a calibration run and the expected coverage probability of
    /// random-reference balls against credibility level, the ATC (> 0 over-dispersed, < 0
    /// over-confident), a KS p-value and a bootstrap band. `convention: "paper"` reproduces
    /// sbi 0.23.1. Returns a `Tarp` (`atc`, `ks_pvalue`, `alpha`, `ecp`, …, `.figure()`).
    #[rhai_fn(return_raw)]
    pub fn tarp(post: &mut NeuralPosterior, sim: Dynamic, options: Map) -> RhaiResult<TarpResult> {
        let a: TarpArgs = parse(options)?;
        let run = calibrate_with(post, &sim, parts!(a), "tarp")?;
        calib::tarp(&run, &tarp_options(a.bins, a.bootstrap)).map_err(rt)
    }

    /// TARP of an existing calibration run (options `bins`, `bootstrap`).
    #[rhai_fn(name = "tarp", return_raw)]
    pub fn tarp_of(run: &mut Calibration, options: Map) -> RhaiResult<TarpResult> {
        let a: TarpArgs = parse(options)?;
        calib::tarp(run, &tarp_options(a.bins, a.bootstrap)).map_err(rt)
    }

    /// TARP of an existing calibration run.
    #[rhai_fn(name = "tarp", return_raw)]
    pub fn tarp_of_plain(run: &mut Calibration) -> RhaiResult<TarpResult> {
        calib::tarp(run, &TarpOptions::default()).map_err(rt)
    }

    /// Expected coverage (Hermans et al. 2022): a calibration run and, at credibility levels
    /// 0.05 … 0.95 and 0.68, the fraction of simulations whose θ* lies in the posterior's
    /// central interval (per parameter), in its highest-density region (`joint`, through
    /// the posterior's log density) and in the global parameters' joint region. Returns a
    /// `Coverage` (`levels`, `coverage`, …, `.figure()`).
    #[rhai_fn(return_raw)]
    pub fn coverage(
        post: &mut NeuralPosterior,
        sim: Dynamic,
        options: Map,
    ) -> RhaiResult<CoverageResult> {
        let a: CoverageArgs = parse(options)?;
        let run = calibrate_with(post, &sim, parts!(a), "coverage")?;
        calib::coverage(&run, &coverage_options(&a.levels)).map_err(rt)
    }

    /// Coverage of an existing calibration run (option `levels`).
    #[rhai_fn(name = "coverage", return_raw)]
    pub fn coverage_of(run: &mut Calibration, options: Map) -> RhaiResult<CoverageResult> {
        let a: CoverageArgs = parse(options)?;
        calib::coverage(run, &coverage_options(&a.levels)).map_err(rt)
    }

    /// Coverage of an existing calibration run.
    #[rhai_fn(name = "coverage", return_raw)]
    pub fn coverage_of_plain(run: &mut Calibration) -> RhaiResult<CoverageResult> {
        calib::coverage(run, &CoverageOptions::default()).map_err(rt)
    }

    /// Posterior predictive checks of a catalog (columns `obs_<X>`, errors `err_<X>` when
    /// present, `star`): each star's posterior draws are run through the simulator (use
    /// `chempy(...)`, not an emulator) and compared with its abundances within its errors.
    /// Returns a `Ppc`: `p_values` (sampled-posterior, uniform under a well-specified
    /// model), `ks_pvalue` (their uniformity), `p_classical`, `flagged` (misfits, rows
    /// outside the training range, unusable rows, with the elements responsible), `n_stars`,
    /// per-star `stars` and per-element residuals.
    /// ```rhai
    /// let r = ppc(post, chempy("tng"), read_csv("catalog.csv"), #{ n_stars: 200, samples: 100 });
    /// print(`KS p = ${r.ks_pvalue}, ${r.flagged.len()} stars flagged`);
    /// ```
    #[rhai_fn(return_raw)]
    pub fn ppc(
        post: &mut NeuralPosterior,
        sim: Dynamic,
        catalog: Table,
        options: Map,
    ) -> RhaiResult<PpcResult> {
        let a: PpcArgs = parse(options)?;
        let d = PpcOptions::default();
        let opts = PpcOptions {
            n_stars: a.n_stars,
            samples: a.samples.unwrap_or(d.samples),
            seed: a.seed.unwrap_or(d.seed),
            noise: a
                .noise
                .map(|n| NoiseModel::new(n.values(post.obs_names().len()))),
            alpha: a.alpha.unwrap_or(d.alpha),
            residual_limit: a.residual_limit.unwrap_or(d.residual_limit),
            reference_sims: a.reference_sims.unwrap_or(d.reference_sims),
            margin: a.margin.unwrap_or(d.margin),
        };
        let obs = observations(post, &catalog)?;
        with_simulator(&sim, None, "ppc", |s| {
            calib::ppc(&*post, s, &obs.view(), &opts).map_err(rt)
        })
    }

    /// Posterior predictive checks with the default options.
    #[rhai_fn(name = "ppc", return_raw)]
    pub fn ppc_plain(
        post: &mut NeuralPosterior,
        sim: Dynamic,
        catalog: Table,
    ) -> RhaiResult<PpcResult> {
        ppc(post, sim, catalog, Map::new())
    }

    /// The local classifier two-sample test (Linhart et al. 2023) at one observation `x`
    /// (one value per observable): galchem's MLP learns to tell true (θ, x) pairs from
    /// posterior ones; at `x` its departure from ½ is the statistic, against a null from
    /// classifiers trained on permuted labels. Returns an `Lc2st` (`statistic`, `p_value`,
    /// `null_statistics`, `.figure()`).
    #[rhai_fn(return_raw)]
    pub fn lc2st(
        post: &mut NeuralPosterior,
        sim: Dynamic,
        x: Dynamic,
        options: Map,
    ) -> RhaiResult<Lc2stResult> {
        let a: Lc2stArgs = parse(options)?;
        let d = Lc2stOptions::default();
        let opts = Lc2stOptions {
            n: a.n.unwrap_or(d.n),
            samples: a.samples.unwrap_or(d.samples),
            null: a.permutations.unwrap_or(d.null),
            hidden: a.hidden.unwrap_or(d.hidden.clone()),
            epochs: a.epochs.unwrap_or(d.epochs),
            seed: a.seed.unwrap_or(d.seed),
            noise: a
                .noise
                .map(|n| NoiseModel::new(n.values(post.obs_names().len()))),
            ..d
        };
        let x = super::super::convert::numbers(&x, "lc2st: observation")?;
        with_simulator(&sim, None, "lc2st", |s| {
            calib::lc2st(&*post, s, &x, &opts).map_err(rt)
        })
    }

    /// The local C2ST with the default options.
    #[rhai_fn(name = "lc2st", return_raw)]
    pub fn lc2st_plain(
        post: &mut NeuralPosterior,
        sim: Dynamic,
        x: Dynamic,
    ) -> RhaiResult<Lc2stResult> {
        lc2st(post, sim, x, Map::new())
    }

    /// A mock catalog of one galaxy from a simulator: the global parameters fixed, each
    /// star's local parameters from the prior, its abundances simulated and observed with
    /// Gaussian errors; columns `star`, `obs_<X>`, `err_<X>`, `true_<X>`, `true_<param>`.
    /// With `chempy("alternative")` for a posterior trained on TNG yields, the mock is
    /// misspecified on purpose.
    /// ```rhai
    /// let alt = mock_catalog(chempy("alternative"), #{ n: 500, seed: 3 });
    /// ```
    #[rhai_fn(return_raw)]
    pub fn mock_catalog(sim: Dynamic, options: Map) -> RhaiResult<Table> {
        let a: MockArgs = parse(options)?;
        let prior = prior(&a.prior, "mock_catalog")?.unwrap_or_else(Prior::npe);
        with_simulator(&sim, None, "mock_catalog", |s| {
            let k = s.output_names().len();
            let opts = MockOptions {
                n: a.n.unwrap_or(1000),
                noise: NoiseModel::new(a.noise.as_ref().map_or(vec![0.05; k], |n| n.values(k))),
                globals: a.globals.clone(),
                seed: a.seed.unwrap_or(crate::rng::DEFAULT_SEED),
            };
            calib::mock_catalog(s, &prior, &opts).map_err(rt)
        })
    }

    /// The rank histograms with their binomial 99 % band, one panel per parameter.
    #[rhai_fn(global, name = "figure", return_raw, pure)]
    pub fn sbc_figure(r: &mut SbcResult) -> RhaiResult<Figure> {
        crate::plot::sbc_figure(r).map_err(rt)
    }

    /// The ECDF differences of the SBC ranks with their simultaneous 99 % band.
    #[rhai_fn(global, return_raw, pure)]
    pub fn ecdf_figure(r: &mut SbcResult) -> RhaiResult<Figure> {
        crate::plot::ecdf_figure(r).map_err(rt)
    }

    /// The TARP curve with its bootstrap bands and the diagonal.
    #[rhai_fn(global, name = "figure", return_raw, pure)]
    pub fn tarp_figure(r: &mut TarpResult) -> RhaiResult<Figure> {
        crate::plot::tarp_figure(r).map_err(rt)
    }

    /// Expected coverage against credibility level: every parameter, joint, global.
    #[rhai_fn(global, name = "figure", return_raw, pure)]
    pub fn coverage_figure(r: &mut CoverageResult) -> RhaiResult<Figure> {
        crate::plot::coverage_figure(r).map_err(rt)
    }

    /// True against predicted parameters (posterior mean ± sd against θ*).
    #[rhai_fn(global, name = "figure", return_raw, pure)]
    pub fn predictions_figure(run: &mut Calibration) -> RhaiResult<Figure> {
        crate::plot::predictions_figure(run).map_err(rt)
    }

    /// The histograms of the PPC p-values and the residuals per element.
    #[rhai_fn(global, name = "figure", return_raw, pure)]
    pub fn ppc_figure(r: &mut PpcResult) -> RhaiResult<Figure> {
        crate::plot::ppc_figure(r).map_err(rt)
    }

    /// The local C2ST's null distribution and observed statistic.
    #[rhai_fn(global, name = "figure", return_raw, pure)]
    pub fn lc2st_figure(r: &mut Lc2stResult) -> RhaiResult<Figure> {
        crate::plot::lc2st_figure(r).map_err(rt)
    }
}
