//! Fixed random permutations between the autoregressive transforms (nflows
//! `RandomPermutation`, spec A.1.2): drawn once at construction, never trained.
//!
//! Forward (density direction): `out[j] = in[π[j]]`; inverse: `out[π[j]] = in[j]`;
//! log|det| = 0.

use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

/// A permutation π of 0 … D−1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Permutation {
    perm: Vec<usize>,
}

impl Permutation {
    /// A uniformly random permutation of `d` elements from `rng`.
    pub fn random(d: usize, rng: &mut crate::rng::Rng) -> Self {
        let mut perm: Vec<usize> = (0..d).collect();
        perm.shuffle(rng);
        Permutation { perm }
    }

    /// The identity permutation.
    pub fn identity(d: usize) -> Self {
        Permutation {
            perm: (0..d).collect(),
        }
    }

    /// A permutation from its index vector; `None` unless it holds each of 0 … len−1 once.
    pub fn from_indices(perm: Vec<usize>) -> Option<Self> {
        let mut seen = vec![false; perm.len()];
        for &p in &perm {
            if p >= perm.len() || seen[p] {
                return None;
            }
            seen[p] = true;
        }
        Some(Permutation { perm })
    }

    /// Whether the stored indices form a valid permutation (checked after loading a file).
    pub fn is_valid(&self) -> bool {
        Permutation::from_indices(self.perm.clone()).is_some()
    }

    /// The indices π.
    pub fn indices(&self) -> &[usize] {
        &self.perm
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.perm.len()
    }

    /// Whether the permutation is empty.
    pub fn is_empty(&self) -> bool {
        self.perm.is_empty()
    }

    /// Forward: `out[j] = inp[π[j]]`.
    pub fn forward<T: Copy>(&self, inp: &[T], out: &mut [T]) {
        for (o, &p) in out.iter_mut().zip(&self.perm) {
            *o = inp[p];
        }
    }

    /// Inverse: `out[π[j]] = inp[j]`.
    pub fn inverse<T: Copy>(&self, inp: &[T], out: &mut [T]) {
        for (&x, &p) in inp.iter().zip(&self.perm) {
            out[p] = x;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inverse_undoes_forward() {
        let mut r = crate::rng::rng(3);
        for _ in 0..20 {
            let p = Permutation::random(6, &mut r);
            assert!(p.is_valid());
            let x = [0.5, 1.5, 2.5, 3.5, 4.5, 5.5];
            let mut y = [0.0; 6];
            let mut z = [0.0; 6];
            p.forward(&x, &mut y);
            p.inverse(&y, &mut z);
            assert_eq!(x, z);
            for j in 0..6 {
                assert_eq!(y[j], x[p.indices()[j]]);
            }
        }
        assert!(Permutation::from_indices(vec![0, 2, 2]).is_none());
        assert!(Permutation::from_indices(vec![0, 3, 1]).is_none());
    }
}
