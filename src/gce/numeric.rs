//! Floating-point helpers that reproduce numpy's arithmetic exactly, so that the port follows
//! CHEMPY's order of operations: `numpy.linspace`, `numpy.sum` (pairwise summation) and
//! Python's built-in `sum` (left-to-right).

/// `numpy.linspace(start, stop, num)` (endpoint included): `i * step + start`, last = `stop`.
pub fn linspace_into(start: f64, stop: f64, num: usize, out: &mut Vec<f64>) {
    out.clear();
    if num == 0 {
        return;
    }
    if num == 1 {
        out.push(start);
        return;
    }
    let div = (num - 1) as f64;
    let delta = stop - start;
    let step = delta / div;
    if step == 0.0 {
        out.extend((0..num).map(|i| (i as f64 / div) * delta + start));
    } else {
        out.extend((0..num).map(|i| i as f64 * step + start));
    }
    out[num - 1] = stop;
}

/// `numpy.linspace(start, stop, num)` as a new vector.
pub fn linspace(start: f64, stop: f64, num: usize) -> Vec<f64> {
    let mut v = Vec::with_capacity(num);
    linspace_into(start, stop, num, &mut v);
    v
}

/// Python's built-in `sum`: left to right, starting from 0.
pub fn seq_sum(values: &[f64]) -> f64 {
    values.iter().fold(0.0, |s, v| s + v)
}

/// `numpy.sum` of a float64 array: numpy's pairwise summation (8 accumulators, blocks of 128).
pub fn np_sum(values: &[f64]) -> f64 {
    0.0 + pairwise(values)
}

/// `numpy.sum` of a float32 array (pairwise summation with float32 accumulators).
pub fn np_sum_f32(values: &[f32]) -> f32 {
    0.0 + pairwise(values)
}

/// The float types numpy's pairwise summation is reproduced for.
trait Summand: Copy + std::ops::Add<Output = Self> + std::ops::AddAssign {
    /// The start of numpy's short-array loop (−0.0, so that an all −0.0 sum stays −0.0).
    const NEG_ZERO: Self;
}

impl Summand for f64 {
    const NEG_ZERO: Self = -0.0;
}

impl Summand for f32 {
    const NEG_ZERO: Self = -0.0;
}

/// numpy's `pairwise_sum`: a plain loop below 8 values, 8 interleaved accumulators up to
/// 128, recursive halving (at a multiple of 8) above.
fn pairwise<T: Summand>(a: &[T]) -> T {
    let n = a.len();
    if n < 8 {
        a.iter().fold(T::NEG_ZERO, |s, &v| s + v)
    } else if n <= 128 {
        let mut r = [a[0]; 8];
        r.copy_from_slice(&a[..8]);
        let mut i = 8;
        while i < n - n % 8 {
            for (k, rk) in r.iter_mut().enumerate() {
                *rk += a[i + k];
            }
            i += 8;
        }
        let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for &v in &a[i..] {
            res += v;
        }
        res
    } else {
        let mut n2 = n / 2;
        n2 -= n2 % 8;
        pairwise(&a[..n2]) + pairwise(&a[n2..])
    }
}

/// exp(x) for |x| ≤ 700, within ~1 ulp of `f64::exp`, without branches so that loops over
/// it vectorise: x = k ln 2 + r (Cody–Waite reduction, |r| ≤ ln 2 / 2), exp(r) by its Taylor
/// polynomial of degree 13 (truncation error < 1e-17) evaluated with Estrin's scheme (short
/// dependency chains), times 2^k built from the exponent bits.
#[inline(always)]
pub fn exp_fast(x: f64) -> f64 {
    const SHIFT: f64 = 6_755_399_441_055_744.0; // 1.5 · 2^52: adding it rounds to an integer
    const LN2_HI: f64 = 6.931_471_803_691_238e-1;
    const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;
    const C: [f64; 14] = [
        1.0,
        1.0,
        1.0 / 2.0,
        1.0 / 6.0,
        1.0 / 24.0,
        1.0 / 120.0,
        1.0 / 720.0,
        1.0 / 5_040.0,
        1.0 / 40_320.0,
        1.0 / 362_880.0,
        1.0 / 3_628_800.0,
        1.0 / 39_916_800.0,
        1.0 / 479_001_600.0,
        1.0 / 6_227_020_800.0,
    ];
    let t = x * std::f64::consts::LOG2_E + SHIFT;
    let k = t - SHIFT;
    let r = (x - k * LN2_HI) - k * LN2_LO;
    let r2 = r * r;
    let r4 = r2 * r2;
    let r8 = r4 * r4;
    let q0 = (C[0] + C[1] * r) + (C[2] + C[3] * r) * r2;
    let q1 = (C[4] + C[5] * r) + (C[6] + C[7] * r) * r2;
    let q2 = (C[8] + C[9] * r) + (C[10] + C[11] * r) * r2;
    let q3 = C[12] + C[13] * r;
    let p = (q0 + q1 * r4) + (q2 + q3 * r4) * r8;
    // low bits of t hold k (two's complement); add the exponent bias and shift into place
    let k_biased = t.to_bits().wrapping_sub(SHIFT.to_bits()).wrapping_add(1023);
    p * f64::from_bits(k_biased << 52)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linspace_matches_numpy_grid() {
        let t = linspace(0.0, 13.797617, 28);
        assert_eq!(t.len(), 28);
        assert_eq!(t[0], 0.0);
        assert_eq!(t[27], 13.797617);
        // numpy: linspace(0, 13.797617, 28)[1] = 0.5110228518518519, [3] = 1.5330685555555559
        assert_eq!(t[1], 0.5110228518518519);
        assert_eq!(t[3], 1.5330685555555559);
    }

    #[test]
    fn fast_exp_is_within_an_ulp_or_two() {
        let mut worst = 0.0f64;
        let mut x = -300.0;
        while x < 300.0 {
            let (a, b) = (exp_fast(x), x.exp());
            worst = worst.max((a - b).abs() / b);
            x += 0.0137;
        }
        assert!(worst < 5e-16, "{worst}");
        assert_eq!(exp_fast(0.0), 1.0);
    }

    #[test]
    fn pairwise_sum_differs_from_sequential_like_numpy() {
        // 1 + 1e-16 * 200: sequential summation loses every tiny term, pairwise keeps them.
        let mut v = vec![1.0];
        v.extend(std::iter::repeat_n(1e-16, 200));
        assert_eq!(seq_sum(&v), 1.0);
        assert!(np_sum(&v) > 1.0);
        assert_eq!(np_sum(&[1.0, 2.0, 3.0]), 6.0);
    }
}
