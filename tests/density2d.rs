//! The density estimates of `stats` reproduce a known 2-D density: draws of a
//! two-component correlated Gaussian mixture, equally weighted, or importance weighted from
//! a broad Gaussian proposal (weights target/proposal). Compared with the true log density
//! on a grid over the central 99 % region (the highest-density region of mass 0.99), by
//! the squared Hellinger distance on the grid and by KL(true ‖ estimate) from fresh draws.
//!
//! Thresholds: about twice the errors measured with these seeds (in the comments), and
//! well below those of a wrong estimate (a KDE with twice or 0.4 × Scott's bandwidth, a
//! mixture with one component).

use galchem::stats::{Draws, GaussianMixture, Kde, KdeOptions, MixtureOptions, StatsError};
use ndarray::{array, Array2};
use rand_distr::{Distribution, StandardNormal};

const LN_2PI: f64 = 1.837_877_066_409_345_5;

/// A 2-D Gaussian: mean and covariance [[a, b], [b, c]].
#[derive(Clone, Copy)]
struct Gauss {
    mean: [f64; 2],
    cov: [f64; 3],
}

impl Gauss {
    fn log_pdf(&self, x: [f64; 2]) -> f64 {
        let [a, b, c] = self.cov;
        let det = a * c - b * b;
        let (dx, dy) = (x[0] - self.mean[0], x[1] - self.mean[1]);
        let r2 = (c * dx * dx - 2.0 * b * dx * dy + a * dy * dy) / det;
        -LN_2PI - 0.5 * det.ln() - 0.5 * r2
    }

    fn sample(&self, r: &mut galchem::rng::Rng) -> [f64; 2] {
        let [a, b, c] = self.cov;
        let (l11, l21) = (a.sqrt(), b / a.sqrt());
        let l22 = (c - l21 * l21).sqrt();
        let (u, v): (f64, f64) = (StandardNormal.sample(r), StandardNormal.sample(r));
        [self.mean[0] + l11 * u, self.mean[1] + l21 * u + l22 * v]
    }
}

const WEIGHTS: [f64; 2] = [0.6, 0.4];
const COMPONENTS: [Gauss; 2] = [
    Gauss {
        mean: [0.0, 0.0],
        cov: [1.0, 0.6, 1.0],
    },
    Gauss {
        mean: [3.0, 2.0],
        cov: [0.5, -0.2, 0.6],
    },
];
/// The proposal of the importance-weighted draws: about twice as wide as the target.
const PROPOSAL: Gauss = Gauss {
    mean: [1.2, 0.8],
    cov: [6.0, 1.5, 3.6],
};

fn true_log_pdf(x: [f64; 2]) -> f64 {
    let t: Vec<f64> = WEIGHTS
        .iter()
        .zip(&COMPONENTS)
        .map(|(w, g)| w.ln() + g.log_pdf(x))
        .collect();
    let m = t[0].max(t[1]);
    m + t.iter().map(|v| (v - m).exp()).sum::<f64>().ln()
}

fn sample_truth(n: usize, seed: u64) -> Array2<f64> {
    let mut r = galchem::rng::rng(seed);
    let mut v = Array2::zeros((n, 2));
    for i in 0..n {
        let u: f64 = rand::Rng::gen(&mut r);
        let x = COMPONENTS[usize::from(u >= WEIGHTS[0])].sample(&mut r);
        v[[i, 0]] = x[0];
        v[[i, 1]] = x[1];
    }
    v
}

fn equal_draws() -> Draws {
    Draws::new(sample_truth(2000, 11)).unwrap()
}

fn weighted_draws() -> Draws {
    let mut r = galchem::rng::rng(12);
    let n = 4000;
    let mut v = Array2::zeros((n, 2));
    let mut w = Vec::with_capacity(n);
    for i in 0..n {
        let x = PROPOSAL.sample(&mut r);
        v[[i, 0]] = x[0];
        v[[i, 1]] = x[1];
        w.push((true_log_pdf(x) - PROPOSAL.log_pdf(x)).exp());
    }
    Draws::weighted(v, w).unwrap()
}

