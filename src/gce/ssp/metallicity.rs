//! Choice of the yield tables for an SSP of metallicity Z and their interpolation weights
//! (the `metallicity_list` logic of CHEMPY's `weighted_yield.SSP`).
//!
//! With table metallicities Z_0 < … < Z_n: Z below Z_0 or above Z_n uses the end table alone;
//! Z equal to a table metallicity uses that table (compared in float32 for the float32 TNG
//! keys, as numpy's `z in array` does); otherwise the bracketing tables are
//! interpolated logarithmically:
//! w_lo = (log Z_hi − log Z)/(log Z_hi − log Z_lo), w_hi = (log Z − log Z_lo)/(log Z_hi − log Z_lo).
//! A zero lower metallicity is replaced by a small number (1e-10 for CC-SN/AGB, 1e-9 for
//! SN Ia). Logarithms of float32 keys (TNG) are float32, as numpy computes them, and so is
//! their difference.

use crate::gce::yields::Metallicity;

/// The tables used for one SSP and their weights.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Selection {
    /// Table indices (the first `count` are used).
    pub tables: [usize; 2],
    /// Interpolation weights (`[1, 0]` for a single table).
    pub weights: [f64; 2],
    /// 1 or 2.
    pub count: usize,
}

/// Selects the tables among `mets` (increasing) for metallicity `z`.
pub fn select(mets: &[Metallicity], z: f64, zero_replacement: f64) -> Selection {
    let single = |i: usize| Selection {
        tables: [i, i],
        weights: [1.0, 0.0],
        count: 1,
    };
    let n = mets.len();
    if n == 1 || z < mets[0].value {
        return single(0);
    }
    if z > mets[n - 1].value {
        return single(n - 1);
    }
    if let Some(i) = mets.iter().position(|m| equal_key(*m, z)) {
        return single(i);
    }
    let mut j = 1;
    while j < n - 1 && mets[j].value < z {
        j += 1;
    }
    let hi = mets[j];
    let lo = if mets[j - 1].value == 0.0 {
        Metallicity {
            value: zero_replacement,
            is_f32: false,
        }
    } else {
        mets[j - 1]
    };
    let (l_hi, l_lo) = (log10_key(hi), log10_key(lo));
    let distance = if hi.is_f32 && lo.is_f32 {
        ((l_hi as f32) - (l_lo as f32)) as f64
    } else {
        l_hi - l_lo
    };
    let lz = z.log10();
    Selection {
        tables: [j - 1, j],
        weights: [(l_hi - lz) / distance, (lz - l_lo) / distance],
        count: 2,
    }
}

/// `z in metallicities` as numpy evaluates it: an array comparison, in float32 for float32
/// keys (so a metallicity that rounds to a float32 key selects that table alone).
fn equal_key(m: Metallicity, z: f64) -> bool {
    if m.is_f32 {
        z as f32 == m.value as f32
    } else {
        m.value == z
    }
}

/// log10 of a table metallicity (float32 arithmetic for float32 keys).
fn log10_key(m: Metallicity) -> f64 {
    if m.is_f32 {
        numpy_log10_f32(m.value as f32) as f64
    } else {
        m.value.log10()
    }
}

/// numpy's float32 `log10` as it ran for the reference data (an SVML-type vector routine
/// with errors up to about one ulp). For the TNG table metallicities 0.001, 0.004, 0.008 and
/// 0.02 it returns the float32 neighbour of the correctly rounded logarithm; the reference
/// intermediates pin these values down (interpolation weights agree to 1e-14 with them, to
/// 1e-7 without). Every other input gets the correctly rounded float32 logarithm (which is
/// what those runs show for 0.0001).
pub fn numpy_log10_f32(x: f32) -> f32 {
    const PLATFORM: [(f32, f32); 4] = [
        (0.001, -3.000_000_2),
        (0.004, -2.397_940_2),
        (0.008, -2.096_910_2),
        (0.02, -1.698_970_1),
    ];
    for (key, value) in PLATFORM {
        if x == key {
            return value;
        }
    }
    (x as f64).log10() as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mets(v: &[f64]) -> Vec<Metallicity> {
        v.iter()
            .map(|&value| Metallicity {
                value,
                is_f32: false,
            })
            .collect()
    }

    #[test]
    fn float32_logarithms_of_the_tng_keys() {
        assert_eq!(numpy_log10_f32(0.004) as f64, -2.397940158843994);
        assert_eq!(numpy_log10_f32(0.008) as f64, -2.096910238265991);
        assert_eq!(numpy_log10_f32(0.02) as f64, -1.698970079421997);
        assert_eq!(numpy_log10_f32(0.001) as f64, -3.000000238418579);
        assert_eq!(numpy_log10_f32(1e-4), -4.0);
    }

    #[test]
    fn selection_cases() {
        let m = mets(&[0.0, 0.001, 0.004, 0.02]);
        assert_eq!(select(&m, 0.0, 1e-10).count, 1);
        assert_eq!(select(&m, 0.03, 1e-10).tables[0], 3);
        assert_eq!(select(&m, 0.004, 1e-10).tables[0], 2);
        let s = select(&m, 0.002, 1e-10);
        assert_eq!((s.tables, s.count), ([1, 2], 2));
        assert!((s.weights[0] + s.weights[1] - 1.0).abs() < 1e-15);
        let expected =
            (0.004f64.log10() - 0.002f64.log10()) / (0.004f64.log10() - 0.001f64.log10());
        assert!((s.weights[0] - expected).abs() < 1e-15);
        // zero lower metallicity is replaced by 1e-10
        let s = select(&m, 1e-5, 1e-10);
        assert!(
            (s.weights[1] - (1e-5f64.log10() + 10.0) / (0.001f64.log10() + 10.0)).abs() < 1e-12
        );
    }
}
