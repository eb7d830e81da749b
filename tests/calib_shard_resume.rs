//! A calibration shard stopped by SIGTERM keeps the steps done in its partial, which merge
//! refuses as incomplete; the same call resumes it into the single run's file, byte for byte.
//! (Its own test binary: the stop request is process-wide.)

use galchem::calib::shard::{calibrate_shard, merge_calibration};
use galchem::calib::{run, RunOptions};
use galchem::interrupt::{self, StopReason};
use galchem::model::{
    LinearGaussian, Marginal, ParamSpace, Prior, Simulated, Simulator, SimulatorError,
};
use galchem::shard::ShardSpec;
use galchem::{ErrorKind, Kind};
use ndarray::ArrayView2;
use std::sync::atomic::{AtomicUsize, Ordering};

fn model() -> LinearGaussian {
    let space = ParamSpace::from_names(&["g", "l"], &["g"]).unwrap();
    let normal = |mean, std| Marginal::Normal { mean, std };
    let prior = Prior::new(space, vec![normal(0.0, 1.0), normal(1.0, 0.5)]).unwrap();
    let a = ndarray::array![[1.0, 0.5], [0.0, 2.0], [1.0, -1.0]];
    LinearGaussian::new(prior, a, vec![0.0; 3], vec![0.3, 0.5, 0.4]).unwrap()
}

/// The test model, asking to stop (as SIGTERM does) at its `stop_at`-th call.
struct StopsAt {
    inner: LinearGaussian,
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
fn a_stopped_shard_resumes_into_the_single_run() {
    let d = tempfile::tempdir().unwrap();
    let m = model();
    let post = m.posterior();
    // 600 simulations = 38 blocks of 16; shard 0/2 has 19 blocks: steps of 16 + 3 blocks
    let o = RunOptions {
        n: 600,
        samples: 10,
        seed: 9,
        noise: Some(m.noise().clone()),
        tarp_sets: 3,
        ..RunOptions::default()
    };
    let single = d.path().join("single.json");
    run(&post, &m, &o).unwrap().save(&single).unwrap();
    let spec = |index| ShardSpec { index, count: 2 };
    let parts = [d.path().join("a.json"), d.path().join("b.json")];
    calibrate_shard(&post, &m, &o, spec(1), &parts[1]).unwrap();
    // the 2nd simulator call is the shard's 2nd step: it stops after the 1st
    let stopping = StopsAt {
        inner: model(),
        calls: AtomicUsize::new(0),
        stop_at: 2,
    };
    let err = calibrate_shard(&post, &stopping, &o, spec(0), &parts[0]).unwrap_err();
    interrupt::clear();
    assert_eq!(err.kind(), ErrorKind::Terminated, "{err}");
    let err = merge_calibration(&parts, None).unwrap_err().to_string();
    assert!(err.contains("stopped after 16 of its 19 blocks"), "{err}");
    let resumed = calibrate_shard(&post, &m, &o, spec(0), &parts[0]).unwrap();
    assert_eq!(resumed.resumed_at, Some(16));
    let again = calibrate_shard(&post, &m, &o, spec(0), &parts[0]).unwrap();
    assert_eq!(again.resumed_at, Some(19));
    let out = d.path().join("merged.json");
    merge_calibration(&parts, Some(&out)).unwrap();
    assert!(std::fs::read(out).unwrap() == std::fs::read(single).unwrap());
}
