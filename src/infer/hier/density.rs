//! The hierarchical model of Philcox & Rybizki (2019, spec B.3) as a [`LogDensity`] over
//! unconstrained coordinates, with its analytic gradient.
//!
//! With the simulator f (an emulator), global parameters Λ shared by N stars, local
//! parameters θᵢ per star, observations dᵢⱼ with errors σᵢⱼ (dex) and, optionally, a model
//! error εⱼ per output shared by all stars:
//!
//! ```text
//! log p = Σ_g log p(Λ_g) + Σ_i Σ_l log p(θ_il) + Σ_j log HalfCauchy(εⱼ; β)
//!       + Σ_i Σ_j [ −½ (dᵢⱼ − fⱼ(Λ, θᵢ))² / Vᵢⱼ − ½ ln Vᵢⱼ ],   Vᵢⱼ = σᵢⱼ² + εⱼ²
//!       + the log-Jacobians of the transforms to ℝ
//! ```
//!
//! Position layout (length `n_global + n_error + N·n_local`): the global parameters in the
//! simulator's input order, then ln εⱼ per output (with model error), then every star's local
//! parameters, star after star. The gradient of the likelihood comes from one
//! [`Differentiable::simulate_vjp`] pass over the N stars; the rest is closed-form.

use super::coord::Coord;
use super::error::BaselineError;
use crate::error::{ErrorKind, Kind, ShapeError};
use crate::infer::map::laplace::Structure;
use crate::model::density::check_dim;
use crate::model::{DensityError, Differentiable, LogDensity, Prior};
use ndarray::{Array2, ArrayView2};
use std::f64::consts::PI;

/// The hierarchical model over `n_stars` stars of a differentiable simulator.
pub struct HierModel<'a> {
    sim: &'a dyn Differentiable,
    global_inputs: Vec<usize>,
    globals: Vec<Coord>,
    local_inputs: Vec<usize>,
    /// `(n_stars · n_local)`, star-major.
    locals: Vec<Coord>,
    obs: Array2<f64>,
    var: Array2<f64>,
    /// HalfCauchy scales β_j (dex) of the model errors, one per output, if any.
    error_scales: Option<Vec<f64>>,
    names: Vec<String>,
}

impl<'a> HierModel<'a> {
    /// The model of the observations `obs` `(n_stars, n_outputs)` with errors `sigma` (same
    /// shape, dex) through `sim`, with `prior` over the simulator's inputs (its global
    /// parameters are shared, the others local to each star) and, if `model_error` is
    /// `Some(β)`, a model error εⱼ ~ HalfCauchy(β) (dex) per output.
    pub fn new(
        sim: &'a dyn Differentiable,
        prior: &Prior,
        obs: ArrayView2<f64>,
        sigma: ArrayView2<f64>,
        model_error: Option<f64>,
    ) -> Result<Self, BaselineError> {
        check_shapes(sim, prior, obs, sigma)?;
        let space = sim.space();
        let coord = |i: usize| -> Result<Coord, BaselineError> {
            Coord::from_marginal(&prior.marginals()[i], space.params()[i].bounds).ok_or_else(|| {
                BaselineError::Option(crate::error::OptionError::new(
                    "prior",
                    space.params()[i].name.as_str(),
                    "a uniform prior needs a bounded interval",
                ))
            })
        };
        let global_inputs = space.global_indices();
        let local_inputs = space.local_indices();
        let globals = global_inputs
            .iter()
            .map(|&i| coord(i))
            .collect::<Result<_, _>>()?;
        let one_star: Vec<Coord> = local_inputs
            .iter()
            .map(|&i| coord(i))
            .collect::<Result<_, _>>()?;
        let n = obs.nrows();
        let locals = (0..n).flat_map(|_| one_star.iter().copied()).collect();
        let error_scales = model_error
            .map(|b| check_scale(b).map(|b| vec![b; sim.output_names().len()]))
            .transpose()?;
        let mut m = HierModel {
            sim,
            global_inputs,
            globals,
            local_inputs,
            locals,
            obs: obs.to_owned(),
            var: sigma.mapv(|s| s * s),
            error_scales,
            names: Vec::new(),
        };
        m.names = m.make_names();
        Ok(m)
    }

    /// The same model with the local parameter `name` given its own prior per star
    /// (`coords`, one per star): e.g. the birth time N(obs_time, obs_time_err²) cut to
    /// [1, 13.8] Gyr around each star's observed age.
    pub fn with_local_priors(
        mut self,
        name: &str,
        coords: &[Coord],
    ) -> Result<Self, BaselineError> {
        let space = self.sim.space();
        let input = space.indices_of(&[name])?[0];
        let k = self
            .local_inputs
            .iter()
            .position(|&i| i == input)
            .ok_or_else(|| {
                BaselineError::Input(format!("{name} is a global parameter, not a local one"))
            })?;
        if coords.len() != self.n_stars() {
            return Err(
                ShapeError::new(format!("priors of {name}"), self.n_stars(), coords.len()).into(),
            );
        }
        let l = self.local_inputs.len();
        for (i, c) in coords.iter().enumerate() {
            self.locals[i * l + k] = *c;
        }
        Ok(self)
    }

