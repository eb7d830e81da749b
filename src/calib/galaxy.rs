//! Calibration over many mock galaxies: does the combined posterior of the global
//! parameters Λ cover the truth as often as it claims?
//!
//! Galaxy g draws Λ_g from the prior (stream `derive(seed, 41)`, index g), simulates
//! max(n) stars with local parameters from the prior and Gaussian noise (a [`mock_stars`]
//! catalog with seed `derive(derive(seed, 40), g)`), samples every star's posterior (seed
//! `derive(derive(seed, 42), g)`, star i's stream i), and combines the first n stars for
//! every n and method. Each record says whether Λ_g lies inside the joint 68 % and 95 %
//! regions, its standardised errors and its marginal posterior CDF values (whose histogram
//! is the rank histogram: flat when calibrated). Galaxy g depends only on the seed and g, so
//! galaxies can be split over shards.
//!
//! Regions: for Gaussian methods the ellipses of Mahalanobis radius² χ²₂(q) = −2 ln(1 − q);
//! for exact methods the highest-density regions on the grid.

use super::error::CalibError;
use super::mock::{mock_stars, MockOptions};
use crate::error::{ErrorKind, Kind};
use crate::infer::combine::exact::stars::{combine_stars_exact, ExactModels, StarData};
use crate::infer::combine::exact::{DensityRoute, ExactOptions};
use crate::infer::combine::{combine, CombineMethod, GaussianPrior};
use crate::infer::star::Refiner;
use crate::model::{NoiseModel, Posterior, Simulator};
use crate::rng::{derive, stream};
use crate::stats::special::normal_cdf;
use crate::stats::{Draws, GaussianFit};
use ndarray::{s, Array2};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::ops::Range;
use std::str::FromStr;

/// A way of combining a galaxy's stars.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct GalaxyMethod {
    /// Refine every star's draws with the simulator first.
    pub refined: bool,
    /// A Gaussian combination, or `None` for an exact one.
    pub gaussian: Option<CombineMethod>,
    /// The exact combination's route (when `gaussian` is `None`).
    pub density: DensityRoute,
}

impl GalaxyMethod {
    /// The name in scripts and files: `divide_prior`, `paper`, `inverse_variance`,
    /// `exact_<density>`, each optionally prefixed `refined_` (`refined` alone is
    /// `refined_divide_prior`).
    pub fn name(&self) -> String {
        let base = match self.gaussian {
            Some(m) => m.name().to_string(),
            None => format!("exact_{}", self.density.name()),
        };
        match (self.refined, self.gaussian) {
            (true, Some(CombineMethod::DividePrior)) => "refined".into(),
            (true, _) => format!("refined_{base}"),
            (false, _) => base,
        }
    }
}

impl fmt::Display for GalaxyMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

impl FromStr for GalaxyMethod {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (refined, rest) = match s {
            "refined" => (true, "divide_prior"),
            _ => match s.strip_prefix("refined_") {
                Some(r) => (true, r),
                None => (false, s),
            },
        };
        if let Some(d) = rest.strip_prefix("exact_") {
            return Ok(GalaxyMethod {
                refined,
                gaussian: None,
                density: d.parse()?,
            });
        }
        let g: CombineMethod = rest.parse().map_err(|e: String| {
            format!("{e}, or exact_<likelihood|kde|mixture|marginal_flow>, optionally prefixed refined_")
        })?;
        Ok(GalaxyMethod {
            refined,
            gaussian: Some(g),
            density: DensityRoute::default(),
        })
    }
}

/// Settings of a galaxy calibration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GalaxyOptions {
    /// Galaxies of the whole run, and the ones this call does (a shard's range).
    pub galaxies: usize,
    pub range: Range<usize>,
    /// Stars combined, ascending (each galaxy has the largest number of stars).
    pub n_stars: Vec<usize>,
    /// Methods.
    pub methods: Vec<GalaxyMethod>,
    /// Posterior draws per star.
    pub samples: usize,
    /// Observational errors of the mocks (dex, one per observable).
    pub noise: NoiseModel,
    /// Settings of the exact methods (their density is the method's).
    pub exact: ExactOptions,
    /// Seed.
    pub seed: u64,
}

/// One galaxy, number of stars and method.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GalaxyRecord {
    pub galaxy: usize,
    pub n: usize,
    pub method: String,
    /// True Λ, posterior mean and standard deviations (NaN when the method failed).
    pub truth: Vec<f64>,
    #[serde(with = "crate::envelope::any_f64_vec")]
    pub mean: Vec<f64>,
    #[serde(with = "crate::envelope::any_f64_vec")]
    pub sd: Vec<f64>,
    /// The combined covariance `(2, 2)` (empty when the method failed).
    #[serde(default)]
    pub cov: Vec<Vec<f64>>,
    /// The credibility of the smallest region holding the truth (in the q region iff < q).
    pub credibility: f64,
    /// Marginal posterior CDF at the truth, per parameter.
    #[serde(with = "crate::envelope::any_f64_vec")]
    pub cdf: Vec<f64>,
    /// Why the method failed for this galaxy, if it did.
    pub error: Option<String>,
}

