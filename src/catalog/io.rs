//! Reading and writing tables: CSV and Parquet, writes atomic (temporary file + rename).

use super::{CatalogError, Table};
use crate::fsutil;
use polars::prelude::*;
use std::fs::File;
use std::path::{Path, PathBuf};

fn open_error(path: &Path, e: impl std::fmt::Display) -> CatalogError {
    CatalogError::Open {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

fn check_readable(path: &Path) -> Result<(), CatalogError> {
    if !path.exists() {
        return Err(open_error(path, "no such file"));
    }
    if path.is_dir() {
        return Err(open_error(path, "it is a directory"));
    }
    File::open(path)
        .map(|_| ())
        .map_err(|e| open_error(path, e))
}

impl Table {
    /// Reads a CSV file with a header row. Every value is scanned to infer column types.
    pub fn read_csv(path: impl AsRef<Path>) -> Result<Table, CatalogError> {
        let path = path.as_ref();
        check_readable(path)?;
        let df = CsvReadOptions::default()
            .with_has_header(true)
            .with_infer_schema_length(None)
            .try_into_reader_with_file_path(Some(PathBuf::from(path)))
            .and_then(|r| r.finish())
            .map_err(|e| CatalogError::Read {
                path: path.to_path_buf(),
                format: "CSV",
                message: e.to_string(),
            })?;
        if df.width() == 0 {
            return Err(CatalogError::Read {
                path: path.to_path_buf(),
                format: "CSV",
                message: "the file has no header row".into(),
            });
        }
        Ok(Table {
            df,
            origin: Some(path.display().to_string()),
        })
    }

    /// Reads a Parquet file.
    pub fn read_parquet(path: impl AsRef<Path>) -> Result<Table, CatalogError> {
        let path = path.as_ref();
        check_readable(path)?;
        let file = File::open(path).map_err(|e| open_error(path, e))?;
        let df = ParquetReader::new(file)
            .finish()
            .map_err(|e| CatalogError::Read {
                path: path.to_path_buf(),
                format: "Parquet",
                message: e.to_string(),
            })?;
        Ok(Table {
            df,
            origin: Some(path.display().to_string()),
        })
    }

    /// Reads CSV, Parquet, FITS (the first binary table) or npz (ChempyMulti's mock layout),
    /// chosen by the extension (`.parquet`/`.pq`, `.fits`/`.fit`/`.fts`, `.npz`, `.csv`) or,
    /// for any other name, by the file's first bytes (see [`TableFormat::sniff`]).
    pub fn read(path: impl AsRef<Path>) -> Result<Table, CatalogError> {
        let path = path.as_ref();
        check_readable(path)?;
        match TableFormat::of(path) {
            TableFormat::Parquet => Self::read_parquet(path),
            TableFormat::Fits => Self::read_fits(path),
            TableFormat::Npz => Self::read_npz(path),
            TableFormat::Csv => Self::read_csv(path),
        }
    }

    /// Writes CSV with a header, atomically. Floats are written with full precision.
    pub fn write_csv(&self, path: impl AsRef<Path>) -> Result<(), CatalogError> {
        let path = path.as_ref();
        let mut df = self.df.clone();
        fsutil::atomic_write(path, |w| {
            CsvWriter::new(w)
                .include_header(true)
                .finish(&mut df)
                .map_err(WriteErr::Polars)
        })
        .map_err(|e| e.at(path))
    }

    /// Writes Parquet (zstd-compressed), atomically.
    pub fn write_parquet(&self, path: impl AsRef<Path>) -> Result<(), CatalogError> {
        let path = path.as_ref();
        let mut df = self.df.clone();
        fsutil::atomic_write(path, |w| {
            ParquetWriter::new(w)
                .with_compression(ParquetCompression::Zstd(None))
                .finish(&mut df)
                .map(|_| ())
                .map_err(WriteErr::Polars)
        })
        .map_err(|e| e.at(path))
    }

    /// Writes CSV, Parquet or FITS, chosen by the extension as in [`Table::read`] (anything
    /// else is CSV).
    pub fn write(&self, path: impl AsRef<Path>) -> Result<(), CatalogError> {
        let path = path.as_ref();
        match TableFormat::by_extension(path) {
            Some(TableFormat::Parquet) => self.write_parquet(path),
            Some(TableFormat::Fits) => self.write_fits(path),
            Some(TableFormat::Npz) => Err(CatalogError::Write {
                path: path.to_path_buf(),
                message: "galchem writes CSV, Parquet and FITS, not npz".into(),
            }),
            _ => self.write_csv(path),
        }
    }
}

/// The file formats of tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableFormat {
    Csv,
    Parquet,
    Fits,
    Npz,
}

impl TableFormat {
    /// The format named by the extension, if it names one.
    pub fn by_extension(path: &Path) -> Option<Self> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "parquet" | "pq" => Some(Self::Parquet),
            "fits" | "fit" | "fts" => Some(Self::Fits),
            "npz" => Some(Self::Npz),
            "csv" => Some(Self::Csv),
            _ => None,
        }
    }

    /// The format from a file's first bytes: `SIMPLE  =` is FITS, `PAR1` Parquet, a zip
    /// archive (`PK\x03\x04`) npz, anything else CSV.
    pub fn sniff(head: &[u8]) -> Self {
        if head.starts_with(b"SIMPLE  =") {
            Self::Fits
        } else if head.starts_with(b"PAR1") {
            Self::Parquet
        } else if head.starts_with(b"PK\x03\x04") {
            Self::Npz
        } else {
            Self::Csv
        }
    }

    /// The format of `path`: by extension, else by its first bytes.
    pub fn of(path: &Path) -> Self {
        if let Some(f) = Self::by_extension(path) {
            return f;
        }
        let mut head = [0u8; 16];
        let n = File::open(path)
            .and_then(|mut f| std::io::Read::read(&mut f, &mut head))
            .unwrap_or(0);
        Self::sniff(&head[..n])
    }
}

