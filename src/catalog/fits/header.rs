//! FITS headers (FITS standard 4.0, §4): 2880-byte blocks of 80-character cards
//! `KEYWORD = value / comment`, ended by `END`.

/// Bytes per FITS block.
pub const BLOCK: usize = 2880;
/// Bytes per header card.
pub const CARD: usize = 80;

/// A header value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A quoted string (trailing blanks removed, `''` unescaped).
    Text(String),
    /// `T` or `F`.
    Logical(bool),
    /// An integer.
    Int(i64),
    /// A real number.
    Real(f64),
}

impl Value {
    /// The value as an integer (reals with an integral value too).
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            Value::Real(r) if r.fract() == 0.0 => Some(*r as i64),
            _ => None,
        }
    }

    /// The value as a real number.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::Real(r) => Some(*r),
            _ => None,
        }
    }

    /// The value as text.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Value::Text(s) => Some(s),
            _ => None,
        }
    }
}

/// The keyword–value cards of one header, in order (commentary cards dropped).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Header {
    pub cards: Vec<(String, Value)>,
}

impl Header {
    /// The value of `key`, if present.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.cards.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// An integer keyword, or an error naming it.
    pub fn int(&self, key: &str) -> Result<i64, String> {
        self.get(key)
            .and_then(Value::as_int)
            .ok_or_else(|| format!("the header has no integer {key}"))
    }

    /// A non-negative integer keyword (a size or a count), or an error naming it.
    pub fn count(&self, key: &str) -> Result<usize, String> {
        let v = self.int(key)?;
        usize::try_from(v).map_err(|_| format!("{key} = {v} is negative"))
    }
}

/// Parses the header starting at `bytes[0]`: the header and the number of bytes it occupies
/// (whole blocks).
pub fn parse(bytes: &[u8]) -> Result<(Header, usize), String> {
    let mut header = Header::default();
    let mut pos = 0;
    loop {
        let card = bytes.get(pos..pos + CARD).ok_or_else(|| {
            format!(
                "the file ends inside a header, after {} cards and before its END card (truncated?)",
                pos / CARD
            )
        })?;
        pos += CARD;
        let text = std::str::from_utf8(card)
            .ok()
            .filter(|t| t.is_ascii())
            .ok_or_else(|| format!("header card {} is not ASCII text", pos / CARD))?;
        let key = text[..8].trim_end().to_string();
        if key == "END" {
            break;
        }
        if &card[8..10] != b"= " {
            continue; // COMMENT, HISTORY, blank and other commentary cards
        }
        let value = parse_value(&text[10..]).map_err(|e| format!("card {key}: {e}"))?;
        header.cards.push((key, value));
    }
    Ok((header, pos.div_ceil(BLOCK) * BLOCK))
}

/// The value field of a card (after `= `), without its comment.
fn parse_value(field: &str) -> Result<Value, String> {
    let s = field.trim_start();
    if let Some(rest) = s.strip_prefix('\'') {
        let mut out = String::new();
        let mut chars = rest.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '\'' {
                if chars.peek() == Some(&'\'') {
                    out.push('\'');
                    chars.next();
                } else {
                    return Ok(Value::Text(out.trim_end().to_string()));
                }
            } else {
                out.push(c);
            }
        }
        return Err("unterminated string".into());
    }
    let v = s.split('/').next().unwrap_or("").trim();
    match v {
        "T" => Ok(Value::Logical(true)),
        "F" => Ok(Value::Logical(false)),
        _ => {
            if let Ok(i) = v.parse::<i64>() {
                Ok(Value::Int(i))
            } else {
                v.replace(['D', 'd'], "E")
                    .parse::<f64>()
                    .map(Value::Real)
                    .map_err(|_| format!("cannot read the value {v:?}"))
            }
        }
    }
}

/// One card `KEY = value` formatted to 80 characters (strings quoted, logicals and numbers
/// right-aligned in columns 11–30 as the standard's fixed format).
pub fn card(key: &str, value: &Value) -> String {
    let v = match value {
        Value::Text(s) => format!("'{:<8}'", s.replace('\'', "''")),
        Value::Logical(b) => format!("{:>20}", if *b { "T" } else { "F" }),
        Value::Int(i) => format!("{i:>20}"),
        Value::Real(r) => format!("{:>20}", format!("{r:E}")),
    };
    let mut c = format!("{key:<8}= {v}");
    c.truncate(CARD);
    format!("{c:<80}")
}

/// A whole header: the cards, `END`, padded with blanks to whole blocks.
pub fn encode(cards: &[(String, Value)]) -> Vec<u8> {
    let mut text: String = cards.iter().map(|(k, v)| card(k, v)).collect();
    text.push_str(&format!("{:<80}", "END"));
    let n = text.len().div_ceil(BLOCK) * BLOCK;
    let mut bytes = text.into_bytes();
    bytes.resize(n, b' ');
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cards_round_trip() {
        let cards = vec![
            ("XTENSION".to_string(), Value::Text("BINTABLE".into())),
            ("NAXIS1".to_string(), Value::Int(24)),
            ("TSCAL1".to_string(), Value::Real(0.5)),
            ("TTYPE1".to_string(), Value::Text("it's".into())),
            ("EXTEND".to_string(), Value::Logical(true)),
        ];
        let bytes = encode(&cards);
        assert_eq!(bytes.len(), BLOCK);
        let (h, used) = parse(&bytes).unwrap();
        assert_eq!(used, BLOCK);
        assert_eq!(h.cards, cards);
        assert_eq!(parse_value(" 1.5D2 / comment").unwrap(), Value::Real(150.0));
        assert!(parse(&bytes[..160]).is_err());
    }
}
