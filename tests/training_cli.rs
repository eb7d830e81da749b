//! Training that ends cleanly, seen from the command line: SIGTERM (what Slurm sends at a
//! job's time limit) during `galchem run` leaves a checkpoint, and the same call resumes
//! from it to the same posterior as an uninterrupted run; a time budget and an observer
//! closure end training with a usable result.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

/// Trains a small posterior; prints `started` at epoch 5, then the termination, the epoch
/// resumed from, and a fingerprint of the trained weights (a sum of draws).
const SCRIPT: &str = r#"
let post = train_npe(chempy("tng"), #{
    n_sims: 3000, seed: 3, patience: 1000000, max_epochs: 60,
    on_epoch: |s| { if s.epoch == 5 { print("started"); } false }
});
let t = post.training();
print(`termination ${t.termination}`);
print(`resumed ${t.resumed_from_epoch}`);
print(`epochs ${t.epochs}`);
let s = post.sample([0.1, -0.3, 0.2, 0.15, -0.2, 0.3, 0.25, 0.1], 50, 1);
print(`fingerprint ${sum(s.col("alpha_imf"))}`);
"#;

fn galchem(script: &Path, cwd: &Path, cache: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_galchem"));
    c.current_dir(cwd)
        .env("GALCHEM_CACHE", cache)
        .args(["--quiet", "run"])
        .arg(script);
    c
}

fn line(out: &str, key: &str) -> String {
    out.lines()
        .find_map(|l| l.strip_prefix(key).map(|v| v.trim().to_string()))
        .unwrap_or_else(|| panic!("no '{key}' line in:\n{out}"))
}

fn checkpoints(cache: &Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(cache.join("checkpoints"))
        .map(|r| r.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default()
}

#[test]
fn sigterm_leaves_a_checkpoint_that_the_same_call_resumes_from() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("train.rhai");
    std::fs::write(&script, SCRIPT).unwrap();
    let cache = dir.path().join("cache");
    std::fs::create_dir_all(&cache).unwrap();

    // the reference: an uninterrupted run, with its own cache
    let fresh = dir.path().join("fresh-cache");
    std::fs::create_dir_all(&fresh).unwrap();
    let o = galchem(&script, dir.path(), &fresh).output().unwrap();
    let reference = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(line(&reference, "termination"), "completed");
    assert!(
        checkpoints(&fresh).is_empty(),
        "a completed run removes its checkpoint"
    );

    // SIGTERM once training is under way
    let mut child = galchem(&script, dir.path(), &cache)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    assert_eq!(first.trim(), "started");
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert_eq!(
        status.code(),
        Some(143),
        "exit status after SIGTERM; stderr:\n{err}"
    );
    assert!(err.contains("terminated (SIGTERM) after"), "{err}");
    assert!(
        err.contains("the same call resumes from the checkpoint"),
        "{err}"
    );
    let left = checkpoints(&cache);
    assert_eq!(left.len(), 1, "one checkpoint: {left:?}");

    // the same call resumes and ends with the uninterrupted run's weights
    let o = galchem(&script, dir.path(), &cache).output().unwrap();
    let resumed = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(line(&resumed, "termination"), "completed");
    let from: usize = line(&resumed, "resumed")
        .parse()
        .expect("resumed from an epoch");
    assert!(from >= 5, "resumed from epoch {from}");
    assert_eq!(line(&resumed, "epochs"), line(&reference, "epochs"));
    assert_eq!(
        line(&resumed, "fingerprint"),
        line(&reference, "fingerprint")
    );
    assert!(
        checkpoints(&cache).is_empty(),
        "the completed run removes its checkpoint"
    );
}

#[test]
fn a_time_budget_and_an_observer_end_training_with_a_usable_posterior() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("budget.rhai");
    std::fs::write(
        &script,
        r#"
let a = train_npe(chempy("tng"), #{ n_sims: 2000, seed: 4, max_epochs: 100000, patience: 100000,
                                    time_budget: 1.0, checkpoint: false });
print(`budget ${a.training().termination} ${a.training().epochs > 0}`);
let b = train_npe(chempy("tng"), #{ n_sims: 2000, seed: 4, checkpoint: false,
                                    on_epoch: |s| s.epoch >= 2 });
print(`observer ${b.training().termination} ${b.training().epochs}`);
print(b.sample([0.1, -0.3, 0.2, 0.15, -0.2, 0.3, 0.25, 0.1], 5, 1).len());
try {
    train_npe(chempy("tng"), #{ n_sims: 2000, checkpoint: false, on_epoch: |s| { throw "my rule failed"; } });
} catch (e) { print(`closure error: ${e}`); }
"#,
    )
    .unwrap();
    let cache = dir.path().join("cache");
    std::fs::create_dir_all(&cache).unwrap();
    let o = galchem(&script, dir.path(), &cache).output().unwrap();
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(o.status.success(), "{err}");
    assert!(out.contains("budget time_budget true"), "{out}");
    assert!(out.contains("observer observer_stopped 3"), "{out}");
    assert!(out.contains("\n5\n"), "{out}");
    assert!(out.contains("closure error: my rule failed"), "{out}");
    assert!(err.contains("stopped at the time budget after"), "{err}");
    assert!(
        checkpoints(&cache).is_empty(),
        "checkpoint: false writes none"
    );
}
