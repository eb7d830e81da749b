//! The [`Table`] type: construction, column access and row selection.

use super::filter::{CmpOp, Scalar};
use super::CatalogError;
use ndarray::Array2;
use polars::prelude::*;
use std::fmt;

/// Values of one new column.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnData {
    Float(Vec<f64>),
    Int(Vec<i64>),
    Text(Vec<String>),
    Bool(Vec<bool>),
}

impl ColumnData {
    /// Number of values.
    pub fn len(&self) -> usize {
        match self {
            ColumnData::Float(v) => v.len(),
            ColumnData::Int(v) => v.len(),
            ColumnData::Text(v) => v.len(),
            ColumnData::Bool(v) => v.len(),
        }
    }

    /// Whether there are no values.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn into_column(self, name: &str) -> Column {
        let name: PlSmallStr = name.into();
        match self {
            ColumnData::Float(v) => Column::new(name, v),
            ColumnData::Int(v) => Column::new(name, v),
            ColumnData::Text(v) => Column::new(name, v),
            ColumnData::Bool(v) => Column::new(name, v),
        }
    }
}

/// A table of named columns (a polars `DataFrame`), optionally remembering the file it came
/// from so that errors can name it. Cloning is cheap (columns are shared).
#[derive(Clone, Default)]
pub struct Table {
    pub(crate) df: DataFrame,
    pub(crate) origin: Option<String>,
}

impl Table {
    /// Wraps a DataFrame.
    pub fn from_df(df: DataFrame) -> Self {
        Self { df, origin: None }
    }

    /// The same table, saying it came from `origin` (a file, a part of one) in messages.
    pub fn with_origin(mut self, origin: impl Into<String>) -> Self {
        self.origin = Some(origin.into());
        self
    }

    /// Builds a table from named columns of equal length (in the given order).
    pub fn from_columns(columns: Vec<(String, ColumnData)>) -> Result<Self, CatalogError> {
        let height = columns.first().map(|(_, c)| c.len()).unwrap_or(0);
        let mut cols = Vec::with_capacity(columns.len());
        for (name, data) in columns {
            if data.len() != height {
                return Err(CatalogError::LengthMismatch {
                    name,
                    len: data.len(),
                    expected: height,
                });
            }
            cols.push(data.into_column(&name));
        }
        Ok(Self::from_df(DataFrame::new(height, cols)?))
    }

    /// A table from the columns of a matrix of shape `(rows, names.len())`.
    pub fn from_matrix(names: &[&str], m: &Array2<f64>) -> Result<Self, CatalogError> {
        if m.ncols() != names.len() {
            return Err(CatalogError::BadArgument(format!(
                "{} column names for a matrix with {} columns",
                names.len(),
                m.ncols()
            )));
        }
        let cols = names
            .iter()
            .zip(m.columns())
            .map(|(n, c)| (n.to_string(), ColumnData::Float(c.to_vec())))
            .collect();
        Self::from_columns(cols)
    }

    /// The underlying DataFrame.
    pub fn df(&self) -> &DataFrame {
        &self.df
    }

    /// The file this table was read from, if any.
    pub fn origin(&self) -> Option<&str> {
        self.origin.as_deref()
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.df.height()
    }

    /// Whether the table has no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Column names in order.
    pub fn columns(&self) -> Vec<String> {
        self.df
            .get_column_names()
            .iter()
            .map(|s| s.to_string())
            .collect()
    }

    /// Whether a column exists.
    pub fn has_column(&self, name: &str) -> bool {
        self.df.column(name).is_ok()
    }

    /// The column, or an error listing the available ones.
    pub fn column(&self, name: &str) -> Result<&Column, CatalogError> {
        self.df
            .column(name)
            .map_err(|_| CatalogError::MissingColumn {
                name: name.to_string(),
                available: self.columns(),
                context: self.origin.clone(),
            })
    }

    /// The first missing column among `names`, as an error.
    pub fn require(&self, names: &[&str]) -> Result<(), CatalogError> {
        names.iter().try_for_each(|n| self.column(n).map(|_| ()))
    }

    /// Type name of a column (polars' name, e.g. `f64`, `i64`, `str`).
    pub fn dtype(&self, name: &str) -> Result<String, CatalogError> {
        Ok(self.column(name)?.dtype().to_string())
    }

    /// A column as `f64` values: integers and booleans are converted, missing values become
    /// NaN, a text column is parsed and its first non-numeric value is reported with its row.
    pub fn column_f64(&self, name: &str) -> Result<Vec<f64>, CatalogError> {
        let col = self.column(name)?;
        match col.dtype() {
            DataType::String => {
                let ca = col.str()?;
                let mut out = Vec::with_capacity(ca.len());
                for (row, v) in ca.iter().enumerate() {
                    match v {
                        None => out.push(f64::NAN),
                        Some(s) => match parse_number(s) {
                            Some(x) => out.push(x),
                            None => {
                                return Err(CatalogError::NotNumeric {
                                    column: name.to_string(),
                                    row: row + 1,
                                    line: row + 2,
                                    value: s.to_string(),
                                    context: self.origin.clone(),
                                })
                            }
                        },
                    }
                }
                Ok(out)
            }
            dt if dt.is_primitive_numeric() || dt.is_bool() => {
                let cast = col.cast(&DataType::Float64)?;
                Ok(cast.f64()?.iter().map(|v| v.unwrap_or(f64::NAN)).collect())
            }
            other => Err(CatalogError::WrongType {
                column: name.to_string(),
                found: other.to_string(),
                expected: "numbers",
            }),
        }
    }

