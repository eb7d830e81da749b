//! An adaptive 2-D grid for a density known up to a constant: the combined posterior of
//! the two global parameters.
//!
//! The grid lives in whitened coordinates u of a guess (centre c, covariance Σ with lower
//! Cholesky factor L): Λ = c + L u, u ∈ [−R, R]² with N × N equally spaced nodes. Each
//! round evaluates the log density on the nodes, takes the grid's mean and covariance and
//! moves the grid onto them, until the density is resolved (its standard deviations in u
//! between [`SD_LOW`] and [`SD_HIGH`]) and negligible on the grid's edge. Sums over the nodes
//! of a smooth, fast-decaying density are trapezoid rules, which converge faster than any
//! power of the spacing.
//!
//! For many stars the log density is smooth on the scale of the grid (it is nearly
//! quadratic), so it may be evaluated on a coarse grid ([`GridOptions::coarse`] nodes per
//! axis spanning R + 1) and interpolated with Keys' cubic convolution, which reproduces
//! quadratics exactly; nodes next to coarse nodes outside the support are evaluated directly.

use super::super::CombineError;
use crate::stats::linalg::{cholesky, symmetric_eigenvalues};
use ndarray::Array2;
use serde::{Deserialize, Serialize};

/// The smallest and largest standard deviation, in grid units u, of a resolved density.
pub const SD_LOW: f64 = 0.6;
/// See [`SD_LOW`].
pub const SD_HIGH: f64 = 1.6;
/// The largest mass on the edge nodes of a converged grid.
pub const EDGE_MASS: f64 = 1e-6;

/// Settings of the adaptive grid.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct GridOptions {
    /// Nodes per axis (odd, ≥ 9).
    pub nodes: usize,
    /// Half-width R of the grid in whitened units.
    pub half_width: f64,
    /// Most rounds of re-centring.
    pub max_rounds: usize,
    /// Evaluate on this many coarse nodes per axis and interpolate (`None`: every node).
    pub coarse: Option<usize>,
}

impl Default for GridOptions {
    fn default() -> Self {
        GridOptions {
            nodes: 41,
            half_width: 6.0,
            max_rounds: 10,
            coarse: None,
        }
    }
}

/// A normalised density on a 2-D grid of nodes Λ = c + L u.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GridDensity {
    /// Centre c `(2)`.
    pub centre: [f64; 2],
    /// Lower Cholesky factor L `(2, 2)` of the grid's covariance.
    pub chol: [[f64; 2]; 2],
    /// Half-width R (whitened units) and nodes per axis N.
    pub half_width: f64,
    pub nodes: usize,
    /// Unnormalised log density at the nodes, row-major (index i·N + j for u = (u_i, u_j));
    /// −∞ outside the support.
    pub log_density: Vec<f64>,
    /// log Σ exp(log_density): masses are exp(log_density − log_norm).
    pub log_norm: f64,
    /// Rounds used, and whether the last one met the resolution and edge criteria.
    pub rounds: usize,
    pub converged: bool,
}

impl GridDensity {
    /// The whitened coordinate of node index `i` (0 … N−1).
    fn u(&self, i: usize) -> f64 {
        axis(self.half_width, self.nodes, i)
    }

    /// The point Λ of node (i, j).
    pub fn point(&self, i: usize, j: usize) -> [f64; 2] {
        to_lambda(self.centre, &self.chol, [self.u(i), self.u(j)])
    }

    /// Every node's point, row-major.
    pub fn points(&self) -> Vec<[f64; 2]> {
        grid_points(self.centre, &self.chol, self.half_width, self.nodes)
    }

    /// Every node's probability mass (summing to 1), row-major.
    pub fn masses(&self) -> Vec<f64> {
        self.log_density
            .iter()
            .map(|v| (v - self.log_norm).exp())
            .collect()
    }

    /// The mean `(2)` and covariance `(2, 2)` of the density.
    pub fn moments(&self) -> ([f64; 2], [[f64; 2]; 2]) {
        moments(&self.points(), &self.masses())
    }

