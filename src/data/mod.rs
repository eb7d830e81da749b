//! Where galchem finds its input data (yield tables, solar abundances, lifetime constants and
//! the two bundled mock catalogs).
//!
//! The data live in the repository's `data/` folder and are compiled into the binary
//! ([`embedded`]), so an installed `galchem` runs anywhere. Resolution order:
//! 1. an explicit directory (`--data DIR` on the command line),
//! 2. the `GALCHEM_DATA` environment variable,
//! 3. the embedded copy, extracted once into the cache directory ([`cache_dir`]) as
//!    `data-<version>-<hash>/` so that paths such as `data_path("catalogs/…")` are real files.

pub mod embedded;

use std::path::{Path, PathBuf};

/// Environment variable that overrides the default data directory.
pub const DATA_ENV: &str = "GALCHEM_DATA";

/// Errors about the data directory or a file expected inside it.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// The directory chosen by the resolution order does not exist.
    #[error("data directory {path} does not exist (chosen from {source_name}); set it with --data DIR or the GALCHEM_DATA environment variable")]
    MissingDir {
        path: PathBuf,
        source_name: &'static str,
    },
    /// A file expected inside the data directory is absent.
    #[error("data file {path} not found; set the data directory with --data DIR or the GALCHEM_DATA environment variable")]
    MissingFile { path: PathBuf },
    /// The embedded data could not be written to the cache directory.
    #[error("cannot extract galchem's embedded data into {path}: {message}; set GALCHEM_CACHE to a writable directory, or give the data directory with --data DIR or GALCHEM_DATA")]
    Extract { path: PathBuf, message: String },
}

/// A resolved data directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataDir {
    root: PathBuf,
}

impl DataDir {
    /// The embedded data, extracted into the cache directory if not there yet (see
    /// [`embedded::extract`]).
    pub fn built_in() -> Result<Self, DataError> {
        let root = embedded::extract()?;
        Ok(Self { root })
    }

    /// Resolves the data directory: `explicit`, then `$GALCHEM_DATA`, then the embedded data
    /// ([`DataDir::built_in`]).
    pub fn resolve(explicit: Option<&Path>) -> Result<Self, DataError> {
        let (path, source_name) = match explicit {
            Some(p) => (p.to_path_buf(), "--data"),
            None => match std::env::var_os(DATA_ENV) {
                Some(v) if !v.is_empty() => (PathBuf::from(v), "GALCHEM_DATA"),
                _ => return Self::built_in(),
            },
        };
        if !path.is_dir() {
            return Err(DataError::MissingDir { path, source_name });
        }
        let root = path.canonicalize().unwrap_or(path);
        Ok(Self { root })
    }

    /// Uses `root` as is (it must exist).
    pub fn at(root: impl Into<PathBuf>) -> Result<Self, DataError> {
        let root = root.into();
        if !root.is_dir() {
            return Err(DataError::MissingDir {
                path: root,
                source_name: "an explicit path",
            });
        }
        Ok(Self { root })
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `root/relative`, whether or not it exists.
    pub fn join(&self, relative: impl AsRef<Path>) -> PathBuf {
        self.root.join(relative)
    }

    /// `root/relative` if it exists, else the embedded file of that name (extracted), else
    /// `root/relative` anyway (a later read names it).
    pub fn path_of(&self, relative: &str) -> Result<PathBuf, DataError> {
        let own = self.join(relative);
        if own.exists() || embedded::get(relative).is_none() {
            return Ok(own);
        }
        Ok(embedded::extract()?.join(relative))
    }

    /// `root/relative`, or [`DataError::MissingFile`] naming the full path.
    pub fn file(&self, relative: impl AsRef<Path>) -> Result<PathBuf, DataError> {
        let path = self.join(relative);
        if path.is_file() {
            Ok(path)
        } else {
            Err(DataError::MissingFile { path })
        }
    }
}

/// Environment variable that overrides galchem's cache directory.
pub const CACHE_ENV: &str = "GALCHEM_CACHE";

/// galchem's cache directory for trained models reused between runs: `$GALCHEM_CACHE`, else
/// `<user cache dir>/galchem` (`~/.cache/galchem` on Linux); created if needed.
pub fn cache_dir() -> Result<PathBuf, String> {
    let dir = std::env::var_os(CACHE_ENV)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| dirs::cache_dir().map(|d| d.join("galchem")))
        .ok_or_else(|| format!("no cache directory: set {CACHE_ENV}"))?;
    std::fs::create_dir_all(&dir)
        .map_err(|e| format!("cannot create the cache directory {}: {e}", dir.display()))?;
    Ok(dir)
}

impl crate::error::Kind for DataError {
    fn kind(&self) -> crate::error::ErrorKind {
        crate::error::ErrorKind::Io
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_directory_wins_and_missing_one_is_named() {
        let tmp = std::env::temp_dir();
        let d = DataDir::resolve(Some(&tmp)).unwrap();
        assert!(d.root().is_dir());
        let err = DataDir::resolve(Some(Path::new("/no/such/galchem/dir"))).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("/no/such/galchem/dir") && msg.contains("--data"),
            "{msg}"
        );
    }

    #[test]
    fn missing_file_names_its_path() {
        let d = DataDir::at(std::env::temp_dir()).unwrap();
        let err = d.file("galchem-no-such-file.csv").unwrap_err();
        assert!(err.to_string().contains("galchem-no-such-file.csv"));
    }
}
