//! Bindings: the `Table` type (CSV/Parquet/FITS/npz catalogs) and JSON files.

use super::context::context;
use super::convert::{as_f64, strings, Vector};
use super::failure::{fail, rt, rt_error, RhaiResult};
use crate::catalog::{CmpOp, ColumnData, Scalar};
use crate::error::ErrorKind;
use rhai::plugin::*;
#[allow(unused_imports)]
use rhai::{Array, Dynamic, Map, FLOAT, INT};

/// Column data from a Rhai array or Vector: all integers → integer column, numbers → float,
/// strings → text, booleans → booleans.
pub fn column_data(values: &Dynamic, what: &str) -> RhaiResult<ColumnData> {
    if let Some(v) = values.read_lock::<Vector>() {
        return Ok(ColumnData::Float(v.0.as_ref().clone()));
    }
    let arr = values.read_lock::<Array>().ok_or_else(|| {
        rt_error(format!(
            "{what} must be an array or a Vector, not a {}",
            values.type_name()
        ))
    })?;
    if arr.iter().all(|d| d.is_int()) && !arr.is_empty() {
        return Ok(ColumnData::Int(
            arr.iter().map(|d| d.as_int().unwrap_or_default()).collect(),
        ));
    }
    if arr.iter().all(|d| d.is_string()) && !arr.is_empty() {
        return Ok(ColumnData::Text(
            arr.iter().map(|d| d.to_string()).collect(),
        ));
    }
    if arr.iter().all(|d| d.is_bool()) && !arr.is_empty() {
        return Ok(ColumnData::Bool(
            arr.iter()
                .map(|d| d.as_bool().unwrap_or_default())
                .collect(),
        ));
    }
    let vals: RhaiResult<Vec<f64>> = arr
        .iter()
        .enumerate()
        .map(|(i, d)| {
            if d.is_unit() {
                Ok(f64::NAN)
            } else {
                as_f64(d).ok_or_else(|| rt_error(format!("{what}: element {i} is a {} ({d}); a column holds numbers, strings or booleans, not a mixture", d.type_name())))
            }
        })
        .collect();
    Ok(ColumnData::Float(vals?))
}

#[export_module]
pub mod catalog_api {
    use super::*;

    /// A table of named columns (a polars DataFrame).
    pub type Table = crate::catalog::Table;

    /// Reads a CSV file with a header row into a Table.
    ///
    /// Column types are inferred from every value; a column with a stray word in it becomes a
    /// text column, and using it as numbers names the row and the value.
    /// ```rhai
    /// let t = read_csv(data_path("catalogs/mock_chempy_tng.csv"));
    /// ```
    #[rhai_fn(return_raw)]
    pub fn read_csv(path: &str) -> RhaiResult<Table> {
        Table::read_csv(path).map_err(rt)
    }

    /// Reads a Parquet file into a Table.
    #[rhai_fn(return_raw)]
    pub fn read_parquet(path: &str) -> RhaiResult<Table> {
        Table::read_parquet(path).map_err(rt)
    }

    /// Reads a CSV, Parquet, FITS (first binary table) or npz (ChempyMulti mock) file, chosen
    /// by the extension (`.parquet`/`.pq`, `.fits`/`.fit`/`.fts`, `.npz`, `.csv`), else by the
    /// file's first bytes.
    #[rhai_fn(return_raw)]
    pub fn read_table(path: &str) -> RhaiResult<Table> {
        Table::read(path).map_err(rt)
    }

    /// Writes a Table as CSV (atomically: a failed write leaves any existing file untouched).
    #[rhai_fn(return_raw)]
    pub fn write_csv(ctx: NativeCallContext, t: Table, path: &str) -> RhaiResult<()> {
        let path = context(&ctx)?.writable("write_csv", path)?;
        t.write_csv(&path).map_err(rt)
    }

    /// Writes a Table as Parquet (atomically).
    #[rhai_fn(return_raw)]
    pub fn write_parquet(ctx: NativeCallContext, t: Table, path: &str) -> RhaiResult<()> {
        let path = context(&ctx)?.writable("write_parquet", path)?;
        t.write_parquet(&path).map_err(rt)
    }