/// The simulators and posteriors of a galaxy calibration.
#[derive(Clone, Copy)]
pub struct GalaxyModels<'a> {
    /// The posterior of all parameters given one star.
    pub posterior: &'a dyn Posterior,
    /// The simulator of the mocks.
    pub mock: &'a dyn Simulator,
    /// The simulator of refinement and of the likelihood route (default: `mock`).
    pub likelihood: Option<&'a dyn Simulator>,
    /// The 2-D posterior of the marginal-flow route.
    pub marginal: Option<&'a dyn Posterior>,
}

/// The records of a galaxy calibration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GalaxyRun {
    /// Records in galaxy, n and method order.
    pub records: Vec<GalaxyRecord>,
    /// Galaxies done (from `range.start`), and why the run stopped early (Ctrl-C, SIGTERM).
    pub done: usize,
    pub stopped: Option<String>,
}

/// Runs galaxies `opts.range`, with a progress bar. Ctrl-C or SIGTERM ends the run after
/// the galaxy in progress with the records of the galaxies done.
pub fn galaxy_calibration(
    models: GalaxyModels<'_>,
    opts: &GalaxyOptions,
) -> Result<GalaxyRun, CalibError> {
    check(models, opts)?;
    let bar = crate::progress::Progress::new(opts.range.len() as u64, "galaxies");
    let mut run = GalaxyRun {
        records: Vec::new(),
        done: 0,
        stopped: None,
    };
    for g in opts.range.clone() {
        let step = crate::interrupt::check()
            .map_err(CalibError::from)
            .and_then(|_| one_galaxy(models, opts, g));
        match step {
            Ok(r) => run.records.extend(r),
            Err(e) if matches!(e.kind(), ErrorKind::Interrupted | ErrorKind::Terminated) => {
                run.stopped = Some(e.to_string());
                break;
            }
            Err(e) => return Err(e),
        }
        run.done += 1;
        bar.inc(1);
    }
    bar.finish();
    Ok(run)
}

fn check(models: GalaxyModels<'_>, opts: &GalaxyOptions) -> Result<(), CalibError> {
    crate::ensure_option!(
        opts.galaxies >= 1,
        "galaxies",
        opts.galaxies,
        "at least one galaxy"
    );
    crate::ensure_option!(
        opts.range.end <= opts.galaxies && opts.range.start <= opts.range.end,
        "range",
        format!("{:?}", opts.range),
        format!("within 0..{}", opts.galaxies)
    );
    crate::ensure_option!(
        !opts.n_stars.is_empty()
            && opts.n_stars.windows(2).all(|w| w[0] < w[1])
            && opts.n_stars[0] >= 1,
        "n",
        format!("{:?}", opts.n_stars),
        "ascending positive numbers of stars"
    );
    crate::ensure_option!(
        !opts.methods.is_empty(),
        "methods",
        "[]",
        "at least one method"
    );
    crate::ensure_option!(
        opts.samples >= 10,
        "samples",
        opts.samples,
        "at least 10 draws per star"
    );
    let globals = models.posterior.space().global_indices();
    crate::ensure_option!(
        globals.len() == 2,
        "posterior",
        models.posterior.describe(),
        "needs exactly two global parameters"
    );
    Ok(())
}

/// The stars of galaxy `g`: true Λ, observations and every star's draws.
struct Galaxy {
    truth: Vec<f64>,
    observed: Array2<f64>,
    draws: Vec<Draws>,
    refined: Option<Vec<Draws>>,
}