    /// A column as numbers for data validation: `(values, notes)`, where `notes[i]` is
    /// `Some("missing")` for an empty cell, `Some(text)` for text that is not a number (its
    /// value is NaN), and `None` for a number.
    pub fn column_f64_checked(
        &self,
        name: &str,
    ) -> Result<(Vec<f64>, Vec<Option<String>>), CatalogError> {
        let col = self.column(name)?;
        if col.dtype() == &DataType::String {
            let ca = col.str()?;
            let mut values = Vec::with_capacity(ca.len());
            let mut notes = Vec::with_capacity(ca.len());
            for v in ca.iter() {
                match v.map(|s| (s, parse_number(s))) {
                    None => {
                        values.push(f64::NAN);
                        notes.push(Some("missing".to_string()));
                    }
                    Some((s, _)) if s.trim().is_empty() => {
                        values.push(f64::NAN);
                        notes.push(Some("missing".to_string()));
                    }
                    Some((_, Some(x))) => {
                        values.push(x);
                        notes.push(None);
                    }
                    Some((s, None)) => {
                        values.push(f64::NAN);
                        notes.push(Some(s.to_string()));
                    }
                }
            }
            return Ok((values, notes));
        }
        let values = self.column_f64(name)?;
        let nulls = col.is_null();
        let notes = nulls
            .iter()
            .map(|n| n.unwrap_or(false).then(|| "missing".to_string()))
            .collect();
        Ok((values, notes))
    }

    /// A column as text (numbers are formatted; missing values become empty strings).
    pub fn column_str(&self, name: &str) -> Result<Vec<String>, CatalogError> {
        let col = self.column(name)?;
        let cast = col.cast(&DataType::String)?;
        Ok(cast
            .str()?
            .iter()
            .map(|v| v.unwrap_or("").to_string())
            .collect())
    }

    /// Several numeric columns as a matrix of shape `(rows, names.len())`.
    pub fn matrix(&self, names: &[&str]) -> Result<Array2<f64>, CatalogError> {
        self.require(names)?;
        let n = self.len();
        let mut m = Array2::<f64>::zeros((n, names.len()));
        for (j, name) in names.iter().enumerate() {
            let col = self.column_f64(name)?;
            m.column_mut(j)
                .iter_mut()
                .zip(col)
                .for_each(|(dst, v)| *dst = v);
        }
        Ok(m)
    }

    /// A table with only the named columns, in that order.
    pub fn select(&self, names: &[String]) -> Result<Table, CatalogError> {
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        self.require(&refs)?;
        Ok(self.derived(self.df.select(refs)?))
    }

    /// The first `n` rows.
    pub fn head(&self, n: usize) -> Table {
        self.derived(self.df.head(Some(n)))
    }

    /// Rows `[offset, offset + len)` (clamped to the table).
    pub fn slice(&self, offset: usize, len: usize) -> Table {
        let offset = offset.min(self.len());
        self.derived(self.df.slice(offset as i64, len))
    }

    /// Rows at the given positions, in that order.
    pub fn take(&self, rows: &[usize]) -> Result<Table, CatalogError> {
        if let Some(&bad) = rows.iter().find(|&&r| r >= self.len()) {
            return Err(CatalogError::BadArgument(format!(
                "row {bad} is out of range (the table has {} rows)",
                self.len()
            )));
        }
        let idx: Vec<IdxSize> = rows.iter().map(|&r| r as IdxSize).collect();
        let idx = IdxCa::from_vec("idx".into(), idx);
        Ok(self.derived(self.df.take(&idx)?))
    }

