//! Inference from scripts: the NPE and inference scripts at small sizes, catalog validation
//! (skipped rows named with their reason), bad files and columns, the quickstart's cache.

use std::path::{Path, PathBuf};

mod cli_util;

/// `galchem ARGS` in `cwd` with the model cache in `cache`.
fn galchem(args: &[&str], cwd: &Path, cache: &Path) -> (bool, String, String) {
    cli_util::galchem(args, cwd, Some(cache))
}

fn script(rel: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(rel)
        .display()
        .to_string()
}

fn catalog() -> PathBuf {
    galchem::data::DataDir::resolve(None)
        .unwrap()
        .join("catalogs/mock_chempy_tng.csv")
}

/// Trains a tiny posterior in `dir` (seconds) and returns its path.
fn tiny_posterior(dir: &Path) -> PathBuf {
    let (ok, out, err) = galchem(
        &["eval", "train_npe(chempy(\"tng\"), #{ n_sims: 2000, max_epochs: 3, seed: 3 }).save(\"post.json\")"],
        dir,
        dir,
    );
    assert!(ok, "{out}{err}");
    dir.join("post.json")
}

/// Runs scripts/infer.rhai in `d` with the posterior `p.json`, the bundled catalog and
/// `args` (which name the output `out=NAME`): the JSON written and the printed output.
fn run_infer(d: &Path, args: &[&str]) -> (serde_json::Value, String) {
    let (script, catalog) = (
        script("scripts/infer.rhai"),
        format!("catalog={}", catalog().display()),
    );
    let mut all = vec!["run", &script, "--", "posterior=p.json", &catalog];
    all.extend_from_slice(args);
    let (ok, out, err) = galchem(&all, d, d);
    assert!(ok, "{out}{err}");
    let name = args
        .iter()
        .find_map(|a| a.strip_prefix("out="))
        .expect("an out= argument");
    let json = std::fs::read_to_string(d.join(name)).unwrap();
    (serde_json::from_str(&json).unwrap(), out)
}

#[test]
fn npe_and_infer_scripts_write_their_reports() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (ok, out, err) = galchem(
        &[
            "run",
            &script("scripts/paper/npe.rhai"),
            "--",
            "n_sims=2000",
            "n_test=50",
            "floor_galaxies=4",
            "floor_n=40",
            "out=p.json",
            "report=pr.json",
        ],
        d,
        d,
    );
    assert!(ok, "{out}{err}");
    let rep: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("pr.json")).unwrap()).unwrap();
    for key in ["train_seconds", "epochs", "best_val_log_prob"] {
        assert!(rep[key].is_number(), "npe report lacks {key}: {rep}");
    }
    assert!(
        rep["test"]["ape"]["alpha_imf"]["median"].is_number()
            && rep["test"]["mean_log_prob"].is_number()
    );
    // the systematic floor measured on 4 mock galaxies of 40 stars, saved with the posterior
    assert_eq!(rep["floor"]["galaxies"].as_u64(), Some(4), "{rep}");
    assert!(rep["floor"]["sd"][0].is_number() && rep["floor"]["cov"][1][1].is_number());
    // one floor per method (divide_prior and exact_kde by default); 4 galaxies are too few
    // to fit its growth
    let methods: Vec<&str> = rep["floors"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["method"].as_str())
        .collect();
    assert!(methods.contains(&"divide_prior"), "{rep}");
    assert!(rep["floor"]["growth"].is_null(), "{rep}");

    let (r, out) = run_infer(
        d,
        &["n_stars=30", "samples=200", "out=r.json", "figure=j.svg"],
    );
    for key in [
        "n_stars",
        "alpha_imf_mean",
        "alpha_imf_sd",
        "log10_n_ia_mean",
        "log10_n_ia_sd",
        "mean_acceptance",
    ] {
        assert!(r[key].is_number(), "inference result lacks {key}: {r}");
    }
    assert_eq!(r["n_stars"].as_u64(), Some(30));
    // the default combination adds the divide_prior floor the posterior carries
    assert!(r["systematic"].is_array(), "{r}");
    assert!(
        out.contains("systematic floor of divide_prior carried by the posterior"),
        "{out}"
    );
    assert!(
        out.contains("alpha_IMF") && out.contains("log10 N_Ia"),
        "{out}"
    );
    assert!(d.join("j.svg").is_file());

    // refined with the simulator: the JSON records it and the effective sample size
    let (rr, out) = run_infer(
        d,
        &["n_stars=10", "samples=100", "refine=tng", "out=rr.json"],
    );
    assert_eq!(rr["refined_with"].as_str(), Some("chempy:tng"), "{rr}");
    let ess = rr["median_ess"].as_f64().unwrap();
    assert!((1.0..=100.0).contains(&ess), "{rr}");
    assert!(out.contains("refined with chempy:tng"), "{out}");
    assert!(
        r["refined_with"].is_null() && r["median_ess"].is_null(),
        "{r}"
    );
    // ... with the simulator that made the bundled catalog
    let (r19, _) = run_infer(
        d,
        &[
            "n_stars=5",
            "samples=100",
            "refine=tng",
            "preset=chempy_multi_2019",
            "out=r19.json",
        ],
    );
    assert_eq!(
        r19["refined_with"].as_str(),
        Some("chempy:tng(sfr_factor_for_cosmic_accretion=0.000001)"),
        "{r19}"
    );
}

