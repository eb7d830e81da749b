//! Every example script and shareable script runs to completion (in a scratch directory, so
//! their default output files land there).

use std::path::{Path, PathBuf};
use std::process::Command;

fn scripts_in(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|r| {
            r.filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "rhai"))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn run(script: &Path) {
    let scratch = tempfile::tempdir().unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_galchem"))
        .current_dir(scratch.path())
        .args(["--quiet", "run"])
        .arg(script)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{} failed:\n{}\n{}",
        script.display(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn every_example_runs() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let all = scripts_in(&dir);
    assert!(all.len() >= 4, "examples/ holds too few scripts: {all:?}");
    for s in all {
        run(&s);
    }
}
