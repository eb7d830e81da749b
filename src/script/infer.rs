//! Bindings: neural posterior estimation (`train_npe`), posteriors (sample, save/load,
//! evaluation) and inference on star catalogs (`infer`), with the paper's figures.

use super::convert::{as_f64, numbers, rt, rt_error, strings, Opts, RhaiResult};
use super::infer_result::inference_map;
use crate::catalog::Table;
use crate::flow::{FlowConfig, FlowTrainConfig};
use crate::gce::ABUNDANCE_NAMES;
use crate::infer::{ColumnMap, CombineMethod, InferOptions, NeuralPosterior, NpeOptions, ObservationTable};
use crate::model::{NoiseModel, Prior, Simulator};
use crate::nn::Emulator;
use rhai::plugin::*;
#[allow(unused_imports)]
use rhai::{Array, Dynamic, Map, FLOAT, INT};

fn to_map<T: serde::Serialize>(v: &T) -> RhaiResult<Map> {
    rhai::serde::to_dynamic(v)
        .map_err(rt)?
        .try_cast::<Map>()
        .ok_or_else(|| rt_error("internal: not a map"))
}

/// Runs `f` with the simulator a script passed: a `chempy(...)` simulator or an emulator
/// (described as `name`, default "emulator"); anything else is an error of `what`.
fn with_simulator<R>(
    source: &Dynamic,
    name: Option<String>,
    what: &str,
    f: impl FnOnce(&dyn Simulator) -> RhaiResult<R>,
) -> RhaiResult<R> {
    if let Some(sim) = source.clone().try_cast::<crate::gce::Chempy>() {
        f(&sim)
    } else if let Some(emu) = source.clone().try_cast::<Emulator>() {
        let emu = match name {
            Some(n) => emu.with_label(n),
            None => emu,
        };
        f(&emu)
    } else {
        Err(rt_error(format!(
            "{what}: the simulator must be chempy(\"tng\"), chempy(\"alt\") or an emulator, not {}",
            source.type_name()
        )))
    }
}

/// Held-out pairs from a table of runs for `evaluate*`: θ and x with the noise of option
/// `noise` (default the posterior's) added once, and the options `samples` (1000) and `seed`.
fn held_out_pairs(
    post: &NeuralPosterior,
    runs: &Table,
    o: &mut Opts,
    what: &str,
) -> RhaiResult<(ndarray::Array2<f64>, ndarray::Array2<f64>, usize, u64)> {
    let samples = o.usize("samples")?.unwrap_or(1000);
    let seed = o.seed("seed")?.unwrap_or(crate::rng::DEFAULT_SEED);
    let noise = match o.raw("noise") {
        None => post.noise().clone(),
        Some(d) => NoiseModel {
            sigma: match as_f64(&d) {
                Some(s) => vec![s; post.obs_names().len()],
                None => numbers(&d, &format!("{what}: option 'noise'"))?,
            },
        },
    };
    let (theta, x) = crate::infer::held_out_pairs(post, runs, &noise, seed).map_err(rt)?;
    Ok((theta, x, samples, seed))
}

/// APE quartiles as a script map: name → #{ p25, median, p75 }.
fn ape_by_name(apes: &[crate::infer::evaluate::ApeSummary]) -> Map {
    apes.iter()
        .map(|a| {
            let mut e = Map::new();
            e.insert("p25".into(), Dynamic::from_float(a.p25));
            e.insert("median".into(), Dynamic::from_float(a.median));
            e.insert("p75".into(), Dynamic::from_float(a.p75));
            (a.name.as_str().into(), Dynamic::from_map(e))
        })
        .collect()
}

