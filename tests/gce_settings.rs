//! Model settings: the `chempy_multi_2019` preset (cosmic accretion 1e-6 per unit SFR)
//! reproduces the noiseless abundances of the bundled catalog `mock_chempy_tng.csv`; the
//! reference settings do not.

mod gce_util;

use galchem::catalog::Table;
use galchem::gce::{ModelSettings, Params};
use galchem::infer::catalog::table_input::CATALOG_TRUE_COLUMNS as TRUE;
use gce_util::{data, tng};

/// Stars 0–2 of `catalogs/mock_chempy_tng.csv`: the true birth time (Gyr, from the catalog),
/// and local parameters (log10 SFE, log10 SFR peak, x_out) found by a Nelder–Mead least-squares
/// fit of the 2019 simulator to the star's `true_*` abundances at Λ = (−2.3, −2.89)
/// (`tests/infer_diagnose.rs`, `mock_true_abundances_vs_simulator`; rms 1.4e-9, 1.5e-9,
/// 1.1e-9 dex).
const STARS: [(usize, [f64; 3]); 3] = [
    (
        0,
        [
            -0.41679730819062655,
            0.5214759015274368,
            0.46475878470262777,
        ],
    ),
    (
        1,
        [-0.7153760783840657, 0.6241159692856376, 0.5523408967056095],
    ),
    (
        2,
        [-0.02282246726035635, 0.6598194634142494, 0.6346986882856787],
    ),
];

/// (true abundances, true birth time) of each catalog row.
fn catalog_rows() -> Vec<([f64; 8], f64)> {
    let table = Table::read_csv(data().join("catalogs/mock_chempy_tng.csv")).unwrap();
    let truth = table.matrix(&TRUE).unwrap();
    let time = table.column_f64("true_time").unwrap();
    truth
        .rows()
        .into_iter()
        .zip(time)
        .map(|(r, t)| (std::array::from_fn(|j| r[j]), t))
        .collect()
}

fn max_misfit(settings: ModelSettings) -> f64 {
    let sim = tng().with_settings(settings).unwrap();
    let rows = catalog_rows();
    let mut worst: f64 = 0.0;
    for (i, local) in STARS {
        let (truth, t) = rows[i];
        let p = Params::from_array([-2.3, -2.89, local[0], local[1], local[2], t]);
        let x = sim.simulate(&p).unwrap();
        for j in 0..8 {
            worst = worst.max((x[j] - truth[j]).abs());
        }
    }
    worst
}

#[test]
fn the_2019_preset_reproduces_mock_chempy_tng() {
    let d2019 = max_misfit(ModelSettings::CHEMPY_MULTI_2019);
    assert!(d2019 < 2e-8, "2019 preset misfit {d2019:e} dex");
    let reference = max_misfit(ModelSettings::default());
    assert!(reference > 1e-3, "reference misfit {reference:e} dex");
}

#[test]
fn settings_change_the_run_and_are_validated() {
    let p = Params::prior_means(8.0);
    let a = tng().simulate(&p).unwrap();
    let b = tng()
        .with_settings(ModelSettings::CHEMPY_MULTI_2019)
        .unwrap()
        .simulate(&p)
        .unwrap();
    assert!(a.iter().zip(&b).any(|(x, y)| (x - y).abs() > 1e-3));
    // The default settings give exactly the reference simulator.
    let c = tng()
        .with_settings(ModelSettings::default())
        .unwrap()
        .simulate(&p)
        .unwrap();
    assert_eq!(a, c);
    let bad = ModelSettings {
        sfr_factor_for_cosmic_accretion: -0.5,
    };
    let e = tng().with_settings(bad).unwrap_err();
    assert!(
        e.to_string().contains("sfr_factor_for_cosmic_accretion"),
        "{e}"
    );
}
