//! Speed targets of the calibration diagnostics (issue 12): SBC + TARP at the reference's
//! size (200 simulations × 1000 draws; sbi: 4.2 s here, the target is ≥ 10× faster) and
//! SBC + coverage at 10⁴ × 1000 in ≤ 30 s on 2 cores, with a neural posterior and the
//! CHEMPY simulator.
//!
//! `cargo bench --bench calib` (or `-- sbc_tarp_200` for one group).

use criterion::{criterion_group, criterion_main, Criterion};
use galchem::calib::{
    coverage, run, sbc, tarp, CoverageOptions, RunOptions, SbcOptions, TarpOptions,
};
use galchem::data::DataDir;
use galchem::gce::{Chempy, YieldSet};
use galchem::infer::{train_npe, NeuralPosterior, NpeOptions};
use galchem::model::Prior;
use std::hint::black_box;
use std::sync::OnceLock;
use std::time::Duration;

/// A posterior of the paper's architecture trained briefly on CHEMPY (the diagnostics' cost
/// does not depend on how well it is trained), and the simulator.
fn setup() -> &'static (NeuralPosterior, Chempy) {
    static S: OnceLock<(NeuralPosterior, Chempy)> = OnceLock::new();
    S.get_or_init(|| {
        let sim = Chempy::load(&DataDir::resolve(None).unwrap(), YieldSet::Tng).unwrap();
        let mut o = NpeOptions {
            n_sims: 20_000,
            seed: 1,
            ..Default::default()
        };
        o.train.max_epochs = 30;
        let (post, _) = train_npe(&Prior::npe(), &sim, &o).unwrap();
        (post, sim)
    })
}

fn sbc_tarp_200(c: &mut Criterion) {
    let (post, sim) = setup();
    let mut g = c.benchmark_group("calibration");
    g.sample_size(10).measurement_time(Duration::from_secs(10));
    g.bench_function("sbc_tarp_200x1000", |b| {
        b.iter(|| {
            let opts = RunOptions {
                n: 200,
                samples: 1000,
                seed: 3,
                ..Default::default()
            };
            let cal = run(post, sim, &opts).unwrap();
            let s = sbc(&cal, &SbcOptions::default()).unwrap();
            let t = tarp(&cal, &TarpOptions::default()).unwrap();
            black_box((s.ks_pvalues, t.atc))
        })
    });
    g.finish();
}

fn sbc_coverage_10k(c: &mut Criterion) {
    let (post, sim) = setup();
    let mut g = c.benchmark_group("calibration");
    g.sample_size(10).measurement_time(Duration::from_secs(60));
    g.bench_function("sbc_coverage_10000x1000", |b| {
        b.iter(|| {
            let opts = RunOptions {
                n: 10_000,
                samples: 1000,
                seed: 4,
                tarp_sets: 0,
                ..Default::default()
            };
            let cal = run(post, sim, &opts).unwrap();
            let s = sbc(&cal, &SbcOptions::default()).unwrap();
            let cv = coverage(&cal, &CoverageOptions::default()).unwrap();
            black_box((s.ks_pvalues, cv.joint))
        })
    });
    g.finish();
}

criterion_group!(benches, sbc_tarp_200, sbc_coverage_10k);
criterion_main!(benches);
