//! The conditional masked autoregressive flow: structure, density (forward direction) and
//! hand-written back-propagation of the log-density (spec A.1.2, A.1.4).
//!
//! ```text
//! u⁰ = (θ − μθ)/σθ ;  L = −Σ_d ln σθ_d
//! for k = 1 … K:
//!     (s̃, t) = MADE_k(u^{k−1}, x̃) ;  s = softplus(s̃) + 10⁻³
//!     v = s ⊙ u^{k−1} + t ;  L += Σ_i ln s_i
//!     u^k_j = v_{π_k(j)}
//! log q(θ | x) = −½ ‖u^K‖² − (D/2) ln 2π + L
//! ```
//!
//! Arrays are row-major `(n_rows, n_features)`. The networks compute in f32; the
//! standardisation statistics and the public interfaces are f64.

use super::error::FlowError;
use super::made::{Made, MadeShape};
use super::permutation::Permutation;
use super::standardize::log_scale_sum;
use crate::error::Vocabulary;
use crate::nn::Activation;
use crate::nn::ParamLayout;
use crate::nn::Scaler;
use serde::{Deserialize, Serialize};

/// ln(2π).
const LN_2PI: f64 = 1.837_877_066_409_345_5;

/// Architecture of the flow. Defaults: hidden 8, 4 transforms, 2 blocks, tanh, every
/// dimension conditioned on x.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FlowConfig {
    /// Hidden width of every MADE layer.
    pub hidden: usize,
    /// Number of affine autoregressive transforms K.
    pub transforms: usize,
    /// Number of masked hidden→hidden blocks per MADE.
    pub blocks: usize,
    /// Hidden activation.
    pub activation: Activation,
    /// Reproduce the reference exactly (spec A.1.3): the first feature of every transform is
    /// not conditioned on x.
    pub paper: bool,
    /// Seed of the initial weights and of the permutations.
    pub seed: u64,
}

impl Default for FlowConfig {
    fn default() -> Self {
        FlowConfig {
            hidden: 8,
            transforms: 4,
            blocks: 2,
            activation: Activation::Tanh,
            paper: false,
            seed: crate::rng::DEFAULT_SEED,
        }
    }
}

impl FlowConfig {
    /// Checks the sizes.
    pub fn validate(&self) -> Result<(), FlowError> {
        if self.hidden == 0 {
            return Err(FlowError::option(
                "hidden",
                self.hidden,
                "must be at least 1",
            ));
        }
        if self.transforms == 0 {
            return Err(FlowError::option(
                "transforms",
                self.transforms,
                "must be at least 1",
            ));
        }
        if self.hidden > 4096 || self.transforms > 64 || self.blocks > 64 {
            return Err(FlowError::option(
                "hidden/transforms/blocks",
                format!("{}/{}/{}", self.hidden, self.transforms, self.blocks),
                "unreasonably large (limits 4096/64/64)",
            ));
        }
        Ok(())
    }
}

/// A conditional MAF q(θ | x) with its standardisations and parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct Maf {
    pub(crate) config: FlowConfig,
    pub(crate) d: usize,
    pub(crate) c: usize,
    pub(crate) theta_std: Scaler,
    pub(crate) x_std: Scaler,
    pub(crate) mades: Vec<Made>,
    pub(crate) perms: Vec<Permutation>,
    pub(crate) params: Vec<f32>,
}

impl Maf {
    /// A freshly initialised flow for θ of dimension `theta_std.dim()` and x of dimension
    /// `x_std.dim()`, with the given (fitted) standardisations.
    pub fn new(config: FlowConfig, theta_std: Scaler, x_std: Scaler) -> Result<Maf, FlowError> {
        config.validate()?;
        let d = theta_std.dim();
        let c = x_std.dim();
        if d == 0 {
            return Err(FlowError::option(
                "theta dimension",
                d,
                "must be at least 1",
            ));
        }
        let mut rng = crate::rng::stream(config.seed, 0);
        let mut prng = crate::rng::stream(config.seed, 1);
        let (mades, perms, n) = Self::structure(&config, d, c, Some(&mut prng))?;
        let mut params = vec![0.0f32; n];
        for m in &mades {
            m.init(&mut params, &mut rng);
        }
        Ok(Maf {
            config,
            d,
            c,
            theta_std,
            x_std,
            mades,
            perms,
            params,
        })
    }

    /// The layers for a configuration; permutations drawn from `prng`, or identities.
    pub(crate) fn structure(
        config: &FlowConfig,
        d: usize,
        c: usize,
        prng: Option<&mut crate::rng::Rng>,
    ) -> Result<(Vec<Made>, Vec<Permutation>, usize), FlowError> {
        let shape = MadeShape {
            d,
            h: config.hidden,
            c,
            blocks: config.blocks,
            paper: config.paper,
        };
        let mut layout = ParamLayout::new();
        let mades: Vec<Made> = (0..config.transforms)
            .map(|_| Made::new(&mut layout, shape, config.activation))
            .collect();
        let perms = match prng {
            Some(r) => (0..config.transforms)
                .map(|_| Permutation::random(d, r))
                .collect(),
            None => vec![Permutation::identity(d); config.transforms],
        };
        Ok((mades, perms, layout.len()))
    }

    /// The architecture.
    pub fn config(&self) -> &FlowConfig {
        &self.config
    }

    /// Dimension of θ.
    pub fn theta_dim(&self) -> usize {
        self.d
    }

    /// Dimension of x.
    pub fn x_dim(&self) -> usize {
        self.c
    }

    /// The flat parameter vector.
    pub fn params(&self) -> &[f32] {
        &self.params
    }

    /// Replaces the parameters (length must match; masked weights are re-zeroed).
    pub fn set_params(&mut self, p: &[f32]) -> Result<(), FlowError> {
        if p.len() != self.params.len() {
            return Err(FlowError::shape(
                "flow parameters",
                self.params.len().to_string(),
                p.len().to_string(),
            ));
        }
        self.params.copy_from_slice(p);
        for m in &self.mades {
            m.apply_masks(&mut self.params);
        }
        Ok(())
    }

    /// The standardisation of θ.
    pub fn theta_standardizer(&self) -> &Scaler {
        &self.theta_std
    }

    /// The standardisation of x.
    pub fn x_standardizer(&self) -> &Scaler {
        &self.x_std
    }

    /// The MADEs.
    pub fn mades(&self) -> &[Made] {
        &self.mades
    }

    /// The permutations.
    pub fn permutations(&self) -> &[Permutation] {
        &self.perms
    }

    /// Constant part of log q: −Σ ln σθ − (D/2) ln 2π.
    pub(crate) fn log_const(&self) -> f64 {
        -log_scale_sum(&self.theta_std) - 0.5 * self.d as f64 * LN_2PI
    }

    pub(crate) fn check_dims(
        &self,
        theta: (usize, usize),
        x: (usize, usize),
    ) -> Result<(), FlowError> {
        if theta.1 != self.d {
            return Err(FlowError::shape(
                "theta",
                format!("(n, {})", self.d),
                format!("{theta:?}"),
            ));
        }
        if x.1 != self.c || x.0 != theta.0 {
            return Err(FlowError::shape(
                "x",
                format!("({}, {})", theta.0, self.c),
                format!("{x:?}"),
            ));
        }
        Ok(())
    }
}
