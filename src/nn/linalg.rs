//! Row-major matrix views into flat f32 buffers and the matrix products of the layers.
//!
//! Layer weights are stored `(n_in, n_out)` row-major so that the forward product `X·W`
//! reads both operands contiguously. The products of a small network are small
//! (e.g. 32 × 100 · 100 × 40), where a general sgemm spends much of its time packing its
//! operands; [`gemm`] therefore runs its own register-tiled kernels on contiguous operands
//! (4 rows × 16 columns of accumulators, FMA, no packing, no allocation) and falls back to
//! ndarray's `general_mat_mul` (matrixmultiply) for any other memory layout.

use super::fastmath::fma;
use ndarray::linalg::general_mat_mul;
use ndarray::{ArrayView1, ArrayView2, ArrayViewMut2};
use std::cell::RefCell;

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

/// How a kernel writes its result into C.
#[derive(Clone, Copy)]
enum Store<'a> {
    /// C = A·B.
    Set,
    /// C += A·B.
    Add,
    /// C = A·B + 1bᵀ.
    Bias(&'a [f32]),
}

/// Column `p` of the current block of MR rows of A.
trait Panel<const MR: usize> {
    fn col(&self, p: usize) -> [f32; MR];
}

/// MR rows of a row-major A (each slice has length k).
struct Rows<'a, const MR: usize>([&'a [f32]; MR]);

impl<const MR: usize> Panel<MR> for Rows<'_, MR> {
    #[inline(always)]
    fn col(&self, p: usize) -> [f32; MR] {
        std::array::from_fn(|i| self.0[i][p])
    }
}

/// MR rows of Aᵀ, where A is row-major `(k, m)` with row stride `lda`: A's row p holds
/// the block's column p contiguously.
struct Cols<'a> {
    a: &'a [f32],
    lda: usize,
    i0: usize,
}

impl<const MR: usize> Panel<MR> for Cols<'_> {
    #[inline(always)]
    fn col(&self, p: usize) -> [f32; MR] {
        let s = &self.a[p * self.lda + self.i0..p * self.lda + self.i0 + MR];
        std::array::from_fn(|i| s[i])
    }
}

/// The MR × NR block of C at (i0, j0): Σ_p A(:, p)·B(p, j0..j0+NR).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn tile<const MR: usize, const NR: usize, P: Panel<MR>>(
    panel: &P,
    k: usize,
    b: &[f32],
    ldb: usize,
    c: &mut [f32],
    ldc: usize,
    (i0, j0): (usize, usize),
    store: Store,
) {
    let mut acc = [[0f32; NR]; MR];
    if let Store::Bias(bias) = store {
        let bj = &bias[j0..j0 + NR];
        for row in acc.iter_mut() {
            row.copy_from_slice(bj);
        }
    }
    for p in 0..k {
        let brow = &b[p * ldb + j0..p * ldb + j0 + NR];
        let av = panel.col(p);
        for i in 0..MR {
            for j in 0..NR {
                acc[i][j] = fma(av[i], brow[j], acc[i][j]);
            }
        }
    }
    for (i, row) in acc.iter().enumerate() {
        let crow = &mut c[(i0 + i) * ldc + j0..(i0 + i) * ldc + j0 + NR];
        match store {
            Store::Add => crow.iter_mut().zip(row).for_each(|(c, a)| *c += a),
            Store::Set | Store::Bias(_) => crow.copy_from_slice(row),
        }
    }
}

/// One block of MR rows of C, all its columns.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn row_block<const MR: usize, P: Panel<MR>>(
    panel: &P,
    n: usize,
    k: usize,
    b: &[f32],
    ldb: usize,
    c: &mut [f32],
    ldc: usize,
    i0: usize,
    store: Store,
) {
    let mut j0 = 0;
    while j0 + 16 <= n {
        tile::<MR, 16, P>(panel, k, b, ldb, c, ldc, (i0, j0), store);
        j0 += 16;
    }
    if j0 + 8 <= n {
        tile::<MR, 8, P>(panel, k, b, ldb, c, ldc, (i0, j0), store);
        j0 += 8;
    }
    if j0 + 4 <= n {
        tile::<MR, 4, P>(panel, k, b, ldb, c, ldc, (i0, j0), store);
        j0 += 4;
    }
    while j0 < n {
        tile::<MR, 1, P>(panel, k, b, ldb, c, ldc, (i0, j0), store);
        j0 += 1;
    }
}

