//! The multi-star combination against closed forms (paper eq. 5–9, spec C.1 and C.2).

#![allow(clippy::needless_range_loop)] // small fixed-size matrices read best indexed

use galchem::infer::combine::{
    combine, combine_running, CombineError, CombineMethod, GaussianPrior,
};
use galchem::stats::{Draws, GaussianFit, StatsError};
use ndarray::Array2;

type Mat2 = [[f64; 2]; 2];

fn inv2(m: &Mat2) -> Option<Mat2> {
    let d = m[0][0] * m[1][1] - m[0][1] * m[1][0];
    (d != 0.0).then(|| [[m[1][1] / d, -m[0][1] / d], [-m[1][0] / d, m[0][0] / d]])
}

fn prior2(mean: [f64; 2], cov: Mat2) -> GaussianPrior {
    GaussianPrior {
        mean: mean.to_vec(),
        cov: cov.iter().map(|r| r.to_vec()).collect(),
    }
}

fn fit_star(samples: ndarray::ArrayView2<f64>) -> Result<GaussianFit, StatsError> {
    Draws::new(samples.to_owned())?.gaussian_fit(&[0, 1])
}

fn fit_star_weighted(
    samples: ndarray::ArrayView2<f64>,
    w: &[f64],
) -> Result<GaussianFit, StatsError> {
    Draws::weighted(samples.to_owned(), w.to_vec())?.gaussian_fit(&[0, 1])
}
use rand::SeedableRng;
use rand_distr::{Distribution, Normal};

fn star(mean: [f64; 2], cov: Mat2) -> GaussianFit {
    GaussianFit {
        mean: mean.to_vec(),
        cov: cov.iter().map(|r| r.to_vec()).collect(),
        sd_n: vec![cov[0][0].sqrt(), cov[1][1].sqrt()],
        n_eff: 1000,
    }
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * (1.0 + b.abs())
}

/// Conjugate model: prior N(μ0, Σ0), star i observes y_i ~ N(Λ, R). Star i's exact posterior
/// is N(m_i, S_i) with S_i⁻¹ = Σ0⁻¹ + R⁻¹; the exact joint posterior has precision
/// Σ0⁻¹ + n R⁻¹. Dividing the prior out n − 1 times must reproduce it exactly.
#[test]
fn divide_prior_recovers_the_exact_conjugate_posterior() {
    let (prior_mean, prior_cov) = ([-2.3, -2.89], [[0.09, 0.01], [0.01, 0.09]]);
    let prior = prior2(prior_mean, prior_cov);
    let r: Mat2 = [[0.04, -0.012], [-0.012, 0.0625]];
    let p0 = inv2(&prior_cov).unwrap();
    let pr = inv2(&r).unwrap();
    let ys = [
        [-2.1, -3.0],
        [-2.5, -2.7],
        [-2.35, -2.95],
        [-2.2, -2.8],
        [-2.6, -3.1],
    ];
    let mut stars = Vec::new();
    for y in ys {
        let prec = add(&p0, &pr);
        let cov = inv2(&prec).unwrap();
        let h = add_v(&mv(&p0, &prior_mean), &mv(&pr, &y));
        stars.push(star(mv(&cov, &h), cov));
    }
    let n = ys.len() as f64;
    let prec = add(&p0, &scale(&pr, n));
    let cov = inv2(&prec).unwrap();
    let ysum = [
        ys.iter().map(|y| y[0]).sum::<f64>(),
        ys.iter().map(|y| y[1]).sum::<f64>(),
    ];
    let mean = mv(&cov, &add_v(&mv(&p0, &prior_mean), &mv(&pr, &ysum)));
    let c = combine(&stars, &prior, CombineMethod::DividePrior).unwrap();
    assert_eq!(c.n_stars, 5);
    for a in 0..2 {
        assert!(close(c.mean[a], mean[a], 1e-12), "{:?} {:?}", c.mean, mean);
        for b in 0..2 {
            assert!(close(c.cov[a][b], cov[a][b], 1e-12));
        }
        assert!(close(c.sd[a], cov[a][a].sqrt(), 1e-12));
    }
}

