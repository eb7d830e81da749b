//! Atomic file writes: write a temporary file beside the target, then rename it over.
//!
//! A failed or interrupted write never leaves a half-written file at the target path and
//! never touches an existing file there.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// Writes `path` atomically: `write` fills a temporary file in the same directory, which is
/// flushed, synced and renamed over `path` only if `write` succeeds.
pub fn atomic_write<E>(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> Result<(), E>,
) -> Result<(), E>
where
    E: From<io::Error>,
{
    let tmp = temp_path(path)?;
    let result = (|| {
        let file = File::create(&tmp)?;
        let mut w = BufWriter::new(file);
        write(&mut w)?;
        w.flush()?;
        let file = w.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)?;
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Writes `bytes` to `path` atomically.
pub fn atomic_write_bytes(path: &Path, bytes: &[u8]) -> io::Result<()> {
    atomic_write(path, |w| w.write_all(bytes))
}

/// A temporary path in the directory of `path` (which must exist).
pub fn temp_path(path: &Path) -> io::Result<PathBuf> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !dir.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!("directory {} does not exist", dir.display()),
        ));
    }
    let name = path.file_name().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} is not a file path", path.display()),
        )
    })?;
    let unique = format!(
        ".{}.{}.{}.tmp",
        name.to_string_lossy(),
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0)
    );
    Ok(dir.join(unique))
}

/// Where a script may write: under a few root directories (the working directory,
/// galchem's cache directory, and directories the user allowed explicitly). A path is
/// resolved against the working directory, `..` components are applied, and symbolic links
/// of its existing part are followed, so that no spelling of a path escapes the roots.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WritePolicy {
    /// The working directory (relative paths start there).
    pub cwd: PathBuf,
    /// Canonical directories under which writing is allowed.
    roots: Vec<PathBuf>,
}

impl WritePolicy {
    /// A policy with relative paths resolved against `cwd` and writes allowed under `roots`
    /// (each is canonicalised; one that does not exist yet is kept as given, normalised).
    pub fn new(cwd: PathBuf, roots: &[PathBuf]) -> Self {
        let mut p = WritePolicy {
            cwd,
            roots: Vec::new(),
        };
        for r in roots {
            p.allow(r);
        }
        p
    }

    /// Allows writing under `dir` too.
    pub fn allow(&mut self, dir: &Path) {
        let r = self.resolve(dir);
        if !self.roots.contains(&r) {
            self.roots.push(r);
        }
    }

    /// The directories under which writing is allowed.
    pub fn roots(&self) -> &[PathBuf] {
        &self.roots
    }

    /// `path` made absolute (against the working directory), with `.` and `..` applied and
    /// the symbolic links of its longest existing ancestor resolved.
    pub fn resolve(&self, path: &Path) -> PathBuf {
        let abs = if path.is_absolute() {
            path.to_path_buf()
        } else {
            self.cwd.join(path)
        };
        let mut normal = PathBuf::new();
        for c in abs.components() {
            match c {
                std::path::Component::ParentDir => {
                    normal.pop();
                }
                std::path::Component::CurDir => {}
                other => normal.push(other.as_os_str()),
            }
        }
        // canonicalise the longest existing ancestor, keep the rest
        let mut existing = normal.clone();
        let mut rest = Vec::new();
        while !existing.exists() {
            match (
                existing.file_name().map(|n| n.to_os_string()),
                existing.parent(),
            ) {
                (Some(name), Some(parent)) => {
                    rest.push(name);
                    existing = parent.to_path_buf();
                }
                _ => break,
            }
        }
        let mut out = existing.canonicalize().unwrap_or(existing);
        for name in rest.into_iter().rev() {
            out.push(name);
        }
        out
    }

    /// The resolved path if writing there is allowed, else why not.
    pub fn check(&self, path: &Path) -> Result<PathBuf, String> {
        let r = self.resolve(path);
        if self.roots.iter().any(|root| r.starts_with(root)) {
            Ok(r)
        } else {
            let roots: Vec<String> = self.roots.iter().map(|r| r.display().to_string()).collect();
            Err(format!(
                "writing {} is not allowed: a script may write only under {}; allow another \
                 directory with --allow-write DIR (in the REPL: allow_write(\"DIR\"))",
                r.display(),
                roots.join(", ")
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_write_keeps_the_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.txt");
        std::fs::write(&p, "old").unwrap();
        let r: io::Result<()> = atomic_write(&p, |w| {
            w.write_all(b"partial")?;
            Err(io::Error::other("boom"))
        });
        assert!(r.is_err());
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "old");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "temp file left behind"
        );
        atomic_write_bytes(&p, b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "new");
    }

    #[test]
    fn write_policy_keeps_writes_under_its_roots() {
        let dir = tempfile::tempdir().unwrap();
        let work = dir.path().join("work");
        let other = dir.path().join("other");
        std::fs::create_dir_all(work.join("sub")).unwrap();
        std::fs::create_dir_all(&other).unwrap();
        let mut p = WritePolicy::new(work.clone(), std::slice::from_ref(&work));
        assert!(p.check(Path::new("out.json")).is_ok());
        assert!(p.check(Path::new("sub/new/deeper/x.csv")).is_ok());
        let err = p.check(Path::new("../other/x.csv")).unwrap_err();
        assert!(
            err.contains("other") && err.contains("--allow-write"),
            "{err}"
        );
        assert!(p.check(&other.join("x.csv")).is_err());
        assert!(p.check(Path::new("sub/../../other/x.csv")).is_err());
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(&other, work.join("link")).unwrap();
            assert!(
                p.check(Path::new("link/x.csv")).is_err(),
                "a symlink out of the root"
            );
        }
        p.allow(&other);
        assert!(p.check(Path::new("../other/x.csv")).is_ok());
    }

    #[test]
    fn missing_directory_is_an_error() {
        assert!(atomic_write_bytes(Path::new("/no/such/dir/x.txt"), b"x").is_err());
    }
}