/// The grid of the comparison: cell size, points `(m, 2)` and the true log density.
struct Grid {
    cell: f64,
    points: Array2<f64>,
    truth: Vec<f64>,
    /// ln p of the boundary of the central 99 % region.
    level: f64,
    /// ln p of the boundary of the central 99.9 % region.
    level_tail: f64,
}

fn grid() -> Grid {
    let (n, lo, cell) = (90, [-4.0, -4.0], 0.11);
    let points = Array2::from_shape_fn((n * n, 2), |(k, j)| {
        let i = if j == 0 { k / n } else { k % n };
        lo[j] + cell * (i as f64 + 0.5)
    });
    let truth: Vec<f64> = points
        .rows()
        .into_iter()
        .map(|p| true_log_pdf([p[0], p[1]]))
        .collect();
    // the 1 % quantile of ln p over draws of p bounds the region of mass 0.99
    let fresh = sample_truth(20_000, 13);
    let mut lp: Vec<f64> = fresh
        .rows()
        .into_iter()
        .map(|p| true_log_pdf([p[0], p[1]]))
        .collect();
    lp.sort_by(f64::total_cmp);
    let level = lp[lp.len() / 100];
    let level_tail = lp[lp.len() / 1000];
    Grid {
        cell,
        points,
        truth,
        level,
        level_tail,
    }
}

/// The errors of an estimate: mean |Δ ln p| over the grid points of the central 99 %
/// region, the squared Hellinger distance on the grid and KL(true ‖ estimate) from 5000
/// fresh draws.
#[derive(Debug)]
struct Errors {
    mae: f64,
    tail_mae: f64,
    hellinger2: f64,
    kl: f64,
}

fn errors(log_density: impl Fn(&Array2<f64>) -> Vec<f64>, g: &Grid) -> Errors {
    let est = log_density(&g.points);
    assert!(est.iter().all(|v| v.is_finite()));
    let inside: Vec<usize> = (0..est.len()).filter(|&k| g.truth[k] >= g.level).collect();
    let mae = inside
        .iter()
        .map(|&k| (est[k] - g.truth[k]).abs())
        .sum::<f64>()
        / inside.len() as f64;
    let tail: Vec<usize> = (0..est.len())
        .filter(|&k| g.truth[k] < g.level && g.truth[k] >= g.level_tail)
        .collect();
    let tail_mae = tail
        .iter()
        .map(|&k| (est[k] - g.truth[k]).abs())
        .sum::<f64>()
        / tail.len() as f64;
    let overlap: f64 = est
        .iter()
        .zip(&g.truth)
        .map(|(a, b)| (0.5 * (a + b)).exp())
        .sum::<f64>()
        * g.cell
        * g.cell;
    let fresh = sample_truth(5000, 14);
    let q = log_density(&fresh);
    let kl = fresh
        .rows()
        .into_iter()
        .zip(&q)
        .map(|(p, q)| true_log_pdf([p[0], p[1]]) - q)
        .sum::<f64>()
        / 5000.0;
    Errors {
        mae,
        tail_mae,
        hellinger2: 1.0 - overlap,
        kl,
    }
}

fn kde_errors(draws: &Draws, bw_scale: f64, g: &Grid) -> Errors {
    let o = KdeOptions {
        bw_scale,
        ..Default::default()
    };
    let kde = Kde::fit(draws, &[0, 1], &o).unwrap();
    errors(|p| kde.log_density(p.view()).unwrap(), g)
}

fn mixture_errors(m: &GaussianMixture, g: &Grid) -> Errors {
    errors(|p| m.log_density(p.view()).unwrap(), g)
}

