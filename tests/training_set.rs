//! Training sets at scale: an n-run set simulated as shards (any count, any thread count)
//! merges into the single-process Parquet file byte for byte; its rows are the prior's draws
//! and their runs; a stopped shard resumes into the same file; other sets are refused.
//! (The stop and resume test is in training_set_resume.rs: the stop request is process-wide.)

mod stream_util;

use galchem::catalog::Table;
use galchem::infer::training_set::{merge_set, simulate_set};
use galchem::model::Simulator;
use galchem::shard::{shard_path, ShardSpec};
use std::path::{Path, PathBuf};

const N: usize = 10_000; // three blocks of 4096

fn spec(i: usize, n: usize) -> ShardSpec {
    ShardSpec { index: i, count: n }
}

fn partial(out: &Path, s: ShardSpec) -> PathBuf {
    shard_path(&out.with_extension("json"), s)
}

fn sharded(sim: &dyn Simulator, dir: &Path, n: usize, seed: u64) -> Vec<u8> {
    let out = dir.join(format!("runs{n}.parquet"));
    let mut parts = Vec::new();
    for i in (0..n).rev() {
        let s = simulate_set(sim, stream_util::model().prior(), N, seed, spec(i, n), &out).unwrap();
        assert_eq!(s.partial, partial(&out, spec(i, n)));
        parts.push(s.partial);
    }
    let m = merge_set(&parts, &out).unwrap();
    assert_eq!((m.rows, m.n_ok), (N, N));
    std::fs::read(&out).unwrap()
}

#[test]
fn shards_merge_into_the_single_process_set() {
    let dir = tempfile::tempdir().unwrap();
    let m = stream_util::model();
    let single = dir.path().join("single.parquet");
    let s = simulate_set(&m, m.prior(), N, 9, spec(0, 1), &single).unwrap();
    assert_eq!(
        (s.part.rows, s.part.n_blocks, s.part.complete),
        (N, 3, true)
    );
    let bytes = std::fs::read(&single).unwrap();
    // the rows are the prior's draws (as prior.sample(n, seed)) and their runs
    let t = Table::read(&single).unwrap();
    let theta = t.matrix(&["g1", "g2", "l"]).unwrap();
    assert_eq!(theta, m.prior().sample(N, 9));
    let x = m.simulate(theta.view()).unwrap().x;
    let names: Vec<&str> = m.output_names().iter().map(String::as_str).collect();
    assert_eq!(t.matrix(&names).unwrap(), x);
    for n in [2, 3, 5] {
        assert_eq!(sharded(&m, dir.path(), n, 9), bytes, "{n} shards");
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    assert_eq!(
        pool.install(|| sharded(&m, dir.path(), 2, 9)),
        bytes,
        "one thread"
    );
    // a finished shard returns at once
    let again = simulate_set(&m, m.prior(), N, 9, spec(0, 1), &single).unwrap();
    assert_eq!(again.part.rows, N);
}

#[test]
fn shards_of_other_sets_and_missing_shards_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let m = stream_util::model();
    let (a, b) = (dir.path().join("a.parquet"), dir.path().join("b.parquet"));
    let pa = simulate_set(&m, m.prior(), N, 1, spec(0, 2), &a)
        .unwrap()
        .partial;
    let pb = simulate_set(&m, m.prior(), N, 2, spec(1, 2), &b)
        .unwrap()
        .partial;
    let err = merge_set(&[pa.clone(), pb], &dir.path().join("m.parquet"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("another job") || err.contains("seed"), "{err}");
    let err = merge_set(&[pa], &dir.path().join("m.parquet"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("1/2"), "{err}");
    assert!(!dir.path().join("m.parquet").exists());
}
