//! Bad input: parameters outside the model's domain, and missing or malformed input files
//! (errors must name the file, and the line for malformed content).

mod gce_util;

use galchem::data::DataDir;
use galchem::gce::{Chempy, GceError, Params, SimError, YieldSet};
use gce_util::{data, tng};
use std::path::Path;

#[test]
fn parameters_outside_the_domain_are_rejected_with_their_name() {
    let ok = Params::prior_means(8.0);
    let cases = [
        (
            Params {
                birth_time: 0.0,
                ..ok
            },
            "invalid:birth_time",
        ),
        (
            Params {
                birth_time: -1.0,
                ..ok
            },
            "invalid:birth_time",
        ),
        (
            Params {
                birth_time: 13.8001,
                ..ok
            },
            "invalid:birth_time",
        ),
        (
            Params {
                birth_time: 0.79,
                ..ok
            },
            "invalid:birth_time",
        ),
        (
            Params {
                birth_time: f64::NAN,
                ..ok
            },
            "invalid:birth_time",
        ),
        (Params { x_out: 1.5, ..ok }, "invalid:x_out"),
        (Params { x_out: -0.1, ..ok }, "invalid:x_out"),
        (
            Params {
                x_out: f64::NAN,
                ..ok
            },
            "invalid:x_out",
        ),
        (
            Params {
                alpha_imf: f64::NAN,
                ..ok
            },
            "invalid:alpha_imf",
        ),
        (
            Params {
                log10_n_ia: f64::NEG_INFINITY,
                ..ok
            },
            "invalid:log10_n_ia",
        ),
        (
            Params {
                log10_sfe: f64::NAN,
                ..ok
            },
            "invalid:log10_sfe",
        ),
        (
            Params {
                log10_sfr_peak: 25.0,
                ..ok
            },
            "invalid:log10_sfr_peak",
        ),
    ];
    for (p, status) in cases {
        let err = tng().simulate(&p).unwrap_err();
        assert_eq!(err.status(), status, "{p:?}");
        assert!(matches!(err, SimError::InvalidParameter { .. }));
        assert!(err.to_string().contains(&status["invalid:".len()..]));
    }
    // the edges of the domain run
    for b in [0.8, 1.0, 13.797617, 13.8] {
        assert!(
            tng()
                .simulate(&Params {
                    birth_time: b,
                    ..ok
                })
                .is_ok(),
            "birth {b}"
        );
    }
    for x in [0.0, 1.0] {
        assert!(
            tng().simulate(&Params { x_out: x, ..ok }).is_ok(),
            "x_out {x}"
        );
    }
    // trajectories ignore the birth time but check the rest
    assert!(tng()
        .trajectory(&Params {
            birth_time: f64::NAN,
            ..ok
        })
        .is_ok());
    assert_eq!(
        tng()
            .trajectory(&Params { x_out: 2.0, ..ok })
            .unwrap_err()
            .status(),
        "invalid:x_out"
    );
}

#[test]
fn model_failures_carry_chempy_status_strings() {
    let p = Params {
        log10_sfr_peak: 0.28,
        ..Params::prior_means(13.8)
    };
    assert_eq!(tng().simulate(&p), Err(SimError::SfrAtBirthTooLow));
    let p = Params::from_array([
        -2.4716681392648554,
        -3.390437590055469,
        -1.6532020962683185,
        0.32867783355640645,
        0.0784725571849002,
        2.2126701080137794,
    ]);
    let err = tng().simulate(&p).unwrap_err();
    assert_eq!(err.status(), "inf:element_negative_N");
    assert!(err.to_string().contains("element N"));
}