    /// The posterior mass of the nodes whose density exceeds `log_value` (unnormalised, on
    /// the scale of [`GridDensity::log_density`]): the credibility of the highest-density
    /// region whose edge passes through a point with that density. A point lies inside the
    /// HPD region of level q when this is below q.
    pub fn mass_above(&self, log_value: f64) -> f64 {
        self.log_density
            .iter()
            .filter(|&&v| v > log_value)
            .map(|v| (v - self.log_norm).exp())
            .sum::<f64>()
            .min(1.0)
    }

    /// The unnormalised log density bounding the highest-density region of mass `level`.
    pub fn hpd_threshold(&self, level: f64) -> f64 {
        let mut v: Vec<f64> = self
            .log_density
            .iter()
            .copied()
            .filter(|v| v.is_finite())
            .collect();
        v.sort_by(|a, b| b.total_cmp(a));
        let mut acc = 0.0;
        for &x in &v {
            acc += (x - self.log_norm).exp();
            if acc >= level {
                return x;
            }
        }
        v.last().copied().unwrap_or(f64::NEG_INFINITY)
    }

    /// The marginal mass with coordinate `k` (0 or 1) below `value`: every node's mass spread
    /// evenly over the extent of its cell along coordinate k.
    pub fn marginal_cdf(&self, k: usize, value: f64) -> f64 {
        let spacing = 2.0 * self.half_width / (self.nodes - 1) as f64;
        let half = 0.5 * spacing * (self.chol[k][0].abs() + self.chol[k][1].abs());
        self.points()
            .iter()
            .zip(self.masses())
            .map(|(p, m)| m * ((value - (p[k] - half)) / (2.0 * half)).clamp(0.0, 1.0))
            .sum::<f64>()
            .min(1.0)
    }
}

fn axis(half_width: f64, nodes: usize, i: usize) -> f64 {
    -half_width + 2.0 * half_width * i as f64 / (nodes - 1) as f64
}

fn to_lambda(c: [f64; 2], l: &[[f64; 2]; 2], u: [f64; 2]) -> [f64; 2] {
    [
        c[0] + l[0][0] * u[0],
        c[1] + l[1][0] * u[0] + l[1][1] * u[1],
    ]
}

fn grid_points(c: [f64; 2], l: &[[f64; 2]; 2], half_width: f64, nodes: usize) -> Vec<[f64; 2]> {
    let mut out = Vec::with_capacity(nodes * nodes);
    for i in 0..nodes {
        for j in 0..nodes {
            let u = [axis(half_width, nodes, i), axis(half_width, nodes, j)];
            out.push(to_lambda(c, l, u));
        }
    }
    out
}

/// Mean and covariance of weighted points (weights summing to 1).
pub fn moments(points: &[[f64; 2]], mass: &[f64]) -> ([f64; 2], [[f64; 2]; 2]) {
    let mut m = [0.0; 2];
    for (p, w) in points.iter().zip(mass) {
        m[0] += w * p[0];
        m[1] += w * p[1];
    }
    let mut c = [[0.0; 2]; 2];
    for (p, w) in points.iter().zip(mass) {
        let d = [p[0] - m[0], p[1] - m[1]];
        for a in 0..2 {
            for b in 0..2 {
                c[a][b] += w * d[a] * d[b];
            }
        }
    }
    (m, c)
}

fn log_sum_exp(v: &[f64]) -> f64 {
    let max = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !max.is_finite() {
        return max;
    }
    max + v.iter().map(|x| (x - max).exp()).sum::<f64>().ln()
}

fn chol2(cov: &[[f64; 2]; 2]) -> Option<[[f64; 2]; 2]> {
    let a = Array2::from_shape_fn((2, 2), |(i, j)| cov[i][j]);
    let l = cholesky(a.view())?;
    Some([[l[[0, 0]], 0.0], [l[[1, 0]], l[[1, 1]]]])
}

