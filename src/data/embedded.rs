//! The repository's `data/` folder compiled into the binary: the simulator's input files (the
//! CHEMPY tables galchem reads) and the two bundled mock catalogs (`data/README.md` gives
//! their provenance and licence).
//!
//! The files are stored uncompressed: they are 1.35 MB, gzip -9 would make them 0.37 MB, a
//! saving of about 1 MB in a binary of tens of MB that would cost a build script and a
//! decompression at start-up (measured for issue 17; see `data/README.md`).
//!
//! [`extract`] writes them once into `<cache>/data-<version>-<hash>/` (the hash covers every
//! name and byte, so a binary with other data never reuses a stale copy), atomically: a
//! temporary directory renamed into place, so concurrent first runs cannot see half a copy.

use super::{cache_dir, DataError};
use std::path::{Path, PathBuf};

macro_rules! embed {
    ($($rel:literal),* $(,)?) => {
        /// Every embedded file: its path relative to the data directory and its bytes.
        pub const FILES: &[(&str, &[u8])] = &[
            $(($rel, include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/data/", $rel)))),*
        ];
    };
}

embed!(
    "chempy-input/input/elemental_table.csv",
    "chempy-input/hardcoded/solar_asplund09.csv",
    "chempy-input/hardcoded/portinari_lifetime_coefficients.csv",
    "chempy-input/input/yields/TNG/SNII.csv",
    "chempy-input/input/yields/TNG/AGB.csv",
    "chempy-input/input/yields/TNG/SNIa.csv",
    "chempy-input/input/yields/Thielemann2003/0.02.txt",
    "chempy-input/input/yields/Nomoto2013/nomoto_net_met_ind_0.csv",
    "chempy-input/input/yields/Nomoto2013/nomoto_net_met_ind_1.csv",
    "chempy-input/input/yields/Nomoto2013/nomoto_net_met_ind_2.csv",
    "chempy-input/input/yields/Nomoto2013/nomoto_net_met_ind_3.csv",
    "chempy-input/input/yields/Nomoto2013/nomoto_net_met_ind_4.csv",
    "chempy-input/input/yields/Karakas2010/tablea2.dat",
    "chempy-input/input/yields/Karakas2010/tablea3.dat",
    "chempy-input/input/yields/Karakas2010/tablea4.dat",
    "chempy-input/input/yields/Karakas2010/tablea5.dat",
    "catalogs/mock_chempy_tng.csv",
    "catalogs/tutorial_mock.csv",
    "README.md",
);

/// The bytes of embedded file `relative` (e.g. `"catalogs/tutorial_mock.csv"`), if any.
pub fn get(relative: &str) -> Option<&'static [u8]> {
    FILES.iter().find(|(r, _)| *r == relative).map(|(_, b)| *b)
}

/// Total size of the embedded files in bytes.
pub fn total_bytes() -> usize {
    FILES.iter().map(|(_, b)| b.len()).sum()
}

/// 64-bit FNV-1a over every name and file, in order.
fn fingerprint() -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for &b in bytes {
            h ^= b as u64;
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    };
    for (rel, bytes) in FILES {
        eat(rel.as_bytes());
        eat(&(bytes.len() as u64).to_le_bytes());
        eat(bytes);
    }
    h
}

/// The directory name of this binary's extracted data.
pub fn dir_name() -> String {
    format!("data-{}-{:016x}", env!("CARGO_PKG_VERSION"), fingerprint())
}

/// Name of the file written last, whose presence marks a complete copy.
const COMPLETE: &str = ".complete";

/// The embedded data as a directory: `<cache>/data-<version>-<hash>/`, written on first use.
pub fn extract() -> Result<PathBuf, DataError> {
    let cache = cache_dir().map_err(|message| DataError::Extract {
        path: PathBuf::from("the cache directory"),
        message,
    })?;
    extract_into(&cache)
}

/// [`extract`] below `parent` instead of the cache directory.
pub fn extract_into(parent: &Path) -> Result<PathBuf, DataError> {
    let target = parent.join(dir_name());
    if target.join(COMPLETE).is_file() {
        return Ok(target);
    }
    let tmp = parent.join(format!(
        "{}.tmp-{}-{:x}",
        dir_name(),
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    ));
    let fail = |path: &Path, e: std::io::Error| DataError::Extract {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    for (rel, bytes) in FILES {
        let path = tmp.join(rel);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| fail(dir, e))?;
        }
        std::fs::write(&path, bytes).map_err(|e| fail(&path, e))?;
    }
    std::fs::write(tmp.join(COMPLETE), dir_name()).map_err(|e| fail(&tmp, e))?;
    match std::fs::rename(&tmp, &target) {
        Ok(()) => Ok(target),
        // another process finished first: use its copy
        Err(_) if target.join(COMPLETE).is_file() => {
            let _ = std::fs::remove_dir_all(&tmp);
            Ok(target)
        }
        Err(e) => {
            let _ = std::fs::remove_dir_all(&tmp);
            Err(fail(&target, e))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extracted_copy_holds_every_file_byte_for_byte_and_is_reused() {
        let dir = tempfile::tempdir().unwrap();
        let root = extract_into(dir.path()).unwrap();
        assert!(root.ends_with(dir_name()));
        for (rel, bytes) in FILES {
            assert_eq!(std::fs::read(root.join(rel)).unwrap(), *bytes, "{rel}");
        }
        let again = extract_into(dir.path()).unwrap();
        assert_eq!(root, again);
        assert!(get("catalogs/tutorial_mock.csv").is_some_and(|b| b.len() > 100_000));
        assert!(total_bytes() > 1_000_000);
    }
}
