//! Sharded calibration runs on the closed-form linear-Gaussian posterior: the merged
//! calibration file equals the single-process run's to the byte for 2 and 3 shards, 1 and 2
//! threads, both TARP conventions; partials of another seed or posterior are refused, a
//! missing shard is named; `galchem merge` merges calibration partials and scripts read the
//! result (`load_calibration`, `sbc`).

#[path = "cli_util/mod.rs"]
mod cli_util;

use galchem::calib::shard::{calibrate_shard, job_key, merge_calibration, CALIB_BLOCK};
use galchem::calib::{run, Calibration, Convention, RunOptions};
use galchem::model::{LinearGaussian, Marginal, ParamSpace, Posterior, Prior};
use galchem::shard::{shard_path, ShardSpec};
use std::path::{Path, PathBuf};

fn model() -> LinearGaussian {
    let space = ParamSpace::from_names(&["g1", "g2", "l"], &["g1", "g2"]).unwrap();
    let normal = |mean, std| Marginal::Normal { mean, std };
    let prior = Prior::new(
        space,
        vec![normal(0.5, 1.0), normal(-1.0, 2.0), normal(0.0, 0.5)],
    )
    .unwrap();
    let a = ndarray::array![
        [1.0, 0.5, 0.0],
        [0.0, 2.0, 1.0],
        [1.0, -1.0, 0.5],
        [0.3, 0.0, 2.0]
    ];
    LinearGaussian::new(
        prior,
        a,
        vec![0.1, 0.0, -0.2, 0.3],
        vec![0.3, 0.5, 0.4, 0.6],
    )
    .unwrap()
}

/// 70 simulations: 5 blocks of 16, the last one short.
fn opts(seed: u64) -> RunOptions {
    RunOptions {
        n: 70,
        samples: 40,
        seed,
        noise: Some(model().noise().clone()),
        tarp_sets: 5,
        ..RunOptions::default()
    }
}

/// The single-process run's file.
fn single(post: &dyn Posterior, o: &RunOptions, dir: &Path) -> Vec<u8> {
    let path = dir.join("single.json");
    run(post, &model(), o).unwrap().save(&path).unwrap();
    std::fs::read(path).unwrap()
}

/// Writes the `count` partials of `o` next to `dir/cal.json`.
fn shards(post: &dyn Posterior, o: &RunOptions, count: usize, dir: &Path) -> Vec<PathBuf> {
    (0..count)
        .map(|index| {
            let spec = ShardSpec { index, count };
            let p = shard_path(&dir.join("cal.json"), spec);
            calibrate_shard(post, &model(), o, spec, &p).unwrap();
            p
        })
        .collect()
}

fn in_pool<T: Send>(threads: usize, f: impl FnOnce() -> T + Send) -> T {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
        .install(f)
}

#[test]
fn merged_shards_are_the_single_run_to_the_byte() {
    let d = tempfile::tempdir().unwrap();
    let m = model();
    let post = m.posterior();
    for convention in [Convention::Default, Convention::Paper] {
        let o = RunOptions {
            convention,
            ..opts(3)
        };
        let expected = in_pool(2, || single(&post, &o, d.path()));
        for (count, threads) in [(2, 1), (3, 2), (2, 2), (7, 1)] {
            let parts = in_pool(threads, || shards(&post, &o, count, d.path()));
            let mut reversed = parts.clone();
            reversed.reverse();
            let out = d.path().join("merged.json");
            let merged = merge_calibration(&reversed, Some(&out)).unwrap();
            assert_eq!(merged.records.len(), 70);
            let got = std::fs::read(&out).unwrap();
            assert!(
                got == expected,
                "{convention}: {count} shards on {threads} threads differ from the single run"
            );
            assert_eq!(Calibration::load(&out).unwrap().records, merged.records);
        }
    }
    assert_eq!(70usize.div_ceil(CALIB_BLOCK), 5);
}

