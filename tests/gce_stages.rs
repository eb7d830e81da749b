//! Stage tests: every intermediate of CHEMPY in `reference/intermediates_*` reproduced by the
//! port (yield tables, IMF, lifetimes, SFR grid, SSP tables, ISM evolution, corona,
//! abundances, trajectories).

mod gce_util;

use galchem::gce::config::ELEMENTS;
use galchem::gce::yields::ProcessYields;
use galchem::gce::Chempy;
use gce_util::{alt, reference, reference_dir, rel, tng, Table};

fn intermediates(set: &str, file: &str) -> Table {
    Table::read(
        &reference_dir()
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
    let path = reference_dir()
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
            assert!(max < 1e-12, "{set} {file}: {w:?}");
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

#[test]
fn imf_on_the_mass_grid() {
    let grid = tng().mass_grid();
    let t = intermediates("tng", "imf_chabrier_tng_alpha-2.3.csv");
    let imf = galchem::gce::imf::Imf::exact(grid, -2.3);
    let mut worst = 0.0f64;
    for r in 0..t.rows.len() {
        let i: usize = t.str(r, "index").parse().unwrap();
        worst = worst.max(rel(grid.x[i], t.f64(r, "x"), 1e-300));
        worst = worst.max(rel(imf.dn[i], t.f64(r, "dn"), 1e-300));
        worst = worst.max(rel(imf.dm[i], t.f64(r, "dm"), 1e-300));
    }
    let s = intermediates("tng", "imf_samples_other_slopes.csv");
    for r in 0..s.rows.len() {
        let imf = galchem::gce::imf::Imf::exact(grid, s.f64(r, "alpha_imf"));
        let i: usize = s.str(r, "index").parse().unwrap();
        worst = worst.max(rel(imf.dn[i], s.f64(r, "dn"), 1e-300));
        worst = worst.max(rel(imf.dm[i], s.f64(r, "dm"), 1e-300));
    }
    println!("IMF: max relative difference {worst:e}");
    assert!(worst < 1e-13, "{worst}");
}

#[test]
fn portinari_lifetimes() {
    let t = intermediates("tng", "lifetimes_portinari.csv");
    let law = tng().lifetimes();
    let mut worst = 0.0f64;
    for r in 0..t.rows.len() {
        let tau = law.lifetime(t.f64(r, "mass"), t.f64(r, "Z"));
        worst = worst.max(rel(tau, t.f64(r, "lifetime_gyr"), 1e-300));
    }
    println!("lifetimes: max relative difference {worst:e}");
    assert!(worst < 1e-14, "{worst}");
}

#[test]
fn solar_reference() {
    let t = intermediates("tng", "solar_abundances_asplund09.csv");
    let solar = tng().solar();
    for (e, name) in ELEMENTS.iter().enumerate() {
        let r = (0..t.rows.len())
            .find(|&r| t.str(r, "Symbol") == *name)
            .unwrap();
        assert_eq!(solar.atomic_mass[e], t.f64(r, "Mass"), "{name}");
        assert_eq!(solar.log_eps[e], t.f64(r, "photospheric"), "{name}");
    }
}

#[test]
fn time_grid_sfr_and_infall_of_the_full_run() {
    let ev = prior_mean_evolution();
    let t = intermediates("tng", "time_sfr_infall.csv");
    let mut worst = 0.0f64;
    for r in 0..t.rows.len() {
        worst = worst.max(rel(ev.grid.time[r], t.f64(r, "time"), 1e-300));
        worst = worst.max(rel(ev.grid.sfr[r], t.f64(r, "sfr_normalised"), 1e-300));
        worst = worst.max(rel(ev.history.infall[r], t.f64(r, "infall_used"), 1e-300));
    }
    println!("time/SFR/infall: max relative difference {worst:e}");
    assert!(worst < 1e-13, "{worst}");
    assert_eq!(ev.grid.rescaling, 1.0);
}

#[test]
fn shortened_grid_for_birth_at_8_gyr() {
    let p = galchem::gce::Params::prior_means(8.0);
    let ev = tng().evolution(&p, 8.0).unwrap();
    let path = reference_dir().join("intermediates_tng/single_time_birth8_grid.csv");
    let header = std::fs::read_to_string(&path).unwrap();
    let field = |key: &str| -> f64 {
        let s = header.split(&format!("{key}=")).nth(1).unwrap();
        s.split([' ', ';']).next().unwrap().parse().unwrap()
    };
    assert_eq!(ev.grid.time.len(), 28);
    assert!(rel(ev.grid.formed, field("total_mass"), 1e-300) < 1e-14);
    assert!(rel(ev.grid.rescaling, field("shortened_sfr_rescaling"), 1e-300) < 1e-14);
    let t = Table::read(&path);
    let h = &ev.history;
    let mut worst = 0.0f64;
    for r in 0..t.rows.len() {
        for (c, v) in [
            ("time", h.time[r]),
            ("sfr_normalised", h.sfr[r]),
            ("infall_used", h.infall[r]),
            ("gas", h.gas[r]),
            ("stars", h.stars[r]),
            ("Z", h.z[r]),
        ] {
            worst = worst.max(rel(v, t.f64(r, c), 1e-300));
        }
    }
    println!("birth-8 grid: max relative difference {worst:e}");
    assert!(worst < 1e-12, "{worst}");
    // the birth abundances printed in the header, through the fast path
    let out: Vec<f64> = header
        .lines()
        .next()
        .unwrap()
        .rsplit("= ")
        .next()
        .unwrap()
        .split(';')
        .map(|s| s.trim().parse().unwrap())
        .collect();
    let x = tng().simulate(&p).unwrap();
    let expect = [
        out[0], out[1], out[3], out[4], out[5], out[6], out[7], out[8],
    ];
    for (a, b) in x.iter().zip(expect) {
        assert!((a - b).abs() < 1e-12, "{a} vs {b}");
    }
}

#[test]
fn abundances_at_every_step() {
    let ev = prior_mean_evolution();
    let t = intermediates("tng", "abundances_all_steps.csv");
    let mut worst = 0.0f64;
    for r in 0..t.rows.len() {
        for (e, name) in ELEMENTS.iter().enumerate() {
            let (a, b) = (ev.abundances[r][e], t.f64(r, name));
            if b.is_infinite() {
                assert_eq!(a, b, "step {r} {name}");
            } else {
                worst = worst.max((a - b).abs());
            }
        }
    }
    println!("abundances at all steps: max |difference| {worst:e} dex");
    assert!(worst < 1e-12, "{worst}");
}

#[test]
fn ssp_tables_of_the_run() {
    let grid = default_grid();
    for (file, step) in [
        ("ssp_feedback_run_birthstep00.csv", 0),
        ("ssp_feedback_run_birthstep10.csv", 10),
    ] {
        let w = compare_ssp(tng(), "tng", file, &grid[..28 - step]);
        let max = w.iter().map(|x| x.1).fold(0.0, f64::max);
        println!("{file}: max relative difference {max:e}");
        assert!(max < 1e-12, "{w:?}");
    }
}

#[test]
fn trajectories_and_multi_timestep_output() {
    let t = Table::read(&reference("trajectories_tng.csv"));
    let mut worst = 0.0f64;
    let mut sets = std::collections::BTreeMap::new();
    for r in 0..t.rows.len() {
        let id: usize = t.str(r, "set_id").parse().unwrap();
        sets.entry(id).or_insert_with(|| t.params(r));
    }
    for (id, p) in sets {
        let traj = tng().trajectory(&p).unwrap();
        assert_eq!(traj.time.len(), 27);
        for r in (0..t.rows.len()).filter(|&r| t.str(r, "set_id") == id.to_string()) {
            let time = t.f64(r, "time");
            let k = traj
                .time
                .iter()
                .position(|&x| x == time)
                .expect("time on the grid");
            let el = t.str(r, "element");
            let v = t.f64(r, "value");
            let ours = match el {
                "H" => -traj.abundances[k][1],
                _ => {
                    let i = gce_util::REF_COLUMNS.iter().position(|c| *c == el).unwrap();
                    traj.abundances[k][i]
                }
            };
            worst = worst.max((ours - v).abs());
        }
    }
    let m = intermediates("tng", "multi_timestep_output.csv");
    let traj = tng()
        .trajectory(&galchem::gce::Params::prior_means(0.0))
        .unwrap();
    for r in 0..m.rows.len() {
        assert_eq!(traj.time[r], m.f64(r, "time"));
        for (i, c) in gce_util::REF_COLUMNS.iter().enumerate() {
            worst = worst.max((traj.abundances[r][i] - m.f64(r, c)).abs());
        }
    }
    println!("trajectories: max |difference| {worst:e} dex");
    assert!(worst < 1e-11, "{worst}");
}

#[test]
fn fast_path_agrees_with_exact_mode() {
    for (sim, birth) in [(tng(), 3.3), (tng(), 11.9), (alt(), 6.1), (alt(), 13.8)] {
        let p = galchem::gce::Params {
            alpha_imf: -2.6,
            log10_n_ia: -3.1,
            ..galchem::gce::Params::prior_means(birth)
        };
        let x = sim.simulate(&p).unwrap();
        let ev = sim.evolution(&p, birth).unwrap();
        let all = ev.abundances.last().unwrap();
        let exact = galchem::gce::abundances::output(all);
        for (a, b) in x.iter().zip(exact) {
            assert!((a - b).abs() < 1e-11, "{a} {b}");
        }
    }
}
