//! The hierarchical model of a star catalog through a CHEMPY emulator (spec B.3): which rows
//! are used, their observed abundances and errors, their ages, and the priors.
//!
//! Priors (physical units; second number = standard deviation):
//!
//! | parameter | prior | transform |
//! |---|---|---|
//! | α_IMF | N(−2.3, 0.3) | none |
//! | log10 N_Ia | N(−2.89, 0.3); `paper`: N(−2.75, 0.3) (the reference code, spec B.3) | none |
//! | log10 SFE | N(−0.3, 0.3) | none |
//! | log10 SFR_peak | N(0.55, 0.1) truncated below at 0.294 | log(x − 0.294) |
//! | x_out | N(0.5, 0.1) on [0, 1] | interval |
//! | birth time | N(obs_time, obs_time_err²) on [1, 13.8] Gyr with ages; U(1, 13.8) without | interval |
//! | ε_j (model error) | HalfCauchy(0.01 dex), shared by all stars | log |

use super::coord::Coord;
use super::density::HierModel;
use super::error::BaselineError;
use crate::catalog::Table;
use crate::error::TooFewRows;
use crate::gce::{ABUNDANCE_NAMES, MAX_BIRTH_TIME, PARAM_NAMES, SFR_PEAK_MIN};
use crate::infer::catalog::observe::validate;
use crate::infer::catalog::table_input::{
    ColumnMap, ObservationTable, CATALOG_ERROR_COLUMNS, CATALOG_VALUE_COLUMNS,
};
use crate::model::{Differentiable, Marginal, NoiseModel, Prior};
use ndarray::{Array2, Axis};

/// The catalog columns of the observed ages and their errors (Gyr).
pub const AGE_COLUMNS: [&str; 2] = ["obs_time", "obs_time_err"];

/// The log10 N_Ia prior mean of the reference HMC code (spec B.3, `paper`).
pub const PAPER_LOG10_N_IA_MEAN: f64 = -2.75;

/// The HalfCauchy scale of the model errors (dex, spec B.3).
pub const MODEL_ERROR_SCALE: f64 = 0.01;

/// The birth-time interval of the hierarchical model (Gyr, spec B.3).
pub const BIRTH_RANGE: (f64, f64) = (1.0, MAX_BIRTH_TIME);

/// How a catalog becomes a hierarchical model.
#[derive(Debug, Clone, PartialEq)]
pub struct HierOptions {
    /// Use this many usable rows (all when `None`).
    pub n_stars: Option<usize>,
    /// Skip this many usable rows first (disjoint blocks of stars, spec B.4).
    pub first: usize,
    /// A model error per element shared by all stars, ~ HalfCauchy(0.01 dex).
    pub model_error: bool,
    /// Birth-time priors around the observed ages: `Some(true)` requires them,
    /// `Some(false)` ignores them, `None` uses them when the catalog has them.
    pub ages: Option<bool>,
    /// The reference code's prior mean of log10 N_Ia, −2.75 (spec B.3), instead of −2.89.
    pub paper: bool,
}

impl Default for HierOptions {
    fn default() -> Self {
        HierOptions {
            n_stars: None,
            first: 0,
            model_error: true,
            ages: None,
            paper: false,
        }
    }
}

/// The stars of a catalog that enter the model.
#[derive(Debug, Clone, PartialEq)]
pub struct StarData {
    /// Catalog rows used (0-based), ascending.
    pub rows: Vec<usize>,
    /// Observed abundances `(n, n_outputs)` (dex), in the simulator's output order.
    pub obs: Array2<f64>,
    /// Their errors `(n, n_outputs)` (dex).
    pub sigma: Array2<f64>,
    /// Observed ages and their errors (Gyr), one each per star, when used.
    pub ages: Option<(Vec<f64>, Vec<f64>)>,
    /// Usable rows of the catalog.
    pub n_usable: usize,
    /// Notes for the user (e.g. errors assumed because the catalog has none).
    pub warnings: Vec<String>,
}

/// The prior of the hierarchical model over CHEMPY's parameters (table above).
pub fn hier_prior(paper: bool) -> Prior {
    let mut p = Prior::paper().truncate_sfr_peak(SFR_PEAK_MIN);
    if paper {
        p = replace(p, 1, PAPER_LOG10_N_IA_MEAN);
    }
    p.birth_range(BIRTH_RANGE.0, BIRTH_RANGE.1)
}

fn replace(p: Prior, i: usize, mean: f64) -> Prior {
    let mut m = p.marginals().to_vec();
    if let Marginal::Normal { std, .. } = m[i] {
        m[i] = Marginal::Normal { mean, std };
    }
    Prior::new(p.space().clone(), m).unwrap_or(p)
}

