//! Bindings: neural posterior estimation (`train_npe`), posteriors (sample, save/load,
//! evaluation) and inference on star catalogs (`infer`), with the paper's figures.

use super::context::context;
use super::failure::{rt, rt_error, RhaiResult};
use super::options::{parse, parse_split, NumberOrList, OptionDoc, ScriptOptions};
use super::simulators::with_simulator;
use super::training::{checkpoint_path, notice, ScriptObserver};
use crate::catalog::Table;
use crate::infer::combine::exact::stars::ExactModels;
use crate::infer::combine::exact::ExactOptions;
use crate::infer::{
    CatalogInference, CombineMethod, EvalReport, ExactReport, InferOptions, NeuralPosterior,
    NpeOptions, ObservationTable, TrainingInfo,
};
use crate::model::{NoiseModel, Posterior as _, Prior, Simulator};
use crate::script::survey::{SurveyInferArgs, SurveyNpeArgs};
use rhai::plugin::*;
#[allow(unused_imports)]
use rhai::{Array, Dynamic, Map, FLOAT, INT};

crate::script_options! {
    /// Options of `train_npe`.
    pub struct TrainNpeArgs for "train_npe" {
        /// Number of simulations (100 000).
        n_sims: Option<usize>,
        /// Observation noise added once to the simulations: σ in dex for every observable,
        /// or one per observable (0.05).
        noise: Option<NumberOrList>,
        /// Scale (dex) of a HalfCauchy model error ε_j per element, drawn for every pair and
        /// added in quadrature to the noise, so the posterior marginalises it (Philcox &
        /// Rybizki 2019 use 0.01); none by default.
        model_error: Option<f64>,
        /// The prior θ is drawn from, a `Prior` (the paper's with birth time U(2, 12.8) Gyr).
        prior: Option<Dynamic> as "a Prior",
        /// Seed of the whole pipeline.
        seed: Option<u64>,
        /// Hidden width of the flow's MADE layers (8).
        hidden: Option<usize>,
        /// Number of affine autoregressive transforms (4).
        transforms: Option<usize>,
        /// Masked hidden-to-hidden blocks per MADE (2).
        blocks: Option<usize>,
        /// The reference flow, whose first dimension of every transform ignores x (false).
        paper: Option<bool>,
        /// Learning rate (5e-4).
        lr: Option<f64>,
        /// Mini-batch size (200).
        batch: Option<usize>,
        /// Fraction of the pairs held out for validation (0.1).
        validation_fraction: Option<f64>,
        /// Epochs without a better validation loss that stop training (20).
        patience: Option<usize>,
        /// Maximum number of epochs.
        max_epochs: Option<usize>,
        /// Gradient-norm limit; 0 for none (5).
        clip: Option<f64>,
        /// The source of the training pairs recorded in the posterior's metadata.
        source_name: Option<String>,
        /// `adam` (the default), `adamw` or `schedule_free`.
        optimizer: Option<String>,
        /// Weight decay (0).
        weight_decay: Option<f64>,
        /// Seconds after which training stops with its best weights so far (no limit).
        time_budget: Option<f64>,
        /// Where training checkpoints every epoch: a path, or `false` for none (a file in the
        /// cache directory named after the call, so that the same call resumes a run stopped
        /// by SIGTERM or the time budget).
        checkpoint: Option<Dynamic> as "a path or false",
        /// A closure called after every epoch with `#{ epoch, train_loss, val_loss,
        /// best_val_loss, best_epoch, seconds, … }`; returning `true` or `"stop"` stops training.
        on_epoch: Option<Dynamic> as "a closure",
    }
}

