//! The Cholesky factor of a block-arrow precision matrix P = −∇² log p, without fill-in:
//! with the local blocks ordered before the shared coordinates, P = L Lᵀ where
//!
//! ```text
//! L = | L₁           |      L_i = chol(D_i)            (b × b, lower)
//!     |     ⋱        |      C_i = B_i L_i⁻ᵀ            (s × b)
//!     | C₁ … C_N  L_s|      L_s = chol(A − Σ_i C_i C_iᵀ) (s × s, lower)
//! ```
//!
//! (A: shared block, B_i: shared × star i, D_i: star i's block; positions keep their
//! shared-first order, only the algebra is permuted). Then x = x̂ + L⁻ᵀ z has the Laplace
//! covariance P⁻¹ for z ~ N(0, I), and ∇_z = L⁻¹ ∇_x: both in O(N b² + s²): a structured
//! preconditioner (mass matrix) for NUTS that keeps the star–global correlations the
//! diagonal Laplace scales drop.

use super::laplace::NegHessian;
use crate::stats::linalg::cholesky;
use ndarray::{s, Array2};

/// L of P = L Lᵀ for a block-arrow P (a dense P is the case of no blocks).
#[derive(Debug, Clone, PartialEq)]
pub struct ArrowFactor {
    shared: usize,
    block: usize,
    /// L_i, `(b, b)` lower triangular.
    l_blocks: Vec<Array2<f64>>,
    /// C_i, `(s, b)`.
    c_blocks: Vec<Array2<f64>>,
    /// L_s, `(s, s)` lower triangular.
    l_shared: Array2<f64>,
}

impl ArrowFactor {
    /// The factor of −∇² log p, or `None` when it is not positive definite.
    pub fn new(h: &NegHessian) -> Option<ArrowFactor> {
        let s = h.shared_rows.nrows();
        let b = h.blocks.first().map_or(0, |m| m.nrows());
        let mut schur = h.shared_rows.slice(s![.., ..s]).to_owned();
        let mut l_blocks = Vec::with_capacity(h.blocks.len());
        let mut c_blocks = Vec::with_capacity(h.blocks.len());
        for (i, d) in h.blocks.iter().enumerate() {
            let l = cholesky(d.view())?;
            let bi = h.shared_rows.slice(s![.., s + i * b..s + (i + 1) * b]);
            // C_i = B_i L_i⁻ᵀ: solve L_i C_iᵀ = B_iᵀ column by column
            let mut c = Array2::zeros((s, b));
            for r in 0..s {
                let row = forward(&l, &bi.row(r).to_vec());
                c.row_mut(r).assign(&ndarray::Array1::from(row));
            }
            schur -= &c.dot(&c.t());
            l_blocks.push(l);
            c_blocks.push(c);
        }
        let l_shared = cholesky(crate::stats::linalg::symmetrise(schur).view())?;
        Some(ArrowFactor {
            shared: s,
            block: b,
            l_blocks,
            c_blocks,
            l_shared,
        })
    }

    /// The dimension.
    pub fn dim(&self) -> usize {
        self.shared + self.block * self.l_blocks.len()
    }

    /// dx = L⁻ᵀ z (shared-first positions).
    pub fn displacement(&self, z: &[f64], dx: &mut [f64]) {
        let (s, b) = (self.shared, self.block);
        let ws = backward(&self.l_shared, &z[..s]);
        dx[..s].copy_from_slice(&ws);
        for (i, (l, c)) in self.l_blocks.iter().zip(&self.c_blocks).enumerate() {
            let zi = &z[s + i * b..s + (i + 1) * b];
            let rhs: Vec<f64> = (0..b)
                .map(|k| zi[k] - (0..s).map(|r| c[[r, k]] * ws[r]).sum::<f64>())
                .collect();
            dx[s + i * b..s + (i + 1) * b].copy_from_slice(&backward(l, &rhs));
        }
    }

