//! The `galchem` command line: run, eval, stdin, exit codes, ARGS and error reports.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_galchem"));
    c.arg("--quiet");
    c
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, body).unwrap();
    p
}

fn data(rel: &str) -> String {
    galchem::data::DataDir::resolve(None)
        .expect("shared data directory")
        .join(rel)
        .display()
        .to_string()
}

#[test]
fn eval_prints_the_value() {
    let o = bin().args(["eval", "40 + 2"]).output().unwrap();
    let (out, err) = text(&o);
    assert!(o.status.success(), "{err}");
    assert_eq!(out.trim(), "42");
}

#[test]
fn run_passes_typed_args() {
    let dir = tempfile::tempdir().unwrap();
    let s = script(
        dir.path(),
        "args.rhai",
        r#"print(`${type_of(ARGS.n)} ${ARGS.n + 1} ${type_of(ARGS.x)} ${type_of(ARGS.flag)} ${ARGS.name}`);"#,
    );
    let o = bin()
        .arg("run")
        .arg(&s)
        .args(["--", "n=41", "x=0.5", "flag=true", "name=abc.csv"])
        .output()
        .unwrap();
    let (out, err) = text(&o);
    assert!(o.status.success(), "{err}");
    assert_eq!(out.trim(), "i64 42 f64 bool abc.csv");
}

#[test]
fn stdin_is_run_as_a_script_when_not_a_terminal() {
    let mut child = bin()
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"let a = 20;\nprint(a + 22);\n")
        .unwrap();
    let o = child.wait_with_output().unwrap();
    let (out, err) = text(&o);
    assert!(o.status.success(), "{err}");
    assert_eq!(out.trim(), "42");
}

#[test]
fn syntax_error_names_file_line_column_and_shows_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let s = script(
        dir.path(),
        "bad.rhai",
        "let a = 1;\nlet b = (a + ;\nprint(b);\n",
    );
    let o = bin().arg("run").arg(&s).output().unwrap();
    let (_, err) = text(&o);
    assert!(!o.status.success());
    assert!(err.contains("bad.rhai:2:"), "{err}");
    assert!(err.contains("let b = (a + ;"), "{err}");
    assert!(err.contains('^'), "{err}");
}

#[test]
fn runtime_errors_name_the_problem_and_the_place() {
    let dir = tempfile::tempdir().unwrap();
    let missing = script(
        dir.path(),
        "missing.rhai",
        "let x = 1;\nlet t = read_csv(\"no_such_catalog.csv\");\n",
    );
    let o = bin().arg("run").arg(&missing).output().unwrap();
    let (_, err) = text(&o);
    assert!(!o.status.success());
    assert!(
        err.contains("no_such_catalog.csv") && err.contains("missing.rhai:2:"),
        "{err}"
    );

    let col = script(
        dir.path(),
        "column.rhai",
        &format!(
            "let t = read_csv(\"{}\");\nlet v = t.col(\"obs_XYZ\");\n",
            data("catalogs/mock_chempy_tng.csv")
        ),
    );
    let o = bin().arg("run").arg(&col).output().unwrap();
    let (_, err) = text(&o);
    assert!(!o.status.success());
    assert!(
        err.contains("obs_XYZ") && err.contains("obs_FeH") && err.contains("column.rhai:2:"),
        "{err}"
    );

    let nested = script(
        dir.path(),
        "nested.rhai",
        "fn inner(x) { x.col(\"nope\") }\nlet t = table(#{ a: [1, 2] });\ninner(t);\n",
    );
    let o = bin().arg("run").arg(&nested).output().unwrap();
    let (_, err) = text(&o);
    assert!(
        err.contains("nested.rhai:1:")
            && err.contains("in function 'inner'")
            && err.contains("nested.rhai:3:"),
        "{err}"
    );
}

#[test]
fn runaway_loop_is_stopped_by_the_operation_limit() {
    let o = bin()
        .args([
            "--max-operations",
            "200000",
            "eval",
            "let i = 0; loop { i += 1; }",
        ])
        .output()
        .unwrap();
    let (_, err) = text(&o);
    assert!(!o.status.success());
    assert!(
        err.contains("200000 operations") && err.contains("--max-operations"),
        "{err}"
    );
}

