//! The hierarchical baselines on models with known answers:
//! - MAP and Laplace on a linear-Gaussian hierarchy equal the exact joint posterior (its
//!   mode and covariance), and NUTS recovers its mean;
//! - simulation-based calibration of the whole sampler (MAP start, preconditioning, NUTS)
//!   on 50 data sets of 5 stars: the ranks of the true global parameters are uniform;
//! - the analytic gradient through an emulator (f64, model error, ages) matches finite
//!   differences;
//! - bad input gets a clear error.

use galchem::catalog::Table;
use galchem::data::DataDir;
use galchem::infer::hier::{chempy_model, star_data, BaselineError, HierModel, HierOptions};
use galchem::infer::hmc::{hmc_hier, HmcOptions, NutsOptions};
use galchem::infer::map::{map_hier, MapOptions};
use galchem::model::density::gradient_error;
use galchem::model::{LinearGaussian, LogDensity, Marginal, ParamSpace, Prior, Simulator};
use galchem::nn::emulator::EmulatorOptions;
use galchem::nn::Emulator;
use ndarray::{array, Array2};
use rand::Rng;
use rand_distr::StandardNormal;

mod nn_util;

/// θ = (g0, g1 global; l0, l1 local) → 3 outputs.
fn stand_in() -> LinearGaussian {
    let space = ParamSpace::from_names(&["g0", "g1", "l0", "l1"], &["g0", "g1"]).unwrap();
    let n = |mean, std| Marginal::Normal { mean, std };
    let prior = Prior::new(
        space,
        vec![n(0.5, 1.0), n(-1.0, 0.5), n(0.0, 1.0), n(1.0, 0.7)],
    )
    .unwrap();
    let a = array![
        [1.0, 0.5, 1.0, 0.0],
        [0.0, 1.0, 0.5, 1.0],
        [0.7, -0.4, 1.0, -1.0]
    ];
    LinearGaussian::new(prior, a, vec![0.1, 0.0, -0.2], vec![0.3, 0.5, 0.4]).unwrap()
}

/// Λ and `n` stars' locals from the prior, and their noisy observations.
fn data_set(m: &LinearGaussian, n: usize, seed: u64) -> ([f64; 2], Array2<f64>, Array2<f64>) {
    let theta = m.prior().sample(n, seed);
    let lambda = [theta[[0, 0]], theta[[0, 1]]];
    let mut t = theta.clone();
    t.column_mut(0).fill(lambda[0]);
    t.column_mut(1).fill(lambda[1]);
    let x = m.simulate(t.view()).unwrap().x;
    let mut rng = galchem::rng::rng(seed ^ 0xabc);
    let sigma = Array2::from_shape_fn(x.raw_dim(), |(_, j)| m.noise().sigma[j]);
    let obs = &x + &sigma.mapv(|s| s * rng.sample::<f64, _>(StandardNormal));
    (lambda, obs, sigma)
}

/// The exact joint posterior of (Λ, θ_1 … θ_n) as one linear-Gaussian model.
fn joint(m: &LinearGaussian, obs: &Array2<f64>) -> (Vec<f64>, Array2<f64>) {
    let n = obs.nrows();
    let names: Vec<String> = (0..2 + 2 * n).map(|k| format!("p{k}")).collect();
    let space = ParamSpace::from_names(&names, &[]).unwrap();
    let pm = m.prior().marginals();
    let marg: Vec<Marginal> = (0..2 + 2 * n)
        .map(|k| pm[if k < 2 { k } else { 2 + (k - 2) % 2 }])
        .collect();
    let prior = Prior::new(space, marg).unwrap();
    let a1 = array![
        [1.0, 0.5, 1.0, 0.0],
        [0.0, 1.0, 0.5, 1.0],
        [0.7, -0.4, 1.0, -1.0]
    ];
    let mut a = Array2::zeros((3 * n, 2 + 2 * n));
    for i in 0..n {
        for o in 0..3 {
            a[[3 * i + o, 0]] = a1[[o, 0]];
            a[[3 * i + o, 1]] = a1[[o, 1]];
            a[[3 * i + o, 2 + 2 * i]] = a1[[o, 2]];
            a[[3 * i + o, 3 + 2 * i]] = a1[[o, 3]];
        }
    }
    let b: Vec<f64> = (0..3 * n).map(|r| [0.1, 0.0, -0.2][r % 3]).collect();
    let sigma: Vec<f64> = (0..3 * n).map(|r| [0.3, 0.5, 0.4][r % 3]).collect();
    let j = LinearGaussian::new(prior, a, b, sigma).unwrap();
    let (mean, cov) = j.posterior_moments(obs.as_slice().unwrap()).unwrap();
    (mean.to_vec(), cov)
}

