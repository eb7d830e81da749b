//! Benchmarks of the neural-network core and the emulator (issue 4 targets: the full
//! 700 000-row × 20-epoch emulator training in ≤ 30 s on 2 cores, ≥ 10⁶ predictions/s).
//!
//! `cargo bench --bench nn` runs the criterion groups. `NN_FULL_RUN=1 cargo bench --bench
//! nn -- full` additionally times one full-size emulator training on a smooth synthetic
//! 6 → 8 function (700 000 training rows, 50 000 validation rows, 20 epochs, the paper's
//! settings) and prints the seconds and the accuracy.

use criterion::{criterion_group, BenchmarkId, Criterion, Throughput};
use galchem::nn::emulator::EmulatorOptions;
use galchem::nn::{
    fastmath, train, Activation, Emulator, Loss, Mlp, OptimizerConfig, Shuffle, Supervised,
    TrainConfig,
};
use ndarray::{Array2, ArrayView2};
use rand::Rng;
use std::hint::black_box;
use std::time::{Duration, Instant};

#[path = "../tests/nn_util/mod.rs"]
mod nn_util;
use nn_util::synthetic;

fn to_f32(a: ArrayView2<f64>) -> Array2<f32> {
    a.mapv(|v| v as f32)
}

fn bench_tanh(c: &mut Criterion) {
    let src: Vec<f32> = (0..4096).map(|i| (i as f32 / 4096.0 - 0.5) * 8.0).collect();
    let mut g = c.benchmark_group("tanh");
    g.throughput(Throughput::Elements(src.len() as u64));
    let mut buf = src.clone();
    g.bench_function("fast_f32", |b| {
        b.iter(|| {
            buf.copy_from_slice(&src);
            fastmath::tanh_in_place(black_box(&mut buf));
        })
    });
    g.bench_function("std_f32", |b| {
        b.iter(|| {
            buf.copy_from_slice(&src);
            black_box(&mut buf).iter_mut().for_each(|x| *x = x.tanh());
        })
    });
    g.finish();
}

/// The middle layer's forward product (64 × 100) · (100 × 40) in f32 and f64.
fn bench_precision(c: &mut Criterion) {
    let mut r = galchem::rng::rng(1);
    let a64 = Array2::from_shape_fn((64, 100), |_| r.gen_range(-1.0..1.0f64));
    let b64 = Array2::from_shape_fn((100, 40), |_| r.gen_range(-1.0..1.0f64));
    let (a32, b32) = (to_f32(a64.view()), to_f32(b64.view()));
    let mut g = c.benchmark_group("gemm_64x100x40");
    g.bench_function("f32", |b| b.iter(|| black_box(&a32).dot(black_box(&b32))));
    g.bench_function("f64", |b| b.iter(|| black_box(&a64).dot(black_box(&b64))));
    g.finish();
}

/// One epoch over 70 000 rows (a tenth of the full data) of the paper's network, batch 64,
/// schedule-free AdamW: ×200 gives the full 700 000 × 20-epoch training.
fn bench_epoch(c: &mut Criterion) {
    let (theta, y) = synthetic(70_000, 2);
    let (x, y) = (to_f32(theta.view()), to_f32(y.view()));
    let mlp = Mlp::new(&[6, 100, 40, 8], Activation::Tanh, Activation::Identity).unwrap();
    let obj = Supervised::new(&mlp, Loss::Mse, x.view(), y.view()).unwrap();
    let mut g = c.benchmark_group("emulator_epoch_70k");
    g.sample_size(10);
    g.throughput(Throughput::Elements(70_000));
    for (chunk_rows, parallel) in [(64, false), (32, false), (32, true), (16, true)] {
        let id = BenchmarkId::new(if parallel { "parallel" } else { "serial" }, chunk_rows);
        g.bench_function(id, |b| {
            let mut params = mlp.init_params(1);
            let cfg = TrainConfig {
                epochs: 1,
                batch_size: 64,
                chunk_rows,
                parallel,
                shuffle: Shuffle::EveryEpoch,
                ..TrainConfig::default()
            };
            b.iter(|| {
                let mut o = OptimizerConfig::schedule_free(1e-3).build().unwrap();
                train(&obj, None, &mut params, o.as_mut(), &cfg, None).unwrap()
            })
        });
    }
    g.finish();
}

fn bench_predict(c: &mut Criterion) {
    let (theta, y) = synthetic(5_000, 3);
    let opts = EmulatorOptions {
        epochs: 1,
        ..EmulatorOptions::default()
    };
    let (emu, _) = Emulator::train(theta.view(), y.view(), None, &opts).unwrap();
    let (big, _) = synthetic(200_000, 4);
    let mut g = c.benchmark_group("emulator_predict");
    g.throughput(Throughput::Elements(big.nrows() as u64));
    g.sample_size(20);
    g.bench_function("200k_rows", |b| {
        b.iter(|| emu.predict(black_box(big.view())).unwrap())
    });
    let x32 = to_f32(big.view());
    g.bench_function("200k_rows_mlp_f32", |b| {
        b.iter(|| {
            emu.mlp()
                .predict(emu.params(), black_box(x32.view()))
                .unwrap()
        })
    });
    g.finish();
}

