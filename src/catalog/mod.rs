//! Star catalogs and parameter tables: a [`Table`] is a polars `DataFrame` with column
//! validation and error messages that name the file, the column and the row. Tables are read
//! from CSV, Parquet, FITS binary tables ([`fits`]) and ChempyMulti's `.npz` mocks
//! ([`npz`]), and written as CSV, Parquet or FITS.
//!
//! Reading scans the whole file to infer each column's type, so a column is numeric only if
//! every value in it parses as a number; a numeric column with one stray word in it becomes a
//! text column, and asking for it as numbers ([`Table::column_f64`]) names that row and value.

mod error;
mod filter;
pub mod fits;
mod io;
pub mod npz;
mod sink;
mod stream;
mod table;

pub use error::CatalogError;
pub use filter::{CmpOp, Scalar};
pub use io::TableFormat;
pub use sink::ParquetSink;
pub use stream::TableBatches;
pub use table::{ColumnData, Table};
