//! The per-star Parquet file of a streamed inference: one row per catalog row, in catalog
//! order, written one row group per block as the blocks are done, so memory never holds more
//! than a block.
//!
//! Columns: `row` (0-based catalog row), `label` (if the catalog has labels), `status`
//! (`ok` or `skipped`), `reason` (why a row was skipped), `acceptance` (fraction of the
//! sampler's proposals inside the prior support), `ess` (effective sample size, refined
//! inference), per parameter p `p_mean`, `p_sd` and the quantiles `p_q025`, `p_q16`, `p_q50`,
//! `p_q84`, `p_q975` (2.5 … 97.5 %), and the Gaussian fit of the global parameters g that the
//! combination uses: `fit_g_mean`, `fit_g_sd_n` and `fit_cov_a_b` for a ≤ b. Values of
//! skipped rows are null.
//!
//! The file is written under a temporary name and renamed when complete. A file interrupted
//! by SIGTERM is closed as a valid Parquet file of the blocks done, under the name
//! [`incomplete_path`]; a resumed run copies those blocks, slice by slice, before going on.
//! Copies are written with the same row groups and settings, so a resumed (or merged) file
//! is byte for byte the file of an uninterrupted run.

use super::block::BlockStars;
use crate::catalog::{CatalogError, ParquetSink};
use crate::infer::combine::BLOCK_ROWS;
use crate::infer::error::InferError;
use crate::infer::star::summary::SUMMARY_LEVELS;
use polars::prelude::*;
use std::path::{Path, PathBuf};

/// Quantile suffixes of [`SUMMARY_LEVELS`].
const QUANTILE_SUFFIXES: [&str; 5] = ["q025", "q16", "q50", "q84", "q975"];

/// Where an interrupted per-star file is kept until its run resumes.
pub fn incomplete_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".incomplete");
    PathBuf::from(s)
}

/// The layout of the file.
#[derive(Debug, Clone)]
pub(crate) struct StarsLayout {
    pub params: Vec<String>,
    pub globals: Vec<String>,
    pub labels: bool,
}

/// A per-star file being written.
pub(crate) struct StarsWriter {
    path: PathBuf,
    layout: StarsLayout,
    sink: ParquetSink,
}

impl StarsWriter {
    /// Starts the file at `path` (written to a temporary file in its directory).
    pub fn create(path: &Path, layout: StarsLayout) -> Result<Self, InferError> {
        let empty = block_frame(&layout, &empty_block())?;
        Ok(StarsWriter {
            path: path.to_path_buf(),
            layout,
            sink: ParquetSink::create(path, &empty)?,
        })
    }

    /// Appends one block's rows as one row group.
    pub fn write_block(&mut self, block: &BlockStars) -> Result<(), InferError> {
        let df = block_frame(&self.layout, block)?;
        Ok(self.sink.write(df)?)
    }

    /// Copies the first `rows` rows of the per-star file `from` (an interrupted file, or a
    /// shard's file), a block at a time.
    pub fn copy_from(&mut self, from: &Path, rows: usize) -> Result<(), InferError> {
        Ok(self.sink.copy_from(from, rows, BLOCK_ROWS)?)
    }

    /// Closes the file under its name.
    pub fn finish(self) -> Result<(), InferError> {
        Ok(self.sink.finish()?)
    }

    /// Closes the file, valid but incomplete, under [`incomplete_path`].
    pub fn suspend(self) -> Result<PathBuf, InferError> {
        let to = incomplete_path(&self.path);
        self.sink.finish_as(&to)?;
        Ok(to)
    }
}

fn empty_block() -> BlockStars {
    BlockStars {
        stars: Vec::new(),
        fits: Vec::new(),
        skipped: Vec::new(),
    }
}

/// The rows of one block, ok and skipped merged in catalog order.
fn block_frame(layout: &StarsLayout, b: &BlockStars) -> Result<DataFrame, InferError> {
    enum Row<'a> {
        Ok(usize),
        Skipped(&'a crate::infer::catalog::observe::SkippedRow),
    }
    let mut order: Vec<(usize, Row)> = b
        .stars
        .iter()
        .enumerate()
        .map(|(i, s)| (s.row, Row::Ok(i)))
        .chain(b.skipped.iter().map(|s| (s.row, Row::Skipped(s))))
        .collect();
    order.sort_by_key(|(r, _)| *r);
    let n = order.len();
    let mut cols: Vec<Column> = Vec::new();
    let rows: Vec<u64> = order.iter().map(|(r, _)| *r as u64).collect();
    cols.push(Column::new("row".into(), rows));
    if layout.labels {
        let labels: Vec<Option<String>> = order
            .iter()
            .map(|(_, r)| match r {
                Row::Ok(i) => b.stars[*i].label.clone(),
                Row::Skipped(s) => s.label.clone(),
            })
            .collect();
        cols.push(Column::new("label".into(), labels));
    }
    let status: Vec<&str> = order
        .iter()
        .map(|(_, r)| {
            if matches!(r, Row::Ok(_)) {
                "ok"
            } else {
                "skipped"
            }
        })
        .collect();
    cols.push(Column::new("status".into(), status));
    let reason: Vec<Option<String>> = order
        .iter()
        .map(|(_, r)| match r {
            Row::Ok(_) => None,
            Row::Skipped(s) => Some(reason_of(s)),
        })
        .collect();
    cols.push(Column::new("reason".into(), reason));
    let ok = |f: &dyn Fn(usize) -> Option<f64>| -> Vec<Option<f64>> {
        order
            .iter()
            .map(|(_, r)| match r {
                Row::Ok(i) => f(*i),
                Row::Skipped(_) => None,
            })
            .collect()
    };
    let mut num = |name: String, v: Vec<Option<f64>>| cols.push(Column::new(name.into(), v));
    num("acceptance".into(), ok(&|i| Some(b.stars[i].acceptance)));
    num("ess".into(), ok(&|i| b.stars[i].ess));
    for (j, p) in layout.params.iter().enumerate() {
        num(
            format!("{p}_mean"),
            ok(&|i| b.stars[i].mean.get(j).copied()),
        );
        num(format!("{p}_sd"), ok(&|i| b.stars[i].sd.get(j).copied()));
        for (q, suffix) in QUANTILE_SUFFIXES.iter().enumerate() {
            num(
                format!("{p}_{suffix}"),
                ok(&|i| b.stars[i].quantiles.get(j).map(|v| v[q])),
            );
        }
    }
    for (a, g) in layout.globals.iter().enumerate() {
        num(
            format!("fit_{g}_mean"),
            ok(&|i| b.fits[i].mean.get(a).copied()),
        );
        num(
            format!("fit_{g}_sd_n"),
            ok(&|i| b.fits[i].sd_n.get(a).copied()),
        );
    }
    for (a, ga) in layout.globals.iter().enumerate() {
        for (c, gc) in layout.globals.iter().enumerate().skip(a) {
            num(
                format!("fit_cov_{ga}_{gc}"),
                ok(&|i| b.fits[i].cov.get(a).and_then(|r| r.get(c)).copied()),
            );
        }
    }
    debug_assert_eq!(SUMMARY_LEVELS.len(), QUANTILE_SUFFIXES.len());
    DataFrame::new(n, cols).map_err(|e| {
        InferError::Catalog(CatalogError::Write {
            path: PathBuf::from("per-star table"),
            message: e.to_string(),
        })
    })
}

/// A skipped row's problems as one line.
fn reason_of(s: &crate::infer::catalog::observe::SkippedRow) -> String {
    s.problems
        .iter()
        .map(|p| p.to_string())
        .collect::<Vec<_>>()
        .join("; ")
}
