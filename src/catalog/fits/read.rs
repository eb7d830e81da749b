//! Reading the first binary table (`XTENSION = 'BINTABLE'`, FITS standard 4.0 §7.3) of a FITS
//! file into columns.
//!
//! Column types: `L` (logical) → booleans; `B`, `I`, `J`, `K` (8/16/32/64-bit integers) →
//! integers, or floats when `TSCALn`/`TZEROn` make them non-integral; `TNULLn` values become
//! NaN (the column is then a float column); `E`, `D` (32/64-bit floats) → floats (NaN is a
//! missing value); `rA` → text (trailing blanks and NULs removed). A numeric column with a
//! repeat count r > 1 (e.g. APOGEE's `X_H` arrays) becomes r columns `NAME[0]` … `NAME[r-1]`.
//! Bit (`X`), complex (`C`, `M`) and variable-length (`P`, `Q`) columns are left out.

use super::header::{self, Header};
use crate::catalog::ColumnData;

/// One column of the table as laid out in a row.
#[derive(Debug, Clone, PartialEq)]
struct Field {
    name: String,
    code: char,
    repeat: usize,
    offset: usize,
    scale: f64,
    zero: f64,
    null: Option<i64>,
}

/// Bytes per element of a type code (0 for codes that are not read).
fn width(code: char) -> usize {
    match code {
        'L' | 'B' | 'A' => 1,
        'I' => 2,
        'J' | 'E' => 4,
        'K' | 'D' => 8,
        'C' => 8,
        'M' => 16,
        'P' => 8,
        'Q' => 16,
        _ => 0,
    }
}

/// `rT…` → (r, T).
fn parse_tform(tform: &str) -> Result<(usize, char), String> {
    let t = tform.trim();
    let digits: String = t.chars().take_while(|c| c.is_ascii_digit()).collect();
    let code = t[digits.len()..]
        .chars()
        .next()
        .ok_or_else(|| format!("TFORM {tform:?} has no type code"))?;
    let repeat: usize = if digits.is_empty() {
        1
    } else {
        digits.parse().map_err(|_| format!("TFORM {tform:?}"))?
    };
    if code == 'X' {
        return Ok((repeat.div_ceil(8), 'X'));
    }
    if width(code) == 0 {
        return Err(format!("TFORM {tform:?}: unknown type code {code}"));
    }
    Ok((repeat, code))
}

/// Checks the mandatory keywords of a binary table (§7.3.1): BITPIX = 8, NAXIS = 2,
/// GCOUNT = 1, 0 ≤ TFIELDS ≤ 999.
fn check_bintable(h: &Header) -> Result<(), String> {
    let bitpix = h.int("BITPIX")?;
    if bitpix != 8 {
        return Err(format!(
            "BITPIX = {bitpix}, but a binary table needs BITPIX = 8 (FITS standard §7.3.1)"
        ));
    }
    let naxis = h.int("NAXIS")?;
    if naxis != 2 {
        return Err(format!(
            "NAXIS = {naxis}, but a binary table needs NAXIS = 2 (FITS standard §7.3.1)"
        ));
    }
    let gcount = h.get("GCOUNT").and_then(|v| v.as_int()).unwrap_or(1);
    if gcount != 1 {
        return Err(format!(
            "GCOUNT = {gcount}, but a binary table needs GCOUNT = 1"
        ));
    }
    let n = h.count("TFIELDS")?;
    if n > 999 {
        return Err(format!("TFIELDS = {n} is above the standard's 999"));
    }
    Ok(())
}

/// The fields of a BINTABLE header, with their byte offsets in a row.
fn fields(h: &Header) -> Result<Vec<Field>, String> {
    let n = h.count("TFIELDS")?;
    let mut offset = 0;
    let mut out = Vec::with_capacity(n);
    for i in 1..=n {
        let name = h
            .get(&format!("TTYPE{i}"))
            .and_then(|v| v.as_text())
            .map(str::to_string)
            .unwrap_or_else(|| format!("COL{i}"));
        let tform = h
            .get(&format!("TFORM{i}"))
            .and_then(|v| v.as_text())
            .ok_or_else(|| format!("column {i} ({name}): TFORM{i} is missing"))?;
        let (repeat, code) = parse_tform(tform).map_err(|e| format!("column {i} ({name}): {e}"))?;
        let num = |k: &str, d: f64| {
            h.get(&format!("{k}{i}"))
                .and_then(|v| v.as_f64())
                .unwrap_or(d)
        };
        out.push(Field {
            name,
            code,
            repeat,
            offset,
            scale: num("TSCAL", 1.0),
            zero: num("TZERO", 0.0),
            null: h.get(&format!("TNULL{i}")).and_then(|v| v.as_int()),
        });
        offset += repeat * if code == 'X' { 1 } else { width(code) };
    }
    let naxis1 = h.count("NAXIS1")?;
    if offset != naxis1 {
        return Err(format!(
            "the columns take {offset} bytes per row but NAXIS1 is {naxis1}"
        ));
    }
    Ok(out)
}

/// Big-endian integer of `width` bytes.
fn int_at(b: &[u8], code: char) -> i64 {
    match code {
        'B' => b[0] as i64,
        'I' => i16::from_be_bytes([b[0], b[1]]) as i64,
        'J' => i32::from_be_bytes([b[0], b[1], b[2], b[3]]) as i64,
        _ => i64::from_be_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]),
    }
}