#[test]
fn missing_script_bad_args_and_bad_data_dir_fail_cleanly() {
    let o = bin()
        .args(["run", "/no/such/script.rhai"])
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(text(&o).1.contains("/no/such/script.rhai"));

    let dir = tempfile::tempdir().unwrap();
    let s = script(dir.path(), "s.rhai", "print(1);");
    let o = bin()
        .arg("run")
        .arg(&s)
        .args(["--", "novalue"])
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(text(&o).1.contains("key=value"), "{}", text(&o).1);

    let o = bin()
        .args(["--data", "/no/such/data/dir", "eval", "1"])
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(text(&o).1.contains("/no/such/data/dir"));
}

#[test]
fn catalog_mean_json_and_parquet_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("mean.json");
    let pq = dir.path().join("cat.parquet");
    let s = script(
        dir.path(),
        "cat.rhai",
        &format!(
            r#"
let t = read_csv("{csv}");
let m = mean(t.col("obs_FeH"));
write_json(#{{ mean_feh: m, n: t.len() }}, "{json}");
write_parquet(t, "{pq}");
let back = read_parquet("{pq}");
if back.len() != t.len() || back.columns() != t.columns() {{ throw "round trip changed the table"; }}
if mean(back.col("obs_FeH")) != m {{ throw "round trip changed values"; }}
print(m);
"#,
            csv = data("catalogs/mock_chempy_tng.csv"),
            json = json.display(),
            pq = pq.display()
        ),
    );
    // the script writes into its temporary directory, which it may do from there
    let o = bin()
        .current_dir(dir.path())
        .arg("run")
        .arg(&s)
        .output()
        .unwrap();
    let (out, err) = text(&o);
    assert!(o.status.success(), "{err}");
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let expected = {
        let t = galchem::catalog::Table::read_csv(data("catalogs/mock_chempy_tng.csv")).unwrap();
        galchem::stats::mean(&t.column_f64("obs_FeH").unwrap()).unwrap()
    };
    assert_eq!(v["mean_feh"].as_f64().unwrap(), expected);
    assert_eq!(v["n"].as_i64().unwrap(), 1054);
    assert!(out.trim().parse::<f64>().is_ok(), "{out}");
}

#[test]
fn failed_write_keeps_the_existing_file() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("keep.json");
    std::fs::write(&target, "{\"old\": true}\n").unwrap();
    let s = script(
        dir.path(),
        "w.rhai",
        &format!(
            "write_json(#{{ bad: read_csv(\"{}\") }}, \"{}\");",
            data("catalogs/tutorial_mock.csv"),
            target.display()
        ),
    );
    let o = bin().arg("run").arg(&s).output().unwrap();
    assert!(!o.status.success());
    assert_eq!(
        std::fs::read_to_string(&target).unwrap(),
        "{\"old\": true}\n"
    );
}

#[test]
fn imports_resolve_next_to_the_script_then_stdlib() {
    let dir = tempfile::tempdir().unwrap();
    script(dir.path(), "mylib.rhai", "fn twice(x) { 2 * x }\n");
    let s = script(dir.path(), "main.rhai", "import \"mylib\" as m;\nimport \"stats\" as stats;\nprint(m::twice(21));\nprint(stats::summary([1, 2, 3]).median);\n");
    let o = bin().arg("run").arg(&s).output().unwrap();
    let (out, err) = text(&o);
    assert!(o.status.success(), "{err}");
    assert_eq!(out.lines().collect::<Vec<_>>(), vec!["42", "2.0"]);

    let bad = script(dir.path(), "broken.rhai", "fn f() {\n  let = 3;\n}\n");
    let _ = bad;
    let s = script(dir.path(), "uses_broken.rhai", "import \"broken\" as b;\n");
    let o = bin().arg("run").arg(&s).output().unwrap();
    let (_, err) = text(&o);
    assert!(!o.status.success());
    assert!(
        err.contains("broken.rhai:2:") && err.contains("let = 3;"),
        "{err}"
    );
}

#[test]
fn sigint_stops_a_script_with_a_clear_message() {
    let child = bin()
        .args([
            "--max-operations",
            "0",
            "eval",
            "let i = 0; loop { i += 1; }",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(700));
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let o = child.wait_with_output().unwrap();
    assert!(!o.status.success());
    assert!(text(&o).1.contains("interrupted"), "{}", text(&o).1);
}