/// CPU time of the calling thread (ns), from /proc/thread-self/schedstat (Linux).
fn thread_cpu_ns() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    s.split_whitespace().next()?.parse().ok()
}

/// Training epochs timed by wall clock and (serial) by the CPU time of the training
/// thread; the minimum over repetitions estimates the time on an idle machine
/// (only with NN_CPU_TIME=1).
fn cpu_time_epochs() {
    let (theta, y) = synthetic(70_000, 2);
    let (x, y) = (to_f32(theta.view()), to_f32(y.view()));
    let mlp = Mlp::new(&[6, 100, 40, 8], Activation::Tanh, Activation::Identity).unwrap();
    let obj = Supervised::new(&mlp, Loss::Mse, x.view(), y.view()).unwrap();
    for (chunk_rows, parallel) in [(64, false), (32, false), (32, true)] {
        let mut params = mlp.init_params(1);
        let cfg = TrainConfig {
            epochs: 1,
            chunk_rows,
            parallel,
            ..TrainConfig::default()
        };
        let mut o = OptimizerConfig::schedule_free(1e-3).build().unwrap();
        let (mut wall, mut cpu, mut steps) = (f64::INFINITY, f64::INFINITY, 0);
        for _ in 0..8 {
            let (c0, t0) = (thread_cpu_ns(), Instant::now());
            let h = train(&obj, None, &mut params, o.as_mut(), &cfg, None).unwrap();
            wall = wall.min(t0.elapsed().as_secs_f64());
            if let (Some(a), Some(b)) = (c0, thread_cpu_ns()) {
                cpu = cpu.min((b - a) as f64 * 1e-9);
            }
            steps = h.train_loss.len() * x.nrows().div_ceil(64);
        }
        let per = |t: f64| t / steps as f64 * 1e6;
        println!(
            "chunk {chunk_rows} {}: {steps} steps/epoch; best wall {:.1} µs/step{} \
             => 700k x 20 epochs: {:.1} s",
            if parallel { "parallel" } else { "serial" },
            per(wall),
            if parallel {
                String::new()
            } else {
                format!(", best CPU {:.1} µs/step", per(cpu))
            },
            per(wall) * 218_750.0 / 1e6
        );
    }
}

/// The full-size run (only with NN_FULL_RUN=1).
fn full_run() {
    let t0 = Instant::now();
    let (theta, y) = synthetic(700_000, 10);
    let (tv, yv) = synthetic(50_000, 11);
    let simulate = t0.elapsed().as_secs_f64();
    for (name, opts) in [
        ("default (z-scored, reshuffled)", EmulatorOptions::default()),
        ("paper (raw, shuffled once)", EmulatorOptions::paper()),
    ] {
        let t = Instant::now();
        let (emu, rep) =
            Emulator::train(theta.view(), y.view(), Some((tv.view(), yv.view())), &opts).unwrap();
        let total = t.elapsed().as_secs_f64();
        let (tt, yt) = synthetic(50_000, 12);
        let r = emu.report(tt.view(), yt.view()).unwrap();
        let t = Instant::now();
        let p = emu.predict(tt.view()).unwrap();
        let pred_rate = p.nrows() as f64 / t.elapsed().as_secs_f64();
        println!(
            "full run {name}: {} rows x {} epochs ({} steps): training loop {:.2} s, total {:.2} s \
             (data generation {:.2} s); val MSE {:.3e}; test APE median {:.3} % [p25 {:.3}, p75 {:.3}], \
             |error| median {:.5} dex; predict {:.2e} rows/s on {} threads",
            rep.n_train,
            rep.epochs,
            rep.steps,
            rep.train_seconds,
            total,
            simulate,
            rep.val_mse.unwrap_or(f64::NAN),
            r.overall.ape_median,
            r.overall.ape_p25,
            r.overall.ape_p75,
            r.overall.dex_median,
            pred_rate,
            rayon::current_num_threads()
        );
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_secs(1));
    targets = bench_tanh, bench_precision, bench_epoch, bench_predict
}

fn main() {
    benches();
    if std::env::var("NN_CPU_TIME").is_ok_and(|v| v == "1") {
        cpu_time_epochs();
    }
    if std::env::var("NN_FULL_RUN").is_ok_and(|v| v == "1") {
        full_run();
    }
    Criterion::default().configure_from_args().final_summary();
}
