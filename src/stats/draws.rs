//! Posterior draws, equally or importance weighted: the one type every sampler returns and
//! every summary, combination and calibration consumes.
//!
//! Conventions (the same for equal and weighted draws):
//! - **mean** Σ w_k θ_k with normalised weights (1/n each when equal);
//! - **covariance** Σ w_k (θ_k − μ)(θ_k − μ)ᵀ / (1 − Σ w_k²), the reliability-weight
//!   correction, which is the usual n − 1 normalisation for equal weights;
//! - **quantiles** interpolate linearly between the sorted values placed at the positions
//!   p_k = (C_k − w_k/2 − w_first/2) / (1 − w_first/2 − w_last/2), with C_k the cumulative
//!   weight up to and including draw k and w_first, w_last the weights of the smallest and
//!   largest value. For equal weights p_k = (k − 1)/(n − 1): numpy's default ("type 7")
//!   quantiles. The rule is symmetric (the q-quantile of −θ is minus the (1 − q)-quantile
//!   of θ), puts the extremes at levels 0 and 1, and ignores draws of weight 0;
//! - **effective sample size** (Σw)²/Σw² (Kish), n for equal weights;
//! - **rank** of a value: n × the weight of the draws strictly below it — for equal weights
//!   the number of draws below it (SBC's rank, strict `<`).

use super::linalg::{cholesky, symmetric_eigenvalues};
use super::StatsError;
use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};
use rand::Rng;
use serde::{Deserialize, Serialize};

/// Draws of a d-dimensional distribution: values `(n, d)` and optional normalised weights.
#[derive(Debug, Clone, PartialEq)]
pub struct Draws {
    values: Array2<f64>,
    weights: Option<Vec<f64>>,
    acceptance: Option<f64>,
    log_evidence: Option<f64>,
}

/// A Gaussian fitted to draws (moment matching): what Gaussian combinations use.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GaussianFit {
    /// Mean `(k)`.
    pub mean: Vec<f64>,
    /// Covariance `(k, k)` row-major, with the normalisation of [`Draws::covariance`].
    pub cov: Vec<Vec<f64>>,
    /// Per-coordinate standard deviation without the n − 1 correction (Σ w (θ − μ)²)^½
    /// (the reference's `np.std`, spec C.2).
    pub sd_n: Vec<f64>,
    /// Effective sample size, rounded down.
    pub n_eff: usize,
}

impl GaussianFit {
    /// The covariance as an array `(k, k)`.
    pub fn cov_array(&self) -> Array2<f64> {
        let k = self.mean.len();
        Array2::from_shape_fn((k, k), |(i, j)| self.cov[i][j])
    }
}

/// Mean, standard deviation and quantiles of every coordinate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Mean per coordinate.
    pub mean: Vec<f64>,
    /// Standard deviation per coordinate ([`Draws::covariance`]'s normalisation).
    pub sd: Vec<f64>,
    /// Per coordinate the quantiles at the requested levels.
    pub quantiles: Vec<Vec<f64>>,
}

impl Draws {
    /// Equally weighted draws `(n, d)`: at least one, all finite.
    pub fn new(values: Array2<f64>) -> Result<Self, StatsError> {
        check_values(&values)?;
        Ok(Draws {
            values,
            weights: None,
            acceptance: None,
            log_evidence: None,
        })
    }

    /// Weighted draws: `weights` `(n)` finite, ≥ 0, not all 0 (normalised here).
    pub fn weighted(values: Array2<f64>, weights: Vec<f64>) -> Result<Self, StatsError> {
        check_values(&values)?;
        let sum: f64 = weights.iter().sum();
        if weights.len() != values.nrows()
            || weights.iter().any(|w| !(w.is_finite() && *w >= 0.0))
            || !(sum > 0.0 && sum.is_finite())
        {
            return Err(StatsError::BadWeights {
                n: weights.len(),
                rows: values.nrows(),
            });
        }
        Ok(Draws {
            values,
            weights: Some(weights.into_iter().map(|w| w / sum).collect()),
            acceptance: None,
            log_evidence: None,
        })
    }

    /// The same draws, with the fraction of proposals that fell inside the prior support.
    pub fn with_acceptance(mut self, acceptance: f64) -> Self {
        self.acceptance = Some(acceptance);
        self
    }

