//! Reading CHEMPY's input files from the data directory: comma-separated tables with `#`
//! comment lines and whitespace-separated tables. Every error names the file, the line and
//! what was wrong.

use super::error::GceError;
use crate::data::DataDir;
use std::path::{Path, PathBuf};

/// A text file read from the data directory.
pub struct TextFile {
    /// Full path of the file.
    pub path: PathBuf,
    /// Its content.
    pub content: String,
}

impl TextFile {
    /// Reads `relative` (a path inside the data directory).
    pub fn read(data: &DataDir, relative: &str) -> Result<Self, GceError> {
        let path = data.file(relative)?;
        let content = std::fs::read_to_string(&path).map_err(|source| GceError::Io {
            path: path.clone(),
            source,
        })?;
        Ok(Self { path, content })
    }

    /// Non-empty lines that are not `#` comments, with their 1-based line numbers.
    pub fn data_lines(&self) -> impl Iterator<Item = (usize, &str)> {
        self.content
            .lines()
            .enumerate()
            .map(|(i, l)| (i + 1, l.trim()))
            .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
    }

    /// An error about line `line` of this file.
    pub fn error(&self, line: usize, reason: impl Into<String>) -> GceError {
        malformed(&self.path, line, reason)
    }
}

/// A [`GceError::Malformed`] for `path`.
pub fn malformed(path: &Path, line: usize, reason: impl Into<String>) -> GceError {
    GceError::Malformed {
        path: path.to_path_buf(),
        line,
        reason: reason.into(),
    }
}

/// A comma-separated table: a header line followed by rows of the same width.
pub struct Csv {
    /// The file it came from.
    pub file: TextFile,
    /// Column names.
    pub header: Vec<String>,
    /// Rows as (line number, fields).
    pub rows: Vec<(usize, Vec<String>)>,
}

impl Csv {
    /// Reads and splits `relative`; rows must have as many fields as the header.
    pub fn read(data: &DataDir, relative: &str) -> Result<Self, GceError> {
        let file = TextFile::read(data, relative)?;
        let mut lines = file.data_lines();
        let header: Vec<String> = match lines.next() {
            Some((_, h)) => h.split(',').map(|s| s.trim().to_string()).collect(),
            None => return Err(file.error(0, "no header line")),
        };
        let mut rows = Vec::new();
        for (n, line) in lines {
            let fields: Vec<String> = line.split(',').map(|s| s.trim().to_string()).collect();
            if fields.len() != header.len() {
                return Err(file.error(
                    n,
                    format!("{} fields, expected {}", fields.len(), header.len()),
                ));
            }
            rows.push((n, fields));
        }
        Ok(Self { file, header, rows })
    }

    /// Index of column `name`.
    pub fn column(&self, name: &str) -> Result<usize, GceError> {
        self.header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| self.file.error(0, format!("missing column {name:?}")))
    }

    /// Field `col` of row `row` as a float.
    pub fn f64(&self, row: usize, col: usize) -> Result<f64, GceError> {
        let (line, fields) = &self.rows[row];
        parse_f64(&self.file, *line, &self.header[col], &fields[col])
    }

    /// Field `col` of row `row` as a non-negative integer.
    pub fn usize(&self, row: usize, col: usize) -> Result<usize, GceError> {
        let (line, fields) = &self.rows[row];
        fields[col].parse::<usize>().map_err(|_| {
            self.file.error(
                *line,
                format!("{}: {:?} is not an integer", self.header[col], fields[col]),
            )
        })
    }
}

/// Parses a float field, naming the column on failure.
pub fn parse_f64(file: &TextFile, line: usize, what: &str, s: &str) -> Result<f64, GceError> {
    s.trim()
        .parse::<f64>()
        .map_err(|_| file.error(line, format!("{what}: {s:?} is not a number")))
}
