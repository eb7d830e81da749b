//! Survey data from scripts: scripts/survey.rhai on an APOGEE-layout FITS catalog and on a
//! ChempyMulti npz mock (tiny training), its cache, and the bindings' errors.

use ndarray::Array2;
use ndarray_npy::WriteNpyExt;
use std::io::Write;
use std::path::Path;

mod cli_util;

fn galchem(args: &[&str], d: &Path) -> (bool, String, String) {
    cli_util::galchem(args, d, Some(d))
}

fn script(rel: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(rel)
        .display()
        .to_string()
}

/// Runs scripts/survey.rhai in `d` at a tiny size with `args`; the JSON and the output.
fn survey(d: &Path, args: &[&str]) -> (serde_json::Value, String) {
    let s = script("scripts/survey.rhai");
    let mut all = vec![
        "run",
        &s,
        "--",
        "n_sims=6000",
        "max_epochs=25",
        "samples=300",
        "out=s.json",
    ];
    all.extend_from_slice(args);
    let (ok, out, err) = galchem(&all, d);
    assert!(ok, "{out}{err}");
    let json = std::fs::read_to_string(d.join("s.json")).unwrap();
    (serde_json::from_str(&json).unwrap(), out)
}

fn near_truth(j: &serde_json::Value, tol: f64) {
    for (k, t) in [("alpha_imf_mean", -2.3), ("log10_n_ia_mean", -2.89)] {
        let v = j[k].as_f64().unwrap();
        assert!((v - t).abs() < tol, "{k} = {v}, truth {t}");
    }
}

#[test]
fn survey_script_on_an_apogee_fits_catalog() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let make = r#"mock_survey(chempy("tng"), #{ n_stars: 120, errors: [0.02, 0.15],
        elements: ["C_Fe", "Fe_H", "Mg_Fe", "N_Fe", "O_Fe", "Si_Fe"],
        missing: #{ N_Fe: 0.2, C_Fe: 0.1 }, flagged: 0.03, preset: "apogee", seed: 8 })
        .write("allStar.fits")"#;
    let (ok, out, err) = galchem(&["eval", make], d);
    assert!(ok, "{out}{err}");
    let (j, out) = survey(d, &["catalog=allStar.fits", "columns=apogee"]);
    assert!(out.contains("training a survey posterior"), "{out}");
    let elements: Vec<&str> = j["elements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap())
        .collect();
    assert_eq!(elements, ["C_Fe", "Fe_H", "Mg_Fe", "N_Fe", "O_Fe", "Si_Fe"]);
    let range = j["error_range"].as_array().unwrap();
    assert!(range[0].as_f64().unwrap() >= 0.02 && range[1].as_f64().unwrap() <= 0.15);
    assert_eq!(j["n_rows"], 120);
    assert_eq!(
        j["skipped"].as_array().unwrap().len(),
        0,
        "{}",
        j["skipped"]
    );
    let masked = j["masked"].as_array().unwrap();
    assert!(masked.len() > 20, "{} masked", masked.len());
    assert!(masked[0]["reason"].as_str().unwrap().contains("row "));
    near_truth(&j, 0.12);
    // the second run reuses the cached posterior
    let (k, out) = survey(d, &["catalog=allStar.fits", "columns=apogee"]);
    assert!(out.contains("using the cached posterior"), "{out}");
    assert_eq!(j["alpha_imf_mean"], k["alpha_imf_mean"]);
}