    /// The fraction of proposals inside the prior support, when the sampler rejects.
    pub fn acceptance(&self) -> Option<f64> {
        self.acceptance
    }

    /// The same draws, with the log evidence log p(x) their importance weights estimate.
    pub fn with_log_evidence(mut self, log_evidence: f64) -> Self {
        self.log_evidence = Some(log_evidence);
        self
    }

    /// The log evidence log p(x) of the observation (natural log, densities in dex⁻¹),
    /// when importance weights estimated it.
    pub fn log_evidence(&self) -> Option<f64> {
        self.log_evidence
    }

    /// Number of draws.
    pub fn n(&self) -> usize {
        self.values.nrows()
    }

    /// Dimension.
    pub fn dim(&self) -> usize {
        self.values.ncols()
    }

    /// The values `(n, d)`.
    pub fn values(&self) -> ArrayView2<'_, f64> {
        self.values.view()
    }

    /// The values, moved out.
    pub fn into_values(self) -> Array2<f64> {
        self.values
    }

    /// Coordinate `j` of every draw.
    pub fn column(&self, j: usize) -> ArrayView1<'_, f64> {
        self.values.column(j)
    }

    /// The normalised weights, `None` for equal weights.
    pub fn weights(&self) -> Option<&[f64]> {
        self.weights.as_deref()
    }

    /// Whether the draws carry importance weights.
    pub fn is_weighted(&self) -> bool {
        self.weights.is_some()
    }

    /// The normalised weight of draw `k`.
    pub fn weight(&self, k: usize) -> f64 {
        match &self.weights {
            Some(w) => w[k],
            None => 1.0 / self.n() as f64,
        }
    }

    /// The draws of the coordinates `cols` (in that order), with the same weights.
    pub fn select(&self, cols: &[usize]) -> Draws {
        Draws {
            values: self.values.select(Axis(1), cols),
            weights: self.weights.clone(),
            acceptance: self.acceptance,
            log_evidence: self.log_evidence,
        }
    }

    /// The mean of every coordinate.
    pub fn mean(&self) -> Vec<f64> {
        self.values
            .columns()
            .into_iter()
            .map(|c| self.column_mean(c))
            .collect()
    }

    fn column_mean(&self, c: ArrayView1<f64>) -> f64 {
        match &self.weights {
            None => c.iter().fold(0.0, |a, v| a + v) / c.len() as f64,
            Some(w) => c.iter().zip(w).map(|(v, w)| v * w).sum(),
        }
    }

    /// The divisor of the second moments: n − 1 for equal weights, n (1 − Σw²) in general
    /// (applied to the sums Σ n w_k (θ − μ)²).
    fn moment_divisor(&self) -> f64 {
        let n = self.n() as f64;
        match &self.weights {
            None => n - 1.0,
            Some(w) => n * (1.0 - w.iter().map(|v| v * v).sum::<f64>()),
        }
    }

    /// Σ_k n w_k (a_k − ma)(b_k − mb).
    fn co_moment(&self, a: ArrayView1<f64>, ma: f64, b: ArrayView1<f64>, mb: f64) -> f64 {
        let n = self.n() as f64;
        match &self.weights {
            None => a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum(),
            Some(w) => a
                .iter()
                .zip(b)
                .zip(w)
                .map(|((x, y), w)| n * w * (x - ma) * (y - mb))
                .sum(),
        }
    }

    /// The standard deviation of every coordinate (0 for a single draw).
    pub fn sd(&self) -> Vec<f64> {
        let d = self.moment_divisor();
        self.values
            .columns()
            .into_iter()
            .map(|c| {
                let m = self.column_mean(c);
                if d > 0.0 {
                    (self.co_moment(c, m, c, m) / d).sqrt()
                } else {
                    0.0
                }
            })
            .collect()
    }

    /// The covariance `(d, d)` (zero for a single draw).
    pub fn covariance(&self) -> Array2<f64> {
        let mean = self.mean();
        let div = self.moment_divisor();
        let d = self.dim();
        let mut cov = Array2::zeros((d, d));
        if div <= 0.0 {
            return cov;
        }
        for i in 0..d {
            for j in 0..=i {
                let c = self.co_moment(self.column(i), mean[i], self.column(j), mean[j]) / div;
                cov[[i, j]] = c;
                cov[[j, i]] = c;
            }
        }
        cov
    }

    /// The effective sample size (Σw)²/Σw²; n for equal weights.
    pub fn ess(&self) -> f64 {
        match &self.weights {
            None => self.n() as f64,
            Some(w) => 1.0 / w.iter().map(|v| v * v).sum::<f64>(),
        }
    }

    /// Quantiles of coordinate `j` at `levels` (each in [0, 1]), with the convention of the
    /// module documentation.
    pub fn quantiles(&self, j: usize, levels: &[f64]) -> Result<Vec<f64>, StatsError> {
        if let Some(&q) = levels.iter().find(|q| !(0.0..=1.0).contains(*q)) {
            return Err(StatsError::BadLevel(q));
        }
        let col = self.column(j);
        Ok(match &self.weights {
            None => {
                let mut v: Vec<f64> = col.to_vec();
                equal_quantiles(&mut v, levels)
            }
            Some(w) => weighted_quantiles(col, w, levels),
        })
    }

    /// Mean, sd and the quantiles at `levels` of every coordinate.
    pub fn summary(&self, levels: &[f64]) -> Result<Summary, StatsError> {
        Ok(Summary {
            mean: self.mean(),
            sd: self.sd(),
            quantiles: (0..self.dim())
                .map(|j| self.quantiles(j, levels))
                .collect::<Result<_, _>>()?,
        })
    }

    /// The rank of `value` among coordinate `j`: n × the weight of the draws strictly below
    /// it (the number of such draws for equal weights).
    pub fn rank(&self, j: usize, value: f64) -> f64 {
        let col = self.column(j);
        match &self.weights {
            None => col.iter().filter(|&&v| v < value).count() as f64,
            Some(w) => {
                let below: f64 = col
                    .iter()
                    .zip(w)
                    .filter(|(v, _)| **v < value)
                    .map(|(_, w)| w)
                    .sum();
                below * self.n() as f64
            }
        }
    }

    /// `m` equally weighted draws resampled from these (systematic resampling with one
    /// uniform offset from `seed`; equal-weight draws are resampled the same way).
    pub fn resample(&self, m: usize, seed: u64) -> Result<Draws, StatsError> {
        if m == 0 {
            return Err(StatsError::Empty("resample"));
        }
        let n = self.n();
        let mut rng = crate::rng::rng(seed);
        let u0: f64 = rng.gen::<f64>();
        let mut picks = Vec::with_capacity(m);
        let (mut k, mut cum) = (0usize, self.weight(0));
        for i in 0..m {
            let u = (i as f64 + u0) / m as f64;
            while cum < u && k + 1 < n {
                k += 1;
                cum += self.weight(k);
            }
            picks.push(k);
        }
        Ok(Draws {
            values: self.values.select(Axis(0), &picks),
            weights: None,
            acceptance: self.acceptance,
            log_evidence: self.log_evidence,
        })
    }

    /// The Gaussian of the coordinates `cols` with these draws' mean and covariance; an
    /// error when the covariance is singular (e.g. all draws identical).
    pub fn gaussian_fit(&self, cols: &[usize]) -> Result<GaussianFit, StatsError> {
        if self.n() < 3 {
            return Err(StatsError::TooFew {
                what: "a Gaussian fit",
                n: self.n(),
                needed: 3,
            });
        }
        let sub = self.select(cols);
        let mean = sub.mean();
        let cov = sub.covariance();
        let nf = self.n() as f64;
        let sd_n = (0..cols.len())
            .map(|j| (sub.co_moment(sub.column(j), mean[j], sub.column(j), mean[j]) / nf).sqrt())
            .collect();
        let eig = symmetric_eigenvalues(cov.view());
        let scale = cov.diag().iter().fold(0.0f64, |a, v| a.max(*v));
        let singular = cholesky(cov.view()).is_none()
            || eig
                .first()
                .is_none_or(|e| !(*e > 1e-12 * scale && scale > 1e-300));
        if singular {
            return Err(StatsError::Singular {
                det: eig.iter().product(),
            });
        }
        Ok(GaussianFit {
            mean,
            cov: cov.rows().into_iter().map(|r| r.to_vec()).collect(),
            sd_n,
            n_eff: self.ess().floor() as usize,
        })
    }

    /// The mean as an array.
    pub fn mean_array(&self) -> Array1<f64> {
        Array1::from(self.mean())
    }
}

