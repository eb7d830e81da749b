//! Conformance with the original CHEMPY: every row of the shared reference runs of both yield
//! sets (`reference/chempy_tng.csv`, `chempy_alt.csv`).

mod gce_util;

use galchem::gce::Chempy;
use gce_util::{alt, reference, tng, Table, REF_COLUMNS};

/// Max |Δ| (dex) over all ok rows, and every status mismatch.
fn conformance(sim: &Chempy, file: &str) -> (f64, Vec<String>, usize) {
    let t = Table::read(&reference(file));
    let mut max_err = 0.0f64;
    let mut mismatches = Vec::new();
    let mut ok = 0;
    for r in 0..t.rows.len() {
        let p = t.params(r);
        let status = t.str(r, "status");
        match sim.simulate(&p) {
            Ok(x) => {
                if status != "ok" {
                    mismatches.push(format!("row {r}: ok vs {status} {p:?}"));
                    continue;
                }
                ok += 1;
                for (v, c) in x.iter().zip(REF_COLUMNS) {
                    max_err = max_err.max((v - t.f64(r, c)).abs());
                }
            }
            Err(e) => {
                if e.status() != status {
                    mismatches.push(format!("row {r}: {} vs {status} {p:?}", e.status()));
                }
            }
        }
    }
    (max_err, mismatches, ok)
}

#[test]
fn tng_reference_runs() {
    let (err, mism, ok) = conformance(tng(), "chempy_tng.csv");
    println!(
        "TNG: {ok} ok rows, max |error| = {err:e} dex, {} status mismatches",
        mism.len()
    );
    assert!(mism.is_empty(), "{mism:#?}");
    assert!(err < 1e-6, "max error {err}");
}

#[test]
fn alternative_reference_runs() {
    let (err, mism, ok) = conformance(alt(), "chempy_alt.csv");
    println!(
        "alt: {ok} ok rows, max |error| = {err:e} dex, {} status mismatches",
        mism.len()
    );
    assert!(mism.is_empty(), "{mism:#?}");
    assert!(err < 1e-6, "max error {err}");
}
