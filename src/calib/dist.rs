//! The distributions behind the diagnostics' p-values and bands: the Kolmogorov–Smirnov
//! statistics (one sample against U(0, 1), and two samples as scipy's `ks_2samp`), the χ²
//! survival function, binomial quantiles and the CDFs of prior marginals.

use crate::model::Marginal;
use crate::stats::special::normal_cdf;

/// One-sample Kolmogorov–Smirnov test of `u` (values in [0, 1]) against U(0, 1): the
/// statistic D = supₓ |F̂(x) − x| and its two-sided p-value P(Dₙ ≥ D). The p-value is exact
/// for n ≤ 2000 (Marsaglia, Tsang & Wang 2003, with their tail shortcut for n·D² large), and
/// from the Kolmogorov distribution at (√n + 0.12 + 0.11/√n)·D (Stephens 1970) for larger n.
/// NaN for no values.
pub fn ks_uniform(u: &[f64]) -> (f64, f64) {
    let n = u.len();
    if n == 0 {
        return (f64::NAN, f64::NAN);
    }
    let mut s: Vec<f64> = u.iter().map(|v| v.clamp(0.0, 1.0)).collect();
    s.sort_by(f64::total_cmp);
    let nf = n as f64;
    let d = s
        .iter()
        .enumerate()
        .map(|(i, &v)| ((i + 1) as f64 / nf - v).max(v - i as f64 / nf))
        .fold(0.0f64, f64::max);
    (d, ks_pvalue(n, d))
}

/// P(Dₙ ≥ d) for the one-sample statistic of n values (see [`ks_uniform`]).
pub fn ks_pvalue(n: usize, d: f64) -> f64 {
    if d.is_nan() || d <= 0.0 {
        return 1.0;
    }
    if d >= 1.0 {
        return 0.0;
    }
    let p = if n <= 2000 {
        1.0 - mtw_cdf(n, d)
    } else {
        let sn = (n as f64).sqrt();
        kolmogorov_sf((sn + 0.12 + 0.11 / sn) * d)
    };
    p.clamp(0.0, 1.0)
}

/// The limiting Kolmogorov survival function P(K > λ) = 2 Σ (−1)^{k−1} e^{−2k²λ²}.
pub fn kolmogorov_sf(lambda: f64) -> f64 {
    if lambda <= 0.0 {
        return 1.0;
    }
    if lambda < 0.2 {
        return 1.0;
    }
    let mut sum = 0.0;
    for k in 1..=100 {
        let kf = k as f64;
        let term = (-2.0 * kf * kf * lambda * lambda).exp();
        sum += if k % 2 == 1 { term } else { -term };
        if term < 1e-16 {
            break;
        }
    }
    (2.0 * sum).clamp(0.0, 1.0)
}

/// P(Dₙ < d), Marsaglia, Tsang & Wang (2003), "Evaluating Kolmogorov's distribution".
fn mtw_cdf(n: usize, d: f64) -> f64 {
    let nf = n as f64;
    let s = d * d * nf;
    if s > 7.24 || (s > 3.76 && n > 99) {
        return 1.0 - 2.0 * (-(2.000071 + 0.331 / nf.sqrt() + 1.409 / nf) * s).exp();
    }
    let k = (nf * d) as usize + 1;
    let m = 2 * k - 1;
    let h = k as f64 - nf * d;
    let mut hm = vec![0.0; m * m];
    for i in 0..m {
        for j in 0..m {
            hm[i * m + j] = if i + 1 >= j { 1.0 } else { 0.0 };
        }
    }
    for i in 0..m {
        hm[i * m] -= h.powi(i as i32 + 1);
        hm[(m - 1) * m + i] -= h.powi((m - i) as i32);
    }
    if 2.0 * h - 1.0 > 0.0 {
        hm[(m - 1) * m] += (2.0 * h - 1.0).powi(m as i32);
    }
    for i in 0..m {
        for j in 0..m {
            if i + 1 > j {
                for g in 1..=(i + 1 - j) {
                    hm[i * m + j] /= g as f64;
                }
            }
        }
    }
    let (q, mut eq) = matrix_power(&hm, m, n);
    let mut s = q[(k - 1) * m + k - 1];
    for i in 1..=n {
        s = s * i as f64 / nf;
        if s < 1e-140 {
            s *= 1e140;
            eq -= 140;
        }
    }
    s * 10f64.powi(eq)
}

fn matrix_mul(a: &[f64], b: &[f64], m: usize) -> Vec<f64> {
    let mut c = vec![0.0; m * m];
    for i in 0..m {
        for l in 0..m {
            let ail = a[i * m + l];
            if ail == 0.0 {
                continue;
            }
            let (row_b, row_c) = (&b[l * m..(l + 1) * m], &mut c[i * m..(i + 1) * m]);
            for (cv, bv) in row_c.iter_mut().zip(row_b) {
                *cv += ail * bv;
            }
        }
    }
    c
}

