//! The whole paper at CI size: `galchem paper -- quick=true` on 2 threads and
//! `galchem run scripts/paper/all.rhai -- quick=true` on 1 thread, at the same time. Every
//! figure and JSON field is written, report.md has the table, and the numbers of the two runs
//! are the same (the timings are not compared).

mod cli_util;

use serde_json::Value;
use std::path::Path;

fn run(dir: &Path, threads: &str, args: &[&str]) {
    let mut all = vec!["--threads", threads];
    all.extend_from_slice(args);
    let (ok, out, err) = cli_util::galchem(&all, dir, Some(dir));
    assert!(ok, "galchem {all:?} failed\nstdout:\n{out}\nstderr:\n{err}");
}

fn json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn has(v: &Value, path: &str, fields: &[&str]) {
    for f in fields {
        let x = f.split('.').fold(v, |v, k| &v[k]);
        assert!(!x.is_null(), "{path}: field {f} missing");
    }
}

#[test]
fn paper_quick_run_writes_everything_and_is_thread_independent() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let all = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/paper/all.rhai");
    let two = std::thread::spawn({
        let d = d.to_path_buf();
        move || run(&d, "2", &["paper", "--", "quick=true", "out=q2"])
    });
    run(d, "1", &["run", all, "--", "quick=true", "out=q1"]);
    two.join().unwrap();

    let q = d.join("q2");
    let report = json(&q.join("report.json"));
    has(
        &report,
        "report.json",
        &[
            "version",
            "seed",
            "threads",
            "numbers",
            "timings",
            "seconds.total",
            "figures",
        ],
    );
    assert_eq!(report["threads"], 2);
    for f in report["figures"].as_array().unwrap() {
        let png = q.join(f.as_str().unwrap());
        assert!(png.is_file(), "{} missing", png.display());
        let svg = png.with_extension("svg");
        assert!(svg.is_file(), "{} missing", svg.display());
    }
    let fields: &[(&str, &[&str])] = &[
        (
            "fig2.json",
            &[
                "ape_median",
                "dex_median",
                "train_seconds",
                "per_element.Fe_H.ape_median",
            ],
        ),
        (
            "npe.json",
            &["n_train", "best_val_log_prob", "test.ape_global.median"],
        ),
        (
            "fig3.json",
            &[
                "ape.alpha_imf.median",
                "ape.log10_n_ia.p95",
                "ape_global.median",
                "figures",
            ],
        ),
        (
            "fig4.json",
            &[
                "posterior.alpha_imf.mean",
                "posterior.birth_time.sd",
                "figures",
            ],
        ),
        (
            "fig5_6.json",
            &[
                "alpha_imf_mean",
                "alpha_imf_sd",
                "log10_n_ia_mean",
                "log10_n_ia_sd",
                "seconds",
            ],
        ),
        (
            "fig7_8.json",
            &[
                "alt.alpha_imf_mean",
                "alt.alpha_imf_sigma",
                "alt.log10_n_ia_sigma",
            ],
        ),
        (
            "appendix_d.json",
            &["alpha_imf_mean", "log10_n_ia_mean", "truth"],
        ),
        (
            "calibration.json",
            &["tarp_atc", "sbc_ks_pvalues.alpha_imf", "coverage.joint"],
        ),
    ];
    for (file, f) in fields {
        has(&json(&q.join(file)), file, f);
    }
    let md = std::fs::read_to_string(q.join("report.md")).unwrap();
    assert!(
        md.contains("| quantity | galchem | paper | difference |"),
        "{md}"
    );
    assert!(
        md.contains("emulator median APE (%)") && md.contains("not on this build"),
        "{md}"
    );
    assert!(md.contains("![fig2.png](fig2.png)"), "{md}");

    // Same seed, 1 and 2 threads: the same numbers, to the bit.
    let one = json(&d.join("q1/report.json"));
    assert_eq!(one["threads"], 1);
    assert_eq!(
        one["numbers"], report["numbers"],
        "numbers differ between 1 and 2 threads"
    );
    let numbers = report["numbers"].as_object().unwrap();
    assert!(
        numbers.len() >= 12 && numbers.values().all(Value::is_number),
        "{numbers:?}"
    );
}
