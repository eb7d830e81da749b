//! Special functions of the normal distribution: density, CDF, quantile, truncated mass and
//! truncated draws.

/// Log density of N(mean, std²) at `x`.
pub fn normal_log_pdf(x: f64, mean: f64, std: f64) -> f64 {
    let z = (x - mean) / std;
    -0.5 * z * z - std.ln() - 0.5 * (2.0 * std::f64::consts::PI).ln()
}

/// Standard normal CDF.
pub fn normal_cdf(z: f64) -> f64 {
    0.5 * libm::erfc(-z / std::f64::consts::SQRT_2)
}

/// Probability mass of N(mean, std) in (lower, upper).
pub fn normal_mass(mean: f64, std: f64, lower: f64, upper: f64) -> f64 {
    let (a, b) = ((lower - mean) / std, (upper - mean) / std);
    if a > 0.0 {
        normal_cdf(-a) - normal_cdf(-b)
    } else {
        normal_cdf(b) - normal_cdf(a)
    }
}

/// Inverse CDF draw of a standard normal truncated to (a, b), from u ∈ [0, 1).
pub fn truncated_standard_normal(a: f64, b: f64, u: f64) -> f64 {
    if a > 0.0 {
        return -truncated_standard_normal(-b, -a, 1.0 - u);
    }
    let (pa, pb) = (normal_cdf(a), normal_cdf(b));
    let x = normal_quantile(pa + u * (pb - pa));
    x.clamp(a, b)
}

/// Standard normal quantile: Acklam's rational approximation refined by one Halley step
/// (relative accuracy ~1e-15).
pub fn normal_quantile(p: f64) -> f64 {
    if p <= 0.0 {
        return f64::NEG_INFINITY;
    }
    if p >= 1.0 {
        return f64::INFINITY;
    }
    const A: [f64; 6] = [
        -3.969683028665376e1,
        2.209460984245205e2,
        -2.759285104469687e2,
        1.383_577_518_672_69e2,
        -3.066479806614716e1,
        2.506628277459239,
    ];
    const B: [f64; 5] = [
        -5.447609879822406e1,
        1.615858368580409e2,
        -1.556989798598866e2,
        6.680131188771972e1,
        -1.328068155288572e1,
    ];
    const C: [f64; 6] = [
        -7.784894002430293e-3,
        -3.223964580411365e-1,
        -2.400758277161838,
        -2.549732539343734,
        4.374664141464968,
        2.938163982698783,
    ];
    const D: [f64; 4] = [
        7.784695709041462e-3,
        3.224671290700398e-1,
        2.445134137142996,
        3.754408661907416,
    ];
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    let x = if p < 0.02425 {
        tail((-2.0 * p.ln()).sqrt())
    } else if p > 1.0 - 0.02425 {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    };
    let e = normal_cdf(x) - p;
    let u = e * (2.0 * std::f64::consts::PI).sqrt() * (0.5 * x * x).exp();
    x - u / (1.0 + 0.5 * x * u)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantile_inverts_the_cdf() {
        for p in [1e-12, 1e-5, 0.01, 0.3, 0.5, 0.8, 0.999, 1.0 - 1e-9] {
            let x = normal_quantile(p);
            assert!((normal_cdf(x) / p - 1.0).abs() < 1e-12, "{p} {x}");
        }
    }

    #[test]
    fn truncated_mass_and_draws_stay_inside() {
        assert!((normal_mass(0.0, 1.0, 0.0, f64::INFINITY) - 0.5).abs() < 1e-15);
        for u in [0.0, 0.3, 0.999_999] {
            let x = truncated_standard_normal(2.0, 3.0, u);
            assert!((2.0..=3.0).contains(&x));
        }
    }
}
