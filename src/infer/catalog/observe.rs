//! Validation of observed abundances before inference: which rows of a catalog can be used,
//! and for every other row which columns are missing, flagged or non-finite. For a
//! posterior that accepts missing values ([`validate_masked`]) a row is kept with its
//! unusable values masked, and skipped only when fewer than a minimum number are left.
//!
//! Observed abundances are used as they are — they already carry their observational noise,
//! so no noise is added at inference time. Per-row errors (the catalog's `err_*` columns) are
//! only compared with the noise the posterior was trained with.

use ndarray::ArrayView2;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The observed abundances of a catalog, as plain arrays.
#[derive(Debug, Clone)]
pub struct Observations<'a> {
    /// Abundances, shape `(n_rows, n_obs)` in dex, in the posterior's observable order
    /// (default C_Fe, Fe_H, He_Fe, Mg_Fe, N_Fe, Ne_Fe, O_Fe, Si_Fe). Missing values may be NaN.
    pub values: ArrayView2<'a, f64>,
    /// Optional missing-value flags of the same shape (`true` = missing, e.g. a null cell).
    pub missing: Option<ArrayView2<'a, bool>>,
    /// Optional per-row observational errors (1σ, dex) of the same shape.
    pub errors: Option<ArrayView2<'a, f64>>,
    /// Optional quality flags of the same shape (`true` = the survey flags the value: it
    /// counts as missing).
    pub flagged: Option<ArrayView2<'a, bool>>,
    /// Source column names of `values` (used in messages), one per column.
    pub columns: Vec<String>,
    /// Source column names of `errors` (used in messages); empty if there are none.
    pub error_columns: Vec<String>,
    /// Optional row labels (e.g. the catalog's star id) used in messages.
    pub labels: Option<Vec<String>>,
}

impl<'a> Observations<'a> {
    /// Observations with generic column names `x0 …` and no extras.
    pub fn new(values: ArrayView2<'a, f64>) -> Self {
        let columns = (0..values.ncols()).map(|j| format!("x{j}")).collect();
        Observations {
            values,
            missing: None,
            errors: None,
            flagged: None,
            columns,
            error_columns: Vec::new(),
            labels: None,
        }
    }
}

/// Why a value makes its row unusable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Problem {
    /// The cell is empty / null.
    Missing { column: String },
    /// The survey's quality flag marks the value.
    Flagged { column: String },
    /// Too few values are left after masking the others.
    TooFew { present: usize, needed: usize },
    /// The value is NaN or infinite.
    NotFinite {
        column: String,
        #[serde(with = "crate::envelope::any_f64")]
        value: f64,
    },
    /// The error column holds a value that is not a finite positive number.
    BadError {
        column: String,
        #[serde(with = "crate::envelope::any_f64")]
        value: f64,
    },
    /// The star was sampled but cannot be combined: its posterior lies (almost) entirely
    /// outside the prior support, its samples give a singular Gaussian fit, or (refined
    /// inference) no draw has a positive importance weight.
    Unusable { message: String },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Missing { column } => write!(f, "{column} is missing"),
            Problem::Flagged { column } => write!(f, "{column} is flagged"),
            Problem::TooFew { present, needed } => write!(
                f,
                "only {present} usable values are left (at least {needed} are needed)"
            ),
            Problem::NotFinite { column, value } => write!(f, "{column} = {value}"),
            Problem::BadError { column, value } => {
                write!(f, "{column} = {value} is not a positive error")
            }
            Problem::Unusable { message } => f.write_str(message),
        }
    }
}

/// A row that is skipped, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SkippedRow {
    /// 0-based row index in the catalog.
    pub row: usize,
    /// The row's label, if labels were given.
    pub label: Option<String>,
    /// Every problem found in the row.
    pub problems: Vec<Problem>,
}

impl fmt::Display for SkippedRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "row {}", self.row)?;
        if let Some(l) = &self.label {
            write!(f, " ({l})")?;
        }
        let p: Vec<String> = self.problems.iter().map(|p| p.to_string()).collect();
        write!(f, ": {}", p.join("; "))
    }
}

/// Errors of the validation itself (not of single rows).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ObserveError {
    /// The number of columns does not match the posterior's observables.
    #[error("observations have {found} columns but the posterior expects {expected} ({})", names.join(", "))]
    WrongColumns {
        found: usize,
        expected: usize,
        names: Vec<String>,
    },
    /// An auxiliary array does not have the shape of the values.
    #[error("{what} has shape {found:?}, but the observations have shape {expected:?}")]
    ShapeMismatch {
        what: &'static str,
        found: (usize, usize),
        expected: (usize, usize),
    },
    /// Not one row is usable.
    #[error("none of the {n_rows} rows is usable{}", first_reason(.first))]
    NoUsableRows {
        n_rows: usize,
        first: Option<SkippedRow>,
    },
}

impl crate::error::Kind for ObserveError {
    fn kind(&self) -> crate::error::ErrorKind {
        match self {
            ObserveError::WrongColumns { .. } | ObserveError::ShapeMismatch { .. } => {
                crate::error::ErrorKind::Shape
            }
            ObserveError::NoUsableRows { .. } => crate::error::ErrorKind::Input,
        }
    }
}

fn first_reason(first: &Option<SkippedRow>) -> String {
    match first {
        Some(s) => format!(" (first: {s})"),
        None => String::new(),
    }
}

