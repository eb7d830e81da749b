//! The seams at work: a posterior of the global parameters alone, a model with three global
//! parameters, and an observable set that is a subset of the elements all go through the same
//! NPE, catalog inference and combination code as the paper's six-parameter problem.

use galchem::flow::FlowTrainConfig;
use galchem::infer::catalog::observe::Observations;
use galchem::infer::{
    infer_catalog, train_npe, train_on_pairs, CombineMethod, InferOptions, NpeOptions,
};
use galchem::model::{
    LinearGaussian, Marginal, NoiseModel, ParamSpace, Posterior, Prior, SelectOutputs, Simulator,
};
use ndarray::Array2;

fn quick() -> NpeOptions {
    NpeOptions {
        n_sims: 4000,
        seed: 11,
        train: FlowTrainConfig {
            max_epochs: 120,
            learning_rate: 2e-3,
            ..Default::default()
        },
        ..Default::default()
    }
}

/// Three global parameters (a, b, c) and two local ones, observed through 7 linear
/// combinations with 0.05 noise.
fn model() -> LinearGaussian {
    let space = ParamSpace::from_names(&["a", "b", "c", "l1", "l2"], &["a", "b", "c"]).unwrap();
    let n = |mean, std| Marginal::Normal { mean, std };
    let prior = Prior::new(
        space,
        vec![
            n(0.0, 1.0),
            n(0.5, 1.0),
            n(-0.5, 1.0),
            n(0.0, 1.0),
            n(0.0, 1.0),
        ],
    )
    .unwrap();
    let a = Array2::from_shape_fn((7, 5), |(i, j)| {
        ((i * 5 + j * 3) % 7) as f64 / 7.0 - 0.4 + if i == j { 1.0 } else { 0.0 }
    });
    LinearGaussian::new(prior, a, vec![0.0; 7], vec![0.05; 7]).unwrap()
}

/// `n` stars sharing the global parameters `truth`, with local parameters from the prior.
fn stars(m: &LinearGaussian, truth: &[f64], n: usize, seed: u64) -> Array2<f64> {
    let mut theta = m.prior().sample(n, seed);
    for mut row in theta.rows_mut() {
        for (j, &t) in truth.iter().enumerate() {
            row[j] = t;
        }
    }
    let mut x = m.simulate(theta.view()).unwrap().x;
    m.noise().add(&mut x, seed + 1);
    x
}

#[test]
fn three_global_parameters_are_combined_in_three_dimensions() {
    let m = model();
    let (post, _) = train_npe(m.prior(), &m, &quick()).unwrap();
    assert_eq!(post.space().n_global(), 3);
    let truth = [0.3, 0.1, -0.6];
    let x = stars(&m, &truth, 40, 5);
    let r = infer_catalog(
        &post,
        &Observations::new(x.view()),
        &InferOptions::default(),
    )
    .unwrap();
    assert_eq!(r.global_names, vec!["a", "b", "c"]);
    assert_eq!((r.combined.mean.len(), r.combined.cov.len()), (3, 3));
    #[allow(clippy::needless_range_loop)]
    for j in 0..3 {
        let z = (r.combined.mean[j] - truth[j]) / r.combined.sd[j];
        assert!(
            z.abs() < 4.0,
            "global {j}: {} ± {} vs {}",
            r.combined.mean[j],
            r.combined.sd[j],
            truth[j]
        );
    }
}

#[test]
fn a_posterior_of_the_global_parameters_alone() {
    let m = model();
    let prior = m.prior();
    let theta = prior.sample(4000, 21);
    let mut x = m.simulate(theta.view()).unwrap().x;
    m.noise().add(&mut x, 22);
    let globals = prior.space().global_indices();
    let g_prior = prior.marginal(&globals).unwrap();
    let g_theta = theta.select(ndarray::Axis(1), &globals);
    let (post, _) = train_on_pairs(
        &g_prior,
        g_theta.view(),
        x.view(),
        m.noise().clone(),
        "pairs",
        m.output_names().to_vec(),
        &quick(),
    )
    .unwrap();
    assert_eq!(post.space().dim(), 3);
    let truth = [-0.2, 0.4, 0.0];
    let obs = stars(&m, &truth, 30, 31);
    let r = infer_catalog(
        &post,
        &Observations::new(obs.view()),
        &InferOptions::default(),
    )
    .unwrap();
    assert_eq!(r.param_names, vec!["a", "b", "c"]);
    #[allow(clippy::needless_range_loop)]
    for j in 0..3 {
        let z = (r.combined.mean[j] - truth[j]) / r.combined.sd[j];
        assert!(z.abs() < 4.0, "global {j}: z = {z}");
    }
}

#[test]
fn an_observable_subset_through_select_outputs() {
    let m = model();
    let sub = SelectOutputs::new(&m, &["x0", "x2", "x3", "x5", "x6"]).unwrap();
    let (post, _) = train_npe(m.prior(), &sub, &quick()).unwrap();
    assert_eq!(post.observables(), &["x0", "x2", "x3", "x5", "x6"]);
    assert_eq!(
        post.training().source,
        "linear_gaussian(5 → 7)[x0,x2,x3,x5,x6]"
    );
    let truth = [0.3, 0.1, -0.6];
    let full = stars(&m, &truth, 30, 41);
    let x = full.select(ndarray::Axis(1), &[0, 2, 3, 5, 6]);
    let r = infer_catalog(
        &post,
        &Observations::new(x.view()),
        &InferOptions {
            method: CombineMethod::Paper,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(r.combined.n_stars, 30);
    // the full observable set does not fit this posterior, and the error says so
    let err = infer_catalog(
        &post,
        &Observations::new(full.view()),
        &InferOptions::default(),
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("7 columns but the posterior expects 5"),
        "{err}"
    );
    let noise = NoiseModel::uniform(5, 0.05);
    assert_eq!(Posterior::noise(&post), Some(&noise));
}