enum WriteErr {
    Io(std::io::Error),
    Polars(PolarsError),
}

impl From<std::io::Error> for WriteErr {
    fn from(e: std::io::Error) -> Self {
        WriteErr::Io(e)
    }
}

impl WriteErr {
    fn at(self, path: &Path) -> CatalogError {
        let message = match self {
            WriteErr::Io(e) => e.to_string(),
            WriteErr::Polars(e) => e.to_string(),
        };
        CatalogError::Write {
            path: path.to_path_buf(),
            message,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::ColumnData;

    fn sample() -> Table {
        Table::from_columns(vec![
            (
                "a".into(),
                ColumnData::Float(vec![0.1, -2.5e-7, f64::NAN, 1.0 / 3.0]),
            ),
            ("b".into(), ColumnData::Int(vec![1, 2, 3, 4])),
            (
                "c".into(),
                ColumnData::Text(vec!["ok".into(), "x".into(), "inf:gas".into(), "".into()]),
            ),
        ])
        .unwrap()
    }

    #[test]
    fn csv_and_parquet_round_trip_exactly() {
        let dir = tempfile::tempdir().unwrap();
        let t = sample();
        for name in ["t.csv", "t.parquet"] {
            let p = dir.path().join(name);
            t.write(&p).unwrap();
            let back = Table::read(&p).unwrap();
            assert_eq!(back.columns(), t.columns());
            let (x, y) = (t.column_f64("a").unwrap(), back.column_f64("a").unwrap());
            for (u, v) in x.iter().zip(&y) {
                assert!(
                    u.to_bits() == v.to_bits() || (u.is_nan() && v.is_nan()),
                    "{name}: {u} vs {v}"
                );
            }
            assert_eq!(back.column_f64("b").unwrap(), vec![1.0, 2.0, 3.0, 4.0]);
        }
    }

    #[test]
    fn unparsable_value_is_located() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("bad.csv");
        std::fs::write(&p, "x,y\n1,2\n3,oops\n5,6\n").unwrap();
        let t = Table::read_csv(&p).unwrap();
        let err = t.column_f64("y").unwrap_err().to_string();
        assert!(
            err.contains("row 2")
                && err.contains("line 3")
                && err.contains("oops")
                && err.contains("bad.csv"),
            "{err}"
        );
    }

    #[test]
    fn missing_file_and_failed_write_are_clear() {
        let err = Table::read_csv("/no/such/file.csv")
            .unwrap_err()
            .to_string();
        assert!(err.contains("/no/such/file.csv"), "{err}");
        let err = sample()
            .write_csv("/no/such/dir/out.csv")
            .unwrap_err()
            .to_string();
        assert!(err.contains("/no/such/dir/out.csv"), "{err}");
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("garbage.parquet");
        std::fs::write(&p, "not parquet at all").unwrap();
        let err = Table::read(&p).unwrap_err().to_string();
        assert!(
            err.contains("garbage.parquet") && err.contains("Parquet"),
            "{err}"
        );
    }

    #[test]
    fn formats_by_extension_or_first_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let t = sample();
        for (name, fits) in [("t.fits", true), ("t.parquet", false), ("t.csv", false)] {
            let p = dir.path().join(name);
            t.write(&p).unwrap();
            let renamed = dir.path().join(format!("{name}.dat"));
            std::fs::copy(&p, &renamed).unwrap();
            let back = Table::read(&renamed).unwrap();
            assert_eq!(back.columns(), t.columns(), "{name}");
            assert_eq!(back.column_f64("b").unwrap(), vec![1.0, 2.0, 3.0, 4.0]);
            assert_eq!(TableFormat::of(&renamed) == TableFormat::Fits, fits);
        }
        assert_eq!(TableFormat::sniff(b"PK\x03\x04rest"), TableFormat::Npz);
    }
}
