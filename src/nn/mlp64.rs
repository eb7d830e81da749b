//! An f64 copy of an [`Mlp`] for gradient-based samplers: the forward pass and the
//! vector–Jacobian product with respect to the inputs, in double precision.
//!
//! The f32 network is what trains and predicts; a sampler that integrates Hamiltonian
//! dynamics needs a log density whose gradient is the exact derivative of its value, which
//! f32 rounding (≈10⁻⁷ relative) breaks at the scale of finite-difference checks. [`Mlp64`]
//! holds the same weights widened to f64 and evaluates with `f64::tanh`-accurate arithmetic;
//! the f32 paths are untouched.
//!
//! Shapes: inputs `(n, n_in)`, outputs `(n, n_out)`; weights `(n_in, n_out)` per layer.

use super::activation::Activation;
use super::mlp::Mlp;
use ndarray::{Array1, Array2, ArrayView2, Axis, Zip};

/// The layers of an [`Mlp`] in f64: weights `(n_in, n_out)` and biases `(n_out)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Mlp64 {
    layers: Vec<(Array2<f64>, Array1<f64>, Activation)>,
}

/// The activations of a forward pass, kept for [`Mlp64::input_vjp`].
#[derive(Debug, Clone)]
pub struct Tape {
    /// Post-activation output of every layer, `(n, width_l)`; the last is the network output.
    acts: Vec<Array2<f64>>,
}

impl Tape {
    /// The network outputs `(n, n_out)`.
    pub fn outputs(&self) -> ArrayView2<'_, f64> {
        self.acts[self.acts.len() - 1].view()
    }
}

impl Mlp64 {
    /// The network `mlp` with parameters `params` (f32, the flat layout of `mlp`) widened to
    /// f64. `params` must hold at least `mlp.range().end` values.
    pub fn new(mlp: &Mlp, params: &[f32]) -> Self {
        let n = mlp.layers().len();
        let layers = mlp
            .layers()
            .iter()
            .enumerate()
            .map(|(l, d)| {
                let w = d.weights(params).mapv(f64::from);
                let b = d.bias(params).mapv(f64::from);
                let act = if l + 1 == n {
                    mlp.output_activation()
                } else {
                    mlp.hidden_activation()
                };
                (w, b, act)
            })
            .collect();
        Mlp64 { layers }
    }

    /// Number of inputs.
    pub fn n_in(&self) -> usize {
        self.layers[0].0.nrows()
    }

    /// Number of outputs.
    pub fn n_out(&self) -> usize {
        self.layers[self.layers.len() - 1].0.ncols()
    }

    /// Forward pass of `x` `(n, n_in)`; the tape holds every layer's output.
    pub fn forward(&self, x: ArrayView2<f64>) -> Tape {
        let mut acts: Vec<Array2<f64>> = Vec::with_capacity(self.layers.len());
        for (w, b, act) in &self.layers {
            let input = acts.last().map_or(x.view(), |a| a.view());
            let mut z = input.dot(w);
            z += &b.view().insert_axis(Axis(0));
            z.mapv_inplace(|v| act.eval_f64(v));
            acts.push(z);
        }
        Tape { acts }
    }

    /// `cot · ∂out/∂x` for every row: given the cotangents `cot` `(n, n_out)` of the outputs
    /// of the pass recorded in `tape`, returns `(n, n_in)` with
    /// `g[r, i] = Σ_o cot[r, o] ∂out[r, o]/∂x[r, i]` (reverse mode, one pass).
    pub fn input_vjp(&self, tape: &Tape, cot: ArrayView2<f64>) -> Array2<f64> {
        let mut delta = cot.to_owned();
        for l in (0..self.layers.len()).rev() {
            let (w, _, act) = &self.layers[l];
            Zip::from(&mut delta)
                .and(&tape.acts[l])
                .for_each(|d, &y| *d *= derivative_from_output(*act, y));
            delta = delta.dot(&w.t());
        }
        delta
    }
}

/// f'(z) from the output y = f(z), in f64.
fn derivative_from_output(act: Activation, y: f64) -> f64 {
    match act {
        Activation::Identity => 1.0,
        Activation::Tanh => 1.0 - y * y,
        Activation::Relu => {
            if y > 0.0 {
                1.0
            } else {
                0.0
            }
        }
        Activation::Softplus => -(-y).exp_m1(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn matches_the_f32_network_and_its_jacobian() {
        for (hidden, out) in [
            (Activation::Tanh, Activation::Identity),
            (Activation::Softplus, Activation::Tanh),
            (Activation::Relu, Activation::Softplus),
        ] {
            let mlp = Mlp::new(&[3, 7, 5, 2], hidden, out).unwrap();
            let params = mlp.init_params(4);
            let m64 = Mlp64::new(&mlp, &params);
            assert_eq!((m64.n_in(), m64.n_out()), (3, 2));
            let x = array![[0.3, -0.2, 0.9], [-1.1, 0.4, 0.05]];
            let tape = m64.forward(x.view());
            let y32 = mlp.predict(&params, x.mapv(|v| v as f32).view()).unwrap();
            for (a, b) in tape.outputs().iter().zip(y32.iter()) {
                assert!((a - f64::from(*b)).abs() < 1e-5, "{a} vs {b}");
            }
            // the VJP with unit cotangents equals rows of the f32 Jacobian
            let jac = mlp
                .input_jacobian(&params, x.mapv(|v| v as f32).view())
                .unwrap();
            for o in 0..2 {
                let mut cot = Array2::zeros((2, 2));
                cot.column_mut(o).fill(1.0);
                let g = m64.input_vjp(&tape, cot.view());
                for r in 0..2 {
                    for i in 0..3 {
                        let j = f64::from(jac[[r, o, i]]);
                        assert!((g[[r, i]] - j).abs() < 1e-4, "{} vs {j}", g[[r, i]]);
                    }
                }
            }
            // and central differences of the f64 outputs
            let cot = array![[0.7, -1.3], [0.2, 0.5]];
            let g = m64.input_vjp(&tape, cot.view());
            let h = 1e-6;
            for r in 0..2 {
                for i in 0..3 {
                    let (mut up, mut down) = (x.clone(), x.clone());
                    up[[r, i]] += h;
                    down[[r, i]] -= h;
                    let (fu, fd) = (m64.forward(up.view()), m64.forward(down.view()));
                    let fd_val: f64 = (0..2)
                        .map(|o| cot[[r, o]] * (fu.outputs()[[r, o]] - fd.outputs()[[r, o]]))
                        .sum::<f64>()
                        / (2.0 * h);
                    assert!(
                        (fd_val - g[[r, i]]).abs() < 1e-7,
                        "{fd_val} vs {}",
                        g[[r, i]]
                    );
                }
            }
        }
    }
}
