//! Sharded inference from the command line: `scripts/infer.rhai` with `shard=i/n`, the
//! scripts `galchem slurm` writes (run here by bash with Slurm's array variables, the way an
//! array task runs them), and `galchem merge` — merged results equal to the byte to the single
//! process run. `.ci/run` runs the same scripts on a real one-node Slurm.

use std::path::{Path, PathBuf};
use std::process::Command;

mod cli_util;

fn galchem(args: &[&str], d: &Path) -> (String, String) {
    let (ok, out, err) = cli_util::galchem(args, d, Some(d));
    assert!(ok, "galchem {args:?} failed:\n{out}{err}");
    (out, err)
}

fn script() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scripts/infer.rhai")
        .display()
        .to_string()
}

/// A tiny posterior and a 9 000-row catalog (three blocks of 4096 rows) in `d`.
fn setup(d: &Path) {
    galchem(
        &["eval", "train_npe(chempy(\"tng\"), #{ n_sims: 2000, max_epochs: 3, seed: 3 }).save(\"p.json\")"],
        d,
    );
    let src = galchem::data::DataDir::resolve(None)
        .unwrap()
        .join("catalogs/mock_chempy_tng.csv");
    let text = std::fs::read_to_string(src).unwrap();
    let mut lines = text.lines();
    let mut csv = format!("{}\n", lines.next().unwrap());
    let rows: Vec<&str> = lines.collect();
    for i in 0..9000 {
        csv.push_str(rows[i % rows.len()]);
        csv.push('\n');
    }
    std::fs::write(d.join("big.csv"), csv).unwrap();
}

fn args<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut a = vec![
        "posterior=p.json",
        "catalog=big.csv",
        "samples=40",
        "seed=7",
        "out=r.json",
        "stars_out=stars.parquet",
    ];
    a.extend_from_slice(extra);
    a
}

/// The single-process run's report and per-star file, moved aside.
fn single(d: &Path) -> (Vec<u8>, Vec<u8>) {
    let s = script();
    let mut all = vec!["run", s.as_str(), "--"];
    all.extend(args(&[]));
    galchem(&all, d);
    let r = (
        std::fs::read(d.join("r.json")).unwrap(),
        std::fs::read(d.join("stars.parquet")).unwrap(),
    );
    std::fs::remove_file(d.join("r.json")).unwrap();
    std::fs::remove_file(d.join("stars.parquet")).unwrap();
    r
}

fn partials(d: &Path, n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            d.join(format!("r.shard-{i}-of-{n}.json"))
                .display()
                .to_string()
        })
        .collect()
}

#[test]
fn shards_of_the_inference_script_merge_into_the_single_run() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    setup(d);
    let (report, stars) = single(d);
    let s = script();
    for i in 0..2 {
        let shard = format!("shard={i}/2");
        let mut all = vec!["run", s.as_str(), "--"];
        all.extend(args(&[&shard]));
        let (out, _) = galchem(&all, d);
        assert!(out.contains(&format!("shard {i}/2: blocks")), "{out}");
    }
    let p = partials(d, 2);
    // a missing shard is named
    let (ok, _, err) = cli_util::galchem(&["merge", &p[0], "-o", "r.json"], d, Some(d));
    assert!(!ok && err.contains("shard 1/2"), "{err}");
    let (out, _) = galchem(&["merge", &p[0], &p[1], "-o", "r.json"], d);
    assert!(out.contains("stars of 9000 rows"), "{out}");
    same_report(&d.join("r.json"), &report);
    assert_eq!(
        std::fs::read(d.join("stars.parquet")).unwrap(),
        stars,
        "merged per-star file"
    );
}

/// The report at `path` equals `expected`, byte for byte (the first differing line shown).
fn same_report(path: &Path, expected: &[u8]) {
    let got = std::fs::read(path).unwrap();
    if got != expected {
        let (g, e) = (
            String::from_utf8_lossy(&got),
            String::from_utf8_lossy(expected),
        );
        let diff = g
            .lines()
            .zip(e.lines())
            .enumerate()
            .find(|(_, (a, b))| a != b);
        panic!(
            "{} differs from the single run at {diff:?} ({} vs {} bytes)",
            path.display(),
            got.len(),
            expected.len()
        );
    }
}

/// Runs `script` with bash in `d`, with the environment of Slurm array task `task` of `n`.
fn bash(script: &Path, d: &Path, task: Option<(usize, usize)>) {
    let mut cmd = Command::new("bash");
    cmd.arg(script).current_dir(d).env("GALCHEM_CACHE", d);
    if let Some((i, n)) = task {
        cmd.env("SLURM_ARRAY_TASK_ID", i.to_string())
            .env("SLURM_ARRAY_TASK_COUNT", n.to_string())
            .env("SLURM_ARRAY_TASK_MIN", "0");
    }
    let o = cmd.output().unwrap();
    assert!(
        o.status.success(),
        "{} {task:?}:\n{}{}",
        script.display(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn the_scripts_galchem_slurm_writes_run_the_shards_and_the_merge() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    setup(d);
    let (report, stars) = single(d);
    let s = script();
    let mut all = vec![
        "slurm",
        s.as_str(),
        "--array-size",
        "3",
        "--time",
        "00:10:00",
        "--sbatch=--account=test",
        "--",
    ];
    all.extend(args(&[]));
    let (out, _) = galchem(&all, d);
    assert!(
        out.contains("array.sbatch") && out.contains("merge.sbatch"),
        "{out}"
    );
    let array: PathBuf = d.join("slurm/array.sbatch");
    let text = std::fs::read_to_string(&array).unwrap();
    for line in [
        "#SBATCH --array=0-2",
        "#SBATCH --time=00:10:00",
        "#SBATCH --signal=B:TERM@300",
        "#SBATCH --account=test",
    ] {
        assert!(text.lines().any(|l| l == line), "no {line} in\n{text}");
    }
    for i in [2, 0, 1] {
        bash(&array, d, Some((i, 3)));
    }
    bash(&d.join("slurm/merge.sbatch"), d, None);
    same_report(&d.join("r.json"), &report);
    assert_eq!(
        std::fs::read(d.join("stars.parquet")).unwrap(),
        stars,
        "merged per-star file"
    );
    // shard= is the scheduler's business
    let (ok, _, err) = cli_util::galchem(&["slurm", &s, "--", "shard=0/2"], d, Some(d));
    assert!(!ok && err.contains("drop shard="), "{err}");
}