/// Spec C.1 by hand for two stars with diagonal covariances:
/// P = Λ1 + Λ2 + Λ0, μ = P⁻¹(Λ1 μ1 + Λ2 μ2 + Λ0 μ0), per coordinate.
#[test]
fn paper_method_matches_spec_c1_by_hand() {
    let prior = GaussianPrior::paper();
    let s1 = star([-2.2, -2.8], [[0.01, 0.0], [0.0, 0.04]]);
    let s2 = star([-2.4, -3.0], [[0.04, 0.0], [0.0, 0.01]]);
    let c = combine(&[s1.clone(), s2.clone()], &prior, CombineMethod::Paper).unwrap();
    // α: precisions 100, 25, prior 1/0.09
    let p = 100.0 + 25.0 + 1.0 / 0.09;
    let m = (100.0 * -2.2 + 25.0 * -2.4 + (1.0 / 0.09) * -2.3) / p;
    assert!(close(c.mean[0], m, 1e-13));
    assert!(close(c.sd[0], (1.0 / p).sqrt(), 1e-13));
    // log N: precisions 25, 100
    let p = 25.0 + 100.0 + 1.0 / 0.09;
    let m = (25.0 * -2.8 + 100.0 * -3.0 + (1.0 / 0.09) * -2.89) / p;
    assert!(close(c.mean[1], m, 1e-13));
    assert!(close(c.sd[1], (1.0 / p).sqrt(), 1e-13));
    // The derivation subtracts instead of adding.
    let d = combine(&[s1.clone(), s2], &prior, CombineMethod::DividePrior).unwrap();
    let p: f64 = 100.0 + 25.0 - 1.0 / 0.09;
    assert!(close(d.sd[0], (1.0 / p).sqrt(), 1e-13));
    // For one star all methods using the prior agree with the star itself.
    for method in [CombineMethod::Paper, CombineMethod::DividePrior] {
        let one = combine(std::slice::from_ref(&s1), &prior, method).unwrap();
        assert!(close(one.mean[0], -2.2, 1e-14) && close(one.sd[1], 0.2, 1e-14));
    }
}

/// Spec C.2 from samples: per-parameter means and N-normalised standard deviations.
#[test]
fn inverse_variance_matches_spec_c2_on_samples() {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
    let mut fits = Vec::new();
    let mut sums = [[0.0f64; 2]; 2]; // Σ m/s², Σ 1/s² per parameter
    for i in 0..4 {
        let sd = 0.05 + 0.02 * i as f64;
        let nrm = Normal::new(0.0, sd).unwrap();
        let s = Array2::from_shape_fn((500, 2), |(_, j)| {
            [-2.3, -2.9][j] + 0.1 * i as f64 + nrm.sample(&mut rng)
        });
        for j in 0..2 {
            let col: Vec<f64> = s.column(j).to_vec();
            let m = col.iter().sum::<f64>() / 500.0;
            let v = col.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / 500.0;
            sums[j][0] += m / v;
            sums[j][1] += 1.0 / v;
        }
        fits.push(fit_star(s.view()).unwrap());
    }
    let c = combine(
        &fits,
        &GaussianPrior::paper(),
        CombineMethod::InverseVariance,
    )
    .unwrap();
    for j in 0..2 {
        assert!(close(c.mean[j], sums[j][0] / sums[j][1], 1e-12));
        assert!(close(c.sd[j], 1.0 / sums[j][1].sqrt(), 1e-12));
    }
    assert_eq!(c.cov[0][1], 0.0);
}

#[test]
fn running_combination_equals_prefix_combinations() {
    let prior = GaussianPrior::paper();
    let stars: Vec<GaussianFit> = (0..30)
        .map(|i| {
            let t = i as f64;
            star(
                [-2.3 + 0.01 * (t * 1.3).sin(), -2.89 + 0.02 * t.cos()],
                [[0.01 + 0.001 * t, 0.002], [0.002, 0.02]],
            )
        })
        .collect();
    for method in [
        CombineMethod::DividePrior,
        CombineMethod::Paper,
        CombineMethod::InverseVariance,
    ] {
        let run = combine_running(&stars, &prior, method).unwrap();
        assert_eq!(run.len(), 30);
        for n in [1, 2, 7, 30] {
            let direct = combine(&stars[..n], &prior, method).unwrap();
            let r = run[n - 1].as_ref().unwrap();
            assert_eq!(r.n_stars, n);
            for a in 0..2 {
                assert!(close(r.mean[a], direct.mean[a], 1e-12));
                assert!(close(r.sd[a], direct.sd[a], 1e-12));
            }
        }
    }
}