    /// Writes a Table as CSV, Parquet or FITS, chosen by the extension (atomically).
    #[rhai_fn(global, return_raw, pure, name = "write")]
    pub fn write(ctx: NativeCallContext, t: &mut Table, path: &str) -> RhaiResult<()> {
        let path = context(&ctx)?.writable("write", path)?;
        t.write(&path).map_err(rt)
    }

    /// Builds a Table from a map of equally long arrays (columns in key order).
    /// ```rhai
    /// let t = table(#{ alpha_imf: [-2.3, -2.1], x_out: [0.5, 0.4] });
    /// ```
    #[rhai_fn(return_raw)]
    pub fn table(columns: Map) -> RhaiResult<Table> {
        let cols: RhaiResult<Vec<(String, ColumnData)>> = columns
            .iter()
            .map(|(k, v)| Ok((k.to_string(), column_data(v, &format!("column '{k}'"))?)))
            .collect();
        Table::from_columns(cols?).map_err(rt)
    }

    /// Column names, in order.
    #[rhai_fn(global, pure)]
    pub fn columns(t: &mut Table) -> Array {
        t.columns().into_iter().map(Dynamic::from).collect()
    }

    /// Number of rows.
    #[rhai_fn(global, pure, name = "len")]
    pub fn len(t: &mut Table) -> INT {
        t.len() as INT
    }

    /// A numeric column as a Vector (integers converted; missing values become NaN).
    /// An error lists the available columns, or names the row of a value that is not a number.
    #[rhai_fn(global, return_raw, pure)]
    pub fn col(t: &mut Table, name: &str) -> RhaiResult<Vector> {
        t.column_f64(name).map(Vector::new).map_err(rt)
    }

    /// A column as an array of strings.
    #[rhai_fn(global, return_raw, pure)]
    pub fn text(t: &mut Table, name: &str) -> RhaiResult<Array> {
        Ok(t.column_str(name)
            .map_err(rt)?
            .into_iter()
            .map(Dynamic::from)
            .collect())
    }

    /// A Table with only the named columns, in that order.
    #[rhai_fn(global, return_raw, pure)]
    pub fn select(t: &mut Table, names: Array) -> RhaiResult<Table> {
        let names = strings(&Dynamic::from_array(names), "select")?;
        t.select(&names).map_err(rt)
    }

    /// The first `n` rows.
    #[rhai_fn(global, return_raw, pure)]
    pub fn head(t: &mut Table, n: INT) -> RhaiResult<Table> {
        if n < 0 {
            return Err(rt_error(format!("head needs n >= 0, got {n}")));
        }
        Ok(t.head(n as usize))
    }

    /// `n` rows starting at row `offset` (from 0).
    #[rhai_fn(global, return_raw, pure)]
    pub fn slice(t: &mut Table, offset: INT, n: INT) -> RhaiResult<Table> {
        if offset < 0 || n < 0 {
            return Err(rt_error(format!(
                "slice needs offset >= 0 and n >= 0, got {offset} and {n}"
            )));
        }
        Ok(t.slice(offset as usize, n as usize))
    }

    /// Rows where `column op value` holds; `op` is one of `== != < <= > >=`, `value` a number,
    /// string or boolean. Missing values never match (except with `!=`).
    /// ```rhai
    /// let young = t.filter("true_time", ">", 10.0);
    /// ```
    #[rhai_fn(global, return_raw, pure)]
    pub fn filter(t: &mut Table, column: &str, op: &str, value: Dynamic) -> RhaiResult<Table> {
        let op: CmpOp = op.parse().map_err(rt)?;
        let scalar = if let Some(x) = as_f64(&value) {
            Scalar::Number(x)
        } else if let Ok(b) = value.as_bool() {
            Scalar::Bool(b)
        } else if value.is_string() {
            Scalar::Text(value.to_string())
        } else {
            return Err(rt_error(format!(
                "filter: the value must be a number, string or boolean, not a {}",
                value.type_name()
            )));
        };
        t.filter(column, op, &scalar).map_err(rt)
    }

