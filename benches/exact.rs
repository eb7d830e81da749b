//! Speed of the exact combination of single-star posteriors (issue target: 1000 stars in at
//! most 2 s): 1000 banana-shaped stars of 1000 weighted draws each, combined on the
//! adaptive grid with the KDE route (the default) and, for 100 stars, the mixture route.
//!
//! `cargo bench --bench exact` (or `-- exact_kde` for one).

use criterion::{criterion_group, criterion_main, Criterion};
use galchem::infer::combine::exact::stars::{combine_stars_exact, ExactModels, StarData};
use galchem::infer::combine::exact::{DensityRoute, ExactOptions};
use galchem::model::{Marginal, ParamSpace, Prior};
use galchem::rng::stream;
use galchem::stats::Draws;
use ndarray::Array2;
use rand_distr::{Distribution, StandardNormal};
use std::hint::black_box;

/// Curvature and noise of the banana model x ~ N((Λ₀, Λ₁ − B Λ₀²), S² I).
const B: f64 = 1.0;
const S: f64 = 0.35;

/// Observations of `n` stars of a galaxy at Λ = (0.4, 0.3), with 1000 exact
/// prior-weighted draws of every star's posterior.
fn stars(n: usize) -> (Vec<Draws>, Array2<f64>) {
    let mut x = Array2::zeros((n, 2));
    let draws = (0..n)
        .map(|i| {
            let mut r = stream(11, i as u64);
            let mut z = || -> f64 { StandardNormal.sample(&mut r) };
            x[[i, 0]] = 0.4 + S * z();
            x[[i, 1]] = 0.3 - B * 0.16 + S * z();
            let mut v = Array2::zeros((1000, 2));
            let mut w = Vec::with_capacity(1000);
            for k in 0..1000 {
                let p0 = x[[i, 0]] + S * z();
                let p1 = x[[i, 1]] + S * z() + B * p0 * p0;
                v[[k, 0]] = p0;
                v[[k, 1]] = p1;
                w.push((-0.5 * (p0 * p0 + p1 * p1)).exp());
            }
            Draws::weighted(v, w).expect("positive weights")
        })
        .collect();
    (draws, x)
}

fn prior() -> Prior {
    let space = ParamSpace::from_names(&["a", "b"], &["a", "b"]).expect("names");
    let m = Marginal::Normal {
        mean: 0.0,
        std: 1.0,
    };
    Prior::new(space, vec![m, m]).expect("prior")
}

fn route(c: &mut Criterion, name: &str, density: DensityRoute, n: usize) {
    let (draws, x) = stars(n);
    let sigma = Array2::from_elem((n, 2), S);
    let ids: Vec<u64> = (0..n as u64).collect();
    let data = StarData {
        draws: &draws,
        x: x.view(),
        sigma: sigma.view(),
        ids: &ids,
    };
    let opts = ExactOptions {
        density,
        ..ExactOptions::default()
    };
    let start = ([0.4, 0.3], [[0.01, 0.0], [0.0, 0.01]]);
    let p = prior();
    let mut g = c.benchmark_group("exact");
    g.sample_size(10);
    g.bench_function(name, |b| {
        b.iter(|| {
            black_box(
                combine_stars_exact(&p, data, start, &opts, ExactModels::default(), 1, None)
                    .expect("combination"),
            )
        })
    });
    g.finish();
}

fn exact(c: &mut Criterion) {
    route(c, "exact_kde_1000_stars", DensityRoute::Kde, 1000);
    route(c, "exact_mixture_100_stars", DensityRoute::Mixture, 100);
}

criterion_group!(benches, exact);
criterion_main!(benches);
