//! Refinement of single-star posteriors by importance sampling (see [`super::importance`]):
//! a proposal's draws for a star (normally the flow's) are reweighted to the exact
//! posterior of a simulator (CHEMPY or an emulator) with the star's own observational
//! errors. The refined per-star summaries and Gaussian fits then feed the usual
//! combination, which removes the flow's approximation error from the multi-star estimate
//! (its per-star biases add up over thousands of stars).

use super::importance::importance_weights;
use crate::error::Vocabulary;
use crate::infer::error::InferError;
use crate::model::{ModelError, NoiseModel, ParamSpace, Posterior, Prior, Simulator};
use crate::stats::Draws;
use ndarray::Array2;

/// A proposal posterior with a density and the simulator whose likelihood refines it.
#[derive(Clone, Copy)]
pub struct Refiner<'a> {
    proposal: &'a dyn Posterior,
    sim: &'a dyn Simulator,
    /// The proposal's model-error scale (dex), marginalised in the likelihood.
    model_error: Option<f64>,
}

impl<'a> Refiner<'a> {
    /// Refinement of `proposal`'s draws with the likelihood of `sim`: the simulator's inputs
    /// must be the posterior's parameters and its outputs the posterior's observables.
    pub fn new(proposal: &'a dyn Posterior, sim: &'a dyn Simulator) -> Result<Self, InferError> {
        if sim.space().names() != proposal.space().names() {
            return Err(InferError::shape(
                format!("inputs of the refining simulator {}", sim.describe()),
                proposal.space().names().join(", "),
                sim.space().names().join(", "),
            ));
        }
        if sim.output_names() != proposal.observables() {
            return Err(InferError::shape(
                format!("outputs of the refining simulator {}", sim.describe()),
                proposal.observables().join(", "),
                sim.output_names().join(", "),
            ));
        }
        let model_error = proposal.noise().and_then(|n| n.model_error);
        Ok(Refiner {
            proposal,
            sim,
            model_error,
        })
    }

    /// The simulator's description.
    pub fn simulator(&self) -> String {
        self.sim.describe()
    }

    /// The proposal's draws `draws` for the observation `x` with errors `sigma` (dex, one
    /// per observable), importance-weighted to the exact posterior. Costs one simulation
    /// per draw.
    pub fn refine(&self, x: &[f64], sigma: &[f64], draws: &Draws) -> Result<Draws, InferError> {
        let xs = Array2::from_shape_fn((draws.n(), x.len()), |(_, j)| x[j]);
        let log_q = self
            .proposal
            .log_prob(draws.values(), xs.view())
            .ok_or_else(|| {
                InferError::option(
                    "refine",
                    self.proposal.describe(),
                    "refinement needs a posterior with a density (log_prob)",
                )
            })??;
        let w = importance_weights(
            self.proposal.prior(),
            self.sim,
            x,
            sigma,
            self.model_error,
            draws.values(),
            &log_q,
        )?;
        // draws kept inside the prior support come from q / acceptance, not q: the
        // evidence of the untruncated density is `acceptance` times too small
        Ok(match (draws.acceptance(), w.log_evidence()) {
            (Some(a), Some(z)) if a > 0.0 => w.with_acceptance(a).with_log_evidence(z + a.ln()),
            (Some(a), _) => w.with_acceptance(a),
            (None, _) => w,
        })
    }
}

/// A proposal posterior refined by importance sampling with a fixed noise model: the
/// weighted draws of the exact posterior of a simulator, as a [`Posterior`].
pub struct RefinedPosterior<'a> {
    refiner: Refiner<'a>,
    noise: NoiseModel,
}

impl<'a> RefinedPosterior<'a> {
    /// `proposal` refined with `sim` and observation errors `noise` (one σ per observable).
    pub fn new(
        proposal: &'a dyn Posterior,
        sim: &'a dyn Simulator,
        noise: NoiseModel,
    ) -> Result<Self, InferError> {
        noise
            .validate(proposal.observables().len())
            .map_err(|e| InferError::option("noise", format!("{:?}", noise.sigma), e))?;
        Ok(RefinedPosterior {
            refiner: Refiner::new(proposal, sim)?,
            noise,
        })
    }
}

impl Posterior for RefinedPosterior<'_> {
    fn describe(&self) -> String {
        format!(
            "{} refined with {}",
            self.refiner.proposal.describe(),
            self.refiner.simulator()
        )
    }

    fn space(&self) -> &ParamSpace {
        self.refiner.proposal.space()
    }

    fn observables(&self) -> &[String] {
        self.refiner.proposal.observables()
    }

    fn prior(&self) -> &Prior {
        self.refiner.proposal.prior()
    }

    fn noise(&self) -> Option<&NoiseModel> {
        Some(&self.noise)
    }

    /// The proposal's `n` draws with the same seed, weighted (their effective sample size is
    /// below `n`).
    fn sample(&self, x: &[f64], n: usize, seed: u64) -> Result<Draws, ModelError> {
        let draws = self.refiner.proposal.sample(x, n, seed)?;
        Ok(self.refiner.refine(x, &self.noise.sigma, &draws)?)
    }
}