fn simulate_galaxy(
    models: GalaxyModels<'_>,
    opts: &GalaxyOptions,
    g: usize,
) -> Result<Galaxy, CalibError> {
    let post = models.posterior;
    let prior = post.prior();
    let globals = prior.space().global_indices();
    let mut rng = stream(derive(opts.seed, 41), g as u64);
    let truth: Vec<f64> = globals
        .iter()
        .map(|&j| prior.marginals()[j].sample(&mut rng))
        .collect();
    let n_max = *opts.n_stars.last().unwrap_or(&1);
    let mock = MockOptions {
        n: n_max,
        noise: opts.noise.clone(),
        globals: Some(truth.clone()),
        seed: derive(derive(opts.seed, 40), g as u64),
    };
    let stars = mock_stars(models.mock, prior, &mock)?;
    let ids: Vec<u64> = (0..n_max as u64).collect();
    let seed = derive(derive(opts.seed, 42), g as u64);
    let draws = post
        .sample_many(stars.observed.view(), &ids, opts.samples, seed)?
        .into_iter()
        .enumerate()
        .map(|(i, d)| d.map_err(|e| CalibError::option("posterior", i, e.to_string())))
        .collect::<Result<Vec<_>, _>>()?;
    let refined = if opts.methods.iter().any(|m| m.refined) {
        let sim = models.likelihood.unwrap_or(models.mock);
        let r = Refiner::new(post, sim)
            .map_err(|e| CalibError::option("refine", sim.describe(), e.to_string()))?;
        let sigma = &opts.noise.sigma;
        Some(
            draws
                .par_iter()
                .enumerate()
                .map(|(i, d)| {
                    let x = stars.observed.row(i).to_vec();
                    r.refine(&x, sigma, d)
                        .map_err(|e| CalibError::option("refine", i, e.to_string()))
                })
                .collect::<Result<Vec<_>, _>>()?,
        )
    } else {
        None
    };
    Ok(Galaxy {
        truth,
        observed: stars.observed,
        draws,
        refined,
    })
}

fn one_galaxy(
    models: GalaxyModels<'_>,
    opts: &GalaxyOptions,
    g: usize,
) -> Result<Vec<GalaxyRecord>, CalibError> {
    let gal = simulate_galaxy(models, opts, g)?;
    let mut out = Vec::new();
    for &n in &opts.n_stars {
        for m in &opts.methods {
            let record = combine_galaxy(models, opts, &gal, n, m);
            out.push(GalaxyRecord {
                galaxy: g,
                n,
                method: m.name(),
                ..record
            });
        }
    }
    Ok(out)
}

/// The record of the first `n` stars of `gal` with method `m` (a failure is a record).
fn combine_galaxy(
    models: GalaxyModels<'_>,
    opts: &GalaxyOptions,
    gal: &Galaxy,
    n: usize,
    m: &GalaxyMethod,
) -> GalaxyRecord {
    let draws = match (&gal.refined, m.refined) {
        (Some(r), true) => &r[..n],
        _ => &gal.draws[..n],
    };
    let post = models.posterior;
    let prior = post.prior();
    let globals = prior.space().global_indices();
    let failed = |e: String| GalaxyRecord {
        galaxy: 0,
        n,
        method: String::new(),
        truth: gal.truth.clone(),
        mean: vec![f64::NAN; 2],
        sd: vec![f64::NAN; 2],
        cov: Vec::new(),
        credibility: 1.0,
        cdf: vec![f64::NAN; 2],
        error: Some(e),
    };
    let fits: Result<Vec<GaussianFit>, String> = draws
        .iter()
        .map(|d| d.gaussian_fit(&globals).map_err(|e| e.to_string()))
        .collect();
    let fits = match fits {
        Ok(f) => f,
        Err(e) => return failed(e),
    };
    let Some((pm, ps)) = prior.global_gaussian() else {
        return failed("the prior of the global parameters is not Gaussian".into());
    };
    let gprior = GaussianPrior::independent(&pm, &ps);
    let gaussian = |method| combine(&fits, &gprior, method).map_err(|e| e.to_string());
    if let Some(method) = m.gaussian {
        return match gaussian(method) {
            Ok(c) => gaussian_record(&gal.truth, &c.mean, &c.cov, n),
            Err(e) => failed(e),
        };
    }
    // exact: start from a Gaussian combination, widened
    let start = gaussian(CombineMethod::DividePrior)
        .or_else(|_| gaussian(CombineMethod::Paper))
        .map(|c| {
            let w = 4.0;
            (
                [c.mean[0], c.mean[1]],
                [
                    [c.cov[0][0] * w, c.cov[0][1] * w],
                    [c.cov[1][0] * w, c.cov[1][1] * w],
                ],
            )
        });
    let start = match start {
        Ok(s) => s,
        Err(e) => return failed(e),
    };
    let sigma = Array2::from_shape_fn((n, opts.noise.sigma.len()), |(_, j)| opts.noise.sigma[j]);
    let ids: Vec<u64> = (0..n as u64).collect();
    let stars = StarData {
        draws,
        x: gal.observed.slice(s![..n, ..]),
        sigma: sigma.view(),
        ids: &ids,
    };
    let exact = ExactOptions {
        density: m.density,
        ..opts.exact.clone()
    };
    let em = ExactModels {
        simulator: Some(models.likelihood.unwrap_or(models.mock)),
        marginal: models.marginal,
    };
    let truth = [gal.truth[0], gal.truth[1]];
    match combine_stars_exact(prior, stars, start, &exact, em, opts.seed, Some(truth)) {
        Ok(c) => GalaxyRecord {
            galaxy: 0,
            n,
            method: String::new(),
            truth: gal.truth.clone(),
            mean: c.mean.clone(),
            sd: c.sd.clone(),
            cov: c.cov.clone(),
            credibility: c.truth_credibility.unwrap_or(1.0),
            cdf: (0..2).map(|k| c.grid.marginal_cdf(k, truth[k])).collect(),
            error: None,
        },
        Err(e) => failed(e.to_string()),
    }
}