/// `a^n` with a decimal exponent kept aside (values rescaled by 10⁻¹⁴⁰ when the centre
/// element passes 10¹⁴⁰), by repeated squaring.
fn matrix_power(a: &[f64], m: usize, n: usize) -> (Vec<f64>, i32) {
    if n == 1 {
        return (a.to_vec(), 0);
    }
    let (half, e) = matrix_power(a, m, n / 2);
    let mut v = matrix_mul(&half, &half, m);
    let mut ev = 2 * e;
    if n % 2 == 1 {
        v = matrix_mul(a, &v, m);
    }
    if v[(m / 2) * m + m / 2] > 1e140 {
        for x in v.iter_mut() {
            *x *= 1e-140;
        }
        ev += 140;
    }
    (v, ev)
}

/// The two-sample Kolmogorov–Smirnov test as scipy's `ks_2samp(a, b)` (two-sided, method
/// "auto"): the statistic and its p-value, exact for equal sample sizes (scipy's
/// `_compute_prob_outside_square`), asymptotic otherwise.
pub fn ks_two_sample(a: &[f64], b: &[f64]) -> (f64, f64) {
    let (n1, n2) = (a.len(), b.len());
    if n1 == 0 || n2 == 0 {
        return (f64::NAN, f64::NAN);
    }
    let (mut sa, mut sb) = (a.to_vec(), b.to_vec());
    sa.sort_by(f64::total_cmp);
    sb.sort_by(f64::total_cmp);
    let cdf = |s: &[f64], x: f64| s.partition_point(|v| *v <= x) as f64 / s.len() as f64;
    let d = sa
        .iter()
        .chain(&sb)
        .map(|&x| (cdf(&sa, x) - cdf(&sb, x)).abs())
        .fold(0.0f64, f64::max);
    if n1 == n2 {
        let h = (d * n1 as f64).round() as usize;
        let d = h as f64 / n1 as f64;
        if h == 0 {
            return (d, 1.0);
        }
        return (d, prob_outside_square(n1, h).clamp(0.0, 1.0));
    }
    let en = ((n1 * n2) as f64 / (n1 + n2) as f64).sqrt();
    (d, kolmogorov_sf(en * d))
}

/// P(D_{n,n} ≥ h/n) for two samples of size n (Horner form of the alternating binomial
/// sum, as scipy computes it).
fn prob_outside_square(n: usize, h: usize) -> f64 {
    let mut p = 0.0;
    let mut k = (n / h) as i64;
    while k >= 0 {
        let mut p1 = 1.0;
        let kh = k as f64 * h as f64;
        for j in 0..h {
            let j = j as f64;
            p1 = (n as f64 - kh - j) * p1 / (n as f64 + kh + j + 1.0);
        }
        p = p1 * (1.0 - p);
        k -= 1;
    }
    2.0 * p
}

/// The χ² survival function P(X ≥ x) with `k` degrees of freedom (the regularised upper
/// incomplete gamma function Q(k/2, x/2)).
pub fn chi2_sf(x: f64, k: f64) -> f64 {
    if x.is_nan() || x <= 0.0 {
        return 1.0;
    }
    gamma_q(0.5 * k, 0.5 * x)
}

/// The regularised upper incomplete gamma function Q(a, x) (series below a + 1, continued
/// fraction above).
pub fn gamma_q(a: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 1.0;
    }
    let ln_pre = a * x.ln() - x - libm::lgamma(a);
    if x < a + 1.0 {
        let (mut sum, mut term, mut ap) = (1.0 / a, 1.0 / a, a);
        for _ in 0..10_000 {
            ap += 1.0;
            term *= x / ap;
            sum += term;
            if term.abs() < sum.abs() * 1e-16 {
                break;
            }
        }
        (1.0 - sum * ln_pre.exp()).clamp(0.0, 1.0)
    } else {
        // Lentz's continued fraction
        let tiny = 1e-300;
        let mut b = x + 1.0 - a;
        let mut c = 1.0 / tiny;
        let mut d = 1.0 / b;
        let mut h = d;
        for i in 1..10_000 {
            let an = -(i as f64) * (i as f64 - a);
            b += 2.0;
            d = an * d + b;
            if d.abs() < tiny {
                d = tiny;
            }
            c = b + an / c;
            if c.abs() < tiny {
                c = tiny;
            }
            d = 1.0 / d;
            let delta = d * c;
            h *= delta;
            if (delta - 1.0).abs() < 1e-16 {
                break;
            }
        }
        (ln_pre.exp() * h).clamp(0.0, 1.0)
    }
}

