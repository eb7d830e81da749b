//! Reading a catalog in row batches, for catalogs too large to hold at once: CSV line by
//! line (each batch parsed as a small CSV with the file's header), Parquet by row slices.
//! Memory is bounded by the batch, never by the file.
//!
//! A CSV batch is typed by its own values, as a whole file is: a stray word in a numeric
//! column makes that column text in its batch, and the cell counts as missing (the row is
//! reported), exactly as for a whole-file read. Quoted fields must not contain line breaks.

use super::{CatalogError, Table, TableFormat};
use polars::prelude::*;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// Where the rows come from.
enum Source {
    Csv {
        lines: std::io::Lines<BufReader<File>>,
        header: String,
    },
    Parquet,
    /// FITS and npz files, read whole (their readers are not row-streaming).
    Memory(Table),
}

/// A catalog read in batches of rows, from a start row on.
pub struct TableBatches {
    path: PathBuf,
    source: Source,
    n_rows: usize,
    next_row: usize,
}

impl TableBatches {
    /// Opens `path` (by its extension, else its first bytes: Parquet, FITS and npz — the last
    /// two read whole — or CSV), counting its rows.
    pub fn open(path: &Path) -> Result<Self, CatalogError> {
        Self::open_counting(path, true)
    }

    /// [`TableBatches::open`]; without `count`, a CSV's rows are not counted (and
    /// [`TableBatches::n_rows`] is unbounded).
    fn open_counting(path: &Path, count: bool) -> Result<Self, CatalogError> {
        let open = |e: std::io::Error| CatalogError::Open {
            path: path.to_path_buf(),
            message: e.to_string(),
        };
        if matches!(TableFormat::of(path), TableFormat::Fits | TableFormat::Npz) {
            let t = Table::read(path)?;
            return Ok(TableBatches {
                path: path.to_path_buf(),
                n_rows: t.len(),
                source: Source::Memory(t),
                next_row: 0,
            });
        }
        if TableFormat::of(path) == TableFormat::Parquet {
            let file = File::open(path).map_err(open)?;
            let n_rows = ParquetReader::new(file)
                .num_rows()
                .map_err(|e| read_error(path, "Parquet", e))?;
            return Ok(TableBatches {
                path: path.to_path_buf(),
                source: Source::Parquet,
                n_rows,
                next_row: 0,
            });
        }
        let n_rows = if count {
            count_lines(path)?.saturating_sub(1)
        } else {
            usize::MAX
        };
        let mut lines = BufReader::new(File::open(path).map_err(open)?).lines();
        let header = match lines.next() {
            Some(Ok(h)) if !h.trim().is_empty() => h,
            Some(Err(e)) => return Err(open(e)),
            _ => return Err(read_error(path, "CSV", "the file has no header row")),
        };
        Ok(TableBatches {
            path: path.to_path_buf(),
            source: Source::Csv { lines, header },
            n_rows,
            next_row: 0,
        })
    }

