//! Posterior predictive checks of a catalog: does the simulator, at parameters the
//! posterior finds, reproduce each star's abundances within that star's errors?
//!
//! For every star: L draws θ_s from its posterior, the simulator's x̂_s = sim(θ_s) (not an
//! emulator), and the discrepancy T(x, θ) = Σⱼ ((xⱼ − x̂ⱼ(θ))/σⱼ)² with the star's errors σ.
//!
//! - **classical p-value**: the fraction of draws with T(x_rep,s, θ_s) ≥ T(x_obs, θ_s),
//!   x_rep,s = x̂_s + σ·ε. These bunch towards ½ even under a correct model;
//! - **sampled-posterior p-value** (Johnson 2007; Gosselin 2011): at one posterior draw θ̃
//!   (the first with a successful run), T(x_obs, θ̃) is χ² with one degree of freedom per
//!   element under a correct model and posterior, so p = P(χ²ₖ ≥ T(x_obs, θ̃)) is uniform.
//!   These are `p_values`, and `ks_pvalue` tests their uniformity;
//! - **residuals** per element: (xⱼ − mean x̂ⱼ)/√(σⱼ² + var x̂ⱼ);
//! - **flags**: a star whose p-value (either kind) is below `alpha`, with the elements whose
//!   residual exceeds `residual_limit` (else the largest one); a star with an abundance
//!   outside what the posterior was trained on (outside the range of `reference_sims`
//!   simulations from the prior, with their noise, widened by `margin` noise σ on each
//!   side) is flagged and not sampled; so is a star whose posterior cannot be sampled.

use super::dist::{chi2_sf, ks_uniform};
use super::error::CalibError;
use super::truths::{run_chunks, simulate_truths};
use crate::infer::catalog::observe::{validate, Observations};
use crate::model::{NoiseModel, Posterior, Simulator};
use crate::rng::{derive, stream};
use ndarray::{Array2, ArrayView1};
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};
use std::time::Instant;

/// Settings of the posterior predictive check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PpcOptions {
    /// Check only the first n usable stars (all).
    pub n_stars: Option<usize>,
    /// Posterior draws (and simulator runs) per star.
    pub samples: usize,
    /// Seed; a star's draws depend on the seed and its catalog row only.
    pub seed: u64,
    /// Errors (dex) for a catalog without error columns; `None` = the posterior's noise.
    pub noise: Option<NoiseModel>,
    /// p-values below this flag a star.
    pub alpha: f64,
    /// |residual| above this names an element as responsible.
    pub residual_limit: f64,
    /// Simulations from the prior that define the training range.
    pub reference_sims: usize,
    /// Widening of the training range, in noise σ per side.
    pub margin: f64,
}

impl Default for PpcOptions {
    fn default() -> Self {
        PpcOptions {
            n_stars: None,
            samples: 100,
            seed: crate::rng::DEFAULT_SEED,
            noise: None,
            alpha: 0.01,
            residual_limit: 3.0,
            reference_sims: 4000,
            margin: 5.0,
        }
    }
}

/// One checked star.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StarCheck {
    /// Catalog row and label.
    pub row: usize,
    pub label: Option<String>,
    /// Sampled-posterior and classical p-values.
    pub p_value: f64,
    pub p_classical: f64,
    /// Residual per element.
    pub residuals: Vec<f64>,
    /// Draws whose simulator run succeeded.
    pub n_runs: usize,
}

/// A star that does not fit, or could not be checked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Flag {
    /// Catalog row and label.
    pub row: usize,
    pub label: Option<String>,
    /// `misfit`, `out_of_training` or `unusable`.
    pub kind: String,
    /// The elements responsible.
    pub elements: Vec<String>,
    /// Why, as a sentence.
    pub reason: String,
}

/// The result of the posterior predictive check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PpcResult {
    /// Observable names.
    pub elements: Vec<String>,
    /// Every checked star, in catalog order.
    pub stars: Vec<StarCheck>,
    /// KS p-value of the sampled-posterior p-values against U(0, 1), and of the classical
    /// ones (which are not uniform even under a correct model).
    pub ks_pvalue: f64,
    pub ks_classical: f64,
    /// Stars that do not fit or could not be checked, in catalog order.
    pub flagged: Vec<Flag>,
    /// Per element the root mean square of the residuals and their mean.
    pub residual_rms: Vec<f64>,
    pub residual_mean: Vec<f64>,
    /// The training range per element (dex).
    pub training_range: Vec<(f64, f64)>,
    /// Rows in the catalog and rows skipped (missing or non-finite values).
    pub n_rows: usize,
    pub n_skipped: usize,
    /// Seconds.
    pub seconds: f64,
}

impl PpcResult {
    /// The sampled-posterior p-value of every checked star.
    pub fn p_values(&self) -> Vec<f64> {
        self.stars.iter().map(|s| s.p_value).collect()
    }
}

