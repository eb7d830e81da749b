//! The result of a catalog inference as script values: the summary map of `infer`, with
//! per-star, running-combination and sample tables.

use super::convert::{float_array, rt, RhaiResult};
use crate::catalog::{ColumnData, Table};
use crate::infer::CatalogInference;
#[allow(unused_imports)]
use rhai::{Array, Dynamic, Map, FLOAT, INT};

/// The result of `infer` as a script map.
pub fn inference_map(r: &CatalogInference) -> RhaiResult<Map> {
    let c = &r.combined;
    let mut m = Map::new();
    let f = |v: f64| Dynamic::from_float(v);
    m.insert("n_stars".into(), Dynamic::from_int(c.n_stars as INT));
    for (j, name) in r.global_names.iter().enumerate() {
        m.insert(format!("{name}_mean").into(), f(c.mean[j]));
        m.insert(format!("{name}_sd").into(), f(c.sd[j]));
    }
    m.insert("mean".into(), Dynamic::from_array(float_array(&c.mean)));
    m.insert(
        "cov".into(),
        Dynamic::from_array(
            c.cov
                .iter()
                .map(|r| Dynamic::from_array(float_array(r)))
                .collect(),
        ),
    );
    m.insert("method".into(), Dynamic::from(c.method.name().to_string()));
    m.insert("seconds".into(), f(r.seconds));
    m.insert("n_rows".into(), Dynamic::from_int(r.n_rows as INT));
    m.insert("mean_acceptance".into(), f(r.mean_acceptance));
    m.insert(
        "samples_per_star".into(),
        Dynamic::from_int(r.samples_per_star as INT),
    );
    let skipped: Array = r
        .skipped
        .iter()
        .map(|s| {
            let mut e = Map::new();
            e.insert("row".into(), Dynamic::from_int(s.row as INT));
            e.insert(
                "label".into(),
                s.label.clone().map(Dynamic::from).unwrap_or(Dynamic::UNIT),
            );
            e.insert("reason".into(), Dynamic::from(s.to_string()));
            Dynamic::from_map(e)
        })
        .collect();
    m.insert("skipped".into(), Dynamic::from_array(skipped));
    m.insert(
        "warnings".into(),
        Dynamic::from_array(r.warnings.iter().cloned().map(Dynamic::from).collect()),
    );
    if let (Some(sim), Some(ess)) = (&r.refined_with, r.median_ess) {
        m.insert("refined_with".into(), Dynamic::from(sim.clone()));
        m.insert("median_ess".into(), f(ess));
    }
    m.insert("stars".into(), Dynamic::from(stars_table(r)?));
    m.insert("running".into(), Dynamic::from(running_table(r)?));
    if let Some(s) = &r.samples {
        m.insert("samples".into(), Dynamic::from(samples_table(r, s)?));
    }
    Ok(m)
}

/// Per-star summaries: row, label, mean and sd of every parameter, acceptance.
fn stars_table(r: &CatalogInference) -> RhaiResult<Table> {
    let mut cols = vec![(
        "row".to_string(),
        ColumnData::Int(r.stars.iter().map(|s| s.row as i64).collect()),
    )];
    if r.stars.iter().any(|s| s.label.is_some()) {
        cols.push((
            "label".into(),
            ColumnData::Text(
                r.stars
                    .iter()
                    .map(|s| s.label.clone().unwrap_or_default())
                    .collect(),
            ),
        ));
    }
    for (j, name) in r.param_names.iter().enumerate() {
        cols.push((
            format!("{name}_mean"),
            ColumnData::Float(r.stars.iter().map(|s| s.mean[j]).collect()),
        ));
        cols.push((
            format!("{name}_sd"),
            ColumnData::Float(r.stars.iter().map(|s| s.sd[j]).collect()),
        ));
        cols.push((
            format!("{name}_q16"),
            ColumnData::Float(r.stars.iter().map(|s| s.quantiles[j][1]).collect()),
        ));
        cols.push((
            format!("{name}_q84"),
            ColumnData::Float(r.stars.iter().map(|s| s.quantiles[j][3]).collect()),
        ));
    }
    cols.push((
        "acceptance".into(),
        ColumnData::Float(r.stars.iter().map(|s| s.acceptance).collect()),
    ));
    if r.refined_with.is_some() {
        cols.push((
            "ess".into(),
            ColumnData::Float(r.stars.iter().map(|s| s.ess.unwrap_or(f64::NAN)).collect()),
        ));
    }
    Table::from_columns(cols).map_err(rt)
}

/// The combination of the first n stars for n = 1 … N (paper Fig. 5).
fn running_table(r: &CatalogInference) -> RhaiResult<Table> {
    let p = &r.running;
    let mut cols = vec![(
        "n_stars".to_string(),
        ColumnData::Int(p.iter().map(|x| x.n_stars as i64).collect()),
    )];
    for (j, name) in r.global_names.iter().enumerate() {
        cols.push((format!("{name}_mean"), ColumnData::Float(p.iter().map(|x| x.mean[j]).collect())));
        cols.push((format!("{name}_sd"), ColumnData::Float(p.iter().map(|x| x.sd[j]).collect())));
    }
    cols.push((
        "error".into(),
        ColumnData::Text(p.iter().map(|x| x.error.clone().unwrap_or_default()).collect()),
    ));
    Table::from_columns(cols).map_err(rt)
}

/// Every star's draws in long form: star row, then the parameters (and `weight` when the
/// draws are importance weighted).
fn samples_table(r: &CatalogInference, draws: &[crate::stats::Draws]) -> RhaiResult<Table> {
    let rows: Vec<i64> = r
        .stars
        .iter()
        .zip(draws)
        .flat_map(|(st, d)| std::iter::repeat_n(st.row as i64, d.n()))
        .collect();
    let mut cols = vec![("row".to_string(), ColumnData::Int(rows))];
    for (j, name) in r.param_names.iter().enumerate() {
        cols.push((
            name.clone(),
            ColumnData::Float(draws.iter().flat_map(|d| d.column(j).to_vec()).collect()),
        ));
    }
    if draws.iter().any(|d| d.is_weighted()) {
        cols.push((
            "weight".into(),
            ColumnData::Float(draws.iter().flat_map(|d| (0..d.n()).map(|k| d.weight(k))).collect()),
        ));
    }
    Table::from_columns(cols).map_err(rt)
}