    /// A copy of the Table with the column added (or replaced), from an array or Vector.
    #[rhai_fn(global, return_raw, pure)]
    pub fn with_column(t: &mut Table, name: &str, values: Dynamic) -> RhaiResult<Table> {
        let data = column_data(&values, &format!("with_column '{name}'"))?;
        t.with_column(name, data).map_err(rt)
    }

    /// Row `i` (from 0) as a map of column → value.
    #[rhai_fn(global, return_raw, pure)]
    pub fn row(t: &mut Table, i: INT) -> RhaiResult<Map> {
        if i < 0 || i as usize >= t.len() {
            return Err(rt_error(format!(
                "row {i} is out of range (the table has {} rows)",
                t.len()
            )));
        }
        let one = t.slice(i as usize, 1);
        let mut m = Map::new();
        for name in one.columns() {
            let v = match one.column_f64(&name) {
                Ok(v) if !one.dtype(&name).unwrap_or_default().contains("str") => {
                    Dynamic::from_float(v[0])
                }
                _ => Dynamic::from(one.column_str(&name).map_err(rt)?.remove(0)),
            };
            m.insert(name.into(), v);
        }
        Ok(m)
    }

    /// The rows of `other` appended (same columns and types).
    #[rhai_fn(global, return_raw, pure)]
    pub fn append(t: &mut Table, other: Table) -> RhaiResult<Table> {
        t.vstack(&other).map_err(rt)
    }

    /// A formatted preview of the Table (shape, first and last rows).
    #[rhai_fn(global, pure, name = "to_string")]
    pub fn to_string(t: &mut Table) -> String {
        t.preview()
    }

    /// A one-line description of the Table.
    #[rhai_fn(global, pure, name = "to_debug")]
    pub fn to_debug(t: &mut Table) -> String {
        format!("{t:?}")
    }

    /// Reads a JSON file into a map (or array).
    #[rhai_fn(return_raw)]
    pub fn read_json(path: &str) -> RhaiResult<Dynamic> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| fail(ErrorKind::Io, format!("cannot read {path}: {e}")))?;
        let value: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| fail(ErrorKind::File, format!("{path} is not valid JSON: {e}")))?;
        rhai::serde::to_dynamic(value).map_err(|e| fail(ErrorKind::File, format!("{path}: {e}")))
    }

    /// Writes a map (or any value, including results such as an `Inference`) as
    /// pretty-printed JSON, atomically.
    /// ```rhai
    /// write_json(#{ mean_feh: mean(t.col("obs_FeH")) }, "out.json");
    /// ```
    #[rhai_fn(return_raw)]
    pub fn write_json(ctx: NativeCallContext, value: Dynamic, path: &str) -> RhaiResult<()> {
        let target = context(&ctx)?.writable("write_json", path)?;
        let json = super::super::json::to_json(&value).map_err(rt_error)?;
        let text =
            serde_json::to_string_pretty(&json).map_err(|e| fail(ErrorKind::Io, e.to_string()))?;
        crate::fsutil::atomic_write_bytes(&target, format!("{text}\n").as_bytes()).map_err(|e| {
            fail(
                ErrorKind::Io,
                format!("cannot write {path}: {e} (any existing file there is unchanged)"),
            )
        })
    }

    /// Writes a string as a text file (e.g. a Markdown report), atomically.
    /// ```rhai
    /// write_text("# Report\n", "report.md");
    /// ```
    #[rhai_fn(return_raw)]
    pub fn write_text(ctx: NativeCallContext, text: &str, path: &str) -> RhaiResult<()> {
        let target = context(&ctx)?.writable("write_text", path)?;
        crate::fsutil::atomic_write_bytes(&target, text.as_bytes()).map_err(|e| {
            fail(
                ErrorKind::Io,
                format!("cannot write {path}: {e} (any existing file there is unchanged)"),
            )
        })
    }
}
