//! The Laplace approximation at a mode: the Hessian of −log p from central finite
//! differences of the analytic gradient, and the covariance Σ = (−∇² log p)⁻¹.
//!
//! A hierarchical model's Hessian is a *block arrow*: the s shared coordinates (global
//! parameters, model errors) couple with everything, and each star's block of b local
//! coordinates only with itself and the shared ones. Perturbing the k-th local coordinate of
//! every star at once then gives all the local blocks together, so the Hessian costs
//! 2(s + b) gradient evaluations whatever the number of stars, and the covariance follows
//! from the Schur complement
//!
//! ```text
//! Σ_ss = (A − Σ_i B_i D_i⁻¹ B_iᵀ)⁻¹,   Σ_ii = D_i⁻¹ + D_i⁻¹ B_iᵀ Σ_ss B_i D_i⁻¹
//! ```
//!
//! (A: shared block, B_i: shared × star i, D_i: star i's block), in O(N·b³ + s³).

use crate::model::{DensityError, LogDensity};
use crate::stats::linalg::{spd_inverse, symmetrise};
use ndarray::{s, Array2};

/// The sparsity of a density's Hessian.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Structure {
    /// Any coordinate may couple with any other.
    Dense,
    /// `shared` leading coordinates couple with all; the rest form blocks of `block`
    /// coordinates that couple only with themselves and the shared ones.
    BlockArrow {
        /// Number of shared (leading) coordinates.
        shared: usize,
        /// Size of each block.
        block: usize,
    },
}

/// −∇² log p at a point, stored by its structure.
#[derive(Debug, Clone, PartialEq)]
pub struct NegHessian {
    /// The shared coordinates' rows, `(s, dim)` (all rows for [`Structure::Dense`]).
    pub shared_rows: Array2<f64>,
    /// The diagonal blocks of the local coordinates, `(b, b)` each.
    pub blocks: Vec<Array2<f64>>,
}

/// The Laplace approximation: covariance of the shared coordinates and every coordinate's
/// marginal standard deviation.
#[derive(Debug, Clone, PartialEq)]
pub struct Laplace {
    /// Covariance of the shared (leading) coordinates, `(s, s)`; the full covariance for a
    /// dense structure.
    pub shared_cov: Array2<f64>,
    /// Marginal standard deviations of all coordinates.
    pub sd: Vec<f64>,
    /// Gradient evaluations spent.
    pub evaluations: usize,
}

/// The Laplace approximation of `d` at `x` with finite-difference step `h` (in the
/// coordinates of `d`).
pub fn laplace(
    d: &dyn LogDensity,
    x: &[f64],
    structure: Structure,
    h: f64,
) -> Result<Laplace, LaplaceError> {
    let (hess, evaluations) = neg_hessian(d, x, structure, h)?;
    let (shared_cov, sd) = covariance(&hess)?;
    Ok(Laplace {
        shared_cov,
        sd,
        evaluations,
    })
}

/// Why the Laplace approximation failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LaplaceError {
    /// The density failed at a perturbed point.
    #[error(transparent)]
    Density(#[from] DensityError),
    /// −∇² log p is not positive definite (not at a mode, or a flat direction).
    #[error("the Hessian of −log p is not positive definite at this point ({0}): not a mode, or a direction the data do not constrain")]
    NotPositiveDefinite(String),
}

/// −∇² log p at `x` and the number of gradient evaluations.
pub fn neg_hessian(
    d: &dyn LogDensity,
    x: &[f64],
    structure: Structure,
    h: f64,
) -> Result<(NegHessian, usize), DensityError> {
    let n = x.len();
    let (s, b) = match structure {
        Structure::Dense => (n, 0),
        Structure::BlockArrow { shared, block } => (shared.min(n), block),
    };
    let n_blocks = (n - s).checked_div(b).unwrap_or(0);
    let mut rows = Array2::zeros((s, n));
    let mut blocks = vec![Array2::zeros((b, b)); n_blocks];
    let diff = |coords: &[usize]| -> Result<Vec<f64>, DensityError> {
        let (mut up, mut down) = (x.to_vec(), x.to_vec());
        coords
            .iter()
            .for_each(|&c| (up[c], down[c]) = (x[c] + h, x[c] - h));
        let (mut gu, mut gd) = (vec![0.0; n], vec![0.0; n]);
        d.log_density_grad(&up, &mut gu)?;
        d.log_density_grad(&down, &mut gd)?;
        Ok(gu
            .iter()
            .zip(&gd)
            .map(|(u, v)| -(u - v) / (2.0 * h))
            .collect())
    };
    for k in 0..s {
        let col = diff(&[k])?;
        rows.row_mut(k).assign(&ndarray::Array1::from(col));
    }
    for k in 0..b {
        let coords: Vec<usize> = (0..n_blocks).map(|i| s + i * b + k).collect();
        let col = diff(&coords)?;
        for (i, blk) in blocks.iter_mut().enumerate() {
            for r in 0..b {
                blk[[r, k]] = col[s + i * b + r];
            }
        }
    }
    // symmetrise the shared block and every local block
    let sym = symmetrise(rows.slice(s![.., ..s]).to_owned());
    rows.slice_mut(s![.., ..s]).assign(&sym);
    let blocks = blocks.into_iter().map(symmetrise).collect();
    Ok((
        NegHessian {
            shared_rows: rows,
            blocks,
        },
        2 * (s + b),
    ))
}

