//! A streamed inference stopped by SIGTERM keeps the blocks done in its checkpoint, and the
//! same call resumes from them into the uninterrupted result, report and per-star file byte
//! for byte. (Its own test binary: the stop request is process-wide.)

mod stream_util;

use galchem::infer::stream::{infer_shard, infer_stream, merge};
use galchem::interrupt::{self, StopReason};
use galchem::model::{DrawsResult, ModelError, NoiseModel, ParamSpace, Posterior, Prior};
use galchem::shard::{shard_path, ShardSpec};
use galchem::stats::Draws;
use galchem::{ErrorKind, Kind};
use ndarray::ArrayView2;
use std::sync::atomic::{AtomicUsize, Ordering};
use stream_util::*;

/// The analytic posterior, asking to stop (as SIGTERM does) when its `stop_at`-th batch of
/// stars is sampled.
struct StopsAt {
    inner: galchem::model::GaussianPosterior,
    calls: AtomicUsize,
    stop_at: usize,
}

impl Posterior for StopsAt {
    fn describe(&self) -> String {
        self.inner.describe()
    }
    fn space(&self) -> &ParamSpace {
        self.inner.space()
    }
    fn observables(&self) -> &[String] {
        self.inner.observables()
    }
    fn prior(&self) -> &Prior {
        self.inner.prior()
    }
    fn noise(&self) -> Option<&NoiseModel> {
        self.inner.noise()
    }
    fn sample(&self, x: &[f64], n: usize, seed: u64) -> Result<Draws, ModelError> {
        self.inner.sample(x, n, seed)
    }
    fn sample_many(
        &self,
        xs: ArrayView2<f64>,
        ids: &[u64],
        n: usize,
        seed: u64,
    ) -> Result<Vec<DrawsResult>, ModelError> {
        if self.calls.fetch_add(1, Ordering::SeqCst) + 1 == self.stop_at {
            interrupt::request(StopReason::Terminate);
        }
        self.inner.sample_many(xs, ids, n, seed)
    }
}

#[test]
fn a_terminated_run_resumes_into_the_uninterrupted_result() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cat = d.join("cat.parquet");
    write_catalog(&cat, 14_000); // 4 blocks
    let (out, stars, ck) = (
        d.join("r.json"),
        d.join("stars.parquet"),
        d.join("r.checkpoint"),
    );
    let plain = posterior();
    infer_stream(
        &run(&plain, &cat, settings(Some(&stars))),
        Some(&ck),
        Some(&out),
    )
    .unwrap();
    let (want_out, want_stars) = (std::fs::read(&out).unwrap(), std::fs::read(&stars).unwrap());
    std::fs::remove_file(&out).unwrap();
    std::fs::remove_file(&stars).unwrap();

    let stopping = StopsAt {
        inner: posterior(),
        calls: AtomicUsize::new(0),
        stop_at: 3,
    };
    let err = infer_stream(
        &run(&stopping, &cat, settings(Some(&stars))),
        Some(&ck),
        Some(&out),
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Terminated, "{err}");
    interrupt::clear();
    assert!(ck.exists() && !out.exists() && !stars.exists());
    assert!(galchem::infer::stream::stars_file::incomplete_path(&stars).exists());
    let again = StopsAt {
        inner: posterior(),
        calls: AtomicUsize::new(0),
        stop_at: 0,
    };
    infer_stream(
        &run(&again, &cat, settings(Some(&stars))),
        Some(&ck),
        Some(&out),
    )
    .unwrap();
    assert_eq!(
        again.calls.load(Ordering::SeqCst),
        2,
        "only the two blocks not done are sampled"
    );
    assert!(std::fs::read(&out).unwrap() == want_out);
    assert!(std::fs::read(&stars).unwrap() == want_stars);
    assert!(!ck.exists(), "the checkpoint is removed at the end");

    // a shard stopped at its time limit cannot be merged; run again, it resumes
    std::fs::remove_file(&out).unwrap();
    std::fs::remove_file(&stars).unwrap();
    let spec = |index| ShardSpec { index, count: 2 };
    let parts: Vec<_> = (0..2).map(|i| shard_path(&out, spec(i))).collect();
    infer_shard(
        &run(&plain, &cat, settings(Some(&stars))),
        spec(0),
        &parts[0],
    )
    .unwrap();
    let stopping = StopsAt {
        inner: posterior(),
        calls: AtomicUsize::new(0),
        stop_at: 2,
    };
    let err = infer_shard(
        &run(&stopping, &cat, settings(Some(&stars))),
        spec(1),
        &parts[1],
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Terminated);
    interrupt::clear();
    let err = merge(&parts, &out).unwrap_err().to_string();
    assert!(
        err.contains("shard 1/2 stopped after 1 of its 2 blocks"),
        "{err}"
    );
    let done = infer_shard(
        &run(&plain, &cat, settings(Some(&stars))),
        spec(1),
        &parts[1],
    )
    .unwrap();
    assert_eq!(done.resumed_at, Some(3));
    merge(&parts, &out).unwrap();
    assert!(std::fs::read(&out).unwrap() == want_out);
    assert!(std::fs::read(&stars).unwrap() == want_stars);
    // a finished shard called again returns at once
    let done = infer_shard(
        &run(&plain, &cat, settings(Some(&stars))),
        spec(1),
        &parts[1],
    )
    .unwrap();
    assert_eq!(done.resumed_at, Some(4));
}