crate::script_options! {
    /// Options of `infer`.
    pub struct InferArgs for "infer" {
        /// Use only the first n usable rows (all).
        n_stars: Option<usize>,
        /// Posterior draws per star (1000).
        samples: Option<usize>,
        /// Seed; a star's draws depend only on the seed and its row.
        seed: Option<u64>,
        /// The combination: `divide_prior` (the derivation, the default), `paper` (the
        /// reference code), `inverse_variance` (the abstract's numbers) or `exact` (the
        /// product of per-star densities on an adaptive grid, see `density`).
        method: Option<String>,
        /// With method `exact`, each star's factor: `kde` (a weighted kernel density of its
        /// draws, the default), `mixture` (a Gaussian mixture), `likelihood` (its marginal
        /// likelihood by importance sampling with `simulator`) or `marginal_flow` (a 2-D
        /// posterior of the global parameters, `marginal`).
        density: Option<String>,
        /// The simulator of density `likelihood` (chempy(...) or an emulator).
        simulator: Option<Dynamic> as "a simulator or an emulator",
        /// The 2-D posterior of the global parameters of density `marginal_flow`.
        marginal: Option<Dynamic> as "a Posterior",
        /// A column layout by name (`apogee`, `galah`, `chempy_npz`, `default`; see
        /// `preset`), or a map from observable name to catalog column, e.g. `#{ Fe_H: "feh" }`
        /// (the bundled catalogs' `obs_<X>` columns).
        columns: Option<Dynamic> as "a preset name or a map",
        /// Error columns, one per observable, or `false` for none (`err_<X>` when present).
        errors: Option<Dynamic> as "an array of column names, or false",
        /// The column of row labels (`star` when present).
        label: Option<String>,
        /// Keep every draw in the result's `samples` table (false).
        keep_samples: Option<bool>,
        /// A simulator (`chempy("tng")`, `chempy("tng", #{ preset: "chempy_multi_2019" })` for
        /// the bundled mock_chempy_tng.csv, or an emulator) whose likelihood refines every
        /// star's draws by importance sampling with the catalog's errors; costs `samples`
        /// simulations per star.
        refine: Option<Dynamic> as "a simulator or an emulator",
        /// A systematic floor added to the combined covariance: the map of `galaxy_floor`
        /// (its `cov`) or a 2 × 2 matrix in dex², or `false` for none (default: the floor
        /// the posterior carries, `post.with_floor`, else none).
        systematic: Option<serde_json::Value> as "a galaxy_floor map, [[a, b], [c, d]] or false",
    }
}

crate::script_options! {
    /// Options of `evaluate` and `evaluate_exact`.
    pub struct EvaluateArgs for "evaluate" {
        /// Posterior draws per held-out run (1000).
        samples: Option<usize>,
        /// Seed of the noise and the draws.
        seed: Option<u64>,
        /// Noise added once to the held-out runs: σ in dex, or one per observable (the
        /// posterior's training noise).
        noise: Option<NumberOrList>,
    }
}

crate::script_options! {
    /// Options of `n_stars_figure`.
    pub struct NStarsFigureArgs for "n_stars_figure" {
        /// The true global parameters `[alpha_imf, log10_n_ia]`, drawn as lines.
        truth: Option<Vec<f64>> as "two numbers [alpha_imf, log10_n_ia]",
        /// Reference points with error bars: a map with `n`, `alpha_imf` and `log10_n_ia` as
        /// `[median, low, high]` per n, and `name` (e.g. `paper::hmc_chempy_tng()`).
        reference: Option<Dynamic> as "a map",
    }
}

crate::script_options! {
    /// Options of `joint_figure`.
    pub struct JointFigureArgs for "joint_figure" {
        /// The true global parameters, marked.
        truth: Option<Vec<f64>> as "two numbers [alpha_imf, log10_n_ia]",
        /// The title ("joint posterior of N stars").
        title: Option<String>,
    }
}

/// The option tables of this module's functions.
pub fn option_docs() -> Vec<(&'static str, &'static [OptionDoc])> {
    vec![
        ("train_npe", TrainNpeArgs::docs()),
        ("infer", InferArgs::docs()),
        ("evaluate", EvaluateArgs::docs()),
        ("evaluate_exact", EvaluateArgs::docs()),
        ("n_stars_figure", NStarsFigureArgs::docs()),
        ("joint_figure", JointFigureArgs::docs()),
    ]
}

