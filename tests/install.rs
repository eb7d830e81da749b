//! galchem anywhere: a copy of the binary, far from the repository, with an empty
//! environment (no `GALCHEM_DATA`, a fresh home and cache), runs the quickstart from another
//! directory. The binary has no built-in path to the repository or to `../shared`: its data
//! come from the copy compiled into it, extracted into the cache directory.

use std::path::Path;
use std::process::Command;

/// A copy of the built binary in `dir/bin`, as `cargo install --root dir` would leave it.
fn installed(dir: &Path) -> std::path::PathBuf {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let target = bin.join("galchem");
    std::fs::copy(env!("CARGO_BIN_EXE_galchem"), &target).unwrap();
    target
}

/// Runs `exe ARGS` in `cwd` with nothing of the environment but `PATH` and `HOME=home`.
fn run(exe: &Path, args: &[&str], cwd: &Path, home: &Path) -> (bool, String) {
    let spawn = || {
        Command::new(exe)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", home)
            .env("XDG_CACHE_HOME", home.join(".cache"))
            .current_dir(cwd)
            .arg("--quiet")
            .args(args)
            .output()
    };
    // a freshly copied binary can be "busy" for a moment: another test thread that forked
    // while the copy was open holds its write handle until it execs (ETXTBSY)
    let mut o = spawn();
    for _ in 0..50 {
        match &o {
            Err(e) if e.kind() == std::io::ErrorKind::ExecutableFileBusy => {
                std::thread::sleep(std::time::Duration::from_millis(100));
                o = spawn();
            }
            _ => break,
        }
    }
    let o = o.unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    (o.status.success(), text)
}

#[test]
fn an_installed_binary_runs_the_quickstart_from_any_directory() {
    let root = tempfile::tempdir().unwrap();
    let exe = installed(&root.path().join("prefix"));
    let home = root.path().join("home");
    let work = root.path().join("elsewhere/work");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::create_dir_all(&work).unwrap();
    let script = work.join("quickstart.rhai");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/quickstart.rhai"),
        &script,
    )
    .unwrap();

    // The data directory is the extracted embedded copy, under the fresh cache.
    let (ok, out) = run(&exe, &["eval", "data_dir()"], &work, &home);
    assert!(ok, "{out}");
    let cache = home.join(".cache").join("galchem");
    assert!(
        Path::new(out.trim()).starts_with(&cache),
        "{out} is not under {}",
        cache.display()
    );
    assert!(Path::new(out.trim())
        .join("chempy-input/input/yields/TNG/SNII.csv")
        .is_file());

    let args = ["run", "quickstart.rhai", "--", "n_sims=1500", "n_stars=20"];
    let (ok, out) = run(&exe, &args, &work, &home);
    assert!(ok, "{out}");
    assert!(
        out.contains("alpha_IMF") && out.contains("log10 N_Ia"),
        "{out}"
    );
    assert!(work.join("quickstart_posterior.png").is_file());
}

#[test]
fn the_data_directory_can_still_be_overridden() {
    let root = tempfile::tempdir().unwrap();
    let exe = installed(root.path());
    let (ok, out) = run(
        &exe,
        &["--data", "/no/such/galchem/data", "eval", "data_dir()"],
        root.path(),
        root.path(),
    );
    assert!(!ok && out.contains("/no/such/galchem/data"), "{out}");
    // A --data directory without the catalogs still finds the bundled ones.
    let mine = root.path().join("mine");
    std::fs::create_dir_all(&mine).unwrap();
    let (ok, out) = run(
        &exe,
        &[
            "--data",
            mine.to_str().unwrap(),
            "eval",
            "read_table(data_path(\"catalogs/tutorial_mock.csv\")).len()",
        ],
        root.path(),
        root.path(),
    );
    assert!(ok && out.trim() == "1054", "{out}");
}