/// Σ_ss and the marginal sds from −∇² log p (the Schur complement above).
pub fn covariance(hess: &NegHessian) -> Result<(Array2<f64>, Vec<f64>), LaplaceError> {
    let s = hess.shared_rows.nrows();
    let b = hess.blocks.first().map_or(0, |m| m.nrows());
    let mut schur = hess.shared_rows.slice(s![.., ..s]).to_owned();
    let mut parts = Vec::with_capacity(hess.blocks.len());
    for (i, blk) in hess.blocks.iter().enumerate() {
        let d_inv = spd_inverse(blk.view())
            .ok_or_else(|| LaplaceError::NotPositiveDefinite(format!("block {i}")))?;
        let bi = hess
            .shared_rows
            .slice(s![.., s + i * b..s + (i + 1) * b])
            .to_owned();
        let bd = bi.dot(&d_inv); // B_i D_i⁻¹ (s × b)
        schur -= &bd.dot(&bi.t());
        parts.push((d_inv, bd));
    }
    let shared_cov = spd_inverse(symmetrise(schur).view())
        .ok_or_else(|| LaplaceError::NotPositiveDefinite("shared coordinates".into()))?;
    let mut sd: Vec<f64> = (0..s).map(|k| shared_cov[[k, k]].sqrt()).collect();
    for (d_inv, bd) in &parts {
        let m = bd.t().dot(&shared_cov).dot(bd); // D⁻¹Bᵀ Σ_ss B D⁻¹
        sd.extend((0..b).map(|k| (d_inv[[k, k]] + m[[k, k]]).sqrt()));
    }
    if sd.iter().any(|v| !v.is_finite()) {
        return Err(LaplaceError::NotPositiveDefinite(
            "a non-finite variance".into(),
        ));
    }
    Ok((shared_cov, sd))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::linalg::spd_inverse;

    /// A Gaussian with a block-arrow precision: log p = −½ xᵀ P x.
    struct Gauss(Array2<f64>);

    impl LogDensity for Gauss {
        fn dim(&self) -> usize {
            self.0.nrows()
        }
        fn log_density_grad(&self, x: &[f64], g: &mut [f64]) -> Result<f64, DensityError> {
            let v = ndarray::Array1::from(x.to_vec());
            let px = self.0.dot(&v);
            g.iter_mut().zip(&px).for_each(|(g, p)| *g = -p);
            Ok(-0.5 * v.dot(&px))
        }
    }

    #[test]
    fn block_arrow_covariance_equals_the_dense_inverse() {
        // 2 shared coordinates, 3 blocks of 2
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
        let exact = spd_inverse(p.view()).unwrap();
        let d = Gauss(p);
        let x = vec![0.1; n];
        let arrow = laplace(
            &d,
            &x,
            Structure::BlockArrow {
                shared: 2,
                block: 2,
            },
            1e-4,
        )
        .unwrap();
        let dense = laplace(&d, &x, Structure::Dense, 1e-4).unwrap();
        assert_eq!(arrow.evaluations, 8);
        for k in 0..n {
            assert!((arrow.sd[k] - exact[[k, k]].sqrt()).abs() < 1e-8, "{k}");
            assert!((dense.sd[k] - exact[[k, k]].sqrt()).abs() < 1e-8, "{k}");
        }
        for (a, e) in arrow
            .shared_cov
            .iter()
            .zip(exact.slice(s![..2, ..2]).iter())
        {
            assert!((a - e).abs() < 1e-8);
        }
        let flat = Gauss(Array2::zeros((2, 2)));
        assert!(matches!(
            laplace(&flat, &[0.0, 0.0], Structure::Dense, 1e-4),
            Err(LaplaceError::NotPositiveDefinite(_))
        ));
    }
}
