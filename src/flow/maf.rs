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

use super::act;
use super::error::FlowError;
use super::made::{Made, MadeShape, SCALE_EPS};
use super::permutation::Permutation;
use super::standardize::log_scale_sum;
use crate::nn::activation::Activation;
use crate::nn::params::ParamLayout;
use crate::nn::Scaler;
use ndarray::{s, Array2, ArrayView2};
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
            return Err(FlowError::Shape {
                what: "flow parameters".into(),
                expected: self.params.len().to_string(),
                found: p.len().to_string(),
            });
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

    /// log q(θ | x) for every row, shape `(n,)`; `theta` `(n, D)`, `x` `(n, C)`.
    /// Rows are processed in parallel chunks.
    pub fn log_prob(
        &self,
        theta: ArrayView2<f64>,
        x: ArrayView2<f64>,
    ) -> Result<Vec<f64>, FlowError> {
        self.check_dims(theta.dim(), x.dim())?;
        let ts = self.theta_std.transform_f32(theta)?;
        let xs = self.x_std.transform_f32(x)?;
        Ok(self.log_prob_standardized(ts.view(), xs.view()))
    }

    /// The forward (density) direction of the flow: θ `(n, D)` with x `(n, C)` → the base
    /// points u^K `(n, D)` (standard normal when θ ~ q(θ | x)).
    pub fn transform_to_base(
        &self,
        theta: ArrayView2<f64>,
        x: ArrayView2<f64>,
    ) -> Result<Array2<f64>, FlowError> {
        self.check_dims(theta.dim(), x.dim())?;
        let ts = self.theta_std.transform_f32(theta)?;
        let xs = self.x_std.transform_f32(x)?;
        let n = ts.nrows();
        let mut out = Array2::zeros((n, self.d));
        let mut cache = Cache::new(self, n.max(1));
        self.forward(&self.params, ts.view(), xs.view(), &mut cache);
        let uk = &cache.u[self.mades.len()];
        out.zip_mut_with(&uk.slice(s![..n, ..]), |o, &v| *o = f64::from(v));
        Ok(out)
    }

    /// log q for already standardised f32 inputs (rows in parallel chunks of 256).
    pub(crate) fn log_prob_standardized(
        &self,
        ts: ArrayView2<f32>,
        xs: ArrayView2<f32>,
    ) -> Vec<f64> {
        use rayon::prelude::*;
        const CHUNK: usize = 256;
        let n = ts.nrows();
        let starts: Vec<usize> = (0..n).step_by(CHUNK).collect();
        let parts: Vec<Vec<f64>> = starts
            .par_iter()
            .map_init(
                || Cache::new(self, CHUNK),
                |cache, &a| {
                    let b = (a + CHUNK).min(n);
                    self.forward(
                        &self.params,
                        ts.slice(s![a..b, ..]),
                        xs.slice(s![a..b, ..]),
                        cache,
                    );
                    cache.log_q[..b - a].to_vec()
                },
            )
            .collect();
        parts.concat()
    }

    pub(crate) fn check_dims(
        &self,
        theta: (usize, usize),
        x: (usize, usize),
    ) -> Result<(), FlowError> {
        if theta.1 != self.d {
            return Err(FlowError::Shape {
                what: "theta".into(),
                expected: format!("(n, {})", self.d),
                found: format!("{theta:?}"),
            });
        }
        if x.1 != self.c || x.0 != theta.0 {
            return Err(FlowError::Shape {
                what: "x".into(),
                expected: format!("({}, {})", theta.0, self.c),
                found: format!("{x:?}"),
            });
        }
        Ok(())
    }

    /// Forward pass for standardised rows `ts` `(n, D)`, `xs` `(n, C)` with parameters
    /// `params`; fills `cache` (activations for back-propagation) and `cache.log_q`.
    pub(crate) fn forward(
        &self,
        params: &[f32],
        ts: ArrayView2<f32>,
        xs: ArrayView2<f32>,
        cache: &mut Cache,
    ) {
        let n = ts.nrows();
        cache.ensure(n);
        cache.xs.slice_mut(s![..n, ..]).assign(&xs);
        cache.u[0].slice_mut(s![..n, ..]).assign(&ts);
        self.forward_cached(params, n, cache);
    }

    /// [`Maf::forward`] on inputs already in `cache` (rows of [`Cache::inputs_mut`]).
    pub(crate) fn forward_cached(&self, params: &[f32], n: usize, cache: &mut Cache) {
        cache.ensure(n);
        let d = self.d;
        let lc = self.log_const();
        let mut logdet = vec![0.0f32; n];
        for (k, made) in self.mades.iter().enumerate() {
            let lay = &mut cache.layers[k];
            let act_fn = made.activation;
            made.context.forward(
                params,
                cache.xs.slice(s![..n, ..]),
                lay.ctx.slice_mut(s![..n, ..]),
            );
            act_fn.apply(rows_mut(&mut lay.ctx, n));
            made.input.forward(
                params,
                cache.u[k].slice(s![..n, ..]),
                lay.hid[0].slice_mut(s![..n, ..]),
            );
            {
                let h0 = rows_mut(&mut lay.hid[0], n);
                let c = &lay.ctx.as_slice().unwrap_or(&[])[..h0.len()];
                h0.iter_mut().zip(c).for_each(|(a, c)| *a += c);
                act_fn.apply(h0);
            }
            for (l, b) in made.blocks.iter().enumerate() {
                let (prev, next) = lay.hid.split_at_mut(l + 1);
                b.forward(
                    params,
                    prev[l].slice(s![..n, ..]),
                    next[0].slice_mut(s![..n, ..]),
                );
                act_fn.apply(rows_mut(&mut next[0], n));
            }
            let last = lay.hid.len() - 1;
            made.output.forward(
                params,
                lay.hid[last].slice(s![..n, ..]),
                cache.o.slice_mut(s![..n, ..]),
            );
            let (uk, un) = cache.u.split_at_mut(k + 1);
            let u = rows(&uk[k], n);
            let next = rows_mut(&mut un[0], n);
            let o = rows(&cache.o, n);
            let st = rows_mut(&mut lay.st, n);
            st.iter_mut()
                .zip(o.chunks_exact(2))
                .for_each(|(s, o)| *s = o[0]);
            let sc = rows_mut(&mut lay.s, n);
            sc.iter_mut()
                .zip(st.iter())
                .for_each(|(s, &t)| *s = act::softplus(t) + SCALE_EPS);
            // v = s ⊙ u + t (into the scratch buffer), ln s into its own buffer
            let v = &mut cache.v[..n * d];
            v.iter_mut()
                .zip(sc.iter().zip(u))
                .zip(o.chunks_exact(2))
                .for_each(|((v, (&s, &u)), o)| *v = s * u + o[1]);
            let lns = &mut cache.lns[..n * d];
            lns.iter_mut()
                .zip(sc.iter())
                .for_each(|(l, &s)| *l = act::ln(s));
            let perm = self.perms[k].indices();
            for r in 0..n {
                logdet[r] += lns[r * d..(r + 1) * d].iter().sum::<f32>();
                let vr = &v[r * d..(r + 1) * d];
                for (nx, &p) in next[r * d..(r + 1) * d].iter_mut().zip(perm) {
                    *nx = vr[p];
                }
            }
        }
        let uk = &cache.u[self.mades.len()];
        for (r, (lq, &ld)) in cache.log_q[..n].iter_mut().zip(&logdet).enumerate() {
            let sq: f32 = uk.row(r).iter().map(|z| z * z).sum();
            *lq = lc + f64::from(ld) - 0.5 * f64::from(sq);
        }
    }

    /// Back-propagation after [`Maf::forward`] on the same rows: **adds** to `grad` the
    /// gradient of `scale · Σ_rows (−log q)` with respect to the parameters.
    pub(crate) fn backward(&self, params: &[f32], scale: f32, grad: &mut [f32], cache: &mut Cache) {
        let n = cache.n;
        let d = self.d;
        let kk = self.mades.len();
        // ∂(−log q)/∂u^K = u^K
        rows_mut(&mut cache.du, n)
            .iter_mut()
            .zip(rows(&cache.u[kk], n))
            .for_each(|(g, &z)| *g = scale * z);
        for k in (0..kk).rev() {
            let made = &self.mades[k];
            let act_fn = made.activation;
            let lay = &mut cache.layers[k];
            let perm = self.perms[k].indices();
            // through the permutation: v_{π(j)} ← u^{k+1}_j
            {
                let dv = rows_mut(&mut cache.dv, n);
                for (dvr, dur) in dv
                    .chunks_exact_mut(d)
                    .zip(rows(&cache.du, n).chunks_exact(d))
                {
                    for (&g, &p) in dur.iter().zip(perm) {
                        dvr[p] = g;
                    }
                }
            }
            // through the affine map and −Σ ln s:
            // ∂/∂s̃ = (dv·u − scale/s)·sigmoid(s̃), ∂/∂t = dv
            let u = &cache.u[k];
            let dv = rows(&cache.dv, n);
            let sg = &mut cache.v[..n * d];
            sg.iter_mut()
                .zip(rows(&lay.st, n))
                .for_each(|(g, &t)| *g = act::sigmoid(t));
            let d_o = rows_mut(&mut cache.d_o, n);
            for ((((o, &dv), &u), &sc), &g) in d_o
                .chunks_exact_mut(2)
                .zip(dv)
                .zip(rows(u, n))
                .zip(rows(&lay.s, n))
                .zip(sg.iter())
            {
                o[0] = (dv * u - scale / sc) * g;
                o[1] = dv;
            }
            let last = lay.hid.len() - 1;
            made.output.backward(
                params,
                lay.hid[last].slice(s![..n, ..]),
                cache.d_o.slice(s![..n, ..]),
                grad,
                Some(cache.dh.slice_mut(s![..n, ..])),
            );
            for l in (0..made.blocks.len()).rev() {
                act_fn.backprop(rows(&lay.hid[l + 1], n), rows_mut(&mut cache.dh, n));
                made.blocks[l].backward(
                    params,
                    lay.hid[l].slice(s![..n, ..]),
                    cache.dh.slice(s![..n, ..]),
                    grad,
                    Some(cache.dh2.slice_mut(s![..n, ..])),
                );
                std::mem::swap(&mut cache.dh, &mut cache.dh2);
            }
            act_fn.backprop(rows(&lay.hid[0], n), rows_mut(&mut cache.dh, n));
            // context branch: d(act(W_c x̃ + b_c)) = dh ⊙ act'
            {
                let m = n * made.shape.h;
                let dc = &mut cache.dh2.as_slice_mut().unwrap_or(&mut [])[..m];
                dc.copy_from_slice(rows(&cache.dh, n));
                act_fn.backprop(rows(&lay.ctx, n), dc);
            }
            made.context.backward(
                params,
                cache.xs.slice(s![..n, ..]),
                cache.dh2.slice(s![..n, ..]),
                grad,
                None,
            );
            if k == 0 {
                made.input.backward(
                    params,
                    u.slice(s![..n, ..]),
                    cache.dh.slice(s![..n, ..]),
                    grad,
                    None,
                );
            } else {
                made.input.backward(
                    params,
                    u.slice(s![..n, ..]),
                    cache.dh.slice(s![..n, ..]),
                    grad,
                    Some(cache.du.slice_mut(s![..n, ..])),
                );
                // du = dv ⊙ s + (through the MADE input)
                rows_mut(&mut cache.du, n)
                    .iter_mut()
                    .zip(rows(&cache.dv, n))
                    .zip(rows(&lay.s, n))
                    .for_each(|((g, &dv), &sc)| *g += dv * sc);
            }
        }
    }
}

