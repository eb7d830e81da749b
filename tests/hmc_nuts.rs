//! NUTS (nuts-rs through galchem's adapter) on analytic targets: a 100-D Gaussian with scales
//! spread over 10³, a correlated 2-D Gaussian and Neal's funnel in the non-centred form.
//! Means and variances must lie within their Monte Carlo errors; draws must not depend on
//! the number of threads.

use galchem::infer::hmc::diagnostics::ess;
use galchem::infer::hmc::{nuts_density, NutsOptions, Sampled};
use galchem::model::{DensityError, LogDensity};

/// Independent normals N(0, s_k²).
struct Diagonal(Vec<f64>);

impl LogDensity for Diagonal {
    fn dim(&self) -> usize {
        self.0.len()
    }
    fn log_density_grad(&self, x: &[f64], g: &mut [f64]) -> Result<f64, DensityError> {
        let mut lp = 0.0;
        for ((x, g), s) in x.iter().zip(g.iter_mut()).zip(&self.0) {
            lp -= 0.5 * (x / s).powi(2);
            *g = -x / (s * s);
        }
        Ok(lp)
    }
}

/// A bivariate normal with means `m`, sds `s` and correlation `rho`.
struct Correlated {
    m: [f64; 2],
    s: [f64; 2],
    rho: f64,
}

impl LogDensity for Correlated {
    fn dim(&self) -> usize {
        2
    }
    fn log_density_grad(&self, x: &[f64], g: &mut [f64]) -> Result<f64, DensityError> {
        let (a, b) = (
            (x[0] - self.m[0]) / self.s[0],
            (x[1] - self.m[1]) / self.s[1],
        );
        let k = 1.0 / (1.0 - self.rho * self.rho);
        g[0] = -k * (a - self.rho * b) / self.s[0];
        g[1] = -k * (b - self.rho * a) / self.s[1];
        Ok(-0.5 * k * (a * a - 2.0 * self.rho * a * b + b * b))
    }
}

/// Neal's funnel, non-centred: v ~ N(0, 3²), z_k ~ N(0, 1); the funnel's x_k = e^{v/2} z_k.
struct Funnel(usize);

impl LogDensity for Funnel {
    fn dim(&self) -> usize {
        self.0 + 1
    }
    fn log_density_grad(&self, x: &[f64], g: &mut [f64]) -> Result<f64, DensityError> {
        g[0] = -x[0] / 9.0;
        let mut lp = -0.5 * x[0] * x[0] / 9.0;
        for k in 1..=self.0 {
            lp -= 0.5 * x[k] * x[k];
            g[k] = -x[k];
        }
        Ok(lp)
    }
}

fn opts(warmup: usize, draws: usize, seed: u64) -> NutsOptions {
    NutsOptions {
        chains: 4,
        warmup,
        draws,
        seed,
        ..NutsOptions::default()
    }
}

/// Checks coordinate `k`'s mean and variance against the truth within `z` Monte Carlo
/// standard errors: the mean's from the ESS of the draws, the variance's √(2/ESS) from the
/// ESS of the squared deviations (NUTS is often antithetic for the mean but not for x²).
fn check(s: &Sampled, k: usize, mean: f64, sd: f64, z: f64) {
    let v = s.pooled(k);
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0);
    let chains = s.per_chain(k);
    let ess_mean = ess(&chains);
    let squares: Vec<Vec<f64>> = chains
        .iter()
        .map(|c| c.iter().map(|x| (x - mean).powi(2)).collect())
        .collect();
    let ess_sq = ess(&squares);
    assert!(
        ess_mean > 100.0 && ess_sq > 100.0,
        "coordinate {k}: ESS {ess_mean}, {ess_sq}"
    );
    assert!(
        (m - mean).abs() < z * sd / ess_mean.sqrt(),
        "coordinate {k}: mean {m} vs {mean} (sd {sd}, ESS {ess_mean})"
    );
    let rel = (var / (sd * sd) - 1.0).abs();
    assert!(
        rel < z * (2.0 / ess_sq).sqrt(),
        "coordinate {k}: variance {var} vs {} (ESS of squares {ess_sq})",
        sd * sd
    );
}

