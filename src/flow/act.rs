//! Vectorisable f32 elementary functions for the flow's affine transforms: exp, ln,
//! softplus and the logistic sigmoid, accurate to a few ulp (tested against f64).
//!
//! The transforms evaluate `softplus` and `ln` once per feature, transform and sample, i.e.
//! 24 times per sample; the libm versions are scalar calls and dominate the sampling time.
//! These versions are branch-free loops that the compiler vectorises.

use crate::nn::fastmath::fma;

const LN2_HI: f32 = 0.693_145_75;
const LN2_LO: f32 = 1.428_606_8e-6;
const LOG2E: f32 = std::f32::consts::LOG2_E;

/// eˣ for x in f32, relative error ≲ 2 ulp on [−87, 88]; tiny (≈ 1e-38) below −87.3,
/// clamped above 88. Branch-free: the rounding of x·log₂e and the exponent bits come from
/// adding 1.5·2²³ (no float→int conversion), so loops over slices vectorise.
#[inline(always)]
pub fn exp(x: f32) -> f32 {
    const ROUND: f32 = 12_582_912.0; // 1.5·2²³
    let x = x.clamp(-87.3, 88.0);
    let t = fma(x, LOG2E, ROUND);
    let n = t - ROUND;
    let r = fma(n, -LN2_HI, x);
    let r = fma(n, -LN2_LO, r);
    // Taylor polynomial of degree 7 on |r| ≤ ln2/2.
    let p = 1.0 / 5040.0;
    let p = p * r + 1.0 / 720.0;
    let p = p * r + 1.0 / 120.0;
    let p = p * r + 1.0 / 24.0;
    let p = p * r + 1.0 / 6.0;
    let p = p * r + 0.5;
    let p = p * r + 1.0;
    let p = p * r + 1.0;
    let scale = f32::from_bits(t.to_bits().wrapping_sub(ROUND.to_bits()).wrapping_add(127) << 23);
    p * scale
}

/// 2·atanh(r) = ln((1 + r)/(1 − r)) for |r| ≤ 1/3 (series to r¹⁵).
#[inline(always)]
fn two_atanh(r: f32) -> f32 {
    let r2 = r * r;
    let p = 1.0 / 15.0;
    let p = p * r2 + 1.0 / 13.0;
    let p = p * r2 + 1.0 / 11.0;
    let p = p * r2 + 1.0 / 9.0;
    let p = p * r2 + 1.0 / 7.0;
    let p = p * r2 + 1.0 / 5.0;
    let p = p * r2 + 1.0 / 3.0;
    let p = p * r2 + 1.0;
    2.0 * r * p
}

/// ln x for positive normal f32 x (relative error ≲ 2 ulp); NaN/garbage for x ≤ 0.
#[inline(always)]
pub fn ln(x: f32) -> f32 {
    let bits = x.to_bits();
    let mut e = ((bits >> 23) & 0xff) as i32 - 127;
    let mut m = f32::from_bits((bits & 0x007f_ffff) | 0x3f80_0000);
    let big = m > std::f32::consts::SQRT_2;
    m = if big { 0.5 * m } else { m };
    e += big as i32;
    let f = m - 1.0;
    let r = f / (2.0 + f);
    let ef = e as f32;
    ef * LN2_HI + (two_atanh(r) + ef * LN2_LO)
}

/// ln(1 + y) for y in [0, 1].
#[inline(always)]
fn ln1p_unit(y: f32) -> f32 {
    two_atanh(y / (2.0 + y))
}

/// softplus(x) = ln(1 + eˣ) = max(x, 0) + ln(1 + e^{−|x|}).
#[inline(always)]
pub fn softplus(x: f32) -> f32 {
    x.max(0.0) + ln1p_unit(exp(-x.abs()))
}

/// The logistic sigmoid 1/(1 + e^{−x}) (the derivative of softplus).
#[inline(always)]
pub fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + exp(-x))
}

/// In-place softplus of a slice.
pub fn softplus_slice(xs: &mut [f32]) {
    for x in xs {
        *x = softplus(*x);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid(lo: f64, hi: f64, n: usize) -> impl Iterator<Item = f32> {
        (0..=n).map(move |i| (lo + (hi - lo) * i as f64 / n as f64) as f32)
    }

    fn rel(a: f32, b: f64) -> f64 {
        ((a as f64 - b) / b.abs().max(f64::MIN_POSITIVE)).abs()
    }

    #[test]
    fn exp_ln_softplus_are_accurate() {
        let eps = f32::EPSILON as f64;
        for x in grid(-80.0, 80.0, 200_001) {
            let r = rel(exp(x), (x as f64).exp());
            assert!(r < 3.0 * eps, "exp({x}): rel {r}");
        }
        for x in grid(-30.0, 30.0, 200_001) {
            let y = (x as f64).exp() as f32; // positive normals over many binades
            let r = (ln(y) as f64 - (y as f64).ln()).abs() / (y as f64).ln().abs().max(1.0);
            assert!(r < 3.0 * eps, "ln({y}): {r}");
        }
        for x in grid(-60.0, 60.0, 200_001) {
            let want = (x as f64).exp().ln_1p();
            let r = rel(softplus(x), want);
            assert!(r < 4.0 * eps, "softplus({x}): rel {r}");
            let s = 1.0 / (1.0 + (-(x as f64)).exp());
            assert!(rel(sigmoid(x), s) < 4.0 * eps, "sigmoid({x})");
        }
        assert!(exp(-200.0) < 1e-37);
        assert!(exp(200.0).is_finite());
    }
}
