//! Writing columns as a FITS file: an empty primary HDU and one binary table. Floats are
//! written as `D` (64-bit, NaN for missing values), integers as `K` (64-bit), booleans as `L`
//! and text as `rA` with r the longest value in bytes (at least 1).

use super::header::{self, Value};
use crate::catalog::ColumnData;

/// `(TFORM, bytes per row)` of a column.
fn form(data: &ColumnData) -> (String, usize) {
    match data {
        ColumnData::Float(_) => ("D".into(), 8),
        ColumnData::Int(_) => ("K".into(), 8),
        ColumnData::Bool(_) => ("L".into(), 1),
        ColumnData::Text(v) => {
            let w = v.iter().map(|s| s.len()).max().unwrap_or(0).max(1);
            (format!("{w}A"), w)
        }
    }
}

/// The bytes of row `r` of `data` (width `w`) appended to `out`.
fn push_value(out: &mut Vec<u8>, data: &ColumnData, r: usize, w: usize) {
    match data {
        ColumnData::Float(v) => out.extend_from_slice(&v[r].to_be_bytes()),
        ColumnData::Int(v) => out.extend_from_slice(&v[r].to_be_bytes()),
        ColumnData::Bool(v) => out.push(if v[r] { b'T' } else { b'F' }),
        ColumnData::Text(v) => {
            let b = v[r].as_bytes();
            out.extend_from_slice(b);
            out.extend(std::iter::repeat_n(b' ', w - b.len()));
        }
    }
}

/// A whole FITS file holding `columns` (all of the same length) as a binary table named
/// `extname`.
pub fn encode(columns: &[(String, ColumnData)], extname: &str) -> Vec<u8> {
    let n = columns.first().map_or(0, |(_, c)| c.len());
    let forms: Vec<(String, usize)> = columns.iter().map(|(_, c)| form(c)).collect();
    let row_len: usize = forms.iter().map(|(_, w)| w).sum();
    let s = |k: &str, v: Value| (k.to_string(), v);
    let mut bytes = header::encode(&[
        s("SIMPLE", Value::Logical(true)),
        s("BITPIX", Value::Int(8)),
        s("NAXIS", Value::Int(0)),
        s("EXTEND", Value::Logical(true)),
    ]);
    let mut cards = vec![
        s("XTENSION", Value::Text("BINTABLE".into())),
        s("BITPIX", Value::Int(8)),
        s("NAXIS", Value::Int(2)),
        s("NAXIS1", Value::Int(row_len as i64)),
        s("NAXIS2", Value::Int(n as i64)),
        s("PCOUNT", Value::Int(0)),
        s("GCOUNT", Value::Int(1)),
        s("TFIELDS", Value::Int(columns.len() as i64)),
    ];
    for (i, ((name, _), (tform, _))) in columns.iter().zip(&forms).enumerate() {
        cards.push(s(&format!("TTYPE{}", i + 1), Value::Text(name.clone())));
        cards.push(s(&format!("TFORM{}", i + 1), Value::Text(tform.clone())));
    }
    cards.push(s("EXTNAME", Value::Text(extname.into())));
    bytes.extend(header::encode(&cards));
    let start = bytes.len();
    bytes.reserve(row_len * n + header::BLOCK);
    for r in 0..n {
        for ((_, data), (_, w)) in columns.iter().zip(&forms) {
            push_value(&mut bytes, data, r, *w);
        }
    }
    let data_len = bytes.len() - start;
    bytes.resize(start + data_len.div_ceil(header::BLOCK) * header::BLOCK, 0);
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_tables_read_back_exactly() {
        let cols = vec![
            (
                "APOGEE_ID".to_string(),
                ColumnData::Text(vec!["2M001".into(), "x".into(), "".into()]),
            ),
            (
                "FE_H".to_string(),
                ColumnData::Float(vec![-0.25, f64::NAN, 1.0 / 3.0]),
            ),
            ("MG_FE_FLAG".to_string(), ColumnData::Int(vec![0, 1, -7])),
            ("OK".to_string(), ColumnData::Bool(vec![true, false, true])),
        ];
        let bytes = encode(&cols, "STARS");
        assert_eq!(bytes.len() % header::BLOCK, 0);
        let back = super::super::read::read_bintable(&bytes).unwrap();
        assert_eq!(back.len(), 4);
        assert_eq!(back[0], cols[0]);
        assert_eq!(back[2], cols[2]);
        assert_eq!(back[3], cols[3]);
        let ColumnData::Float(f) = &back[1].1 else {
            panic!("{:?}", back[1])
        };
        assert_eq!((f[0], f[1].is_nan(), f[2]), (-0.25, true, 1.0 / 3.0));
    }
}
