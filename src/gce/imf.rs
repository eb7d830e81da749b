//! The initial mass function: CHEMPY's `Chabrier_TNG` IMF on the mass grid
//! x = linspace(0.1, 100, 5000) Msun (Vogelsberger et al. 2013 form):
//!
//! dn/dm ∝ A/x · exp(−(log10(x/m_c))² / (2σ²))  for x < 1 Msun,
//! dn/dm ∝ B · x^α                              for x > 1 Msun (α = `alpha_imf`),
//!
//! with A = 0.852464, B = 0.237912, σ = 0.69, m_c = 0.079 (a grid mass of exactly 1 Msun would
//! get 0; none exists). Per grid point, `dm_i = dn_i x_i / Σ_k dn_k x_k` is the mass fraction
//! (Σ dm = 1) and `dn_i = dm_i / x_i` the number per Msun formed. CHEMPY integrates the IMF by
//! summing grid points: the mass fraction between `lo` and `hi` is Σ dm_i over
//! `lo ≤ x_i < hi`.
//!
//! Two evaluation modes: [`Imf::exact`] follows numpy's operations one by one (`pow`, two
//! normalisations, left-to-right range sums) and keeps `dm`/`dn` per grid point;
//! [`Imf::fast`] uses `exp(α ln x)` (a vectorised exp) and suffix sums (range sums in O(1)), which agrees to
//! ~1e-15 relative.

use super::config::{
    CHABRIER_A, CHABRIER_B, CHABRIER_M_C, CHABRIER_SIGMA, IMF_MMAX, IMF_MMIN, IMF_STEPS,
};
use super::numeric::{exp_fast, linspace, seq_sum};

/// The IMF mass grid and everything about it that does not depend on the slope.
#[derive(Debug, Clone)]
pub struct MassGrid {
    /// Grid masses (Msun), ascending.
    pub x: Vec<f64>,
    /// log10 of the grid masses.
    pub log10_x: Vec<f64>,
    ln_x: Vec<f64>,
    inv_step: f64,
    /// Raw dn/dm of the log-normal branch (x < 1), alpha independent.
    low_dn: Vec<f64>,
    /// First index with x > 1.
    first_high: usize,
}

impl Default for MassGrid {
    fn default() -> Self {
        Self::new()
    }
}

impl MassGrid {
    /// The grid `linspace(0.1, 100, 5000)`.
    pub fn new() -> Self {
        let x = linspace(IMF_MMIN, IMF_MMAX, IMF_STEPS);
        let log10_x = x.iter().map(|v| v.log10()).collect();
        let ln_x = x.iter().map(|v| v.ln()).collect();
        let two_sigma2 = 2.0 * CHABRIER_SIGMA.powi(2);
        let mut low_dn = Vec::new();
        for &m in x.iter().take_while(|&&m| m < 1.0) {
            let l = (m / CHABRIER_M_C).log10();
            low_dn.push(CHABRIER_A / m * (-(l * l) / two_sigma2).exp());
        }
        let first_high = x.iter().position(|&m| m > 1.0).unwrap_or(x.len());
        let step = (IMF_MMAX - IMF_MMIN) / (IMF_STEPS - 1) as f64;
        Self {
            inv_step: 1.0 / step,
            x,
            log10_x,
            ln_x,
            low_dn,
            first_high,
        }
    }

    /// Number of grid points.
    pub fn len(&self) -> usize {
        self.x.len()
    }

    /// Whether the grid is empty (never).
    pub fn is_empty(&self) -> bool {
        self.x.is_empty()
    }

    /// First index with `x[i] >= m` (`len()` when none, also for NaN).
    pub fn lower_bound(&self, m: f64) -> usize {
        let n = self.x.len();
        if m <= self.x[0] {
            return 0;
        }
        if m.is_nan() || m > self.x[n - 1] {
            return n;
        }
        let mut i = (((m - IMF_MMIN) * self.inv_step).ceil() as usize).min(n - 1);
        while i > 0 && self.x[i - 1] >= m {
            i -= 1;
        }
        while i < n && self.x[i] < m {
            i += 1;
        }
        i
    }

    /// Index range of the grid masses with `lo <= x < hi` (empty when `hi <= lo`).
    pub fn range(&self, lo: f64, hi: f64) -> std::ops::Range<usize> {
        let a = self.lower_bound(lo);
        let b = self.lower_bound(hi);
        if b > a {
            a..b
        } else {
            a..a
        }
    }
}

/// The IMF for one high-mass slope.
#[derive(Debug, Clone, Default)]
pub struct Imf {
    /// Mass fraction per grid point (only in exact mode).
    pub dm: Vec<f64>,
    /// Number of stars per Msun formed, per grid point (only in exact mode).
    pub dn: Vec<f64>,
    /// Fast mode: suffix sums of the unnormalised mass weights, `tail[i] = Σ_{k≥i} w_k`.
    tail: Vec<f64>,
    norm: f64,
    exact: bool,
}

