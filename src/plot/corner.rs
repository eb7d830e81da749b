//! Corner plots (one- and two-dimensional marginals of samples) and Gaussian ellipses.

use super::figure::{Hist, Series};
use super::{Figure, PlotError};

/// A corner plot of `columns` (name, samples): histograms on the diagonal, 2-D histograms
/// below it, the upper triangle left empty. `truths` (one per column) are drawn as lines.
/// Each diagonal panel is titled `name = median (+q84−median / −median+q16)`.
pub fn corner(
    columns: &[(String, Vec<f64>)],
    truths: Option<&[f64]>,
    bins: usize,
) -> Result<Figure, PlotError> {
    let d = columns.len();
    if d == 0 {
        return Err(PlotError::BadArgument("corner: no columns to plot".into()));
    }
    if let Some(t) = truths {
        if t.len() != d {
            return Err(PlotError::BadArgument(format!(
                "corner: {} truths for {d} columns",
                t.len()
            )));
        }
    }
    let n = columns[0].1.len();
    if let Some((name, _)) = columns.iter().find(|(_, v)| v.len() != n) {
        return Err(PlotError::BadArgument(format!(
            "corner: column '{name}' has a different number of samples"
        )));
    }
    let mut fig = Figure::grid(d, d);
    fig.width = (260 * d as u32).max(500);
    fig.height = fig.width;
    for i in 0..d {
        for j in 0..=i {
            fig.select(i * d + j)?;
            let truth = |k: usize| truths.map(|t| t[k]);
            if i == j {
                diagonal_panel(&mut fig, &columns[j], truth(j), bins);
            } else {
                pair_panel(
                    &mut fig,
                    &columns[j].1,
                    &columns[i].1,
                    truth(j),
                    truth(i),
                    bins,
                );
            }
            if i == d - 1 {
                fig.panel().xlabel = Some(columns[j].0.clone());
            }
            if j == 0 && i > 0 {
                fig.panel().ylabel = Some(columns[i].0.clone());
            }
        }
    }
    fig.select(0)?;
    Ok(fig)
}

const SAMPLES_BLUE: (u8, u8, u8) = (31, 119, 180);
const TRUTH_RED: (u8, u8, u8) = (214, 39, 40);

/// A diagonal panel: the 1-D histogram of one column, its summary as the title, the truth.
fn diagonal_panel(
    fig: &mut Figure,
    (name, x): &(String, Vec<f64>),
    truth: Option<f64>,
    bins: usize,
) {
    fig.panel().title = Some(summary_title(name, x));
    fig.push(Series::Hist {
        hist: Hist {
            values: x.clone(),
            bins,
            range: None,
            density: false,
            cumulative: false,
            step: true,
        },
        label: None,
        color: SAMPLES_BLUE,
    });
    if let Some(t) = truth {
        fig.push(truth_line(t, true));
    }
}

/// An off-diagonal panel: the 2-D histogram of (x, y) and the truth cross-hair.
fn pair_panel(
    fig: &mut Figure,
    x: &[f64],
    y: &[f64],
    truth_x: Option<f64>,
    truth_y: Option<f64>,
    bins: usize,
) {
    fig.push(Series::Hist2d {
        x: x.to_vec(),
        y: y.to_vec(),
        bins,
        color: SAMPLES_BLUE,
    });
    if let (Some(tx), Some(ty)) = (truth_x, truth_y) {
        fig.push(truth_line(tx, true));
        fig.push(truth_line(ty, false));
    }
}

/// The truth marker: a vertical (`vertical`) or horizontal solid red line at `at`.
fn truth_line(at: f64, vertical: bool) -> Series {
    if vertical {
        Series::VLine {
            x: at,
            label: None,
            color: TRUTH_RED,
            dashed: false,
        }
    } else {
        Series::HLine {
            y: at,
            label: None,
            color: TRUTH_RED,
            dashed: false,
        }
    }
}