fn check_values(values: &Array2<f64>) -> Result<(), StatsError> {
    if values.nrows() == 0 || values.ncols() == 0 {
        return Err(StatsError::Empty("draws"));
    }
    match values.iter().position(|v| !v.is_finite()) {
        Some(i) => Err(StatsError::NotFinite {
            what: "draws",
            index: i / values.ncols(),
            value: values.iter().nth(i).copied().unwrap_or(f64::NAN),
        }),
        None => Ok(()),
    }
}

/// Type-7 quantiles at `levels` (any order) of finite `v`, by repeated selection in O(n)
/// rather than a full sort; `v` is reordered.
fn equal_quantiles(v: &mut [f64], levels: &[f64]) -> Vec<f64> {
    let n = v.len();
    let mut order: Vec<usize> = (0..levels.len()).collect();
    order.sort_by(|&a, &b| levels[a].total_cmp(&levels[b]));
    let mut out = vec![f64::NAN; levels.len()];
    let mut start = 0;
    for &li in &order {
        let h = levels[li] * (n - 1) as f64;
        let lo = (h.floor() as usize).min(n - 1);
        if lo >= start {
            v[start..].select_nth_unstable_by(lo - start, f64::total_cmp);
            start = lo;
        }
        let a = v[lo];
        // the next order statistic is the minimum of the elements after lo
        let b = if lo + 1 < n {
            v[lo + 1..].iter().copied().fold(f64::INFINITY, f64::min)
        } else {
            a
        };
        out[li] = a + (h - lo as f64) * (b - a);
    }
    out
}

