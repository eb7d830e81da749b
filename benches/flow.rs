//! Speed targets of the flow (issue 5): training on 10^5 (θ, x) pairs in ≤ 60 s on 2 cores,
//! and 1000 stars × 1000 posterior samples, combination included, in ≤ 1 s.
//!
//! `cargo bench --bench flow -- --quick` (or `-- flow_train_epoch` for one group).

use criterion::{criterion_group, criterion_main, Criterion};
use galchem::catalog::Table;
use galchem::data::DataDir;
use galchem::flow::{self, FlowConfig, FlowTrainConfig, SampleWorkspace, Sampler};
use galchem::gce::ABUNDANCE_NAMES;
use galchem::infer::{
    infer_catalog, train_on_pairs, InferOptions, NeuralPosterior, NpeOptions, Observations,
};
use galchem::model::{NoiseModel, Prior};
use ndarray::Array2;
use rand::SeedableRng;
use rand_distr::{Distribution, Normal};
use rayon::prelude::*;
use std::hint::black_box;
use std::sync::OnceLock;

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

fn sample_stars(c: &mut Criterion) {
    let mut g = c.benchmark_group("flow_sample");
    g.sample_size(10);
    g.bench_function("1000_stars_x_1000_raw_flow_samples", |b| {
        let maf = posterior().flow().clone();
        let xs = observations();
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

/// A trained posterior: the file named by `GALCHEM_BENCH_POSTERIOR` if set (e.g. one trained
/// on CHEMPY), otherwise one trained here for 40 epochs on 20 000 synthetic pairs (an
/// untrained flow is far too wide: its acceptance rate and so its cost are not realistic).
fn posterior() -> &'static NeuralPosterior {
    static P: OnceLock<NeuralPosterior> = OnceLock::new();
    P.get_or_init(|| {
        if let Ok(path) = std::env::var("GALCHEM_BENCH_POSTERIOR") {
            return NeuralPosterior::load(std::path::Path::new(&path)).expect("posterior file");
        }
        let (theta, x) = pairs(20_000);
        let opts = NpeOptions {
            train: FlowTrainConfig {
                max_epochs: 40,
                ..Default::default()
            },
            ..Default::default()
        };
        let names = ABUNDANCE_NAMES.iter().map(|s| s.to_string()).collect();
        let prior = Prior::paper().birth_range(2.0, 12.8);
        train_on_pairs(
            &prior,
            theta.view(),
            x.view(),
            NoiseModel::paper(),
            "synthetic",
            names,
            &opts,
        )
        .expect("posterior")
        .0
    })
}

/// 1000 observations: the first 1000 stars of the mock catalog with a posterior file (real
/// abundances), synthetic x otherwise.
fn observations() -> Array2<f64> {
    if std::env::var("GALCHEM_BENCH_POSTERIOR").is_ok() {
        let data = DataDir::resolve(None).expect("data directory");
        let t = Table::read_csv(data.join("catalogs/mock_chempy_tng.csv")).expect("mock catalog");
        let cols = [
            "obs_CFe", "obs_FeH", "obs_HeFe", "obs_MgFe", "obs_NFe", "obs_NeFe", "obs_OFe",
            "obs_SiFe",
        ];
        let m = t.matrix(&cols).expect("columns");
        return m.slice(ndarray::s![..1000, ..]).to_owned();
    }
    pairs(1000).1
}

/// The target: 1000 stars × 1000 samples with rejection, per-star summaries and the
/// combination (running combination included).
fn infer_stars(c: &mut Criterion) {
    let mut g = c.benchmark_group("infer");
    g.sample_size(10);
    g.bench_function("1000_stars_x_1000_samples_with_combination", |b| {
        let post = posterior();
        let xs = observations();
        let obs = Observations::new(xs.view());
        let opts = InferOptions::default();
        let r = infer_catalog(post, &obs, &opts).expect("inference");
        eprintln!(
            "mean acceptance {:.4}; combined {:?} ± {:?}",
            r.mean_acceptance, r.combined.mean, r.combined.sd
        );
        b.iter(|| {
            black_box(
                infer_catalog(post, &obs, &opts)
                    .expect("inference")
                    .combined,
            )
        })
    });
    g.finish();
}

criterion_group!(benches, train_epoch, sample_stars, infer_stars);
criterion_main!(benches);