fn small_nuts(seed: u64) -> NutsOptions {
    NutsOptions {
        chains: 2,
        warmup: 200,
        draws: 200,
        seed,
        ..NutsOptions::default()
    }
}

#[test]
fn map_and_laplace_are_the_exact_joint_posterior_and_nuts_recovers_its_mean() {
    let m = stand_in();
    let (_, obs, sigma) = data_set(&m, 6, 4);
    let model = HierModel::new(&m, m.prior(), obs.view(), sigma.view(), None).unwrap();
    assert!(gradient_error(&model, &model.initial_point(), 1e-5).unwrap() < 1e-6);
    let fit = map_hier(&model, &MapOptions::default()).unwrap();
    let (mean, cov) = joint(&m, &obs);
    for k in 0..model.dim() {
        assert!(
            (fit.x[k] - mean[k]).abs() < 1e-5,
            "mode {k}: {} vs {}",
            fit.x[k],
            mean[k]
        );
        assert!(
            (fit.sd[k] / cov[[k, k]].sqrt() - 1.0).abs() < 1e-4,
            "sd {k}"
        );
    }
    assert!((fit.global_cov[[0, 1]] - cov[[0, 1]]).abs() < 1e-6);
    assert_eq!(fit.hessian_evaluations, 8);
    let opts = HmcOptions {
        nuts: NutsOptions {
            chains: 4,
            warmup: 300,
            draws: 500,
            seed: 9,
            ..NutsOptions::default()
        },
        ..HmcOptions::default()
    };
    let h = hmc_hier(&model, &opts).unwrap();
    for k in 0..2 {
        let sd = cov[[k, k]].sqrt();
        let ess = h.sampled.diagnostics.params[k].ess_bulk;
        let z = (h.global[k].mean - mean[k]) / (sd / ess.sqrt());
        assert!(z.abs() < 4.0, "global {k}: z = {z}");
        assert!(
            (h.global[k].sd / sd - 1.0).abs() < 0.15,
            "global {k}: sd {} vs {sd}",
            h.global[k].sd
        );
    }
    assert!(h.warnings.is_empty(), "{:?}", h.warnings);
    let table = h.sampled.draws_table().unwrap();
    assert_eq!(table.len(), 2000);
    assert!(table.has_column("g0") && table.has_column("l1_5") && table.has_column("energy"));
}

/// χ² statistic of `ranks` in [0, max] over `bins` equal bins.
fn chi2(ranks: &[usize], max: usize, bins: usize) -> f64 {
    let mut counts = vec![0usize; bins];
    for &r in ranks {
        counts[(r * bins / (max + 1)).min(bins - 1)] += 1;
    }
    let e = ranks.len() as f64 / bins as f64;
    counts.iter().map(|&c| (c as f64 - e).powi(2) / e).sum()
}

