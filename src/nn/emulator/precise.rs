//! The emulator in f64 for gradient-based inference: predictions and vector–Jacobian
//! products through the scalers and an [`Mlp64`] copy of the network. The f32 paths
//! ([`Emulator::predict`], [`Emulator::input_jacobian`]) are unchanged.

use super::Emulator;
use crate::model::{Cotangent, RunStatus, Simulated, SimulatorError};
use crate::nn::Mlp64;
use ndarray::{Array2, ArrayView2};

impl Emulator {
    /// The network in f64 (weights widened once per call of the f64 paths; ≈5 µs for the
    /// paper's 5 068 parameters).
    pub fn mlp64(&self) -> Mlp64 {
        Mlp64::new(&self.mlp, &self.params)
    }

    /// Predictions (dex) `(n, n_outputs)` for `theta` `(n, n_inputs)` in f64, with the
    /// status of every row (a non-finite input or output fails the row).
    pub fn predict_f64(&self, theta: ArrayView2<f64>) -> Result<Simulated, SimulatorError> {
        self.run_f64(theta, None).map(|(s, _)| s)
    }

    /// [`crate::model::Differentiable::simulate_vjp`] in f64: one forward and one reverse
    /// pass of the whole batch.
    pub fn vjp_f64(
        &self,
        theta: ArrayView2<f64>,
        cotangent: &mut Cotangent<'_>,
    ) -> Result<(Simulated, Array2<f64>), SimulatorError> {
        self.run_f64(theta, Some(cotangent))
            .map(|(s, g)| (s, g.unwrap_or_else(|| Array2::zeros(theta.raw_dim()))))
    }

    fn run_f64(
        &self,
        theta: ArrayView2<f64>,
        cotangent: Option<&mut Cotangent<'_>>,
    ) -> Result<(Simulated, Option<Array2<f64>>), SimulatorError> {
        crate::model::simulator::check_inputs(self, &theta)?;
        let (n, d_in) = theta.dim();
        let d = self.n_outputs();
        let (mx, sx) = (&self.input_scaler.mean, &self.input_scaler.std);
        let (my, sy) = (&self.output_scaler.mean, &self.output_scaler.std);
        let u = Array2::from_shape_fn((n, d_in), |(r, i)| (theta[[r, i]] - mx[i]) / sx[i]);
        let net = self.mlp64();
        let tape = net.forward(u.view());
        let v = tape.outputs();
        let x = Array2::from_shape_fn((n, d), |(r, j)| my[j] + sy[j] * v[[r, j]]);
        let status: Vec<RunStatus> = (0..n)
            .map(|r| {
                let finite = theta
                    .row(r)
                    .iter()
                    .chain(x.row(r).iter())
                    .all(|v| v.is_finite());
                if finite {
                    RunStatus::Ok
                } else {
                    RunStatus::failed("nonfinite", "the emulator's prediction is not finite")
                }
            })
            .collect();
        let sim = Simulated { x, status };
        let Some(cotangent) = cotangent else {
            return Ok((sim, None));
        };
        let mut cot = Array2::zeros((n, net.n_out()));
        let mut c = vec![0.0; d];
        for r in (0..n).filter(|&r| sim.ok(r)) {
            let row = sim.x.row(r);
            let owned;
            let xr = match row.as_slice() {
                Some(xs) => xs,
                None => {
                    owned = row.to_vec();
                    &owned
                }
            };
            cotangent(r, xr, &mut c);
            for j in 0..d {
                cot[[r, j]] = c[j] * sy[j];
            }
        }
        let mut g = net.input_vjp(&tape, cot.view());
        for (r, mut row) in g.rows_mut().into_iter().enumerate() {
            if sim.ok(r) {
                row.iter_mut().zip(sx).for_each(|(g, s)| *g /= s);
            } else {
                row.fill(0.0);
            }
        }
        Ok((sim, Some(g)))
    }
}
