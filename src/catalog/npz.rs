//! The community's `.npz` mock catalogs (ChempyMulti's `Mock_Data_*.npz` layout) as a
//! [`Table`] in the layout of galchem's bundled CSV catalogs.
//!
//! The archive holds `elements` (`<U2`, e.g. `C Fe He Mg N Ne O Si`), `abundances`,
//! `abundance_errs` and `true_abuns` of shape `(n_stars, n_elements)` (dex: [Fe/H] for Fe,
//! [X/Fe] for the others) and `obs_time`, `obs_time_err`, `true_time` of shape `(n_stars,)`
//! (Gyr). They become the columns `star` (0, 1, …), `obs_<X>`, `err_<X>`, `true_<X>` (X =
//! `FeH` for Fe, `<El>Fe` otherwise, e.g. `CFe`) and the time columns under their own names.
//! Any other `(n_stars,)` float array becomes a column of its name, any other
//! `(n_stars, n_elements)` one columns `<name>_<X>`. Numeric arrays are read with
//! ndarray-npy; the text array `elements`, which ndarray-npy does not read, is decoded here.

use super::{CatalogError, ColumnData, Table};
use ndarray::{Array1, Array2};
use ndarray_npy::NpzReader;
use std::io::Read;
use std::path::Path;

/// The column stem of element `el` (`FeH` for Fe, `<el>Fe` otherwise).
pub fn stem(el: &str) -> String {
    if el == "Fe" {
        "FeH".into()
    } else {
        format!("{el}Fe")
    }
}

/// The catalog column prefix of a 2-D array of the ChempyMulti layout.
fn prefix(key: &str) -> String {
    match key {
        "abundances" => "obs".into(),
        "abundance_errs" => "err".into(),
        "true_abuns" => "true".into(),
        k => k.into(),
    }
}

/// Decodes a `.npy` file holding a 1-D array of fixed-width strings (`<Uk` UTF-32 or `|Sk`
/// bytes).
pub fn decode_strings(npy: &[u8]) -> Result<Vec<String>, String> {
    if !npy.starts_with(b"\x93NUMPY") || npy.len() < 10 {
        return Err("not a .npy array".into());
    }
    let (len, start) = match npy[6] {
        1 => (u16::from_le_bytes([npy[8], npy[9]]) as usize, 10),
        _ if npy.len() >= 12 => (
            u32::from_le_bytes([npy[8], npy[9], npy[10], npy[11]]) as usize,
            12,
        ),
        _ => return Err("truncated .npy header".into()),
    };
    let header = String::from_utf8_lossy(npy.get(start..start + len).ok_or("truncated header")?);
    let descr = header
        .split("'descr':")
        .nth(1)
        .and_then(|s| s.split('\'').nth(1))
        .ok_or("no descr in the .npy header")?;
    let (kind, width) = descr.split_at(descr.len().min(2));
    let width: usize = width
        .parse()
        .map_err(|_| format!("dtype {descr} is not text"))?;
    let data = &npy[start + len..];
    let (unit, decode): (usize, fn(&[u8]) -> String) = match kind {
        "<U" => (4, |b| {
            b.chunks_exact(4)
                .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .take_while(|&u| u != 0)
                .filter_map(char::from_u32)
                .collect()
        }),
        "|S" => (1, |b| {
            String::from_utf8_lossy(b)
                .trim_end_matches('\0')
                .to_string()
        }),
        _ => return Err(format!("dtype {descr} is not fixed-width text")),
    };
    Ok(data.chunks_exact(unit * width.max(1)).map(decode).collect())
}

/// The raw bytes of archive member `name.npy`.
fn member(path: &Path, name: &str) -> Result<Vec<u8>, String> {
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut zip = zip::ZipArchive::new(file).map_err(|e| e.to_string())?;
    let mut entry = zip
        .by_name(&format!("{name}.npy"))
        .map_err(|e| format!("{name}: {e}"))?;
    let mut bytes = Vec::new();
    entry.read_to_end(&mut bytes).map_err(|e| e.to_string())?;
    Ok(bytes)
}

/// The columns of one float array `key` (1-D of `n` rows, or 2-D `(n, elements.len())`).
fn array_columns(
    npz: &mut NpzReader<std::fs::File>,
    key: &str,
    elements: &[String],
    n: usize,
) -> Option<Vec<(String, ColumnData)>> {
    if let Ok(a) = npz.by_name::<ndarray::OwnedRepr<f64>, ndarray::Ix2>(key) {
        let a: Array2<f64> = a;
        if a.nrows() != n || a.ncols() != elements.len() {
            return None;
        }
        let p = prefix(key);
        return Some(
            elements
                .iter()
                .zip(a.columns())
                .map(|(e, c)| (format!("{p}_{}", stem(e)), ColumnData::Float(c.to_vec())))
                .collect(),
        );
    }
    let a: Array1<f64> = npz.by_name(key).ok()?;
    (a.len() == n).then(|| vec![(key.to_string(), ColumnData::Float(a.to_vec()))])
}