/// Evaluates `f` (unnormalised log density of a batch of points) on an adaptive grid that
/// starts at `centre` with covariance `cov`; see the module documentation.
pub fn adaptive_grid<F>(
    f: F,
    centre: [f64; 2],
    cov: [[f64; 2]; 2],
    opts: &GridOptions,
) -> Result<GridDensity, CombineError>
where
    F: Fn(&[[f64; 2]]) -> Result<Vec<f64>, CombineError>,
{
    check_options(opts)?;
    let mut chol = chol2(&cov).ok_or(CombineError::BadStart)?;
    let mut centre = centre;
    let mut last = None;
    for round in 1..=opts.max_rounds {
        let values = evaluate(&f, centre, &chol, opts)?;
        let log_norm = log_sum_exp(&values);
        let mut g = GridDensity {
            centre,
            chol,
            half_width: opts.half_width,
            nodes: opts.nodes,
            log_density: values,
            log_norm,
            rounds: round,
            converged: false,
        };
        if !log_norm.is_finite() {
            // no mass anywhere on the grid (e.g. outside the support): look wider
            chol = scale(&chol, 4.0);
            last = Some(g);
            continue;
        }
        let step = next_grid(&g);
        g.converged = step.is_none();
        match step {
            None => return Ok(g),
            Some((c, l)) => {
                centre = c;
                chol = l;
            }
        }
        last = Some(g);
    }
    match last {
        Some(g) if g.log_norm.is_finite() => {
            let edge = edge_mass(&g);
            if edge > IMPROPER_EDGE_MASS {
                return Err(CombineError::Improper {
                    rounds: g.rounds,
                    edge,
                    centre: g.centre,
                });
            }
            Ok(g)
        }
        _ => Err(CombineError::NoMass),
    }
}

/// Edge mass above which a grid moves outwards, and above which an unconverged last grid
/// is taken to be an improper product.
const IMPROPER_EDGE_MASS: f64 = 0.01;

/// The fraction of `g`'s mass on its outermost nodes.
fn edge_mass(g: &GridDensity) -> f64 {
    let n = g.nodes;
    let mass = g.masses();
    (0..n * n)
        .filter(|k| {
            let (i, j) = (k / n, k % n);
            i == 0 || j == 0 || i == n - 1 || j == n - 1
        })
        .map(|k| mass[k])
        .sum()
}

fn check_options(opts: &GridOptions) -> Result<(), CombineError> {
    let coarse_ok = opts.coarse.is_none_or(|c| c >= 5);
    if opts.nodes < 9
        || opts.nodes % 2 == 0
        || opts.half_width.is_nan()
        || opts.half_width <= 2.0
        || !coarse_ok
    {
        return Err(CombineError::BadGrid(format!(
            "nodes {} (odd, ≥ 9), half_width {} (> 2), coarse {:?} (≥ 5)",
            opts.nodes, opts.half_width, opts.coarse
        )));
    }
    Ok(())
}

fn scale(l: &[[f64; 2]; 2], s: f64) -> [[f64; 2]; 2] {
    [[l[0][0] * s, 0.0], [l[1][0] * s, l[1][1] * s]]
}

/// The next grid (centre, Cholesky factor), or `None` when `g` is resolved and its edge mass
/// negligible.
fn next_grid(g: &GridDensity) -> Option<([f64; 2], [[f64; 2]; 2])> {
    let n = g.nodes;
    let mass = g.masses();
    let edge = edge_mass(g);
    let (mean, cov) = g.moments();
    let spacing = 2.0 * g.half_width / (n - 1) as f64;
    let sd_u = whitened_sds(&g.chol, &cov);
    if edge > IMPROPER_EDGE_MASS {
        // the density runs off the grid: centre on the heaviest node and look wider
        let k = (0..n * n).max_by(|&a, &b| mass[a].total_cmp(&mass[b]))?;
        return Some((g.point(k / n, k % n), scale(&g.chol, 3.0)));
    }
    let resolved = sd_u[0] >= SD_LOW && sd_u[1] <= SD_HIGH;
    if resolved && edge <= EDGE_MASS {
        return None;
    }
    if resolved && sd_u[0] / 1.25 < SD_LOW {
        // heavy tails at the widest resolved grid: as good as it gets
        return None;
    }
    if sd_u[0] < 0.5 * spacing || chol2(&cov).is_none() {
        // (nearly) all mass in one node: zoom in around it
        let k = (0..n * n).max_by(|&a, &b| mass[a].total_cmp(&mass[b]))?;
        return Some((
            g.point(k / n, k % n),
            scale(&g.chol, 4.0 * spacing / g.half_width),
        ));
    }
    // resolved but with mass on the edge: the posterior's shape, a quarter wider each round
    let widen = if resolved { 1.25 / sd_u[0] } else { 1.0 };
    Some((mean, scale(&chol2(&cov)?, widen)))
}

