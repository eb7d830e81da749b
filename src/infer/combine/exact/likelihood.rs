//! One star's marginal likelihood of the global parameters Λ, with its local parameters φ
//! integrated out by importance sampling:
//!
//! ```text
//! p(x | Λ) = ∫ p(x | Λ, φ) p(φ) dφ ≈ (1/K) Σ_k p(x | Λ, φ_k) p(φ_k) / g(φ_k | Λ),
//! p(x | θ) = Π_j N(x_j; f_j(θ), σ_j²)
//! ```
//!
//! with the simulator f (CHEMPY or an emulator). The proposal g is defensive: with
//! probability 1 − ε the conditional Gaussian of φ given Λ from a Gaussian fit to the star's
//! posterior draws (the flow's), its covariance inflated by `inflation²`; with probability ε
//! the prior of φ. The same standard-normal and prior draws are used at every Λ (common
//! random numbers), so the estimate is a smooth function of Λ and its Monte Carlo error
//! mostly shifts log p(x | Λ) by a constant, which the product of stars ignores. There is no
//! smoothing and no prior division, so per-star errors do not add up into a bias.

use super::super::CombineError;
use super::StarTerm;
use crate::model::{Marginal, Prior, Simulator};
use crate::rng::{derive, stream};
use crate::stats::linalg::{cholesky, spd_inverse};
use crate::stats::Draws;
use ndarray::{s, Array1, Array2, Axis};
use rand::Rng;
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};

/// Settings of the importance-sampled likelihood.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LikelihoodOptions {
    /// Draws of the local parameters per Λ.
    pub samples: usize,
    /// Scale of the conditional Gaussian's standard deviations.
    pub inflation: f64,
    /// Probability ε of a draw from the prior of the local parameters.
    pub defensive: f64,
}

impl Default for LikelihoodOptions {
    fn default() -> Self {
        LikelihoodOptions {
            samples: 64,
            inflation: 1.5,
            defensive: 0.1,
        }
    }
}

/// The marginal likelihood of one star, see the module documentation.
pub struct StarLikelihood<'a> {
    sim: &'a dyn Simulator,
    marginals: Vec<Marginal>,
    globals: [usize; 2],
    locals: Vec<usize>,
    x: Vec<f64>,
    sigma: Vec<f64>,
    /// Conditional mean of φ: mu_l + b (Λ − mu_g).
    mu_g: [f64; 2],
    mu_l: Array1<f64>,
    b: Array2<f64>,
    /// Inflated conditional Cholesky factor, its log-determinant and inverse covariance.
    chol: Array2<f64>,
    log_det: f64,
    prec: Array2<f64>,
    defensive: f64,
    /// Per draw k: standard normals z_k, or a draw from the prior of φ.
    draws: Vec<LocalDraw>,
}

enum LocalDraw {
    Normal(Array1<f64>),
    Prior(Array1<f64>),
}

