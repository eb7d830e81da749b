//! Mock catalogs from any simulator: one galaxy's stars, sharing the global parameters and
//! each with its own local parameters from the prior, simulated and observed with Gaussian
//! errors. With a simulator other than the posterior's (`chempy("alternative")` for a
//! posterior trained on TNG yields) the mock is misspecified on purpose.
//!
//! Star i uses the random streams of simulation index i (as [`super::truths`]): its local
//! parameters from `stream(derive(seed, 10), i)`, redrawn while the simulator rejects the
//! run, its noise from `stream(derive(seed, 11), i)`.

use super::error::CalibError;
use super::truths::{run_chunks, stage};
use crate::catalog::{ColumnData, Table};
use crate::model::{Marginal, NoiseModel, Prior, Simulator};
use crate::rng::{derive, stream, Rng};
use ndarray::Array2;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

/// Settings of a mock catalog.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MockOptions {
    /// Number of stars.
    pub n: usize,
    /// Observational errors (dex), one per output; written to the `err_` columns.
    pub noise: NoiseModel,
    /// Values of the global parameters shared by all stars; `None` = the prior means.
    pub globals: Option<Vec<f64>>,
    /// Seed.
    pub seed: u64,
}

/// The catalog column of output `name`: `obs_` + the name without underscores (`C_Fe` →
/// `obs_CFe`, the bundled catalogs' layout).
pub fn column(prefix: &str, name: &str) -> String {
    format!("{prefix}_{}", name.replace('_', ""))
}

fn centre(m: &Marginal) -> f64 {
    match *m {
        Marginal::Normal { mean, .. } | Marginal::TruncatedNormal { mean, .. } => mean,
        Marginal::Uniform { low, high } => 0.5 * (low + high),
    }
}

/// A mock catalog of `opts.n` stars simulated with `sim`: columns `star`, `obs_<X>`,
/// `err_<X>`, `true_<X>` per output and `true_<param>` per parameter.
pub fn mock_catalog(
    sim: &dyn Simulator,
    prior: &Prior,
    opts: &MockOptions,
) -> Result<Table, CalibError> {
    let stars = mock_stars(sim, prior, opts)?;
    table(sim, prior, &stars, opts)
}

/// The stars of a mock catalog as arrays.
#[derive(Debug, Clone, PartialEq)]
pub struct MockStars {
    /// Parameters `(n, dim)`, simulated outputs `(n, n_out)` and observed outputs (with
    /// noise, same shape).
    pub theta: Array2<f64>,
    pub x: Array2<f64>,
    pub observed: Array2<f64>,
}

/// The stars of [`mock_catalog`], as arrays.
pub fn mock_stars(
    sim: &dyn Simulator,
    prior: &Prior,
    opts: &MockOptions,
) -> Result<MockStars, CalibError> {
    crate::ensure_option!(opts.n >= 1, "n", opts.n, "at least one star is needed");
    if prior.space().names() != sim.space().names() {
        return Err(CalibError::Mismatch {
            what: "parameters of the prior",
            posterior: prior.space().names().join(", "),
            simulator: sim.space().names().join(", "),
        });
    }
    let k = sim.output_names().len();
    opts.noise
        .validate(k)
        .map_err(|e| CalibError::option("noise", format!("{:?}", opts.noise.sigma), e))?;
    let g = prior.space().global_indices();
    let globals = opts
        .globals
        .clone()
        .unwrap_or_else(|| g.iter().map(|&j| centre(&prior.marginals()[j])).collect());
    crate::ensure_option!(
        globals.len() == g.len(),
        "globals",
        format!("{globals:?}"),
        format!("one value per global parameter ({})", g.len())
    );
    let draw = |rng: &mut Rng| -> Vec<f64> {
        let mut v: Vec<f64> = prior.marginals().iter().map(|m| m.sample(rng)).collect();
        g.iter().zip(&globals).for_each(|(&j, &x)| v[j] = x);
        v
    };
    let base = derive(opts.seed, stage::THETA);
    let mut rngs: Vec<Rng> = (0..opts.n).map(|i| stream(base, i as u64)).collect();
    let d = prior.dim();
    let mut theta = Array2::zeros((opts.n, d));
    let mut x = Array2::from_elem((opts.n, k), f64::NAN);
    let mut pending: Vec<usize> = (0..opts.n).collect();
    for _ in 0..100 {
        if pending.is_empty() {
            break;
        }
        let rows: Vec<Vec<f64>> = pending.iter().map(|&i| draw(&mut rngs[i])).collect();
        let block = Array2::from_shape_fn((rows.len(), d), |(r, c)| rows[r][c]);
        let out = run_chunks(sim, &block)?;
        let mut still = vec![];
        for (r, &i) in pending.iter().enumerate() {
            match &out[r] {
                Some(v) => {
                    theta.row_mut(i).assign(&block.row(r));
                    x.row_mut(i).iter_mut().zip(v).for_each(|(a, b)| *a = *b);
                }
                None => still.push(i),
            }
        }
        pending = still;
    }
    crate::ensure_option!(
        pending.is_empty(),
        "prior",
        "",
        "the simulator rejects (almost) every draw with these global parameters"
    );
    let observed = observe(&x, opts);
    Ok(MockStars { theta, x, observed })
}

/// `x` with the mock's Gaussian noise (star i's from its own stream).
fn observe(x: &Array2<f64>, opts: &MockOptions) -> Array2<f64> {
    let base = derive(opts.seed, stage::NOISE);
    let mut obs = x.clone();
    for (i, mut row) in obs.rows_mut().into_iter().enumerate() {
        let mut rng = stream(base, i as u64);
        for (v, s) in row.iter_mut().zip(&opts.noise.sigma) {
            let z: f64 = StandardNormal.sample(&mut rng);
            *v += s * z;
        }
    }
    obs
}

/// The catalog's columns.
fn table(
    sim: &dyn Simulator,
    prior: &Prior,
    stars: &MockStars,
    opts: &MockOptions,
) -> Result<Table, CalibError> {
    let (theta, x, obs) = (&stars.theta, &stars.x, &stars.observed);
    let mut cols = vec![(
        "star".to_string(),
        ColumnData::Int((0..opts.n as i64).collect()),
    )];
    for (j, name) in sim.output_names().iter().enumerate() {
        cols.push((
            column("obs", name),
            ColumnData::Float(obs.column(j).to_vec()),
        ));
    }
    for (j, name) in sim.output_names().iter().enumerate() {
        cols.push((
            column("err", name),
            ColumnData::Float(vec![opts.noise.sigma[j]; opts.n]),
        ));
    }
    for (j, name) in sim.output_names().iter().enumerate() {
        cols.push((
            column("true", name),
            ColumnData::Float(x.column(j).to_vec()),
        ));
    }
    for (j, name) in prior.space().names().iter().enumerate() {
        cols.push((
            format!("true_{name}"),
            ColumnData::Float(theta.column(j).to_vec()),
        ));
    }
    Table::from_columns(cols).map_err(|e| CalibError::option("mock", "", e.to_string()))
}
