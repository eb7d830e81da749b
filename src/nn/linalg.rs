//! Row-major matrix views into flat f32 buffers and the matrix products of the layers.
//!
//! All products go through ndarray's `general_mat_mul` (the `matrixmultiply` sgemm with its
//! AVX2/FMA micro-kernels). Layer weights are stored `(n_in, n_out)` row-major so that the
//! forward product `X·W` reads both operands contiguously.

use ndarray::linalg::general_mat_mul;
use ndarray::{ArrayView2, ArrayViewMut2};

/// The `(rows, cols)` row-major matrix stored at `buf[offset..offset + rows·cols]`.
///
/// # Panics
/// If the buffer is shorter than `offset + rows·cols` (a parameter vector of the wrong
/// length; public entry points check lengths first).
pub fn mat(buf: &[f32], offset: usize, rows: usize, cols: usize) -> ArrayView2<'_, f32> {
    let s = &buf[offset..offset + rows * cols];
    match ArrayView2::from_shape((rows, cols), s) {
        Ok(v) => v,
        Err(_) => unreachable!("a slice of rows·cols elements always has shape (rows, cols)"),
    }
}

/// Mutable form of [`mat`].
///
/// # Panics
/// As [`mat`].
pub fn mat_mut(buf: &mut [f32], offset: usize, rows: usize, cols: usize) -> ArrayViewMut2<'_, f32> {
    let s = &mut buf[offset..offset + rows * cols];
    match ArrayViewMut2::from_shape((rows, cols), s) {
        Ok(v) => v,
        Err(_) => unreachable!("a slice of rows·cols elements always has shape (rows, cols)"),
    }
}

/// `c ← beta·c + a·b`.
///
/// # Panics
/// If the shapes do not chain: a `(m, k)`, b `(k, n)`, c `(m, n)`.
#[inline]
pub fn gemm(a: &ArrayView2<f32>, b: &ArrayView2<f32>, beta: f32, c: &mut ArrayViewMut2<f32>) {
    general_mat_mul(1.0, a, b, beta, c);
}
