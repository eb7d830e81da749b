//! Training recovers a known posterior: a linear-Gaussian model θ ~ N(μ0, diag s0²),
//! x = A θ + ε, ε ~ N(0, σ² I), whose posterior is Gaussian with precision
//! P = Σ0⁻¹ + AᵀA/σ² and mean P⁻¹(Σ0⁻¹μ0 + Aᵀx/σ²).

use galchem::flow::{train, FlowConfig, FlowTrainConfig};
use ndarray::{array, Array1, Array2};
use rand::SeedableRng;
use rand_distr::{Distribution, Normal};

const MU0: [f64; 2] = [-2.3, -2.9];
const S0: [f64; 2] = [0.3, 0.3];
const SIGMA: f64 = 0.1;

fn a() -> Array2<f64> {
    array![[1.0, 0.5], [-0.3, 1.2], [0.8, -0.6]]
}

fn simulate(n: usize, seed: u64) -> (Array2<f64>, Array2<f64>) {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let nrm = Normal::new(0.0, 1.0).unwrap();
    let theta = Array2::from_shape_fn((n, 2), |(_, j)| MU0[j] + S0[j] * nrm.sample(&mut rng));
    let mut x = theta.dot(&a().t());
    x.mapv_inplace(|v| v + SIGMA * nrm.sample(&mut rng));
    (theta, x)
}

/// Exact posterior mean and covariance for one observation.
fn posterior(x: &Array1<f64>) -> ([f64; 2], [[f64; 2]; 2]) {
    let a = a();
    let ata = a.t().dot(&a) / (SIGMA * SIGMA);
    let p = [
        [ata[[0, 0]] + 1.0 / (S0[0] * S0[0]), ata[[0, 1]]],
        [ata[[1, 0]], ata[[1, 1]] + 1.0 / (S0[1] * S0[1])],
    ];
    let det = p[0][0] * p[1][1] - p[0][1] * p[1][0];
    let cov = [
        [p[1][1] / det, -p[0][1] / det],
        [-p[1][0] / det, p[0][0] / det],
    ];
    let atx = a.t().dot(x) / (SIGMA * SIGMA);
    let h = [
        atx[0] + MU0[0] / (S0[0] * S0[0]),
        atx[1] + MU0[1] / (S0[1] * S0[1]),
    ];
    let mean = [
        cov[0][0] * h[0] + cov[0][1] * h[1],
        cov[1][0] * h[0] + cov[1][1] * h[1],
    ];
    (mean, cov)
}

#[test]
fn recovers_a_linear_gaussian_posterior() {
    let (theta, x) = simulate(6000, 1);
    let tc = FlowTrainConfig {
        max_epochs: 400,
        learning_rate: 2e-3,
        seed: 3,
        ..Default::default()
    };
    let (maf, report) = train(theta.view(), x.view(), &FlowConfig::default(), &tc).unwrap();
    assert_eq!(report.n_train, 5400);
    assert_eq!(report.n_val, 600);
    assert_eq!(report.epochs, report.train_loss.len());
    assert!(report.best_val_log_prob.is_finite());

    // Held-out mean log q vs the exact posterior's mean log density: their difference is
    // the expected KL divergence, ≥ 0 up to noise and small after training.
    let (t_test, x_test) = simulate(2000, 2);
    let lq = maf.log_prob(t_test.view(), x_test.view()).unwrap();
    let mut exact = 0.0;
    for r in 0..2000 {
        let (m, c) = posterior(&x_test.row(r).to_owned());
        let det = c[0][0] * c[1][1] - c[0][1] * c[1][0];
        let d = [t_test[[r, 0]] - m[0], t_test[[r, 1]] - m[1]];
        let q = (c[1][1] * d[0] * d[0] - 2.0 * c[0][1] * d[0] * d[1] + c[0][0] * d[1] * d[1]) / det;
        exact += -0.5 * q - (2.0 * std::f64::consts::PI).ln() - 0.5 * det.ln();
    }
    let exact = exact / 2000.0;
    let flow = lq.iter().sum::<f64>() / 2000.0;
    assert!(
        exact - flow < 0.08 && exact - flow > -0.08,
        "mean log q: flow {flow}, exact {exact}"
    );

    // Posterior samples at a few observations: means, sds and correlation.
    for r in 0..3 {
        let xo = x_test.row(r).to_owned();
        let (m, c) = posterior(&xo);
        let s = maf.sample(xo.view(), 4000, 10 + r as u64).unwrap();
        let mean = s.mean_axis(ndarray::Axis(0)).unwrap();
        let sd = [c[0][0].sqrt(), c[1][1].sqrt()];
        for j in 0..2 {
            assert!(
                (mean[j] - m[j]).abs() < 0.25 * sd[j],
                "obs {r} dim {j}: mean {} vs {}",
                mean[j],
                m[j]
            );
            let col = s.column(j);
            let v = col.mapv(|v| (v - mean[j]).powi(2)).sum() / 3999.0;
            assert!(
                (v.sqrt() / sd[j] - 1.0).abs() < 0.15,
                "obs {r} dim {j}: sd {} vs {}",
                v.sqrt(),
                sd[j]
            );
        }
    }
}

#[test]
fn bad_training_input_is_an_error() {
    let (theta, x) = simulate(100, 1);
    let tc = FlowTrainConfig::default();
    // 90 training rows < one batch of 200
    assert!(train(theta.view(), x.view(), &FlowConfig::default(), &tc).is_err());
    let bad = FlowTrainConfig {
        learning_rate: -1.0,
        ..Default::default()
    };
    assert!(train(theta.view(), x.view(), &FlowConfig::default(), &bad).is_err());
    let short = x.slice(ndarray::s![..50, ..]);
    assert!(train(theta.view(), short, &FlowConfig::default(), &tc).is_err());
}

#[test]
fn non_finite_rows_are_excluded_and_counted() {
    let (theta, mut x) = simulate(600, 4);
    x[[3, 1]] = f64::NAN;
    x[[10, 0]] = f64::INFINITY;
    let tc = FlowTrainConfig {
        max_epochs: 2,
        ..Default::default()
    };
    let (_, report) = train(theta.view(), x.view(), &FlowConfig::default(), &tc).unwrap();
    assert_eq!(report.n_excluded, 2);
    assert_eq!(report.n_train + report.n_val, 598);
    assert_eq!(report.epochs, 2);
}
