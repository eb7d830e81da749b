//! A stable 64-bit hash (FNV-1a) of training data and parameters, for the fingerprints
//! that tie a checkpoint to its run. Unlike `std`'s hasher it is the same in every galchem
//! build, so a checkpoint written before an upgrade of the compiler is still recognised.

use ndarray::ArrayView2;

const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const PRIME: u64 = 0x0000_0100_0000_01b3;

/// FNV-1a over bytes; floats are hashed by their bit patterns, shapes by their sizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataHash(u64);

impl Default for DataHash {
    fn default() -> Self {
        DataHash(OFFSET)
    }
}

impl DataHash {
    /// An empty hash.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds bytes.
    pub fn bytes(&mut self, bytes: &[u8]) -> &mut Self {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(PRIME);
        }
        self
    }

    /// Adds a number (as 8 little-endian bytes).
    pub fn u64(&mut self, v: u64) -> &mut Self {
        self.bytes(&v.to_le_bytes())
    }

    /// Adds a string, with its length first (so that concatenations differ).
    pub fn str(&mut self, s: &str) -> &mut Self {
        self.u64(s.len() as u64).bytes(s.as_bytes())
    }

    /// Adds the length and the bit patterns of `v`.
    pub fn f32s(&mut self, v: &[f32]) -> &mut Self {
        self.u64(v.len() as u64);
        for x in v {
            self.bytes(&x.to_bits().to_le_bytes());
        }
        self
    }

    /// Adds the shape and the elements (in row-major order) of `a`.
    pub fn array(&mut self, a: &ArrayView2<f32>) -> &mut Self {
        self.u64(a.nrows() as u64).u64(a.ncols() as u64);
        match a.as_slice() {
            Some(s) => s.iter().for_each(|x| {
                self.bytes(&x.to_bits().to_le_bytes());
            }),
            None => a.iter().for_each(|x| {
                self.bytes(&x.to_bits().to_le_bytes());
            }),
        }
        self
    }

    /// The hash value.
    pub fn finish(&self) -> u64 {
        self.0
    }
}

/// A hash as 16 hexadecimal digits (how fingerprints store it: JSON numbers above 2⁵³ are
/// not safe in every reader).
pub fn hex(h: u64) -> String {
    format!("{h:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values_and_sensitivity() {
        // FNV-1a test vectors
        assert_eq!(DataHash::new().finish(), 0xcbf29ce484222325);
        assert_eq!(DataHash::new().bytes(b"a").finish(), 0xaf63dc4c8601ec8c);
        assert_eq!(
            DataHash::new().bytes(b"foobar").finish(),
            0x85944171f73967e8
        );
        let a = ndarray::array![[1.0f32, 2.0], [3.0, 4.0]];
        let h = DataHash::new().array(&a.view()).finish();
        assert_eq!(
            h,
            DataHash::new()
                .array(&a.t().as_standard_layout().t())
                .finish()
        );
        assert_ne!(h, DataHash::new().array(&a.t()).finish());
        assert_ne!(
            DataHash::new().f32s(&[0.0]).finish(),
            DataHash::new().f32s(&[-0.0]).finish()
        );
        assert_eq!(hex(255), "00000000000000ff");
    }
}
