//! Forward models: anything that maps parameter rows θ to noise-free observables x — the
//! CHEMPY-equivalent simulator, a trained emulator, or a synthetic model in tests — with
//! one status per row that keeps the reason a run failed.

use super::space::ParamSpace;
use crate::error::{ErrorKind, Kind, ShapeError};
use ndarray::{Array2, Array3, ArrayView2, Axis};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The outcome of one simulator run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RunStatus {
    /// The run produced finite outputs.
    Ok,
    /// The run failed; its outputs are NaN.
    Failed {
        /// The status code of the reference runs, e.g. `inf:element_negative_N`,
        /// `invalid:x_out` (what a runs table's `status` column holds).
        code: String,
        /// The reason as a sentence.
        reason: String,
    },
}

impl RunStatus {
    /// Whether the run succeeded.
    pub fn is_ok(&self) -> bool {
        matches!(self, RunStatus::Ok)
    }

    /// `"ok"` or the failure's status code.
    pub fn code(&self) -> &str {
        match self {
            RunStatus::Ok => RunStatus::OK_CODE,
            RunStatus::Failed { code, .. } => code,
        }
    }

    /// The status code of a successful run in a runs table.
    pub const OK_CODE: &'static str = "ok";

    /// A failure with `code` and `reason`.
    pub fn failed(code: impl Into<String>, reason: impl Into<String>) -> Self {
        RunStatus::Failed {
            code: code.into(),
            reason: reason.into(),
        }
    }
}

impl fmt::Display for RunStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunStatus::Ok => f.write_str("ok"),
            RunStatus::Failed { code, reason } => write!(f, "{reason} ({code})"),
        }
    }
}

/// The outputs of a batch of runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Simulated {
    /// Outputs `(n, n_outputs)` in the simulator's units (dex); NaN rows where a run failed.
    pub x: Array2<f64>,
    /// One status per row.
    pub status: Vec<RunStatus>,
}

impl Simulated {
    /// Number of successful runs.
    pub fn n_ok(&self) -> usize {
        self.status.iter().filter(|s| s.is_ok()).count()
    }

    /// Whether row `i` succeeded.
    pub fn ok(&self, i: usize) -> bool {
        self.status.get(i).is_some_and(RunStatus::is_ok)
    }
}

/// Why a batch simulation failed as a whole (single failed rows are reported through their
/// [`RunStatus`] instead).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SimulatorError {
    /// Ctrl-C or SIGTERM.
    #[error(transparent)]
    Interrupted(#[from] crate::interrupt::Interrupted),
    /// Inputs of the wrong shape.
    #[error(transparent)]
    Shape(#[from] ShapeError),
    /// Anything else, as a sentence.
    #[error("simulator failed: {0}")]
    Failed(String),
}

impl Kind for SimulatorError {
    fn kind(&self) -> ErrorKind {
        match self {
            SimulatorError::Interrupted(i) => i.kind(),
            SimulatorError::Shape(_) => ErrorKind::Shape,
            SimulatorError::Failed(_) => ErrorKind::Simulator,
        }
    }
}

/// A forward model θ → x. Implemented by [`crate::gce::Chempy`], [`crate::nn::Emulator`]
/// and test models.
pub trait Simulator: Send + Sync {
    /// A short description stored in the metadata of what is trained on it, e.g.
    /// `"chempy:tng"` or `"emulator:models/emu.json"`.
    fn describe(&self) -> String;

    /// The input parameters, in column order.
    fn space(&self) -> &ParamSpace;

    /// The output names, in column order.
    fn output_names(&self) -> &[String];

    /// Simulates every row of `theta` `(n, space().dim())`: outputs `(n, n_outputs)` and a
    /// status per row. Must not depend on the number of threads.
    fn simulate(&self, theta: ArrayView2<f64>) -> Result<Simulated, SimulatorError>;
}

/// The cotangent callback of [`Differentiable::simulate_vjp`]: `(row r, outputs x_r,
/// cotangent c to write)`, both slices of length `n_outputs`.
pub type Cotangent<'a> = dyn FnMut(usize, &[f64], &mut [f64]) + 'a;

/// A simulator with the Jacobian of its outputs with respect to its inputs (the MLP
/// emulator; not CHEMPY, not tree regressors).
pub trait Differentiable: Simulator {
    /// `J[r, o, i] = ∂x[r, o]/∂θ[r, i]` for every row of `theta`: shape `(n, n_outputs,
    /// n_inputs)`, in output units per unit of θ_i.
    fn jacobian(&self, theta: ArrayView2<f64>) -> Result<Array3<f64>, SimulatorError>;

    /// The outputs and, for every successful row r, the vector–Jacobian product
    /// `g[r, i] = Σ_o c_o ∂x[r, o]/∂θ[r, i]` with the cotangent c that `cotangent(r, x_r, c)`
    /// writes from the row's outputs (length `n_outputs`); failed rows get g = 0 and no call.
    /// Returns `(outputs with status, g (n, n_inputs))`, in f64 throughout.
    ///
    /// The default evaluates [`Simulator::simulate`] and [`Differentiable::jacobian`];
    /// models with a cheaper reverse mode (the emulator) override it.
    fn simulate_vjp(
        &self,
        theta: ArrayView2<f64>,
        cotangent: &mut Cotangent<'_>,
    ) -> Result<(Simulated, Array2<f64>), SimulatorError> {
        let sim = self.simulate(theta)?;
        let jac = self.jacobian(theta)?;
        let (n, d) = theta.dim();
        let mut g = Array2::zeros((n, d));
        let mut c = vec![0.0; sim.x.ncols()];
        for r in (0..n).filter(|&r| sim.ok(r)) {
            let x = sim.x.row(r).to_vec();
            cotangent(r, &x, &mut c);
            for (o, &co) in c.iter().enumerate() {
                for i in 0..d {
                    g[[r, i]] += co * jac[[r, o, i]];
                }
            }
        }
        Ok((sim, g))
    }
}

/// Checks that `theta` has one column per input of `sim`.
pub fn check_inputs(sim: &dyn Simulator, theta: &ArrayView2<f64>) -> Result<(), SimulatorError> {
    sim.space()
        .check_width(&format!("inputs of {}", sim.describe()), theta.ncols())
        .map_err(SimulatorError::from)
}

/// A simulator restricted to some of its outputs (an observable set that is a subset of the
/// elements, e.g. a survey without He and Ne).
pub struct SelectOutputs<'a> {
    inner: &'a dyn Simulator,
    columns: Vec<usize>,
    names: Vec<String>,
}

