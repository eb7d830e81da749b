//! Stellar lifetimes (Portinari et al. 1998 fit, CHEMPY `weighted_yield.lifetime_Portinari`)
//! and their inverse, the mass of the stars that die at a given age.
//!
//! τ(m, Z) = 10^T / 10^9 Gyr with lM = log10(m/Msun), lZ = log10 Z (lZ = −5 for Z ≤ 0) and
//! T = p0 + p1 lM + p2 lM² + p3 lZ + p4 lM lZ + p5 lM² lZ + p6 lZ² + p7 lZ² lM.
//!
//! The inverse is CHEMPY's `np.interp(t, τ(x[::-1], Z), x[::-1])` on the IMF mass grid:
//! linear interpolation of mass in lifetime between neighbouring grid masses, 100 Msun before
//! the first death and 0.1 Msun after the last. We locate the grid bracket from the analytic
//! root of the quadratic in lM and evaluate τ only at the two bracketing grid masses.

use super::error::GceError;
use super::imf::MassGrid;
use super::input::Csv;
use super::numeric::exp_fast;
use crate::data::DataDir;

/// The eight coefficients of the Portinari lifetime fit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Portinari {
    /// p0 … p7.
    pub c: [f64; 8],
}

impl Portinari {
    /// Reads `chempy-input/hardcoded/portinari_lifetime_coefficients.csv`.
    pub fn load(data: &DataDir) -> Result<Self, GceError> {
        let csv = Csv::read(
            data,
            "chempy-input/hardcoded/portinari_lifetime_coefficients.csv",
        )?;
        let (ic, vc) = (csv.column("index")?, csv.column("coefficient")?);
        let mut c = [f64::NAN; 8];
        for r in 0..csv.rows.len() {
            let i = csv.usize(r, ic)?;
            if i >= 8 {
                return Err(csv.file.error(csv.rows[r].0, "index must be 0..7"));
            }
            c[i] = csv.f64(r, vc)?;
        }
        if c.iter().any(|v| v.is_nan()) {
            return Err(csv.file.error(0, "coefficients 0..7 are required"));
        }
        Ok(Self { c })
    }

    /// lZ as CHEMPY defines it: log10 Z, or −5 for Z ≤ 0.
    pub fn log10_z(z: f64) -> f64 {
        if z <= 0.0 {
            -5.0
        } else {
            z.log10()
        }
    }

    /// Lifetime (Gyr) from lM = log10(m) and lZ.
    pub fn lifetime_log(&self, lm: f64, lz: f64) -> f64 {
        10f64.powf(self.exponent(lm, lz)) / 1e9
    }

    /// The exponent T(lM, lZ) (lifetime = 10^T yr), in CHEMPY's order of operations.
    #[inline]
    pub fn exponent(&self, lm: f64, lz: f64) -> f64 {
        let p = &self.c;
        p[0] + lm * p[1]
            + (lm * lm) * p[2]
            + lz * p[3]
            + lm * lz * p[4]
            + lm * lm * lz * p[5]
            + lz * lz * p[6]
            + lz * lz * lm * p[7]
    }

    /// Lifetime (Gyr) of a star of mass `m` (Msun) and metallicity `z` (metal mass fraction).
    pub fn lifetime(&self, m: f64, z: f64) -> f64 {
        self.lifetime_log(m.log10(), Self::log10_z(z))
    }
}

/// Reusable buffers of [`DyingMass::batch`].
#[derive(Debug, Clone, Default)]
pub struct InverseScratch {
    arg: Vec<f64>,
    idx: Vec<usize>,
    tau: Vec<f64>,
}

/// The mass of stars dying at a given age for one metallicity (`inverse_imf` of CHEMPY's SSP).
pub struct DyingMass<'a> {
    grid: &'a MassGrid,
    law: &'a Portinari,
    lz: f64,
    /// Quadratic T(lM) = qa lM² + qb lM + qc.
    qa: f64,
    qb: f64,
    qc: f64,
    /// Lifetime of the heaviest (100 Msun) and of the lightest (0.1 Msun) grid star.
    tau_heavy: f64,
    tau_light: f64,
    fast: bool,
}