/// The NPE options, the prior and the source name from the script's options.
fn npe_options(a: &TrainNpeArgs) -> RhaiResult<(NpeOptions, Prior, Option<String>)> {
    let mut opts = NpeOptions::default();
    opts.n_sims = a.n_sims.unwrap_or(opts.n_sims);
    opts.seed = a.seed.unwrap_or(opts.seed);
    let prior = match &a.prior {
        Some(d) => d.clone().try_cast::<Prior>().ok_or_else(|| {
            rt_error("train_npe: option 'prior' must be a Prior (e.g. paper_prior(#{ birth: [2.0, 12.8] }))")
        })?,
        None => Prior::npe(),
    };
    let f = &mut opts.flow;
    f.hidden = a.hidden.unwrap_or(f.hidden);
    f.transforms = a.transforms.unwrap_or(f.transforms);
    f.blocks = a.blocks.unwrap_or(f.blocks);
    f.paper = a.paper.unwrap_or(f.paper);
    let t = &mut opts.train;
    t.learning_rate = a.lr.unwrap_or(t.learning_rate);
    t.batch_size = a.batch.unwrap_or(t.batch_size);
    t.validation_fraction = a.validation_fraction.unwrap_or(t.validation_fraction);
    t.patience = a.patience.unwrap_or(t.patience);
    t.max_epochs = a.max_epochs.unwrap_or(t.max_epochs);
    if let Some(v) = a.clip {
        t.clip_grad_norm = (v > 0.0).then_some(v);
    }
    if let Some(name) = &a.optimizer {
        t.optimizer =
            serde_json::from_value(serde_json::Value::String(name.clone())).map_err(|_| {
                rt_error(format!(
                    "train_npe: unknown optimizer '{name}' (adam, adamw, schedule_free)"
                ))
            })?;
    }
    t.weight_decay = a.weight_decay.unwrap_or(t.weight_decay);
    t.time_budget = a.time_budget;
    // the noise needs the simulator's number of outputs: resolved by the caller
    opts.noise = None;
    Ok((opts, prior, a.source_name.clone()))
}

/// An observation from a map of observable names, an array or a Vector, in the posterior's
/// observable order.
fn observation(post: &NeuralPosterior, x: &Dynamic) -> RhaiResult<Vec<f64>> {
    let names = post.obs_names();
    if let Some(m) = x.read_lock::<Map>() {
        return names
            .iter()
            .map(|n| {
                m.get(n.as_str())
                    .and_then(super::convert::as_f64)
                    .ok_or_else(|| {
                        rt_error(format!(
                            "observation: missing or non-numeric '{n}' (needed: {})",
                            names.join(", ")
                        ))
                    })
            })
            .collect();
    }
    let v = super::convert::numbers(x, "observation")?;
    if v.len() != names.len() {
        return Err(rt_error(format!(
            "observation: {} values given, {} needed ({})",
            v.len(),
            names.len(),
            names.join(", ")
        )));
    }
    Ok(v)
}

/// The catalog-inference options.
fn infer_options(a: &InferArgs) -> RhaiResult<InferOptions> {
    let mut opts = InferOptions {
        n_stars: a.n_stars,
        ..Default::default()
    };
    opts.samples = a.samples.unwrap_or(opts.samples);
    opts.seed = a.seed.unwrap_or(opts.seed);
    match a.method.as_deref() {
        Some("exact") => {
            let mut e = ExactOptions::default();
            if let Some(d) = &a.density {
                e.density = d.parse().map_err(|e| rt_error(format!("infer: {e}")))?;
            }
            opts.exact = Some(e);
        }
        Some(m) => {
            opts.method = m
                .parse::<CombineMethod>()
                .map_err(|e| rt_error(format!("infer: {e}; or \"exact\"")))?;
        }
        None => {}
    }
    if a.density.is_some() && opts.exact.is_none() {
        return Err(rt_error(
            "infer: option 'density' applies to method \"exact\"",
        ));
    }
    opts.keep_samples = a.keep_samples.unwrap_or(false);
    Ok(opts)
}