#[test]
fn simulation_based_calibration_of_the_hierarchical_sampler() {
    let m = stand_in();
    let (n_sets, n_stars, thin) = (50, 5, 4);
    let mut ranks = [vec![], vec![]];
    for s in 0..n_sets {
        let (lambda, obs, sigma) = data_set(&m, n_stars, 100 + s);
        let model = HierModel::new(&m, m.prior(), obs.view(), sigma.view(), None).unwrap();
        let opts = HmcOptions {
            nuts: small_nuts(1000 + s),
            ..HmcOptions::default()
        };
        let h = hmc_hier(&model, &opts).unwrap();
        for k in 0..2 {
            let draws: Vec<f64> = h.sampled.pooled(k).into_iter().step_by(thin).collect();
            ranks[k].push(draws.iter().filter(|&&d| d < lambda[k]).count());
        }
    }
    let max = 2 * 200 / thin;
    for (k, r) in ranks.iter().enumerate() {
        let c = chi2(r, max, 5);
        println!(
            "global {k}: ranks χ² = {c:.2} (5 bins, {} data sets)",
            r.len()
        );
        // χ²₄ above 18.47 has probability 0.001
        assert!(c < 18.47, "global {k}: χ² = {c}, ranks {r:?}");
    }
}

fn tiny_emulator() -> Emulator {
    let (theta, y) = nn_util::synthetic(600, 5);
    let opts = EmulatorOptions {
        hidden: vec![16, 8],
        epochs: 2,
        seed: 3,
        ..EmulatorOptions::default()
    };
    Emulator::train(theta.view(), y.view(), None, &opts)
        .unwrap()
        .0
}

fn catalog() -> Table {
    let data = DataDir::resolve(None).unwrap();
    Table::read_csv(data.join("catalogs/mock_chempy_tng.csv")).unwrap()
}

#[test]
fn gradient_through_the_emulator_with_model_error_and_ages() {
    let emu = tiny_emulator();
    let table = catalog();
    for (model_error, ages) in [(true, Some(true)), (false, Some(false))] {
        let opts = HierOptions {
            n_stars: Some(4),
            model_error,
            ages,
            ..HierOptions::default()
        };
        let stars = star_data(&table, &emu, &opts).unwrap();
        assert_eq!(stars.ages.is_some(), ages == Some(true));
        let model = chempy_model(&emu, &stars, &opts).unwrap();
        assert_eq!(model.dim(), 2 + if model_error { 8 } else { 0 } + 4 * 4);
        let mut rng = galchem::rng::rng(2);
        let x: Vec<f64> = model
            .initial_point()
            .iter()
            .map(|v| v + 0.3 * rng.sample::<f64, _>(StandardNormal))
            .collect();
        let err = gradient_error(&model, &x, 1e-5).unwrap();
        assert!(
            err < 1e-5,
            "model_error {model_error}: gradient error {err}"
        );
        assert_eq!(
            model.names()[2],
            if model_error {
                "model_error_C_Fe"
            } else {
                "log10_sfe_0"
            }
        );
    }
}

fn message(e: BaselineError) -> String {
    e.to_string()
}

#[test]
fn bad_input_gets_a_clear_error() {
    let emu = tiny_emulator();
    let table = catalog();
    let ages = HierOptions {
        ages: Some(true),
        ..HierOptions::default()
    };
    let no_ages = table.without_column("obs_time");
    let e = message(star_data(&no_ages, &emu, &ages).unwrap_err());
    assert!(e.contains("no ages") && e.contains("obs_time"), "{e}");
    // without `ages`, a catalog without them gets the uniform birth-time prior
    assert!(star_data(
        &no_ages,
        &emu,
        &HierOptions {
            n_stars: Some(3),
            ..HierOptions::default()
        }
    )
    .unwrap()
    .ages
    .is_none());
    let too_many = HierOptions {
        n_stars: Some(5000),
        ..HierOptions::default()
    };
    let e = message(star_data(&table, &emu, &too_many).unwrap_err());
    assert!(e.contains("5000 stars") && e.contains("1054 usable"), "{e}");
    // an emulator of other inputs
    let (theta, y) = nn_util::synthetic(300, 1);
    let names: Vec<String> = (0..6).map(|k| format!("p{k}")).collect();
    let opts = EmulatorOptions {
        hidden: vec![4],
        epochs: 1,
        input_names: Some(names),
        ..EmulatorOptions::default()
    };
    let other = Emulator::train(theta.view(), y.view(), None, &opts)
        .unwrap()
        .0;
    let e = message(star_data(&table, &other, &HierOptions::default()).unwrap_err());
    assert!(e.contains("p0, p1") && e.contains("alpha_imf"), "{e}");
}
