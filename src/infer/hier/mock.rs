//! Mock catalogs at known global parameters, made the way Philcox & Rybizki made theirs
//! (spec B.1): Λ fixed; per star log10 SFE, log10 SFR_peak (truncated below at 0.294) and
//! x_out from their priors and the birth time T ~ U(2, 12.8) Gyr; one simulator run per star
//! (failed runs are replaced); observed abundances = true + N(0, σ²) rounded to 2 decimals;
//! `obs_time_err = round(0.2·T, 2)`, `obs_time = round(T + N(0, obs_time_err²), 2)`, and
//! only stars with 1 < obs_time < 13.8 are kept.
//!
//! The table has the bundled catalogs' columns (`star`, `obs_<X>`, `err_<X>`, `true_<X>`,
//! `true_time`, `obs_time`, `obs_time_err`) and the true parameters (`true_alpha_imf`, …).

use super::error::BaselineError;
use crate::catalog::{ColumnData, Table};
use crate::gce::{ABUNDANCE_NAMES, PARAM_NAMES, SFR_PEAK_MIN};
use crate::infer::catalog::table_input::{
    CATALOG_ERROR_COLUMNS, CATALOG_TRUE_COLUMNS, CATALOG_VALUE_COLUMNS,
};
use crate::model::{Prior, Simulator};
use rand::Rng;
use rand_distr::StandardNormal;

/// How a mock catalog is made.
#[derive(Debug, Clone, PartialEq)]
pub struct MockOptions {
    /// Number of stars.
    pub n: usize,
    /// The true (α_IMF, log10 N_Ia).
    pub lambda: [f64; 2],
    /// Observational error of every abundance (dex).
    pub noise: f64,
    /// Relative error of the observed ages.
    pub age_error: f64,
    /// Range of the true birth times (Gyr).
    pub birth: (f64, f64),
    /// Round observed values to 2 decimals, as the reference mocks.
    pub round: bool,
    /// Seed.
    pub seed: u64,
}

impl Default for MockOptions {
    fn default() -> Self {
        MockOptions {
            n: 1000,
            lambda: crate::paper::TRUTH_CHEMPY_TNG,
            noise: 0.05,
            age_error: 0.2,
            birth: crate::gce::NPE_BIRTH_RANGE,
            round: true,
            seed: crate::rng::DEFAULT_SEED,
        }
    }
}

/// One kept star: its parameters, true abundances, observations and age.
struct Star {
    theta: Vec<f64>,
    truth: Vec<f64>,
    obs: Vec<f64>,
    age: (f64, f64),
}

/// A mock catalog of `opts.n` stars simulated by `sim` (CHEMPY's six inputs, its eight
/// abundances in order).
pub fn mock_catalog(sim: &dyn Simulator, opts: &MockOptions) -> Result<Table, BaselineError> {
    check(sim, opts)?;
    let prior = Prior::paper()
        .truncate_sfr_peak(SFR_PEAK_MIN)
        .birth_range(opts.birth.0, opts.birth.1);
    let mut stars: Vec<Star> = Vec::with_capacity(opts.n);
    let mut round = 0u64;
    while stars.len() < opts.n {
        crate::interrupt::check()?;
        if round > 1000 {
            return Err(BaselineError::Input(format!(
                "only {} of {} mock stars could be simulated after 1000 rounds",
                stars.len(),
                opts.n
            )));
        }
        let ask = opts.n - stars.len() + 16;
        let mut theta = prior.sample(ask, crate::rng::derive(opts.seed, round));
        theta.column_mut(0).fill(opts.lambda[0]);
        theta.column_mut(1).fill(opts.lambda[1]);
        let runs = sim.simulate(theta.view())?;
        let mut rng = crate::rng::stream(opts.seed, 10_000 + round);
        for i in (0..ask).filter(|&i| runs.ok(i)) {
            let truth = runs.x.row(i).to_vec();
            let star = observe(theta.row(i).to_vec(), truth, opts, &mut rng);
            if stars.len() < opts.n && star.age.0 > 1.0 && star.age.0 < crate::gce::MAX_BIRTH_TIME {
                stars.push(star);
            }
        }
        round += 1;
    }
    table(&stars, opts)
}

fn check(sim: &dyn Simulator, opts: &MockOptions) -> Result<(), BaselineError> {
    if sim.space().names() != PARAM_NAMES || sim.output_names() != ABUNDANCE_NAMES {
        return Err(BaselineError::Input(format!(
            "a mock catalog needs a simulator of CHEMPY's inputs ({}) and abundances ({}); {} has {} → {}",
            PARAM_NAMES.join(", "),
            ABUNDANCE_NAMES.join(", "),
            sim.describe(),
            sim.space().names().join(", "),
            sim.output_names().join(", ")
        )));
    }
    let ok = opts.n > 0
        && opts.noise.is_finite()
        && opts.noise > 0.0
        && opts.age_error > 0.0
        && opts.birth.0 < opts.birth.1;
    if !ok {
        return Err(crate::error::OptionError::new(
            "mock",
            format!(
                "n {}, noise {}, age_error {}",
                opts.n, opts.noise, opts.age_error
            ),
            "n ≥ 1, a positive noise and age error and a birth range lo < hi are needed",
        )
        .into());
    }
    Ok(())
}

fn observe(
    theta: Vec<f64>,
    truth: Vec<f64>,
    opts: &MockOptions,
    rng: &mut crate::rng::Rng,
) -> Star {
    let r = |v: f64| {
        if opts.round {
            (v * 100.0).round() / 100.0
        } else {
            v
        }
    };
    let obs = truth
        .iter()
        .map(|&t| r(t + opts.noise * rng.sample::<f64, _>(StandardNormal)))
        .collect();
    let t = theta[5];
    let err = r(opts.age_error * t).max(0.01);
    let age = (r(t + err * rng.sample::<f64, _>(StandardNormal)), err);
    Star {
        theta,
        truth,
        obs,
        age,
    }
}

fn table(stars: &[Star], opts: &MockOptions) -> Result<Table, BaselineError> {
    let n = stars.len();
    let col = |f: &dyn Fn(&Star) -> f64| ColumnData::Float(stars.iter().map(f).collect());
    let mut cols = vec![("star".to_string(), ColumnData::Int((0..n as i64).collect()))];
    for (j, name) in CATALOG_VALUE_COLUMNS.iter().enumerate() {
        cols.push(((*name).into(), col(&|s| s.obs[j])));
    }
    for name in CATALOG_ERROR_COLUMNS {
        cols.push((name.into(), ColumnData::Float(vec![opts.noise; n])));
    }
    for (j, name) in CATALOG_TRUE_COLUMNS.iter().enumerate() {
        cols.push(((*name).into(), col(&|s| s.truth[j])));
    }
    cols.push(("true_time".into(), col(&|s| s.theta[5])));
    cols.push(("obs_time".into(), col(&|s| s.age.0)));
    cols.push(("obs_time_err".into(), col(&|s| s.age.1)));
    for (k, name) in PARAM_NAMES.iter().enumerate().take(5) {
        cols.push((format!("true_{name}"), col(&|s| s.theta[k])));
    }
    Ok(Table::from_columns(cols)?)
}
