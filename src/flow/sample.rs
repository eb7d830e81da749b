//! Sampling q(θ | x): standard-normal draws pushed through the inverse transforms (spec
//! A.1.5) with the exact incremental inverse of [`super::inverse`].
//!
//! ```text
//! z ~ N(0, I_D)
//! for k = K … 1:  v_{π_k(j)} = z_j ;  z = MADE_k⁻¹(v; x̃)
//! θ = σθ ⊙ z + μθ
//! ```
//!
//! The context terms of every transform depend only on the observation: [`Sampler::condition`]
//! computes them once, then any number of draws reuse them.

use super::error::FlowError;
use super::inverse::{InversePlan, InverseWorkspace};
use super::maf::Maf;
use super::standardize::row_f32;
use crate::error::Vocabulary;
use crate::rng::Rng;
use ndarray::{Array2, ArrayView1, ArrayView2};
use rand_distr::{Distribution, StandardNormal};

/// Samples are generated in chunks of this many (structure-of-arrays buffers stay in cache).
const CHUNK: usize = 256;

/// A flow prepared for sampling (the unmasked connections of every MADE extracted).
#[derive(Debug, Clone)]
pub struct Sampler<'a> {
    maf: &'a Maf,
    plans: Vec<InversePlan>,
}

/// The per-observation state: `b₀ + act(W_c x̃ + b_c)` of every transform.
#[derive(Debug, Clone, PartialEq)]
pub struct Conditioned {
    bases: Vec<Vec<f32>>,
}

/// Scratch buffers of one sampling thread.
#[derive(Debug, Default, Clone)]
pub struct SampleWorkspace {
    a: Vec<f32>,
    b: Vec<f32>,
    inv: InverseWorkspace,
}

impl<'a> Sampler<'a> {
    /// Prepares `maf` for sampling.
    pub fn new(maf: &'a Maf) -> Self {
        let plans = maf
            .mades
            .iter()
            .map(|m| InversePlan::new(m, &maf.params))
            .collect();
        Sampler { maf, plans }
    }

    /// The flow.
    pub fn maf(&self) -> &Maf {
        self.maf
    }

    /// Precomputes the context terms for the observation `x` (length C, raw units).
    pub fn condition(&self, x: &[f64]) -> Conditioned {
        let xs = row_f32(&self.maf.x_std, x);
        Conditioned {
            bases: self
                .maf
                .mades
                .iter()
                .map(|m| m.context_base(&self.maf.params, &xs))
                .collect(),
        }
    }

    /// Draws `k` samples of θ (raw units) for the conditioned observation into `out`
    /// (row-major `(k, D)`), using `rng` for the base draws.
    pub fn draw(
        &self,
        cond: &Conditioned,
        k: usize,
        rng: &mut Rng,
        out: &mut [f64],
        ws: &mut SampleWorkspace,
    ) {
        let d = self.maf.d;
        let mut done = 0;
        while done < k {
            let m = CHUNK.min(k - done);
            self.draw_chunk(cond, m, rng, &mut out[done * d..(done + m) * d], ws);
            done += m;
        }
    }

    fn draw_chunk(
        &self,
        cond: &Conditioned,
        m: usize,
        rng: &mut Rng,
        out: &mut [f64],
        ws: &mut SampleWorkspace,
    ) {
        let d = self.maf.d;
        ws.a.resize(d * m, 0.0);
        // base draws, sample-major order (sample s, feature i) stored SoA
        for s in 0..m {
            for i in 0..d {
                ws.a[i * m + s] = StandardNormal.sample(rng);
            }
        }
        self.push_base_soa(cond, m, out, ws);
    }

    /// Pushes base points `ws.a` (SoA `(D, m)`) through the inverse transforms into `out`
    /// (row-major `(m, D)`, raw θ units).
    fn push_base_soa(
        &self,
        cond: &Conditioned,
        m: usize,
        out: &mut [f64],
        ws: &mut SampleWorkspace,
    ) {
        let d = self.maf.d;
        ws.b.resize(d * m, 0.0);
        for k in (0..self.plans.len()).rev() {
            // v_{π(j)} = z_j
            for (j, &p) in self.maf.perms[k].indices().iter().enumerate() {
                ws.b[p * m..(p + 1) * m].copy_from_slice(&ws.a[j * m..(j + 1) * m]);
            }
            self.plans[k].invert(&cond.bases[k], &ws.b, &mut ws.a, m, &mut ws.inv);
        }
        let st = &self.maf.theta_std;
        for s in 0..m {
            for i in 0..d {
                out[s * d + i] = st.mean[i] + st.std[i] * f64::from(ws.a[i * m + s]);
            }
        }
    }
}

impl Maf {
    /// The inverse of the flow for one observation: base points `z` `(n, D)` → θ `(n, D)`
    /// (what [`Maf::sample`] does to its standard-normal draws).
    pub fn transform_from_base(
        &self,
        z: ArrayView2<f64>,
        x: ArrayView1<f64>,
    ) -> Result<Array2<f64>, FlowError> {
        self.check_x(x.len())?;
        if z.ncols() != self.d {
            return Err(FlowError::shape(
                "base points",
                format!("(n, {})", self.d),
                format!("{:?}", z.dim()),
            ));
        }
        let sampler = Sampler::new(self);
        let cond = sampler.condition(&x.to_vec());
        let n = z.nrows();
        let mut out = vec![0.0; n * self.d];
        let mut ws = SampleWorkspace {
            a: Array2::from_shape_fn((self.d, n), |(i, s)| z[[s, i]] as f32)
                .into_raw_vec_and_offset()
                .0,
            ..Default::default()
        };
        sampler.push_base_soa(&cond, n, &mut out, &mut ws);
        Array2::from_shape_vec((n, self.d), out)
            .map_err(|e| FlowError::shape("θ", format!("({n}, {})", self.d), e.to_string()))
    }

    fn check_x(&self, len: usize) -> Result<(), FlowError> {
        if len != self.c {
            return Err(FlowError::shape(
                "x",
                format!("({},)", self.c),
                format!("({len},)"),
            ));
        }
        Ok(())
    }

    /// `n` samples of q(θ | x) for one observation `x` (length C), shape `(n, D)`, without
    /// any support restriction (see [`crate::infer::NeuralPosterior`] for the prior-truncated
    /// posterior). Same seed ⇒ same samples.
    pub fn sample(
        &self,
        x: ArrayView1<f64>,
        n: usize,
        seed: u64,
    ) -> Result<Array2<f64>, FlowError> {
        self.check_x(x.len())?;
        let sampler = Sampler::new(self);
        let xv: Vec<f64> = x.iter().copied().collect();
        let cond = sampler.condition(&xv);
        let mut out = vec![0.0; n * self.d];
        let mut rng = crate::rng::rng(seed);
        sampler.draw(
            &cond,
            n,
            &mut rng,
            &mut out,
            &mut SampleWorkspace::default(),
        );
        Array2::from_shape_vec((n, self.d), out)
            .map_err(|e| FlowError::shape("samples", format!("({n}, {})", self.d), e.to_string()))
    }
}
