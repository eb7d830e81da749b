//! Cleaning and splitting of emulator training data.

use super::{EmulatorOptions, TrainReport};
use crate::error::{RowsVocabulary, Vocabulary};
use crate::nn::NnError;
use ndarray::{Array2, ArrayView2, Axis};
use rand::seq::SliceRandom;

/// Rows of (θ, y) that are usable for training, and what was dropped.
pub(crate) struct CleanRows {
    pub theta: Array2<f64>,
    pub y: Array2<f64>,
    /// Rows with a NaN or infinite value in θ or y.
    pub n_nonfinite: usize,
    /// Rows whose outputs are all exactly zero (how CHEMPY marks a failed run; spec A.5.1).
    pub n_all_zero: usize,
}

/// Keeps the rows whose values are all finite and whose outputs are not all zero.
pub(crate) fn clean(theta: ArrayView2<f64>, y: ArrayView2<f64>) -> CleanRows {
    let mut keep = Vec::with_capacity(theta.nrows());
    let (mut n_nonfinite, mut n_all_zero) = (0, 0);
    for (i, (t, v)) in theta.rows().into_iter().zip(y.rows()).enumerate() {
        if !t.iter().chain(v.iter()).all(|x| x.is_finite()) {
            n_nonfinite += 1;
        } else if v.iter().all(|&x| x == 0.0) {
            n_all_zero += 1;
        } else {
            keep.push(i);
        }
    }
    CleanRows {
        theta: theta.select(Axis(0), &keep),
        y: y.select(Axis(0), &keep),
        n_nonfinite,
        n_all_zero,
    }
}

/// Splits `0..n` into (training, validation) index lists, each in increasing order, with
/// `round(n·fraction)` validation rows drawn at random from `seed` (at least one training row).
pub(crate) fn split(n: usize, fraction: f64, seed: u64) -> (Vec<usize>, Vec<usize>) {
    let n_val = ((n as f64 * fraction).round() as usize).min(n.saturating_sub(1));
    let mut perm: Vec<usize> = (0..n).collect();
    perm.shuffle(&mut crate::rng::stream(seed, 1));
    let mut val = perm[..n_val].to_vec();
    let mut train = perm[n_val..].to_vec();
    val.sort_unstable();
    train.sort_unstable();
    (train, val)
}

/// Training and validation data after cleaning, in f64.
pub(crate) struct Prepared {
    pub x_train: Array2<f64>,
    pub y_train: Array2<f64>,
    pub x_val: Option<Array2<f64>>,
    pub y_val: Option<Array2<f64>>,
    pub report: TrainReport,
}

pub(crate) fn check_pair(
    what: &str,
    x: &ArrayView2<f64>,
    y: &ArrayView2<f64>,
) -> Result<(), NnError> {
    if x.nrows() != y.nrows() {
        return Err(NnError::shape(
            format!("{what}: output rows"),
            x.nrows(),
            y.nrows(),
        ));
    }
    Ok(())
}

impl TrainReport {
    /// The report before training: row counts of the cleaning step, no epochs yet.
    fn empty(
        n_rows: usize,
        n_excluded_nonfinite: usize,
        n_excluded_all_zero: usize,
        opts: &EmulatorOptions,
    ) -> Self {
        TrainReport {
            n_rows,
            n_excluded_nonfinite,
            n_excluded_all_zero,
            n_train: 0,
            n_val: 0,
            validation: "none".into(),
            epochs: 0,
            steps: 0,
            train_seconds: 0.0,
            train_loss: Vec::new(),
            val_loss: Vec::new(),
            val_mse: None,
            best_epoch: None,
            stopped_early: false,
            termination: crate::nn::Termination::Completed,
            resumed_from_epoch: None,
            options: opts.clone(),
            galchem_version: env!("CARGO_PKG_VERSION").into(),
        }
    }
}

/// Cleans the training pairs (spec: drop all-zero and non-finite rows), then takes the
/// validation set as given, or splits it off (`validation_fraction`), or uses none.
pub(crate) fn prepare(
    theta: ArrayView2<f64>,
    y: ArrayView2<f64>,
    validation: Option<(ArrayView2<f64>, ArrayView2<f64>)>,
    opts: &EmulatorOptions,
) -> Result<Prepared, NnError> {
    check_pair("training set", &theta, &y)?;
    let c = clean(theta, y);
    let mut report = TrainReport::empty(theta.nrows(), c.n_nonfinite, c.n_all_zero, opts);
    let (x_train, y_train, x_val, y_val) = match validation {
        Some((xv, yv)) => {
            check_pair("validation set", &xv, &yv)?;
            if xv.ncols() != theta.ncols() || yv.ncols() != y.ncols() {
                return Err(NnError::shape(
                    "validation set columns",
                    format!("({}, {})", theta.ncols(), y.ncols()),
                    format!("({}, {})", xv.ncols(), yv.ncols()),
                ));
            }
            let v = clean(xv, yv);
            report.validation = "given".into();
            (c.theta, c.y, Some(v.theta), Some(v.y))
        }
        None if opts.validation_fraction > 0.0 => {
            let (tr, va) = split(c.theta.nrows(), opts.validation_fraction, opts.seed);
            report.validation = "split".into();
            (
                c.theta.select(Axis(0), &tr),
                c.y.select(Axis(0), &tr),
                Some(c.theta.select(Axis(0), &va)),
                Some(c.y.select(Axis(0), &va)),
            )
        }
        None => (c.theta, c.y, None, None),
    };
    let (x_val, y_val) = match (x_val, y_val) {
        (Some(x), Some(y)) if x.nrows() > 0 => (Some(x), Some(y)),
        _ => {
            report.validation = "none".into();
            (None, None)
        }
    };
    report.n_train = x_train.nrows();
    report.n_val = x_val.as_ref().map_or(0, |x| x.nrows());
    let needed = 2;
    if report.n_train < needed {
        return Err(NnError::too_few_rows(
            "emulator training set (after excluding non-finite and all-zero rows)",
            report.n_train,
            needed,
        ));
    }
    Ok(Prepared {
        x_train,
        y_train,
        x_val,
        y_val,
        report,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn cleaning_counts_and_keeps_order() {
        let t = array![[1.0, 2.0], [f64::NAN, 0.0], [3.0, 4.0], [5.0, 6.0]];
        let y = array![[1.0], [1.0], [0.0], [f64::INFINITY]];
        let c = clean(t.view(), y.view());
        assert_eq!((c.n_nonfinite, c.n_all_zero), (2, 1));
        assert_eq!(c.theta, array![[1.0, 2.0]]);
        assert_eq!(c.y, array![[1.0]]);
    }

    #[test]
    fn split_is_a_seeded_partition() {
        let (tr, va) = split(100, 0.1, 3);
        assert_eq!((tr.len(), va.len()), (90, 10));
        let mut all: Vec<usize> = tr.iter().chain(&va).copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..100).collect::<Vec<_>>());
        assert_eq!(split(100, 0.1, 3), (tr, va.clone()));
        assert_ne!(split(100, 0.1, 4).1, va);
        assert_eq!(split(1, 0.5, 0).0, vec![0]);
    }
}