/// The training noise of `train_npe`'s options for `n_out` observables: `noise` (else the
/// pipeline's default, 0.05 dex) with the `model_error` term when one is given.
fn training_noise(a: &TrainNpeArgs, n_out: usize) -> Option<NoiseModel> {
    let noise = a.noise.as_ref().map(|n| NoiseModel::new(n.values(n_out)));
    match a.model_error {
        None => noise,
        Some(s) => Some(
            noise
                .unwrap_or_else(|| {
                    NoiseModel::uniform(n_out, crate::infer::npe::pipeline::PAPER_NOISE_DEX)
                })
                .with_model_error(Some(s)),
        ),
    }
}

/// Held-out pairs from a runs table for `evaluate*`: θ and x with the noise of option
/// `noise` (default the posterior's) added once.
fn held_out(
    post: &NeuralPosterior,
    runs: &Table,
    a: &EvaluateArgs,
) -> RhaiResult<(ndarray::Array2<f64>, ndarray::Array2<f64>, usize, u64)> {
    let samples = a
        .samples
        .unwrap_or(crate::infer::npe::evaluate::DEFAULT_SAMPLES);
    let seed = a.seed.unwrap_or(crate::rng::DEFAULT_SEED);
    let noise = match &a.noise {
        None => post.noise().clone(),
        Some(n) => NoiseModel::new(n.values(post.obs_names().len())),
    };
    let (theta, x) = crate::infer::held_out_pairs(post, runs, &noise, seed).map_err(rt)?;
    Ok((theta, x, samples, seed))
}

/// `[a, b]` from an option, or an error naming it.
fn two(v: Option<Vec<f64>>, what: &str) -> RhaiResult<Option<[f64; 2]>> {
    match v {
        None => Ok(None),
        Some(v) if v.len() == 2 => Ok(Some([v[0], v[1]])),
        Some(v) => Err(rt_error(format!(
            "{what} must be [alpha_imf, log10_n_ia], got {} values",
            v.len()
        ))),
    }
}

/// Reference points from a map #{ name, n: [..], alpha_imf: [[med, lo, hi], ..], log10_n_ia: [..] }.
fn reference(d: &Dynamic) -> RhaiResult<crate::plot::Reference> {
    let m = d
        .read_lock::<Map>()
        .ok_or_else(|| rt_error("reference must be a map with n, alpha_imf and log10_n_ia"))?;
    let name = m
        .get("name")
        .map(|d| d.to_string())
        .unwrap_or_else(|| crate::paper::HMC_CHEMPY_TNG_NAME.into());
    let n = super::convert::numbers(
        m.get("n")
            .ok_or_else(|| rt_error("reference: missing 'n'"))?,
        "reference n",
    )?;
    let rows = |key: &str| -> RhaiResult<Vec<Vec<f64>>> {
        let a = m
            .get(key)
            .and_then(|d| d.read_lock::<Array>().map(|a| a.clone()))
            .ok_or_else(|| rt_error(format!("reference: missing '{key}'")))?;
        a.iter()
            .map(|r| super::convert::numbers(r, &format!("reference {key}")))
            .collect()
    };
    let (a, b) = (rows("alpha_imf")?, rows("log10_n_ia")?);
    if a.len() != n.len() || b.len() != n.len() || a.iter().chain(&b).any(|r| r.len() != 3) {
        return Err(rt_error(
            "reference: alpha_imf and log10_n_ia need one [median, low, high] per n",
        ));
    }
    Ok((
        name,
        n.iter()
            .enumerate()
            .map(|(i, &k)| {
                (
                    k,
                    [[a[i][0], a[i][1], a[i][2]], [b[i][0], b[i][1], b[i][2]]],
                )
            })
            .collect(),
    ))
}

