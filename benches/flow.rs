//! Speed targets of the flow (issue 5): training on 10^5 (θ, x) pairs in ≤ 60 s on 2 cores,
//! and 1000 stars × 1000 posterior samples, combination included, in ≤ 1 s.
//!
//! `cargo bench --bench flow -- --quick` (or `-- flow_train_epoch` for one group).

use criterion::{criterion_group, criterion_main, Criterion};
use galchem::flow::{self, FlowConfig, FlowTrainConfig, Maf, SampleWorkspace, Sampler};
use galchem::nn::Scaler;
use ndarray::Array2;
use rand::SeedableRng;
use rand_distr::{Distribution, Normal};
use rayon::prelude::*;
use std::hint::black_box;

/// Synthetic pairs shaped like the NPE problem: θ (n, 6) from the paper's prior, x (n, 8) a
/// smooth non-linear function of θ plus 0.05 dex noise.
fn pairs(n: usize) -> (Array2<f64>, Array2<f64>) {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    let z = Normal::new(0.0, 1.0).unwrap();
    let mu = [-2.3, -2.89, -0.3, 0.55, 0.5, 7.4];
    let sd = [0.3, 0.3, 0.3, 0.1, 0.1, 3.1];
    let theta = Array2::from_shape_fn((n, 6), |(_, j)| mu[j] + sd[j] * z.sample(&mut rng));
    let x = Array2::from_shape_fn((n, 8), |(r, k)| {
        let t = theta.row(r);
        let a = (0..6)
            .map(|j| ((j + k) % 5) as f64 * 0.2 * (t[j] - mu[j]) / sd[j])
            .sum::<f64>();
        0.3 * a.tanh() + 0.1 * k as f64 + 0.05 * z.sample(&mut rng)
    });
    (theta, x)
}

fn train_epoch(c: &mut Criterion) {
    let (theta, x) = pairs(100_000);
    let tc = FlowTrainConfig {
        max_epochs: 1,
        ..Default::default()
    };
    let mut g = c.benchmark_group("flow_train_epoch");
    g.sample_size(10);
    g.bench_function("1e5_pairs_one_epoch", |b| {
        b.iter(|| {
            flow::train(theta.view(), x.view(), &FlowConfig::default(), &tc)
                .map(|r| black_box(r.1.steps))
        })
    });
    g.finish();
}

fn random_flow() -> Maf {
    let theta_std = Scaler {
        mean: vec![-2.3, -2.89, -0.3, 0.55, 0.5, 7.4],
        std: vec![0.3, 0.3, 0.3, 0.1, 0.1, 3.1],
    };
    let x_std = Scaler::identity(8);
    Maf::new(FlowConfig::default(), theta_std, x_std).expect("flow")
}

fn sample_stars(c: &mut Criterion) {
    let maf = random_flow();
    let (_, xs) = pairs(1000);
    let mut g = c.benchmark_group("flow_sample");
    g.sample_size(10);
    g.bench_function("1000_stars_x_1000_raw_flow_samples", |b| {
        b.iter(|| {
            let sampler = Sampler::new(&maf);
            let total: f64 = (0..1000usize)
                .into_par_iter()
                .map_init(SampleWorkspace::default, |ws, i| {
                    let cond = sampler.condition(&xs.row(i).to_vec());
                    let mut out = vec![0.0; 6000];
                    let mut rng = galchem::rng::stream(1, i as u64);
                    sampler.draw(&cond, 1000, &mut rng, &mut out, ws);
                    out[0]
                })
                .sum();
            black_box(total)
        })
    });
    g.finish();
}

criterion_group!(benches, train_epoch, sample_stars);
criterion_main!(benches);
