//! `scripts/paper/galaxy_calibration.rhai` at CI size: the report has one coverage entry per
//! method and n with the documented fields, every method's floor, the floors the posterior
//! carries added as `<method>+floor` (with `divide_prior+floor` marked the default), and a
//! run split into shards and merged reports the same coverage.

mod cli_util;

use serde_json::Value;

const SCRIPT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/scripts/paper/galaxy_calibration.rhai"
);

fn run(d: &std::path::Path, args: &[&str]) -> Value {
    let mut all = vec![
        "run",
        SCRIPT,
        "--",
        "posterior=p.json",
        "galaxies=6",
        "n=4,8",
    ];
    all.extend_from_slice(&["methods=divide_prior,paper", "samples=100", "seed=3"]);
    all.extend_from_slice(args);
    let (ok, out, err) = cli_util::galchem(&all, d, Some(d));
    assert!(ok, "stdout:\n{out}\nstderr:\n{err}");
    if args.iter().any(|a| a.starts_with("shard=")) {
        return Value::Null; // a shard writes its records, not the report
    }
    let out = args
        .iter()
        .find_map(|a| a.strip_prefix("out="))
        .unwrap_or("galaxy_calibration.json");
    serde_json::from_str(&std::fs::read_to_string(d.join(out)).unwrap()).unwrap()
}

#[test]
fn galaxy_calibration_script_reports_coverage_floors_and_merges_shards() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let train = r#"
        let post = train_npe(chempy("tng"), #{ n_sims: 3000, max_epochs: 20, seed: 4 });
        post = post.with_floor(#{ method: "divide_prior", n: 1000, galaxies: 10,
            cov: [[1.0e-4, 0.0], [0.0, 1.0e-4]], sd: [0.01, 0.01] });
        post.save("p.json");
    "#;
    std::fs::write(d.join("train.rhai"), train).unwrap();
    let (ok, out, err) = cli_util::galchem(&["run", "train.rhai"], d, Some(d));
    assert!(ok, "stdout:\n{out}\nstderr:\n{err}");

    let whole = run(d, &["out=gc.json", "figure=gc.svg"]);
    let coverage = whole["coverage"].as_array().unwrap();
    for method in ["divide_prior", "paper", "divide_prior+floor"] {
        for n in [4, 8] {
            let c = coverage
                .iter()
                .find(|c| c["method"] == method && c["n"] == n)
                .unwrap_or_else(|| panic!("no entry for {method} at n = {n}: {whole}"));
            assert_eq!(c["galaxies"].as_u64(), Some(6), "{c}");
            for key in ["c68", "c95"] {
                let v = c[key].as_f64().unwrap_or(f64::NAN);
                assert!((0.0..=1.0).contains(&v) || c["galaxies"] == 0, "{key}: {c}");
            }
            assert_eq!(
                c["default"].as_bool(),
                Some(method == "divide_prior+floor"),
                "{c}"
            );
        }
    }
    let floors: Vec<&str> = whole["floors"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["method"].as_str())
        .collect();
    assert!(floors.contains(&"paper"), "{whole}");
    assert!(d.join("gc.svg").is_file());

    for shard in ["0/2", "1/2"] {
        run(d, &["out=gs.json", &format!("shard={shard}")]);
        let name = format!("gs.shard-{}-of-2.json", &shard[..1]);
        assert!(d.join(&name).is_file(), "{name} not written");
    }
    let merged = run(
        d,
        &[
            "merge=gs.shard-0-of-2.json,gs.shard-1-of-2.json",
            "out=gm.json",
        ],
    );
    assert_eq!(
        merged["coverage"], whole["coverage"],
        "shards and the whole run differ"
    );
}