    /// Rows whose `column op value` holds. Numbers compare with numbers, text with text;
    /// missing values never match (except with `!=`).
    pub fn filter(&self, column: &str, op: CmpOp, value: &Scalar) -> Result<Table, CatalogError> {
        let col = self.column(column)?;
        let mask: Vec<bool> = match value {
            Scalar::Number(x) => {
                if col.dtype() == &DataType::String {
                    return Err(CatalogError::WrongType {
                        column: column.to_string(),
                        found: "str".into(),
                        expected: "numbers to compare with a number",
                    });
                }
                self.column_f64(column)?
                    .into_iter()
                    .map(|v| op.compare_f64(v, *x))
                    .collect()
            }
            Scalar::Bool(b) => {
                if !col.dtype().is_bool() {
                    return Err(CatalogError::WrongType {
                        column: column.to_string(),
                        found: col.dtype().to_string(),
                        expected: "booleans to compare with true/false",
                    });
                }
                let ca = col.bool()?;
                ca.iter()
                    .map(|v| v.map(|v| op.holds(v.cmp(b))).unwrap_or(op == CmpOp::Ne))
                    .collect()
            }
            Scalar::Text(s) => {
                if col.dtype() != &DataType::String {
                    return Err(CatalogError::WrongType {
                        column: column.to_string(),
                        found: col.dtype().to_string(),
                        expected: "text to compare with a string",
                    });
                }
                let ca = col.str()?;
                ca.iter()
                    .map(|v| {
                        v.map(|v| op.holds(v.cmp(s.as_str())))
                            .unwrap_or(op == CmpOp::Ne)
                    })
                    .collect()
            }
        };
        let mask = BooleanChunked::from_slice("mask".into(), &mask);
        Ok(self.derived(self.df.filter(&mask)?))
    }

    /// A copy with the column added, or replaced if it exists (keeping its position).
    pub fn with_column(&self, name: &str, data: ColumnData) -> Result<Table, CatalogError> {
        if data.len() != self.len() && self.df.width() > 0 {
            return Err(CatalogError::LengthMismatch {
                name: name.to_string(),
                len: data.len(),
                expected: self.len(),
            });
        }
        let mut df = self.df.clone();
        df.with_column(data.into_column(name))?;
        Ok(self.derived(df))
    }

    /// A copy without the named column (no error if absent).
    pub fn without_column(&self, name: &str) -> Table {
        let mut df = self.df.clone();
        let _ = df.drop_in_place(name);
        self.derived(df)
    }

    /// Appends the rows of `other` (same columns and types).
    pub fn vstack(&self, other: &Table) -> Result<Table, CatalogError> {
        Ok(self.derived(self.df.vstack(&other.df)?))
    }

    /// A formatted preview: shape and the first and last rows.
    pub fn preview(&self) -> String {
        format!("{}", self.df)
    }

    fn derived(&self, df: DataFrame) -> Table {
        Table {
            df,
            origin: self.origin.clone(),
        }
    }
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.df)
    }
}

impl fmt::Debug for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Table({} rows × {} columns: {})",
            self.len(),
            self.df.width(),
            self.columns().join(", ")
        )
    }
}

/// Parses a number the way a CSV cell holds it (`nan`, `inf` and `-inf` included).
pub(crate) fn parse_number(s: &str) -> Option<f64> {
    let t = s.trim();
    if t.is_empty() {
        return Some(f64::NAN);
    }
    t.parse::<f64>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Table {
        Table::from_columns(vec![
            ("x".into(), ColumnData::Float(vec![1.0, 2.0, 3.0, f64::NAN])),
            ("n".into(), ColumnData::Int(vec![1, 2, 3, 4])),
            (
                "s".into(),
                ColumnData::Text(vec!["a".into(), "b".into(), "c".into(), "7x".into()]),
            ),
        ])
        .unwrap()
    }

    #[test]
    fn columns_and_numeric_access() {
        let t = sample();
        assert_eq!(t.len(), 4);
        assert_eq!(t.columns(), vec!["x", "n", "s"]);
        assert_eq!(t.column_f64("n").unwrap(), vec![1.0, 2.0, 3.0, 4.0]);
        let err = t.column_f64("s").unwrap_err().to_string();
        assert!(err.contains("row 1") && err.contains("'a'"), "{err}");
        let err = t.column_f64("nope").unwrap_err().to_string();
        assert!(err.contains("'nope'") && err.contains("x, n, s"), "{err}");
    }

    #[test]
    fn filter_select_head_with_column() {
        let t = sample();
        assert_eq!(
            t.filter("x", CmpOp::Ge, &Scalar::Number(2.0))
                .unwrap()
                .len(),
            2
        );
        assert_eq!(
            t.filter("x", CmpOp::Ne, &Scalar::Number(2.0))
                .unwrap()
                .len(),
            3
        );
        assert_eq!(
            t.filter("s", CmpOp::Eq, &Scalar::Text("b".into()))
                .unwrap()
                .len(),
            1
        );
        assert!(t.filter("s", CmpOp::Eq, &Scalar::Number(1.0)).is_err());
        assert_eq!(
            t.select(&["s".into(), "x".into()]).unwrap().columns(),
            vec!["s", "x"]
        );
        assert_eq!(t.head(2).len(), 2);
        let t2 = t.with_column("x", ColumnData::Float(vec![9.0; 4])).unwrap();
        assert_eq!(t2.columns(), vec!["x", "n", "s"]);
        assert_eq!(t2.column_f64("x").unwrap(), vec![9.0; 4]);
        assert!(t.with_column("y", ColumnData::Float(vec![1.0])).is_err());
        assert_eq!(
            t.take(&[3, 0]).unwrap().column_f64("n").unwrap(),
            vec![4.0, 1.0]
        );
        assert!(t.take(&[4]).is_err());
    }
}
