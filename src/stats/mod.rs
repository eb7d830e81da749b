//! Statistics: posterior draws ([`Draws`], equal or importance weighted), summary
//! statistics of plain samples, special functions of the normal distribution and small
//! symmetric-matrix algebra, and density estimates of (weighted) draws ([`Kde`],
//! [`GaussianMixture`]). Non-finite values are an error where they would poison the
//! result, so a failed simulation can never hide in a mean.

pub mod draws;
pub mod histogram;
pub mod kde;
pub mod linalg;
pub mod mixture;
pub mod special;

pub use draws::{Draws, GaussianFit, Summary};
pub use histogram::LogHistogram;
pub use kde::{Kde, KdeOptions};
pub use mixture::{GaussianMixture, MixtureOptions};

use crate::error::{ErrorKind, Kind, OptionError, ShapeError};
use linalg::{cholesky, symmetric_eigenvalues};
use ndarray::{Array2, ArrayView2, Axis};

/// Errors of the summary statistics.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StatsError {
    /// No values at all.
    #[error("{0} of an empty array")]
    Empty(&'static str),
    /// A NaN or infinite value at `index`.
    #[error("{what}: value at index {index} is {value} (not a finite number)")]
    NotFinite {
        what: &'static str,
        index: usize,
        value: f64,
    },
    /// A quantile level outside [0, 1].
    #[error("quantile level {0} is outside [0, 1]")]
    BadLevel(f64),
    /// Weights that do not match the draws or cannot be normalised.
    #[error("{n} weights for {rows} draws; weights must be finite, non-negative and not all zero")]
    BadWeights { n: usize, rows: usize },
    /// Too few draws for the statistic.
    #[error("{what} needs at least {needed} draws, got {n}")]
    TooFew {
        what: &'static str,
        n: usize,
        needed: usize,
    },
    /// A covariance that is singular (e.g. all draws identical).
    #[error("the covariance of the draws is singular (determinant {det:e}); they carry no usable spread")]
    Singular { det: f64 },
    /// A column index beyond the draws' dimension.
    #[error("column {col} is out of range for draws of dimension {dim}")]
    ColumnOutOfRange { col: usize, dim: usize },
    /// A mixture component that cannot be evaluated.
    #[error("mixture component {index}: {reason}")]
    BadComponent { index: usize, reason: &'static str },
    /// An option outside its domain.
    #[error(transparent)]
    Option(#[from] OptionError),
    /// Arrays of the wrong shape (points of another dimension than the density's).
    #[error(transparent)]
    Shape(#[from] ShapeError),
}

impl Kind for StatsError {
    fn kind(&self) -> ErrorKind {
        match self {
            StatsError::Singular { .. } => ErrorKind::Numerical,
            StatsError::BadLevel(_) | StatsError::Option(_) => ErrorKind::Option,
            StatsError::Shape(_) => ErrorKind::Shape,
            _ => ErrorKind::Input,
        }
    }
}

fn finite(what: &'static str, xs: &[f64]) -> Result<(), StatsError> {
    if xs.is_empty() {
        return Err(StatsError::Empty(what));
    }
    match xs.iter().position(|v| !v.is_finite()) {
        Some(index) => Err(StatsError::NotFinite {
            what,
            index,
            value: xs[index],
        }),
        None => Ok(()),
    }
}

/// Arithmetic mean.
pub fn mean(xs: &[f64]) -> Result<f64, StatsError> {
    finite("mean", xs)?;
    Ok(xs.iter().sum::<f64>() / xs.len() as f64)
}

/// Sample standard deviation (divides by n − 1; 0 for a single value).
pub fn std(xs: &[f64]) -> Result<f64, StatsError> {
    finite("std", xs)?;
    if xs.len() < 2 {
        return Ok(0.0);
    }
    let m = xs.iter().sum::<f64>() / xs.len() as f64;
    let ss: f64 = xs.iter().map(|x| (x - m) * (x - m)).sum();
    Ok((ss / (xs.len() - 1) as f64).sqrt())
}

/// Smallest value.
pub fn min(xs: &[f64]) -> Result<f64, StatsError> {
    finite("min", xs)?;
    Ok(xs.iter().copied().fold(f64::INFINITY, f64::min))
}

/// Largest value.
pub fn max(xs: &[f64]) -> Result<f64, StatsError> {
    finite("max", xs)?;
    Ok(xs.iter().copied().fold(f64::NEG_INFINITY, f64::max))
}

/// Quantile at level `q` ∈ [0, 1], linear interpolation between order statistics
/// (numpy's default, "type 7").
pub fn quantile(xs: &[f64], q: f64) -> Result<f64, StatsError> {
    finite("quantile", xs)?;
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    quantile_sorted(&v, q)
}

/// [`quantile`] of already sorted finite values.
pub fn quantile_sorted(sorted: &[f64], q: f64) -> Result<f64, StatsError> {
    if sorted.is_empty() {
        return Err(StatsError::Empty("quantile"));
    }
    if !(0.0..=1.0).contains(&q) {
        return Err(StatsError::BadLevel(q));
    }
    let h = q * (sorted.len() - 1) as f64;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    Ok(sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo]))
}

/// `x` as text with `digits` (≥ 1) significant digits: plain notation for 10⁻⁴ ≤ |x| < 10⁶
/// (trailing zeros kept, so the precision is visible), scientific otherwise; `NaN`, `inf`
/// and `-inf` as such.
pub fn format_significant(x: f64, digits: usize) -> String {
    let digits = digits.max(1);
    if !x.is_finite() {
        return format!("{x}");
    }
    if x == 0.0 {
        return format!("{:.*}", digits - 1, 0.0);
    }
    // the exponent after rounding to `digits` significant digits
    let sci = format!("{:.*e}", digits - 1, x);
    let exp: i32 = sci
        .rsplit('e')
        .next()
        .and_then(|e| e.parse().ok())
        .unwrap_or(0);
    if !(-4..6).contains(&exp) {
        return sci;
    }
    let decimals = (digits as i32 - 1 - exp).max(0) as usize;
    format!("{x:.decimals$}")
}

// Shared by the density estimates ([`kde`], [`mixture`]).

/// The draws of positive weight of some columns, with the moments of all the draws.
struct Sample {
    /// The values `(n, d)` of the draws of positive weight.
    values: Array2<f64>,
    /// Their weights `(n)`, normalised, all > 0.
    weights: Vec<f64>,
    /// The weighted mean `(d)`.
    mean: Vec<f64>,
    /// The weighted covariance `(d, d)` ([`Draws::covariance`]).
    cov: Array2<f64>,
    /// Its lower Cholesky factor, `(d, d)` row-major.
    chol: Vec<f64>,
    /// The Kish effective sample size.
    n_eff: f64,
}

impl Sample {
    /// The columns `cols` of `draws`: an error for no or out-of-range columns, fewer than
    /// d + 1 draws of positive weight or a singular covariance; `what` names the estimate.
    fn new(draws: &Draws, cols: &[usize], what: &'static str) -> Result<Sample, StatsError> {
        if cols.is_empty() {
            return Err(ShapeError::new("columns", "at least one column index", "none").into());
        }
        if let Some(&col) = cols.iter().find(|&&c| c >= draws.dim()) {
            return Err(StatsError::ColumnOutOfRange {
                col,
                dim: draws.dim(),
            });
        }
        let d = cols.len();
        let sub = draws.select(cols);
        let keep: Vec<usize> = (0..sub.n()).filter(|&k| sub.weight(k) > 0.0).collect();
        if keep.len() < d + 1 {
            return Err(StatsError::TooFew {
                what,
                n: keep.len(),
                needed: d + 1,
            });
        }
        let cov = sub.covariance();
        let chol = spd_cholesky(&cov)?;
        let total: f64 = keep.iter().map(|&k| sub.weight(k)).sum();
        Ok(Sample {
            values: sub.values().select(Axis(0), &keep),
            weights: keep.iter().map(|&k| sub.weight(k) / total).collect(),
            mean: sub.mean(),
            cov,
            chol,
            n_eff: sub.ess(),
        })
    }
}

/// The lower Cholesky factor `(d, d)` row-major of a covariance, or [`StatsError::Singular`]
/// when it is not clearly positive definite (smallest eigenvalue ≤ 10⁻¹² × the largest
/// variance, the test of [`Draws::gaussian_fit`]).
fn spd_cholesky(cov: &Array2<f64>) -> Result<Vec<f64>, StatsError> {
    let eig = symmetric_eigenvalues(cov.view());
    let scale = cov.diag().iter().fold(0.0f64, |a, v| a.max(*v));
    let clear = eig
        .first()
        .is_some_and(|e| *e > 1e-12 * scale && scale > 1e-300);
    match cholesky(cov.view()) {
        Some(l) if clear => Ok(l.iter().copied().collect()),
        _ => Err(StatsError::Singular {
            det: eig.iter().product(),
        }),
    }
}

/// Solves L y = b in place for the lower triangular `l` `(d, d)` row-major, d = `b.len()`.
fn forward_solve(l: &[f64], b: &mut [f64]) {
    let d = b.len();
    for i in 0..d {
        let mut s = b[i];
        for p in 0..i {
            s -= l[i * d + p] * b[p];
        }
        b[i] = s / l[i * d + i];
    }
}

/// An error unless `points` has `dim` columns.
fn check_points(points: ArrayView2<f64>, dim: usize) -> Result<(), StatsError> {
    if points.ncols() == dim {
        Ok(())
    } else {
        Err(ShapeError::new(
            "points",
            format!("(m, {dim})"),
            format!("({}, {})", points.nrows(), points.ncols()),
        )
        .into())
    }
}

/// The log density of a point with a non-finite coordinate: NaN for a NaN, −∞ for an
/// infinity; `None` for a finite point.
fn non_finite<'a>(mut x: impl Iterator<Item = &'a f64>) -> Option<f64> {
    let mut out = None;
    for v in x.by_ref() {
        if v.is_nan() {
            return Some(f64::NAN);
        }
        if v.is_infinite() {
            out = Some(f64::NEG_INFINITY);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closed_forms() {
        let x = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(mean(&x).unwrap(), 2.5);
        assert!((std(&x).unwrap() - (5.0f64 / 3.0).sqrt()).abs() < 1e-15);
        assert_eq!(quantile(&x, 0.5).unwrap(), 2.5);
        assert_eq!(quantile(&x, 0.25).unwrap(), 1.75);
        assert_eq!(min(&x).unwrap(), 1.0);
        assert_eq!(max(&x).unwrap(), 4.0);
        assert!(matches!(
            mean(&[1.0, f64::NAN]),
            Err(StatsError::NotFinite { index: 1, .. })
        ));
        assert!(mean(&[]).is_err());
        assert!(quantile(&x, 1.5).is_err());
    }

    #[test]
    fn significant_digits() {
        assert_eq!(format_significant(-2.2671639437351017, 4), "-2.267");
        assert_eq!(format_significant(0.0025179909805453328, 2), "0.0025");
        assert_eq!(format_significant(13.04057, 3), "13.0");
        assert_eq!(format_significant(99.96, 3), "100");
        assert_eq!(format_significant(999_999.0, 2), "1.0e6");
        assert_eq!(format_significant(1.5e-7, 2), "1.5e-7");
        assert_eq!(format_significant(0.0, 3), "0.00");
        assert_eq!(format_significant(f64::NAN, 3), "NaN");
    }
}
