//! The typed script boundary: errors reach scripts with a kind they can branch on, options
//! are checked against their declared structs, results are typed values with documented
//! properties, and a script may write only where it is allowed to.

mod cli_util;

use cli_util::galchem;
use std::path::Path;

fn eval_in(cwd: &Path, args: &[&str], code: &str) -> (bool, String, String) {
    let mut a: Vec<&str> = args.to_vec();
    a.push("eval");
    a.push(code);
    galchem(&a, cwd, None)
}

#[test]
fn a_script_catches_an_error_and_branches_on_its_kind() {
    let dir = tempfile::tempdir().unwrap();
    let code = r#"
        let kinds = [];
        try { paper_prior(#{ birth: [5.0, 2.0] }) } catch (e) { kinds.push(e.kind); }
        try { read_csv("no/such/file.csv") } catch (e) { kinds.push(e.kind); }
        try { write_csv(table(#{ a: [1] }), "/proc/galchem-denied.csv") } catch (e) { kinds.push(e.kind); }
        try { chempy("tng").simulate_one(#{ alpha_imf: -2.3, log10_n_ia: -2.89, log10_sfe: -0.3,
                                             log10_sfr_peak: 0.55, x_out: 2.0, birth_time: 8.0 }) }
        catch (e) { kinds.push(e.kind); }
        try { undefined_function(1) } catch (e) { kinds.push(e.kind ?? "script"); }
        let branch = "read";
        try { read_csv("no/such/file.csv"); } catch (e) {
            if e.kind == "io" { branch = "handled io"; } else { throw e; }
        }
        print(kinds);
        print(branch);
        print(`${error_kinds().len()} kinds`);
    "#;
    let (ok, out, err) = eval_in(dir.path(), &[], code);
    assert!(ok, "{err}");
    assert!(
        out.contains(r#"["option", "io", "write_denied", "domain", "script"]"#),
        "{out}"
    );
    assert!(out.contains("handled io"), "{out}");
    assert!(out.contains("14 kinds"), "{out}");
}

#[test]
fn an_uncaught_error_prints_its_message_not_a_type_name() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, _, err) = eval_in(dir.path(), &[], r#"paper_prior(#{ birth: [5.0, 2.0] })"#);
    assert!(!ok);
    assert!(err.contains("option 'birth' must be [lo, hi]"), "{err}");
    assert!(!err.contains("Failure"), "{err}");
}

#[test]
fn an_unknown_option_names_the_known_ones() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, _, err) = eval_in(dir.path(), &[], r#"figure(#{ xlable: "x" })"#);
    assert!(!ok);
    assert!(
        err.contains("figure: unknown option 'xlable' (did you mean 'xlabel'?)"),
        "{err}"
    );
    assert!(
        err.contains("the options are rows, cols, width, height"),
        "{err}"
    );
    let (ok, _, err) = eval_in(dir.path(), &[], r#"figure(#{ rows: "two" })"#);
    assert!(
        !ok && err.contains("option 'rows' must be a non-negative integer, not string"),
        "{err}"
    );
    // integral floats are integers; () counts as absent
    let (ok, _, err) = eval_in(
        dir.path(),
        &[],
        r#"figure(#{ rows: 2.0, cols: (), xlabel: "x" })"#,
    );
    assert!(ok, "{err}");
}

#[test]
fn help_lists_the_options_generated_from_the_structs_and_result_properties() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, out, err) = eval_in(
        dir.path(),
        &[],
        r#"help("infer"); help("Inference"); help("paper_prior")"#,
    );
    assert!(ok, "{err}");
    for want in [
        "Options:",
        "n_stars (a non-negative integer)",
        "refine (a simulator or an emulator)",
        "infer(post: Posterior, catalog: Table, options: Map) -> Inference",
        "Inference — a result type",
        "alpha_imf_mean",
        "stars (Table)",
        "box (true, false or a number)",
    ] {
        assert!(out.contains(want), "missing '{want}' in:\n{out}");
    }
}

#[test]
fn writes_outside_the_working_directory_are_refused_unless_allowed() {
    let work = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let target = elsewhere.path().join("out.csv");
    let code = format!(
        r#"write_csv(table(#{{ a: [1, 2] }}), "{}")"#,
        target.display()
    );
    let (ok, _, err) = eval_in(work.path(), &[], &code);
    assert!(!ok);
    assert!(
        err.contains("write_csv: writing") && err.contains("out.csv"),
        "{err}"
    );
    assert!(err.contains("--allow-write"), "{err}");
    assert!(!target.exists());
    // the working directory itself is fine, and so is ../ that stays inside it
    let (ok, _, err) = eval_in(
        work.path(),
        &[],
        r#"mkdir("sub"); write_csv(table(#{ a: [1] }), "sub/../in.csv")"#,
    );
    assert!(ok, "{err}");
    assert!(work.path().join("in.csv").is_file());
    // every writing function is guarded
    for code in [
        format!(
            r#"write_json(#{{ a: 1 }}, "{}/x.json")"#,
            elsewhere.path().display()
        ),
        format!(r#"figure().save("{}/x.png")"#, elsewhere.path().display()),
        format!(r#"mkdir("{}/d")"#, elsewhere.path().display()),
        format!(
            r#"table(#{{ a: [1] }}).write("{}/x.parquet")"#,
            elsewhere.path().display()
        ),
    ] {
        let (ok, _, err) = eval_in(work.path(), &[], &code);
        assert!(!ok && err.contains("is not allowed"), "{code}: {err}");
    }
    assert_eq!(std::fs::read_dir(elsewhere.path()).unwrap().count(), 0);
    // --allow-write allows it
    let dir = elsewhere.path().display().to_string();
    let (ok, _, err) = eval_in(work.path(), &["--allow-write", &dir], &code);
    assert!(ok, "{err}");
    assert!(target.is_file());
    // a script cannot widen its own permissions
    let (ok, _, err) = eval_in(work.path(), &[], &format!(r#"allow_write("{dir}")"#));
    assert!(
        !ok && err.contains("cannot widen its own write permissions"),
        "{err}"
    );
}

#[test]
fn results_are_typed_values_with_properties_and_maps() {
    let dir = tempfile::tempdir().unwrap();
    let code = r#"
        let d = chempy("tng").draw_valid(paper_prior(#{ box: 5 }), 20, 3);
        print(type_of(d));
        print(d.runs.len());
        print(d.keys());
        write_json(d.to_map().n_failed, "n_failed.json");
        let m = d.to_map();
        print(m.n_failed == d.n_failed);
    "#;
    let (ok, out, err) = eval_in(dir.path(), &[], code);
    assert!(ok, "{err}");
    assert!(out.contains("DrawnRuns"), "{out}");
    assert!(out.contains("20"), "{out}");
    assert!(out.contains(r#"["runs", "n_failed", "seconds"]"#), "{out}");
    assert!(out.trim_end().ends_with("true"), "{out}");
}
