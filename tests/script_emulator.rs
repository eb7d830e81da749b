//! The emulator from scripts: the paper script at a small size writes the report the issue
//! asks for; a saved model reloads and predicts; bad files give clear errors.

use std::path::Path;

mod cli_util;

/// `galchem ARGS` in `cwd`.
fn galchem(args: &[&str], cwd: &Path) -> (bool, String, String) {
    cli_util::galchem(args, cwd, None)
}

#[test]
fn paper_script_small_run_writes_model_and_report() {
    let dir = tempfile::tempdir().unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/paper/emulator.rhai");
    let (ok, out, err) = galchem(
        &[
            "run",
            script.to_str().unwrap(),
            "--",
            "n_train=3000",
            "n_val=500",
            "epochs=2",
            "out=emu.json",
            "report=rep.json",
            "figure=ape.svg",
        ],
        dir.path(),
    );
    assert!(ok, "{out}\n{err}");
    let rep: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("rep.json")).unwrap())
            .unwrap();
    for key in [
        "n_train",
        "epochs",
        "simulate_seconds",
        "train_seconds",
        "val_mse",
        "ape_median",
        "ape_p25",
        "ape_p75",
        "dex_median",
    ] {
        assert!(rep[key].is_number(), "report lacks {key}: {rep}");
    }
    assert_eq!(rep["n_train"].as_u64(), Some(3000));
    assert_eq!(rep["epochs"].as_u64(), Some(2));
    let (p25, p50, p75) = (
        rep["ape_p25"].as_f64().unwrap(),
        rep["ape_median"].as_f64().unwrap(),
        rep["ape_p75"].as_f64().unwrap(),
    );
    assert!(p25 <= p50 && p50 <= p75);
    assert!(dir.path().join("ape.svg").is_file());

    // The saved model predicts the same as the library on the same inputs.
    let (ok, out, err) = galchem(
        &["eval", "let t = table(#{ alpha_imf: [-2.3], log10_n_ia: [-2.89], log10_sfe: [-0.3], log10_sfr_peak: [0.55], x_out: [0.5], birth_time: [8.0] }); load_emulator(\"emu.json\").predict(t).col(\"Fe_H\")[0]"],
        dir.path(),
    );
    assert!(ok, "{err}");
    let emu = galchem::nn::Emulator::load(dir.path().join("emu.json")).unwrap();
    let y = emu
        .predict(ndarray::array![[-2.3, -2.89, -0.3, 0.55, 0.5, 8.0]].view())
        .unwrap();
    assert_eq!(out.trim().parse::<f64>().unwrap(), y[[0, 1]]);
}

#[test]
fn corrupt_or_foreign_model_files_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad.json"), "{ not json").unwrap();
    std::fs::write(
        dir.path().join("foreign.json"),
        "{\"format\": \"something-else\", \"version\": 1}",
    )
    .unwrap();
    for (file, needle) in [
        ("bad.json", "bad.json"),
        ("foreign.json", "foreign.json"),
        ("missing.json", "missing.json"),
    ] {
        let (ok, _, err) = galchem(&["eval", &format!("load_emulator(\"{file}\")")], dir.path());
        assert!(!ok);
        assert!(err.contains(needle), "{err}");
    }
    let (ok, _, err) = galchem(
        &["eval", "train_emulator(table(#{ a: [1.0] }))"],
        dir.path(),
    );
    assert!(!ok && err.contains("alpha_imf"), "{err}");
    let (ok, _, err) = galchem(
        &[
            "eval",
            "train_emulator(table(#{ a: [1.0] }), #{ epoch: 3 })",
        ],
        dir.path(),
    );
    assert!(
        !ok && err.contains("unknown option") && err.contains("epoch"),
        "{err}"
    );
}