impl Imf {
    /// numpy-faithful IMF (keeps `dm` and `dn`).
    pub fn exact(grid: &MassGrid, alpha: f64) -> Self {
        let n = grid.len();
        let mut dn = vec![0.0; n];
        dn[..grid.low_dn.len()].copy_from_slice(&grid.low_dn);
        for i in grid.first_high..n {
            dn[i] = CHABRIER_B * grid.x[i].powf(alpha);
        }
        let s1 = seq_sum(&dn);
        let mut dm: Vec<f64> = dn.iter().zip(&grid.x).map(|(d, x)| d / s1 * x).collect();
        let s2 = seq_sum(&dm);
        dm.iter_mut().for_each(|v| *v /= s2);
        let dn = dm.iter().zip(&grid.x).map(|(d, x)| d / x).collect();
        Self {
            dm,
            dn,
            tail: Vec::new(),
            norm: 1.0,
            exact: true,
        }
    }

    /// Fast IMF for the simulation hot path (range sums of `dm` only).
    pub fn fast(grid: &MassGrid, alpha: f64) -> Self {
        let mut imf = Self::default();
        imf.refill_fast(grid, alpha);
        imf
    }

    /// Recomputes a fast IMF in place (no allocation after the first call).
    pub fn refill_fast(&mut self, grid: &MassGrid, alpha: f64) {
        let n = grid.len();
        self.exact = false;
        self.dm.clear();
        self.dn.clear();
        self.tail.resize(n + 1, 0.0);
        self.tail[n] = 0.0;
        // mass weights B x^alpha x of the power-law branch (vectorised), then suffix sums
        let hi = grid.first_high..n;
        let (ln_x, x) = (&grid.ln_x[hi.clone()], &grid.x[hi.clone()]);
        for ((t, &l), &m) in self.tail[hi].iter_mut().zip(ln_x).zip(x) {
            *t = CHABRIER_B * exp_fast(alpha * l) * m;
        }
        // suffix sums in blocks of four (shorter dependency chain than one add per point)
        let mut acc = 0.0;
        let mut i = n;
        while i >= grid.first_high + 4 {
            let w = &mut self.tail[i - 4..i];
            let a1 = w[3];
            let a2 = a1 + w[2];
            let a3 = a2 + w[1];
            let a4 = a3 + w[0];
            w[3] = acc + a1;
            w[2] = acc + a2;
            w[1] = acc + a3;
            w[0] = acc + a4;
            acc = w[0];
            i -= 4;
        }
        while i > grid.first_high {
            i -= 1;
            acc += self.tail[i];
            self.tail[i] = acc;
        }
        for i in (grid.low_dn.len()..grid.first_high).rev() {
            self.tail[i] = acc;
        }
        for i in (0..grid.low_dn.len()).rev() {
            acc += grid.low_dn[i] * grid.x[i];
            self.tail[i] = acc;
        }
        self.norm = acc;
    }

    /// Mass fraction of the IMF with `lo <= x < hi`: `Σ dm_i` (CHEMPY
    /// `imf_mass_fraction_non_nativ(dm, x, lo, hi)`).
    pub fn mass_fraction(&self, grid: &MassGrid, lo: f64, hi: f64) -> f64 {
        let r = grid.range(lo, hi);
        self.mass_fraction_idx(r.start, r.end)
    }

    /// Mass fraction of the grid points with index in `a..b` (0 when `b <= a`); with
    /// `a = lower_bound(lo)`, `b = lower_bound(hi)` this is [`Imf::mass_fraction`].
    #[inline]
    pub fn mass_fraction_idx(&self, a: usize, b: usize) -> f64 {
        if b <= a {
            0.0
        } else if self.exact {
            seq_sum(&self.dm[a..b])
        } else {
            (self.tail[a] - self.tail[b]) / self.norm
        }
    }

    /// Number of stars per Msun formed with `lo <= x < hi`: `Σ dn_i` (exact mode only;
    /// 0 in fast mode).
    pub fn number_fraction(&self, grid: &MassGrid, lo: f64, hi: f64) -> f64 {
        let r = grid.range(lo, hi);
        if r.is_empty() || !self.exact {
            return 0.0;
        }
        seq_sum(&self.dn[r])
    }

    /// Whether this IMF was built in exact mode.
    pub fn is_exact(&self) -> bool {
        self.exact
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_and_exact_agree() {
        let grid = MassGrid::new();
        for alpha in [-3.8, -2.3, -1.0] {
            let e = Imf::exact(&grid, alpha);
            let f = Imf::fast(&grid, alpha);
            assert!((seq_sum(&e.dm) - 1.0).abs() < 1e-12);
            for (lo, hi) in [
                (0.1, 100.0),
                (1.0, 8.0),
                (8.0, 100.0),
                (8.5, 10.5),
                (99.0, 100.0),
            ] {
                let (a, b) = (
                    e.mass_fraction(&grid, lo, hi),
                    f.mass_fraction(&grid, lo, hi),
                );
                assert!(
                    (a - b).abs() <= 1e-12 * a.abs().max(1e-300),
                    "{alpha} {lo} {hi}: {a} {b}"
                );
            }
        }
    }

    #[test]
    fn ranges_follow_numpy_masks() {
        let grid = MassGrid::new();
        let r = grid.range(grid.x[10], grid.x[20]);
        assert_eq!(r, 10..20);
        assert!(grid.range(5.0, 4.0).is_empty());
        assert!(grid.range(100.0, 100.0).is_empty());
        assert_eq!(grid.range(0.0, 1000.0), 0..5000);
        assert!(grid.range(f64::NAN, 10.0).is_empty());
    }
}
