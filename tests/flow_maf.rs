//! The flow's density, inverse and gradients on small random flows.

use galchem::flow::train::FlowObjective;
use galchem::flow::{FlowConfig, Maf};
use galchem::nn::objective::loss_and_gradient;
use galchem::nn::{Activation, Scaler};
use ndarray::{array, Array1, Array2};
use rand::{Rng, SeedableRng};

/// A random flow with weights scaled by `gain` (the default init is nearly linear; larger
/// weights make the tests more demanding).
fn flow(d: usize, c: usize, paper: bool, gain: f32, seed: u64) -> Maf {
    let cfg = FlowConfig {
        hidden: 8,
        transforms: 3,
        blocks: 2,
        activation: Activation::Tanh,
        paper,
        seed,
    };
    let theta_std = Scaler {
        mean: (0..d).map(|i| 0.3 * i as f64 - 0.5).collect(),
        std: (0..d).map(|i| 0.5 + 0.25 * i as f64).collect(),
    };
    let x_std = Scaler {
        mean: vec![0.1; c],
        std: vec![2.0; c],
    };
    let mut m = Maf::new(cfg, theta_std, x_std).unwrap();
    let p: Vec<f32> = m.params().iter().map(|w| w * gain).collect();
    m.set_params(&p).unwrap();
    m
}

#[test]
fn inverse_and_forward_are_each_others_inverse() {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    for paper in [false, true] {
        let m = flow(6, 8, paper, 2.0, 7);
        let x = Array1::from_shape_fn(8, |_| rng.gen_range(-1.0..1.0));
        let z = Array2::from_shape_fn((50, 6), |_| rng.gen_range(-2.5..2.5));
        let theta = m.transform_from_base(z.view(), x.view()).unwrap();
        let xs = Array2::from_shape_fn((50, 8), |(_, j)| x[j]);
        let back = m.transform_to_base(theta.view(), xs.view()).unwrap();
        let err = (&back - &z).mapv(f64::abs).fold(0.0f64, |a, &b| a.max(b));
        assert!(err < 2e-4, "paper {paper}: max |z − f(f⁻¹(z))| = {err}");
    }
}

/// ∫ q(θ | x) dθ = 1 by the midpoint rule on a fine 2-D grid (plus the small mass outside
/// the grid, estimated by sampling).
#[test]
fn density_is_normalised_in_two_dimensions() {
    for paper in [false, true] {
        let m = flow(2, 1, paper, 1.5, 3);
        for xv in [-1.5, 0.7] {
            let (lo, hi, n) = (-10.0, 10.0, 500);
            let h = (hi - lo) / n as f64;
            let mut theta = Array2::zeros((n * n, 2));
            for i in 0..n {
                for j in 0..n {
                    theta[[i * n + j, 0]] = lo + (i as f64 + 0.5) * h;
                    theta[[i * n + j, 1]] = lo + (j as f64 + 0.5) * h;
                }
            }
            let x = Array2::from_elem((n * n, 1), xv);
            let lp = m.log_prob(theta.view(), x.view()).unwrap();
            let mass: f64 = lp.iter().map(|l| l.exp()).sum::<f64>() * h * h;
            // the mass outside the box, estimated from samples of the inverse
            let samples = m.sample(ndarray::array![xv].view(), 40_000, 1).unwrap();
            let outside = samples
                .rows()
                .into_iter()
                .filter(|r| r.iter().any(|v| v.abs() > hi))
                .count() as f64
                / 40_000.0;
            assert!(outside < 0.01, "paper {paper}, x {xv}: {outside} outside");
            assert!(
                (mass + outside - 1.0).abs() < 5e-4,
                "paper {paper}, x {xv}: integral {mass} + outside {outside}"
            );
        }
    }
}

/// log q of samples drawn by the inverse equals the base density minus the log-Jacobian:
/// checked through the change of variables on a 1-D flow, q(θ) = N(z) |dz/dθ|.
#[test]
fn log_prob_matches_change_of_variables_in_one_dimension() {
    let m = flow(1, 2, false, 2.0, 5);
    let x = array![0.3, -0.4];
    let xs = Array2::from_shape_fn((1, 2), |(_, j)| x[j]);
    for t in [-2.0, -0.3, 0.0, 1.1, 2.5] {
        let e = 1e-3;
        let th = array![[t - e], [t], [t + e]];
        let xx = Array2::from_shape_fn((3, 2), |(_, j)| x[j]);
        let z = m.transform_to_base(th.view(), xx.view()).unwrap();
        let dz = (z[[2, 0]] - z[[0, 0]]) / (2.0 * e);
        let want =
            -0.5 * z[[1, 0]].powi(2) - 0.5 * (2.0 * std::f64::consts::PI).ln() + dz.abs().ln();
        let lp = m
            .log_prob(th.slice(ndarray::s![1..2, ..]), xs.view())
            .unwrap()[0];
        assert!((lp - want).abs() < 2e-3, "θ {t}: {lp} vs {want}");
    }
}