const MR: usize = 4;

/// C `(m, n)` ← A `(m, k)` · B `(k, n)`, all contiguous row-major.
fn kernel_nn(m: usize, n: usize, k: usize, a: &[f32], b: &[f32], c: &mut [f32], store: Store) {
    let mut i0 = 0;
    while i0 + MR <= m {
        let rows: [&[f32]; MR] = std::array::from_fn(|i| &a[(i0 + i) * k..(i0 + i + 1) * k]);
        row_block::<MR, _>(&Rows(rows), n, k, b, n, c, n, i0, store);
        i0 += MR;
    }
    while i0 < m {
        let rows = [&a[i0 * k..(i0 + 1) * k]];
        row_block::<1, _>(&Rows(rows), n, k, b, n, c, n, i0, store);
        i0 += 1;
    }
}

/// C `(m, n)` ← Aᵀ · B where A is `(k, m)` and B `(k, n)`, contiguous row-major.
fn kernel_tn(m: usize, n: usize, k: usize, a: &[f32], b: &[f32], c: &mut [f32], store: Store) {
    let mut i0 = 0;
    while i0 + MR <= m {
        row_block::<MR, _>(&Cols { a, lda: m, i0 }, n, k, b, n, c, n, i0, store);
        i0 += MR;
    }
    while i0 < m {
        row_block::<1, _>(&Cols { a, lda: m, i0 }, n, k, b, n, c, n, i0, store);
        i0 += 1;
    }
}

/// `dst` `(cols, rows)` ← transpose of `src` `(rows, cols)`, both row-major; blocks of 8
/// source rows give contiguous 8-wide writes.
fn transpose(src: &[f32], rows: usize, cols: usize, dst: &mut [f32]) {
    let mut r0 = 0;
    while r0 + 8 <= rows {
        let block: [&[f32]; 8] =
            std::array::from_fn(|i| &src[(r0 + i) * cols..(r0 + i + 1) * cols]);
        for p in 0..cols {
            let out = &mut dst[p * rows + r0..p * rows + r0 + 8];
            for i in 0..8 {
                out[i] = block[i][p];
            }
        }
        r0 += 8;
    }
    for r in r0..rows {
        for p in 0..cols {
            dst[p * rows + r] = src[r * cols + p];
        }
    }
}

thread_local! {
    /// Scratch space for transposing the right operand of `A·Bᵀ` products.
    static TRANSPOSED: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}

/// Dispatches contiguous operands to the kernels; `None` if the layouts do not fit.
fn try_kernels(
    a: &ArrayView2<f32>,
    b: &ArrayView2<f32>,
    c: &mut ArrayViewMut2<f32>,
    store: Store,
) -> Option<()> {
    let (m, k) = a.dim();
    let n = b.ncols();
    let cs = c.as_slice_mut()?;
    match (a.as_slice(), b.as_slice()) {
        (Some(asl), Some(bsl)) => kernel_nn(m, n, k, asl, bsl, cs, store),
        (None, Some(bsl)) => kernel_tn(m, n, k, a.t().as_slice()?, bsl, cs, store),
        (Some(asl), None) => {
            // B is the transpose of a contiguous (n, k) matrix: copy it to (k, n) first
            let bt = b.t();
            let src = bt.as_slice()?;
            TRANSPOSED.with(|t| {
                let mut t = t.borrow_mut();
                t.resize(k * n, 0.0);
                transpose(src, n, k, &mut t);
                kernel_nn(m, n, k, asl, &t, cs, store);
            });
        }
        (None, None) => return None,
    }
    Some(())
}