/// Copies the chempy-input tree into a temporary data directory.
fn copy_inputs() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(
        &data().join("chempy-input"),
        &dir.path().join("chempy-input"),
    );
    dir
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else if entry.metadata().unwrap().len() < 1_000_000 {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

fn load_err(dir: &Path, set: YieldSet) -> GceError {
    Chempy::load(&DataDir::at(dir).unwrap(), set).unwrap_err()
}

#[test]
fn a_copy_of_the_inputs_loads() {
    let dir = copy_inputs();
    let d = DataDir::at(dir.path()).unwrap();
    for set in [YieldSet::Tng, YieldSet::Alternative] {
        let sim = Chempy::load(&d, set).unwrap();
        let p = Params::prior_means(9.0);
        let reference = if set == YieldSet::Tng {
            gce_util::tng()
        } else {
            gce_util::alt()
        };
        assert_eq!(sim.simulate(&p).unwrap(), reference.simulate(&p).unwrap());
    }
}

#[test]
fn missing_yield_files_are_named() {
    let dir = copy_inputs();
    let cases = [
        ("chempy-input/input/yields/TNG/AGB.csv", YieldSet::Tng),
        (
            "chempy-input/input/yields/Karakas2010/tablea4.dat",
            YieldSet::Alternative,
        ),
        (
            "chempy-input/input/yields/Nomoto2013/nomoto_net_met_ind_2.csv",
            YieldSet::Alternative,
        ),
        (
            "chempy-input/hardcoded/portinari_lifetime_coefficients.csv",
            YieldSet::Tng,
        ),
    ];
    for (rel, set) in cases {
        let path = dir.path().join(rel);
        let saved = std::fs::read(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        let msg = load_err(dir.path(), set).to_string();
        assert!(msg.contains(rel), "{msg}");
        std::fs::write(&path, saved).unwrap();
    }
}

/// Replaces the first occurrence of `from` in line `line` (1-based) of a file.
fn corrupt(path: &Path, line: usize, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines: Vec<String> = text.lines().map(|s| s.to_string()).collect();
    assert!(lines[line - 1].contains(from), "{}", lines[line - 1]);
    lines[line - 1] = lines[line - 1].replacen(from, to, 1);
    std::fs::write(path, lines.join("\n") + "\n").unwrap();
}

#[test]
fn malformed_yield_files_name_the_path_and_line() {
    let dir = copy_inputs();
    let snii = dir.path().join("chempy-input/input/yields/TNG/SNII.csv");
    corrupt(&snii, 17, ",-0.00012242008233442903,", ",not-a-number,");
    let msg = load_err(dir.path(), YieldSet::Tng).to_string();
    assert!(msg.contains("SNII.csv") && msg.contains("line 17"), "{msg}");

    let karakas = dir
        .path()
        .join("chempy-input/input/yields/Karakas2010/tablea3.dat");
    let saved = std::fs::read(&karakas).unwrap();
    corrupt(&karakas, 7, " ", " 1.0 ");
    let msg = load_err(dir.path(), YieldSet::Alternative).to_string();
    assert!(
        msg.contains("tablea3.dat") && msg.contains("line 7"),
        "{msg}"
    );
    std::fs::write(&karakas, saved).unwrap();

    let thielemann = dir
        .path()
        .join("chempy-input/input/yields/Thielemann2003/0.02.txt");
    std::fs::write(
        &thielemann,
        "Mass mass_in_remnants H He\n1.37409 -1.37409 0 0\n",
    )
    .unwrap();
    let msg = load_err(dir.path(), YieldSet::Alternative).to_string();
    assert!(msg.contains("0.02.txt"), "{msg}");
}

#[test]
fn yield_set_names() {
    assert_eq!("tng".parse::<YieldSet>().unwrap(), YieldSet::Tng);
    assert_eq!(
        "Alternative".parse::<YieldSet>().unwrap(),
        YieldSet::Alternative
    );
    assert_eq!("alt".parse::<YieldSet>().unwrap(), YieldSet::Alternative);
    assert!("nomoto".parse::<YieldSet>().is_err());
    assert_eq!(YieldSet::Alternative.to_string(), "alternative");
    assert_eq!(tng().yield_set(), YieldSet::Tng);
}
