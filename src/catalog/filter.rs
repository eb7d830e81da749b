//! Row filters: `column op value` with `== != < <= > >=` on numbers and strings.

use super::CatalogError;
use std::cmp::Ordering;
use std::str::FromStr;

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl FromStr for CmpOp {
    type Err = CatalogError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s.trim() {
            "==" => CmpOp::Eq,
            "!=" => CmpOp::Ne,
            "<" => CmpOp::Lt,
            "<=" => CmpOp::Le,
            ">" => CmpOp::Gt,
            ">=" => CmpOp::Ge,
            other => {
                return Err(CatalogError::BadArgument(format!(
                    "unknown comparison '{other}'; use one of == != < <= > >="
                )))
            }
        })
    }
}

impl CmpOp {
    /// Whether `ordering` (left compared with right) satisfies the operator.
    pub fn holds(self, ordering: Ordering) -> bool {
        match self {
            CmpOp::Eq => ordering == Ordering::Equal,
            CmpOp::Ne => ordering != Ordering::Equal,
            CmpOp::Lt => ordering == Ordering::Less,
            CmpOp::Le => ordering != Ordering::Greater,
            CmpOp::Gt => ordering == Ordering::Greater,
            CmpOp::Ge => ordering != Ordering::Less,
        }
    }

    /// `left op right` for numbers; any comparison with NaN is false except `!=`.
    pub fn compare_f64(self, left: f64, right: f64) -> bool {
        match left.partial_cmp(&right) {
            Some(o) => self.holds(o),
            None => self == CmpOp::Ne,
        }
    }
}

/// The right-hand side of a filter.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    Number(f64),
    Text(String),
    Bool(bool),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operators_parse_and_compare() {
        assert!("<=".parse::<CmpOp>().unwrap().compare_f64(1.0, 1.0));
        assert!(!"<".parse::<CmpOp>().unwrap().compare_f64(1.0, 1.0));
        assert!("!=".parse::<CmpOp>().unwrap().compare_f64(f64::NAN, 1.0));
        assert!(!"=="
            .parse::<CmpOp>()
            .unwrap()
            .compare_f64(f64::NAN, f64::NAN));
        let err = "=~".parse::<CmpOp>().unwrap_err().to_string();
        assert!(err.contains("=~") && err.contains(">="), "{err}");
    }
}
