//! Benchmarks of the HMC baseline (issue 13): the hierarchical model's log density and its
//! gradient against the number of stars (1, 10, 100, 200, 1000) through an emulator of the
//! paper's architecture (6 → 100 → 40 → 8, f64), with model errors and ages, on the bundled
//! CHEMPY+TNG mock; and the f64 tanh it uses against `f64::tanh`. (The SBI-against-HMC wall
//! times are measured by `scripts/compare_sbi_hmc.rhai`.)
//!
//! `cargo bench --bench hmc`; `cargo bench --bench hmc -- hier/logp_grad_200` for one size.

use criterion::{criterion_group, Criterion, Throughput};
use galchem::catalog::Table;
use galchem::data::DataDir;
use galchem::infer::hier::{chempy_model, star_data, HierOptions};
use galchem::model::LogDensity;
use galchem::nn::emulator::EmulatorOptions;
use galchem::nn::{mlp64, Emulator};
use std::hint::black_box;
use std::time::Duration;

#[path = "../tests/nn_util/mod.rs"]
mod nn_util;

fn emulator() -> Emulator {
    let (theta, y) = nn_util::synthetic(4000, 1);
    let opts = EmulatorOptions {
        epochs: 1,
        ..EmulatorOptions::default()
    };
    Emulator::train(theta.view(), y.view(), None, &opts)
        .expect("training on synthetic data")
        .0
}

fn bench_density(c: &mut Criterion) {
    let emu = emulator();
    let data = DataDir::resolve(None).expect("the data directory");
    let table = Table::read_csv(data.join("catalogs/mock_chempy_tng.csv")).expect("the catalog");
    let mut g = c.benchmark_group("hier");
    g.measurement_time(Duration::from_secs(5));
    for n in [1usize, 10, 100, 200, 1000] {
        let opts = HierOptions {
            n_stars: Some(n),
            ..HierOptions::default()
        };
        let stars = star_data(&table, &emu, &opts).expect("stars");
        let model = chempy_model(&emu, &stars, &opts).expect("model");
        let x = model.initial_point();
        let mut grad = vec![0.0; x.len()];
        g.throughput(Throughput::Elements(n as u64));
        g.bench_function(format!("logp_grad_{n}_stars"), |b| {
            b.iter(|| black_box(model.log_density_grad(black_box(&x), &mut grad)))
        });
    }
    g.finish();
}

fn bench_tanh(c: &mut Criterion) {
    let src: Vec<f64> = (0..4096).map(|i| (i as f64 / 4096.0 - 0.5) * 8.0).collect();
    let mut g = c.benchmark_group("tanh_f64");
    g.throughput(Throughput::Elements(src.len() as u64));
    let mut buf = src.clone();
    g.bench_function("fast", |b| {
        b.iter(|| {
            buf.iter_mut()
                .zip(&src)
                .for_each(|(o, &x)| *o = mlp64::tanh(x));
            black_box(&buf);
        })
    });
    g.bench_function("std", |b| {
        b.iter(|| {
            buf.iter_mut().zip(&src).for_each(|(o, &x)| *o = x.tanh());
            black_box(&buf);
        })
    });
    g.finish();
}

criterion_group!(benches, bench_density, bench_tanh);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
}