/// The components of `m` matched to the true ones by their means: the largest errors of
/// weight, mean (distance) and covariance entries.
fn component_errors(m: &GaussianMixture) -> (f64, f64, f64) {
    let (mut dw, mut dm, mut dc) = (0.0f64, 0.0f64, 0.0f64);
    for (w, t) in WEIGHTS.iter().zip(&COMPONENTS) {
        let dist = |k: usize| (m.means[k][0] - t.mean[0]).hypot(m.means[k][1] - t.mean[1]);
        let c = (0..m.n_components())
            .min_by(|&a, &b| dist(a).total_cmp(&dist(b)))
            .unwrap();
        dw = dw.max((m.weights[c] - w).abs());
        dm = dm.max(dist(c));
        let cov = &m.covs[c];
        for (got, want) in [cov[0][0], cov[0][1], cov[1][1]].iter().zip(t.cov) {
            dc = dc.max((got - want).abs());
        }
    }
    (dw, dm, dc)
}

/// Upper bounds of [`Errors`].
fn assert_below(e: &Errors, mae: f64, tail_mae: f64, hellinger2: f64, kl: f64) {
    assert!(e.mae < mae, "{e:?}");
    assert!(e.tail_mae < tail_mae, "{e:?}");
    assert!(e.hellinger2 < hellinger2, "{e:?}");
    assert!(e.kl < kl, "{e:?}");
}

#[test]
fn the_grid_covers_the_density() {
    let g = grid();
    let mass: f64 = g.truth.iter().map(|l| l.exp()).sum::<f64>() * g.cell * g.cell;
    assert!((mass - 1.0).abs() < 1e-3, "{mass}");
    let inside = g.truth.iter().filter(|&&l| l >= g.level).count();
    assert!(inside > 1500, "{inside} grid points in the 99 % region");
}

#[test]
fn kde_of_equal_draws() {
    // measured: mae 0.261, tail 0.974, H² 0.0114, KL 0.0372 (2 × Scott's bandwidth:
    // 0.482, 1.42, 0.051, 0.165; 1.5 ×: 0.372, 1.10, 0.028, 0.093; 0.4 ×: 0.424, 4.56,
    // 0.0125, 0.070)
    let e = kde_errors(&equal_draws(), 1.0, &grid());
    assert_below(&e, 0.35, 1.25, 0.02, 0.055);
}

#[test]
fn kde_of_weighted_draws() {
    // 4000 draws, effective sample size 1671; measured: mae 0.274, tail 0.776,
    // H² 0.0124, KL 0.0433 (2 × Scott's bandwidth: 0.521, 1.59, 0.058, 0.189; 1.5 ×:
    // 0.415, 1.23, 0.033, 0.109; narrower kernels are better here: 0.4 ×: 0.201, 0.333)
    let draws = weighted_draws();
    assert!((draws.ess() - 1671.0).abs() < 1.0, "{}", draws.ess());
    let e = kde_errors(&draws, 1.0, &grid());
    assert_below(&e, 0.35, 1.0, 0.02, 0.06);
}

#[test]
fn mixture_of_equal_draws() {
    let (g, draws) = (grid(), equal_draws());
    let m = GaussianMixture::fit(&draws, &[0, 1], &MixtureOptions::default()).unwrap();
    assert_eq!(m.n_components(), 2, "BIC chooses two components: {m:?}");
    let o = MixtureOptions {
        components: Some(2),
        ..Default::default()
    };
    assert_eq!(GaussianMixture::fit(&draws, &[0, 1], &o).unwrap(), m);
    // measured: weights 0.018, means 0.033, covariances 0.128 (the draws of the first
    // component have a covariance 0.05 off), mae 0.094, tail 0.232, H² 0.00081,
    // KL 0.0023 (one component: 0.636, 1.36, 0.064, 0.228)
    let (dw, dm, dc) = component_errors(&m);
    assert!(dw < 0.04 && dm < 0.1 && dc < 0.25, "{dw} {dm} {dc}: {m:?}");
    assert_below(&mixture_errors(&m, &g), 0.2, 0.4, 0.003, 0.006);
    // BIC prefers it to one and three components; the fit survives a JSON round trip
    let b2 = m.bic(&draws, &[0, 1]).unwrap();
    for k in [1, 3] {
        let o = MixtureOptions {
            components: Some(k),
            ..Default::default()
        };
        let mk = GaussianMixture::fit(&draws, &[0, 1], &o).unwrap();
        assert!(mk.bic(&draws, &[0, 1]).unwrap() > b2 + 10.0, "K = {k}");
    }
    let text = serde_json::to_string(&m).unwrap();
    assert_eq!(serde_json::from_str::<GaussianMixture>(&text).unwrap(), m);
    // another initialisation finds the same optimum
    let other = GaussianMixture::fit(&draws, &[0, 1], &MixtureOptions { seed: 5, ..o }).unwrap();
    for (a, b) in other.weights.iter().zip(&m.weights) {
        assert!((a - b).abs() < 1e-4, "{other:?} {m:?}");
    }
}