impl<'a> DyingMass<'a> {
    /// The inverse lifetime function at metallicity `z`. With `fast`, 10^T is evaluated as
    /// exp(T ln 10) (agrees with numpy's `pow` to ~1e-15).
    pub fn new(grid: &'a MassGrid, law: &'a Portinari, z: f64, fast: bool) -> Self {
        let lz = Portinari::log10_z(z);
        let p = &law.c;
        let n = grid.len();
        Self {
            grid,
            law,
            lz,
            qa: p[2] + lz * p[5],
            qb: p[1] + lz * p[4] + lz * lz * p[7],
            qc: p[0] + lz * p[3] + lz * lz * p[6],
            tau_heavy: law.lifetime_log(grid.log10_x[n - 1], lz),
            tau_light: law.lifetime_log(grid.log10_x[0], lz),
            fast,
        }
    }

    fn tau(&self, i: usize) -> f64 {
        if self.fast {
            // T = qc + lM (qb + lM qa) (the same polynomial regrouped); τ = 10^(T − 9) Gyr
            let lm = self.grid.log10_x[i];
            let t = self.qc + lm * (self.qb + lm * self.qa);
            exp_fast((t - 9.0) * std::f64::consts::LN_10)
        } else {
            self.law.lifetime_log(self.grid.log10_x[i], self.lz)
        }
    }

    /// Mass (Msun) of the stars whose lifetime is `t` Gyr; `log10_t` = log10(t) is a hint
    /// for locating the grid bracket (any value works, exact ones save evaluations).
    pub fn at(&self, t: f64, log10_t: f64) -> f64 {
        if let Some(m) = self.outside(t) {
            return m;
        }
        let (i, ti, tim1) = self.bracket(t, log10_t);
        self.interpolate(t, i, ti, tim1)
    }

    /// The result for times outside the tabulated lifetimes (and NaN).
    #[inline]
    fn outside(&self, t: f64) -> Option<f64> {
        let x = &self.grid.x;
        if t.is_nan() {
            Some(t)
        } else if t >= self.tau_light {
            Some(x[0])
        } else if t < self.tau_heavy {
            Some(x[x.len() - 1])
        } else {
            None
        }
    }

    /// numpy.interp between xp[j] = τ(x_i) and xp[j+1] = τ(x_{i-1}).
    #[inline]
    fn interpolate(&self, t: f64, i: usize, ti: f64, tim1: f64) -> f64 {
        let x = &self.grid.x;
        if ti == t {
            return x[i];
        }
        let slope = (x[i - 1] - x[i]) / (tim1 - ti);
        let r = slope * (t - ti) + x[i];
        if r.is_nan() {
            let r2 = slope * (t - tim1) + x[i - 1];
            if r2.is_nan() && x[i] == x[i - 1] {
                return x[i];
            }
            return r2;
        }
        r
    }

    /// [`DyingMass::at`] for many times at once (fast mode): the analytic roots and the
    /// lifetimes at the bracketing grid masses are computed in vectorisable passes; a time whose
    /// guessed bracket is wrong falls back to [`DyingMass::at`]. Fills `out` (one per time).
    pub fn batch(&self, t: &[f64], log10_t: &[f64], s: &mut InverseScratch, out: &mut Vec<f64>) {
        let m = t.len();
        let n = self.grid.len();
        let ln10 = std::f64::consts::LN_10;
        s.arg.clear();
        s.arg.extend(log10_t.iter().map(|&lt| {
            let c = self.qc - (lt + 9.0);
            let q = 0.5 * (-self.qb + (self.qb * self.qb - 4.0 * self.qa * c).sqrt());
            exp_fast(c / q * ln10)
        }));
        s.idx.clear();
        s.tau.clear();
        s.tau.resize(2 * m, 0.0);
        for (k, &mest) in s.arg.iter().enumerate() {
            let i = self.grid.lower_bound(mest).clamp(1, n - 1);
            s.idx.push(i);
            for (slot, j) in [(k, i), (m + k, i - 1)] {
                let lm = self.grid.log10_x[j];
                s.tau[slot] = (self.qc + lm * (self.qb + lm * self.qa) - 9.0) * ln10;
            }
        }
        s.tau.iter_mut().for_each(|v| *v = exp_fast(*v));
        out.clear();
        for k in 0..m {
            let v = match self.outside(t[k]) {
                Some(v) => v,
                None => {
                    let (ti, tim1) = (s.tau[k], s.tau[m + k]);
                    if ti <= t[k] && t[k] < tim1 {
                        self.interpolate(t[k], s.idx[k], ti, tim1)
                    } else {
                        self.at(t[k], log10_t[k])
                    }
                }
            };
            out.push(v);
        }
    }

