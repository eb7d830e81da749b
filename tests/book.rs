//! The book stays true: its function reference is the generated one, every function has a
//! doc comment, and every chapter listed in SUMMARY.md exists.

use std::path::Path;
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn function_reference_is_generated_from_the_doc_comments() {
    let o = Command::new(env!("CARGO_BIN_EXE_galchem"))
        .args(["doc", "reference"])
        .output()
        .unwrap();
    assert!(o.status.success());
    let generated = String::from_utf8(o.stdout).unwrap();
    let path = root().join("book/src/reference.md");
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != generated {
        if std::env::var_os("GALCHEM_BLESS").is_some() {
            std::fs::write(&path, &generated).unwrap();
        } else {
            panic!("book/src/reference.md is out of date: regenerate it with `GALCHEM_BLESS=1 cargo test --test book` (or `galchem doc reference > book/src/reference.md`)");
        }
    }
}

#[test]
fn every_function_is_documented() {
    let session = galchem::script::Session::new(galchem::script::SessionConfig::from_env());
    let undocumented: Vec<&str> = session
        .docs()
        .functions
        .values()
        .filter(|f| f.docs.is_empty())
        .map(|f| f.name.as_str())
        .collect();
    assert!(
        undocumented.is_empty(),
        "functions without a doc comment: {undocumented:?}"
    );
}

#[test]
fn every_chapter_in_the_summary_exists() {
    let summary = std::fs::read_to_string(root().join("book/src/SUMMARY.md")).unwrap();
    for part in summary.split("](").skip(1) {
        let file = part.split(')').next().unwrap();
        assert!(
            root().join("book/src").join(file).is_file(),
            "SUMMARY.md lists {file}, which does not exist"
        );
    }
}
