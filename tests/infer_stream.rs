//! Streamed catalog inference: the same numbers as inference in memory, shards that merge
//! into the single-process report and per-star file byte for byte (any shard count, any
//! thread count), and partials of other jobs refused.

mod stream_util;

use galchem::catalog::{Table, TableBatches};
use galchem::infer::stream::{infer_shard, infer_stream, merge};
use galchem::infer::{infer_catalog, InferOptions, ObservationTable};
use galchem::shard::{shard_path, ShardSpec};
use std::path::{Path, PathBuf};
use stream_util::*;

const N: usize = 10_000;

fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn streamed_inference_is_inference_in_memory() {
    let dir = tempfile::tempdir().unwrap();
    let cat = dir.path().join("cat.csv");
    write_catalog(&cat, N);
    let post = posterior();
    let stars = dir.path().join("stars.parquet");
    let out = dir.path().join("r.json");
    let r = infer_stream(&run(&post, &cat, settings(Some(&stars))), None, Some(&out)).unwrap();

    let t = Table::read(&cat).unwrap();
    let obs = ObservationTable::from_table(&t, &columns()).unwrap();
    let opts = InferOptions {
        samples: 20,
        seed: 5,
        ..Default::default()
    };
    let m = infer_catalog(&post, &obs.view(), &opts).unwrap();
    // the same sums in the same order: equal to the bit
    assert_eq!(r.combined, m.combined);
    assert_eq!((r.n_rows, r.n_skipped), (N, m.skipped.len()));
    // NaN values in the reasons: compared as text
    let reasons = |s: &[galchem::infer::catalog::observe::SkippedRow]| format!("{s:?}");
    assert_eq!(
        reasons(&r.skipped),
        reasons(&m.skipped[..m.skipped.len().min(100)])
    );
    assert!(r.n_skipped >= 11, "{}", r.n_skipped);
    assert!((r.mean_acceptance - m.mean_acceptance).abs() < 1e-12);
    for p in &r.running {
        assert_eq!(
            p,
            &m.running[p.n_stars - 1],
            "running point of {} stars",
            p.n_stars
        );
    }
    assert!(r.running.len() > 100 && r.running.last().unwrap().n_stars == r.combined.n_stars);
    // both global parameters found
    assert!(
        (r.combined.mean[0] - 0.3).abs() < 5.0 * r.combined.sd[0] + 0.01,
        "{:?}",
        r.combined
    );
    assert!(
        (r.combined.mean[1] - 0.2).abs() < 5.0 * r.combined.sd[1] + 0.01,
        "{:?}",
        r.combined
    );

    // the per-star file: every catalog row once, in order, with the stars' summaries
    let s = Table::read(&stars).unwrap();
    assert_eq!(s.len(), N);
    let rows = s.column_f64("row").unwrap();
    assert!(rows.iter().enumerate().all(|(i, &r)| r == i as f64));
    let g1 = s.column_f64("g1_mean").unwrap();
    let first_ok = m.stars[0].row;
    assert_eq!(g1[first_ok], m.stars[0].mean[0]);
    assert!(g1[0].is_nan(), "row 0 is skipped");
    assert_eq!(s.column_str("status").unwrap()[0], "skipped");
    assert!(s.column_str("reason").unwrap()[5].contains("x2"));
    assert_eq!(s.column_str("label").unwrap()[7], "s7");
    for c in [
        "fit_g1_mean",
        "fit_cov_g1_g2",
        "fit_g2_sd_n",
        "l_q975",
        "acceptance",
    ] {
        assert!(s.has_column(c), "{c}");
    }
    // the report has the numbers and the meta fields, no timings
    let rep: serde_json::Value = serde_json::from_slice(&read(&out)).unwrap();
    assert_eq!(rep["g1_mean"].as_f64(), Some(r.combined.mean[0]));
    assert_eq!(rep["n_skipped"].as_u64(), Some(r.n_skipped as u64));
    assert_eq!(rep["catalog"].as_str(), Some("test"));
    assert!(rep.get("seconds").is_none());

    // Parquet gives the numbers of CSV (NaN rows aside, the empty CSV cell is a value there)
    let pq = dir.path().join("cat.parquet");
    write_catalog(&pq, N);
    let rp = infer_stream(&run(&post, &pq, settings(None)), None, None).unwrap();
    assert_eq!(rp.n_skipped + 1, r.n_skipped);
    assert!(rp.stars_out.is_none());
}