/// Analytic gradient of Σ −log q against central finite differences, for every unmasked
/// parameter; masked weights get exactly zero gradient.
#[test]
fn gradient_matches_finite_differences() {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
    for paper in [false, true] {
        let m = flow(3, 2, paper, 1.5, 11);
        let n = 6;
        let ts = Array2::from_shape_fn((n, 3), |_| rng.gen_range(-1.5f32..1.5));
        let xs = Array2::from_shape_fn((n, 2), |_| rng.gen_range(-1.5f32..1.5));
        let obj = FlowObjective::new(&m, ts.view(), xs.view()).unwrap();
        let rows: Vec<usize> = (0..n).collect();
        let p0 = m.params().to_vec();
        let (_, g) = loss_and_gradient(&obj, &p0, &rows);
        // masked parameters
        let mut masked = vec![false; p0.len()];
        for made in m.mades() {
            let layers = [&made.input, &made.output]
                .into_iter()
                .chain(made.blocks.iter());
            for l in layers {
                if let Some(mask) = l.mask() {
                    for ((i, o), &keep) in mask.indexed_iter() {
                        masked[l.offset() + i * l.n_out() + o] = !keep;
                    }
                }
            }
        }
        let n_masked = masked.iter().filter(|&&b| b).count();
        assert!(n_masked > 0);
        let mut worst = 0.0f64;
        for k in 0..p0.len() {
            if masked[k] {
                assert_eq!(g[k], 0.0, "masked parameter {k} has gradient");
                continue;
            }
            let h = 1e-2f32;
            let mut p = p0.clone();
            p[k] = p0[k] + h;
            let (lp, _) = loss_and_gradient(&obj, &p, &rows);
            p[k] = p0[k] - h;
            let (lm, _) = loss_and_gradient(&obj, &p, &rows);
            let fd = (lp - lm) / (2.0 * f64::from(h));
            let an = f64::from(g[k]);
            let err = (fd - an).abs() / (1.0 + an.abs());
            worst = worst.max(err);
            assert!(
                err < 2e-3,
                "paper {paper} param {k}: analytic {an}, numeric {fd}"
            );
        }
        assert!(worst > 0.0);
    }
}

/// Paper mode: the scale and shift of the first feature of every transform are the output
/// biases, whatever u and x; in the default mode they depend on x.
#[test]
fn paper_mode_first_feature_ignores_the_context() {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(2);
    for paper in [true, false] {
        let m = flow(6, 8, paper, 1.0, 4);
        let mut seen = vec![Vec::new(); m.mades().len()];
        for _ in 0..5 {
            let x: Vec<f32> = (0..8).map(|_| rng.gen_range(-2.0..2.0)).collect();
            let u: Vec<f32> = (0..6).map(|_| rng.gen_range(-2.0..2.0)).collect();
            for (k, made) in m.mades().iter().enumerate() {
                let base = made.context_base(m.params(), &x);
                let (st, t) = made.forward_one(m.params(), &u, &base);
                let b = made.output.bias(m.params());
                if paper {
                    assert_eq!((st[0], t[0]), (b[0], b[1]));
                }
                seen[k].push((st[0], t[0]));
            }
        }
        for s in &seen {
            let varies = s.iter().any(|v| *v != s[0]);
            assert_eq!(varies, !paper, "paper {paper}");
        }
    }
}

#[test]
fn sampling_is_reproducible_and_checks_shapes() {
    let m = flow(3, 2, false, 1.0, 1);
    let x = array![0.1, 0.2];
    let a = m.sample(x.view(), 300, 5).unwrap();
    let b = m.sample(x.view(), 300, 5).unwrap();
    let c = m.sample(x.view(), 300, 6).unwrap();
    assert_eq!(a, b);
    assert_ne!(a, c);
    assert_eq!(a.dim(), (300, 3));
    assert!(m.sample(array![1.0].view(), 10, 0).is_err());
    let bad = Array2::zeros((4, 2));
    assert!(m
        .log_prob(bad.view(), Array2::zeros((4, 2)).view())
        .is_err());
}
