//! Posterior predictive checks and the local C2ST on the closed-form linear-Gaussian model:
//! uniform sampled-posterior p-values for a well-specified catalog, tiny ones for a
//! misspecified catalog, flags for rows outside the training range; the local C2ST accepts
//! the exact posterior and rejects an over-confident one.

use galchem::calib::{lc2st, mock_catalog, ppc, Lc2stOptions, MockOptions, PpcOptions};
use galchem::infer::Observations;
use galchem::model::{LinearGaussian, Marginal, ParamSpace, Prior};

fn model(offset: f64) -> LinearGaussian {
    let space = ParamSpace::from_names(&["g", "l1", "l2"], &["g"]).unwrap();
    let normal = |mean, std| Marginal::Normal { mean, std };
    let prior = Prior::new(
        space,
        vec![normal(0.0, 1.0), normal(1.0, 0.5), normal(-1.0, 0.5)],
    )
    .unwrap();
    let a = ndarray::array![
        [1.0, 0.5, 0.0],
        [0.0, 1.0, 1.0],
        [1.0, -1.0, 0.5],
        [0.3, 0.0, 1.0],
        [0.5, 0.5, 0.5]
    ];
    LinearGaussian::new(prior, a, vec![0.0, 0.0, offset, 0.0, 0.0], vec![0.1; 5]).unwrap()
}

fn catalog(sim: &LinearGaussian, n: usize) -> ndarray::Array2<f64> {
    let opts = MockOptions {
        n,
        noise: sim.noise().clone(),
        globals: None,
        seed: 4,
    };
    let t = mock_catalog(sim, sim.prior(), &opts).unwrap();
    t.matrix(&["obs_x0", "obs_x1", "obs_x2", "obs_x3", "obs_x4"])
        .unwrap()
}

fn opts() -> PpcOptions {
    let noise = Some(model(0.0).noise().clone());
    PpcOptions {
        samples: 50,
        reference_sims: 1000,
        noise,
        ..Default::default()
    }
}

#[test]
fn ppc_p_values_are_uniform_when_the_model_is_right_and_not_otherwise() {
    let m = model(0.0);
    let post = m.posterior();
    let x = catalog(&m, 300);
    let good = ppc(&post, &m, &Observations::new(x.view()), &opts()).unwrap();
    assert_eq!(good.stars.len(), 300);
    assert!(
        good.ks_pvalue > 0.01,
        "well specified: KS p = {}",
        good.ks_pvalue
    );
    assert!(good.flagged.len() < 10, "{:?}", good.flagged);
    // classical p-values bunch towards ½: fewer near 0 and 1 than uniform ones
    let extreme = |p: &[f64]| p.iter().filter(|v| **v < 0.1 || **v > 0.9).count();
    let classical: Vec<f64> = good.stars.iter().map(|s| s.p_classical).collect();
    assert!(
        extreme(&classical) < extreme(&good.p_values()),
        "{} {}",
        extreme(&classical),
        extreme(&good.p_values())
    );
    // a catalog whose third element is offset by 0.5 (five σ) is caught and blamed
    let shifted = catalog(&model(0.5), 100);
    let bad = ppc(&post, &m, &Observations::new(shifted.view()), &opts()).unwrap();
    assert!(
        bad.ks_pvalue < 1e-6,
        "misspecified: KS p = {}",
        bad.ks_pvalue
    );
    let misfits = bad
        .flagged
        .iter()
        .filter(|f| f.kind == "misfit" && !f.elements.is_empty())
        .count();
    assert!(misfits > 10, "{misfits} misfits: {:?}", &bad.flagged[..3]);
    let worst = |r: &[f64]| r.iter().copied().fold(0.0, f64::max);
    assert!(
        worst(&bad.residual_rms) > 1.5 * worst(&good.residual_rms),
        "{:?} {:?}",
        bad.residual_rms,
        good.residual_rms
    );
}

#[test]
fn rows_outside_the_training_range_are_flagged_and_not_sampled() {
    let m = model(0.0);
    let post = m.posterior();
    let mut x = catalog(&m, 5);
    x[[2, 1]] = 1e300;
    let r = ppc(&post, &m, &Observations::new(x.view()), &opts()).unwrap();
    assert_eq!(
        r.stars.iter().map(|s| s.row).collect::<Vec<_>>(),
        vec![0, 1, 3, 4]
    );
    let f = r.flagged.iter().find(|f| f.row == 2).unwrap();
    assert_eq!(
        (f.kind.as_str(), f.elements.clone()),
        ("out_of_training", vec!["x1".to_string()])
    );
    assert!(f.reason.contains("1.000e300"), "{}", f.reason);
}

#[test]
fn local_c2st_accepts_the_exact_posterior_and_rejects_an_overconfident_one() {
    let m = model(0.0);
    let x_o = catalog(&m, 1).row(0).to_vec();
    let o = Lc2stOptions {
        n: 1500,
        samples: 500,
        null: 19,
        epochs: 20,
        noise: Some(m.noise().clone()),
        ..Default::default()
    };
    let exact = lc2st(&m.posterior(), &m, &x_o, &o).unwrap();
    let narrow = lc2st(&m.posterior().with_dispersion(0.3), &m, &x_o, &o).unwrap();
    println!(
        "exact: T = {} p = {}; narrow: T = {} p = {}",
        exact.statistic, exact.p_value, narrow.statistic, narrow.p_value
    );
    assert!(exact.p_value > 0.05, "exact: {}", exact.p_value);
    assert!(
        narrow.p_value <= 0.05 && narrow.statistic > exact.statistic,
        "narrow: {}",
        narrow.p_value
    );
}