/// NPE options from a script map.
fn npe_options(options: Map) -> RhaiResult<(NpeOptions, Prior, Option<String>)> {
    let mut o = Opts::new(options, "train_npe");
    let mut opts = NpeOptions::default();
    if let Some(n) = o.usize("n_sims")? {
        opts.n_sims = n;
    }
    if let Some(s) = o.seed("seed")? {
        opts.seed = s;
    }
    if let Some(d) = o.raw("noise") {
        let sigma = match as_f64(&d) {
            Some(s) => vec![s; ABUNDANCE_NAMES.len()],
            None => numbers(&d, "train_npe: option 'noise'")?,
        };
        opts.noise = Some(NoiseModel { sigma });
    }
    let prior = match o.raw("prior") {
        Some(d) => d.try_cast::<Prior>().ok_or_else(|| rt_error("train_npe: option 'prior' must be a Prior (e.g. paper_prior(#{ birth: [2.0, 12.8] }))"))?,
        None => Prior::npe(),
    };
    let f: &mut FlowConfig = &mut opts.flow;
    if let Some(v) = o.usize("hidden")? {
        f.hidden = v;
    }
    if let Some(v) = o.usize("transforms")? {
        f.transforms = v;
    }
    if let Some(v) = o.usize("blocks")? {
        f.blocks = v;
    }
    if let Some(v) = o.bool("paper")? {
        f.paper = v;
    }
    let t: &mut FlowTrainConfig = &mut opts.train;
    if let Some(v) = o.f64("lr")? {
        t.learning_rate = v;
    }
    if let Some(v) = o.usize("batch")? {
        t.batch_size = v;
    }
    if let Some(v) = o.f64("validation_fraction")? {
        t.validation_fraction = v;
    }
    if let Some(v) = o.usize("patience")? {
        t.patience = v;
    }
    if let Some(v) = o.usize("max_epochs")? {
        t.max_epochs = v;
    }
    if let Some(v) = o.f64("clip")? {
        t.clip_grad_norm = (v > 0.0).then_some(v);
    }
    let name = o.string("source_name")?;
    o.finish()?;
    Ok((opts, prior, name))
}

/// An observation (8 abundances) from a map of abundance names, an array or a Vector.
fn observation(x: &Dynamic) -> RhaiResult<Vec<f64>> {
    if let Some(m) = x.read_lock::<Map>() {
        return ABUNDANCE_NAMES
            .iter()
            .map(|n| {
                m.get(*n).and_then(as_f64).ok_or_else(|| {
                    rt_error(format!(
                        "observation: missing or non-numeric '{n}' (needed: {})",
                        ABUNDANCE_NAMES.join(", ")
                    ))
                })
            })
            .collect();
    }
    let v = numbers(x, "observation")?;
    if v.len() != ABUNDANCE_NAMES.len() {
        return Err(rt_error(format!(
            "observation: {} values given, 8 needed ({})",
            v.len(),
            ABUNDANCE_NAMES.join(", ")
        )));
    }
    Ok(v)
}

/// Catalog inference options from a script map.
/// Catalog-inference options, the column mapping, and the simulator of option `refine`.
fn infer_options(
    options: Map,
    t: &Table,
) -> RhaiResult<(InferOptions, ColumnMap, Option<Dynamic>)> {
    let mut o = Opts::new(options, "infer");
    let mut opts = InferOptions {
        n_stars: o.usize("n_stars")?,
        ..Default::default()
    };
    if let Some(v) = o.usize("samples")? {
        opts.samples = v;
    }
    if let Some(v) = o.seed("seed")? {
        opts.seed = v;
    }
    if let Some(m) = o.string("method")? {
        opts.method = m
            .parse::<CombineMethod>()
            .map_err(|e| rt_error(format!("infer: {e}")))?;
    }
    if let Some(v) = o.bool("keep_samples")? {
        opts.keep_samples = v;
    }
    let mut map = ColumnMap::catalog_default(t);
    if let Some(d) = o.raw("columns") {
        let m = d.try_cast::<Map>().ok_or_else(|| rt_error("infer: option 'columns' must map abundance names to catalog columns, e.g. #{ Fe_H: \"feh\", … }"))?;
        if let Some(k) = m.keys().find(|k| !ABUNDANCE_NAMES.contains(&k.as_str())) {
            return Err(rt_error(format!(
                "infer: option 'columns' has unknown abundance '{k}' (use {})",
                ABUNDANCE_NAMES.join(", ")
            )));
        }
        for (j, name) in ABUNDANCE_NAMES.iter().enumerate() {
            if let Some(c) = m.get(*name) {
                map.values[j] = c.to_string();
            }
        }
        map.errors = None;
    }
    if let Some(d) = o.raw("errors") {
        map.errors = if d.is_unit() || d.as_bool() == Ok(false) {
            None
        } else {
            Some(strings(&d, "infer: option 'errors'")?)
        };
    }
    if let Some(l) = o.string("label")? {
        map.label = (!l.is_empty()).then_some(l);
    }
    let refine = o.raw("refine").filter(|d| !d.is_unit());
    o.finish()?;
    Ok((opts, map, refine))
}

