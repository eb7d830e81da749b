//! A Parquet file written a row group at a time: under a temporary name in its directory,
//! renamed when closed (or removed when dropped unclosed), so a reader never sees half a
//! file and nothing the user had is overwritten before the new file is complete. Every row
//! group is written with the same settings, so the same rows in the same groups give the
//! same bytes — whether written at once, resumed, or copied together from shards.

use super::{CatalogError, Table, TableBatches};
use polars::prelude::*;
use std::fs::File;
use std::path::{Path, PathBuf};

/// A Parquet file being written.
pub struct ParquetSink {
    path: PathBuf,
    tmp: PathBuf,
    writer: polars::io::parquet::write::BatchedWriter<File>,
    rows: usize,
    /// Set once the file is closed (else dropping the sink removes the temporary file).
    closed: bool,
}

impl Drop for ParquetSink {
    fn drop(&mut self) {
        if !self.closed {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

fn write_error(path: &Path, e: impl std::fmt::Display) -> CatalogError {
    CatalogError::Write {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

impl ParquetSink {
    /// Starts the file `path` with the schema of `like` (whose rows are not written).
    pub fn create(path: &Path, like: &DataFrame) -> Result<Self, CatalogError> {
        let tmp = crate::fsutil::temp_path(path).map_err(|e| write_error(path, e))?;
        let file = File::create(&tmp).map_err(|e| write_error(path, e))?;
        let writer = ParquetWriter::new(file)
            .with_compression(ParquetCompression::Zstd(None))
            .with_statistics(StatisticsOptions::default())
            .set_parallel(false)
            .batched(like.schema())
            .map_err(|e| write_error(path, e))?;
        Ok(ParquetSink {
            path: path.to_path_buf(),
            tmp,
            writer,
            rows: 0,
            closed: false,
        })
    }

    /// Rows written so far.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Appends `df` as one row group (nothing for an empty frame).
    pub fn write(&mut self, mut df: DataFrame) -> Result<(), CatalogError> {
        if df.height() == 0 {
            return Ok(());
        }
        df.rechunk_mut();
        self.writer
            .write_batch(&df)
            .map_err(|e| write_error(&self.path, e))?;
        self.rows += df.height();
        Ok(())
    }

    /// Appends a table as one row group.
    pub fn write_table(&mut self, t: &Table) -> Result<(), CatalogError> {
        self.write(t.df().clone())
    }

    /// Copies the first `rows` rows of the Parquet file `from`, `group` rows per row group
    /// (the group size `from` was written with, so the copy has the same bytes).
    pub fn copy_from(
        &mut self,
        from: &Path,
        rows: usize,
        group: usize,
    ) -> Result<(), CatalogError> {
        let mut b = TableBatches::open(from)?;
        if b.n_rows() < rows {
            return Err(write_error(
                from,
                format!("has {} rows, {rows} expected", b.n_rows()),
            ));
        }
        let mut left = rows;
        while left > 0 {
            let Some((_, t)) = b.next_batch(group.min(left))? else {
                break;
            };
            left -= t.len();
            self.write(t.df().clone())?;
        }
        Ok(())
    }

    /// Closes the file under its name.
    pub fn finish(self) -> Result<(), CatalogError> {
        let path = self.path.clone();
        self.finish_as(&path)
    }

    /// Closes the file, valid, under the name `to` (e.g. that of an incomplete file).
    pub fn finish_as(mut self, to: &Path) -> Result<(), CatalogError> {
        self.writer
            .finish()
            .map_err(|e| write_error(&self.path, e))?;
        std::fs::rename(&self.tmp, to).map_err(|e| write_error(to, e))?;
        self.closed = true;
        Ok(())
    }
}