/// Checks that `sim` has CHEMPY's six inputs and outputs the catalog layout knows; returns
/// the catalog column of every output.
pub fn check_emulator(sim: &dyn Differentiable) -> Result<Vec<usize>, BaselineError> {
    let names = sim.space().names();
    if names != PARAM_NAMES {
        return Err(BaselineError::Input(format!(
            "{} takes the inputs {}; the hierarchical model of a catalog needs an emulator of \
             CHEMPY's {}",
            sim.describe(),
            names.join(", "),
            PARAM_NAMES.join(", ")
        )));
    }
    sim.output_names()
        .iter()
        .map(|o| {
            ABUNDANCE_NAMES.iter().position(|a| a == o).ok_or_else(|| {
                BaselineError::Input(format!(
                    "{} predicts '{o}', which is not one of the catalog's abundances ({})",
                    sim.describe(),
                    ABUNDANCE_NAMES.join(", ")
                ))
            })
        })
        .collect()
}

/// The stars of `table` for a model through `sim` (see [`HierOptions`]).
pub fn star_data(
    table: &Table,
    sim: &dyn Differentiable,
    opts: &HierOptions,
) -> Result<StarData, BaselineError> {
    let cols = check_emulator(sim)?;
    let use_ages = match opts.ages {
        Some(true) if !AGE_COLUMNS.iter().all(|c| table.has_column(c)) => {
            return Err(BaselineError::Input(format!(
                "ages: true, but the catalog has no ages (columns {}); give ages: false for a \
                 uniform birth-time prior",
                AGE_COLUMNS.join(" and ")
            )))
        }
        Some(a) => a,
        None => AGE_COLUMNS.iter().all(|c| table.has_column(c)),
    };
    let map = ColumnMap {
        values: cols
            .iter()
            .map(|&c| CATALOG_VALUE_COLUMNS[c].to_string())
            .collect(),
        errors: cols
            .iter()
            .all(|&c| table.has_column(CATALOG_ERROR_COLUMNS[c]))
            .then(|| {
                cols.iter()
                    .map(|&c| CATALOG_ERROR_COLUMNS[c].to_string())
                    .collect()
            }),
        label: None,
        flags: None,
        sentinel: None,
    };
    let obs = ObservationTable::from_table(table, &map)?;
    let mut rows = validate(&obs.view(), sim.output_names())?.rows;
    let ages = if use_ages {
        let (t, e) = (
            table.column_f64(AGE_COLUMNS[0])?,
            table.column_f64(AGE_COLUMNS[1])?,
        );
        rows.retain(|&r| t[r].is_finite() && e[r].is_finite() && e[r] > 0.0);
        Some((t, e))
    } else {
        None
    };
    select_rows(obs, rows, ages, opts)
}

fn select_rows(
    obs: ObservationTable,
    rows: Vec<usize>,
    ages: Option<(Vec<f64>, Vec<f64>)>,
    opts: &HierOptions,
) -> Result<StarData, BaselineError> {
    let n_usable = rows.len();
    let want = opts.n_stars.unwrap_or(n_usable.saturating_sub(opts.first));
    if want == 0 || opts.first + want > n_usable {
        return Err(TooFewRows {
            what: format!(
                "the hierarchical model of {want} stars after skipping {} (the catalog has {} \
                 rows, {n_usable} usable)",
                opts.first,
                obs.values.nrows()
            ),
            found: n_usable.saturating_sub(opts.first),
            needed: want.max(1),
        }
        .into());
    }
    let rows: Vec<usize> = rows[opts.first..opts.first + want].to_vec();
    let mut warnings = vec![];
    let sigma = match &obs.errors {
        Some(e) => e.select(Axis(0), &rows),
        None => {
            let s = NoiseModel::paper().sigma;
            warnings.push(format!(
                "the catalog has no error columns ({}, …): assumed σ = {} dex",
                CATALOG_ERROR_COLUMNS[0], s[0]
            ));
            Array2::from_shape_fn((rows.len(), obs.values.ncols()), |(_, j)| s[j % s.len()])
        }
    };
    let ages = ages.map(|(t, e)| {
        (
            rows.iter().map(|&r| t[r]).collect(),
            rows.iter().map(|&r| e[r]).collect(),
        )
    });
    Ok(StarData {
        obs: obs.values.select(Axis(0), &rows),
        sigma,
        ages,
        rows,
        n_usable,
        warnings,
    })
}

/// The hierarchical model of `stars` through the CHEMPY emulator `sim`.
pub fn chempy_model<'a>(
    sim: &'a dyn Differentiable,
    stars: &StarData,
    opts: &HierOptions,
) -> Result<HierModel<'a>, BaselineError> {
    check_emulator(sim)?;
    let prior = hier_prior(opts.paper);
    let eps = opts.model_error.then_some(MODEL_ERROR_SCALE);
    let model = HierModel::new(sim, &prior, stars.obs.view(), stars.sigma.view(), eps)?;
    match &stars.ages {
        None => Ok(model),
        Some((t, e)) => {
            let coords: Vec<Coord> = t
                .iter()
                .zip(e)
                .map(|(&m, &s)| Coord::normal(m, s, BIRTH_RANGE.0, BIRTH_RANGE.1))
                .collect();
            model.with_local_priors("birth_time", &coords)
        }
    }
}
