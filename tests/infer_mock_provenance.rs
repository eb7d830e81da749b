//! The bundled `catalogs/mock_chempy_tng.csv` is recovered by a posterior trained on the
//! simulator that made it (ChempyMulti 2019: cosmic accretion 1e-6 per unit SFR), and not by one
//! trained on the reference CHEMPY: a reduced-size version of the catalog criterion
//! (2 × 10⁴ simulations, the first 300 stars). The full-size check is `tests/infer_quality.rs`.

use galchem::catalog::Table;
use galchem::data::DataDir;
use galchem::gce::{Chempy, ModelSettings, YieldSet};
use galchem::infer::catalog::table_input::CATALOG_VALUE_COLUMNS as OBS;
use galchem::infer::{infer_catalog, train_npe, InferOptions, NpeOptions, Observations};
use galchem::model::Prior;

/// Distances (in combined σ) of the combined estimate of the first 300 stars from the truth
/// (−2.3, −2.89), for a posterior trained on 2 × 10⁴ simulations of `sim`.
fn z_scores(sim: &Chempy, data: &DataDir) -> [f64; 2] {
    let prior = Prior::paper().birth_range(2.0, 12.8);
    let opts = NpeOptions {
        n_sims: 20_000,
        seed: 3,
        ..Default::default()
    };
    let (post, _) = train_npe(&prior, sim, &opts).unwrap();
    let table = Table::read_csv(data.join("catalogs/mock_chempy_tng.csv")).unwrap();
    let values = table.matrix(&OBS).unwrap();
    let obs = Observations::new(values.view());
    let o = InferOptions {
        n_stars: Some(300),
        ..Default::default()
    };
    let c = infer_catalog(&post, &obs, &o).unwrap().combined;
    [(c.mean[0] + 2.3) / c.sd[0], (c.mean[1] + 2.89) / c.sd[1]]
}

#[test]
fn the_mock_is_recovered_with_the_simulator_that_made_it() {
    let data = DataDir::resolve(None).unwrap();
    let reference = Chempy::load(&data, YieldSet::Tng).unwrap();
    let made_it = reference
        .with_settings(ModelSettings::CHEMPY_MULTI_2019)
        .unwrap();
    let z = z_scores(&made_it, &data);
    println!("2019 preset: z = {z:?}");
    assert!(z.iter().all(|v| v.abs() < 3.0), "2019 preset: z = {z:?}");
    let z_ref = z_scores(&reference, &data);
    println!("reference: z = {z_ref:?}");
    assert!(z_ref[0] > 3.5, "reference: z = {z_ref:?}");
}
