//! The simulator from scripts: `chempy(set).simulate(read_csv(file))` written with `write_csv`
//! matches the original CHEMPY value by value and status by status.

use std::process::Command;

fn reference(set: &str) -> String {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(format!("tests/data/reference/chempy_{set}.csv"))
        .display()
        .to_string()
}

/// Runs `script` with `galchem eval` (it writes nothing).
fn run(script: &str) -> (bool, String) {
    run_in(&std::env::temp_dir(), script)
}

/// Runs `script` with `galchem eval` in the temporary directory `cwd` (where scripts may write).
fn run_in(cwd: &std::path::Path, script: &str) -> (bool, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_galchem"))
        .current_dir(cwd)
        .args(["--quiet", "eval", script])
        .output()
        .unwrap();
    (
        o.status.success(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn simulate_on_reference_tables_matches_chempy() {
    let dir = tempfile::tempdir().unwrap();
    for (set, name) in [("tng", "tng"), ("alt", "alternative")] {
        let out = dir.path().join(format!("{set}.csv"));
        let (ok, err) = run_in(
            dir.path(),
            &format!(
                r#"let t = read_csv("{}"); write_csv(chempy("{name}").simulate(t.select(["alpha_imf","log10_n_ia","log10_sfe","log10_sfr_peak","x_out","birth_time"])), "{}");"#,
                reference(set),
                out.display()
            ),
        );
        assert!(ok, "{err}");
        let ours = galchem::catalog::Table::read_csv(&out).unwrap();
        let theirs = galchem::catalog::Table::read_csv(reference(set)).unwrap();
        assert_eq!(
            ours.column_str("status").unwrap(),
            theirs.column_str("status").unwrap(),
            "{set}: statuses differ"
        );
        let names = [
            ("C_Fe", "C"),
            ("Fe_H", "Fe"),
            ("He_Fe", "He"),
            ("Mg_Fe", "Mg"),
            ("N_Fe", "N"),
            ("Ne_Fe", "Ne"),
            ("O_Fe", "O"),
            ("Si_Fe", "Si"),
        ];
        let status = theirs.column_str("status").unwrap();
        for (ours_name, ref_name) in names {
            let a = ours.column_f64(ours_name).unwrap();
            let b = theirs.column_f64(ref_name).unwrap();
            for (i, (x, y)) in a.iter().zip(&b).enumerate() {
                if status[i] == "ok" {
                    assert!(
                        (x - y).abs() < 1e-9,
                        "{set} row {i} {ours_name}: {x} vs {y}"
                    );
                } else {
                    assert!(x.is_nan(), "{set} row {i}: failed run must be NaN");
                }
            }
        }
    }
}

#[test]
fn bad_parameters_give_clear_errors() {
    let (ok, err) = run(
        r#"chempy("tng").simulate_one(#{ alpha_imf: -2.3, log10_n_ia: -2.89, log10_sfe: -0.3, log10_sfr_peak: 0.55, x_out: 1.5, birth_time: 8.0 })"#,
    );
    assert!(!ok);
    assert!(
        err.contains("x_out") && err.contains("invalid:x_out"),
        "{err}"
    );
    let (ok, err) = run(r#"chempy("tng").simulate_one(#{ alpha_imf: -2.3 })"#);
    assert!(
        !ok && err.contains("missing parameter 'log10_n_ia'"),
        "{err}"
    );
    let (ok, err) = run(r#"chempy("tng").simulate(table(#{ alpha_imf: [1.0] }))"#);
    assert!(
        !ok && err.contains("log10_n_ia") && err.contains("alpha_imf"),
        "{err}"
    );
    let (ok, err) = run(r#"chempy("nomoto")"#);
    assert!(!ok && err.contains("nomoto"), "{err}");
    let (ok, err) = run(
        r#"chempy("tng").simulate(table(#{ alpha_imf: [-2.3], log10_n_ia: [-2.89], log10_sfe: [-0.3], log10_sfr_peak: [0.55], x_out: [0.5], birth_time: [0.0] })).text("status")"#,
    );
    assert!(ok, "{err}");
}

#[test]
fn prior_draws_and_simulations_do_not_depend_on_the_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let mut outputs = vec![];
    for threads in ["1", "2"] {
        let out = dir.path().join(format!("runs{threads}.csv"));
        let o = Command::new(env!("CARGO_BIN_EXE_galchem"))
            .current_dir(dir.path())
            .args(["--quiet", "--threads", threads, "eval"])
            .arg(format!(r#"write_csv(chempy("tng").simulate(paper_prior(#{{ box: 5 }}).sample(5000, 42)), "{}")"#, out.display()))
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        outputs.push(std::fs::read(&out).unwrap());
    }
    assert_eq!(
        outputs[0], outputs[1],
        "results differ between 1 and 2 threads"
    );
    let t = galchem::catalog::Table::read_csv(dir.path().join("runs1.csv")).unwrap();
    assert_eq!(t.len(), 5000);
    let x_out = t.column_f64("x_out").unwrap();
    assert!(
        x_out.iter().all(|x| (0.0..=1.0).contains(x)),
        "the ±5σ box clips x_out to [0, 1]"
    );
}

#[test]
fn prior_options_are_validated() {
    let (ok, err) = run(r#"paper_prior(#{ birth: [5.0, 2.0] })"#);
    assert!(!ok && err.contains("birth"), "{err}");
    let (ok, err) = run(r#"paper_prior(#{ boxx: 5 })"#);
    assert!(
        !ok && err.contains("unknown option") && err.contains("boxx"),
        "{err}"
    );
    let (ok, err) = run(r#"paper_prior().sample(-1, 1)"#);
    assert!(!ok && err.contains("n >= 0"), "{err}");
}

#[test]
fn model_settings_from_scripts() {
    // The preset and an explicit value give the same simulator; settings() reports it.
    let (ok, err) = run(r#"let a = chempy("tng", #{ preset: "chempy_multi_2019" });
           let b = chempy("tng", #{ sfr_factor_for_cosmic_accretion: 1e-6 });
           let r = chempy("tng");
           if a.settings().sfr_factor_for_cosmic_accretion != 1e-6 { throw "preset"; }
           if r.settings().sfr_factor_for_cosmic_accretion != 1.0 { throw "reference"; }
           if !`${a}`.contains("sfr_factor_for_cosmic_accretion=0.000001") { throw `${a}`; }
           let p = #{ alpha_imf: -2.3, log10_n_ia: -2.89, log10_sfe: -0.3, log10_sfr_peak: 0.55, x_out: 0.5, birth_time: 8.0 };
           let xa = a.simulate_one(p); let xb = b.simulate_one(p); let xr = r.simulate_one(p);
           if xa.O_Fe != xb.O_Fe { throw "preset and value differ"; }
           if (xa.Fe_H - xr.Fe_H).abs() < 1e-3 { throw "settings ignored"; }
           // The cached reference simulator is untouched by the others.
           if chempy("tng").settings().sfr_factor_for_cosmic_accretion != 1.0 { throw "cache"; }"#);
    assert!(ok, "{err}");
    for (script, needle) in [
        (
            r#"chempy("tng", #{ sfr_factor_for_cosmic_accretion: -1.0 })"#,
            "sfr_factor_for_cosmic_accretion = -1",
        ),
        (
            r#"chempy("tng", #{ preset: "2018" })"#,
            "unknown preset '2018'",
        ),
        (r#"chempy("tng", #{ cosmic: 1.0 })"#, "cosmic"),
    ] {
        let (ok, err) = run(script);
        assert!(!ok && err.contains(needle), "{script}: {err}");
    }
}
