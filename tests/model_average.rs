//! Evidence and model averaging on the closed-form linear-Gaussian model: the importance
//! weights of refinement estimate every star's evidence p(x | m) = N(x; A μ₀ + b, A Σ₀ Aᵀ +
//! σ² I), and averaging two candidate models (offsets differing on one observable) puts
//! the weight on the model that made the catalog and returns its estimate.

use galchem::calib::{mock_catalog, MockOptions};
use galchem::infer::catalog::average::average_models;
use galchem::infer::{infer_catalog, infer_catalog_with, InferOptions, Observations};
use galchem::model::{LinearGaussian, Marginal, ParamSpace, Posterior, Prior};
use galchem::stats::linalg::{spd_inverse, spd_log_det};
use ndarray::{array, Array1, Array2};

const MEANS: [f64; 3] = [0.0, 1.0, -1.0];
const SDS: [f64; 3] = [1.0, 0.5, 0.5];
const SIGMA: f64 = 0.1;

fn a() -> Array2<f64> {
    array![
        [1.0, 0.5, 0.0],
        [0.0, 1.0, 1.0],
        [1.0, -1.0, 0.5],
        [0.3, 0.0, 1.0],
        [0.5, 0.5, 0.5]
    ]
}

fn offsets(offset: f64) -> Vec<f64> {
    vec![0.0, 0.0, offset, 0.0, 0.0]
}

fn model(offset: f64) -> LinearGaussian {
    let space = ParamSpace::from_names(&["g", "l1", "l2"], &["g"]).unwrap();
    let marginals = MEANS
        .iter()
        .zip(SDS)
        .map(|(&mean, std)| Marginal::Normal { mean, std })
        .collect();
    let prior = Prior::new(space, marginals).unwrap();
    LinearGaussian::new(prior, a(), offsets(offset), vec![SIGMA; 5]).unwrap()
}

/// log N(x; A μ₀ + b, A Σ₀ Aᵀ + σ² I).
fn exact_log_evidence(x: &[f64], offset: f64) -> f64 {
    let a = a();
    let mean = a.dot(&Array1::from(MEANS.to_vec())) + Array1::from(offsets(offset));
    let s0 = Array2::from_diag(&Array1::from(SDS.iter().map(|s| s * s).collect::<Vec<_>>()));
    let cov = a.dot(&s0).dot(&a.t()) + Array2::<f64>::eye(5) * (SIGMA * SIGMA);
    let r = Array1::from(x.to_vec()) - mean;
    let q = r.dot(&spd_inverse(cov.view()).unwrap().dot(&r));
    -0.5 * (q + spd_log_det(cov.view()).unwrap() + 5.0 * (2.0 * std::f64::consts::PI).ln())
}

fn catalog(sim: &LinearGaussian, n: usize) -> Array2<f64> {
    let opts = MockOptions {
        n,
        noise: sim.noise().clone(),
        globals: Some(vec![0.4]),
        seed: 9,
    };
    let t = mock_catalog(sim, sim.prior(), &opts).unwrap();
    t.matrix(&["obs_x0", "obs_x1", "obs_x2", "obs_x3", "obs_x4"])
        .unwrap()
}

/// The catalog `x` with its errors (σ on every value), as the refinement needs them.
fn observed<'a>(x: &'a Array2<f64>, sigma: &'a Array2<f64>) -> Observations<'a> {
    Observations {
        errors: Some(sigma.view()),
        ..Observations::new(x.view())
    }
}

fn errors_of(x: &Array2<f64>) -> Array2<f64> {
    Array2::from_elem(x.dim(), SIGMA)
}

fn opts() -> InferOptions {
    InferOptions {
        samples: 2000,
        ..Default::default()
    }
}

#[test]
fn refinement_estimates_every_stars_evidence() {
    let m = model(0.0);
    // a proposal 1.3 times too wide, so that the weights are not trivial
    let post = m.posterior().with_dispersion(1.3);
    let x = catalog(&m, 8);
    let e = errors_of(&x);
    let r = infer_catalog_with(&post, &observed(&x, &e), &opts(), Some(&m)).unwrap();
    let mut total = 0.0;
    for s in &r.stars {
        let exact = exact_log_evidence(&x.row(s.row).to_vec(), 0.0);
        let est = s.log_evidence.unwrap();
        assert!(
            (est - exact).abs() < 0.05,
            "star {}: {est} vs {exact}",
            s.row
        );
        total += exact;
    }
    let sum = r.log_evidence.unwrap();
    assert!((sum - total).abs() < 0.2, "catalog: {sum} vs {total}");
    // without refinement there is no evidence
    let plain = infer_catalog(&post, &Observations::new(x.view()), &opts()).unwrap();
    assert!(plain.log_evidence.is_none());
}

#[test]
fn the_average_selects_the_model_that_made_the_catalog() {
    let (right, wrong) = (model(0.3), model(0.0));
    let x = catalog(&right, 30);
    let e = errors_of(&x);
    let obs = observed(&x, &e);
    let (pr, pw) = (right.posterior(), wrong.posterior());
    let r_right = infer_catalog_with(&pr, &obs, &opts(), Some(&right)).unwrap();
    let r_wrong = infer_catalog_with(&pw, &obs, &opts(), Some(&wrong)).unwrap();
    let avg = average_models(&[("wrong", &r_wrong), ("right", &r_right)]).unwrap();
    assert_eq!(avg.names[avg.best], "right");
    assert!(
        avg.log_evidence[1] - avg.log_evidence[0] > 10.0,
        "{:?}",
        avg.log_evidence
    );
    assert!(avg.weights[1] > 0.999 && (avg.weights.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    let (mean, _, sd) = r_right.estimate();
    assert!((avg.mean[0] - mean[0]).abs() < 1e-3 * sd[0]);
    assert!((avg.sd[0] / sd[0] - 1.0).abs() < 1e-3);
    // the right model's estimate holds the truth; the wrong one's is pulled away
    assert!(
        ((mean[0] - 0.4) / sd[0]).abs() < 3.0,
        "{} ± {}",
        mean[0],
        sd[0]
    );
    assert_eq!(pr.space().dim(), 3);
}

#[test]
fn averaging_needs_refined_inferences_of_the_same_stars() {
    let m = model(0.0);
    let post = m.posterior();
    let x = catalog(&m, 10);
    let e = errors_of(&x);
    let obs = observed(&x, &e);
    let refined = infer_catalog_with(&post, &obs, &opts(), Some(&m)).unwrap();
    let plain = infer_catalog(&post, &obs, &opts()).unwrap();
    let err = average_models(&[("a", &refined), ("b", &plain)])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("'b' has no evidence") && err.contains("refine"),
        "{err}"
    );
    let fewer = InferOptions {
        n_stars: Some(5),
        ..opts()
    };
    let part = infer_catalog_with(&post, &obs, &fewer, Some(&m)).unwrap();
    let err = average_models(&[("a", &refined), ("c", &part)])
        .unwrap_err()
        .to_string();
    assert!(err.contains("other stars"), "{err}");
    assert!(average_models(&[]).is_err());
}