    /// Grid index i with τ(x_i) ≤ t < τ(x_{i−1}), and those two lifetimes.
    fn bracket(&self, t: f64, log10_t: f64) -> (usize, f64, f64) {
        let n = self.grid.len();
        if let Some(mut i) = self.estimate(log10_t) {
            i = i.clamp(1, n - 1);
            let (mut ti, mut tim1) = (self.tau(i), self.tau(i - 1));
            for _ in 0..16 {
                if ti > t && i + 1 < n {
                    i += 1;
                    tim1 = ti;
                    ti = self.tau(i);
                } else if tim1 <= t && i > 1 {
                    i -= 1;
                    ti = tim1;
                    tim1 = self.tau(i - 1);
                } else if ti <= t && t < tim1 {
                    return (i, ti, tim1);
                } else {
                    break;
                }
            }
        }
        self.bisect(t)
    }

    /// numpy's bisection on the reversed lifetime array (used when the estimate fails).
    fn bisect(&self, t: f64) -> (usize, f64, f64) {
        let n = self.grid.len();
        let rev = |j: usize| self.tau(n - 1 - j);
        let (mut lo, mut hi) = (0usize, n);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if t >= rev(mid) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        let j = lo.saturating_sub(1).min(n - 2);
        let i = n - 1 - j;
        (i, self.tau(i), self.tau(i - 1))
    }

    /// First grid index at or above the analytic root on the decreasing branch of τ(lM).
    fn estimate(&self, log10_t: f64) -> Option<usize> {
        let c = self.qc - (log10_t + 9.0);
        let disc = self.qb * self.qb - 4.0 * self.qa * c;
        if self.qa <= 0.0 || disc < 0.0 || self.qb >= 0.0 || !disc.is_finite() {
            return None;
        }
        let q = 0.5 * (-self.qb + disc.sqrt());
        let lm = c / q;
        Some(
            self.grid
                .lower_bound(exp_fast(lm * std::f64::consts::LN_10)),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn law() -> Portinari {
        Portinari {
            c: [
                10.0153615,
                -3.91089893,
                0.99947209,
                -0.03601771,
                -0.31139679,
                0.09109059,
                -0.03218365,
                -0.01323112,
            ],
        }
    }

    #[test]
    fn inverse_matches_bisection_and_interpolates() {
        let grid = MassGrid::new();
        let law = law();
        for z in [0.0, 1e-4, 0.0134, 0.05] {
            let inv = DyingMass::new(&grid, &law, z, false);
            for t in [0.0, 0.003, 0.04, 0.5110228518518519, 1.0, 5.0, 13.0] {
                let m = inv.at(t, t.log10());
                if t > inv.tau_heavy && t < inv.tau_light {
                    let (i, _, _) = inv.bisect(t);
                    let (i2, _, _) = inv.bracket(t, t.log10());
                    assert_eq!(i, i2, "z={z} t={t}");
                    // interpolated mass has (nearly) the requested lifetime
                    let tau = law.lifetime(m, z);
                    assert!((tau / t - 1.0).abs() < 5e-3, "z={z} t={t} m={m} tau={tau}");
                } else {
                    assert!(m == 100.0 || m == 0.1);
                }
            }
            // the batched fast evaluation agrees with the exact one
            let fast = DyingMass::new(&grid, &law, z, true);
            let times: Vec<f64> = (0..40).map(|k| k as f64 * 0.37).collect();
            let logs: Vec<f64> = times.iter().map(|t| t.log10()).collect();
            let (mut s, mut out) = (InverseScratch::default(), Vec::new());
            fast.batch(&times, &logs, &mut s, &mut out);
            for (t, m) in times.iter().zip(&out) {
                let e = inv.at(*t, t.log10());
                assert!((m - e).abs() <= 1e-13 * e, "z={z} t={t}: {m} vs {e}");
            }
        }
    }
}