    /// ∇_z = L⁻¹ ∇_x (shared-first positions).
    pub fn pull_gradient(&self, gx: &[f64], gz: &mut [f64]) {
        let (s, b) = (self.shared, self.block);
        let mut rhs = gx[..s].to_vec();
        for (i, (l, c)) in self.l_blocks.iter().zip(&self.c_blocks).enumerate() {
            let vi = forward(l, &gx[s + i * b..s + (i + 1) * b]);
            for (r, acc) in rhs.iter_mut().enumerate() {
                *acc -= (0..b).map(|k| c[[r, k]] * vi[k]).sum::<f64>();
            }
            gz[s + i * b..s + (i + 1) * b].copy_from_slice(&vi);
        }
        gz[..s].copy_from_slice(&forward(&self.l_shared, &rhs));
    }
}

/// Solves L y = v for lower-triangular L.
fn forward(l: &Array2<f64>, v: &[f64]) -> Vec<f64> {
    let n = v.len();
    let mut y = vec![0.0; n];
    for i in 0..n {
        let acc: f64 = (0..i).map(|k| l[[i, k]] * y[k]).sum();
        y[i] = (v[i] - acc) / l[[i, i]];
    }
    y
}

/// Solves Lᵀ y = v for lower-triangular L.
fn backward(l: &Array2<f64>, v: &[f64]) -> Vec<f64> {
    let n = v.len();
    let mut y = vec![0.0; n];
    for i in (0..n).rev() {
        let acc: f64 = (i + 1..n).map(|k| l[[k, i]] * y[k]).sum();
        y[i] = (v[i] - acc) / l[[i, i]];
    }
    y
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::linalg::spd_inverse;

    #[test]
    fn the_factor_reproduces_the_covariance_and_the_gradient_map() {
        // 2 shared, 3 blocks of 2
        let n = 8;
        let mut p = Array2::<f64>::eye(n) * 3.0;
        for i in 0..3 {
            let (a, c) = (2 + 2 * i, 3 + 2 * i);
            p[[a, c]] = 0.7;
            p[[c, a]] = 0.7;
            p[[0, a]] = 0.4 + 0.1 * i as f64;
            p[[a, 0]] = p[[0, a]];
            p[[1, c]] = -0.5;
            p[[c, 1]] = -0.5;
        }
        p[[0, 1]] = 0.9;
        p[[1, 0]] = 0.9;
        let h = NegHessian {
            shared_rows: p.slice(s![..2, ..]).to_owned(),
            blocks: (0..3)
                .map(|i| {
                    p.slice(s![2 + 2 * i..4 + 2 * i, 2 + 2 * i..4 + 2 * i])
                        .to_owned()
                })
                .collect(),
        };
        let f = ArrowFactor::new(&h).unwrap();
        // M = L⁻ᵀ (columns: displacements of unit z) satisfies M Mᵀ = P⁻¹
        let mut m = Array2::zeros((n, n));
        for k in 0..n {
            let mut z = vec![0.0; n];
            z[k] = 1.0;
            let mut dx = vec![0.0; n];
            f.displacement(&z, &mut dx);
            m.column_mut(k).assign(&ndarray::Array1::from(dx));
        }
        let cov = spd_inverse(p.view()).unwrap();
        let mmt = m.dot(&m.t());
        for (a, b) in mmt.iter().zip(cov.iter()) {
            assert!((a - b).abs() < 1e-12);
        }
        // the gradient map is the transpose: ∇_z = Mᵀ ∇_x
        let gx: Vec<f64> = (0..n).map(|k| (k as f64 * 0.7).sin()).collect();
        let mut gz = vec![0.0; n];
        f.pull_gradient(&gx, &mut gz);
        let want = m.t().dot(&ndarray::Array1::from(gx));
        for (a, b) in gz.iter().zip(want.iter()) {
            assert!((a - b).abs() < 1e-12);
        }
    }
}
