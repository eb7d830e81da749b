//! Stage tests: every intermediate of CHEMPY in `reference/intermediates_*` reproduced by the
//! port (yield tables, IMF, lifetimes, SFR grid, SSP tables, ISM evolution, corona,
//! abundances, trajectories).

mod gce_util;

use galchem::gce::config::ELEMENTS;
use galchem::gce::yields::ProcessYields;
use galchem::gce::Chempy;
use gce_util::{alt, data, rel, tng, Table};

fn intermediates(set: &str, file: &str) -> Table {
    Table::read(
        &data()
            .join("reference")
            .join(format!("intermediates_{set}"))
            .join(file),
    )
}

fn check_yield_tables(sim: &Chempy, set: &str) -> f64 {
    let t = intermediates(set, "yield_tables_processed.csv");
    let y = sim.yield_tables();
    let mut worst = 0.0f64;
    for r in 0..t.rows.len() {
        let process: &ProcessYields = match t.str(r, "process") {
            "sn2" => &y.sn2,
            "agb" => &y.agb,
            "sn1a" => &y.sn1a,
            p => panic!("unknown process {p}"),
        };
        let z = t.f64(r, "table_metallicity");
        let table = process
            .tables
            .iter()
            .find(|tb| tb.metallicity.value == z)
            .unwrap_or_else(|| panic!("{set}: no table at Z = {z}"));
        let i: usize = t.str(r, "row").parse().unwrap();
        let mut pairs = vec![
            (table.mass[i], t.f64(r, "Mass")),
            (table.mass_in_remnants[i], t.f64(r, "mass_in_remnants")),
        ];
        if let Some(u) = &table.unprocessed {
            pairs.push((u[i], t.f64(r, "unprocessed_mass_in_winds")));
        }
        for (e, name) in ELEMENTS.iter().enumerate() {
            pairs.push((table.yields[i][e], t.f64(r, name)));
        }
        for (a, b) in pairs {
            worst = worst.max(rel(a, b, 1e-300));
        }
    }
    worst
}

#[test]
fn processed_yield_tables() {
    let w = check_yield_tables(tng(), "tng");
    println!("TNG yield tables: max relative difference {w:e}");
    assert!(w < 1e-15, "{w}");
    let w = check_yield_tables(alt(), "alt");
    println!("alternative yield tables: max relative difference {w:e}");
    assert!(w < 1e-15, "{w}");
}

/// z and birth fractions from the `# inputs:` header line of an SSP file.
fn ssp_inputs(path: &std::path::Path) -> (f64, [f64; 9]) {
    let text = std::fs::read_to_string(path).unwrap();
    let line = text.lines().find(|l| l.starts_with("# inputs:")).unwrap();
    let z: f64 = line
        .split("= ")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let fr: Vec<f64> = line
        .rsplit("= ")
        .next()
        .unwrap()
        .split(';')
        .map(|s| s.trim().parse().unwrap())
        .collect();
    (z, fr.try_into().unwrap())
}

/// Worst relative difference per column between an SSP table and the reference file.
fn compare_ssp(sim: &Chempy, set: &str, file: &str, time: &[f64]) -> Vec<(String, f64)> {
    let path = data()
        .join("reference")
        .join(format!("intermediates_{set}"))
        .join(file);
    let (z, fr) = ssp_inputs(&path);
    let t = Table::read(&path);
    let s = sim.ssp_table(-2.3, -2.89, z, &fr, time);
    let mut worst: Vec<(String, f64)> = Vec::new();
    let mut note = |name: &str, a: f64, b: f64, floor: f64| {
        let d = rel(a, b, floor);
        match worst.iter_mut().find(|(n, _)| n == name) {
            Some(w) => w.1 = w.1.max(d),
            None => worst.push((name.to_string(), d)),
        }
    };
    for r in 0..t.rows.len() {
        let k: usize = t.str(r, "step").parse().unwrap();
        let process = t.str(r, "process").to_string();
        note("time", s.time[k], t.f64(r, "time_since_birth"), 1e-300);
        note(
            "inverse_imf",
            s.inverse_imf[k],
            t.f64(r, "inverse_imf_mass"),
            1e-300,
        );
        let (cols, els): (Vec<(&str, f64)>, &[f64; 9]) = match process.as_str() {
            "total" => (
                vec![
                    ("mass_of_ms_stars_dying", s.mass_of_ms_stars_dying[k]),
                    ("mass_in_ms_stars", s.mass_in_ms_stars[k]),
                    ("mass_in_remnants", s.mass_in_remnants[k]),
                    ("sn2", s.sn2[k]),
                    ("sn1a", s.sn1a[k]),
                    ("pn", s.pn[k]),
                    ("bh", s.bh[k]),
                    (
                        "hydrogen_mass_accreted_onto_white_dwarfs",
                        s.hydrogen_accreted[k],
                    ),
                ],
                &s.elements[k],
            ),
            p => {
                let pt = match p {
                    "sn2" => &s.sn2_process,
                    "agb" => &s.agb_process,
                    "sn1a" => &s.sn1a_process,
                    _ => &s.bh_process,
                };
                (
                    vec![
                        ("mass_in_remnants", pt.mass_in_remnants[k]),
                        ("number_of_events", pt.number_of_events[k]),
                    ],
                    &pt.elements[k],
                )
            }
        };
        for (c, v) in cols {
            note(&format!("{process}.{c}"), v, t.f64(r, c), 1e-300);
        }
        for (e, name) in ELEMENTS.iter().enumerate() {
            note(&format!("{process}.{name}"), els[e], t.f64(r, name), 1e-300);
        }
    }
    worst
}