impl<'a> StarLikelihood<'a> {
    /// The likelihood of observation `x` with errors `sigma` (dex, one per simulator output)
    /// under `sim`, with the proposal fitted to `draws` (the star's posterior draws over the
    /// prior's parameters); `id` is the star's random stream.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        sim: &'a dyn Simulator,
        prior: &Prior,
        x: &[f64],
        sigma: &[f64],
        draws: &Draws,
        opts: &LikelihoodOptions,
        seed: u64,
        id: u64,
    ) -> Result<Self, String> {
        let globals = prior.space().global_indices();
        let [g0, g1] = globals[..] else {
            return Err(format!(
                "{} global parameters, the exact combination needs 2",
                globals.len()
            ));
        };
        let dim = prior.dim();
        let locals: Vec<usize> = (0..dim).filter(|k| !globals.contains(k)).collect();
        if draws.dim() != dim || x.len() != sim.output_names().len() || sigma.len() != x.len() {
            return Err(format!(
                "draws of dimension {} (expected {dim}), x {} and sigma {} values (expected {})",
                draws.dim(),
                x.len(),
                sigma.len(),
                sim.output_names().len()
            ));
        }
        let (mu, cov) = (draws.mean(), draws.covariance());
        let g = [g0, g1];
        let sub = |rows: &[usize], cols: &[usize]| {
            Array2::from_shape_fn((rows.len(), cols.len()), |(i, j)| cov[[rows[i], cols[j]]])
        };
        let (sgg, slg, sll) = (sub(&g, &g), sub(&locals, &g), sub(&locals, &locals));
        let sgg_inv = spd_inverse(sgg.view())
            .ok_or("the draws' covariance of the global parameters is singular")?;
        let b = slg.dot(&sgg_inv);
        let cond = &sll - &b.dot(&slg.t());
        let inflated = cond * (opts.inflation * opts.inflation);
        let chol = cholesky(inflated.view())
            .ok_or("the draws' conditional covariance of the local parameters is singular")?;
        let prec = spd_inverse(inflated.view()).ok_or("singular conditional covariance")?;
        let log_det = 2.0 * chol.diag().iter().map(|v| v.ln()).sum::<f64>();
        let marginals = prior.marginals().to_vec();
        let mut rng = stream(derive(seed, 20), id);
        let draws = (0..opts.samples)
            .map(|_| {
                if rng.gen::<f64>() < opts.defensive {
                    LocalDraw::Prior(
                        locals
                            .iter()
                            .map(|&k| marginals[k].sample(&mut rng))
                            .collect(),
                    )
                } else {
                    LocalDraw::Normal(
                        (0..locals.len())
                            .map(|_| rng.sample(StandardNormal))
                            .collect(),
                    )
                }
            })
            .collect();
        Ok(StarLikelihood {
            sim,
            marginals,
            globals: g,
            mu_g: [mu[g0], mu[g1]],
            mu_l: locals.iter().map(|&k| mu[k]).collect(),
            locals,
            x: x.to_vec(),
            sigma: sigma.to_vec(),
            b,
            chol,
            log_det,
            prec,
            defensive: opts.defensive,
            draws,
        })
    }

    fn cond_mean(&self, lambda: [f64; 2]) -> Array1<f64> {
        let d = Array1::from(vec![lambda[0] - self.mu_g[0], lambda[1] - self.mu_g[1]]);
        &self.mu_l + &self.b.dot(&d)
    }

    /// log g(φ | Λ) − log p(φ) for φ with conditional mean `m`, or `None` outside the prior.
    fn log_ratio(&self, phi: &Array1<f64>, m: &Array1<f64>) -> Option<f64> {
        let lp: f64 = self
            .locals
            .iter()
            .zip(phi)
            .map(|(&k, &v)| self.marginals[k].log_prob(v))
            .sum();
        if !lp.is_finite() {
            return None;
        }
        let d = phi - m;
        let maha = d.dot(&self.prec.dot(&d));
        let nl = self.locals.len() as f64;
        let log_n = -0.5 * maha - 0.5 * self.log_det - 0.5 * nl * (2.0 * std::f64::consts::PI).ln();
        let a = (1.0 - self.defensive).ln() + log_n;
        let c = self.defensive.ln() + lp;
        let hi = a.max(c);
        let log_g = hi + ((a - hi).exp() + (c - hi).exp()).ln();
        Some(log_g - lp)
    }
}

impl StarTerm for StarLikelihood<'_> {
    fn log_factor(&self, points: &[[f64; 2]]) -> Result<Vec<f64>, CombineError> {
        let k = self.draws.len();
        let dim = self.globals.len() + self.locals.len();
        let mut theta = Array2::<f64>::zeros((points.len() * k, dim));
        let mut log_ratio = vec![f64::NAN; points.len() * k];
        for (p, lambda) in points.iter().enumerate() {
            let m = self.cond_mean(*lambda);
            for (j, d) in self.draws.iter().enumerate() {
                let phi = match d {
                    LocalDraw::Normal(z) => &m + &self.chol.dot(z),
                    LocalDraw::Prior(v) => v.clone(),
                };
                let row = p * k + j;
                theta[[row, self.globals[0]]] = lambda[0];
                theta[[row, self.globals[1]]] = lambda[1];
                for (&c, &v) in self.locals.iter().zip(&phi) {
                    theta[[row, c]] = v;
                }
                if let Some(r) = self.log_ratio(&phi, &m) {
                    log_ratio[row] = r;
                }
            }
        }
        let run = self
            .sim
            .simulate(theta.view())
            .map_err(|e| CombineError::StarDensity {
                star: 0,
                message: e.to_string(),
            })?;
        let log_k = (k as f64).ln();
        Ok(run
            .x
            .axis_chunks_iter(Axis(0), k)
            .enumerate()
            .map(|(p, xs)| {
                let terms: Vec<f64> = (0..k)
                    .map(|j| {
                        let row = p * k + j;
                        if !run.ok(row) || log_ratio[row].is_nan() {
                            return f64::NEG_INFINITY;
                        }
                        let xr = xs.slice(s![j, ..]);
                        let ll: f64 = (0..self.x.len())
                            .map(|o| {
                                let r = (self.x[o] - xr[o]) / self.sigma[o];
                                -0.5 * r * r
                            })
                            .sum();
                        ll - log_ratio[row]
                    })
                    .collect();
                log_sum_exp(&terms) - log_k
            })
            .collect())
    }
}

fn log_sum_exp(v: &[f64]) -> f64 {
    let max = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !max.is_finite() {
        return max;
    }
    max + v.iter().map(|x| (x - max).exp()).sum::<f64>().ln()
}
