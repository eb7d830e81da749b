//! Flat parameter storage.
//!
//! Every model keeps all its trainable parameters in **one contiguous `Vec<f32>`**; layers
//! only remember where their block starts. Gradients live in a buffer of the same length
//! and layout. Optimizers, gradient clipping, weight averaging, best-weight snapshots and
//! serialisation therefore work on plain slices, whatever the model (an MLP, the flow's
//! MADEs, …). A [`ParamLayout`] hands out the blocks while a model is being built.

use std::ops::Range;

/// Allocator of consecutive blocks of a flat parameter vector.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParamLayout {
    len: usize,
}

impl ParamLayout {
    /// An empty layout.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reserves the next `n` parameters and returns their index range.
    pub fn alloc(&mut self, n: usize) -> Range<usize> {
        let start = self.len;
        self.len += n;
        start..self.len
    }

    /// Number of parameters allocated so far (the length of the parameter vector).
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing was allocated.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// Joint Euclidean norm of a flat vector, accumulated in f64.
pub fn l2_norm(v: &[f32]) -> f64 {
    v.iter()
        .map(|&x| f64::from(x) * f64::from(x))
        .sum::<f64>()
        .sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_are_consecutive() {
        let mut l = ParamLayout::new();
        assert!(l.is_empty());
        assert_eq!(l.alloc(3), 0..3);
        assert_eq!(l.alloc(0), 3..3);
        assert_eq!(l.alloc(5), 3..8);
        assert_eq!(l.len(), 8);
        assert_eq!(l2_norm(&[3.0, 4.0]), 5.0);
    }
}
