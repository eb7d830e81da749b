//! The runs table: how simulator runs are stored as a [`Table`] — one column per input
//! parameter, one per output, and a `status` column holding `ok` or the reason the run
//! failed (the status codes of the reference runs, e.g. `inf:element_negative_N`). Failed
//! runs keep their row, with NaN outputs.

use super::simulator::{Simulated, Simulator, SimulatorError};
use crate::catalog::{CatalogError, ColumnData, Table};
use crate::error::{ErrorKind, Kind};
use ndarray::{Array2, Axis};

/// The name of the status column.
pub const STATUS_COLUMN: &str = "status";

/// Errors of runs tables.
#[derive(Debug, thiserror::Error)]
pub enum RunsError {
    /// The table lacks a column or holds text where numbers are needed.
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    /// The simulator failed as a whole.
    #[error(transparent)]
    Simulator(#[from] SimulatorError),
}

impl Kind for RunsError {
    fn kind(&self) -> ErrorKind {
        match self {
            RunsError::Catalog(_) => ErrorKind::Input,
            RunsError::Simulator(e) => e.kind(),
        }
    }
}

/// The runs of `sim` on every row of `t`, which needs the simulator's input columns: `t`
/// with one column per output (added, or replaced) and `status`. Other columns are kept.
pub fn simulate_table(sim: &dyn Simulator, t: &Table) -> Result<Table, RunsError> {
    let names = sim.space().names();
    let theta = t.matrix(&names)?;
    let runs = sim.simulate(theta.view())?;
    Ok(with_runs(t, sim.output_names(), &runs)?)
}

/// `t` with the outputs `x` of `runs` under `outputs` and the `status` column.
pub fn with_runs(t: &Table, outputs: &[String], runs: &Simulated) -> Result<Table, CatalogError> {
    let mut out = t.clone();
    for (j, name) in outputs.iter().enumerate() {
        out = out.with_column(name, ColumnData::Float(runs.x.column(j).to_vec()))?;
    }
    let status = runs.status.iter().map(|s| s.code().to_string()).collect();
    out.with_column(STATUS_COLUMN, ColumnData::Text(status))
}

/// A new runs table from inputs `theta` `(n, dim)` named `inputs` and their runs.
pub fn runs_table(
    inputs: &[&str],
    theta: &Array2<f64>,
    outputs: &[String],
    runs: &Simulated,
) -> Result<Table, CatalogError> {
    with_runs(&Table::from_matrix(inputs, theta)?, outputs, runs)
}

/// The successful runs of a runs table, as arrays.
#[derive(Debug, Clone, PartialEq)]
pub struct RunArrays {
    /// Inputs `(n, n_inputs)`.
    pub theta: Array2<f64>,
    /// Outputs `(n, n_outputs)`.
    pub x: Array2<f64>,
    /// Rows left out because their status is not `ok`.
    pub n_failed: usize,
}

/// The rows of `t` whose `status` (if the table has that column) is `ok`: inputs from the
/// columns `inputs`, outputs from `outputs`. Rows with non-finite values stay in (the
/// training code excludes and counts them).
pub fn successful_runs<S: AsRef<str>>(
    t: &Table,
    inputs: &[S],
    outputs: &[S],
) -> Result<RunArrays, CatalogError> {
    let theta = t.matrix(&as_strs(inputs))?;
    let x = t.matrix(&as_strs(outputs))?;
    if !t.has_column(STATUS_COLUMN) {
        return Ok(RunArrays {
            theta,
            x,
            n_failed: 0,
        });
    }
    let status = t.column_str(STATUS_COLUMN)?;
    let keep: Vec<usize> = (0..status.len())
        .filter(|&r| status[r] == super::simulator::RunStatus::OK_CODE)
        .collect();
    Ok(RunArrays {
        n_failed: t.len() - keep.len(),
        theta: theta.select(Axis(0), &keep),
        x: x.select(Axis(0), &keep),
    })
}

fn as_strs<S: AsRef<str>>(v: &[S]) -> Vec<&str> {
    v.iter().map(|s| s.as_ref()).collect()
}