#[test]
fn mixture_of_weighted_draws() {
    let (g, draws) = (grid(), weighted_draws());
    let m = GaussianMixture::fit(&draws, &[0, 1], &MixtureOptions::default()).unwrap();
    assert_eq!(m.n_components(), 2, "BIC chooses two components: {m:?}");
    // measured: weights 0.0044, means 0.036, covariances 0.047, mae 0.045, tail 0.089,
    // H² 0.00027, KL 0.0008
    let (dw, dm, dc) = component_errors(&m);
    assert!(dw < 0.04 && dm < 0.1 && dc < 0.25, "{dw} {dm} {dc}: {m:?}");
    assert_below(&mixture_errors(&m, &g), 0.12, 0.2, 0.002, 0.004);
}

#[test]
fn far_tails_are_finite_and_fall_off() {
    let draws = equal_draws();
    let kde = Kde::fit(&draws, &[0, 1], &KdeOptions::default()).unwrap();
    let m = GaussianMixture::fit(&draws, &[0, 1], &MixtureOptions::default()).unwrap();
    let p = array![[10.0, -10.0], [100.0, -100.0], [1e4, -1e4], [-1e6, 3.0]];
    for l in [
        kde.log_density(p.view()).unwrap(),
        m.log_density(p.view()).unwrap(),
    ] {
        assert!(l.iter().all(|v| v.is_finite()), "{l:?}");
        assert!(l[0] > l[1] && l[1] > l[2], "{l:?}");
    }
}

#[test]
fn errors_and_determinism() {
    let mut v = sample_truth(100, 1);
    v[[17, 1]] = f64::NAN;
    assert!(matches!(
        Draws::new(v.clone()),
        Err(StatsError::NotFinite { index: 17, .. })
    ));
    assert!(Draws::weighted(v, vec![1.0; 100]).is_err());
    let draws = equal_draws();
    let (ko, mo) = (KdeOptions::default(), MixtureOptions::default());
    assert!(matches!(
        Kde::fit(&draws, &[0, 2], &ko),
        Err(StatsError::ColumnOutOfRange { col: 2, dim: 2 })
    ));
    assert!(matches!(
        GaussianMixture::fit(&draws, &[5], &mo),
        Err(StatsError::ColumnOutOfRange { col: 5, dim: 2 })
    ));
    let same = Draws::new(Array2::from_elem((200, 2), 0.3)).unwrap();
    assert!(matches!(
        Kde::fit(&same, &[0, 1], &ko),
        Err(StatsError::Singular { .. })
    ));
    assert!(matches!(
        GaussianMixture::fit(&same, &[0, 1], &mo),
        Err(StatsError::Singular { .. })
    ));
    // seeded: the same fit twice, bit for bit
    let weighted = weighted_draws();
    let ko = KdeOptions {
        max_points: Some(1000),
        seed: 3,
        ..Default::default()
    };
    let (a, b) = (
        Kde::fit(&weighted, &[0, 1], &ko).unwrap(),
        Kde::fit(&weighted, &[0, 1], &ko).unwrap(),
    );
    assert_eq!(a, b);
    assert!(a.n_centres() <= 1000);
    let g = grid();
    assert_eq!(
        a.log_density(g.points.view()).unwrap(),
        b.log_density(g.points.view()).unwrap()
    );
    assert_eq!(
        GaussianMixture::fit(&weighted, &[1, 0], &mo).unwrap(),
        GaussianMixture::fit(&weighted, &[1, 0], &mo).unwrap()
    );
}
