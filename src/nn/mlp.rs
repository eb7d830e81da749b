//! Multi-layer perceptron: a stack of [`Dense`] layers with one hidden activation and one
//! output activation, parameters in a flat vector.
//!
//! Shapes: inputs `(n, sizes[0])`, outputs `(n, sizes[last])`. Layer `l` computes
//! `h_{l+1} = f_l(h_l·W_l + 1b_lᵀ)` with `f_l` the hidden activation for every layer but the
//! last, which uses the output activation (identity for regression).

use super::activation::Activation;
use super::dense::Dense;
use super::linalg::gemm;
use super::params::ParamLayout;
use super::NnError;
use crate::error::Vocabulary;
use ndarray::{s, Array2, Array3, ArrayView2, ArrayViewMut2, Axis};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Rows per parallel task in [`Mlp::predict`] and [`Mlp::input_jacobian`].
pub const PREDICT_CHUNK: usize = 256;

/// The architecture of a multi-layer perceptron (its parameters are a separate flat vector).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mlp {
    sizes: Vec<usize>,
    hidden: Activation,
    output: Activation,
    layers: Vec<Dense>,
    range: std::ops::Range<usize>,
}

/// Preallocated buffers for forward and backward passes of up to `capacity` rows.
#[derive(Debug, Clone)]
pub struct MlpWorkspace {
    capacity: usize,
    /// Post-activation output of every layer, `(capacity, sizes[l + 1])`.
    acts: Vec<Array2<f32>>,
    /// ∂L/∂(layer output), same shapes as `acts` (allocated by the first backward pass, so
    /// prediction-only workspaces stay small).
    deltas: Vec<Array2<f32>>,
}

impl MlpWorkspace {
    /// Largest batch these buffers hold.
    pub fn capacity(&self) -> usize {
        self.capacity
    }
}

impl Mlp {
    /// An MLP with layer widths `sizes` (inputs, hidden…, outputs) whose parameters occupy
    /// `0..n_params()`.
    pub fn new(sizes: &[usize], hidden: Activation, output: Activation) -> Result<Self, NnError> {
        Self::with_layout(&mut ParamLayout::new(), sizes, hidden, output)
    }

    /// An MLP whose parameters are allocated from `layout` (to embed it in a larger model).
    pub fn with_layout(
        layout: &mut ParamLayout,
        sizes: &[usize],
        hidden: Activation,
        output: Activation,
    ) -> Result<Self, NnError> {
        if sizes.len() < 2 || sizes.contains(&0) {
            return Err(NnError::option(
                "layer sizes",
                format!("{sizes:?}"),
                "need at least an input and an output size, all positive",
            ));
        }
        let start = layout.len();
        let layers = sizes
            .windows(2)
            .map(|w| Dense::new(layout, w[0], w[1]))
            .collect();
        Ok(Self {
            sizes: sizes.to_vec(),
            hidden,
            output,
            layers,
            range: start..layout.len(),
        })
    }

    /// Layer widths: inputs, hidden layers, outputs.
    pub fn sizes(&self) -> &[usize] {
        &self.sizes
    }

    /// Number of inputs.
    pub fn n_in(&self) -> usize {
        self.sizes[0]
    }

    /// Number of outputs.
    pub fn n_out(&self) -> usize {
        self.sizes[self.sizes.len() - 1]
    }

    /// Number of parameters.
    pub fn n_params(&self) -> usize {
        self.range.len()
    }

    /// The block of the flat parameter vector this MLP uses.
    pub fn range(&self) -> std::ops::Range<usize> {
        self.range.clone()
    }

    /// The hidden-layer activation.
    pub fn hidden_activation(&self) -> Activation {
        self.hidden
    }

    /// The output activation.
    pub fn output_activation(&self) -> Activation {
        self.output
    }

    /// The dense layers, input side first.
    pub fn layers(&self) -> &[Dense] {
        &self.layers
    }

    fn activation(&self, l: usize) -> Activation {
        if l + 1 == self.layers.len() {
            self.output
        } else {
            self.hidden
        }
    }

    /// Initialises this MLP's block of `params` (PyTorch default, see [`Dense::init`]).
    pub fn init(&self, params: &mut [f32], rng: &mut crate::rng::Rng) {
        for l in &self.layers {
            l.init(params, rng);
        }
    }

