//! Speed of the density estimates used for exact products of single-star posteriors on a
//! 2-D grid: per star a fit on 1000 draws and the log density at ~100 grid points (the
//! target: a 1000-centre KDE at 100 points in ≲ 0.2 ms, single-threaded).
//!
//! `cargo bench --bench density` (or `-- kde_log_density` for one function).

use criterion::{criterion_group, criterion_main, Criterion};
use galchem::stats::{Draws, GaussianMixture, Kde, KdeOptions, MixtureOptions};
use ndarray::Array2;
use rand_distr::{Distribution, StandardNormal};
use std::hint::black_box;

/// 1000 draws of a two-component correlated 2-D mixture, and 100 points on a 10 × 10 grid.
fn setup() -> (Draws, Array2<f64>) {
    let mut r = galchem::rng::rng(1);
    let mut v = Array2::zeros((1000, 2));
    for i in 0..1000 {
        let (a, b): (f64, f64) = (StandardNormal.sample(&mut r), StandardNormal.sample(&mut r));
        let (m, s) = if i < 600 { (0.0, 1.0) } else { (3.0, 0.6) };
        v[[i, 0]] = m + s * a;
        v[[i, 1]] = 0.5 * m + s * (0.6 * a + 0.8 * b);
    }
    let grid = Array2::from_shape_fn((100, 2), |(k, j)| {
        let i = if j == 0 { k / 10 } else { k % 10 };
        -2.0 + 0.6 * i as f64
    });
    (Draws::new(v).unwrap(), grid)
}

fn kde(c: &mut Criterion) {
    let (draws, grid) = setup();
    let mut g = c.benchmark_group("density");
    g.bench_function("kde_fit_1000", |b| {
        b.iter(|| black_box(Kde::fit(&draws, &[0, 1], &KdeOptions::default()).unwrap()))
    });
    let k = Kde::fit(&draws, &[0, 1], &KdeOptions::default()).unwrap();
    g.bench_function("kde_log_density_1000x100", |b| {
        b.iter(|| black_box(k.log_density(grid.view()).unwrap()))
    });
    g.finish();
}

fn mixture(c: &mut Criterion) {
    let (draws, grid) = setup();
    let mut g = c.benchmark_group("density");
    g.bench_function("mixture_fit_bic_1000", |b| {
        b.iter(|| {
            let o = MixtureOptions::default();
            black_box(GaussianMixture::fit(&draws, &[0, 1], &o).unwrap())
        })
    });
    let m = GaussianMixture::fit(&draws, &[0, 1], &MixtureOptions::default()).unwrap();
    g.bench_function("mixture_log_density_100", |b| {
        b.iter(|| black_box(m.log_density(grid.view()).unwrap()))
    });
    g.finish();
}

criterion_group!(benches, kde, mixture);
criterion_main!(benches);