#[export_module]
pub mod infer_api {
    use super::*;

    /// A trained neural posterior estimator q(θ | x).
    pub type Posterior = crate::infer::NeuralPosterior;

    /// Neural posterior estimation (paper §2.3): draws θ from the prior, simulates x with
    /// `source` (a simulator from `chempy(...)` or an emulator), adds Gaussian noise once and
    /// trains a masked autoregressive flow. Options: `n_sims` (100000), `noise` (0.05 dex, or
    /// 8 values), `prior` (default: the paper's, birth time U(2, 12.8) Gyr), `seed`, `hidden`
    /// (8), `transforms` (4), `blocks` (2), `paper` (the reference flow, whose first dimension
    /// ignores x), `lr` (5e-4), `batch` (200), `validation_fraction` (0.1), `patience` (20),
    /// `max_epochs`, `clip` (5.0), `source_name` (recorded in the file).
    /// ```rhai
    /// let post = train_npe(chempy("tng"), #{ n_sims: 100000 });
    /// post.save("posterior.json");
    /// ```
    #[rhai_fn(return_raw)]
    pub fn train_npe(source: Dynamic, options: Map) -> RhaiResult<Posterior> {
        let (opts, prior, name) = npe_options(options)?;
        let (post, _report) = with_simulator(&source, name, "train_npe", |sim| {
            crate::infer::train_npe(&prior, sim, &opts).map_err(rt)
        })?;
        Ok(post)
    }

    /// Neural posterior estimation with the default options.
    #[rhai_fn(name = "train_npe", return_raw)]
    pub fn train_npe_plain(source: Dynamic) -> RhaiResult<Posterior> {
        train_npe(source, Map::new())
    }

    /// `n` posterior samples of the six parameters for one star's observed abundances `x`
    /// (a map `#{ C_Fe: …, Fe_H: …, … }`, or 8 values in the order of `abundance_names()`).
    /// Draws outside the prior support are rejected. Returns a table with the six parameter
    /// columns.
    #[rhai_fn(global, return_raw, pure)]
    pub fn sample(post: &mut Posterior, x: Dynamic, n: INT, seed: INT) -> RhaiResult<Table> {
        if n < 1 || seed < 0 {
            return Err(rt_error(format!(
                "sample needs n >= 1 and seed >= 0, got n = {n}, seed = {seed}"
            )));
        }
        let x = observation(&x)?;
        let s = crate::model::Posterior::sample(post, &x, n as usize, seed as u64).map_err(rt)?;
        let names = post.param_names();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        Table::from_matrix(&names, &s.into_values()).map_err(rt)
    }

    /// Catalog inference: reads each star's eight observed abundances (by default the
    /// columns `obs_CFe … obs_SiFe` of the bundled catalogs), skips and reports unusable rows,
    /// samples every star, and combines the stars into the posterior of (alpha_imf,
    /// log10_n_ia). Options: `n_stars` (the first n usable rows; default all), `samples`
    /// (1000 per star), `seed`, `method` (`divide_prior` = the derivation, the default;
    /// `paper` = the reference code; `inverse_variance` = the abstract's numbers), `columns`
    /// (map abundance name → catalog column), `errors` (error columns or false), `label`
    /// (row label column), `keep_samples` (adds every sample as `samples`), `refine` (a
    /// simulator, `chempy("tng")` — `chempy("tng", #{ preset: "chempy_multi_2019" })` for the
    /// bundled mock_chempy_tng.csv — or an emulator: every star's draws are importance-weighted
    /// to the exact posterior of that simulator with the catalog's errors; costs `samples`
    /// simulations per star). Returns a map with
    /// `n_stars`, `alpha_imf_mean`, `alpha_imf_sd`, `log10_n_ia_mean`, `log10_n_ia_sd`, `mean`,
    /// `cov`, `method`, `seconds`, `skipped` (rows and reasons), `stars` (per-star table, with
    /// `ess` when refined), `running` (the combination of the first n stars, n = 1 … N),
    /// `warnings`, and when refined `refined_with` and `median_ess`.
    /// ```rhai
    /// let r = infer(post, read_csv(data_path("catalogs/mock_chempy_tng.csv")), #{ n_stars: 1000 });
    /// print(`alpha_IMF = ${r.alpha_imf_mean} ± ${r.alpha_imf_sd}`);
    /// ```
    #[rhai_fn(return_raw)]
    pub fn infer(post: Posterior, catalog: Table, options: Map) -> RhaiResult<Map> {
        let (opts, map, refine) = infer_options(options, &catalog)?;
        let obs = ObservationTable::from_table(&catalog, &map).map_err(rt)?;
        let r = match refine {
            None => crate::infer::infer_catalog(&post, &obs.view(), &opts).map_err(rt)?,
            Some(d) => with_simulator(&d, None, "infer: option 'refine'", |sim| {
                crate::infer::infer_catalog_with(&post, &obs.view(), &opts, Some(sim)).map_err(rt)
            })?,
        };
        inference_map(&r)
    }