#[test]
fn gaussian_of_100_dimensions_with_scales_over_three_decades() {
    let scales: Vec<f64> = (0..100)
        .map(|k| 10f64.powf(-1.5 + 3.0 * k as f64 / 99.0))
        .collect();
    let d = Diagonal(scales.clone());
    let init: Vec<f64> = scales.iter().map(|s| 0.5 * s).collect();
    let s = nuts_density(&d, &init, &opts(500, 500, 1)).unwrap();
    // 100 coordinates: 4.5 σ keeps the family-wise false alarm rate below 10⁻³
    for (k, &sd) in scales.iter().enumerate() {
        check(&s, k, 0.0, sd, 4.5);
    }
    let diag = &s.diagnostics;
    assert_eq!(diag.total_divergences(), 0, "{:?}", diag.warnings);
    assert!(
        diag.params.iter().all(|p| p.rhat < 1.02),
        "{:?}",
        diag.warnings
    );
    println!(
        "100-D: mean tree depth {:.2}, step sizes {:?}, min bulk ESS {:.0}",
        diag.mean_tree_depth,
        diag.step_size,
        diag.ess_bulk_min(&(0..100).collect::<Vec<_>>())
    );
}

#[test]
fn correlated_gaussian_and_thread_independence() {
    let d = Correlated {
        m: [1.0, -2.0],
        s: [1.0, 3.0],
        rho: 0.9,
    };
    let o = opts(400, 1000, 7);
    let s = nuts_density(&d, &[0.0, 0.0], &o).unwrap();
    check(&s, 0, 1.0, 1.0, 4.0);
    check(&s, 1, -2.0, 3.0, 4.0);
    let (a, b) = (s.pooled(0), s.pooled(1));
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let cov: f64 = a
        .iter()
        .zip(&b)
        .map(|(x, y)| (x - ma) * (y - mb))
        .sum::<f64>()
        / (n - 1.0);
    let sa = (a.iter().map(|x| (x - ma).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    let sb = (b.iter().map(|x| (x - mb).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    let r = cov / (sa * sb);
    let ess = s.diagnostics.params[0]
        .ess_bulk
        .min(s.diagnostics.params[1].ess_bulk);
    // sd of a correlation estimate ≈ (1 − ρ²)/√n
    assert!(
        (r - 0.9).abs() < 4.0 * 0.19 / ess.sqrt(),
        "correlation {r} (ESS {ess})"
    );
    // the same seed on one thread gives the same draws
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let one = pool.install(|| nuts_density(&d, &[0.0, 0.0], &o).unwrap());
    assert_eq!(one.chains, s.chains);
    let other = nuts_density(&d, &[0.0, 0.0], &NutsOptions { seed: 8, ..o }).unwrap();
    assert_ne!(other.chains, s.chains);
}

#[test]
fn neals_funnel_non_centred() {
    let d = Funnel(9);
    let s = nuts_density(&d, &[0.0; 10], &opts(500, 1000, 3)).unwrap();
    check(&s, 0, 0.0, 3.0, 4.0);
    for k in 1..10 {
        check(&s, k, 0.0, 1.0, 4.5);
    }
    // the funnel's x_1 = e^{v/2} z_1 has median 0
    let x: Vec<f64> = s
        .pooled(0)
        .iter()
        .zip(s.pooled(1))
        .map(|(v, z)| (v / 2.0).exp() * z)
        .collect();
    let below = x.iter().filter(|v| **v < 0.0).count() as f64 / x.len() as f64;
    assert!((below - 0.5).abs() < 0.05, "{below}");
    assert_eq!(s.diagnostics.total_divergences(), 0);
    assert!(
        s.diagnostics.ebfmi.iter().all(|e| *e > 0.3),
        "{:?}",
        s.diagnostics.ebfmi
    );
}
