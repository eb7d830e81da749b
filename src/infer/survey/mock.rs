//! Survey-like mock catalogs made with a simulator: stars of one galaxy (the global
//! parameters fixed, the local ones drawn from the prior), every value with its own error
//! drawn uniformly from a range, some elements missing for some stars and some values
//! flagged, written in a catalog layout ([`ColumnPreset`]).
//!
//! Seeds: θ `derive(seed, k)` for round k, errors, noise, gaps and flags `derive(seed, 1000)`.

use crate::catalog::{ColumnData, Table};
use crate::error::Vocabulary;
use crate::infer::catalog::ColumnPreset;
use crate::infer::error::InferError;
use crate::model::{Prior, Simulator};
use crate::rng::derive;
use ndarray::{concatenate, Array2, Axis};
use rand::Rng;
use serde::{Deserialize, Serialize};

/// What a mock catalog looks like.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MockOptions {
    /// Number of stars.
    pub n_stars: usize,
    /// The global parameters of the galaxy (default the paper's truth −2.3, −2.89).
    pub globals: Vec<f64>,
    /// Errors drawn uniformly from `[low, high]` dex for every value.
    pub errors: [f64; 2],
    /// Per observable, the fraction of stars that lack it (e.g. `("N_Fe", 0.2)`).
    pub missing: Vec<(String, f64)>,
    /// Fraction of the remaining values whose quality flag is set (their value is kept).
    pub flagged: f64,
    /// Seed.
    pub seed: u64,
}

impl Default for MockOptions {
    fn default() -> Self {
        MockOptions {
            n_stars: 1000,
            globals: crate::paper::TRUTH_CHEMPY_TNG.to_vec(),
            errors: [0.05, 0.05],
            missing: Vec::new(),
            flagged: 0.0,
            seed: crate::rng::DEFAULT_SEED,
        }
    }
}

/// θ `(n, dim)` with the global parameters fixed and x `(n, k)` of successful runs.
fn simulate_stars(
    sim: &dyn Simulator,
    prior: &Prior,
    o: &MockOptions,
) -> Result<(Array2<f64>, Array2<f64>), InferError> {
    let globals = prior.space().global_indices();
    if globals.len() != o.globals.len() || o.globals.iter().any(|g| !g.is_finite()) {
        return Err(InferError::option(
            "globals",
            format!("{:?}", o.globals),
            format!("needs {} finite values", globals.len()),
        ));
    }
    let (mut th, mut xs) = (Vec::new(), Vec::new());
    let mut have = 0;
    for round in 0..100u64 {
        let mut theta = prior.sample(2 * (o.n_stars - have) + 16, derive(o.seed, round));
        for (g, &j) in globals.iter().enumerate() {
            theta.column_mut(j).fill(o.globals[g]);
        }
        let runs = sim.simulate(theta.view())?;
        let keep: Vec<usize> = (0..theta.nrows())
            .filter(|&i| runs.ok(i) && runs.x.row(i).iter().all(|v| v.is_finite()))
            .take(o.n_stars - have)
            .collect();
        have += keep.len();
        th.push(theta.select(Axis(0), &keep));
        xs.push(runs.x.select(Axis(0), &keep));
        if have == o.n_stars {
            let v = |a: &[Array2<f64>]| {
                concatenate(Axis(0), &a.iter().map(|x| x.view()).collect::<Vec<_>>())
            };
            let bad =
                |e: ndarray::ShapeError| InferError::option("n_stars", o.n_stars, e.to_string());
            return Ok((v(&th).map_err(bad)?, v(&xs).map_err(bad)?));
        }
    }
    Err(InferError::option(
        "n_stars",
        o.n_stars,
        "too few simulations succeeded",
    ))
}

/// The column of observable `name`'s noiseless value: `true_CFe` in the layout of the bundled
/// catalogs (`default`, `chempy_npz`), `true_C_Fe` in a survey's.
fn true_column(preset: ColumnPreset, name: &str) -> String {
    match preset {
        ColumnPreset::Default | ColumnPreset::ChempyNpz => {
            format!("true_{}", name.replace('_', ""))
        }
        _ => format!("true_{name}"),
    }
}

/// A mock catalog of `o.n_stars` stars of `sim` (θ from `prior` with the globals fixed) in
/// the layout `preset`: label, value, error and (for layouts with flags) flag columns of
/// every observable, then the true values and parameters (`true_CFe` or `true_C_Fe` by
/// layout, `true_<param>`).
/// Missing values are NaN with a NaN error.
pub fn mock_catalog(
    sim: &dyn Simulator,
    prior: &Prior,
    o: &MockOptions,
    preset: ColumnPreset,
) -> Result<Table, InferError> {
    if o.n_stars == 0 || !(o.errors[0] > 0.0 && o.errors[1] >= o.errors[0]) {
        return Err(InferError::option(
            "errors",
            format!("{:?}", o.errors),
            "needs n_stars > 0 and 0 < low <= high",
        ));
    }
    let names = sim.output_names().to_vec();
    for (name, _) in &o.missing {
        if !names.contains(name) {
            return Err(InferError::option(
                "missing",
                name,
                format!("is not one of {}", names.join(", ")),
            ));
        }
    }
    let (theta, truth) = simulate_stars(sim, prior, o)?;
    let (n, k) = truth.dim();
    let mut rng = crate::rng::stream(derive(o.seed, 1000), 0);
    let (mut obs, mut err, mut flag) = (
        truth.clone(),
        Array2::zeros((n, k)),
        Array2::<i64>::zeros((n, k)),
    );
    for i in 0..n {
        for j in 0..k {
            let s = o.errors[0] + rng.gen::<f64>() * (o.errors[1] - o.errors[0]);
            let z: f64 = rand_distr::Distribution::sample(&rand_distr::StandardNormal, &mut rng);
            let gone = o
                .missing
                .iter()
                .any(|(m, p)| *m == names[j] && rng.gen::<f64>() < *p);
            err[[i, j]] = if gone { f64::NAN } else { s };
            obs[[i, j]] = if gone {
                f64::NAN
            } else {
                truth[[i, j]] + s * z
            };
            flag[[i, j]] = (!gone && rng.gen::<f64>() < o.flagged) as i64;
        }
    }
    let mut cols = vec![(
        preset.label_column().to_string(),
        ColumnData::Text((0..n).map(|i| format!("mock-{i:05}")).collect()),
    )];
    for (j, name) in names.iter().enumerate() {
        cols.push((
            preset.value_column(name),
            ColumnData::Float(obs.column(j).to_vec()),
        ));
        cols.push((
            preset.error_column(name),
            ColumnData::Float(err.column(j).to_vec()),
        ));
        if let Some(f) = preset.flag_column(name) {
            cols.push((f, ColumnData::Int(flag.column(j).to_vec())));
        }
    }
    for (j, name) in names.iter().enumerate() {
        cols.push((
            true_column(preset, name),
            ColumnData::Float(truth.column(j).to_vec()),
        ));
    }
    for (j, p) in prior.space().names().iter().enumerate() {
        cols.push((
            format!("true_{p}"),
            ColumnData::Float(theta.column(j).to_vec()),
        ));
    }
    Table::from_columns(cols)
        .map_err(|e| InferError::option("mock catalog", "columns", e.to_string()))
}
