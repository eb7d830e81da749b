//! The density of the flow: log q(θ | x) and the forward map to the base space, evaluated
//! in parallel chunks with the forward pass of [`super::backprop`].

use super::backprop::Cache;
use super::error::FlowError;
use super::maf::Maf;
use ndarray::{s, Array2, ArrayView2};

impl Maf {
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
        out.zip_mut_with(&cache.base(n), |o, &v| *o = f64::from(v));
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
}