#[test]
fn other_jobs_are_refused_and_missing_shards_named() {
    let d = tempfile::tempdir().unwrap();
    let m = model();
    let post = m.posterior();
    let parts = shards(&post, &opts(3), 3, d.path());
    let err = merge_calibration(&parts[..2], None)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("shards missing") && err.contains("2/3"),
        "{err}"
    );

    let other = d.path().join("other");
    std::fs::create_dir(&other).unwrap();
    let seed = shards(&post, &opts(4), 3, &other);
    let err = merge_calibration(&[parts[0].clone(), parts[1].clone(), seed[2].clone()], None)
        .unwrap_err()
        .to_string();
    assert!(err.contains("its seed is 4, not 3"), "{err}");

    let wider = m.posterior().with_dispersion(1.5);
    assert_ne!(
        job_key(&post, &m, &opts(3)).unwrap(),
        job_key(&wider, &m, &opts(3)).unwrap()
    );
    let p = d.path().join("wider.json");
    calibrate_shard(&wider, &m, &opts(3), ShardSpec { index: 2, count: 3 }, &p).unwrap();
    let err = merge_calibration(&[parts[0].clone(), parts[1].clone(), p], None)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("another job") && err.contains("inputs or settings differ"),
        "{err}"
    );

    let ranged = RunOptions {
        range: Some(0..10),
        ..opts(3)
    };
    let err = calibrate_shard(
        &post,
        &m,
        &ranged,
        ShardSpec { index: 0, count: 2 },
        &d.path().join("r.json"),
    )
    .unwrap_err();
    assert!(err.to_string().contains("'range' or 'shard'"), "{err}");
    let err = Calibration::load(&parts[0]).unwrap_err().to_string();
    assert!(err.contains("galchem-calibration"), "{err}");
}

#[test]
fn galchem_merge_writes_the_calibration_and_scripts_read_it() {
    let d = tempfile::tempdir().unwrap();
    let m = model();
    let post = m.posterior();
    let expected = single(&post, &opts(3), d.path());
    let parts = shards(&post, &opts(3), 2, d.path());
    let names: Vec<String> = parts
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    let (ok, _, err) = cli_util::galchem(
        &["merge", &names[1], "-o", "merged.json"],
        d.path(),
        Some(d.path()),
    );
    assert!(
        !ok && err.contains("shards missing") && err.contains("0/2"),
        "{err}"
    );
    let (ok, out, err) = cli_util::galchem(
        &["merge", &names[1], &names[0], "-o", "merged.json"],
        d.path(),
        Some(d.path()),
    );
    assert!(ok, "{out}{err}");
    assert!(
        out.contains("calibration: 70 of 70 simulations usable"),
        "{out}"
    );
    assert!(std::fs::read(d.path().join("merged.json")).unwrap() == expected);
    let expr = r#"let r = load_calibration("merged.json"); `${r.n_usable} ${sbc(r).names.len()} ${coverage(r).levels.len() > 0}`"#;
    let (ok, out, err) = cli_util::galchem(&["eval", expr], d.path(), Some(d.path()));
    assert!(ok, "{out}{err}");
    assert!(out.contains("70 3 true"), "{out}");
}

#[test]
fn the_calibration_script_runs_as_shards_and_reports_from_the_merged_file() {
    let d = tempfile::tempdir().unwrap();
    let g = |args: &[&str]| {
        let (ok, out, err) = cli_util::galchem(args, d.path(), Some(d.path()));
        assert!(ok, "galchem {args:?} failed:\n{out}{err}");
        out
    };
    g(&[
        "eval",
        r#"train_npe(chempy("tng"), #{ n_sims: 1000, max_epochs: 2, seed: 3 }).save("p.json")"#,
    ]);
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scripts/paper/calibration.rhai"
    );
    let common = [
        "run",
        script,
        "--",
        "posterior=p.json",
        "n=40",
        "samples=30",
    ];
    let with = |extra: &[&'static str]| {
        common
            .iter()
            .copied()
            .chain(extra.iter().copied())
            .collect::<Vec<&str>>()
    };
    g(&with(&[
        "calibration=single.json",
        "out=single.report.json",
    ]));
    for shard in ["shard=0/3", "shard=1/3", "shard=2/3"] {
        assert!(g(&with(&["calibration=cal.json", shard])).contains("simulations"));
    }
    g(&[
        "merge",
        "cal.shard-2-of-3.json",
        "cal.shard-0-of-3.json",
        "cal.shard-1-of-3.json",
        "-o",
        "cal.json",
    ]);
    let read = |p: &str| std::fs::read(d.path().join(p)).unwrap();
    assert!(
        read("cal.json") == read("single.json"),
        "the merged calibration file differs from the single run's"
    );
    g(&with(&[
        "calibration=cal.json",
        "from_file=true",
        "out=merged.report.json",
    ]));
    let report = |p: &str| {
        let mut v: serde_json::Value = serde_json::from_slice(&read(p)).unwrap();
        v.as_object_mut().unwrap().remove("seconds");
        v
    };
    assert_eq!(report("merged.report.json"), report("single.report.json"));
}
