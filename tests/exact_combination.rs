//! The exact combination against an analytic posterior whose single-star posteriors are
//! banana-shaped: the model is linear-Gaussian in ψ(Λ) = (Λ₀, Λ₁ − b Λ₀²),
//!
//! x_i ~ N(ψ(Λ), s² I),   Λ ~ N(0, I),
//!
//! so p(Λ | x_1 … x_n) ∝ p(Λ) Π_i N(x_i; ψ(Λ), s² I) is known in closed form up to its
//! normalisation; its moments are computed here by brute-force quadrature on a fine box.
//! Single-star draws are exact: ψ ~ N(x_i, s² I) mapped back to Λ (the map has unit
//! Jacobian), importance-weighted by the prior.

use galchem::infer::combine::exact::grid::GridOptions;
use galchem::infer::combine::exact::stars::{combine_stars_exact, ExactModels, StarData};
use galchem::infer::combine::exact::{combine_exact, DensityRoute, ExactOptions, StarTerm};
use galchem::infer::combine::{combine, CombineError, CombineMethod, GaussianPrior};
use galchem::model::{Marginal, ParamSpace, Prior};
use galchem::rng::{derive, stream};
use galchem::stats::Draws;
use ndarray::Array2;
use rand_distr::{Distribution, StandardNormal};

const B: f64 = 2.0;
const S: f64 = 0.35;
const N_STARS: usize = 12;
const DRAWS: usize = 4000;

fn prior() -> Prior {
    let space = ParamSpace::from_names(&["a", "b"], &["a", "b"]).unwrap();
    let m = Marginal::Normal {
        mean: 0.0,
        std: 1.0,
    };
    Prior::new(space, vec![m, m]).unwrap()
}

fn psi(l: [f64; 2]) -> [f64; 2] {
    [l[0], l[1] - B * l[0] * l[0]]
}

fn log_like(x: [f64; 2], l: [f64; 2]) -> f64 {
    let p = psi(l);
    -0.5 * ((x[0] - p[0]).powi(2) + (x[1] - p[1]).powi(2)) / (S * S)
}

fn log_prior(l: [f64; 2]) -> f64 {
    -0.5 * (l[0] * l[0] + l[1] * l[1])
}

/// Observations of a galaxy at Λ = (0.4, 0.3).
fn observations() -> Vec<[f64; 2]> {
    let t = psi([0.4, 0.3]);
    (0..N_STARS as u64)
        .map(|i| {
            let mut r = stream(7, i);
            let z: [f64; 2] = [StandardNormal.sample(&mut r), StandardNormal.sample(&mut r)];
            [t[0] + S * z[0], t[1] + S * z[1]]
        })
        .collect()
}

/// Exact weighted draws of one star's posterior.
fn star_draws(x: [f64; 2], seed: u64) -> Draws {
    let mut r = stream(seed, 0);
    let mut v = Array2::zeros((DRAWS, 2));
    let mut w = Vec::with_capacity(DRAWS);
    for k in 0..DRAWS {
        let z: [f64; 2] = [StandardNormal.sample(&mut r), StandardNormal.sample(&mut r)];
        let p = [x[0] + S * z[0], x[1] + S * z[1]];
        let l = [p[0], p[1] + B * p[0] * p[0]];
        v[[k, 0]] = l[0];
        v[[k, 1]] = l[1];
        w.push(log_prior(l).exp());
    }
    Draws::weighted(v, w).unwrap()
}

/// Mean and covariance of the analytic posterior by quadrature.
fn reference_moments(xs: &[[f64; 2]]) -> ([f64; 2], [[f64; 2]; 2]) {
    let (n, lo, hi) = (1201, -3.0, 3.0);
    let h = (hi - lo) / (n - 1) as f64;
    let mut vals = Vec::with_capacity(n * n);
    for i in 0..n {
        for j in 0..n {
            let l = [lo + h * i as f64, lo + h * j as f64];
            let v = log_prior(l) + xs.iter().map(|&x| log_like(x, l)).sum::<f64>();
            vals.push((l, v));
        }
    }
    let max = vals.iter().map(|v| v.1).fold(f64::MIN, f64::max);
    let total: f64 = vals.iter().map(|v| (v.1 - max).exp()).sum();
    let mut m = [0.0; 2];
    for (l, v) in &vals {
        let w = (v - max).exp() / total;
        m[0] += w * l[0];
        m[1] += w * l[1];
    }
    let mut c = [[0.0; 2]; 2];
    for (l, v) in &vals {
        let w = (v - max).exp() / total;
        let d = [l[0] - m[0], l[1] - m[1]];
        for a in 0..2 {
            for b in 0..2 {
                c[a][b] += w * d[a] * d[b];
            }
        }
    }
    (m, c)
}

struct Analytic([f64; 2]);

impl StarTerm for Analytic {
    fn log_factor(&self, points: &[[f64; 2]]) -> Result<Vec<f64>, CombineError> {
        Ok(points.iter().map(|&l| log_like(self.0, l)).collect())
    }
}

