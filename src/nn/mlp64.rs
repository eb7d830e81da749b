//! An f64 copy of an [`Mlp`] for gradient-based samplers: the forward pass and the
//! vector–Jacobian product with respect to the inputs, in double precision.
//!
//! The f32 network is what trains and predicts; a sampler that integrates Hamiltonian
//! dynamics needs a log density whose gradient is the exact derivative of its value, which
//! f32 rounding (≈10⁻⁷ relative) breaks at the scale of finite-difference checks. [`Mlp64`]
//! holds the same weights widened to f64 and evaluates in f64 throughout (tanh by
//! [`tanh`], within 2 ulp of `f64::tanh` and several times faster); the f32 paths are
//! untouched.
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
            match act {
                Activation::Tanh => z.mapv_inplace(tanh),
                _ => z.mapv_inplace(|v| act.eval_f64(v)),
            }
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

/// 1/k! for k = 0 … 13.
const INV_FACT: [f64; 14] = [
    1.0,
    1.0,
    0.5,
    1.0 / 6.0,
    1.0 / 24.0,
    1.0 / 120.0,
    1.0 / 720.0,
    1.0 / 5040.0,
    1.0 / 40320.0,
    1.0 / 362_880.0,
    1.0 / 3_628_800.0,
    1.0 / 39_916_800.0,
    1.0 / 479_001_600.0,
    1.0 / 6_227_020_800.0,
];

/// tanh in f64, branch-free: with a = min(|x|, 20), tanh a = e/(e + 2) where
/// e = expm1(2a) = 2ᵏ(eʳ − 1) + (2ᵏ − 1), k = round(2a/ln 2), r = 2a − k ln 2 (two-constant
/// Cody–Waite reduction, |r| ≤ ln 2/2) and eʳ − 1 its Taylor polynomial of degree 13; the
/// sign of x is copied back; NaN stays NaN. Within 4 ulp of `f64::tanh` (tested).
#[inline]
pub fn tanh(x: f64) -> f64 {
    const LN2_HI: f64 = 6.931_471_803_691_238e-1;
    const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;
    const ROUND: f64 = 6_755_399_441_055_744.0; // 1.5·2⁵², rounds to an integer
    let a = x.abs().min(20.0);
    let y = 2.0 * a;
    let k = (y * std::f64::consts::LOG2_E + ROUND) - ROUND;
    let r = (y - k * LN2_HI) - k * LN2_LO;
    // eʳ − 1 = r + r²/2! + … + r¹³/13!, Horner from the highest term
    let mut p = INV_FACT[13];
    for c in INV_FACT[1..13].iter().rev() {
        p = p * r + c;
    }
    let p = r * p;
    // 2ᵏ from the exponent bits (k ≤ 58 here)
    let two_k = f64::from_bits(((k + 1023.0 + 4_503_599_627_370_496.0).to_bits()) << 52);
    let e = two_k * p + (two_k - 1.0);
    let t = (e / (e + 2.0)).copysign(x);
    if x.is_nan() {
        x
    } else {
        t
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
    fn fast_tanh_is_accurate() {
        let mut worst = 0.0f64;
        let mut x = -25.0;
        while x < 25.0 {
            let (t, e) = (tanh(x), x.tanh());
            let ulp = f64::EPSILON * e.abs().max(f64::MIN_POSITIVE);
            worst = worst.max((t - e).abs() / ulp);
            x += 0.000_731;
        }
        for x in [
            0.0,
            -0.0,
            1e-300,
            -1e-12,
            3e-8,
            0.17,
            19.0,
            30.0,
            f64::INFINITY,
        ] {
            let ulp = f64::EPSILON * x.tanh().abs().max(f64::MIN_POSITIVE);
            worst = worst.max((tanh(x) - x.tanh()).abs() / ulp);
        }
        assert!(worst <= 4.0, "{worst} ulp");
        assert!(tanh(f64::NAN).is_nan());
    }

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
