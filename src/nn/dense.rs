//! Fully connected (dense) layer with an optional fixed 0/1 connectivity mask.
//!
//! The layer owns no numbers: its weights `W` (shape `(n_in, n_out)`, row-major, i.e. the
//! transpose of PyTorch's `(out, in)` storage) and then its bias `b` (`n_out`) live in the
//! model's flat parameter vector starting at [`Dense::offset`]. On a batch `X` of shape
//! `(n, n_in)` the layer computes `Y = X·W + 1bᵀ`, shape `(n, n_out)`.
//!
//! **Masks.** `mask[[i, o]] = 1` keeps the connection input `i` → output `o`. Masked weights
//! are zeroed by [`Dense::init`] and their gradients are zeroed by [`Dense::backward`], so
//! every optimizer here (whose update of a parameter with zero gradient and zero value is
//! zero, weight decay included) keeps them exactly zero; the forward pass therefore uses the
//! stored matrix directly. After writing parameters from elsewhere, call
//! [`Dense::apply_mask`].

use super::linalg::{gemm, gemm_bias, mat, mat_mut};
use super::params::ParamLayout;
use crate::rng::Rng;
use ndarray::{Array2, ArrayView1, ArrayView2, ArrayViewMut1, ArrayViewMut2};
use rand::Rng as _;
use serde::{Deserialize, Serialize};
use std::ops::Range;

/// A dense layer: a block of `n_in·n_out + n_out` parameters and an optional mask.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dense {
    n_in: usize,
    n_out: usize,
    offset: usize,
    /// `(n_in, n_out)` row-major, entries 0.0 or 1.0.
    mask: Option<Vec<f32>>,
}

impl Dense {
    /// An unmasked `n_in → n_out` layer whose parameters are allocated from `layout`.
    pub fn new(layout: &mut ParamLayout, n_in: usize, n_out: usize) -> Self {
        let offset = layout.alloc(n_in * n_out + n_out).start;
        Self {
            n_in,
            n_out,
            offset,
            mask: None,
        }
    }

    /// A masked layer; `mask` has shape `(n_in, n_out)` and `mask[[i, o]]` is true when input
    /// `i` feeds output `o`.
    pub fn masked(layout: &mut ParamLayout, mask: ArrayView2<bool>) -> Self {
        let (n_in, n_out) = mask.dim();
        let mut d = Self::new(layout, n_in, n_out);
        d.mask = Some(mask.iter().map(|&m| if m { 1.0 } else { 0.0 }).collect());
        d
    }

    /// Number of inputs.
    pub fn n_in(&self) -> usize {
        self.n_in
    }

    /// Number of outputs.
    pub fn n_out(&self) -> usize {
        self.n_out
    }

    /// Index of the first weight in the flat parameter vector.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// Number of parameters (`n_in·n_out + n_out`, masked weights included).
    pub fn n_params(&self) -> usize {
        self.n_in * self.n_out + self.n_out
    }

    /// The layer's block in the flat parameter vector (weights, then bias).
    pub fn range(&self) -> Range<usize> {
        self.offset..self.offset + self.n_params()
    }

    fn bias_offset(&self) -> usize {
        self.offset + self.n_in * self.n_out
    }

    /// The mask as a `(n_in, n_out)` boolean array, if the layer has one.
    pub fn mask(&self) -> Option<Array2<bool>> {
        self.mask.as_ref().map(|m| {
            Array2::from_shape_fn((self.n_in, self.n_out), |(i, o)| {
                m[i * self.n_out + o] != 0.0
            })
        })
    }