    /// A fresh parameter vector of length `range().end`, initialised from `seed`.
    pub fn init_params(&self, seed: u64) -> Vec<f32> {
        let mut p = vec![0.0; self.range.end];
        self.init(&mut p, &mut crate::rng::rng(seed));
        p
    }

    /// Buffers for batches of up to `capacity` rows.
    pub fn workspace(&self, capacity: usize) -> MlpWorkspace {
        let acts: Vec<Array2<f32>> = self.sizes[1..]
            .iter()
            .map(|&w| Array2::zeros((capacity, w)))
            .collect();
        MlpWorkspace {
            capacity,
            deltas: Vec::new(),
            acts,
        }
    }

    /// Checks a parameter vector and an input batch, for the public entry points.
    pub fn check(&self, params: &[f32], x: &ArrayView2<f32>) -> Result<(), NnError> {
        if params.len() < self.range.end {
            return Err(NnError::shape(
                "parameter vector length",
                self.range.end,
                params.len(),
            ));
        }
        if x.ncols() != self.n_in() {
            return Err(NnError::shape("input columns", self.n_in(), x.ncols()));
        }
        Ok(())
    }

    /// Forward pass of a batch `x` `(n, n_in)` with `n ≤ ws.capacity()`; returns the outputs
    /// `(n, n_out)` (kept in `ws` for [`Mlp::backward`]).
    ///
    /// # Panics
    /// If the shapes or the parameter length are wrong (see [`Mlp::check`]).
    pub fn forward<'w>(
        &self,
        params: &[f32],
        x: ArrayView2<f32>,
        ws: &'w mut MlpWorkspace,
    ) -> ArrayView2<'w, f32> {
        let n = x.nrows();
        for (l, layer) in self.layers.iter().enumerate() {
            let (done, rest) = ws.acts.split_at_mut(l);
            let input = if l == 0 {
                x.view()
            } else {
                done[l - 1].slice(s![..n, ..])
            };
            let mut out = rest[0].slice_mut(s![..n, ..]);
            layer.forward(params, input, out.view_mut());
            apply_rows(self.activation(l), out);
        }
        ws.acts[self.layers.len() - 1].slice(s![..n, ..])
    }

    /// Back-propagation after [`Mlp::forward`] on the same `x`: given `d_out = ∂L/∂outputs`
    /// `(n, n_out)`, **adds** ∂L/∂params into `grad` (same layout as `params`) and, if asked,
    /// **sets** `d_in = ∂L/∂x` `(n, n_in)`.
    ///
    /// # Panics
    /// If the shapes are wrong.
    pub fn backward(
        &self,
        params: &[f32],
        x: ArrayView2<f32>,
        ws: &mut MlpWorkspace,
        d_out: ArrayView2<f32>,
        grad: &mut [f32],
        d_in: Option<ArrayViewMut2<f32>>,
    ) {
        let n = x.nrows();
        let last = self.layers.len() - 1;
        if ws.deltas.len() != ws.acts.len() {
            ws.deltas = ws.acts.iter().map(|a| Array2::zeros(a.raw_dim())).collect();
        }
        ws.deltas[last].slice_mut(s![..n, ..]).assign(&d_out);
        for l in (0..=last).rev() {
            let (lower_d, upper_d) = ws.deltas.split_at_mut(l);
            let mut delta = upper_d[0].slice_mut(s![..n, ..]);
            let y = ws.acts[l].slice(s![..n, ..]);
            backprop_rows(self.activation(l), y, delta.view_mut());
            if l == 0 {
                self.layers[0].backward(params, x.view(), delta.view(), grad, None);
            } else {
                let input = ws.acts[l - 1].slice(s![..n, ..]);
                let d_below = lower_d[l - 1].slice_mut(s![..n, ..]);
                self.layers[l].backward(params, input, delta.view(), grad, Some(d_below));
            }
        }
        if let Some(d_in) = d_in {
            let delta = ws.deltas[0].slice(s![..n, ..]);
            gemm(&delta, &self.layers[0].weights(params).t(), 0.0, &mut {
                d_in
            });
        }
    }

    /// Outputs for every row of `x` `(n, n_in)` → `(n, n_out)`, in parallel over chunks of
    /// `PREDICT_CHUNK` rows.
    pub fn predict(&self, params: &[f32], x: ArrayView2<f32>) -> Result<Array2<f32>, NnError> {
        self.check(params, &x)?;
        let mut out = Array2::zeros((x.nrows(), self.n_out()));
        out.axis_chunks_iter_mut(Axis(0), PREDICT_CHUNK)
            .into_par_iter()
            .zip(x.axis_chunks_iter(Axis(0), PREDICT_CHUNK))
            .for_each_init(
                || self.workspace(PREDICT_CHUNK),
                |ws, (mut o, xc)| o.assign(&self.forward(params, xc, ws)),
            );
        Ok(out)
    }

    /// Jacobian of the outputs with respect to the inputs, `(n, n_out, n_in)`:
    /// `J[r, o, i] = ∂out[r, o]/∂x[r, i]`, by forward-mode differentiation (one tangent per
    /// input dimension, all propagated together as one matrix product per layer).
    pub fn input_jacobian(
        &self,
        params: &[f32],
        x: ArrayView2<f32>,
    ) -> Result<Array3<f32>, NnError> {
        self.check(params, &x)?;
        let mut jac = Array3::zeros((x.nrows(), self.n_out(), self.n_in()));
        jac.axis_chunks_iter_mut(Axis(0), PREDICT_CHUNK)
            .into_par_iter()
            .zip(x.axis_chunks_iter(Axis(0), PREDICT_CHUNK))
            .for_each_init(
                || self.workspace(PREDICT_CHUNK),
                |ws, (j, xc)| self.jacobian_chunk(params, xc, ws, j),
            );
        Ok(jac)
    }

    fn jacobian_chunk(
        &self,
        params: &[f32],
        x: ArrayView2<f32>,
        ws: &mut MlpWorkspace,
        mut jac: ndarray::ArrayViewMut3<f32>,
    ) {
        let (n, d) = (x.nrows(), self.n_in());
        self.forward(params, x, ws);
        // tangent rows r·d + i hold ∂h_l[r, :]/∂x[r, i]; layer 0 starts from W_0's rows
        let w0 = self.layers[0].weights(params);
        let mut t = Array2::<f32>::zeros((n * d, self.sizes[1]));
        for r in 0..n {
            t.slice_mut(s![r * d..(r + 1) * d, ..]).assign(&w0);
        }
        for l in 0..self.layers.len() {
            if l > 0 {
                let mut next = Array2::<f32>::zeros((n * d, self.sizes[l + 1]));
                gemm(
                    &t.view(),
                    &self.layers[l].weights(params),
                    0.0,
                    &mut next.view_mut(),
                );
                t = next;
            }
            let act = self.activation(l);
            let y = ws.acts[l].slice(s![..n, ..]);
            for r in 0..n {
                let yr = y.row(r);
                for mut row in t.slice_mut(s![r * d..(r + 1) * d, ..]).rows_mut() {
                    row.iter_mut()
                        .zip(yr)
                        .for_each(|(t, &y)| *t *= act.derivative_from_output(y));
                }
            }
        }
        for r in 0..n {
            jac.index_axis_mut(Axis(0), r)
                .assign(&t.slice(s![r * d..(r + 1) * d, ..]).t());
        }
    }
}

/// Applies `act` to a row-major block (contiguous fast path).
fn apply_rows(act: Activation, mut v: ArrayViewMut2<f32>) {
    match v.as_slice_mut() {
        Some(s) => act.apply(s),
        None => v.rows_mut().into_iter().for_each(|mut r| {
            r.iter_mut().for_each(|z| *z = act.eval(*z));
        }),
    }
}

/// `d *= f'(z)` from the outputs `y`, row-major blocks.
fn backprop_rows(act: Activation, y: ArrayView2<f32>, mut d: ArrayViewMut2<f32>) {
    match (y.as_slice(), d.as_slice_mut()) {
        (Some(ys), Some(ds)) => act.backprop(ys, ds),
        _ => ndarray::Zip::from(&mut d)
            .and(&y)
            .for_each(|d, &y| *d *= act.derivative_from_output(y)),
    }
}
