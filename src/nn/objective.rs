//! What the training loop optimises: an [`Objective`] is a data set bound to a model
//! architecture, able to give the loss of any subset of its rows and the gradient of that
//! loss with respect to a flat parameter vector.
//!
//! [`batch_loss_grad`] and [`mean_loss`] evaluate an objective on many rows by splitting them
//! into fixed-size chunks, computing the chunks in parallel (rayon) and summing their results
//! **in chunk order**, so the result depends on the chunk size but never on the number of
//! threads.

use ndarray::{s, Array2, ArrayView2};
use rayon::prelude::*;

pub use super::checkpoint::hash::DataHash;
use super::loss::Loss;
use super::mlp::{Mlp, MlpWorkspace};
use crate::error::Vocabulary;

/// A differentiable loss over the rows of a data set.
///
/// The loss of a set of rows is the **sum** of per-row losses ℓ_r (the loop divides by the
/// batch size); for a density estimator ℓ_r = −log q(θ_r | x_r), for regression the row
/// loss of a [`Loss`].
pub trait Objective: Sync {
    /// Per-worker scratch buffers.
    type Workspace: Send;

    /// Length of the flat parameter vector.
    fn n_params(&self) -> usize;

    /// Number of rows in the data set.
    fn n_rows(&self) -> usize;

    /// Scratch buffers for calls with up to `max_rows` rows.
    fn workspace(&self, max_rows: usize) -> Self::Workspace;

    /// Returns Σ_{r ∈ rows} ℓ_r and **adds** its gradient with respect to `params` into
    /// `grad` (same layout as `params`). `rows` are indices into the data set,
    /// `rows.len() ≤ max_rows` of the workspace.
    fn loss_grad(
        &self,
        params: &[f32],
        rows: &[usize],
        ws: &mut Self::Workspace,
        grad: &mut [f32],
    ) -> f64;

    /// Returns Σ_{r ∈ rows} ℓ_r (no gradient).
    fn loss(&self, params: &[f32], rows: &[usize], ws: &mut Self::Workspace) -> f64;

    /// A stable hash of everything the loss depends on besides the parameters (the data,
    /// the model's architecture, the loss), so that a training checkpoint is only resumed
    /// by the run it belongs to (see [`crate::nn::checkpoint`]); build it with
    /// [`DataHash`]. `None` (the default): the data are not checked.
    fn fingerprint(&self) -> Option<u64> {
        None
    }
}

/// Per-chunk state of [`batch_loss_grad`]: scratch buffers and a private gradient buffer.
pub struct GradChunk<W> {
    ws: W,
    grad: Vec<f32>,
    loss: f64,
}

/// One [`GradChunk`] per chunk of a batch of `batch_size` rows cut into `chunk_rows`.
pub fn grad_chunks<O: Objective>(
    objective: &O,
    batch_size: usize,
    chunk_rows: usize,
) -> Vec<GradChunk<O::Workspace>> {
    let chunk_rows = chunk_rows.clamp(1, batch_size.max(1));
    (0..batch_size.div_ceil(chunk_rows).max(1))
        .map(|_| GradChunk {
            ws: objective.workspace(chunk_rows),
            grad: vec![0.0; objective.n_params()],
            loss: 0.0,
        })
        .collect()
}

/// Σ_{r ∈ rows} ℓ_r, and `grad` **set** to its gradient. The rows are cut into consecutive
/// chunks of `chunk_rows` (the chunking of `chunks`, from [`grad_chunks`]), computed in
/// parallel when `parallel` and summed in chunk order.
///
/// # Panics
/// If `chunks` holds fewer chunks than `rows` needs or `grad` has the wrong length.
pub fn batch_loss_grad<O: Objective>(
    objective: &O,
    params: &[f32],
    rows: &[usize],
    chunk_rows: usize,
    parallel: bool,
    chunks: &mut [GradChunk<O::Workspace>],
    grad: &mut [f32],
) -> f64 {
    let chunk_rows = chunk_rows.max(1);
    let n = rows.len().div_ceil(chunk_rows);
    let work = |(c, r): (&mut GradChunk<O::Workspace>, &[usize])| {
        c.grad.fill(0.0);
        c.loss = objective.loss_grad(params, r, &mut c.ws, &mut c.grad);
    };
    if parallel && n > 1 {
        chunks[..n]
            .par_iter_mut()
            .zip(rows.par_chunks(chunk_rows))
            .for_each(work);
    } else {
        chunks[..n]
            .iter_mut()
            .zip(rows.chunks(chunk_rows))
            .for_each(work);
    }
    let mut loss = 0.0;
    grad.fill(0.0);
    for c in &chunks[..n] {
        loss += c.loss;
        grad.iter_mut().zip(&c.grad).for_each(|(g, &h)| *g += h);
    }
    loss
}

/// Mean row loss over all rows of `objective`, in parallel over chunks of `chunk_rows`
/// (summed in chunk order). NaN for an empty data set.
pub fn mean_loss<O: Objective>(objective: &O, params: &[f32], chunk_rows: usize) -> f64 {
    let n = objective.n_rows();
    let chunk_rows = chunk_rows.max(1);
    let rows: Vec<usize> = (0..n).collect();
    let sums: Vec<f64> = rows
        .par_chunks(chunk_rows)
        .map_init(
            || objective.workspace(chunk_rows),
            |ws, r| objective.loss(params, r, ws),
        )
        .collect();
    sums.iter().sum::<f64>() / n as f64
}

