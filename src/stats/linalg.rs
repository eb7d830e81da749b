//! Small dense symmetric matrices in f64 (the covariances and precisions of a few global
//! parameters): Cholesky factorisation, inverse, log-determinant, eigenvalues, products.
//! Matrices are `ndarray::Array2<f64>` of shape `(k, k)`; k is small (2 for the paper).

use ndarray::{Array1, Array2, ArrayView1, ArrayView2};

/// The lower Cholesky factor L of a symmetric positive-definite `a` (`a = L Lᵀ`), or `None`
/// when `a` is not positive definite (or not finite, or not square).
pub fn cholesky(a: ArrayView2<f64>) -> Option<Array2<f64>> {
    let k = a.nrows();
    if a.ncols() != k || a.iter().any(|v| !v.is_finite()) {
        return None;
    }
    let mut l = Array2::<f64>::zeros((k, k));
    for i in 0..k {
        for j in 0..=i {
            let mut s = 0.5 * (a[[i, j]] + a[[j, i]]);
            for p in 0..j {
                s -= l[[i, p]] * l[[j, p]];
            }
            if i == j {
                // NaN is not positive either
                if s.is_nan() || s <= 0.0 {
                    return None;
                }
                l[[i, i]] = s.sqrt();
            } else {
                l[[i, j]] = s / l[[j, j]];
            }
        }
    }
    Some(l)
}

/// The inverse of a symmetric positive-definite matrix (through its Cholesky factor), or
/// `None` when it is not positive definite.
pub fn spd_inverse(a: ArrayView2<f64>) -> Option<Array2<f64>> {
    let l = cholesky(a)?;
    let k = l.nrows();
    // L⁻¹ by forward substitution, then A⁻¹ = L⁻ᵀ L⁻¹
    let mut li = Array2::<f64>::zeros((k, k));
    for c in 0..k {
        for i in c..k {
            let mut s = if i == c { 1.0 } else { 0.0 };
            for p in c..i {
                s -= l[[i, p]] * li[[p, c]];
            }
            li[[i, c]] = s / l[[i, i]];
        }
    }
    let inv = li.t().dot(&li);
    Some(symmetrise(inv))
}

/// ln det of a symmetric positive-definite matrix, or `None`.
pub fn spd_log_det(a: ArrayView2<f64>) -> Option<f64> {
    let l = cholesky(a)?;
    Some(2.0 * l.diag().iter().map(|v| v.ln()).sum::<f64>())
}

/// (a + aᵀ)/2.
pub fn symmetrise(a: Array2<f64>) -> Array2<f64> {
    let t = a.t().to_owned();
    (a + t) * 0.5
}

/// The eigenvalues of a symmetric matrix, ascending (cyclic Jacobi rotations; exact to
/// rounding for the small matrices here).
pub fn symmetric_eigenvalues(a: ArrayView2<f64>) -> Vec<f64> {
    let k = a.nrows();
    let mut m = symmetrise(a.to_owned());
    for _sweep in 0..100 {
        let off: f64 = (0..k)
            .flat_map(|i| (0..k).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| m[[i, j]] * m[[i, j]])
            .sum();
        let scale: f64 = m.iter().map(|v| v * v).sum::<f64>().max(f64::MIN_POSITIVE);
        if off <= 1e-30 * scale {
            break;
        }
        for p in 0..k {
            for q in p + 1..k {
                if m[[p, q]] == 0.0 {
                    continue;
                }
                let theta = (m[[q, q]] - m[[p, p]]) / (2.0 * m[[p, q]]);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for r in 0..k {
                    let (mrp, mrq) = (m[[r, p]], m[[r, q]]);
                    m[[r, p]] = c * mrp - s * mrq;
                    m[[r, q]] = s * mrp + c * mrq;
                }
                for r in 0..k {
                    let (mpr, mqr) = (m[[p, r]], m[[q, r]]);
                    m[[p, r]] = c * mpr - s * mqr;
                    m[[q, r]] = s * mpr + c * mqr;
                }
            }
        }
    }
    let mut e: Vec<f64> = m.diag().to_vec();
    e.sort_by(f64::total_cmp);
    e
}

/// `a · v`.
pub fn mat_vec(a: ArrayView2<f64>, v: ArrayView1<f64>) -> Array1<f64> {
    a.dot(&v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn known_matrices() {
        let a = array![[4.0, 2.0, 0.4], [2.0, 3.0, 0.5], [0.4, 0.5, 2.0]];
        let l = cholesky(a.view()).unwrap();
        assert!((l.dot(&l.t()) - &a).iter().all(|d| d.abs() < 1e-14));
        let inv = spd_inverse(a.view()).unwrap();
        let eye = a.dot(&inv);
        for i in 0..3 {
            for j in 0..3 {
                let want = if i == j { 1.0 } else { 0.0 };
                assert!((eye[[i, j]] - want).abs() < 1e-14, "{eye}");
            }
        }
        let e = symmetric_eigenvalues(array![[2.0, 1.0], [1.0, 2.0]].view());
        assert!(
            (e[0] - 1.0).abs() < 1e-14 && (e[1] - 3.0).abs() < 1e-14,
            "{e:?}"
        );
        let det: f64 = symmetric_eigenvalues(a.view()).iter().product();
        assert!((spd_log_det(a.view()).unwrap() - det.ln()).abs() < 1e-12);
        assert!(cholesky(array![[1.0, 2.0], [2.0, 1.0]].view()).is_none());
        assert!(cholesky(array![[f64::NAN]].view()).is_none());
        let e = symmetric_eigenvalues(array![[1.0, 2.0], [2.0, 1.0]].view());
        assert!((e[0] + 1.0).abs() < 1e-14 && (e[1] - 3.0).abs() < 1e-14);
    }
}