    /// Number of data rows in the file.
    pub fn n_rows(&self) -> usize {
        self.n_rows
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A fingerprint of the file's contents for the job keys of sharded runs: its size, its
    /// row count and a hash of its first and last MiB (cheap for any size; a change that
    /// keeps size and both ends is not seen).
    pub fn fingerprint(&self) -> Result<String, CatalogError> {
        use std::io::{Seek, SeekFrom};
        let io = |e: std::io::Error| read_error(&self.path, "catalog", e);
        let mut f = File::open(&self.path).map_err(io)?;
        let size = f.metadata().map_err(io)?.len();
        let mut h = crate::nn::checkpoint::hash::DataHash::new();
        h.u64(size).u64(self.n_rows as u64);
        let mut buf = vec![0u8; 1 << 20];
        for start in [0, size.saturating_sub(1 << 20)] {
            f.seek(SeekFrom::Start(start)).map_err(io)?;
            let k = f.read(&mut buf).map_err(io)?;
            h.bytes(&buf[..k]);
        }
        Ok(crate::nn::checkpoint::hash::hex(h.finish()))
    }

    /// The first row of the file as a table (its columns and their types, for choosing
    /// columns), without moving this reader.
    pub fn head(&self) -> Result<Table, CatalogError> {
        let mut other = TableBatches::open_counting(&self.path, false)?;
        Ok(other
            .next_batch(1)?
            .map(|(_, t)| t)
            .unwrap_or_else(|| Table::from_df(DataFrame::empty())))
    }

    /// Moves to data row `row` (0-based); rows before the current one cannot be revisited.
    pub fn seek(&mut self, row: usize) -> Result<(), CatalogError> {
        if row < self.next_row {
            return Err(CatalogError::BadArgument(format!(
                "{}: cannot go back to row {row} from row {}",
                self.path.display(),
                self.next_row
            )));
        }
        if let Source::Csv { lines, .. } = &mut self.source {
            for _ in self.next_row..row {
                if lines
                    .next()
                    .transpose()
                    .map_err(|e| read_error(&self.path, "CSV", e))?
                    .is_none()
                {
                    break;
                }
            }
        }
        self.next_row = row.min(self.n_rows);
        Ok(())
    }

    /// The next at most `max_rows` rows as a table, with the index of its first row; `None` at
    /// the end of the file.
    pub fn next_batch(&mut self, max_rows: usize) -> Result<Option<(usize, Table)>, CatalogError> {
        let first = self.next_row;
        let want = max_rows.min(self.n_rows.saturating_sub(first));
        if want == 0 {
            return Ok(None);
        }
        let df = match &mut self.source {
            Source::Parquet => read_parquet_slice(&self.path, first, want)?,
            Source::Csv { lines, header } => read_csv_lines(&self.path, lines, header, want)?,
            Source::Memory(t) => t.slice(first, want).df().clone(),
        };
        self.next_row = first + df.height();
        if df.height() == 0 {
            return Ok(None);
        }
        Ok(Some((
            first,
            Table::from_df(df).with_origin(format!(
                "{} (rows {first}..{})",
                self.path.display(),
                self.next_row
            )),
        )))
    }
}

fn read_error(path: &Path, format: &'static str, e: impl std::fmt::Display) -> CatalogError {
    CatalogError::Read {
        path: path.to_path_buf(),
        format,
        message: e.to_string(),
    }
}

/// Lines in a file (a last line without a newline counts).
fn count_lines(path: &Path) -> Result<usize, CatalogError> {
    let mut f = File::open(path).map_err(|e| CatalogError::Open {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    let mut buf = vec![0u8; 1 << 20];
    let (mut n, mut last) = (0usize, b'\n');
    loop {
        let k = f.read(&mut buf).map_err(|e| read_error(path, "CSV", e))?;
        if k == 0 {
            break;
        }
        n += buf[..k].iter().filter(|&&b| b == b'\n').count();
        last = buf[k - 1];
    }
    Ok(n + usize::from(last != b'\n'))
}

fn read_parquet_slice(path: &Path, offset: usize, len: usize) -> Result<DataFrame, CatalogError> {
    let file = File::open(path).map_err(|e| CatalogError::Open {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    ParquetReader::new(file)
        .with_slice(Some((offset, len)))
        .finish()
        .map_err(|e| read_error(path, "Parquet", e))
}

fn read_csv_lines(
    path: &Path,
    lines: &mut std::io::Lines<BufReader<File>>,
    header: &str,
    want: usize,
) -> Result<DataFrame, CatalogError> {
    let mut text = String::with_capacity(want * 128);
    text.push_str(header);
    text.push('\n');
    for _ in 0..want {
        match lines.next() {
            Some(l) => {
                text.push_str(&l.map_err(|e| read_error(path, "CSV", e))?);
                text.push('\n');
            }
            None => break,
        }
    }
    CsvReadOptions::default()
        .with_has_header(true)
        .with_infer_schema_length(None)
        .into_reader_with_file_handle(std::io::Cursor::new(text.into_bytes()))
        .finish()
        .map_err(|e| read_error(path, "CSV", e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::ColumnData;

    #[test]
    fn batches_of_csv_and_parquet_give_the_whole_table() {
        let dir = tempfile::tempdir().unwrap();
        let n = 1003;
        let t = Table::from_columns(vec![
            (
                "a".into(),
                ColumnData::Float((0..n).map(|i| i as f64 * 0.5).collect()),
            ),
            ("b".into(), ColumnData::Int((0..n as i64).collect())),
        ])
        .unwrap();
        for name in ["t.csv", "t.parquet"] {
            let p = dir.path().join(name);
            t.write(&p).unwrap();
            let mut b = TableBatches::open(&p).unwrap();
            assert_eq!(b.n_rows(), n, "{name}");
            b.seek(100).unwrap();
            let mut rows = 100;
            let mut a = Vec::new();
            while let Some((first, batch)) = b.next_batch(256).unwrap() {
                assert_eq!(first, rows, "{name}");
                rows += batch.len();
                a.extend(batch.column_f64("a").unwrap());
            }
            assert_eq!(rows, n);
            assert_eq!(a, t.column_f64("a").unwrap()[100..].to_vec(), "{name}");
            assert!(b.seek(5).is_err(), "no going back");
        }
        let empty = dir.path().join("e.csv");
        std::fs::write(&empty, "").unwrap();
        assert!(TableBatches::open(&empty).is_err());
        std::fs::write(&empty, "a,b\n").unwrap();
        let mut b = TableBatches::open(&empty).unwrap();
        assert_eq!((b.n_rows(), b.next_batch(10).unwrap().is_none()), (0, true));
    }
}