/// The smallest and largest standard deviation of `cov` in the whitened units of `l`.
fn whitened_sds(l: &[[f64; 2]; 2], cov: &[[f64; 2]; 2]) -> [f64; 2] {
    // W = L⁻¹ C L⁻ᵀ
    let inv = [
        [1.0 / l[0][0], 0.0],
        [-l[1][0] / (l[0][0] * l[1][1]), 1.0 / l[1][1]],
    ];
    let mut w = Array2::<f64>::zeros((2, 2));
    for a in 0..2 {
        for b in 0..2 {
            let mut s = 0.0;
            for p in 0..2 {
                for q in 0..2 {
                    s += inv[a][p] * cov[p][q] * inv[b][q];
                }
            }
            w[[a, b]] = s;
        }
    }
    let mut e = symmetric_eigenvalues(w.view());
    e.sort_by(f64::total_cmp);
    [e[0].max(0.0).sqrt(), e[e.len() - 1].max(0.0).sqrt()]
}

/// The log density on every node: directly, or on the coarse grid and interpolated.
fn evaluate<F>(
    f: &F,
    c: [f64; 2],
    l: &[[f64; 2]; 2],
    opts: &GridOptions,
) -> Result<Vec<f64>, CombineError>
where
    F: Fn(&[[f64; 2]]) -> Result<Vec<f64>, CombineError>,
{
    let fine = grid_points(c, l, opts.half_width, opts.nodes);
    let Some(nc) = opts.coarse.filter(|&nc| nc < opts.nodes) else {
        return f(&fine);
    };
    // coarse nodes span R + one coarse spacing, so every fine node has 4 × 4 neighbours
    let h = 2.0 * opts.half_width / (nc - 1) as f64;
    let rc = opts.half_width + h;
    let ncc = nc + 2;
    let coarse = f(&grid_points(c, l, rc, ncc))?;
    let mut out = vec![0.0; fine.len()];
    let mut direct = Vec::new();
    for i in 0..opts.nodes {
        for j in 0..opts.nodes {
            let u = [
                axis(opts.half_width, opts.nodes, i),
                axis(opts.half_width, opts.nodes, j),
            ];
            match interpolate(&coarse, ncc, rc, h, u) {
                Some(v) => out[i * opts.nodes + j] = v,
                None => direct.push(i * opts.nodes + j),
            }
        }
    }
    if !direct.is_empty() {
        let pts: Vec<[f64; 2]> = direct.iter().map(|&k| fine[k]).collect();
        for (k, v) in direct.into_iter().zip(f(&pts)?) {
            out[k] = v;
        }
    }
    Ok(out)
}

/// Keys' cubic convolution kernel (a = −1/2).
fn keys(t: f64) -> f64 {
    let t = t.abs();
    if t < 1.0 {
        1.5 * t * t * t - 2.5 * t * t + 1.0
    } else if t < 2.0 {
        -0.5 * t * t * t + 2.5 * t * t - 4.0 * t + 2.0
    } else {
        0.0
    }
}