/// The posterior predictive check of catalog `obs` (in the posterior's observable order).
pub fn ppc(
    post: &dyn Posterior,
    sim: &dyn Simulator,
    obs: &Observations,
    opts: &PpcOptions,
) -> Result<PpcResult, CalibError> {
    let started = Instant::now();
    crate::ensure_option!(
        opts.samples >= 2,
        "samples",
        opts.samples,
        "at least 2 draws per star are needed"
    );
    let selected = super::run::matched_outputs(post, sim)?;
    let sim: &dyn Simulator = selected.as_ref().map_or(sim, |s| s as &dyn Simulator);
    let noise = opts
        .noise
        .clone()
        .or_else(|| post.noise().cloned())
        .ok_or_else(|| {
            CalibError::option(
                "noise",
                "none",
                "the catalog has no errors and the posterior no noise model",
            )
        })?;
    noise
        .validate(post.observables().len())
        .map_err(|e| CalibError::option("noise", format!("{:?}", noise.sigma), e))?;
    let valid = validate(obs, post.observables())
        .map_err(|e| CalibError::option("catalog", "", e.to_string()))?;
    let range = training_range(post, sim, &noise, opts)?;
    let mut flagged = Vec::new();
    let mut used = Vec::new();
    for &row in &valid.rows {
        match outside(&obs.values.row(row), &range, post.observables()) {
            Some(f) => flagged.push(flag(obs, row, "out_of_training", f.0, f.1)),
            None if opts.n_stars.is_none_or(|n| used.len() < n) => used.push(row),
            None => {}
        }
    }
    if used.is_empty() {
        return Err(CalibError::TooFew {
            what: "posterior predictive check (stars inside the training range)".into(),
            found: 0,
            needed: 1,
        });
    }
    let stars = check_stars(post, sim, obs, &used, &noise, opts, &mut flagged)?;
    flagged.sort_by_key(|f| f.row);
    Ok(summarise(
        post,
        stars,
        flagged,
        range,
        obs.values.nrows(),
        valid.skipped.len(),
        started,
    ))
}

/// The catalog-level numbers from the checked stars.
fn summarise(
    post: &dyn Posterior,
    stars: Vec<StarCheck>,
    flagged: Vec<Flag>,
    training_range: Vec<(f64, f64)>,
    n_rows: usize,
    n_skipped: usize,
    started: Instant,
) -> PpcResult {
    let k = post.observables().len();
    let n = stars.len().max(1) as f64;
    let p: Vec<f64> = stars.iter().map(|s| s.p_value).collect();
    let pc: Vec<f64> = stars.iter().map(|s| s.p_classical).collect();
    PpcResult {
        elements: post.observables().to_vec(),
        ks_pvalue: ks_uniform(&p).1,
        ks_classical: ks_uniform(&pc).1,
        residual_rms: (0..k)
            .map(|j| (stars.iter().map(|s| s.residuals[j].powi(2)).sum::<f64>() / n).sqrt())
            .collect(),
        residual_mean: (0..k)
            .map(|j| stars.iter().map(|s| s.residuals[j]).sum::<f64>() / n)
            .collect(),
        stars,
        flagged,
        training_range,
        n_rows,
        n_skipped,
        seconds: started.elapsed().as_secs_f64(),
    }
}

/// Per element the range of `reference_sims` noisy simulations from the prior, widened by
/// `margin` noise σ.
fn training_range(
    post: &dyn Posterior,
    sim: &dyn Simulator,
    noise: &NoiseModel,
    o: &PpcOptions,
) -> Result<Vec<(f64, f64)>, CalibError> {
    let t = simulate_truths(
        sim,
        post.prior(),
        noise,
        0..o.reference_sims.max(2),
        derive(o.seed, 21),
        100,
    )?;
    Ok(t.x
        .columns()
        .into_iter()
        .zip(&noise.sigma)
        .map(|(c, s)| {
            let lo = c.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = c.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            (lo - o.margin * s, hi + o.margin * s)
        })
        .collect())
}

/// The elements of `x` outside `range`, with a reason, if any.
fn outside(
    x: &ArrayView1<f64>,
    range: &[(f64, f64)],
    names: &[String],
) -> Option<(Vec<String>, String)> {
    let out: Vec<usize> = (0..x.len())
        .filter(|&j| !(x[j] >= range[j].0 && x[j] <= range[j].1))
        .collect();
    if out.is_empty() {
        return None;
    }
    let what: Vec<String> = out
        .iter()
        .map(|&j| {
            let v = crate::stats::format_significant(x[j], 4);
            format!(
                "{} = {v} (trained on {:.3} … {:.3})",
                names[j], range[j].0, range[j].1
            )
        })
        .collect();
    Some((
        out.iter().map(|&j| names[j].clone()).collect(),
        format!(
            "outside what the posterior was trained on: {}",
            what.join(", ")
        ),
    ))
}

fn flag(obs: &Observations, row: usize, kind: &str, elements: Vec<String>, reason: String) -> Flag {
    Flag {
        row,
        label: obs.labels.as_ref().and_then(|l| l.get(row).cloned()),
        kind: kind.into(),
        elements,
        reason,
    }
}