#[export_module]
pub mod infer_api {
    use super::*;

    /// A trained neural posterior estimator q(θ | x).
    pub type Posterior = crate::infer::NeuralPosterior;

    /// Neural posterior estimation (paper §2.3): draws θ from the prior, simulates x with
    /// `source` (a simulator from `chempy(...)` or an emulator), adds Gaussian noise once and
    /// trains a masked autoregressive flow. With `elements` it is trained on a subset of the
    /// observables; with `missing` and/or `errors` it is a survey posterior that accepts any
    /// pattern of missing elements and conditions on every star's errors (book: "Real
    /// survey data"). `source` may also be a runs table simulated before (`read_tables` of
    /// `simulate_set`'s shards): its successful runs are used (`n_sims` is then ignored).
    /// ```rhai
    /// let post = train_npe(chempy("tng"), #{ n_sims: 100000 });
    /// post.save("posterior.json");
    /// let apogee = train_npe(chempy("tng"), #{ elements: ["C_Fe", "Fe_H", "Mg_Fe", "N_Fe",
    ///     "O_Fe", "Si_Fe"], missing: 0.15, errors: [0.02, 0.15] });
    /// ```
    #[rhai_fn(return_raw)]
    pub fn train_npe(
        ctx: NativeCallContext,
        source: Dynamic,
        options: Map,
    ) -> RhaiResult<Posterior> {
        let (a, survey): (TrainNpeArgs, SurveyNpeArgs) = parse_split(options)?;
        let (opts, prior, name) = npe_options(&a)?;
        let session = context(&ctx)?;
        let mut observer = ScriptObserver::from_option(&ctx, "train_npe", a.on_epoch.clone())?;
        if let Some(runs) = source.read_lock::<crate::catalog::Table>() {
            // a training set simulated before (e.g. shards of simulate_set)
            let mut opts = opts;
            let params = prior.space().names();
            let n_out = runs
                .columns()
                .iter()
                .filter(|c| {
                    c.as_str() != crate::model::runs::STATUS_COLUMN && !params.contains(&c.as_str())
                })
                .count();
            opts.noise = training_noise(&a, n_out);
            let obs = observer.as_mut().map(|o| o as &mut dyn crate::nn::Observer);
            let result = crate::infer::training_set::train_npe_on_runs(&prior, &runs, &opts, obs);
            if let Some(e) = observer.as_mut().and_then(|o| o.take_error()) {
                return Err(e);
            }
            return Ok(result.map_err(rt)?.0);
        }
        with_simulator(&source, name, "train_npe", |full| {
            crate::script::survey::with_elements(full, &survey, |sim| {
                let mut opts = opts;
                opts.noise = training_noise(&a, sim.output_names().len());
                let default_name =
                    crate::script::survey::checkpoint_name(&prior, sim, &opts, &survey)?;
                opts.train.checkpoint =
                    checkpoint_path(&session, "train_npe", a.checkpoint.clone(), || default_name)?;
                let obs = observer.as_mut().map(|o| o as &mut dyn crate::nn::Observer);
                let result = crate::script::survey::train(&prior, sim, &opts, &survey, obs)?;
                if let Some(e) = observer.as_mut().and_then(|o| o.take_error()) {
                    return Err(e);
                }
                let post = result.map_err(rt)?;
                let t = post.training();
                notice(
                    "train_npe",
                    t.termination,
                    t.epochs,
                    t.best_epoch,
                    opts.train.checkpoint.as_ref(),
                );
                Ok(post)
            })
        })
    }

    /// Neural posterior estimation with the default options.
    #[rhai_fn(name = "train_npe", return_raw)]
    pub fn train_npe_plain(ctx: NativeCallContext, source: Dynamic) -> RhaiResult<Posterior> {
        train_npe(ctx, source, Map::new())
    }