/// Σ_{r ∈ rows} ℓ_r and its gradient, one chunk, for tests and one-off evaluations.
pub fn loss_and_gradient<O: Objective>(
    objective: &O,
    params: &[f32],
    rows: &[usize],
) -> (f64, Vec<f32>) {
    let mut ws = objective.workspace(rows.len().max(1));
    let mut grad = vec![0.0; objective.n_params()];
    let loss = objective.loss_grad(params, rows, &mut ws, &mut grad);
    (loss, grad)
}

/// Regression of targets `y` on inputs `x` with an [`Mlp`] and a [`Loss`] (f32 data).
#[derive(Debug, Clone)]
pub struct Supervised<'a> {
    mlp: &'a Mlp,
    loss: Loss,
    x: ArrayView2<'a, f32>,
    y: ArrayView2<'a, f32>,
}

/// Workspace of [`Supervised`]: the MLP buffers and the gathered batch.
#[derive(Debug, Clone)]
pub struct SupervisedWorkspace {
    mlp: MlpWorkspace,
    x: Array2<f32>,
    y: Array2<f32>,
    d: Array2<f32>,
}

impl<'a> Supervised<'a> {
    /// The objective Σ_r loss(mlp(x_r), y_r); `x` `(n, n_in)`, `y` `(n, d)`.
    pub fn new(
        mlp: &'a Mlp,
        loss: Loss,
        x: ArrayView2<'a, f32>,
        y: ArrayView2<'a, f32>,
    ) -> Result<Self, super::NnError> {
        use super::NnError;
        if x.ncols() != mlp.n_in() {
            return Err(NnError::shape("input columns", mlp.n_in(), x.ncols()));
        }
        if loss.n_outputs(y.ncols()) != mlp.n_out() {
            return Err(NnError::shape(
                "network outputs for the targets and loss",
                loss.n_outputs(y.ncols()),
                mlp.n_out(),
            ));
        }
        if x.nrows() != y.nrows() {
            return Err(NnError::shape("target rows", x.nrows(), y.nrows()));
        }
        Ok(Self { mlp, loss, x, y })
    }

    fn gather(&self, rows: &[usize], ws: &mut SupervisedWorkspace) {
        gather_rows(&self.x, rows, &mut ws.x);
        gather_rows(&self.y, rows, &mut ws.y);
    }
}

/// Copies rows `rows` of `src` into the first rows of `dst` (memcpy for contiguous data).
fn gather_rows(src: &ArrayView2<f32>, rows: &[usize], dst: &mut Array2<f32>) {
    let d = src.ncols();
    match (src.as_slice(), dst.as_slice_mut()) {
        (Some(s), Some(t)) => {
            // rows are a few floats: fixed-size 4-float moves instead of a memcpy call each
            for (k, &r) in rows.iter().enumerate() {
                let (from, to) = (&s[r * d..(r + 1) * d], &mut t[k * d..(k + 1) * d]);
                let mut f4 = from.chunks_exact(4);
                let mut t4 = to.chunks_exact_mut(4);
                for (a, b) in (&mut t4).zip(&mut f4) {
                    let b: [f32; 4] = [b[0], b[1], b[2], b[3]];
                    a.copy_from_slice(&b);
                }
                for (a, b) in t4.into_remainder().iter_mut().zip(f4.remainder()) {
                    *a = *b;
                }
            }
        }
        _ => {
            for (k, &r) in rows.iter().enumerate() {
                dst.row_mut(k).assign(&src.row(r));
            }
        }
    }
}

impl Objective for Supervised<'_> {
    type Workspace = SupervisedWorkspace;

    fn n_params(&self) -> usize {
        self.mlp.range().end
    }

    fn n_rows(&self) -> usize {
        self.x.nrows()
    }

    fn workspace(&self, max_rows: usize) -> SupervisedWorkspace {
        SupervisedWorkspace {
            mlp: self.mlp.workspace(max_rows),
            x: Array2::zeros((max_rows, self.x.ncols())),
            y: Array2::zeros((max_rows, self.y.ncols())),
            d: Array2::zeros((max_rows, self.mlp.n_out())),
        }
    }

    fn loss_grad(
        &self,
        params: &[f32],
        rows: &[usize],
        ws: &mut SupervisedWorkspace,
        grad: &mut [f32],
    ) -> f64 {
        let n = rows.len();
        self.gather(rows, ws);
        let x = ws.x.slice(s![..n, ..]);
        let out = self.mlp.forward(params, x, &mut ws.mlp);
        let loss = self
            .loss
            .value_grad(out, ws.y.slice(s![..n, ..]), ws.d.slice_mut(s![..n, ..]));
        self.mlp
            .backward(params, x, &mut ws.mlp, ws.d.slice(s![..n, ..]), grad, None);
        loss
    }

    fn loss(&self, params: &[f32], rows: &[usize], ws: &mut SupervisedWorkspace) -> f64 {
        let n = rows.len();
        self.gather(rows, ws);
        let out = self
            .mlp
            .forward(params, ws.x.slice(s![..n, ..]), &mut ws.mlp);
        self.loss.value(out, ws.y.slice(s![..n, ..]))
    }

    /// The sizes and activations of the network, the loss, and the inputs and targets.
    fn fingerprint(&self) -> Option<u64> {
        let mut h = DataHash::new();
        h.str("supervised").str(&format!(
            "{:?} {:?} {:?} {:?}",
            self.mlp.sizes(),
            self.mlp.hidden_activation(),
            self.mlp.output_activation(),
            self.loss
        ));
        Some(h.array(&self.x).array(&self.y).finish())
    }
}