impl Table {
    /// Reads a `.npz` mock catalog (see the module documentation for the layout).
    pub fn read_npz(path: impl AsRef<Path>) -> Result<Table, CatalogError> {
        let path = path.as_ref();
        let bad = |message: String| CatalogError::Read {
            path: path.to_path_buf(),
            format: "npz",
            message,
        };
        let file = std::fs::File::open(path).map_err(|e| CatalogError::Open {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        let mut npz = NpzReader::new(file)
            .map_err(|e| bad(format!("not a zip archive of .npy arrays: {e}")))?;
        let mut names = npz.names().map_err(|e| bad(e.to_string()))?;
        names
            .iter_mut()
            .for_each(|n| *n = n.trim_end_matches(".npy").to_string());
        if !names.iter().any(|n| n == "abundances") {
            return Err(bad(format!(
                "not a ChempyMulti mock: the archive holds {}, but the layout needs \
                 'abundances' (n_stars, n_elements) and 'elements' (element names), with \
                 'abundance_errs' optional",
                if names.is_empty() {
                    "no arrays".to_string()
                } else {
                    names.join(", ")
                }
            )));
        }
        let abundances: Array2<f64> = npz.by_name("abundances").map_err(|e| {
            bad(format!(
                "'abundances' is not a 2-D float64 array (n_stars, n_elements): {e}"
            ))
        })?;
        let elements = match member(path, "elements").and_then(|b| decode_strings(&b)) {
            Ok(e) if e.len() == abundances.ncols() => e,
            Ok(e) => {
                return Err(bad(format!(
                    "{} element names for {} abundance columns",
                    e.len(),
                    abundances.ncols()
                )))
            }
            Err(e) => {
                return Err(bad(format!(
                    "cannot read the element names 'elements': {e}"
                )))
            }
        };
        let n = abundances.nrows();
        let mut columns = vec![("star".to_string(), ColumnData::Int((0..n as i64).collect()))];
        for key in names.iter().filter(|k| k.as_str() != "elements") {
            if let Some(cols) = array_columns(&mut npz, key, &elements, n) {
                columns.extend(cols);
            }
        }
        let mut t = Table::from_columns(columns)?;
        t.origin = Some(path.display().to_string());
        Ok(t)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use ndarray_npy::WriteNpyExt;
    use std::io::Write;

    /// A `.npy` of fixed-width UTF-32 strings.
    pub fn npy_strings(values: &[&str], width: usize) -> Vec<u8> {
        let dict = format!(
            "{{'descr': '<U{width}', 'fortran_order': False, 'shape': ({},), }}",
            values.len()
        );
        let mut header = dict.into_bytes();
        while (10 + header.len() + 1) % 64 != 0 {
            header.push(b' ');
        }
        header.push(b'\n');
        let mut out = b"\x93NUMPY\x01\x00".to_vec();
        out.extend((header.len() as u16).to_le_bytes());
        out.extend(header);
        for v in values {
            let mut cps: Vec<u32> = v.chars().map(|c| c as u32).collect();
            cps.resize(width, 0);
            cps.iter().for_each(|c| out.extend(c.to_le_bytes()));
        }
        out
    }

    /// Writes a ChempyMulti-layout npz with `n` stars at `path`.
    pub fn write_mock(
        path: &Path,
        elements: &[&str],
        abundances: &Array2<f64>,
        errs: &Array2<f64>,
    ) {
        let f = std::fs::File::create(path).unwrap();
        let mut zip = zip::ZipWriter::new(f);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        zip.start_file("elements.npy", opts).unwrap();
        zip.write_all(&npy_strings(elements, 2)).unwrap();
        for (name, a) in [("abundances", abundances), ("abundance_errs", errs)] {
            let mut buf = Vec::new();
            a.write_npy(&mut buf).unwrap();
            zip.start_file(format!("{name}.npy"), opts).unwrap();
            zip.write_all(&buf).unwrap();
        }
        let t = Array1::from_elem(abundances.nrows(), 5.0);
        let mut buf = Vec::new();
        t.write_npy(&mut buf).unwrap();
        zip.start_file("obs_time.npy", opts).unwrap();
        zip.write_all(&buf).unwrap();
        zip.finish().unwrap();
    }

    #[test]
    fn mock_layout_becomes_the_bundled_columns() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("Mock_Data_Test.npz");
        let a = ndarray::array![[0.1, -0.2], [0.3, 0.4], [0.5, 0.6]];
        let e = Array2::from_elem((3, 2), 0.05);
        write_mock(&p, &["C", "Fe"], &a, &e);
        let t = Table::read_npz(&p).unwrap();
        assert_eq!(
            t.columns(),
            ["star", "obs_CFe", "obs_FeH", "err_CFe", "err_FeH", "obs_time"]
        );
        assert_eq!(t.column_f64("obs_FeH").unwrap(), vec![-0.2, 0.4, 0.6]);
        assert_eq!(t.column_f64("err_CFe").unwrap(), vec![0.05; 3]);
        assert_eq!(
            decode_strings(&npy_strings(&["He", "O"], 2)).unwrap(),
            ["He", "O"]
        );
        std::fs::write(&p, b"PK not really").unwrap();
        let err = Table::read_npz(&p).unwrap_err().to_string();
        assert!(
            err.contains("npz") && err.contains("Mock_Data_Test.npz"),
            "{err}"
        );
    }
}