    /// `n` posterior draws of the parameters for one star's observed abundances `x` (a map
    /// `#{ C_Fe: …, Fe_H: …, … }`, or one value per observable in the order of
    /// `post.observables()`). Draws outside the prior support are rejected. Returns a table
    /// with one column per parameter.
    #[rhai_fn(global, return_raw, pure)]
    pub fn sample(post: &mut Posterior, x: Dynamic, n: INT, seed: INT) -> RhaiResult<Table> {
        if n < 1 || seed < 0 {
            return Err(rt_error(format!(
                "sample needs n >= 1 and seed >= 0, got n = {n}, seed = {seed}"
            )));
        }
        let x = observation(post, &x)?;
        let s = post.sample(&x, n as usize, seed as u64).map_err(rt)?;
        let names = post.param_names();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        Table::from_matrix(&names, &s.into_values()).map_err(rt)
    }

    /// The observable names the posterior conditions on, in order.
    #[rhai_fn(global, pure)]
    pub fn observables(post: &mut Posterior) -> Array {
        post.obs_names()
            .iter()
            .map(|s| Dynamic::from(s.clone()))
            .collect()
    }

    /// The parameter names of the posterior, in order.
    #[rhai_fn(global, pure, name = "param_names")]
    pub fn posterior_params(post: &mut Posterior) -> Array {
        post.param_names().into_iter().map(Dynamic::from).collect()
    }

    /// Catalog inference: reads each star's observed abundances (by default the columns
    /// `obs_CFe … obs_SiFe` of the bundled catalogs), skips and reports unusable rows,
    /// samples every star, and combines the stars into the posterior of the global
    /// parameters. Returns an `Inference` (see `help("Inference")`): `n_stars`,
    /// `alpha_imf_mean`, `alpha_imf_sd`, `log10_n_ia_mean`, `log10_n_ia_sd`, `mean`, `cov`,
    /// `method`, `seconds`, `skipped`, `masked`, `stars`, `running`, `warnings`, … A survey
    /// catalog is read with a column preset (`columns: "apogee"`, `"galah"`, `"chempy_npz"`);
    /// a posterior that accepts missing values keeps stars with gaps or flags, masked.
    /// ```rhai
    /// let r = infer(post, read_csv(data_path("catalogs/mock_chempy_tng.csv")), #{ n_stars: 1000 });
    /// print(`alpha_IMF = ${r.alpha_imf_mean} ± ${r.alpha_imf_sd}`);
    /// let s = infer(apogee, read_table("allStar.fits"), #{ columns: "apogee" });
    /// ```
    #[rhai_fn(return_raw)]
    pub fn infer(post: Posterior, catalog: Table, options: Map) -> RhaiResult<CatalogInference> {
        let (a, survey): (InferArgs, SurveyInferArgs) = parse_split(options)?;
        let mut opts = infer_options(&a)?;
        let key = crate::script::galaxy::floor_key(
            Some(opts.method),
            opts.exact.as_ref(),
            a.refine.is_some(),
        );
        opts.systematic =
            crate::script::galaxy::resolve_floor(a.systematic.as_ref(), &post, &key, "infer")?;
        opts.min_elements = survey.min_elements;
        let given = crate::script::survey::GivenColumns {
            columns: a.columns.as_ref(),
            errors: a.errors.as_ref(),
            label: a.label.as_deref(),
        };
        let map = crate::script::survey::column_map(&given, &survey, &post, &catalog)?;
        let obs = ObservationTable::from_table(&catalog, &map).map_err(rt)?;
        let marginal = match &a.marginal {
            None => None,
            Some(d) => Some(
                d.clone()
                    .try_cast::<NeuralPosterior>()
                    .ok_or_else(|| rt_error("infer: option 'marginal' must be a Posterior"))?,
            ),
        };
        let run = |refine: Option<&dyn Simulator>, simulator: Option<&dyn Simulator>| {
            let models = ExactModels {
                simulator,
                marginal: marginal.as_ref().map(|m| m as &dyn crate::model::Posterior),
            };
            crate::infer::infer_catalog_exact(&post, &obs.view(), &opts, refine, models).map_err(rt)
        };
        let with_sim = |refine: Option<&dyn Simulator>| match &a.simulator {
            None => run(refine, refine),
            Some(d) => with_simulator(d, None, "infer: option 'simulator'", |s| {
                run(refine, Some(s))
            }),
        };
        match &a.refine {
            None => with_sim(None),
            Some(d) => with_simulator(d, None, "infer: option 'refine'", |sim| with_sim(Some(sim))),
        }
    }

