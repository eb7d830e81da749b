//! Convergence diagnostics of MCMC chains (Vehtari, Gelman, Simpson, Carpenter & Bürkner
//! 2021, "Rank-normalization, folding, and localization"; the conventions of ArviZ/Stan):
//!
//! - chains are split in halves (the middle draw of an odd length is dropped), giving 2m
//!   chains of n draws;
//! - rank normalisation: all draws are ranked together (ties averaged) and mapped through
//!   z = Φ⁻¹((r − 3/8)/(S + 1/4));
//! - R̂ = √((B/W + n − 1)/n) with B = n·var(chain means), W = mean(chain variances); the
//!   reported *rank* R̂ is the larger of the R̂ of the rank-normalised draws (bulk) and of the
//!   rank-normalised |x − median| (tails);
//! - ESS = m n / τ, τ = −1 + 2 Σ ρ̂_t with Geyer's initial positive and monotone
//!   sequences, ρ̂_t = 1 − (W − mean autocovariance_t)/var⁺; *bulk* ESS is that of the
//!   rank-normalised split chains, *tail* ESS the smaller of the ESS of the indicators
//!   I(x ≤ q₀.₀₅) and I(x ≤ q₀.₉₅);
//! - E-BFMI of a chain = Σ (E_t − E_{t−1})² / Σ (E_t − Ē)² over its energies.

use crate::stats::special::normal_quantile;

/// R̂ (rank-normalised, split), bulk and tail ESS of one parameter.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ParamDiagnostics {
    /// Rank-normalised split R̂ (max of bulk and folded).
    pub rhat: f64,
    /// Bulk effective sample size.
    pub ess_bulk: f64,
    /// Tail effective sample size.
    pub ess_tail: f64,
}

/// The diagnostics of one parameter from its draws per chain (`chains[c][t]`, equal lengths
/// of at least 4 draws).
pub fn diagnose(chains: &[Vec<f64>]) -> ParamDiagnostics {
    let split = split_chains(chains);
    if split.is_empty() || split[0].len() < 2 {
        return ParamDiagnostics {
            rhat: f64::NAN,
            ess_bulk: f64::NAN,
            ess_tail: f64::NAN,
        };
    }
    let z = rank_normalise(&split);
    let median = pooled_quantile(&split, 0.5);
    let folded: Vec<Vec<f64>> = split
        .iter()
        .map(|c| c.iter().map(|v| (v - median).abs()).collect())
        .collect();
    let rhat = rhat(&z).max(rhat(&rank_normalise(&folded)));
    let (q05, q95) = (pooled_quantile(&split, 0.05), pooled_quantile(&split, 0.95));
    let indicator = |q: f64| -> Vec<Vec<f64>> {
        split
            .iter()
            .map(|c| c.iter().map(|&v| f64::from(u8::from(v <= q))).collect())
            .collect()
    };
    ParamDiagnostics {
        rhat,
        ess_bulk: ess(&z),
        ess_tail: ess(&indicator(q05)).min(ess(&indicator(q95))),
    }
}

/// The first and second half of every chain.
pub fn split_chains(chains: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let mut out = Vec::with_capacity(2 * chains.len());
    for c in chains {
        let half = c.len() / 2;
        out.push(c[..half].to_vec());
        out.push(c[c.len() - half..].to_vec());
    }
    out
}

/// Rank-normalised values of all chains together (ties get their average rank).
pub fn rank_normalise(chains: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let all: Vec<(usize, usize, f64)> = chains
        .iter()
        .enumerate()
        .flat_map(|(c, v)| v.iter().enumerate().map(move |(t, &x)| (c, t, x)))
        .collect();
    let s = all.len();
    let mut order: Vec<usize> = (0..s).collect();
    order.sort_by(|&a, &b| all[a].2.total_cmp(&all[b].2));
    let mut rank = vec![0.0; s];
    let mut i = 0;
    while i < s {
        let mut j = i;
        while j + 1 < s && all[order[j + 1]].2 == all[order[i]].2 {
            j += 1;
        }
        let r = (i + j) as f64 / 2.0 + 1.0;
        order[i..=j].iter().for_each(|&k| rank[k] = r);
        i = j + 1;
    }
    let mut out: Vec<Vec<f64>> = chains.iter().map(|c| vec![0.0; c.len()]).collect();
    for (k, &(c, t, _)) in all.iter().enumerate() {
        out[c][t] = normal_quantile((rank[k] - 0.375) / (s as f64 + 0.25));
    }
    out
}

