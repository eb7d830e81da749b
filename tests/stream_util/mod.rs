//! A small streamed-inference setup: an analytic posterior with two global parameters and a
//! catalog of a few blocks with unusable rows.

#![allow(dead_code)]

use galchem::catalog::{ColumnData, Table};
use galchem::infer::stream::{StreamRun, StreamSettings};
use galchem::infer::{ColumnMap, CombineMethod};
use galchem::model::{
    GaussianPosterior, LinearGaussian, Marginal, ParamSpace, Posterior, Prior, Simulator,
};
use ndarray::Array2;
use std::path::Path;

/// Two global parameters (g1, g2) and a local one, observed through four linear
/// combinations with 0.1 noise.
pub fn model() -> LinearGaussian {
    let space = ParamSpace::from_names(&["g1", "g2", "l"], &["g1", "g2"]).unwrap();
    let n = |mean, std| Marginal::Normal { mean, std };
    let prior = Prior::new(space, vec![n(0.0, 1.0), n(0.5, 0.8), n(0.0, 1.0)]).unwrap();
    let a = Array2::from_shape_fn((4, 3), |(i, j)| {
        ((i * 3 + j * 2) % 5) as f64 / 5.0 + if i == j { 1.0 } else { 0.0 }
    });
    LinearGaussian::new(prior, a, vec![0.0; 4], vec![0.1; 4]).unwrap()
}

/// The model's exact posterior.
pub fn posterior() -> GaussianPosterior {
    model().posterior()
}

/// A catalog of `n` stars sharing g = (0.3, 0.2), columns `star, x0 … x3`; every 997th row
/// has a NaN in x1 and row 5 an empty x2 (CSV) — unusable rows.
pub fn write_catalog(path: &Path, n: usize) {
    let m = model();
    let mut theta = m.prior().sample(n, 3);
    for mut row in theta.rows_mut() {
        row[0] = 0.3;
        row[1] = 0.2;
    }
    let mut x = m.simulate(theta.view()).unwrap().x;
    m.noise().add(&mut x, 4);
    for i in (0..n).step_by(997) {
        x[[i, 1]] = f64::NAN;
    }
    let mut cols = vec![(
        "star".to_string(),
        ColumnData::Text((0..n).map(|i| format!("s{i}")).collect()),
    )];
    for j in 0..4 {
        cols.push((format!("x{j}"), ColumnData::Float(x.column(j).to_vec())));
    }
    let t = Table::from_columns(cols).unwrap();
    t.write(path).unwrap();
    if path.extension().is_some_and(|e| e == "csv") && n > 5 {
        // an empty cell: a missing value
        let text = std::fs::read_to_string(path).unwrap();
        let mut lines: Vec<String> = text.lines().map(String::from).collect();
        let mut cells: Vec<String> = lines[6].split(',').map(String::from).collect();
        cells[3] = String::new();
        lines[6] = cells.join(",");
        std::fs::write(path, lines.join("\n") + "\n").unwrap();
    }
}

/// The columns of [`write_catalog`].
pub fn columns() -> ColumnMap {
    ColumnMap {
        values: (0..4).map(|j| format!("x{j}")).collect(),
        errors: None,
        label: Some("star".into()),
        flags: None,
        sentinel: None,
    }
}

/// Settings: 20 draws per star, seed 5, dividing the prior out.
pub fn settings(stars_out: Option<&Path>) -> StreamSettings {
    let mut meta = serde_json::Map::new();
    meta.insert("catalog".into(), "test".into());
    StreamSettings {
        n_stars: None,
        samples: 20,
        seed: 5,
        method: Some(CombineMethod::DividePrior),
        columns: columns(),
        stars_out: stars_out.map(|p| p.to_string_lossy().into_owned()),
        meta,
        systematic: None,
    }
}

/// A run of `post` on `catalog`.
pub fn run<'a>(
    post: &'a dyn Posterior,
    catalog: &'a Path,
    settings: StreamSettings,
) -> StreamRun<'a> {
    StreamRun {
        posterior: post,
        catalog,
        settings,
        refine: None,
    }
}
