//! A linear-Gaussian model with a closed-form posterior: the analytic reference that the
//! samplers, combinations and calibration diagnostics are tested against.
//!
//! ```text
//! θ ~ N(μ₀, diag(s₀²)),   x = A θ + b + ε,   ε ~ N(0, diag(σ²))
//! p(θ | x) = N(μ, Σ),   Σ = (Σ₀⁻¹ + Aᵀ Σε⁻¹ A)⁻¹,   μ = Σ (Σ₀⁻¹ μ₀ + Aᵀ Σε⁻¹ (x − b))
//! ```
//!
//! [`GaussianPosterior::with_dispersion`] scales the posterior's covariance by f², giving
//! deliberately over- (f > 1) or under-dispersed (f < 1) posteriors that calibration must
//! flag.

use super::error::ModelError;
use super::noise::NoiseModel;
use super::posterior::Posterior;
use super::prior::{Marginal, Prior};
use super::simulator::{
    check_inputs, Differentiable, RunStatus, Simulated, Simulator, SimulatorError,
};
use super::space::ParamSpace;
use crate::error::{OptionError, ShapeError};
use crate::stats::linalg::{cholesky, spd_inverse, spd_log_det};
use crate::stats::Draws;
use ndarray::{Array1, Array2, Array3, ArrayView2};
use rand_distr::{Distribution, StandardNormal};

/// θ → x = A θ + b with Gaussian prior and noise.
#[derive(Debug, Clone, PartialEq)]
pub struct LinearGaussian {
    prior: Prior,
    prior_mean: Array1<f64>,
    prior_precision: Array2<f64>,
    a: Array2<f64>,
    b: Array1<f64>,
    noise: NoiseModel,
    outputs: Vec<String>,
}

impl LinearGaussian {
    /// The model with `prior` (every marginal Gaussian), the matrix `a` `(n_obs, dim)`, the
    /// offset `b` `(n_obs)` and the noise σ `(n_obs)`; outputs are named `x0, x1, …`.
    pub fn new(
        prior: Prior,
        a: Array2<f64>,
        b: Vec<f64>,
        sigma: Vec<f64>,
    ) -> Result<Self, OptionError> {
        let normals: Option<Vec<(f64, f64)>> =
            prior.marginals().iter().map(Marginal::as_normal).collect();
        let normals = normals.ok_or_else(|| {
            OptionError::new(
                "prior",
                "not Gaussian",
                "every marginal must be a normal distribution",
            )
        })?;
        let (d, m) = (prior.dim(), a.nrows());
        if a.ncols() != d || b.len() != m || sigma.len() != m {
            return Err(OptionError::new(
                "shapes",
                format!("A {:?}, b {}, sigma {}", a.dim(), b.len(), sigma.len()),
                format!("A must be (n_obs, {d}) with one offset and one sigma per observable"),
            ));
        }
        let noise = NoiseModel::new(sigma);
        noise
            .validate(m)
            .map_err(|e| OptionError::new("sigma", "", e))?;
        if noise.sigma.iter().any(|s| *s <= 0.0) {
            return Err(OptionError::new("sigma", "0", "must be positive"));
        }
        let prior_mean = normals.iter().map(|p| p.0).collect();
        let prior_precision = Array2::from_diag(&Array1::from_iter(
            normals.iter().map(|p| 1.0 / (p.1 * p.1)),
        ));
        Ok(LinearGaussian {
            prior,
            prior_mean,
            prior_precision,
            a,
            b: Array1::from(b),
            noise,
            outputs: (0..m).map(|j| format!("x{j}")).collect(),
        })
    }

    /// The prior.
    pub fn prior(&self) -> &Prior {
        &self.prior
    }

    /// The observation noise.
    pub fn noise(&self) -> &NoiseModel {
        &self.noise
    }