    /// Number of stars.
    pub fn n_stars(&self) -> usize {
        self.obs.nrows()
    }

    /// Number of global coordinates (the global parameters and the model errors).
    pub fn n_shared(&self) -> usize {
        self.globals.len() + self.n_errors()
    }

    fn n_errors(&self) -> usize {
        self.error_scales.as_ref().map_or(0, Vec::len)
    }

    /// Names of the physical parameters, in position order: the global ones, then
    /// `model_error_<output>`, then `<local>_<star>` (stars numbered from 0).
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Names of the global parameters (Λ).
    pub fn global_names(&self) -> Vec<String> {
        self.names[..self.globals.len()].to_vec()
    }

    fn make_names(&self) -> Vec<String> {
        let space = self.sim.space();
        let mut v: Vec<String> = self
            .global_inputs
            .iter()
            .map(|&i| space.params()[i].name.clone())
            .collect();
        if self.error_scales.is_some() {
            v.extend(
                self.sim
                    .output_names()
                    .iter()
                    .map(|o| format!("model_error_{o}")),
            );
        }
        for s in 0..self.n_stars() {
            v.extend(
                self.local_inputs
                    .iter()
                    .map(|&i| format!("{}_{s}", space.params()[i].name)),
            );
        }
        v
    }

    /// Every coordinate's prior and transform, in position order (model errors: `None`).
    fn coord(&self, k: usize) -> Option<&Coord> {
        let (g, e) = (self.globals.len(), self.n_errors());
        if k < g {
            Some(&self.globals[k])
        } else if k < g + e {
            None
        } else {
            self.locals.get(k - g - e)
        }
    }

    /// Physical values of an unconstrained position (ε in dex).
    pub fn to_physical(&self, u: &[f64]) -> Vec<f64> {
        (0..u.len())
            .map(|k| match self.coord(k) {
                Some(c) => c.transform.forward(u[k]).x,
                None => u[k].exp(),
            })
            .collect()
    }

    /// The unconstrained position of physical values (the inverse of
    /// [`HierModel::to_physical`]; values on a bound are moved just inside).
    pub fn to_unconstrained(&self, x: &[f64]) -> Vec<f64> {
        (0..x.len())
            .map(|k| match self.coord(k) {
                Some(c) => c.transform.inverse(x[k]),
                None => x[k].max(1e-300).ln(),
            })
            .collect()
    }

    /// A start position: prior means (moved inside the supports) and ε = β.
    pub fn initial_point(&self) -> Vec<f64> {
        let x: Vec<f64> = (0..self.dim())
            .map(|k| match self.coord(k) {
                Some(c) => c.typical(),
                None => self.error_scales.as_ref().map_or(0.01, |b| b[0]),
            })
            .collect();
        self.to_unconstrained(&x)
    }

    /// The sparsity of the Hessian: the shared coordinates couple with everything, each
    /// star's local block only with itself.
    pub fn structure(&self) -> Structure {
        Structure::BlockArrow {
            shared: self.n_shared(),
            block: self.local_inputs.len(),
        }
    }

    /// The per-coordinate prior scales in unconstrained units at `u` (a default metric).
    pub fn prior_scales(&self, u: &[f64]) -> Vec<f64> {
        (0..u.len())
            .map(|k| match self.coord(k) {
                Some(c) => (c.scale() / c.transform.forward(u[k]).dx_dy.abs().max(1e-12)).min(10.0),
                None => 1.0,
            })
            .collect()
    }
}

fn check_shapes(
    sim: &dyn Differentiable,
    prior: &Prior,
    obs: ArrayView2<f64>,
    sigma: ArrayView2<f64>,
) -> Result<(), BaselineError> {
    let m = sim.output_names().len();
    if prior.space().names() != sim.space().names() {
        return Err(ShapeError::new(
            "prior parameters",
            sim.space().names().join(", "),
            prior.space().names().join(", "),
        )
        .into());
    }
    if obs.ncols() != m || sigma.dim() != obs.dim() || obs.nrows() == 0 {
        return Err(ShapeError::new(
            "observations and errors",
            format!("(n ≥ 1, {m}) each ({})", sim.output_names().join(", ")),
            format!("{:?} and {:?}", obs.dim(), sigma.dim()),
        )
        .into());
    }
    if obs.iter().any(|v| !v.is_finite()) || sigma.iter().any(|s| !(s.is_finite() && *s > 0.0)) {
        return Err(BaselineError::Input(
            "observations must be finite and errors finite and positive".into(),
        ));
    }
    if sim.space().n_global() == 0 {
        return Err(BaselineError::Input(format!(
            "{} has no global parameters to share between stars",
            sim.describe()
        )));
    }
    Ok(())
}

fn check_scale(b: f64) -> Result<f64, BaselineError> {
    if b.is_finite() && b > 0.0 {
        Ok(b)
    } else {
        Err(crate::error::OptionError::new("model_error", b, "the scale must be positive").into())
    }
}