/// Runs every shard of `count` (on `threads` threads) and merges them; the report's bytes
/// and the per-star file's.
fn sharded(
    post: &galchem::model::GaussianPosterior,
    cat: &Path,
    out: &Path,
    stars: &Path,
    count: usize,
    threads: usize,
) -> (Vec<u8>, Vec<u8>) {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    let mut partials: Vec<PathBuf> = Vec::new();
    for index in (0..count).rev() {
        let spec = ShardSpec { index, count };
        let p = shard_path(out, spec);
        let done = pool
            .install(|| infer_shard(&run(post, cat, settings(Some(stars))), spec, &p))
            .unwrap();
        assert_eq!(done.shard, spec);
        partials.push(p);
    }
    merge(&partials, out).unwrap();
    (read(out), read(stars))
}

#[test]
fn shards_merge_into_the_single_process_result_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let cat = dir.path().join("cat.parquet");
    write_catalog(&cat, N);
    let post = posterior();
    let (out, stars) = (dir.path().join("r.json"), dir.path().join("stars.parquet"));
    infer_stream(&run(&post, &cat, settings(Some(&stars))), None, Some(&out)).unwrap();
    let single = (read(&out), read(&stars));
    for (count, threads) in [(2, 2), (3, 1), (5, 2)] {
        std::fs::remove_file(&out).unwrap();
        std::fs::remove_file(&stars).unwrap();
        let merged = sharded(&post, &cat, &out, &stars, count, threads);
        assert!(
            merged.0 == single.0,
            "report of {count} shards differs:\n{}\n---\n{}",
            String::from_utf8_lossy(&merged.0),
            String::from_utf8_lossy(&single.0)
        );
        assert!(
            merged.1 == single.1,
            "per-star file of {count} shards differs"
        );
    }
    // a shard with no blocks (more shards than blocks) is fine
    let small = dir.path().join("small.parquet");
    write_catalog(&small, 5000);
    let o = dir.path().join("s.json");
    infer_stream(&run(&post, &small, settings(None)), None, Some(&o)).unwrap();
    let one = read(&o);
    let mut parts = Vec::new();
    for index in 0..3 {
        let spec = ShardSpec { index, count: 3 };
        let p = shard_path(&o, spec);
        infer_shard(&run(&post, &small, settings(None)), spec, &p).unwrap();
        parts.push(p);
    }
    merge(&parts, &o).unwrap();
    assert!(read(&o) == one);
}

#[test]
fn partials_of_other_jobs_missing_shards_and_bad_settings_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let cat = dir.path().join("cat.parquet");
    write_catalog(&cat, 5000);
    let post = posterior();
    let out = dir.path().join("r.json");
    let spec = |index| ShardSpec { index, count: 2 };
    let p0 = shard_path(&out, spec(0));
    infer_shard(&run(&post, &cat, settings(None)), spec(0), &p0).unwrap();
    let err = merge(std::slice::from_ref(&p0), &out)
        .unwrap_err()
        .to_string();
    assert!(err.contains("shards missing: 1 of 2"), "{err}");
    let mut other = settings(None);
    other.seed = 6;
    let p1 = dir.path().join("other.json");
    infer_shard(&run(&post, &cat, other), spec(1), &p1).unwrap();
    let err = merge(&[p0.clone(), p1], &out).unwrap_err().to_string();
    assert!(err.contains("seed is 6, not 5"), "{err}");
    let wide = post.clone().with_dispersion(2.0);
    let p2 = dir.path().join("wide.json");
    infer_shard(&run(&wide, &cat, settings(None)), spec(1), &p2).unwrap();
    let err = merge(&[p0.clone(), p2], &out).unwrap_err().to_string();
    assert!(err.contains("inputs or settings differ"), "{err}");
    assert!(!out.exists(), "nothing written by a refused merge");
    // n_stars cannot be sharded; it can stream in one process
    let mut n = settings(None);
    n.n_stars = Some(10);
    let err = infer_shard(&run(&post, &cat, n.clone()), spec(1), &p0)
        .unwrap_err()
        .to_string();
    assert!(err.contains("n_stars") && err.contains("shards"), "{err}");
    let r = infer_stream(&run(&post, &cat, n), None, None).unwrap();
    assert_eq!(r.combined.n_stars, 10);
    // a catalog without the columns
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "a,b\n1,2\n").unwrap();
    let err = infer_stream(&run(&post, &bad, settings(None)), None, None)
        .unwrap_err()
        .to_string();
    assert!(err.contains("x0") && err.contains("a, b"), "{err}");
    assert_eq!(TableBatches::open(&bad).unwrap().n_rows(), 1);
}