/// Bicubic interpolation of the coarse values at u, or `None` when a neighbour is not finite.
fn interpolate(coarse: &[f64], nc: usize, rc: f64, h: f64, u: [f64; 2]) -> Option<f64> {
    let pos = |x: f64| (x + rc) / h;
    let (pi, pj) = (pos(u[0]), pos(u[1]));
    let (i0, j0) = (pi.floor() as isize, pj.floor() as isize);
    let mut v = 0.0;
    for di in -1..=2 {
        let i = (i0 + di).clamp(0, nc as isize - 1) as usize;
        let wi = keys(pi - (i0 + di) as f64);
        for dj in -1..=2 {
            let j = (j0 + dj).clamp(0, nc as isize - 1) as usize;
            let x = coarse[i * nc + j];
            if !x.is_finite() {
                return None;
            }
            v += wi * keys(pj - (j0 + dj) as f64) * x;
        }
    }
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gauss(
        m: [f64; 2],
        c: [[f64; 2]; 2],
    ) -> impl Fn(&[[f64; 2]]) -> Result<Vec<f64>, CombineError> {
        let det = c[0][0] * c[1][1] - c[0][1] * c[1][0];
        let p = [
            [c[1][1] / det, -c[0][1] / det],
            [-c[1][0] / det, c[0][0] / det],
        ];
        move |pts: &[[f64; 2]]| {
            Ok(pts
                .iter()
                .map(|x| {
                    let d = [x[0] - m[0], x[1] - m[1]];
                    -0.5 * (d[0] * (p[0][0] * d[0] + p[0][1] * d[1])
                        + d[1] * (p[1][0] * d[0] + p[1][1] * d[1]))
                })
                .collect())
        }
    }

    #[test]
    fn finds_and_resolves_a_far_narrow_gaussian() {
        let (m, c) = ([-2.1, -3.05], [[1e-4, 3e-5], [3e-5, 4e-5]]);
        for coarse in [None, Some(13)] {
            let opts = GridOptions {
                coarse,
                ..GridOptions::default()
            };
            let g = adaptive_grid(
                gauss(m, c),
                [-2.3, -2.89],
                [[0.09, 0.0], [0.0, 0.09]],
                &opts,
            )
            .unwrap();
            assert!(g.converged, "{coarse:?}: {} rounds", g.rounds);
            let (gm, gc) = g.moments();
            for a in 0..2 {
                assert!(
                    (gm[a] - m[a]).abs() < 1e-6 * c[a][a].sqrt() + 1e-9,
                    "{gm:?}"
                );
                for b in 0..2 {
                    assert!(
                        (gc[a][b] - c[a][b]).abs() < 1e-4 * c[a][a].max(c[b][b]),
                        "{gc:?}"
                    );
                }
            }
            // the HPD region of a Gaussian: mass above the density at Mahalanobis radius r
            // is 1 − exp(−r²/2)
            let r2: f64 = 2.0;
            let want = 1.0 - (-0.5 * r2).exp();
            let got = g.mass_above(-0.5 * r2);
            assert!((got - want).abs() < 0.02, "{got} vs {want}");
            assert!((g.marginal_cdf(0, m[0]) - 0.5).abs() < 0.03);
        }
    }

    #[test]
    fn bad_settings_are_errors() {
        let f = gauss([0.0, 0.0], [[1.0, 0.0], [0.0, 1.0]]);
        let bad = GridOptions {
            nodes: 10,
            ..GridOptions::default()
        };
        assert!(matches!(
            adaptive_grid(&f, [0.0, 0.0], [[1.0, 0.0], [0.0, 1.0]], &bad),
            Err(CombineError::BadGrid(_))
        ));
        assert!(matches!(
            adaptive_grid(
                &f,
                [0.0, 0.0],
                [[0.0, 0.0], [0.0, 1.0]],
                &GridOptions::default()
            ),
            Err(CombineError::BadStart)
        ));
        // a log density that grows without bound outwards is not a density
        let growing = |p: &[[f64; 2]]| {
            Ok(p.iter()
                .map(|q| 0.5 * (q[0] * q[0] + q[1] * q[1]))
                .collect())
        };
        match adaptive_grid(
            growing,
            [0.0, 0.0],
            [[1.0, 0.0], [0.0, 1.0]],
            &GridOptions::default(),
        ) {
            Err(CombineError::Improper { edge, .. }) => assert!(edge > 0.01),
            other => panic!("expected Improper, got {other:?}"),
        }
        let nothing = |p: &[[f64; 2]]| Ok(vec![f64::NEG_INFINITY; p.len()]);
        assert!(matches!(
            adaptive_grid(
                nothing,
                [0.0, 0.0],
                [[1.0, 0.0], [0.0, 1.0]],
                &GridOptions::default()
            ),
            Err(CombineError::NoMass)
        ));
    }
}
