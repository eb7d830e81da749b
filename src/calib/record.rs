//! What a calibration run keeps of every simulation: the ranks of θ* among the posterior
//! draws, the draws' moments, one draw for the data-averaged posterior, the joint
//! highest-density ranks and the TARP credibility levels. The draws themselves are dropped,
//! so a run of 10⁴ × 1000 draws stays small.

use crate::model::Posterior;
use crate::stats::linalg::spd_inverse;
use crate::stats::Draws;
use ndarray::{Array2, ArrayView1};
use serde::{Deserialize, Serialize};

/// The summaries of one simulation's posterior draws.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimStats {
    /// Per parameter: the number of draws below θ*ⱼ (for weighted draws, the number of
    /// draws × their weight below θ*ⱼ), in [0, draws] (strict `<`).
    pub ranks: Vec<f64>,
    /// Number of draws.
    pub draws: usize,
    /// Posterior mean and standard deviation per parameter.
    pub mean: Vec<f64>,
    pub sd: Vec<f64>,
    /// The first draw (the data-averaged posterior's sample of this simulation).
    pub first: Vec<f64>,
    /// Fraction of the draws' weight whose log density is above that of θ* (the joint
    /// highest-density rank, Hermans et al. 2022), if the posterior has a density.
    #[serde(with = "opt_any_f64")]
    pub hpd: Option<f64>,
    /// The same rank under the draws' Gaussian fit (Mahalanobis distance), for all
    /// parameters.
    #[serde(with = "crate::envelope::any_f64")]
    pub gauss: f64,
    /// The same for the global parameters alone (NaN without global parameters).
    #[serde(with = "crate::envelope::any_f64")]
    pub gauss_global: f64,
    /// TARP credibility levels f, one per reference set (the first is the TARP's, the
    /// others feed its bootstrap).
    pub tarp: Vec<f64>,
}

/// Serde for an `Option<f64>` whose value may be NaN (see [`crate::envelope::any_f64`]).
mod opt_any_f64 {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    #[serde(transparent)]
    struct Any(#[serde(with = "crate::envelope::any_f64")] f64);

    pub fn serialize<S: Serializer>(v: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
        v.map(Any).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
        Ok(Option::<Any>::deserialize(d)?.map(|a| a.0))
    }
}

/// One simulation of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimRecord {
    /// Simulation index.
    pub id: u64,
    /// θ*.
    pub theta: Vec<f64>,
    /// The noisy observation.
    pub x: Vec<f64>,
    /// The summaries, or why the posterior could not be sampled for this observation.
    pub stats: Result<SimStats, String>,
}

/// Where TARP measures distances: θ and the references are mapped by (v − lo)/(hi − lo +
/// 10⁻¹⁰); `scale_references` false reproduces sbi 0.23.1, which leaves them raw.
#[derive(Debug, Clone, PartialEq)]
pub struct TarpFrame {
    pub lo: Vec<f64>,
    pub hi: Vec<f64>,
    pub scale_references: bool,
    /// Reference points per simulation: `(sets, dim)` uniforms in [0, 1] per simulation id.
    pub sets: usize,
    pub seed: u64,
}

impl TarpFrame {
    fn norm(&self, j: usize, v: f64) -> f64 {
        (v - self.lo[j]) / (self.hi[j] - self.lo[j] + 1e-10)
    }

    /// The reference sets of simulation `id`, in the frame's distance space.
    fn references(&self, id: u64, d: usize) -> Vec<Vec<f64>> {
        use rand::Rng;
        let mut rng = crate::rng::stream(self.seed, id);
        (0..self.sets)
            .map(|_| {
                (0..d)
                    .map(|j| {
                        let u: f64 = rng.gen();
                        if self.scale_references {
                            u
                        } else {
                            self.lo[j] + u * (self.hi[j] - self.lo[j])
                        }
                    })
                    .collect()
            })
            .collect()
    }

    /// f for one reference point `r` (in the frame's distance space): the weight of the
    /// draws closer to `r` than θ*, distances taken after normalising θ* and the draws.
    pub fn level_at(&self, theta: &[f64], draws: &Draws, r: &[f64]) -> f64 {
        let d = theta.len();
        let t: Vec<f64> = (0..d).map(|j| self.norm(j, theta[j])).collect();
        let dist = |p: &[f64]| -> f64 { p.iter().zip(r).map(|(a, b)| (a - b) * (a - b)).sum() };
        let star = dist(&t);
        draws
            .values()
            .rows()
            .into_iter()
            .enumerate()
            .filter(|(_, row)| {
                let z: Vec<f64> = (0..d).map(|j| self.norm(j, row[j])).collect();
                dist(&z) < star
            })
            .map(|(k, _)| draws.weight(k))
            .sum()
    }