/// The outcome of validation.
#[derive(Debug, Clone, PartialEq)]
pub struct Validated {
    /// Indices of the usable rows, ascending.
    pub rows: Vec<usize>,
    /// The skipped rows with their problems, ascending.
    pub skipped: Vec<SkippedRow>,
    /// The rows kept with some values masked, and why each was masked ([`validate_masked`]).
    pub masked: Vec<SkippedRow>,
    /// `(n_rows, n_obs)`: `true` where a value of a kept row is masked.
    pub mask: ndarray::Array2<bool>,
}

/// Checks every row: a row is usable iff all its values (and errors, if given) are present,
/// unflagged and finite (errors also positive). `expected` are the posterior's observable
/// names; the column count must match.
pub fn validate(obs: &Observations, expected: &[String]) -> Result<Validated, ObserveError> {
    nonempty(obs, validate_with(obs, expected, None)?)
}

/// [`validate`] of a part of a catalog (a streamed batch), where no usable row is no error;
/// with `min_present`, as [`validate_masked`].
pub fn validate_rows(
    obs: &Observations,
    expected: &[String],
    min_present: Option<usize>,
) -> Result<Validated, ObserveError> {
    validate_with(obs, expected, min_present)
}

/// Like [`validate`], but a row with missing, flagged or non-finite values (or errors) is
/// kept with those values masked as long as at least `min_present` are left.
pub fn validate_masked(
    obs: &Observations,
    expected: &[String],
    min_present: usize,
) -> Result<Validated, ObserveError> {
    nonempty(obs, validate_with(obs, expected, Some(min_present))?)
}

/// `v`, or the error that not one row of `obs` is usable.
fn nonempty(obs: &Observations, v: Validated) -> Result<Validated, ObserveError> {
    if v.rows.is_empty() {
        return Err(ObserveError::NoUsableRows {
            n_rows: obs.values.nrows(),
            first: v.skipped.first().cloned(),
        });
    }
    Ok(v)
}

fn validate_with(
    obs: &Observations,
    expected: &[String],
    min_present: Option<usize>,
) -> Result<Validated, ObserveError> {
    let (n, m) = obs.values.dim();
    if m != expected.len() {
        return Err(ObserveError::WrongColumns {
            found: m,
            expected: expected.len(),
            names: expected.to_vec(),
        });
    }
    if let Some(miss) = &obs.missing {
        check_shape("the missing-value mask", miss.dim(), (n, m))?;
    }
    if let Some(err) = &obs.errors {
        check_shape("the error array", err.dim(), (n, m))?;
    }
    if let Some(f) = &obs.flagged {
        check_shape("the quality flags", f.dim(), (n, m))?;
    }
    let mut v = Validated {
        rows: Vec::with_capacity(n),
        skipped: Vec::new(),
        masked: Vec::new(),
        mask: ndarray::Array2::from_elem((n, m), false),
    };
    for i in 0..n {
        let found = row_problems(obs, i, expected);
        let row = |problems| SkippedRow {
            row: i,
            label: obs.labels.as_ref().and_then(|l| l.get(i).cloned()),
            problems,
        };
        let mut bad: Vec<usize> = found.iter().map(|(j, _)| *j).collect();
        bad.dedup();
        let problems: Vec<Problem> = found.into_iter().map(|(_, p)| p).collect();
        match min_present {
            _ if problems.is_empty() => v.rows.push(i),
            Some(needed) if m - bad.len() >= needed => {
                bad.iter().for_each(|&j| v.mask[[i, j]] = true);
                v.rows.push(i);
                v.masked.push(row(problems));
            }
            Some(needed) => {
                let mut problems = problems;
                problems.push(Problem::TooFew {
                    present: m - bad.len(),
                    needed,
                });
                v.skipped.push(row(problems));
            }
            None => v.skipped.push(row(problems)),
        }
    }
    Ok(v)
}

/// The problems of row `i` with the column each is about (empty when the row is usable);
/// columns are named from `obs.columns`, else from `expected`.
fn row_problems(obs: &Observations, i: usize, expected: &[String]) -> Vec<(usize, Problem)> {
    let col = |j: usize| -> String {
        obs.columns
            .get(j)
            .or_else(|| expected.get(j))
            .cloned()
            .unwrap_or_else(|| format!("column {j}"))
    };
    let mut problems = Vec::new();
    for (j, &v) in obs.values.row(i).iter().enumerate() {
        if obs.missing.as_ref().is_some_and(|mm| mm[[i, j]]) {
            problems.push((j, Problem::Missing { column: col(j) }));
            continue;
        } else if !v.is_finite() {
            problems.push((
                j,
                Problem::NotFinite {
                    column: col(j),
                    value: v,
                },
            ));
            continue;
        } else if obs.flagged.as_ref().is_some_and(|f| f[[i, j]]) {
            problems.push((j, Problem::Flagged { column: col(j) }));
            continue;
        }
        if let Some(err) = &obs.errors {
            let e = err[[i, j]];
            if !(e.is_finite() && e > 0.0) {
                let column = obs
                    .error_columns
                    .get(j)
                    .cloned()
                    .unwrap_or_else(|| format!("error of {}", col(j)));
                problems.push((j, Problem::BadError { column, value: e }));
            }
        }
    }
    problems
}

fn check_shape(
    what: &'static str,
    found: (usize, usize),
    expected: (usize, usize),
) -> Result<(), ObserveError> {
    if found == expected {
        Ok(())
    } else {
        Err(ObserveError::ShapeMismatch {
            what,
            found,
            expected,
        })
    }
}