/// Stars as wide as the prior carry no information: dividing the prior out n − 1 times
/// leaves a precision of (1 − 0.2 (n − 1))·Λ0-ish that turns negative; it must be reported.
#[test]
fn non_positive_definite_precision_is_reported() {
    let prior = GaussianPrior::paper();
    let wide = star([-2.3, -2.89], [[0.1, 0.0], [0.0, 0.1]]);
    let stars = vec![wide; 20];
    let err = combine(&stars, &prior, CombineMethod::DividePrior).unwrap_err();
    match &err {
        CombineError::NotPositiveDefinite {
            n_stars,
            eigenvalues,
            ..
        } => {
            assert_eq!(*n_stars, 20);
            // 20/0.1 − 19/0.09 < 0
            let want = 20.0 / 0.1 - 19.0 / 0.09;
            assert!(close(eigenvalues[0], want, 1e-12));
        }
        other => panic!("unexpected {other:?}"),
    }
    let msg = err.to_string();
    assert!(msg.contains("not positive definite") && msg.contains("\"paper\""));
    // The running combination reports the failure only where it happens.
    let run = combine_running(&stars, &prior, CombineMethod::DividePrior).unwrap();
    assert!(run[0].is_ok());
    assert!(run[19].is_err());
    // The other methods still give an answer.
    assert!(combine(&stars, &prior, CombineMethod::Paper).is_ok());
    assert!(combine(&stars, &prior, CombineMethod::InverseVariance).is_ok());
}

#[test]
fn bad_inputs_are_errors() {
    let prior = GaussianPrior::paper();
    assert_eq!(
        combine(&[], &prior, CombineMethod::Paper).unwrap_err(),
        CombineError::NoStars
    );
    let same = Array2::from_elem((10, 2), 1.0);
    assert!(matches!(
        fit_star(same.view()),
        Err(StatsError::Singular { .. })
    ));
    let nan = Array2::from_shape_fn((10, 2), |(i, _)| if i == 4 { f64::NAN } else { i as f64 });
    assert!(matches!(
        fit_star(nan.view()),
        Err(StatsError::NotFinite { index: 4, .. })
    ));
    let three = star([0.0, 0.0], [[1.0, 0.0], [0.0, 1.0]]);
    let three = GaussianFit {
        mean: vec![0.0; 3],
        ..three
    };
    assert!(matches!(
        combine(&[three], &prior, CombineMethod::Paper),
        Err(CombineError::WrongDimension { found: 3, .. })
    ));
    assert_eq!("paper".parse(), Ok(CombineMethod::Paper));
    assert!("bogus".parse::<CombineMethod>().is_err());
}

fn add(a: &Mat2, b: &Mat2) -> Mat2 {
    [
        [a[0][0] + b[0][0], a[0][1] + b[0][1]],
        [a[1][0] + b[1][0], a[1][1] + b[1][1]],
    ]
}
fn scale(a: &Mat2, k: f64) -> Mat2 {
    [[a[0][0] * k, a[0][1] * k], [a[1][0] * k, a[1][1] * k]]
}
fn mv(a: &Mat2, v: &[f64; 2]) -> [f64; 2] {
    [
        a[0][0] * v[0] + a[0][1] * v[1],
        a[1][0] * v[0] + a[1][1] * v[1],
    ]
}
fn add_v(a: &[f64; 2], b: &[f64; 2]) -> [f64; 2] {
    [a[0] + b[0], a[1] + b[1]]
}

/// Weighted fits: equal weights give the plain fit; integer weights equal repeated samples
/// (up to the covariance normalisation, which uses the effective sample size); bad weights
/// are errors.
#[test]
fn weighted_fits() {
    let s = ndarray::array![[1.0, 2.0], [2.0, 1.0], [4.0, 5.0], [3.0, 3.5]];
    let plain = fit_star(s.view()).unwrap();
    let equal = fit_star_weighted(s.view(), &[2.0; 4]).unwrap();
    for a in 0..2 {
        assert!(close(plain.mean[a], equal.mean[a], 1e-14));
        for b in 0..2 {
            assert!(close(plain.cov[a][b], equal.cov[a][b], 1e-12));
        }
    }
    assert_eq!(equal.n_eff, 4);
    // weights (2, 1, 1, 0): the means of the samples (1, 1, 2, 4) and (2, 2, 1, 5)
    let w = fit_star_weighted(s.view(), &[2.0, 1.0, 1.0, 0.0]).unwrap();
    assert!(close(w.mean[0], 2.0, 1e-14) && close(w.mean[1], 2.5, 1e-14));
    // Σw² = 6/16: variance Σw(x−m)² / (1 − Σw²) of the first column
    let var0 = (0.5 * 1.0 + 0.25 * 0.0 + 0.25 * 4.0) / (1.0 - 6.0 / 16.0);
    assert!(close(w.cov[0][0], var0, 1e-12), "{} vs {var0}", w.cov[0][0]);
    assert_eq!(w.n_eff, 2); // ESS 16/6 = 2.67
    for bad in [
        vec![1.0, 1.0, 1.0],
        vec![1.0, -1.0, 1.0, 1.0],
        vec![0.0; 4],
        vec![f64::NAN, 1.0, 1.0, 1.0],
    ] {
        let e = fit_star_weighted(s.view(), &bad).unwrap_err().to_string();
        assert!(e.contains("weights"), "{e}");
    }
}
