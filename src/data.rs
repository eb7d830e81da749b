//! Where galchem finds its input data (yield tables, reference runs, catalogs).
//!
//! The data live outside the repository. Resolution order:
//! 1. an explicit directory (`--data DIR` on the command line),
//! 2. the `GALCHEM_DATA` environment variable,
//! 3. `<repository>/../shared/data`, from `CARGO_MANIFEST_DIR` at build time.

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
}

/// A resolved data directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataDir {
    root: PathBuf,
}

impl DataDir {
    /// The default location, `<repository>/../shared/data`, fixed at build time.
    pub fn built_in() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join("shared")
            .join("data")
    }

    /// Resolves the data directory: `explicit`, then `$GALCHEM_DATA`, then [`DataDir::built_in`].
    pub fn resolve(explicit: Option<&Path>) -> Result<Self, DataError> {
        let (path, source_name) = match explicit {
            Some(p) => (p.to_path_buf(), "--data"),
            None => match std::env::var_os(DATA_ENV) {
                Some(v) if !v.is_empty() => (PathBuf::from(v), "GALCHEM_DATA"),
                _ => (
                    Self::built_in(),
                    "the built-in default <repo>/../shared/data",
                ),
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