fn pooled_quantile(chains: &[Vec<f64>], q: f64) -> f64 {
    let mut v: Vec<f64> = chains.iter().flatten().copied().collect();
    v.sort_by(f64::total_cmp);
    crate::stats::quantile_sorted(&v, q).unwrap_or(f64::NAN)
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

fn var(v: &[f64]) -> f64 {
    let m = mean(v);
    v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (v.len() as f64 - 1.0)
}

/// The classic R̂ of equal-length chains.
pub fn rhat(chains: &[Vec<f64>]) -> f64 {
    let n = chains[0].len() as f64;
    let means: Vec<f64> = chains.iter().map(|c| mean(c)).collect();
    let b = n * var(&means);
    let w = mean(&chains.iter().map(|c| var(c)).collect::<Vec<f64>>());
    ((b / w + n - 1.0) / n).sqrt()
}

/// The effective sample size of equal-length chains (ArviZ's `_ess`).
pub fn ess(chains: &[Vec<f64>]) -> f64 {
    let (m, n) = (chains.len(), chains[0].len());
    let (lo, hi) = chains
        .iter()
        .flatten()
        .fold((f64::MAX, f64::MIN), |(a, b), &v| (a.min(v), b.max(v)));
    if !(lo.is_finite() && hi.is_finite()) {
        return f64::NAN;
    }
    if hi - lo < 1e-15 {
        return (m * n) as f64;
    }
    let mut acov = Autocov::new(chains);
    let nf = n as f64;
    let mean_var = acov.mean_at(0) * nf / (nf - 1.0);
    let means: Vec<f64> = chains.iter().map(|c| mean(c)).collect();
    let var_plus = mean_var * (nf - 1.0) / nf + if m > 1 { var(&means) } else { 0.0 };
    let rho = |acov: &mut Autocov, t: usize| 1.0 - (mean_var - acov.mean_at(t)) / var_plus;
    let mut r = vec![0.0; n + 2];
    r[0] = 1.0;
    let (mut even, mut odd) = (1.0, rho(&mut acov, 1));
    r[1] = odd;
    let mut t = 1;
    while t + 3 < n && even + odd > 0.0 {
        even = rho(&mut acov, t + 1);
        odd = rho(&mut acov, t + 2);
        if even + odd >= 0.0 {
            r[t + 1] = even;
            r[t + 2] = odd;
        }
        t += 2;
    }
    let max_t = t.saturating_sub(2);
    if even > 0.0 {
        r[max_t + 1] = even;
    }
    let mut t = 1;
    while t + 2 <= max_t {
        if r[t + 1] + r[t + 2] > r[t - 1] + r[t] {
            r[t + 1] = (r[t - 1] + r[t]) / 2.0;
            r[t + 2] = r[t + 1];
        }
        t += 2;
    }
    let total = (m * n) as f64;
    let tau =
        (-1.0 + 2.0 * r[..=max_t].iter().sum::<f64>() + r[max_t + 1]).max(1.0 / total.log10());
    total / tau
}

/// Autocovariances (divided by n) of every chain, computed lag by lag as needed.
struct Autocov<'a> {
    chains: Vec<(&'a [f64], f64)>,
    cache: Vec<f64>,
}

impl<'a> Autocov<'a> {
    fn new(chains: &'a [Vec<f64>]) -> Self {
        Autocov {
            chains: chains.iter().map(|c| (c.as_slice(), mean(c))).collect(),
            cache: Vec::new(),
        }
    }

    /// The mean over chains of the lag-t autocovariance.
    fn mean_at(&mut self, t: usize) -> f64 {
        while self.cache.len() <= t {
            let lag = self.cache.len();
            let total: f64 = self
                .chains
                .iter()
                .map(|(c, m)| {
                    let n = c.len();
                    (0..n.saturating_sub(lag))
                        .map(|i| (c[i] - m) * (c[i + lag] - m))
                        .sum::<f64>()
                        / n as f64
                })
                .sum();
            self.cache.push(total / self.chains.len() as f64);
        }
        self.cache[t]
    }
}

/// The energy Bayesian fraction of missing information of one chain's energies.
pub fn ebfmi(energy: &[f64]) -> f64 {
    if energy.len() < 3 {
        return f64::NAN;
    }
    let num: f64 = energy
        .windows(2)
        .map(|w| (w[1] - w[0]).powi(2))
        .sum::<f64>()
        / (energy.len() - 1) as f64;
    let m = mean(energy);
    let den = energy.iter().map(|e| (e - m) * (e - m)).sum::<f64>() / energy.len() as f64;
    num / den
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;
    use rand_distr::StandardNormal;

    fn ar1(phi: f64, n: usize, seed: u64) -> Vec<f64> {
        let mut rng = crate::rng::rng(seed);
        let mut x = 0.0;
        (0..n)
            .map(|_| {
                let e: f64 = rng.sample(StandardNormal);
                x = phi * x + (1.0 - phi * phi).sqrt() * e;
                x
            })
            .collect()
    }

    #[test]
    fn iid_and_autocorrelated_chains() {
        let iid: Vec<Vec<f64>> = (0..4).map(|c| ar1(0.0, 1000, c)).collect();
        let d = diagnose(&iid);
        assert!((d.rhat - 1.0).abs() < 0.01, "{d:?}");
        assert!(d.ess_bulk > 3000.0 && d.ess_bulk < 5200.0, "{d:?}");
        assert!(d.ess_tail > 2500.0, "{d:?}");
        // AR(1) with φ = 0.9: τ = (1 + φ)/(1 − φ) = 19
        let slow: Vec<Vec<f64>> = (0..4).map(|c| ar1(0.9, 5000, 10 + c)).collect();
        let d = diagnose(&slow);
        assert!(
            d.ess_bulk > 20000.0 / 19.0 * 0.7 && d.ess_bulk < 20000.0 / 19.0 * 1.3,
            "{d:?}"
        );
        // a chain stuck elsewhere
        let mut bad = iid.clone();
        bad[3].iter_mut().for_each(|v| *v += 3.0);
        assert!(diagnose(&bad).rhat > 1.2, "{:?}", diagnose(&bad));
        // E-BFMI of iid energies is ≈ 2
        assert!((ebfmi(&iid[0]) - 2.0).abs() < 0.2);
    }
}