/// The first `n` rows of a standard-layout array as a slice.
fn rows(a: &Array2<f32>, n: usize) -> &[f32] {
    let m = n * a.ncols();
    &a.as_slice().unwrap_or(&[])[..m]
}

/// Mutable form of [`rows`].
fn rows_mut(a: &mut Array2<f32>, n: usize) -> &mut [f32] {
    let m = n * a.ncols();
    &mut a.as_slice_mut().unwrap_or(&mut [])[..m]
}

/// Activations of one transform.
#[derive(Debug, Clone)]
pub(crate) struct LayerCache {
    /// act(x̃ W_c + b_c), `(cap, h)`.
    ctx: Array2<f32>,
    /// Hidden activations, `blocks + 1` arrays `(cap, h)`.
    hid: Vec<Array2<f32>>,
    /// Unconstrained scales s̃, `(cap, D)`.
    st: Array2<f32>,
    /// Scales s = softplus(s̃) + 1e-3, `(cap, D)`.
    s: Array2<f32>,
}

/// Preallocated buffers of the forward and backward passes for up to `cap` rows.
#[derive(Debug, Clone)]
pub(crate) struct Cache {
    cap: usize,
    /// Rows of the last forward pass.
    pub(crate) n: usize,
    xs: Array2<f32>,
    /// Flow states u⁰ … u^K, `(cap, D)` each.
    u: Vec<Array2<f32>>,
    layers: Vec<LayerCache>,
    o: Array2<f32>,
    /// log q of each row of the last forward pass.
    pub(crate) log_q: Vec<f64>,
    /// Scratch `(cap·D)`: v in the forward pass, sigmoid(s̃) in the backward pass.
    v: Vec<f32>,
    /// Scratch `(cap·D)`: ln s.
    lns: Vec<f32>,
    du: Array2<f32>,
    dv: Array2<f32>,
    d_o: Array2<f32>,
    dh: Array2<f32>,
    dh2: Array2<f32>,
}