/// `c ← beta·c + a·b` for a `(m, k)`, b `(k, n)`, c `(m, n)`.
///
/// # Panics
/// If the shapes do not chain.
pub fn gemm(a: &ArrayView2<f32>, b: &ArrayView2<f32>, beta: f32, c: &mut ArrayViewMut2<f32>) {
    assert!(
        a.ncols() == b.nrows() && c.dim() == (a.nrows(), b.ncols()),
        "gemm: shapes {:?} · {:?} → {:?}",
        a.dim(),
        b.dim(),
        c.dim()
    );
    let store = if beta == 0.0 {
        Store::Set
    } else if beta == 1.0 {
        Store::Add
    } else {
        c.mapv_inplace(|v| v * beta);
        Store::Add
    };
    if try_kernels(a, b, c, store).is_none() {
        general_mat_mul(1.0, a, b, if beta == 0.0 { 0.0 } else { 1.0 }, c);
    }
}

/// `c ← a·b + 1·biasᵀ` (a dense layer's pre-activation).
///
/// # Panics
/// If the shapes do not chain or `bias` does not have `b.ncols()` entries.
pub fn gemm_bias(
    a: &ArrayView2<f32>,
    b: &ArrayView2<f32>,
    bias: &ArrayView1<f32>,
    c: &mut ArrayViewMut2<f32>,
) {
    assert!(
        a.ncols() == b.nrows() && c.dim() == (a.nrows(), b.ncols()) && bias.len() == b.ncols(),
        "gemm_bias: shapes {:?} · {:?} + {:?} → {:?}",
        a.dim(),
        b.dim(),
        bias.dim(),
        c.dim()
    );
    if let Some(bs) = bias.as_slice() {
        if try_kernels(a, b, c, Store::Bias(bs)).is_some() {
            return;
        }
    }
    for mut row in c.rows_mut() {
        row.assign(bias);
    }
    general_mat_mul(1.0, a, b, 1.0, c);
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{s, Array1, Array2};

    fn reference(a: &Array2<f32>, b: &Array2<f32>) -> Array2<f64> {
        a.mapv(f64::from).dot(&b.mapv(f64::from))
    }

    fn close(got: &ArrayView2<f32>, want: &Array2<f64>) {
        for (g, w) in got.iter().zip(want.iter()) {
            assert!(
                (f64::from(*g) - w).abs() < 1e-5 * (1.0 + w.abs()),
                "{g} vs {w}"
            );
        }
    }

    #[test]
    fn every_layout_and_store_mode_matches_f64_products() {
        let mut r = crate::rng::rng(3);
        use rand::Rng;
        // shapes with every tile remainder: rows mod 4, columns mod 16/8/4/1
        for &(m, k, n) in &[
            (1, 1, 1),
            (5, 3, 29),
            (32, 6, 100),
            (7, 40, 8),
            (13, 17, 21),
        ] {
            let a = Array2::from_shape_fn((m, k), |_| r.gen_range(-1.0f32..1.0));
            let b = Array2::from_shape_fn((k, n), |_| r.gen_range(-1.0f32..1.0));
            let want = reference(&a, &b);
            let at = a.t().to_owned(); // (k, m) contiguous: a = at.t() is a TN operand
            let bt = b.t().to_owned(); // (n, k) contiguous: b = bt.t() is an NT operand
            for (av, bv) in [
                (a.view(), b.view()),
                (at.t(), b.view()),
                (a.view(), bt.t()),
                (at.t(), bt.t()), // no kernel: matrixmultiply fallback
            ] {
                let mut c = Array2::from_elem((m, n), 7.0f32);
                gemm(&av, &bv, 0.0, &mut c.view_mut());
                close(&c.view(), &want);
                gemm(&av, &bv, 1.0, &mut c.view_mut());
                close(&c.view(), &(&want * 2.0));
                gemm(&av, &bv, 0.5, &mut c.view_mut());
                close(&c.view(), &(&want * 2.0));
                let bias = Array1::from_shape_fn(n, |j| j as f32 * 0.25);
                gemm_bias(&av, &bv, &bias.view(), &mut c.view_mut());
                close(&c.view(), &(&want + &bias.mapv(f64::from)));
            }
            // a non-contiguous output block (fallback path)
            let mut big = Array2::<f32>::zeros((m, n + 3));
            gemm(
                &a.view(),
                &b.view(),
                0.0,
                &mut big.slice_mut(s![.., 1..n + 1]),
            );
            close(&big.slice(s![.., 1..n + 1]), &want);
            assert!(big.column(0).iter().all(|&v| v == 0.0));
        }
    }
}