fn default_grid() -> Vec<f64> {
    galchem::gce::numeric::linspace(0.0, 13.797617, 28)
}

#[test]
fn standalone_ssp_tables() {
    for (sim, set) in [(tng(), "tng"), (alt(), "alt")] {
        for file in ["ssp_feedback_z0p001.csv", "ssp_feedback_z0p0134.csv"] {
            let w = compare_ssp(sim, set, file, &default_grid());
            let max = w.iter().map(|x| x.1).fold(0.0, f64::max);
            println!("{set} {file}: max relative difference {max:e}");
            for (n, d) in &w {
                if *d > 1e-13 {
                    println!("   {n}: {d:e}");
                }
            }
        }
    }
}

fn prior_mean_evolution() -> galchem::gce::Evolution {
    tng()
        .evolution(&galchem::gce::Params::prior_means(13.797617), 13.797617)
        .expect("prior-mean run")
}

#[test]
fn ism_evolution_and_corona() {
    let ev = prior_mean_evolution();
    let h = &ev.history;
    let t = intermediates("tng", "ism_evolution.csv");
    assert_eq!(t.rows.len(), h.time.len());
    let mut worst = 0.0f64;
    let mut worst_col = String::new();
    for r in 0..t.rows.len() {
        let mut cols: Vec<(&str, f64)> = vec![
            ("sfr", h.sfr[r]),
            ("infall", h.infall[r]),
            ("time", h.time[r]),
            ("feedback", h.feedback[r]),
            ("mass_in_remnants", h.cumulative[0][r]),
            ("stars", h.stars[r]),
            ("gas", h.gas[r]),
            ("Z", h.z[r]),
            ("alpha", h.alpha[r]),
            ("sn1a", h.cumulative[1][r]),
            ("sn2", h.cumulative[2][r]),
            ("pn", h.cumulative[3][r]),
            ("bh", h.cumulative[4][r]),
        ];
        for (e, name) in ELEMENTS.iter().enumerate() {
            cols.push((name, h.elements[r][e]));
        }
        for (c, v) in cols {
            let d = rel(v, t.f64(r, c), 1e-300);
            if d > worst {
                worst = d;
                worst_col = format!("{c} step {r}");
            }
        }
    }
    println!("ISM evolution: max relative difference {worst:e} ({worst_col})");
    let c = intermediates("tng", "corona_gas_reservoir.csv");
    let mut worst_c = 0.0f64;
    for r in 0..c.rows.len() {
        let mut cols: Vec<(&str, f64)> = vec![
            ("gas", h.corona_gas[r]),
            ("Z", h.corona_z[r]),
            ("feedback", h.corona_feedback[r]),
        ];
        for (e, name) in ELEMENTS.iter().enumerate() {
            cols.push((name, h.corona_elements[r][e]));
        }
        for (col, v) in cols {
            worst_c = worst_c.max(rel(v, c.f64(r, col), 1e-300));
        }
    }
    println!("corona: max relative difference {worst_c:e}");
    let s = intermediates("tng", "ssp_inputs_per_step.csv");
    let mut worst_s = 0.0f64;
    for r in 0..s.rows.len() {
        let (z, fr) = &ev.ssp_inputs[r];
        worst_s = worst_s.max(rel(*z, s.f64(r, "z"), 1e-300));
        for (e, name) in ELEMENTS.iter().enumerate() {
            worst_s = worst_s.max(rel(fr[e], s.f64(r, &format!("frac_{name}")), 1e-300));
        }
    }
    println!("SSP inputs: max relative difference {worst_s:e}");
    assert!(worst < 1e-12 && worst_c < 1e-12 && worst_s < 1e-12);
}