    /// Catalog inference with the default options.
    #[rhai_fn(name = "infer", return_raw)]
    pub fn infer_plain(post: Posterior, catalog: Table) -> RhaiResult<CatalogInference> {
        infer(post, catalog, Map::new())
    }

    /// Accuracy on held-out simulations (paper §3, spec C.3): for a table of runs (the
    /// parameters, the observables and `status`), adds noise once, samples every run and
    /// reports the APE of the posterior means as an `Evaluation` (see `help("Evaluation")`).
    #[rhai_fn(global, return_raw, pure)]
    pub fn evaluate(post: &mut Posterior, runs: Table, options: Map) -> RhaiResult<EvalReport> {
        let a: EvaluateArgs = parse(options)?;
        let (theta, x, samples, seed) = held_out(post, &runs, &a)?;
        crate::infer::evaluate(&*post, theta.view(), x.view(), samples, seed).map_err(rt)
    }

    /// The flow against the exact posterior: on a table of held-out runs (as `evaluate`),
    /// each run's draws are importance-weighted with the likelihood of `sim` (`chempy("tng")`
    /// or an emulator) and the posterior's noise model. Returns an `ExactEvaluation` with the
    /// APE of both posterior means and the effective sample sizes; costs runs × samples
    /// simulations.
    /// ```rhai
    /// let sim = chempy("tng");
    /// let test = sim.draw_valid(paper_prior(#{ birth: [2.0, 12.8] }), 100, 7);
    /// let ex = post.evaluate_exact(test.runs, sim, #{ samples: 500 });
    /// print(`${ex.ape_global_flow.median} % vs exact ${ex.ape_global_exact.median} %`);
    /// ```
    #[rhai_fn(global, return_raw, pure)]
    pub fn evaluate_exact(
        post: &mut Posterior,
        runs: Table,
        sim: Dynamic,
        options: Map,
    ) -> RhaiResult<ExactReport> {
        let a: EvaluateArgs = parse(options)?;
        let (theta, x, samples, seed) = held_out(post, &runs, &a)?;
        with_simulator(&sim, None, "evaluate_exact", |sim| {
            crate::infer::evaluate_exact(&*post, sim, theta.view(), x.view(), samples, seed)
                .map_err(rt)
        })
    }

    /// How the posterior was trained, a `TrainingInfo` (see `help("TrainingInfo")`).
    #[rhai_fn(global, pure)]
    pub fn training(post: &mut Posterior) -> TrainingInfo {
        post.training().clone()
    }

    /// The same posterior carrying the systematic floor `floor` (the map of `galaxy_floor`,
    /// measured on mock galaxies with this posterior) of the combination `floor.method`; it
    /// replaces that method's floor. `infer`, `infer_stream` and `infer_shard` add the floor
    /// of the method they combine with (`divide_prior`, `exact_kde`, …) to the combined
    /// covariance unless told `systematic: false`, and `save` keeps it (book: "Many stars").
    /// ```rhai
    /// let cal = galaxy_calibration(post, chempy("tng"), #{ galaxies: 100, n: [1000], methods: ["divide_prior"] });
    /// post = post.with_floor(galaxy_floor(cal.records, "divide_prior"));
    /// ```
    #[rhai_fn(global, return_raw, pure)]
    pub fn with_floor(post: &mut Posterior, floor: Dynamic) -> RhaiResult<Posterior> {
        let f: crate::calib::SystematicFloor = rhai::serde::from_dynamic(&floor)?;
        f.model()
            .check()
            .map_err(|e| rt_error(format!("with_floor: {e}")))?;
        Ok(post.clone().with_floor(Some(f)))
    }