/// Weighted quantiles with the positions of the module documentation.
fn weighted_quantiles(v: ArrayView1<f64>, w: &[f64], levels: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..v.len()).filter(|&k| w[k] > 0.0).collect();
    idx.sort_by(|&a, &b| v[a].total_cmp(&v[b]));
    let (first, last) = (w[idx[0]], w[idx[idx.len() - 1]]);
    let total: f64 = idx.iter().map(|&k| w[k]).sum();
    let denom = total - 0.5 * (first + last);
    let mut cum = 0.0;
    let pos: Vec<f64> = idx
        .iter()
        .map(|&k| {
            cum += w[k];
            if denom > 0.0 {
                (cum - 0.5 * w[k] - 0.5 * first) / denom
            } else {
                0.0
            }
        })
        .collect();
    levels
        .iter()
        .map(|&p| {
            let j = pos.partition_point(|&c| c < p);
            if j == 0 {
                v[idx[0]]
            } else if j == idx.len() {
                v[idx[idx.len() - 1]]
            } else {
                let (c0, c1) = (pos[j - 1], pos[j]);
                let (a, b) = (v[idx[j - 1]], v[idx[j]]);
                if c1 > c0 {
                    a + (p - c0) / (c1 - c0) * (b - a)
                } else {
                    b
                }
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn equal_weights_match_the_closed_forms() {
        let d = Draws::new(array![[1.0, 10.0], [2.0, 30.0], [3.0, 20.0], [6.0, 40.0]]).unwrap();
        assert_eq!(d.mean(), vec![3.0, 25.0]);
        assert!((d.sd()[0] - (14.0f64 / 3.0).sqrt()).abs() < 1e-12);
        assert!((d.sd()[1] - (500.0f64 / 3.0).sqrt()).abs() < 1e-12);
        assert_eq!(d.ess(), 4.0);
        // numpy: np.quantile([1, 2, 3, 6], [0, .25, .5, .9, 1]) = [1, 1.75, 2.5, 5.1, 6]
        let q = d.quantiles(0, &[0.5, 0.0, 0.25, 0.9, 1.0]).unwrap();
        let want = [2.5, 1.0, 1.75, 5.1, 6.0];
        for (a, b) in q.iter().zip(want) {
            assert!((a - b).abs() < 1e-12, "{q:?}");
        }
        assert_eq!(d.rank(0, 3.0), 2.0);
        assert_eq!(d.rank(0, 0.0), 0.0);
        assert!(d.quantiles(0, &[1.5]).is_err());
    }

    #[test]
    fn equal_weights_given_explicitly_change_nothing() {
        let mut r = crate::rng::rng(4);
        let v = Array2::from_shape_fn((999, 2), |_| r.gen::<f64>());
        let a = Draws::new(v.clone()).unwrap();
        let b = Draws::weighted(v, vec![0.5; 999]).unwrap();
        let levels = [0.025, 0.16, 0.5, 0.84, 0.975];
        for j in 0..2 {
            let (qa, qb) = (
                a.quantiles(j, &levels).unwrap(),
                b.quantiles(j, &levels).unwrap(),
            );
            for (x, y) in qa.iter().zip(&qb) {
                assert!((x - y).abs() < 1e-12, "{qa:?} {qb:?}");
            }
            assert!((a.mean()[j] - b.mean()[j]).abs() < 1e-12);
            assert!((a.sd()[j] - b.sd()[j]).abs() < 1e-12);
            assert!((a.rank(j, 0.3) - b.rank(j, 0.3)).abs() < 1e-9);
        }
        assert!((b.ess() - 999.0).abs() < 1e-9);
        let (ca, cb) = (a.covariance(), b.covariance());
        assert!((ca - cb).iter().all(|x| x.abs() < 1e-12));
    }

    #[test]
    fn weighted_moments_quantiles_and_symmetry() {
        let v = array![[3.0], [1.0], [2.0], [4.0]];
        // all weight on two values: the other two do not count
        let d = Draws::weighted(v.clone(), vec![0.0, 1.0, 0.0, 1.0]).unwrap();
        assert_eq!(
            d.quantiles(0, &[0.0, 0.5, 1.0]).unwrap(),
            vec![1.0, 2.5, 4.0]
        );
        assert_eq!(d.mean(), vec![2.5]);
        assert!((d.ess() - 2.0).abs() < 1e-12);
        // the q-quantile of −θ is minus the (1 − q)-quantile of θ
        let w = vec![0.1, 0.4, 0.2, 0.3];
        let d = Draws::weighted(v.clone(), w.clone()).unwrap();
        let m = Draws::weighted(-v, w).unwrap();
        for q in [0.1, 0.33, 0.5, 0.8] {
            let a = d.quantiles(0, &[q]).unwrap()[0];
            let b = m.quantiles(0, &[1.0 - q]).unwrap()[0];
            assert!((a + b).abs() < 1e-12, "{q}: {a} {b}");
        }
        assert!(Draws::weighted(array![[1.0]], vec![0.0]).is_err());
        assert!(Draws::weighted(array![[1.0], [2.0]], vec![1.0]).is_err());
        assert!(Draws::new(array![[f64::NAN]]).is_err());
    }

    #[test]
    fn resampling_follows_the_weights() {
        let v = array![[0.0], [1.0], [2.0]];
        let d = Draws::weighted(v, vec![0.2, 0.0, 0.8]).unwrap();
        let r = d.resample(10_000, 3).unwrap();
        assert!(!r.is_weighted());
        let ones = r.column(0).iter().filter(|&&x| x == 1.0).count();
        let twos = r.column(0).iter().filter(|&&x| x == 2.0).count();
        assert_eq!(ones, 0);
        assert!((twos as f64 / 10_000.0 - 0.8).abs() < 1e-3, "{twos}");
        assert_eq!(r, d.resample(10_000, 3).unwrap());
    }

    #[test]
    fn gaussian_fit_of_draws_and_singular_ones() {
        let s = array![[0.0, 1.0], [2.0, 1.0], [0.0, 3.0], [2.0, 3.0]];
        let d = Draws::new(s).unwrap();
        let f = d.gaussian_fit(&[0, 1]).unwrap();
        assert_eq!(f.mean, vec![1.0, 2.0]);
        // deviations ±1 in each coordinate, uncorrelated: var = 4/3 (N−1), 1 (N).
        assert!((f.cov[0][0] - 4.0 / 3.0).abs() < 1e-15);
        assert!(f.cov[0][1].abs() < 1e-15);
        assert!((f.sd_n[1] - 1.0).abs() < 1e-15);
        assert_eq!(f.n_eff, 4);
        let flat = Draws::new(array![[1.0, 2.0], [1.0, 2.0], [1.0, 2.0]]).unwrap();
        assert!(matches!(
            flat.gaussian_fit(&[0, 1]),
            Err(StatsError::Singular { .. })
        ));
        assert!(Draws::new(array![[1.0, 2.0]])
            .unwrap()
            .gaussian_fit(&[0])
            .is_err());
    }
}