fn start() -> ([f64; 2], [[f64; 2]; 2]) {
    ([0.0, 0.0], [[0.25, 0.0], [0.0, 0.25]])
}

#[test]
fn the_grid_reproduces_the_analytic_posterior() {
    let xs = observations();
    let (m, c) = reference_moments(&xs);
    let terms: Vec<Analytic> = xs.iter().map(|&x| Analytic(x)).collect();
    let refs: Vec<&dyn StarTerm> = terms.iter().map(|t| t as &dyn StarTerm).collect();
    let r = combine_exact(
        &refs,
        &prior(),
        DensityRoute::Likelihood,
        start(),
        &GridOptions::default(),
    )
    .unwrap();
    assert!(r.grid.converged);
    for a in 0..2 {
        let sd = c[a][a].sqrt();
        assert!(
            (r.mean[a] - m[a]).abs() < 0.01 * sd,
            "mean {a}: {} vs {}",
            r.mean[a],
            m[a]
        );
        assert!(
            (r.sd[a] / sd - 1.0).abs() < 0.01,
            "sd {a}: {} vs {sd}",
            r.sd[a]
        );
    }
}

#[test]
fn exact_routes_beat_the_gaussian_product_on_banana_stars() {
    let xs = observations();
    let (m, c) = reference_moments(&xs);
    let sd = [c[0][0].sqrt(), c[1][1].sqrt()];
    let draws: Vec<Draws> = xs
        .iter()
        .enumerate()
        .map(|(i, &x)| star_draws(x, derive(3, i as u64)))
        .collect();
    // the Gaussian product (divide_prior), measurably wrong
    let fits: Vec<_> = draws
        .iter()
        .map(|d| d.gaussian_fit(&[0, 1]).unwrap())
        .collect();
    let gauss = combine(
        &fits,
        &GaussianPrior::independent(&[0.0, 0.0], &[1.0, 1.0]),
        CombineMethod::DividePrior,
    )
    .unwrap();
    let gauss_err = (0..2)
        .map(|a| (gauss.mean[a] - m[a]).abs() / sd[a])
        .fold(0.0, f64::max);
    assert!(
        gauss_err > 0.5,
        "the Gaussian product should be off by > 0.5 sd here, is {gauss_err}"
    );
    let x = Array2::from_shape_fn((xs.len(), 2), |(i, j)| xs[i][j]);
    let sigma = Array2::from_elem((xs.len(), 2), S);
    let ids: Vec<u64> = (0..xs.len() as u64).collect();
    let stars = StarData {
        draws: &draws,
        x: x.view(),
        sigma: sigma.view(),
        ids: &ids,
    };
    for density in [DensityRoute::Kde, DensityRoute::Mixture] {
        let opts = ExactOptions {
            density,
            ..ExactOptions::default()
        };
        let r = combine_stars_exact(
            &prior(),
            stars,
            start(),
            &opts,
            ExactModels::default(),
            1,
            Some([0.4, 0.3]),
        )
        .unwrap();
        eprintln!("{density}: mean {:?} sd {:?}; reference {m:?} {sd:?}; Gaussian {:?} ({gauss_err} sd off)", r.mean, r.sd, gauss.mean);
        for a in 0..2 {
            let err = (r.mean[a] - m[a]).abs() / sd[a];
            assert!(
                err < 0.25 && err < 0.5 * gauss_err,
                "{density} mean {a}: {} vs {} ({err} sd)",
                r.mean[a],
                m[a]
            );
            assert!(
                (r.sd[a] / sd[a] - 1.0).abs() < 0.25,
                "{density} sd {a}: {} vs {}",
                r.sd[a],
                sd[a]
            );
        }
        let cred = r.truth_credibility.unwrap();
        assert!((0.0..=1.0).contains(&cred));
    }
}

#[test]
fn routes_that_need_models_say_so() {
    let xs = observations();
    let draws: Vec<Draws> = xs.iter().map(|&x| star_draws(x, 5)).collect();
    let x = Array2::from_shape_fn((xs.len(), 2), |(i, j)| xs[i][j]);
    let ids: Vec<u64> = (0..xs.len() as u64).collect();
    let stars = StarData {
        draws: &draws,
        x: x.view(),
        sigma: x.view(),
        ids: &ids,
    };
    for (density, needs) in [
        (DensityRoute::Likelihood, "simulator"),
        (DensityRoute::MarginalFlow, "posterior of the global"),
    ] {
        let opts = ExactOptions {
            density,
            ..ExactOptions::default()
        };
        let e = combine_stars_exact(
            &prior(),
            stars,
            start(),
            &opts,
            ExactModels::default(),
            1,
            None,
        )
        .unwrap_err();
        assert!(
            e.to_string().contains(needs) && e.to_string().contains("star 0"),
            "{e}"
        );
    }
}