/// The binomial CDF P(K ≤ k) for k = 0 … n, with success probability `p`.
pub fn binomial_cdf_table(n: usize, p: f64) -> Vec<f64> {
    let mut out = vec![0.0; n + 1];
    if p <= 0.0 {
        out.iter_mut().for_each(|v| *v = 1.0);
        return out;
    }
    if p >= 1.0 {
        out[n] = 1.0;
        return out;
    }
    let (lp, lq) = (p.ln(), (1.0 - p).ln());
    let ln_n = libm::lgamma(n as f64 + 1.0);
    let mut cum = 0.0;
    for (k, v) in out.iter_mut().enumerate() {
        let kf = k as f64;
        let lpmf = ln_n - libm::lgamma(kf + 1.0) - libm::lgamma((n - k) as f64 + 1.0)
            + kf * lp
            + (n - k) as f64 * lq;
        cum += lpmf.exp();
        *v = cum.min(1.0);
    }
    out
}

/// The binomial quantile (scipy's `binom.ppf`): the smallest k with P(K ≤ k) ≥ q.
pub fn binomial_ppf(q: f64, n: usize, p: f64) -> usize {
    quantile_from_cdf(&binomial_cdf_table(n, p), q)
}

/// The smallest k with `cdf[k] ≥ q` (with a relative tolerance of 10⁻¹² for rounding).
pub fn quantile_from_cdf(cdf: &[f64], q: f64) -> usize {
    cdf.partition_point(|&c| c < q * (1.0 - 1e-12))
        .min(cdf.len().saturating_sub(1))
}

/// The CDF of a prior marginal at `x`.
pub fn marginal_cdf(m: &Marginal, x: f64) -> f64 {
    match *m {
        Marginal::Normal { mean, std } => normal_cdf((x - mean) / std),
        Marginal::TruncatedNormal {
            mean,
            std,
            lower,
            upper,
        } => {
            let (a, b) = (
                normal_cdf((lower - mean) / std),
                normal_cdf((upper - mean) / std),
            );
            ((normal_cdf((x - mean) / std) - a) / (b - a)).clamp(0.0, 1.0)
        }
        Marginal::Uniform { low, high } => ((x - low) / (high - low)).clamp(0.0, 1.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ks_matches_known_values() {
        // scipy.stats.kstwo.sf(0.274, 10) = 0.37152…; kstwo.sf(0.05, 1000) = 0.013012…
        assert!(
            (ks_pvalue(10, 0.274) - 0.371520).abs() < 1e-5,
            "{}",
            ks_pvalue(10, 0.274)
        );
        assert!(
            (ks_pvalue(1000, 0.05) - 0.013012).abs() < 1e-5,
            "{}",
            ks_pvalue(1000, 0.05)
        );
        // large n: the asymptotic form (kstwo.sf(0.0136, 10⁴) = 0.04904, (0.02, 3000) = 0.1789)
        let p = ks_pvalue(10_000, 0.0136);
        assert!((p - 0.049036).abs() < 5e-4, "{p}");
        let p = ks_pvalue(3000, 0.02);
        assert!((p - 0.178898).abs() < 2e-3, "{p}");
        let (d, p) = ks_uniform(&[0.1, 0.4, 0.7]);
        // scipy.stats.kstest([0.1, 0.4, 0.7], 'uniform') = (0.3, 0.886222…)
        assert!(
            (d - 0.3).abs() < 1e-12 && (p - 0.886222).abs() < 1e-5,
            "{p}"
        );
    }

    #[test]
    fn two_sample_and_chi2_and_binomial() {
        // scipy.stats.ks_2samp([1,2,3,4], [3,4,5,6]): D = 0.5, p = 0.7714…
        let (d, p) = ks_two_sample(&[1.0, 2.0, 3.0, 4.0], &[3.0, 4.0, 5.0, 6.0]);
        assert!(
            (d - 0.5).abs() < 1e-12 && (p - 0.771428).abs() < 1e-5,
            "{d} {p}"
        );
        // scipy.stats.chi2.sf(12.0, 9) = 0.21330…; chi2.sf(3.0, 1) = 0.083264…
        assert!((chi2_sf(12.0, 9.0) - 0.213309).abs() < 1e-5);
        assert!((chi2_sf(3.0, 1.0) - 0.0832645).abs() < 1e-6);
        assert!((chi2_sf(40.0, 30.0) - 0.104864).abs() < 1e-5);
        // the spec's band: binom.ppf(0.005, 200, 1/11) = 9, binom.ppf(0.995, 200, 1/11) = 29
        assert_eq!(binomial_ppf(0.005, 200, 1.0 / 11.0), 9);
        assert_eq!(binomial_ppf(0.995, 200, 1.0 / 11.0), 29);
    }
}