#[test]
fn unusable_rows_are_skipped_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let post = tiny_posterior(d);
    // rows 1 and 3 of a copy of the catalog get a missing and an unparsable value
    let text = std::fs::read_to_string(catalog()).unwrap();
    let mut lines: Vec<String> = text.lines().take(8).map(String::from).collect();
    let header: Vec<&str> = lines[0].split(',').collect();
    let feh = header.iter().position(|c| *c == "obs_FeH").unwrap();
    let mgfe = header.iter().position(|c| *c == "obs_MgFe").unwrap();
    for (row, col, value) in [(2usize, feh, ""), (4, mgfe, "n/a")] {
        let mut cells: Vec<String> = lines[row].split(',').map(String::from).collect();
        cells[col] = value.to_string();
        lines[row] = cells.join(",");
    }
    std::fs::write(d.join("cat.csv"), lines.join("\n") + "\n").unwrap();
    let (ok, out, err) = galchem(
        &[
            "run",
            &script("scripts/infer.rhai"),
            "--",
            &format!("posterior={}", post.display()),
            "catalog=cat.csv",
            "samples=100",
            "method=paper",
            "out=r.json",
        ],
        d,
        d,
    );
    assert!(ok, "{out}{err}");
    assert!(out.contains("row 1") && out.contains("obs_FeH"), "{out}");
    assert!(out.contains("row 3") && out.contains("obs_MgFe"), "{out}");
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("r.json")).unwrap()).unwrap();
    assert_eq!(r["n_stars"].as_u64(), Some(5));
    assert_eq!(r["skipped"].as_array().unwrap().len(), 2);
}

/// An untrained (prior-wide) posterior cannot carry the division by 99 prior copies: the
/// script says so and falls back to the paper's combination, unless a method was asked for.
#[test]
fn infer_script_falls_back_when_the_prior_cannot_be_divided_out() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let post = tiny_posterior(d);
    let args = |extra: &'static str| {
        let mut a = vec![
            "run".to_string(),
            script("scripts/infer.rhai"),
            "--".into(),
            format!("posterior={}", post.display()),
            format!("catalog={}", catalog().display()),
            "n_stars=100".into(),
            "samples=100".into(),
            "out=r.json".into(),
        ];
        if !extra.is_empty() {
            a.push(extra.into());
        }
        a
    };
    let run = |a: Vec<String>| {
        let refs: Vec<&str> = a.iter().map(String::as_str).collect();
        galchem(&refs, d, d)
    };
    let (ok, out, err) = run(args(""));
    assert!(ok, "{out}{err}");
    assert!(
        out.contains("not positive definite") && out.contains("falling back"),
        "{out}"
    );
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("r.json")).unwrap()).unwrap();
    assert_eq!(r["method"].as_str(), Some("paper"), "{r}");
    assert!(
        r["fallback"]
            .as_str()
            .unwrap_or("")
            .contains("not positive definite"),
        "{r}"
    );

    let (ok, _, err) = run(args("method=divide_prior"));
    assert!(!ok);
    assert!(err.contains("not positive definite"), "{err}");
}

#[test]
fn bad_inputs_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("bad.json"), "[1, 2").unwrap();
    let (ok, _, err) = galchem(&["eval", "load_posterior(\"bad.json\")"], d, d);
    assert!(!ok && err.contains("bad.json"), "{err}");
    let post = tiny_posterior(d);
    let (ok, _, err) = galchem(
        &[
            "eval",
            &format!(
                "infer(load_posterior(\"{}\"), table(#{{ x: [1.0] }}))",
                post.display()
            ),
        ],
        d,
        d,
    );
    assert!(
        !ok && err.contains("obs_CFe") && err.contains("available columns: x"),
        "{err}"
    );
    let (ok, _, err) = galchem(
        &[
            "eval",
            &format!(
                "infer(load_posterior(\"{}\"), read_csv(\"{}\"), #{{ method: \"magic\" }})",
                post.display(),
                catalog().display()
            ),
        ],
        d,
        d,
    );
    assert!(!ok && err.contains("magic"), "{err}");
    let (ok, _, err) = galchem(
        &[
            "eval",
            &format!(
                "load_posterior(\"{}\").sample([1.0, 2.0], 10, 1)",
                post.display()
            ),
        ],
        d,
        d,
    );
    assert!(!ok && err.contains("8 needed"), "{err}");
    let (ok, _, err) = galchem(
        &[
            "eval",
            &format!(
                "let t = chempy(\"tng\").draw_valid(paper_prior(), 3, 1); load_posterior(\"{}\").evaluate_exact(t.runs, 42, #{{}})",
                post.display()
            ),
        ],
        d,
        d,
    );
    assert!(
        !ok && err.contains("evaluate_exact: the simulator must be"),
        "{err}"
    );
}

#[test]
fn quickstart_trains_once_then_uses_its_cache() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let args = [
        "run",
        &script("scripts/quickstart.rhai"),
        "--",
        "n_sims=2000",
        "n_stars=20",
    ];
    let (ok, out, err) = galchem(&args, d, d);
    assert!(ok, "{out}{err}");
    // The bundled catalog was made by ChempyMulti's 2019 code: the quickstart trains on it.
    assert!(
        out.contains("training the neural posterior")
            && out.contains("sfr_factor_for_cosmic_accretion=0.000001")
            && out.contains("alpha_IMF"),
        "{out}"
    );
    assert!(
        d.join("quickstart_posterior.png").is_file() && d.join("quickstart_nstars.png").is_file()
    );
    let (ok, out, err) = galchem(&args, d, d);
    assert!(ok, "{out}{err}");
    assert!(out.contains("using the cached posterior"), "{out}");
    // Another preset is another posterior, with its own cache entry.
    let reference: Vec<&str> = args.iter().copied().chain(["preset=reference"]).collect();
    let (ok, out, err) = galchem(&reference, d, d);
    assert!(ok, "{out}{err}");
    assert!(
        out.contains("training the neural posterior") && !out.contains("sfr_factor"),
        "{out}"
    );
}
