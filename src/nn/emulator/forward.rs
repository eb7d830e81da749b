//! The emulator as a forward model: [`Simulator`] (predictions, one status per row) and
//! [`Differentiable`] (the Jacobian through the network and its scalers).

use super::Emulator;
use crate::model::{
    Cotangent, Differentiable, ParamSpace, RunStatus, Simulated, Simulator, SimulatorError,
};
use ndarray::{Array2, Array3, ArrayView2};

impl Simulator for Emulator {
    /// `emulator:<file>` for a loaded emulator, `emulator` for one trained in this session.
    fn describe(&self) -> String {
        if self.label.is_empty() {
            "emulator".into()
        } else {
            format!("emulator:{}", self.label)
        }
    }

    fn space(&self) -> &ParamSpace {
        &self.space
    }

    fn output_names(&self) -> &[String] {
        &self.output_names
    }

    /// Predictions; a row with a non-finite input or output fails (`nonfinite`).
    fn simulate(&self, theta: ArrayView2<f64>) -> Result<Simulated, SimulatorError> {
        crate::interrupt::check()?;
        crate::model::simulator::check_inputs(self, &theta)?;
        let x = self
            .predict(theta)
            .map_err(|e| SimulatorError::Failed(e.to_string()))?;
        let status = x
            .rows()
            .into_iter()
            .map(|r| {
                if r.iter().all(|v| v.is_finite()) {
                    RunStatus::Ok
                } else {
                    RunStatus::failed("nonfinite", "the emulator's prediction is not finite")
                }
            })
            .collect();
        Ok(Simulated { x, status })
    }
}

impl Differentiable for Emulator {
    fn jacobian(&self, theta: ArrayView2<f64>) -> Result<Array3<f64>, SimulatorError> {
        crate::model::simulator::check_inputs(self, &theta)?;
        self.input_jacobian(theta)
            .map_err(|e| SimulatorError::Failed(e.to_string()))
    }

    /// In f64, one forward and one reverse pass ([`Emulator::vjp_f64`]).
    fn simulate_vjp(
        &self,
        theta: ArrayView2<f64>,
        cotangent: &mut Cotangent<'_>,
    ) -> Result<(Simulated, Array2<f64>), SimulatorError> {
        self.vjp_f64(theta, cotangent)
    }
}
