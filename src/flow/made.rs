//! One MADE (masked autoencoder for distribution estimation) with a context input: the
//! conditioner of one affine autoregressive transform (spec A.1.3), built from the masked
//! dense layers of [`crate::nn`].
//!
//! For the flow state `u ∈ R^D` and the standardised context `x̃ ∈ R^C`:
//!
//! ```text
//! h₁ = act((W₀ ⊙ M₀) u + b₀ + act(W_c x̃ + b_c))
//! h_{l+1} = act((W_l ⊙ M_h) h_l + b_l)           l = 1 … blocks
//! o = (W_f ⊙ M_f) h_last + b_f                  (2·D outputs)
//! s̃_i = o_{2i},  t_i = o_{2i+1},  s_i = softplus(s̃_i) + 10⁻³
//! ```
//!
//! The layers' parameters live in the flow's flat f32 parameter vector (allocated in the
//! order input, context, blocks, output); masked weights are exactly zero.

use super::degrees::{hidden_degrees, input_degrees, output_degrees};
use crate::nn::Activation;
use crate::nn::Dense;
use crate::nn::ParamLayout;
use ndarray::Array2;
use serde::{Deserialize, Serialize};

/// The constant added to softplus so that scales stay positive (nflows: 1e-3).
pub const SCALE_EPS: f32 = 1e-3;

/// Sizes of one MADE.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MadeShape {
    /// Number of features D (dimension of θ).
    pub d: usize,
    /// Hidden width.
    pub h: usize,
    /// Context size C (dimension of x).
    pub c: usize,
    /// Number of masked hidden→hidden blocks after the input layer.
    pub blocks: usize,
    /// Reference layout (spec A.1.3: the first feature is not conditioned on x).
    pub paper: bool,
}

impl MadeShape {
    /// Degrees of the hidden units.
    pub fn hidden_degrees(&self) -> Vec<usize> {
        hidden_degrees(self.d, self.h, self.paper)
    }

    /// Number of parameters of one MADE, masked ones included (paper shape: 380).
    pub fn n_params(&self) -> usize {
        let (d, h, c) = (self.d, self.h, self.c);
        (d * h + h) + (c * h + h) + self.blocks * (h * h + h) + (h * 2 * d + 2 * d)
    }
}

/// The layers of one MADE.
#[derive(Debug, Clone, PartialEq)]
pub struct Made {
    pub shape: MadeShape,
    pub activation: Activation,
    /// Masked D → h.
    pub input: Dense,
    /// Unmasked C → h.
    pub context: Dense,
    /// Masked h → h.
    pub blocks: Vec<Dense>,
    /// Masked h → 2D.
    pub output: Dense,
}

/// `(n_in, n_out)` mask with `keep(in_degree, out_degree)`.
fn mask(in_deg: &[usize], out_deg: &[usize], keep: impl Fn(usize, usize) -> bool) -> Array2<bool> {
    Array2::from_shape_fn((in_deg.len(), out_deg.len()), |(i, o)| {
        keep(in_deg[i], out_deg[o])
    })
}

impl Made {
    /// Allocates the layers of a MADE from `layout`.
    pub fn new(layout: &mut ParamLayout, shape: MadeShape, activation: Activation) -> Self {
        let hd = shape.hidden_degrees();
        let ind = input_degrees(shape.d);
        let outd = output_degrees(shape.d);
        let input = Dense::masked(layout, mask(&ind, &hd, |i, o| o >= i).view());
        let context = Dense::new(layout, shape.c, shape.h);
        let blocks = (0..shape.blocks)
            .map(|_| Dense::masked(layout, mask(&hd, &hd, |i, o| o >= i).view()))
            .collect();
        let output = Dense::masked(layout, mask(&hd, &outd, |i, o| o > i).view());
        Made {
            shape,
            activation,
            input,
            context,
            blocks,
            output,
        }
    }

    /// PyTorch-default initialisation of every layer (masked weights zero).
    pub fn init(&self, params: &mut [f32], rng: &mut crate::rng::Rng) {
        self.input.init(params, rng);
        self.context.init(params, rng);
        for b in &self.blocks {
            b.init(params, rng);
        }
        self.output.init(params, rng);
    }

    /// Sets every masked weight to zero.
    pub fn apply_masks(&self, params: &mut [f32]) {
        self.input.apply_mask(params);
        for b in &self.blocks {
            b.apply_mask(params);
        }
        self.output.apply_mask(params);
    }

    /// The per-observation part of the input layer's pre-activation:
    /// `b₀ + act(W_c x̃ + b_c)` (length h), for the standardised context `x̃` (length C).
    pub fn context_base(&self, params: &[f32], x: &[f32]) -> Vec<f32> {
        let wc = self.context.weights(params);
        let bc = self.context.bias(params);
        let mut a: Vec<f32> = (0..self.shape.h)
            .map(|j| {
                bc[j]
                    + x.iter()
                        .enumerate()
                        .map(|(i, x)| wc[[i, j]] * x)
                        .sum::<f32>()
            })
            .collect();
        self.activation.apply(&mut a);
        let b0 = self.input.bias(params);
        a.iter_mut().zip(b0.iter()).for_each(|(a, b)| *a += b);
        a
    }

    /// Reference forward pass for one sample with plain loops (tests and the naive inverse):
    /// the unconstrained scales s̃ and the shifts t (length D each).
    pub fn forward_one(&self, params: &[f32], u: &[f32], ctx_base: &[f32]) -> (Vec<f32>, Vec<f32>) {
        let (d, h) = (self.shape.d, self.shape.h);
        let w0 = self.input.weights(params);
        let mut a: Vec<f32> = (0..h)
            .map(|j| ctx_base[j] + (0..d).map(|i| w0[[i, j]] * u[i]).sum::<f32>())
            .collect();
        self.activation.apply(&mut a);
        for b in &self.blocks {
            let w = b.weights(params);
            let bias = b.bias(params);
            let mut n: Vec<f32> = (0..h)
                .map(|j| bias[j] + (0..h).map(|i| w[[i, j]] * a[i]).sum::<f32>())
                .collect();
            self.activation.apply(&mut n);
            a = n;
        }
        let wf = self.output.weights(params);
        let bf = self.output.bias(params);
        let o: Vec<f32> = (0..2 * d)
            .map(|r| bf[r] + (0..h).map(|j| wf[[j, r]] * a[j]).sum::<f32>())
            .collect();
        (
            (0..d).map(|i| o[2 * i]).collect(),
            (0..d).map(|i| o[2 * i + 1]).collect(),
        )
    }
}
