//! MADE degrees and connectivity masks (Germain et al. 2015, sequential degrees as nflows).
//!
//! Inputs have degrees 1 … D. A hidden unit of degree m sees the inputs (and hidden units of
//! the previous layer) of degree ≤ m; an output of degree d sees hidden units of degree < d
//! (strict). Output o (0-based, 2·D of them) has degree ⌊o/2⌋ + 1: outputs 2i and 2i + 1 are
//! the unconstrained scale and the shift of feature i.
//!
//! * **paper** layout (spec A.1.3): hidden degrees `(j mod max(1, D−1)) + min(1, D−1)`, i.e.
//!   1 … D−1 repeated. No hidden unit has degree 0, so the two outputs of feature 0 have an
//!   all-zero mask row: in every transform the first feature's scale and shift are just the
//!   output biases, independent of the context x (nflows PR #85).
//! * **default** layout: hidden degrees `j mod D`, i.e. 0 … D−1 repeated. Degree-0 units see
//!   no input but do receive the context, so every feature, the first included, is
//!   conditioned on x.
//!
//! Masks are stored row-major with shape `(n_out, n_in)`, 1.0 = connection kept.

/// Degrees of the D inputs: 1 … D.
pub fn input_degrees(d: usize) -> Vec<usize> {
    (1..=d).collect()
}

/// Degrees of a hidden layer of width `h` for `d` features.
pub fn hidden_degrees(d: usize, h: usize, paper: bool) -> Vec<usize> {
    if paper {
        let m = d.saturating_sub(1).max(1);
        let off = d.saturating_sub(1).min(1);
        (0..h).map(|j| j % m + off).collect()
    } else {
        (0..h).map(|j| j % d.max(1)).collect()
    }
}

/// Degrees of the 2·D outputs: each feature degree repeated twice (scale, shift).
pub fn output_degrees(d: usize) -> Vec<usize> {
    (0..2 * d).map(|o| o / 2 + 1).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    // The mask rules the MADE layers implement (see made.rs), written out for the tests.
    /// Mask of a layer feeding hidden units: `M[j, i] = 1` iff `out_deg[j] ≥ in_deg[i]`.
    /// Row-major `(out_deg.len(), in_deg.len())`.
    pub fn hidden_mask(out_deg: &[usize], in_deg: &[usize]) -> Vec<f32> {
        let mut m = Vec::with_capacity(out_deg.len() * in_deg.len());
        for &o in out_deg {
            for &i in in_deg {
                m.push(if o >= i { 1.0 } else { 0.0 });
            }
        }
        m
    }

    /// Mask of the output layer: `M[o, j] = 1` iff `out_deg[o] > hid_deg[j]` (strict).
    /// Row-major `(out_deg.len(), hid_deg.len())`.
    pub fn output_mask(out_deg: &[usize], hid_deg: &[usize]) -> Vec<f32> {
        let mut m = Vec::with_capacity(out_deg.len() * hid_deg.len());
        for &o in out_deg {
            for &j in hid_deg {
                m.push(if o > j { 1.0 } else { 0.0 });
            }
        }
        m
    }

    fn rows(m: &[f32], ncol: usize) -> Vec<String> {
        m.chunks(ncol)
            .map(|r| r.iter().map(|&v| if v > 0.0 { '1' } else { '0' }).collect())
            .collect()
    }

    #[test]
    fn paper_degrees_and_masks_match_spec_a13() {
        let h = hidden_degrees(6, 8, true);
        assert_eq!(h, vec![1, 2, 3, 4, 5, 1, 2, 3]);
        assert_eq!(output_degrees(6), vec![1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6]);
        let m0 = rows(&hidden_mask(&h, &input_degrees(6)), 6);
        assert_eq!(
            m0,
            ["100000", "110000", "111000", "111100", "111110", "100000", "110000", "111000"]
        );
        let mf = rows(&output_mask(&output_degrees(6), &h), 8);
        let want = [
            "00000000", "00000000", "10000100", "10000100", "11000110", "11000110", "11100111",
            "11100111", "11110111", "11110111", "11111111", "11111111",
        ];
        assert_eq!(mf, want);
    }

    #[test]
    fn default_layout_conditions_the_first_feature() {
        let h = hidden_degrees(6, 8, false);
        assert_eq!(h, vec![0, 1, 2, 3, 4, 5, 0, 1]);
        let mf = output_mask(&output_degrees(6), &h);
        // Feature 0 (rows 0, 1) sees the degree-0 units 0 and 6, which see only the context.
        assert_eq!(rows(&mf[..16], 8), ["10000010", "10000010"]);
        let m0 = hidden_mask(&h, &input_degrees(6));
        assert!(m0[..6].iter().all(|&v| v == 0.0));
    }

    #[test]
    fn single_feature_layouts() {
        assert_eq!(hidden_degrees(1, 3, true), vec![0, 0, 0]);
        assert_eq!(hidden_degrees(1, 3, false), vec![0, 0, 0]);
    }
}