    /// f for every reference set: the weight of draws closer to the reference than θ*.
    fn levels(&self, id: u64, theta: &[f64], draws: &Draws) -> Vec<f64> {
        let d = theta.len();
        let t: Vec<f64> = (0..d).map(|j| self.norm(j, theta[j])).collect();
        let vals = draws.values();
        let mut z = Vec::with_capacity(vals.len());
        for r in vals.rows() {
            z.extend((0..d).map(|j| self.norm(j, r[j])));
        }
        self.references(id, d)
            .iter()
            .map(|r| {
                let dist =
                    |p: &[f64]| -> f64 { p.iter().zip(r).map(|(a, b)| (a - b) * (a - b)).sum() };
                let star = dist(&t);
                z.chunks_exact(d)
                    .enumerate()
                    .filter(|(_, p)| dist(p) < star)
                    .map(|(k, _)| draws.weight(k))
                    .sum()
            })
            .collect()
    }
}

/// Ranks, moments, first draw, Gaussian-fit ranks and TARP levels of one simulation's
/// draws (the density rank is filled in by the caller, which evaluates `log_prob` in bulk).
pub fn summarise(
    id: u64,
    theta: &[f64],
    draws: &Draws,
    globals: &[usize],
    tarp: Option<&TarpFrame>,
) -> SimStats {
    let all: Vec<usize> = (0..theta.len()).collect();
    SimStats {
        ranks: (0..theta.len()).map(|j| draws.rank(j, theta[j])).collect(),
        draws: draws.n(),
        mean: draws.mean(),
        sd: draws.sd(),
        first: draws.values().row(0).to_vec(),
        hpd: None,
        gauss: gaussian_rank(theta, draws, &all),
        gauss_global: if globals.is_empty() {
            f64::NAN
        } else {
            gaussian_rank(theta, draws, globals)
        },
        tarp: tarp.map(|f| f.levels(id, theta, draws)).unwrap_or_default(),
    }
}

/// The weight of the draws whose Mahalanobis distance (under the draws' mean and
/// covariance of the coordinates `cols`) is below that of θ*; NaN if the covariance is
/// singular.
fn gaussian_rank(theta: &[f64], draws: &Draws, cols: &[usize]) -> f64 {
    let sub = draws.select(cols);
    let mean = sub.mean();
    let Some(prec) = spd_inverse(sub.covariance().view()) else {
        return f64::NAN;
    };
    let k = cols.len();
    let m = |v: ArrayView1<f64>| -> f64 {
        let mut q = 0.0;
        for a in 0..k {
            let ra = v[a] - mean[a];
            for b in 0..k {
                q += ra * prec[[a, b]] * (v[b] - mean[b]);
            }
        }
        q
    };
    let t: Vec<f64> = cols.iter().map(|&j| theta[j]).collect();
    let star = m(ArrayView1::from(&t));
    sub.values()
        .rows()
        .into_iter()
        .enumerate()
        .filter(|(_, r)| m(r.view()) < star)
        .map(|(k, _)| sub.weight(k))
        .sum()
}

/// The joint highest-density rank of θ* among `draws`: the weight of draws whose
/// log density (given `x`) is above θ*'s; `None` without a density, NaN if it fails.
pub fn density_rank(post: &dyn Posterior, theta: &[f64], x: &[f64], draws: &Draws) -> Option<f64> {
    let n = draws.n();
    let d = theta.len();
    let mut rows = Array2::<f64>::zeros((n + 1, d));
    rows.row_mut(0)
        .iter_mut()
        .zip(theta)
        .for_each(|(a, b)| *a = *b);
    rows.slice_mut(ndarray::s![1.., ..]).assign(&draws.values());
    let xs = Array2::from_shape_fn((n + 1, x.len()), |(_, c)| x[c]);
    let lp = match post.log_prob(rows.view(), xs.view())? {
        Ok(v) => v,
        Err(_) => return Some(f64::NAN),
    };
    let star = lp[0];
    Some(
        lp[1..]
            .iter()
            .enumerate()
            .filter(|(_, l)| **l > star)
            .map(|(k, _)| draws.weight(k))
            .sum(),
    )
}