impl<'a> SelectOutputs<'a> {
    /// The outputs of `inner` called `names`, in that order; an unknown name is an error
    /// listing the available ones.
    pub fn new<S: AsRef<str>>(inner: &'a dyn Simulator, names: &[S]) -> Result<Self, ShapeError> {
        let all = inner.output_names();
        let columns = names
            .iter()
            .map(|n| {
                all.iter().position(|a| a == n.as_ref()).ok_or_else(|| {
                    ShapeError::new(
                        format!("output '{}' of {}", n.as_ref(), inner.describe()),
                        format!("one of {}", all.join(", ")),
                        "an unknown name",
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(SelectOutputs {
            inner,
            columns,
            names: names.iter().map(|n| n.as_ref().to_string()).collect(),
        })
    }
}

impl Simulator for SelectOutputs<'_> {
    fn describe(&self) -> String {
        format!("{}[{}]", self.inner.describe(), self.names.join(","))
    }

    fn space(&self) -> &ParamSpace {
        self.inner.space()
    }

    fn output_names(&self) -> &[String] {
        &self.names
    }

    fn simulate(&self, theta: ArrayView2<f64>) -> Result<Simulated, SimulatorError> {
        let s = self.inner.simulate(theta)?;
        Ok(Simulated {
            x: s.x.select(Axis(1), &self.columns),
            status: s.status,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// x = (θ0 + θ1, θ0 − θ1, 2 θ1); rows with θ0 < 0 fail.
    struct Toy(ParamSpace, Vec<String>);

    impl Simulator for Toy {
        fn describe(&self) -> String {
            "toy".into()
        }
        fn space(&self) -> &ParamSpace {
            &self.0
        }
        fn output_names(&self) -> &[String] {
            &self.1
        }
        fn simulate(&self, theta: ArrayView2<f64>) -> Result<Simulated, SimulatorError> {
            check_inputs(self, &theta)?;
            let mut x = Array2::from_elem((theta.nrows(), 3), f64::NAN);
            let mut status = Vec::new();
            for (i, r) in theta.rows().into_iter().enumerate() {
                if r[0] < 0.0 {
                    status.push(RunStatus::failed("invalid:a", "a is negative"));
                } else {
                    x.row_mut(i)
                        .assign(&ndarray::arr1(&[r[0] + r[1], r[0] - r[1], 2.0 * r[1]]));
                    status.push(RunStatus::Ok);
                }
            }
            Ok(Simulated { x, status })
        }
    }

    #[test]
    fn selected_outputs_keep_status_and_order() {
        let toy = Toy(
            ParamSpace::from_names(&["a", "b"], &["a"]).unwrap(),
            vec!["p".into(), "m".into(), "d".into()],
        );
        let sel = SelectOutputs::new(&toy, &["d", "p"]).unwrap();
        let theta = ndarray::array![[1.0, 2.0], [-1.0, 0.0]];
        let s = sel.simulate(theta.view()).unwrap();
        assert_eq!(s.x.row(0).to_vec(), vec![4.0, 3.0]);
        assert!(s.x.row(1).iter().all(|v| v.is_nan()));
        assert_eq!(s.status[1].code(), "invalid:a");
        assert_eq!((s.n_ok(), s.ok(0), s.ok(1)), (1, true, false));
        assert_eq!(sel.describe(), "toy[d,p]");
        let err = SelectOutputs::new(&toy, &["q"]).err().unwrap().to_string();
        assert!(err.contains("one of p, m, d"), "{err}");
        let wrong = toy
            .simulate(ndarray::Array2::zeros((1, 3)).view())
            .unwrap_err();
        assert_eq!(wrong.kind(), ErrorKind::Shape);
    }
}