    /// The exact posterior mean `(dim)` and covariance `(dim, dim)` given `x`.
    pub fn posterior_moments(&self, x: &[f64]) -> Result<(Array1<f64>, Array2<f64>), ModelError> {
        if x.len() != self.outputs.len() {
            return Err(ShapeError::new("x", self.outputs.len(), x.len()).into());
        }
        let w = Array1::from_iter(self.noise.sigma.iter().map(|s| 1.0 / (s * s)));
        let aw = &self.a * &w.view().insert_axis(ndarray::Axis(1)); // Σε⁻¹ A
        let precision = &self.prior_precision + &self.a.t().dot(&aw);
        let cov = spd_inverse(precision.view()).ok_or_else(|| {
            ShapeError::new("posterior precision", "positive definite", "singular")
        })?;
        let r = Array1::from(x.to_vec()) - &self.b;
        let h = self.prior_precision.dot(&self.prior_mean) + aw.t().dot(&r);
        Ok((cov.dot(&h), cov))
    }

    /// The closed-form posterior as a [`Posterior`].
    pub fn posterior(&self) -> GaussianPosterior {
        GaussianPosterior {
            model: self.clone(),
            dispersion: 1.0,
        }
    }
}

impl Simulator for LinearGaussian {
    fn describe(&self) -> String {
        format!(
            "linear_gaussian({} → {})",
            self.prior.dim(),
            self.outputs.len()
        )
    }

    fn space(&self) -> &ParamSpace {
        self.prior.space()
    }

    fn output_names(&self) -> &[String] {
        &self.outputs
    }

    fn simulate(&self, theta: ArrayView2<f64>) -> Result<Simulated, SimulatorError> {
        check_inputs(self, &theta)?;
        let x = theta.dot(&self.a.t()) + &self.b;
        Ok(Simulated {
            status: vec![RunStatus::Ok; theta.nrows()],
            x,
        })
    }
}

impl Differentiable for LinearGaussian {
    fn jacobian(&self, theta: ArrayView2<f64>) -> Result<Array3<f64>, SimulatorError> {
        check_inputs(self, &theta)?;
        let (m, d) = self.a.dim();
        Ok(Array3::from_shape_fn((theta.nrows(), m, d), |(_, o, i)| {
            self.a[[o, i]]
        }))
    }
}

/// The closed-form posterior of a [`LinearGaussian`] model, optionally with its covariance
/// scaled by `dispersion²`.
#[derive(Debug, Clone, PartialEq)]
pub struct GaussianPosterior {
    model: LinearGaussian,
    dispersion: f64,
}

impl GaussianPosterior {
    /// The same posterior with standard deviations multiplied by `f` (> 0): f > 1 is
    /// over-dispersed (too wide), f < 1 under-dispersed (over-confident).
    pub fn with_dispersion(mut self, f: f64) -> Self {
        self.dispersion = f;
        self
    }

    fn moments(&self, x: &[f64]) -> Result<(Array1<f64>, Array2<f64>), ModelError> {
        let (m, c) = self.model.posterior_moments(x)?;
        Ok((m, c * (self.dispersion * self.dispersion)))
    }
}

impl Posterior for GaussianPosterior {
    fn describe(&self) -> String {
        format!(
            "exact posterior of {} (dispersion {})",
            self.model.describe(),
            self.dispersion
        )
    }

    fn space(&self) -> &ParamSpace {
        self.model.prior.space()
    }

    fn observables(&self) -> &[String] {
        &self.model.outputs
    }

    fn prior(&self) -> &Prior {
        &self.model.prior
    }

    fn sample(&self, x: &[f64], n: usize, seed: u64) -> Result<Draws, ModelError> {
        if n == 0 {
            return Err(OptionError::new("samples", 0, "must be at least 1").into());
        }
        let (mean, cov) = self.moments(x)?;
        let l = cholesky(cov.view()).ok_or_else(|| {
            ShapeError::new("posterior covariance", "positive definite", "singular")
        })?;
        let d = mean.len();
        let mut rng = crate::rng::rng(seed);
        let z = Array2::from_shape_fn((n, d), |_| StandardNormal.sample(&mut rng));
        let values = z.dot(&l.t()) + &mean;
        Ok(Draws::new(values)?)
    }