/// The rows of `t` (a mock in the default layout) as a ChempyMulti npz.
fn write_npz(csv: &Path, npz: &Path) {
    let t = galchem::Table::read(csv).unwrap();
    let els = ["C", "Fe", "He", "Mg", "N", "Ne", "O", "Si"];
    let stem = |e: &str| {
        if e == "Fe" {
            "FeH".to_string()
        } else {
            format!("{e}Fe")
        }
    };
    let cols =
        |p: &str| -> Vec<String> { els.iter().map(|e| format!("{p}_{}", stem(e))).collect() };
    let m = |p: &str| -> Array2<f64> {
        let c = cols(p);
        let r: Vec<&str> = c.iter().map(String::as_str).collect();
        t.matrix(&r).unwrap()
    };
    let mut zip = zip::ZipWriter::new(std::fs::File::create(npz).unwrap());
    let o = zip::write::SimpleFileOptions::default();
    // elements as numpy's <U2
    let mut h = b"{'descr': '<U2', 'fortran_order': False, 'shape': (8,), }".to_vec();
    while (10 + h.len() + 1) % 64 != 0 {
        h.push(b' ');
    }
    h.push(b'\n');
    let mut e = b"\x93NUMPY\x01\x00".to_vec();
    e.extend((h.len() as u16).to_le_bytes());
    e.extend(h);
    for el in els {
        let mut c: Vec<u32> = el.chars().map(|c| c as u32).collect();
        c.resize(2, 0);
        c.iter().for_each(|u| e.extend(u.to_le_bytes()));
    }
    zip.start_file("elements.npy", o).unwrap();
    zip.write_all(&e).unwrap();
    for (name, p) in [("abundances", "obs"), ("abundance_errs", "err")] {
        let mut b = Vec::new();
        m(p).write_npy(&mut b).unwrap();
        zip.start_file(format!("{name}.npy"), o).unwrap();
        zip.write_all(&b).unwrap();
    }
    zip.finish().unwrap();
}

#[test]
fn survey_script_on_an_npz_mock_with_varying_errors() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let make = r#"mock_survey(chempy("tng"), #{ n_stars: 100, errors: [0.02, 0.15],
        missing: #{ N_Fe: 0.2 }, seed: 9 }).write("mock.csv")"#;
    let (ok, out, err) = galchem(&["eval", make], d);
    assert!(ok, "{out}{err}");
    write_npz(&d.join("mock.csv"), &d.join("Mock_Data_Test.npz"));
    let (j, _) = survey(d, &["catalog=Mock_Data_Test.npz", "columns=chempy_npz"]);
    assert_eq!(j["elements"].as_array().unwrap().len(), 8);
    assert_eq!(
        j["skipped"].as_array().unwrap().len(),
        0,
        "{}",
        j["skipped"]
    );
    assert!(!j["masked"].as_array().unwrap().is_empty());
    near_truth(&j, 0.15);
}

#[test]
fn survey_bindings_give_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let fail = |expr: &str, wanted: &[&str]| {
        let (ok, out, err) = galchem(&["eval", expr], d);
        assert!(!ok, "{expr} succeeded: {out}");
        for w in wanted {
            assert!(err.contains(w), "{expr}: '{w}' not in {err}");
        }
    };
    let (ok, out, err) = galchem(
        &[
            "eval",
            r#"mock_survey(chempy("tng"), #{ n_stars: 5, elements: ["Fe_H", "Mg_Fe"],
               preset: "apogee" }).write("a.fits")"#,
        ],
        d,
    );
    assert!(ok, "{out}{err}");
    let post = r#"train_npe(chempy("tng"), #{ n_sims: 300, max_epochs: 1, checkpoint: false })"#;
    fail(
        &format!(r#"infer({post}, read_table("a.fits"), #{{ columns: "apogee" }})"#),
        &[
            "He_Fe (column HE_FE)",
            "a.fits",
            "train_npe(sim, #{ elements",
        ],
    );
    fail(
        &format!(r#"infer({post}, read_table("a.fits"), #{{ columns: "sdss" }})"#),
        &["unknown column preset 'sdss'", "apogee, galah"],
    );
    fail(
        &format!(r#"infer({post}, read_table("a.fits"), #{{ flags: #{{ X_Fe: "f" }} }})"#),
        &["'flags' has unknown observable 'X_Fe'"],
    );
    fail(
        r#"train_npe(chempy("tng"), #{ n_sims: 300, errors: [0.1] })"#,
        &["'errors' must be [low, high]"],
    );
    fail(
        r#"train_npe(chempy("tng"), #{ n_sims: 300, elements: ["Fe_H", "Zn_Fe"] })"#,
        &["Zn_Fe"],
    );
    fail(
        r#"catalog_elements(read_table("a.fits"), "hst")"#,
        &["unknown column preset 'hst'"],
    );
    std::fs::write(
        d.join("cut.fits"),
        &std::fs::read(d.join("a.fits")).unwrap()[..3000],
    )
    .unwrap();
    fail(r#"read_table("cut.fits")"#, &["cut.fits", "FITS", "HDU 2"]);
}