impl LogDensity for HierModel<'_> {
    fn dim(&self) -> usize {
        self.n_shared() + self.locals.len()
    }

    fn log_density_grad(&self, u: &[f64], grad: &mut [f64]) -> Result<f64, DensityError> {
        check_dim(self, u, grad)?;
        grad.fill(0.0);
        let (theta, dx, mut lp) = self.decode(u, grad)?;
        let eps2: Vec<f64> = (0..self.n_errors())
            .map(|j| (2.0 * u[self.globals.len() + j]).exp())
            .collect();
        lp += self.error_prior(u, grad);
        let mut ll = 0.0;
        let mut g_err = vec![0.0; eps2.len()];
        let mut cot = |r: usize, x: &[f64], c: &mut [f64]| {
            for (j, (&xj, cj)) in x.iter().zip(c.iter_mut()).enumerate() {
                let e2 = eps2.get(j).copied().unwrap_or(0.0);
                let v = self.var[[r, j]] + e2;
                let res = self.obs[[r, j]] - xj;
                ll -= 0.5 * (res * res / v + v.ln());
                *cj = res / v;
                if let Some(g) = g_err.get_mut(j) {
                    *g += (res * res / (v * v) - 1.0 / v) * e2;
                }
            }
        };
        let (sim, g_theta) = self
            .sim
            .simulate_vjp(theta.view(), &mut cot)
            .map_err(|e| fatal(e.kind(), e))?;
        if let Some(r) = (0..self.n_stars()).find(|&r| !sim.ok(r)) {
            return Err(DensityError::FailedRun(format!(
                "star {r}: {}",
                sim.status[r]
            )));
        }
        let g0 = self.globals.len();
        grad[g0..g0 + g_err.len()]
            .iter_mut()
            .zip(&g_err)
            .for_each(|(g, e)| *g += e);
        self.chain_rule(&g_theta, &dx, grad);
        let total = lp + ll;
        if !total.is_finite() || grad.iter().any(|g| !g.is_finite()) {
            return Err(DensityError::FailedRun(
                "the log density is not finite here".into(),
            ));
        }
        Ok(total)
    }
}

impl HierModel<'_> {
    /// The simulator inputs `(n_stars, n_inputs)`, dx/du of every transformed coordinate
    /// (globals, then locals), and the prior terms (their gradients written into `grad`).
    fn decode(
        &self,
        u: &[f64],
        grad: &mut [f64],
    ) -> Result<(Array2<f64>, Vec<f64>, f64), DensityError> {
        let n = self.n_stars();
        let (g, l, e) = (self.globals.len(), self.local_inputs.len(), self.n_errors());
        let mut theta = Array2::zeros((n, self.sim.space().dim()));
        let mut dx = Vec::with_capacity(g + n * l);
        let mut lp = 0.0;
        for (k, c) in self.globals.iter().enumerate() {
            let v = c.eval(u[k]);
            theta.column_mut(self.global_inputs[k]).fill(v.x);
            (lp, grad[k]) = (lp + v.log_density, v.grad);
            dx.push(v.dx_dy);
        }
        for (k, c) in self.locals.iter().enumerate() {
            let v = c.eval(u[g + e + k]);
            theta[[k / l, self.local_inputs[k % l]]] = v.x;
            (lp, grad[g + e + k]) = (lp + v.log_density, v.grad);
            dx.push(v.dx_dy);
        }
        if !lp.is_finite() {
            return Err(DensityError::OutsideDomain(
                "a parameter is outside its support".into(),
            ));
        }
        Ok((theta, dx, lp))
    }

    /// log HalfCauchy(ε; β) + ln ε for every model error (ε = e^v), gradients into `grad`.
    fn error_prior(&self, u: &[f64], grad: &mut [f64]) -> f64 {
        let Some(betas) = &self.error_scales else {
            return 0.0;
        };
        let g0 = self.globals.len();
        let mut lp = 0.0;
        for (j, &b) in betas.iter().enumerate() {
            let v = u[g0 + j];
            let t2 = (2.0 * v).exp() / (b * b);
            lp += (2.0 / (PI * b)).ln() - t2.ln_1p() + v;
            grad[g0 + j] += 1.0 - 2.0 * t2 / (1.0 + t2);
        }
        lp
    }

    /// Adds the likelihood's gradient with respect to the simulator inputs `g_theta`
    /// `(n_stars, n_inputs)` into `grad` through the transforms (`dx` as from `decode`).
    fn chain_rule(&self, g_theta: &Array2<f64>, dx: &[f64], grad: &mut [f64]) {
        let (g, l, e) = (self.globals.len(), self.local_inputs.len(), self.n_errors());
        for (k, &input) in self.global_inputs.iter().enumerate() {
            grad[k] += g_theta.column(input).sum() * dx[k];
        }
        for s in 0..self.n_stars() {
            for (k, &input) in self.local_inputs.iter().enumerate() {
                let idx = s * l + k;
                grad[g + e + idx] += g_theta[[s, input]] * dx[g + idx];
            }
        }
    }
}

fn fatal(kind: ErrorKind, e: impl ToString) -> DensityError {
    DensityError::Fatal {
        kind,
        message: e.to_string(),
    }
}