/// The record of a Gaussian posterior N(mean, cov) (2-D) for `truth`.
pub(crate) fn gaussian_record(
    truth: &[f64],
    mean: &[f64],
    cov: &[Vec<f64>],
    n: usize,
) -> GalaxyRecord {
    let d = [truth[0] - mean[0], truth[1] - mean[1]];
    let det = cov[0][0] * cov[1][1] - cov[0][1] * cov[1][0];
    let maha2 =
        (cov[1][1] * d[0] * d[0] - 2.0 * cov[0][1] * d[0] * d[1] + cov[0][0] * d[1] * d[1]) / det;
    let sd = vec![cov[0][0].sqrt(), cov[1][1].sqrt()];
    GalaxyRecord {
        galaxy: 0,
        n,
        method: String::new(),
        truth: truth.to_vec(),
        mean: mean.to_vec(),
        cdf: (0..2).map(|k| normal_cdf(d[k] / sd[k])).collect(),
        sd,
        cov: cov.to_vec(),
        // the mass of the ellipse through the truth: 1 − exp(−r²/2)
        credibility: if det > 0.0 {
            1.0 - (-0.5 * maha2).exp()
        } else {
            1.0
        },
        error: None,
    }
}

/// Coverage of one method and number of stars.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Coverage {
    pub method: String,
    pub n: usize,
    pub galaxies: usize,
    /// Galaxies whose combination failed (counted as not covered).
    pub failed: usize,
    /// Fractions of galaxies whose 68 % and 95 % regions hold the truth.
    pub c68: f64,
    pub c95: f64,
    /// Mean and standard deviation of the standardised errors (truth − mean)/sd, per
    /// parameter.
    pub z_mean: Vec<f64>,
    pub z_sd: Vec<f64>,
    /// Rank histograms (10 bins of the marginal CDF at the truth), per parameter.
    pub ranks: Vec<Vec<usize>>,
    /// Whether this is galchem's default method.
    pub default: bool,
}

/// The coverage of every (method, n) in `records`, in order of first appearance;
/// `default` names the default method.
pub fn coverage(records: &[GalaxyRecord], default: &str) -> Vec<Coverage> {
    let mut keys: Vec<(String, usize)> = Vec::new();
    for r in records {
        let k = (r.method.clone(), r.n);
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    keys.into_iter()
        .map(|(method, n)| {
            let rs: Vec<&GalaxyRecord> = records
                .iter()
                .filter(|r| r.method == method && r.n == n)
                .collect();
            summarise(&method, n, &rs, method == default)
        })
        .collect()
}

fn summarise(method: &str, n: usize, rs: &[&GalaxyRecord], default: bool) -> Coverage {
    let total = rs.len().max(1) as f64;
    let ok: Vec<&&GalaxyRecord> = rs.iter().filter(|r| r.error.is_none()).collect();
    let frac = |q: f64| ok.iter().filter(|r| r.credibility < q).count() as f64 / total;
    let z: Vec<Vec<f64>> = (0..2)
        .map(|k| {
            ok.iter()
                .map(|r| (r.truth[k] - r.mean[k]) / r.sd[k])
                .filter(|v| v.is_finite())
                .collect()
        })
        .collect();
    let mean_sd = |v: &[f64]| {
        let m = v.iter().sum::<f64>() / v.len().max(1) as f64;
        let var = v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (v.len().max(2) - 1) as f64;
        (m, var.sqrt())
    };
    Coverage {
        method: method.to_string(),
        n,
        galaxies: rs.len(),
        failed: rs.len() - ok.len(),
        c68: frac(0.68),
        c95: frac(0.95),
        z_mean: z.iter().map(|v| mean_sd(v).0).collect(),
        z_sd: z.iter().map(|v| mean_sd(v).1).collect(),
        ranks: (0..2)
            .map(|k| {
                let mut h = vec![0; 10];
                for r in &ok {
                    if r.cdf[k].is_finite() {
                        h[((r.cdf[k] * 10.0) as usize).min(9)] += 1;
                    }
                }
                h
            })
            .collect(),
        default,
    }
}
