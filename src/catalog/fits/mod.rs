//! FITS binary tables (the format of APOGEE's allStar and GALAH's catalogues): reading the
//! first `BINTABLE` extension of a file into a [`Table`], and writing a [`Table`] as one.
//!
//! A small reader and writer of our own rather than a crate: `fitsio` with its vendored
//! cfitsio is complete but adds a C build (548 s for a release build of an empty program that
//! uses it, against 0.5 s without, on the shared 2-core machine) and 1.2 MB of binary; the
//! pure-Rust `fitsrs` (270 s, futures/async-trait/wcs dependencies) reads tables value by
//! value without applying `TSCAL`/`TZERO`/`TNULL` and has no writer. What a catalog needs is
//! the standard's §7.3 layout, here in three short files ([`header`], [`read`], [`write`]).

pub mod header;
pub mod read;
pub mod write;

use super::{CatalogError, ColumnData, Table};
use polars::prelude::DataType;
use std::path::Path;

impl Table {
    /// Reads the first binary table of a FITS file (see [`read`] for the column types).
    pub fn read_fits(path: impl AsRef<Path>) -> Result<Table, CatalogError> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|e| CatalogError::Open {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        let bad = |message: String| CatalogError::Read {
            path: path.to_path_buf(),
            format: "FITS",
            message,
        };
        let columns = read::read_bintable(&bytes).map_err(bad)?;
        if columns.is_empty() {
            return Err(bad("the binary table has no readable columns".into()));
        }
        let mut t = Table::from_columns(columns)?;
        t.origin = Some(path.display().to_string());
        Ok(t)
    }

    /// Writes the table as a FITS file with one binary table (extension `CATALOG`),
    /// atomically. Floats become `D`, integers `K`, booleans `L`, text `rA`; missing values
    /// of numeric columns become NaN.
    pub fn write_fits(&self, path: impl AsRef<Path>) -> Result<(), CatalogError> {
        let path = path.as_ref();
        let columns = self
            .columns()
            .into_iter()
            .map(|name| Ok((name.clone(), self.column_data(&name)?)))
            .collect::<Result<Vec<_>, CatalogError>>()?;
        let bytes = write::encode(&columns, "CATALOG");
        crate::fsutil::atomic_write_bytes(path, &bytes).map_err(|e| CatalogError::Write {
            path: path.to_path_buf(),
            message: e.to_string(),
        })
    }

    /// A column's values by type: integers, booleans and text as they are (missing integers
    /// and booleans make a float column with NaN), other numbers as floats.
    pub fn column_data(&self, name: &str) -> Result<ColumnData, CatalogError> {
        let col = self.column(name)?;
        let nulls = col.null_count() > 0;
        Ok(match col.dtype() {
            DataType::String => ColumnData::Text(self.column_str(name)?),
            DataType::Boolean if !nulls => {
                ColumnData::Bool(col.bool()?.iter().map(|v| v.unwrap_or(false)).collect())
            }
            dt if dt.is_integer() && !nulls => {
                let cast = col.cast(&DataType::Int64)?;
                ColumnData::Int(cast.i64()?.iter().map(|v| v.unwrap_or(0)).collect())
            }
            _ => ColumnData::Float(self.column_f64(name)?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::header::{encode, Value};
    use super::*;

    /// A file with an image HDU before the table, and scaled, null and vector columns.
    fn handmade() -> Vec<u8> {
        let s = |k: &str, v: Value| (k.to_string(), v);
        let mut b = encode(&[
            s("SIMPLE", Value::Logical(true)),
            s("BITPIX", Value::Int(16)),
            s("NAXIS", Value::Int(1)),
            s("NAXIS1", Value::Int(3)),
        ]);
        b.extend([0u8; 2880]);
        b.extend(encode(&[
            s("XTENSION", Value::Text("BINTABLE".into())),
            s("BITPIX", Value::Int(8)),
            s("NAXIS", Value::Int(2)),
            s("NAXIS1", Value::Int(4 + 4 + 2 + 8)),
            s("NAXIS2", Value::Int(2)),
            s("PCOUNT", Value::Int(0)),
            s("GCOUNT", Value::Int(1)),
            s("TFIELDS", Value::Int(4)),
            s("TTYPE1", Value::Text("FE_H".into())),
            s("TFORM1", Value::Text("E".into())),
            s("TTYPE2", Value::Text("FLAG".into())),
            s("TFORM2", Value::Text("J".into())),
            s("TNULL2", Value::Int(-1)),
            s("TTYPE3", Value::Text("U".into())),
            s("TFORM3", Value::Text("I".into())),
            s("TZERO3", Value::Int(32768)),
            s("TTYPE4", Value::Text("X_H".into())),
            s("TFORM4", Value::Text("2E".into())),
        ]));
        for (fe, flag, u, xh) in [
            (-0.5f32, 3i32, 10u16, [0.1f32, 0.2]),
            (0.25, -1, 40000, [f32::NAN, 1.5]),
        ] {
            b.extend(fe.to_be_bytes());
            b.extend(flag.to_be_bytes());
            b.extend(((u as i32 - 32768) as i16).to_be_bytes());
            b.extend(xh[0].to_be_bytes());
            b.extend(xh[1].to_be_bytes());
        }
        b.resize(b.len().div_ceil(2880) * 2880, 0);
        b
    }

    #[test]
    fn scaled_null_and_vector_columns_after_an_image() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.fits");
        std::fs::write(&p, handmade()).unwrap();
        let t = Table::read_fits(&p).unwrap();
        assert_eq!(t.columns(), ["FE_H", "FLAG", "U", "X_H[0]", "X_H[1]"]);
        assert_eq!(t.column_f64("FE_H").unwrap(), vec![-0.5, 0.25]);
        let flag = t.column_f64("FLAG").unwrap();
        assert!(flag[0] == 3.0 && flag[1].is_nan());
        assert_eq!(
            t.column_data("U").unwrap(),
            ColumnData::Int(vec![10, 40000])
        );
        assert!(t.column_f64("X_H[0]").unwrap()[1].is_nan());
        assert_eq!(t.column_f64("X_H[1]").unwrap()[1], 1.5);

        // and back through the writer
        let q = dir.path().join("u.fits");
        t.write_fits(&q).unwrap();
        let u = Table::read_fits(&q).unwrap();
        assert_eq!(u.columns(), t.columns());
        assert_eq!(
            u.column_data("U").unwrap(),
            ColumnData::Int(vec![10, 40000])
        );
        std::fs::write(&q, b"SIMPLE  = nonsense").unwrap();
        let err = Table::read_fits(&q).unwrap_err().to_string();
        assert!(err.contains("u.fits") && err.contains("FITS"), "{err}");
    }
}