    fn log_prob(
        &self,
        theta: ArrayView2<f64>,
        x: ArrayView2<f64>,
    ) -> Option<Result<Vec<f64>, ModelError>> {
        Some((|| {
            if theta.nrows() != x.nrows() || theta.ncols() != self.model.prior.dim() {
                return Err(ShapeError::new(
                    "theta and x",
                    "the same rows",
                    format!("{:?} and {:?}", theta.dim(), x.dim()),
                )
                .into());
            }
            let mut out = Vec::with_capacity(theta.nrows());
            for (t, xr) in theta.rows().into_iter().zip(x.rows()) {
                let (mean, cov) = self.moments(&xr.to_vec())?;
                let prec = spd_inverse(cov.view()).ok_or_else(|| {
                    ShapeError::new("posterior covariance", "positive definite", "singular")
                })?;
                let logdet = spd_log_det(cov.view()).unwrap_or(f64::NAN);
                let r = &t - &mean;
                let q = r.dot(&prec.dot(&r));
                let d = mean.len() as f64;
                out.push(-0.5 * (q + logdet + d * (2.0 * std::f64::consts::PI).ln()));
            }
            Ok(out)
        })())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::density::{gradient_error, LogDensity};
    use crate::model::likelihood::StarDensity;

    fn model() -> LinearGaussian {
        let space = ParamSpace::from_names(&["g", "l"], &["g"]).unwrap();
        let prior = Prior::new(
            space,
            vec![
                Marginal::Normal {
                    mean: 0.5,
                    std: 1.0,
                },
                Marginal::Normal {
                    mean: -1.0,
                    std: 2.0,
                },
            ],
        )
        .unwrap();
        let a = ndarray::array![[1.0, 0.5], [0.0, 2.0], [1.0, -1.0]];
        LinearGaussian::new(prior, a, vec![0.1, 0.0, -0.2], vec![0.3, 0.5, 0.4]).unwrap()
    }

    #[test]
    fn draws_match_the_closed_form_and_the_density_normalises() {
        let m = model();
        let x = [0.7, -1.5, 1.2];
        let (mean, cov) = m.posterior_moments(&x).unwrap();
        let post = m.posterior();
        let d = post.sample(&x, 200_000, 5).unwrap();
        for j in 0..2 {
            assert!((d.mean()[j] - mean[j]).abs() < 4.0 * (cov[[j, j]] / 2e5).sqrt());
            assert!((d.covariance()[[j, j]] / cov[[j, j]] - 1.0).abs() < 0.02);
        }
        // ∫ p over a grid ≈ 1
        let (h, mut total) = (0.01, 0.0);
        let mut thetas = vec![];
        for i in -300..300 {
            for k in -300..300 {
                thetas.push([mean[0] + i as f64 * h, mean[1] + k as f64 * h]);
            }
        }
        let t = Array2::from_shape_fn((thetas.len(), 2), |(r, c)| thetas[r][c]);
        let xs = Array2::from_shape_fn((thetas.len(), 3), |(_, c)| x[c]);
        for lp in post.log_prob(t.view(), xs.view()).unwrap().unwrap() {
            total += lp.exp() * h * h;
        }
        assert!((total - 1.0).abs() < 1e-3, "{total}");
        let wide = post
            .clone()
            .with_dispersion(2.0)
            .sample(&x, 50_000, 5)
            .unwrap();
        assert!((wide.sd()[0] / cov[[0, 0]].sqrt() - 2.0).abs() < 0.05);
    }

    #[test]
    fn star_density_gradient_and_its_mode_is_the_posterior_mean() {
        let m = model();
        let x = vec![0.7, -1.5, 1.2];
        let dens = StarDensity::new(&m, m.prior(), x.clone(), m.noise().sigma.clone()).unwrap();
        assert!(gradient_error(&dens, &[0.2, -0.4], 1e-5).unwrap() < 1e-6);
        // the gradient vanishes at the Gaussian posterior's mean
        let (mean, _) = m.posterior_moments(&x).unwrap();
        let mut g = [0.0; 2];
        dens.log_density_grad(mean.as_slice().unwrap(), &mut g)
            .unwrap();
        assert!(g.iter().all(|v| v.abs() < 1e-10), "{g:?}");
        assert!(StarDensity::new(&m, m.prior(), vec![0.0], vec![1.0]).is_err());
    }
}
