//! Speed of the CHEMPY-equivalent simulator.
//!
//! - `simulate_one/<set>`: one `simulate` call on draws of the paper prior, one thread;
//! - `batch_10k_box/<set>`: 10 000 draws of the ±5σ box on the rayon pool (all cores).
//!
//! Run with `cargo bench --bench gce` (the 700 000-run measurement is the ignored test
//! `tests/gce_speed.rs`).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use galchem::data::DataDir;
use galchem::gce::{Chempy, Params, YieldSet};
use galchem::model::Prior;
use std::hint::black_box;

fn draws(prior: &Prior, n: usize, seed: u64) -> Vec<Params> {
    prior
        .sample(n, seed)
        .rows()
        .into_iter()
        .map(|r| Params::from_array([r[0], r[1], r[2], r[3], r[4], r[5]]))
        .collect()
}

fn simulators() -> Vec<(YieldSet, Chempy)> {
    let data = DataDir::resolve(None).expect("data directory");
    [YieldSet::Tng, YieldSet::Alternative]
        .into_iter()
        .map(|s| (s, Chempy::load(&data, s).expect("yield tables")))
        .collect()
}

fn simulate_one(c: &mut Criterion) {
    let ps = draws(&Prior::paper(), 1024, 11);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let mut group = c.benchmark_group("simulate_one");
    for (set, sim) in simulators() {
        group.bench_function(set.to_string(), |b| {
            let mut i = 0usize;
            pool.install(|| {
                b.iter(|| {
                    let p = &ps[i % ps.len()];
                    i += 1;
                    black_box(sim.simulate(black_box(p)))
                })
            })
        });
    }
    group.finish();
}

fn batch_box(c: &mut Criterion) {
    let ps = draws(&Prior::paper().uniform_box(5.0), 10_000, 12);
    let mut group = c.benchmark_group("batch_10k_box");
    group.sample_size(10);
    group.throughput(Throughput::Elements(ps.len() as u64));
    for (set, sim) in simulators() {
        group.bench_function(set.to_string(), |b| {
            b.iter(|| black_box(sim.simulate_batch(&ps).expect("not interrupted")))
        });
    }
    group.finish();
}

criterion_group!(benches, simulate_one, batch_box);
criterion_main!(benches);
