//! Synthetic emulator data shared by the network tests and the `nn` benchmark
//! (`benches/nn.rs` includes this file by path).

use ndarray::Array2;
use rand::Rng;

pub const MU: [f64; 5] = [-2.3, -2.89, -0.3, 0.55, 0.5];
pub const SIGMA: [f64; 5] = [0.3, 0.3, 0.3, 0.1, 0.1];

/// θ uniform in the ±5σ box (birth time U(1, 13.8)) and a smooth function of it whose eight
/// outputs stay between 0.15 and 1.45 in absolute value.
pub fn synthetic(n: usize, seed: u64) -> (Array2<f64>, Array2<f64>) {
    let mut r = galchem::rng::rng(seed);
    let theta = Array2::from_shape_fn((n, 6), |(_, k)| {
        if k < 5 {
            MU[k] + 5.0 * SIGMA[k] * r.gen_range(-1.0..1.0)
        } else {
            r.gen_range(1.0..13.8)
        }
    });
    let y = Array2::from_shape_fn((n, 8), |(i, j)| {
        let z: Vec<f64> = (0..5)
            .map(|k| (theta[[i, k]] - MU[k]) / (5.0 * SIGMA[k]))
            .collect();
        let t = (theta[[i, 5]] - 1.0) / 12.8;
        let base = [0.6, -0.8, 1.0, 0.7, -0.9, 0.8, 0.75, -0.65][j];
        let arg: f64 = (0..5)
            .map(|k| ((j + 2 * k) % 5) as f64 * 0.3 * z[k])
            .sum::<f64>();
        base + 0.3 * arg.sin() + 0.15 * (t - 0.5) * (1.0 + z[j % 5])
    });
    (theta, y)
}