impl Cache {
    pub(crate) fn new(maf: &Maf, cap: usize) -> Self {
        let (d, c, h) = (maf.d, maf.c, maf.config.hidden);
        let z = |cols: usize| Array2::<f32>::zeros((cap, cols));
        Cache {
            cap,
            n: 0,
            xs: z(c),
            u: (0..=maf.mades.len()).map(|_| z(d)).collect(),
            layers: maf
                .mades
                .iter()
                .map(|m| LayerCache {
                    ctx: z(h),
                    hid: (0..=m.blocks.len()).map(|_| z(h)).collect(),
                    st: z(d),
                    s: z(d),
                })
                .collect(),
            o: z(2 * d),
            log_q: vec![0.0; cap],
            v: vec![0.0; cap * d],
            lns: vec![0.0; cap * d],
            du: z(d),
            dv: z(d),
            d_o: z(2 * d),
            dh: z(h),
            dh2: z(h),
        }
    }

    /// The standardised θ `(n·D)` and x `(n·C)` input buffers of the next forward pass.
    pub(crate) fn inputs_mut(&mut self, n: usize) -> (&mut [f32], &mut [f32]) {
        (rows_mut(&mut self.u[0], n), rows_mut(&mut self.xs, n))
    }

    fn ensure(&mut self, n: usize) {
        assert!(
            n <= self.cap,
            "flow cache of {} rows used for {n}",
            self.cap
        );
        self.n = n;
    }
}
