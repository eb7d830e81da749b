//! Running the `galchem` binary from integration tests.

use std::path::Path;
use std::process::Command;

/// Runs `galchem --quiet ARGS` in `cwd` with `GALCHEM_CACHE` set to `cache` (when given);
/// returns (success, stdout, stderr).
pub fn galchem(args: &[&str], cwd: &Path, cache: Option<&Path>) -> (bool, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_galchem"));
    cmd.current_dir(cwd).arg("--quiet").args(args);
    if let Some(c) = cache {
        cmd.env("GALCHEM_CACHE", c);
    }
    let o = cmd.output().expect("the galchem binary runs");
    (
        o.status.success(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}
