//! One MADE (masked autoencoder for distribution estimation) with a context input: the
//! conditioner of one affine autoregressive transform (spec A.1.3).
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
//! Parameters of one MADE live in a contiguous slice of the flow's flat f32 parameter vector,
//! in the order [W₀ (h×D), b₀, W_c (h×C), b_c, (W_l (h×h), b_l) × blocks, W_f (2D×h), b_f];
//! matrices are row-major `(n_out, n_in)` like `torch.nn.Linear`. Masked weights are kept at
//! exactly zero (zeroed at initialisation, their gradients zeroed).

use super::degrees::{hidden_degrees, hidden_mask, input_degrees, output_degrees, output_mask};
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

/// Offsets of each parameter group inside a MADE's slice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MadeLayout {
    pub w0: usize,
    pub b0: usize,
    pub wc: usize,
    pub bc: usize,
    /// Offset of block 0's weights; block l's weights start at `blocks + l·(h·h + h)`, its
    /// biases `h·h` later.
    pub blocks: usize,
    pub wf: usize,
    pub bf: usize,
    /// Total number of parameters.
    pub len: usize,
}

impl MadeShape {
    /// Parameter offsets.
    pub fn layout(&self) -> MadeLayout {
        let (d, h, c) = (self.d, self.h, self.c);
        let w0 = 0;
        let b0 = w0 + h * d;
        let wc = b0 + h;
        let bc = wc + h * c;
        let blocks = bc + h;
        let wf = blocks + self.blocks * (h * h + h);
        let bf = wf + 2 * d * h;
        MadeLayout {
            w0,
            b0,
            wc,
            bc,
            blocks,
            wf,
            bf,
            len: bf + 2 * d,
        }
    }

    /// Number of parameters of one MADE (paper shape: 380).
    pub fn n_params(&self) -> usize {
        self.layout().len
    }

    /// Degrees of the hidden units.
    pub fn hidden_degrees(&self) -> Vec<usize> {
        hidden_degrees(self.d, self.h, self.paper)
    }
}

/// The fixed masks of a MADE shape.
#[derive(Debug, Clone, PartialEq)]
pub struct MadeMasks {
    /// Input layer `(h, D)`.
    pub m0: Vec<f32>,
    /// Hidden→hidden `(h, h)`.
    pub mh: Vec<f32>,
    /// Output `(2D, h)`.
    pub mf: Vec<f32>,
}

impl MadeMasks {
    /// Masks for `shape`.
    pub fn new(shape: &MadeShape) -> Self {
        let hd = shape.hidden_degrees();
        MadeMasks {
            m0: hidden_mask(&hd, &input_degrees(shape.d)),
            mh: hidden_mask(&hd, &hd),
            mf: output_mask(&output_degrees(shape.d), &hd),
        }
    }
}

/// Borrowed parameters and masks of one MADE.
#[derive(Debug, Clone)]
pub struct MadeView<'a> {
    pub shape: MadeShape,
    pub w0: &'a [f32],
    pub b0: &'a [f32],
    pub wc: &'a [f32],
    pub bc: &'a [f32],
    pub wb: Vec<&'a [f32]>,
    pub bb: Vec<&'a [f32]>,
    pub wf: &'a [f32],
    pub bf: &'a [f32],
    pub m0: &'a [f32],
    pub mh: &'a [f32],
    pub mf: &'a [f32],
}

impl<'a> MadeView<'a> {
    /// Views `params` (length `shape.n_params()`) with `masks`.
    pub fn new(shape: MadeShape, params: &'a [f32], masks: &'a MadeMasks) -> Self {
        let l = shape.layout();
        let (d, h, c) = (shape.d, shape.h, shape.c);
        let mut wb = Vec::with_capacity(shape.blocks);
        let mut bb = Vec::with_capacity(shape.blocks);
        for b in 0..shape.blocks {
            let o = l.blocks + b * (h * h + h);
            wb.push(&params[o..o + h * h]);
            bb.push(&params[o + h * h..o + h * h + h]);
        }
        MadeView {
            shape,
            w0: &params[l.w0..l.w0 + h * d],
            b0: &params[l.b0..l.b0 + h],
            wc: &params[l.wc..l.wc + h * c],
            bc: &params[l.bc..l.bc + h],
            wb,
            bb,
            wf: &params[l.wf..l.wf + 2 * d * h],
            bf: &params[l.bf..l.bf + 2 * d],
            m0: &masks.m0,
            mh: &masks.mh,
            mf: &masks.mf,
        }
    }

    /// Hidden degrees.
    pub fn hidden_degrees(&self) -> Vec<usize> {
        self.shape.hidden_degrees()
    }

    /// The per-observation part of the input layer's pre-activation:
    /// `b₀ + tanh(W_c x̃ + b_c)` (length h), for the standardised context `x̃` (length C).
    pub fn context_base(&self, x: &[f32], act: impl Fn(&mut [f32])) -> Vec<f32> {
        let (h, c) = (self.shape.h, self.shape.c);
        let mut a: Vec<f32> = (0..h)
            .map(|j| {
                self.bc[j]
                    + self.wc[j * c..(j + 1) * c]
                        .iter()
                        .zip(x)
                        .map(|(w, x)| w * x)
                        .sum::<f32>()
            })
            .collect();
        act(&mut a);
        for (a, b) in a.iter_mut().zip(self.b0) {
            *a += b;
        }
        a
    }

    /// Reference forward pass for one sample (plain loops, used by tests and the naive
    /// inverse): returns the unconstrained scales s̃ and shifts t (length D each).
    pub fn forward_one(
        &self,
        u: &[f32],
        ctx_base: &[f32],
        act: impl Fn(&mut [f32]),
    ) -> (Vec<f32>, Vec<f32>) {
        let (d, h) = (self.shape.d, self.shape.h);
        let mut a: Vec<f32> = (0..h)
            .map(|j| {
                ctx_base[j]
                    + (0..d)
                        .map(|i| self.w0[j * d + i] * self.m0[j * d + i] * u[i])
                        .sum::<f32>()
            })
            .collect();
        act(&mut a);
        for b in 0..self.shape.blocks {
            let mut n: Vec<f32> = (0..h)
                .map(|j| {
                    self.bb[b][j]
                        + (0..h)
                            .map(|i| self.wb[b][j * h + i] * self.mh[j * h + i] * a[i])
                            .sum::<f32>()
                })
                .collect();
            act(&mut n);
            a = n;
        }
        let o: Vec<f32> = (0..2 * d)
            .map(|r| {
                self.bf[r]
                    + (0..h)
                        .map(|j| self.wf[r * h + j] * self.mf[r * h + j] * a[j])
                        .sum::<f32>()
            })
            .collect();
        let st = (0..d).map(|i| o[2 * i]).collect();
        let sh = (0..d).map(|i| o[2 * i + 1]).collect();
        (st, sh)
    }
}

/// Zeroes the masked weights of one MADE's parameter slice.
pub fn apply_masks(shape: &MadeShape, masks: &MadeMasks, params: &mut [f32]) {
    let l = shape.layout();
    let h = shape.h;
    for (w, m) in params[l.w0..].iter_mut().zip(&masks.m0) {
        *w *= m;
    }
    for b in 0..shape.blocks {
        let o = l.blocks + b * (h * h + h);
        for (w, m) in params[o..o + h * h].iter_mut().zip(&masks.mh) {
            *w *= m;
        }
    }
    for (w, m) in params[l.wf..].iter_mut().zip(&masks.mf) {
        *w *= m;
    }
}