    /// The systematic floor of the default combination (`divide_prior`) the posterior
    /// carries (`#{ method, n, galaxies, cov, sd, growth }`), else its first floor, else `()`.
    #[rhai_fn(global, get = "floor", return_raw, pure)]
    pub fn floor(post: &mut Posterior) -> RhaiResult<Dynamic> {
        match post.floor() {
            None => Ok(Dynamic::UNIT),
            Some(f) => rhai::serde::to_dynamic(f),
        }
    }

    /// Every systematic floor the posterior carries, one per combination method (`infer`
    /// adds the one of the method it combines with).
    #[rhai_fn(global, get = "floors", return_raw, pure)]
    pub fn floors(post: &mut Posterior) -> RhaiResult<Array> {
        post.floors().iter().map(rhai::serde::to_dynamic).collect()
    }

    /// Saves the posterior (flow, z-score statistics, prior, noise model, names, training
    /// metadata, its systematic floor), atomically, in galchem's file envelope.
    #[rhai_fn(global, return_raw, pure)]
    pub fn save(ctx: NativeCallContext, post: &mut Posterior, path: &str) -> RhaiResult<()> {
        let path = context(&ctx)?.writable("save", path)?;
        post.save(&path).map_err(rt)
    }

    /// Loads a posterior saved by `post.save`; a corrupt, foreign or newer file is a clear
    /// error.
    #[rhai_fn(return_raw)]
    pub fn load_posterior(path: &str) -> RhaiResult<Posterior> {
        Posterior::load(std::path::Path::new(path)).map_err(rt)
    }

    /// The paper's Fig. 5 from the result of `infer`: each global parameter estimated from
    /// the first n stars, with 1σ and 2σ bands, against n (log axis).
    /// ```rhai
    /// import "paper" as paper;
    /// n_stars_figure(r, #{ truth: paper::truth(), reference: paper::hmc_chempy_tng() }).save("fig5.png");
    /// ```
    #[rhai_fn(return_raw)]
    pub fn n_stars_figure(
        result: CatalogInference,
        options: Map,
    ) -> RhaiResult<crate::plot::Figure> {
        let a: NStarsFigureArgs = parse(options)?;
        let truth = two(a.truth, "truth")?;
        let reference = a.reference.as_ref().map(reference).transpose()?;
        crate::plot::inference_n_stars_figure(&result, truth, reference.as_ref()).map_err(rt)
    }

    /// The paper's Fig. 6 from the result of `infer`: the combined posterior of the two
    /// global parameters as 1σ, 2σ and 3σ ellipses.
    #[rhai_fn(return_raw)]
    pub fn joint_figure(result: CatalogInference, options: Map) -> RhaiResult<crate::plot::Figure> {
        let a: JointFigureArgs = parse(options)?;
        let truth = two(a.truth, "truth")?;
        crate::plot::inference_joint_figure(&result, truth, a.title).map_err(rt)
    }

    /// A one-line description.
    #[rhai_fn(global, pure, name = "to_string")]
    pub fn to_string(post: &mut Posterior) -> String {
        describe(post)
    }

    /// A one-line description.
    #[rhai_fn(global, pure, name = "to_debug")]
    pub fn to_debug(post: &mut Posterior) -> String {
        describe(post)
    }
}

fn describe(p: &NeuralPosterior) -> String {
    let t = p.training();
    format!(
        "Posterior(trained on {} simulations from {}, {} epochs, best validation log-prob {:.3})",
        t.n_sims, t.source, t.epochs, t.best_val_log_prob
    )
}