    /// Catalog inference with the default options.
    #[rhai_fn(name = "infer", return_raw)]
    pub fn infer_plain(post: Posterior, catalog: Table) -> RhaiResult<Map> {
        infer(post, catalog, Map::new())
    }

    /// Accuracy on held-out simulations (paper §3, spec C.3): for a table of runs (six
    /// parameters, eight abundances, `status`), adds noise (`noise`, default the posterior's),
    /// samples `samples` (1000) per run and reports the APE of the posterior means per
    /// parameter (`ape`: map of #{ p25, median, p75 }, `ape_all`), the mean log-probability
    /// of the true parameters (`mean_log_prob`), `mean_acceptance` and `seconds`.
    #[rhai_fn(global, return_raw, pure)]
    pub fn evaluate(post: &mut Posterior, runs: Table, options: Map) -> RhaiResult<Map> {
        let mut o = Opts::new(options, "evaluate");
        let (theta, x, samples, seed) = held_out_pairs(post, &runs, &mut o, "evaluate")?;
        o.finish()?;
        let r = crate::infer::evaluate(&*post, theta.view(), x.view(), samples, seed).map_err(rt)?;
        let mut m = to_map(&r)?;
        m.insert("ape".into(), Dynamic::from_map(ape_by_name(&r.ape)));
        Ok(m)
    }

