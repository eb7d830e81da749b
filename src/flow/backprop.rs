//! The flow's cached forward pass and its hand-written back-propagation (spec A.1.2, A.1.4):
//! per transform k, the MADE computes (s̃, t) from (u^{k−1}, x̃), then the affine map
//! v = s ⊙ u^{k−1} + t with s = softplus(s̃) + 10⁻³ and the permutation u^k_j = v_{π_k(j)}.
//! Backward runs the same steps in reverse, accumulating ∂(−log q)/∂params.
//!
//! All buffers are row-major `(rows, features)` f32 arrays held in a [`Cache`] sized once
//! for the largest batch.

use super::act;
use super::made::SCALE_EPS;
use super::maf::Maf;
use ndarray::{s, Array2, ArrayView2};

impl Maf {
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
        let mut logdet = vec![0.0f32; n];
        for k in 0..self.mades.len() {
            self.made_forward(k, params, n, cache);
            self.affine_forward(k, n, cache, &mut logdet);
        }
        let lc = self.log_const();
        let uk = &cache.u[self.mades.len()];
        for (r, (lq, &ld)) in cache.log_q[..n].iter_mut().zip(&logdet).enumerate() {
            let sq: f32 = uk.row(r).iter().map(|z| z * z).sum();
            *lq = lc + f64::from(ld) - 0.5 * f64::from(sq);
        }
    }

    /// MADE k on (u^k, x̃): hidden activations into `cache.layers[k]`, the outputs
    /// (s̃, t) interleaved into `cache.o` `(n, 2D)`.
    fn made_forward(&self, k: usize, params: &[f32], n: usize, cache: &mut Cache) {
        let made = &self.mades[k];
        let act_fn = made.activation;
        let lay = &mut cache.layers[k];
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
    }

    /// The affine map and permutation of transform k: u^{k+1} from u^k and `cache.o`;
    /// adds Σ_i ln s_i of every row to `logdet` `(n)`.
    fn affine_forward(&self, k: usize, n: usize, cache: &mut Cache, logdet: &mut [f32]) {
        let d = self.d;
        let lay = &mut cache.layers[k];
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

    /// Back-propagation after [`Maf::forward`] on the same rows: **adds** to `grad` the
    /// gradient of `scale · Σ_rows (−log q)` with respect to the parameters.
    pub(crate) fn backward(&self, params: &[f32], scale: f32, grad: &mut [f32], cache: &mut Cache) {
        let n = cache.n;
        let kk = self.mades.len();
        // ∂(−log q)/∂u^K = u^K
        rows_mut(&mut cache.du, n)
            .iter_mut()
            .zip(rows(&cache.u[kk], n))
            .for_each(|(g, &z)| *g = scale * z);
        for k in (0..kk).rev() {
            self.affine_backward(k, scale, n, cache);
            self.made_backward(k, params, n, grad, cache);
            self.input_backward(k, params, n, grad, cache);
        }
    }

    /// From `cache.du` = ∂/∂u^{k+1} to `cache.dv` = ∂/∂v (through the permutation) and
    /// `cache.d_o` = ∂/∂(s̃, t) (through the affine map and −Σ ln s):
    /// ∂/∂s̃ = (dv·u − scale/s)·sigmoid(s̃), ∂/∂t = dv.
    fn affine_backward(&self, k: usize, scale: f32, n: usize, cache: &mut Cache) {
        let d = self.d;
        let lay = &cache.layers[k];
        let perm = self.perms[k].indices();
        let dv = rows_mut(&mut cache.dv, n);
        for (dvr, dur) in dv
            .chunks_exact_mut(d)
            .zip(rows(&cache.du, n).chunks_exact(d))
        {
            for (&g, &p) in dur.iter().zip(perm) {
                dvr[p] = g;
            }
        }
        let sg = &mut cache.v[..n * d];
        sg.iter_mut()
            .zip(rows(&lay.st, n))
            .for_each(|(g, &t)| *g = act::sigmoid(t));
        let d_o = rows_mut(&mut cache.d_o, n);
        for ((((o, &dv), &u), &sc), &g) in d_o
            .chunks_exact_mut(2)
            .zip(rows(&cache.dv, n))
            .zip(rows(&cache.u[k], n))
            .zip(rows(&lay.s, n))
            .zip(sg.iter())
        {
            o[0] = (dv * u - scale / sc) * g;
            o[1] = dv;
        }
    }

    /// Through MADE k from `cache.d_o`: the output layer, the hidden blocks and the context
    /// branch (gradients added to `grad`); leaves ∂/∂(pre-activation of hidden layer 0) in
    /// `cache.dh` for the input layer.
    fn made_backward(
        &self,
        k: usize,
        params: &[f32],
        n: usize,
        grad: &mut [f32],
        cache: &mut Cache,
    ) {
        let made = &self.mades[k];
        let act_fn = made.activation;
        let lay = &cache.layers[k];
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
    }

    /// The input layer of MADE k: adds its parameter gradients and, for k ≥ 1, sets
    /// `cache.du` = ∂/∂u^k = (through the MADE input) + dv ⊙ s (u⁰ = θ needs none).
    fn input_backward(
        &self,
        k: usize,
        params: &[f32],
        n: usize,
        grad: &mut [f32],
        cache: &mut Cache,
    ) {
        let lay = &cache.layers[k];
        let du = (k > 0).then(|| cache.du.slice_mut(s![..n, ..]));
        self.mades[k].input.backward(
            params,
            cache.u[k].slice(s![..n, ..]),
            cache.dh.slice(s![..n, ..]),
            grad,
            du,
        );
        if k > 0 {
            rows_mut(&mut cache.du, n)
                .iter_mut()
                .zip(rows(&cache.dv, n))
                .zip(rows(&lay.s, n))
                .for_each(|((g, &dv), &sc)| *g += dv * sc);
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

    /// The base points u^K of the first `n` rows of the last forward pass, `(n, D)`.
    pub(crate) fn base(&self, n: usize) -> ndarray::ArrayView2<'_, f32> {
        let last = self.u.len() - 1;
        self.u[last].slice(s![..n, ..])
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