/// Element `k` of field `f` in every row, as one column.
fn column(f: &Field, rows: &[u8], row_len: usize, n: usize, k: usize) -> ColumnData {
    let w = width(f.code);
    let at = |r: usize| &rows[r * row_len + f.offset + k * w..][..w];
    match f.code {
        'L' => ColumnData::Bool((0..n).map(|r| at(r)[0] == b'T').collect()),
        'E' => ColumnData::Float(
            (0..n)
                .map(|r| {
                    let b = at(r);
                    f32::from_be_bytes([b[0], b[1], b[2], b[3]]) as f64 * f.scale + f.zero
                })
                .collect(),
        ),
        'D' => ColumnData::Float(
            (0..n)
                .map(|r| {
                    let b = at(r);
                    f64::from_be_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]) * f.scale
                        + f.zero
                })
                .collect(),
        ),
        _ => {
            let raw: Vec<i64> = (0..n).map(|r| int_at(at(r), f.code)).collect();
            let integral = f.scale == 1.0 && f.zero.fract() == 0.0 && f.zero.abs() < 9.2e18;
            let has_null = f.null.is_some_and(|z| raw.contains(&z));
            if integral && !has_null {
                ColumnData::Int(raw.iter().map(|v| v.wrapping_add(f.zero as i64)).collect())
            } else {
                ColumnData::Float(
                    raw.iter()
                        .map(|&v| match f.null {
                            Some(z) if v == z => f64::NAN,
                            _ => v as f64 * f.scale + f.zero,
                        })
                        .collect(),
                )
            }
        }
    }
}

/// Text of an `rA` field in every row.
fn text_column(f: &Field, rows: &[u8], row_len: usize, n: usize) -> ColumnData {
    ColumnData::Text(
        (0..n)
            .map(|r| {
                let b = &rows[r * row_len + f.offset..][..f.repeat];
                let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
                String::from_utf8_lossy(&b[..end]).trim_end().to_string()
            })
            .collect(),
    )
}

/// Bytes of the data unit after `h` (padded to whole blocks).
fn data_bytes(h: &Header) -> Result<usize, String> {
    let bitpix = h.int("BITPIX")?;
    if ![8, 16, 32, 64, -32, -64].contains(&bitpix) {
        return Err(format!(
            "BITPIX = {bitpix} is not one of the standard's 8, 16, 32, 64, -32, -64"
        ));
    }
    let naxis = h.count("NAXIS")?;
    if naxis == 0 {
        return Ok(0);
    }
    let mut n: usize = 1;
    for i in 1..=naxis {
        n = n.saturating_mul(h.count(&format!("NAXIS{i}"))?);
    }
    let pcount = h.get("PCOUNT").and_then(|v| v.as_int()).unwrap_or(0).max(0) as usize;
    let gcount = h.get("GCOUNT").and_then(|v| v.as_int()).unwrap_or(1).max(0) as usize;
    let bytes = (bitpix.unsigned_abs() as usize / 8)
        .saturating_mul(gcount)
        .saturating_mul(pcount.saturating_add(n));
    Ok(bytes.div_ceil(header::BLOCK).saturating_mul(header::BLOCK))
}

/// The columns of the first binary table in `bytes` (a whole FITS file), in order.
pub fn read_bintable(bytes: &[u8]) -> Result<Vec<(String, ColumnData)>, String> {
    if !bytes.starts_with(b"SIMPLE  =") {
        return Err("not a FITS file (it does not start with SIMPLE =)".into());
    }
    let (mut pos, mut hdu) = (0, 0);
    loop {
        hdu += 1;
        if pos >= bytes.len() {
            return Err("the file has no binary table (XTENSION = 'BINTABLE')".into());
        }
        let at = |e: String| format!("HDU {hdu} (header at byte {pos}): {e}");
        let (h, used) = header::parse(&bytes[pos..]).map_err(at)?;
        let is_table = h.get("XTENSION").and_then(|v| v.as_text()) == Some("BINTABLE");
        if !is_table {
            pos = pos
                .saturating_add(used)
                .saturating_add(data_bytes(&h).map_err(at)?);
            continue;
        }
        check_bintable(&h).map_err(at)?;
        let fields = fields(&h).map_err(at)?;
        let (row_len, n) = (
            h.count("NAXIS1").map_err(at)?,
            h.count("NAXIS2").map_err(at)?,
        );
        let start = pos + used;
        let need = row_len
            .checked_mul(n)
            .ok_or_else(|| at("NAXIS1 × NAXIS2 overflows".into()))?;
        let rows = bytes
            .get(start..start.saturating_add(need))
            .ok_or_else(|| {
                at(format!(
                    "the file ends inside the table's data: {n} rows of {row_len} bytes from byte \
                 {start} need {} bytes, the file has {} (truncated?)",
                    start + need,
                    bytes.len()
                ))
            })?;
        let mut out = Vec::new();
        for f in &fields {
            match f.code {
                'A' => out.push((f.name.clone(), text_column(f, rows, row_len, n))),
                'X' | 'C' | 'M' | 'P' | 'Q' => {}
                _ if f.repeat == 1 => out.push((f.name.clone(), column(f, rows, row_len, n, 0))),
                _ => {
                    for k in 0..f.repeat {
                        let name = format!("{}[{k}]", f.name);
                        out.push((name, column(f, rows, row_len, n, k)));
                    }
                }
            }
        }
        return Ok(out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tform_codes() {
        assert_eq!(parse_tform("E").unwrap(), (1, 'E'));
        assert_eq!(parse_tform("18A").unwrap(), (18, 'A'));
        assert_eq!(parse_tform("26E").unwrap(), (26, 'E'));
        assert_eq!(parse_tform("12X").unwrap(), (2, 'X'));
        assert!(parse_tform("3Z").is_err());
    }
}
