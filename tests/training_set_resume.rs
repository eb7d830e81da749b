//! A training-set shard stopped by SIGTERM keeps the blocks done, and the same call resumes
//! into the file an uninterrupted run writes. (Its own test binary: the stop request is
//! process-wide.)

mod stream_util;

use galchem::infer::training_set::{merge_set, simulate_set};
use galchem::interrupt::{self, StopReason};
use galchem::model::{ParamSpace, Simulated, Simulator, SimulatorError};
use galchem::shard::{shard_path, ShardSpec};
use galchem::{ErrorKind, Kind};
use ndarray::ArrayView2;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

const N: usize = 10_000; // three blocks of 4096

fn spec(i: usize, n: usize) -> ShardSpec {
    ShardSpec { index: i, count: n }
}

fn partial(out: &Path, s: ShardSpec) -> PathBuf {
    shard_path(&out.with_extension("json"), s)
}

/// The test model, asking to stop (as SIGTERM does) at its `stop_at`-th batch.
struct StopsAt {
    inner: galchem::model::LinearGaussian,
    calls: AtomicUsize,
    stop_at: usize,
}

impl Simulator for StopsAt {
    fn describe(&self) -> String {
        self.inner.describe()
    }
    fn space(&self) -> &ParamSpace {
        self.inner.space()
    }
    fn output_names(&self) -> &[String] {
        self.inner.output_names()
    }
    fn simulate(&self, theta: ArrayView2<f64>) -> Result<Simulated, SimulatorError> {
        if self.calls.fetch_add(1, Ordering::SeqCst) + 1 == self.stop_at {
            interrupt::request(StopReason::Terminate);
        }
        self.inner.simulate(theta)
    }
}

#[test]
fn a_stopped_shard_resumes_into_the_same_file() {
    let dir = tempfile::tempdir().unwrap();
    let m = stream_util::model();
    let single = dir.path().join("single.parquet");
    simulate_set(&m, m.prior(), N, 5, spec(0, 1), &single).unwrap();
    let out = dir.path().join("r.parquet");
    simulate_set(&m, m.prior(), N, 5, spec(0, 2), &out).unwrap();
    // shard 1/2 has blocks 1 and 2; its 1st call makes the schema, the 2nd is block 1: it
    // stops before block 2
    let stopping = StopsAt {
        inner: stream_util::model(),
        calls: AtomicUsize::new(0),
        stop_at: 2,
    };
    let err = simulate_set(&stopping, m.prior(), N, 5, spec(1, 2), &out).unwrap_err();
    interrupt::clear();
    assert_eq!(err.kind(), ErrorKind::Terminated, "{err}");
    let p = partial(&out, spec(0, 2));
    let err = merge_set(&[p.clone(), partial(&out, spec(1, 2))], &out)
        .unwrap_err()
        .to_string();
    assert!(err.contains("stopped after 1 of its 2 blocks"), "{err}");
    let resumed = simulate_set(&m, m.prior(), N, 5, spec(1, 2), &out).unwrap();
    assert_eq!(resumed.resumed_at, Some(2));
    merge_set(&[p, partial(&out, spec(1, 2))], &out).unwrap();
    assert_eq!(
        std::fs::read(&out).unwrap(),
        std::fs::read(&single).unwrap()
    );
}