/// Samples, simulates and scores every star of `rows`.
fn check_stars(
    post: &dyn Posterior,
    sim: &dyn Simulator,
    obs: &Observations,
    rows: &[usize],
    noise: &NoiseModel,
    o: &PpcOptions,
    flagged: &mut Vec<Flag>,
) -> Result<Vec<StarCheck>, CalibError> {
    let k = post.observables().len();
    let xs = Array2::from_shape_fn((rows.len(), k), |(i, j)| obs.values[[rows[i], j]]);
    let ids: Vec<u64> = rows.iter().map(|&r| r as u64).collect();
    let draws = post.sample_many(xs.view(), &ids, o.samples, derive(o.seed, 20))?;
    let mut stars = Vec::new();
    let mut ok = Vec::new();
    for (i, d) in draws.into_iter().enumerate() {
        match d {
            Ok(d) => ok.push((i, d)),
            Err(e) => flagged.push(flag(obs, rows[i], "unusable", vec![], e.to_string())),
        }
    }
    let dim = post.space().dim();
    let all = Array2::from_shape_fn((ok.len() * o.samples, dim), |(r, c)| {
        ok[r / o.samples].1.values()[[r % o.samples, c]]
    });
    let runs = run_chunks(sim, &all)?;
    for (a, (i, _)) in ok.iter().enumerate() {
        let row = rows[*i];
        let sigma: Vec<f64> = match &obs.errors {
            Some(e) => e.row(row).to_vec(),
            None => noise.sigma.clone(),
        };
        let sims: Vec<&Vec<f64>> = runs[a * o.samples..(a + 1) * o.samples]
            .iter()
            .flatten()
            .collect();
        let x = xs.row(*i).to_vec();
        match score(&x, &sigma, &sims, derive(o.seed, 22), row as u64) {
            Some((p_value, p_classical, residuals)) => {
                let s = StarCheck {
                    row,
                    label: flag(obs, row, "", vec![], String::new()).label,
                    p_value,
                    p_classical,
                    residuals,
                    n_runs: sims.len(),
                };
                if let Some(f) = misfit(obs, &s, post.observables(), o) {
                    flagged.push(f);
                }
                stars.push(s);
            }
            None => flagged.push(flag(
                obs,
                row,
                "unusable",
                vec![],
                "fewer than 2 of its posterior draws ran successfully in the simulator".into(),
            )),
        }
    }
    Ok(stars)
}

/// (sampled-posterior p, classical p, residuals) of one star from its simulated draws.
fn score(
    x: &[f64],
    sigma: &[f64],
    sims: &[&Vec<f64>],
    seed: u64,
    id: u64,
) -> Option<(f64, f64, Vec<f64>)> {
    if sims.len() < 2 {
        return None;
    }
    let t = |xh: &[f64]| -> f64 {
        x.iter()
            .zip(xh)
            .zip(sigma)
            .map(|((a, b), s)| ((a - b) / s).powi(2))
            .sum()
    };
    let k = x.len();
    let p_value = chi2_sf(t(sims[0]), k as f64);
    let mut rng = stream(seed, id);
    let exceed = sims
        .iter()
        .filter(|xh| {
            let rep: f64 = (0..k)
                .map(|_| {
                    let z: f64 = StandardNormal.sample(&mut rng);
                    z * z
                })
                .sum();
            rep >= t(xh)
        })
        .count();
    let m = sims.len() as f64;
    let residuals = (0..k)
        .map(|j| {
            let mean = sims.iter().map(|v| v[j]).sum::<f64>() / m;
            let var = sims.iter().map(|v| (v[j] - mean).powi(2)).sum::<f64>() / (m - 1.0);
            (x[j] - mean) / (sigma[j] * sigma[j] + var).sqrt()
        })
        .collect();
    Some((p_value, exceed as f64 / m, residuals))
}

/// The flag of a star whose p-values are below `alpha`, naming the elements responsible.
fn misfit(obs: &Observations, s: &StarCheck, names: &[String], o: &PpcOptions) -> Option<Flag> {
    if s.p_value >= o.alpha && s.p_classical >= o.alpha {
        return None;
    }
    let mut bad: Vec<usize> = (0..names.len())
        .filter(|&j| s.residuals[j].abs() > o.residual_limit)
        .collect();
    if bad.is_empty() {
        let worst =
            (0..names.len()).max_by(|&a, &b| s.residuals[a].abs().total_cmp(&s.residuals[b].abs()));
        bad.extend(worst);
    }
    let what: Vec<String> = bad
        .iter()
        .map(|&j| format!("{} residual {:+.1}", names[j], s.residuals[j]))
        .collect();
    Some(flag(
        obs,
        s.row,
        "misfit",
        bad.iter().map(|&j| names[j].clone()).collect(),
        format!(
            "p = {:.2e} (classical {:.3}): {}",
            s.p_value,
            s.p_classical,
            what.join(", ")
        ),
    ))
}