    /// The weights `W`, shape `(n_in, n_out)`.
    pub fn weights<'a>(&self, params: &'a [f32]) -> ArrayView2<'a, f32> {
        mat(params, self.offset, self.n_in, self.n_out)
    }

    /// Mutable weights.
    pub fn weights_mut<'a>(&self, params: &'a mut [f32]) -> ArrayViewMut2<'a, f32> {
        mat_mut(params, self.offset, self.n_in, self.n_out)
    }

    /// The bias `b`, length `n_out`.
    pub fn bias<'a>(&self, params: &'a [f32]) -> ArrayView1<'a, f32> {
        ArrayView1::from(&params[self.bias_offset()..self.bias_offset() + self.n_out])
    }

    /// Mutable bias.
    pub fn bias_mut<'a>(&self, params: &'a mut [f32]) -> ArrayViewMut1<'a, f32> {
        let b = self.bias_offset();
        ArrayViewMut1::from(&mut params[b..b + self.n_out])
    }

    /// PyTorch's default initialisation: every weight and bias ~ U(−1/√n_in, 1/√n_in)
    /// (weights first, row by row, then the bias), masked weights then set to 0.
    pub fn init(&self, params: &mut [f32], rng: &mut Rng) {
        let bound = 1.0 / (self.n_in.max(1) as f64).sqrt();
        for p in &mut params[self.range()] {
            *p = rng.gen_range(-bound..bound) as f32;
        }
        self.apply_mask(params);
    }

    /// Sets the masked weights to exactly zero (no-op without a mask).
    pub fn apply_mask(&self, params: &mut [f32]) {
        if let Some(m) = &self.mask {
            let w = &mut params[self.offset..self.bias_offset()];
            w.iter_mut()
                .zip(m)
                .for_each(|(w, &m)| *w = if m == 0.0 { 0.0 } else { *w });
        }
    }

    /// `out = x·W + 1bᵀ` for a batch `x` `(n, n_in)`; `out` is `(n, n_out)`.
    ///
    /// # Panics
    /// If the shapes do not match the layer or `params` is too short.
    pub fn forward(&self, params: &[f32], x: ArrayView2<f32>, mut out: ArrayViewMut2<f32>) {
        gemm_bias(&x, &self.weights(params), &self.bias(params), &mut out);
    }

    /// `out += x·W + 1bᵀ` (for layers whose outputs are summed, like the flow's context input).
    ///
    /// # Panics
    /// As [`Dense::forward`].
    pub fn forward_add(&self, params: &[f32], x: ArrayView2<f32>, mut out: ArrayViewMut2<f32>) {
        gemm(&x, &self.weights(params), 1.0, &mut out);
        let b = self.bias(params);
        for mut row in out.rows_mut() {
            row += &b;
        }
    }

    /// Back-propagation for a batch: given the layer input `x` `(n, n_in)` and
    /// `d_out = ∂L/∂Y` `(n, n_out)`, **adds** `∂L/∂W = xᵀ·d_out` (masked) and
    /// `∂L/∂b = Σ_rows d_out` into the layer's block of the flat gradient `grad`, and, when
    /// `d_in` is given, **sets** `d_in = ∂L/∂X = d_out·Wᵀ` `(n, n_in)`.
    ///
    /// # Panics
    /// If the shapes do not match the layer or `params`/`grad` are too short.
    pub fn backward(
        &self,
        params: &[f32],
        x: ArrayView2<f32>,
        d_out: ArrayView2<f32>,
        grad: &mut [f32],
        d_in: Option<ArrayViewMut2<f32>>,
    ) {
        {
            let mut gw = mat_mut(grad, self.offset, self.n_in, self.n_out);
            gemm(&x.t(), &d_out, 1.0, &mut gw);
        }
        if let Some(m) = &self.mask {
            let gw = &mut grad[self.offset..self.bias_offset()];
            gw.iter_mut()
                .zip(m)
                .for_each(|(g, &m)| *g = if m == 0.0 { 0.0 } else { *g });
        }
        let bo = self.bias_offset();
        let gb = &mut grad[bo..bo + self.n_out];
        for row in d_out.rows() {
            match row.as_slice() {
                Some(r) => gb.iter_mut().zip(r).for_each(|(g, &d)| *g += d),
                None => gb.iter_mut().zip(row).for_each(|(g, &d)| *g += d),
            }
        }
        if let Some(mut d_in) = d_in {
            gemm(&d_out, &self.weights(params).t(), 0.0, &mut d_in);
        }
    }
}
