//! Z-score standardisation of the columns of a data set.
//!
//! `fit` takes, per column, the mean μ and the **unbiased** standard deviation σ (divide by
//! N − 1, PyTorch's default) over the finite values of that column, with σ floored at
//! `min_std` (sbi: 1e-14 for θ, 1e-7 for x; spec A.1.1). `transform` maps z = (v − μ)/σ,
//! `inverse` maps back v = μ + σz.

use super::NnError;
use crate::error::{RowsVocabulary, Vocabulary};
use ndarray::{Array1, Array2, ArrayView2, Axis, Zip};
use serde::{Deserialize, Serialize};

/// Per-column affine standardisation, shape `(d,)` for both vectors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scaler {
    /// Column means μ.
    pub mean: Vec<f64>,
    /// Column standard deviations σ (after the floor).
    pub std: Vec<f64>,
}

impl Scaler {
    /// Mean and floored N−1 standard deviation of every column of `x` `(n, d)` over its
    /// finite values; a column with fewer than two finite values is an error.
    pub fn fit(x: ArrayView2<f64>, min_std: f64) -> Result<Self, NnError> {
        let mut mean = Vec::with_capacity(x.ncols());
        let mut std = Vec::with_capacity(x.ncols());
        for (j, col) in x.axis_iter(Axis(1)).enumerate() {
            let vals: Vec<f64> = col.iter().copied().filter(|v| v.is_finite()).collect();
            if vals.len() < 2 {
                return Err(NnError::too_few_rows(
                    format!("z-score statistics of column {j}"),
                    vals.len(),
                    2,
                ));
            }
            let m = vals.iter().sum::<f64>() / vals.len() as f64;
            let ss: f64 = vals.iter().map(|v| (v - m) * (v - m)).sum();
            let s = (ss / (vals.len() - 1) as f64).sqrt();
            mean.push(m);
            std.push(if s < min_std { min_std } else { s });
        }
        Ok(Self { mean, std })
    }

    /// The identity map on `d` columns (μ = 0, σ = 1).
    pub fn identity(d: usize) -> Self {
        Self {
            mean: vec![0.0; d],
            std: vec![1.0; d],
        }
    }

    /// Number of columns.
    pub fn dim(&self) -> usize {
        self.mean.len()
    }

    /// Checks internal consistency (equal lengths, finite μ, finite positive σ).
    pub fn validate(&self) -> Result<(), String> {
        if self.mean.len() != self.std.len() {
            return Err(format!(
                "scaler has {} means but {} standard deviations",
                self.mean.len(),
                self.std.len()
            ));
        }
        if self.mean.iter().any(|m| !m.is_finite()) {
            return Err("scaler mean is not finite".into());
        }
        if self.std.iter().any(|s| !(s.is_finite() && *s > 0.0)) {
            return Err("scaler standard deviation is not finite and positive".into());
        }
        Ok(())
    }

    fn check(&self, x: &ArrayView2<f64>) -> Result<(), NnError> {
        if x.ncols() != self.dim() {
            return Err(NnError::shape("scaler columns", self.dim(), x.ncols()));
        }
        Ok(())
    }

    /// z = (x − μ)/σ, `(n, d)` → `(n, d)`.
    pub fn transform(&self, x: ArrayView2<f64>) -> Result<Array2<f64>, NnError> {
        self.check(&x)?;
        let (m, s) = (
            Array1::from(self.mean.clone()),
            Array1::from(self.std.clone()),
        );
        Ok((&x - &m) / &s)
    }

    /// [`Scaler::transform`] into f32 (network inputs).
    pub fn transform_f32(&self, x: ArrayView2<f64>) -> Result<Array2<f32>, NnError> {
        self.check(&x)?;
        let mut out = Array2::zeros(x.raw_dim());
        for (mut o, r) in out.rows_mut().into_iter().zip(x.rows()) {
            Zip::from(&mut o)
                .and(&r)
                .and(&self.mean[..])
                .and(&self.std[..])
                .for_each(|o, &v, &m, &s| *o = ((v - m) / s) as f32);
        }
        Ok(out)
    }

    /// x = μ + σz, `(n, d)` → `(n, d)`.
    pub fn inverse(&self, z: ArrayView2<f64>) -> Result<Array2<f64>, NnError> {
        self.check(&z)?;
        let (m, s) = (
            Array1::from(self.mean.clone()),
            Array1::from(self.std.clone()),
        );
        Ok(&z * &s + &m)
    }

    /// [`Scaler::inverse`] of f32 network outputs, into f64.
    pub fn inverse_f32(&self, z: ArrayView2<f32>) -> Result<Array2<f64>, NnError> {
        if z.ncols() != self.dim() {
            return Err(NnError::shape("scaler columns", self.dim(), z.ncols()));
        }
        let mut out = Array2::zeros(z.raw_dim());
        for (mut o, r) in out.rows_mut().into_iter().zip(z.rows()) {
            Zip::from(&mut o)
                .and(&r)
                .and(&self.mean[..])
                .and(&self.std[..])
                .for_each(|o, &v, &m, &s| *o = m + s * f64::from(v));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn fit_uses_n_minus_one_skips_non_finite_and_floors() {
        let x = array![[1.0, 5.0], [2.0, 5.0], [3.0, f64::NAN], [6.0, 5.0]];
        let s = Scaler::fit(x.view(), 1e-7).unwrap();
        assert_eq!(s.mean, vec![3.0, 5.0]);
        // column 0: deviations −2, −1, 0, 3 → ss = 14, /3
        assert!((s.std[0] - (14.0f64 / 3.0).sqrt()).abs() < 1e-15);
        assert_eq!(s.std[1], 1e-7);
        let z = s.transform(x.view()).unwrap();
        assert!((z[[3, 0]] - 3.0 / s.std[0]).abs() < 1e-15);
        let back = s.inverse(z.view()).unwrap();
        assert!((back[[1, 0]] - 2.0).abs() < 1e-15);
        let zf = s.transform_f32(x.view()).unwrap();
        assert!((f64::from(zf[[0, 0]]) - z[[0, 0]]).abs() < 1e-6);
        assert!((s.inverse_f32(zf.view()).unwrap()[[0, 0]] - 1.0).abs() < 1e-6);
        assert!(s.transform(array![[1.0]].view()).is_err());
        assert!(Scaler::fit(array![[1.0], [f64::NAN]].view(), 1e-7).is_err());
    }
}