fn summary_title(name: &str, x: &[f64]) -> String {
    let mut v: Vec<f64> = x.iter().copied().filter(|v| v.is_finite()).collect();
    v.sort_by(f64::total_cmp);
    let q = |p: f64| crate::stats::quantile_sorted(&v, p).unwrap_or(f64::NAN);
    let (lo, med, hi) = (q(0.15865), q(0.5), q(0.84135));
    format!("{name} = {med:.3} +{:.3} −{:.3}", hi - med, med - lo)
}

/// Points of the ellipse `(x − μ)ᵀ Σ⁻¹ (x − μ) = k²` of a 2-D Gaussian (`npts` points, closed).
pub fn gaussian_ellipse(
    mean: [f64; 2],
    cov: [[f64; 2]; 2],
    k: f64,
    npts: usize,
) -> Result<(Vec<f64>, Vec<f64>), PlotError> {
    let (a, b, c) = (cov[0][0], cov[0][1], cov[1][1]);
    if !(a > 0.0 && c > 0.0 && a * c - b * b > 0.0)
        || (cov[1][0] - b).abs() > 1e-12 * (a.abs() + c.abs())
    {
        return Err(PlotError::BadArgument(format!(
            "ellipse: the covariance [[{a}, {b}], [{}, {c}]] is not symmetric positive definite",
            cov[1][0]
        )));
    }
    // Cholesky factor L with Σ = L Lᵀ; the ellipse is μ + k L (cos t, sin t).
    let l11 = a.sqrt();
    let l21 = b / l11;
    let l22 = (c - l21 * l21).sqrt();
    let npts = npts.max(8);
    let (mut xs, mut ys) = (Vec::with_capacity(npts + 1), Vec::with_capacity(npts + 1));
    for i in 0..=npts {
        let t = std::f64::consts::TAU * i as f64 / npts as f64;
        let (u, v) = (k * t.cos(), k * t.sin());
        xs.push(mean[0] + l11 * u);
        ys.push(mean[1] + l21 * u + l22 * v);
    }
    Ok((xs, ys))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ellipse_points_have_mahalanobis_distance_k() {
        let cov = [[0.04, 0.01], [0.01, 0.09]];
        let (x, y) = gaussian_ellipse([1.0, -2.0], cov, 2.0, 64).unwrap();
        let det = cov[0][0] * cov[1][1] - cov[0][1] * cov[1][0];
        let inv = [
            [cov[1][1] / det, -cov[0][1] / det],
            [-cov[1][0] / det, cov[0][0] / det],
        ];
        for (a, b) in x.iter().zip(&y) {
            let (u, v) = (a - 1.0, b + 2.0);
            let m = u * (inv[0][0] * u + inv[0][1] * v) + v * (inv[1][0] * u + inv[1][1] * v);
            assert!((m.sqrt() - 2.0).abs() < 1e-12);
        }
        assert!(gaussian_ellipse([0.0, 0.0], [[1.0, 2.0], [2.0, 1.0]], 1.0, 16).is_err());
    }

    #[test]
    fn corner_layout_and_errors() {
        let a: Vec<f64> = (0..200).map(|i| (i as f64 * 0.37).sin()).collect();
        let b: Vec<f64> = (0..200).map(|i| (i as f64 * 0.11).cos()).collect();
        let fig = corner(
            &[("a".into(), a.clone()), ("b".into(), b)],
            Some(&[0.0, 0.1]),
            20,
        )
        .unwrap();
        assert_eq!((fig.rows, fig.cols), (2, 2));
        assert!(
            fig.panels[1].series.is_empty(),
            "upper triangle must stay empty"
        );
        assert!(matches!(fig.panels[2].series[0], Series::Hist2d { .. }));
        assert!(fig.panels[0].title.as_deref().unwrap().starts_with("a = "));
        assert!(corner(
            &[("a".into(), a.clone()), ("b".into(), vec![1.0])],
            None,
            10
        )
        .is_err());
        assert!(corner(&[("a".into(), a)], Some(&[1.0, 2.0]), 10).is_err());
    }
}