    /// The flow against the exact posterior: on a table of held-out runs (as `evaluate`,
    /// noise added once), each run's `samples` (1000) flow draws are importance-weighted with
    /// the likelihood of `sim` (`chempy("tng")` or an emulator) and the posterior's noise
    /// model. Reports `ape_global_flow` and `ape_global_exact` (quartiles of the pooled APE
    /// of α_IMF and log10 N_Ia for the flow's and the exact posterior means), `ape_exact`
    /// (per parameter), `median_ess` and `min_ess` (effective sample sizes of the weights),
    /// `n` (runs compared), `n_unweighted` (runs left out because no draw got a positive
    /// weight) and `seconds`. Costs runs × samples simulations; options `samples`, `seed`,
    /// `noise`.
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
    ) -> RhaiResult<Map> {
        let mut o = Opts::new(options, "evaluate_exact");
        let (theta, x, samples, seed) = held_out_pairs(post, &runs, &mut o, "evaluate_exact")?;
        o.finish()?;
        let r = with_simulator(&sim, None, "evaluate_exact", |sim| {
            crate::infer::evaluate_exact(&*post, sim, theta.view(), x.view(), samples, seed)
                .map_err(rt)
        })?;
        let mut m = to_map(&r)?;
        m.insert(
            "ape_exact".into(),
            Dynamic::from_map(ape_by_name(&r.ape_exact)),
        );
        Ok(m)
    }

    /// How the posterior was trained: `source`, `n_sims`, `n_failed`, `n_train`, `n_val`,
    /// `epochs`, `best_epoch`, `best_val_log_prob`, `simulate_seconds`, `train_seconds`,
    /// `seed`, the losses per epoch and the training settings.
    #[rhai_fn(global, return_raw, pure)]
    pub fn training(post: &mut Posterior) -> RhaiResult<Map> {
        to_map(post.training())
    }

    /// Saves the posterior (flow, z-score statistics, prior, noise model, names, training
    /// metadata) as JSON, atomically.
    #[rhai_fn(global, return_raw, pure)]
    pub fn save(post: &mut Posterior, path: &str) -> RhaiResult<()> {
        post.save(std::path::Path::new(path)).map_err(rt)
    }

    /// Loads a posterior saved by `post.save`; a corrupt or foreign file is a clear error.
    #[rhai_fn(return_raw)]
    pub fn load_posterior(path: &str) -> RhaiResult<Posterior> {
        Posterior::load(std::path::Path::new(path)).map_err(rt)
    }

    /// The paper's Fig. 5 from the result of `infer`: each global parameter estimated from the
    /// first n stars, with 1σ and 2σ bands, against n (log axis). Options: `truth` ([alpha_imf,
    /// log10_n_ia]), `reference` (points with error bars, e.g. `paper::hmc_chempy_tng()`: a map
    /// with `n`, `alpha_imf` and `log10_n_ia` as [median, low, high] per n, and `name`).
    /// ```rhai
    /// import "paper" as paper;
    /// n_stars_figure(r, #{ truth: paper::truth(), reference: paper::hmc_chempy_tng() }).save("fig5.png");
    /// ```
    #[rhai_fn(return_raw)]
    pub fn n_stars_figure(result: Map, options: Map) -> RhaiResult<crate::plot::Figure> {
        let mut o = Opts::new(options, "n_stars_figure");
        let truth = two(o.numbers("truth")?, "truth")?;
        let reference = match o.raw("reference") {
            None => None,
            Some(d) => Some(reference(d)?),
        };
        o.finish()?;
        let running = result
            .get("running")
            .and_then(|d| d.clone().try_cast::<Table>())
            .ok_or_else(|| {
                rt_error(
                    "n_stars_figure needs the map returned by infer (it has no 'running' table)",
                )
            })?;
        let col = |c: &str| running.column_f64(c).map_err(rt);
        let (n, am, asd, nm, nsd) = (
            col("n_stars")?,
            col("alpha_imf_mean")?,
            col("alpha_imf_sd")?,
            col("log10_n_ia_mean")?,
            col("log10_n_ia_sd")?,
        );
        let pts: Vec<crate::plot::RunningPoint> = (0..n.len())
            .map(|i| crate::plot::RunningPoint {
                n: n[i],
                mean: [am[i], nm[i]],
                sd: [asd[i], nsd[i]],
            })
            .collect();
        crate::plot::n_stars_figure(&pts, truth, reference.as_ref()).map_err(rt)
    }

    /// The paper's Fig. 6 from the result of `infer`: the combined posterior of (alpha_imf,
    /// log10_n_ia) as 1σ, 2σ and 3σ ellipses. Options: `truth`, `title`.
    #[rhai_fn(return_raw)]
    pub fn joint_figure(result: Map, options: Map) -> RhaiResult<crate::plot::Figure> {
        let mut o = Opts::new(options, "joint_figure");
        let truth = two(o.numbers("truth")?, "truth")?;
        let title = o.string("title")?;
        o.finish()?;
        let mean = result.get("mean").map(|d| numbers(d, "mean")).transpose()?;
        let cov = result
            .get("cov")
            .and_then(|d| d.read_lock::<Array>().map(|a| a.clone()));
        let (Some(mean), Some(cov)) = (mean, cov) else {
            return Err(rt_error(
                "joint_figure needs the map returned by infer (with 'mean' and 'cov')",
            ));
        };
        let r0 = numbers(&cov[0], "cov")?;
        let r1 = numbers(&cov[1], "cov")?;
        let title = title.or_else(|| {
            let n = result
                .get("n_stars")
                .and_then(|d| d.as_int().ok())
                .unwrap_or(0);
            Some(format!("joint posterior of {n} stars"))
        });
        crate::plot::joint_figure(
            [mean[0], mean[1]],
            [[r0[0], r0[1]], [r1[0], r1[1]]],
            truth,
            title,
        )
        .map_err(rt)
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
fn reference(d: Dynamic) -> RhaiResult<crate::plot::Reference> {
    let m = d
        .try_cast::<Map>()
        .ok_or_else(|| rt_error("reference must be a map with n, alpha_imf and log10_n_ia"))?;
    let name = m
        .get("name")
        .map(|d| d.to_string())
        .unwrap_or_else(|| "HMC (Philcox & Rybizki 2019)".into());
    let n = numbers(
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
            .map(|r| numbers(r, &format!("reference {key}")))
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
