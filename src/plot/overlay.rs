//! Several methods' posteriors of the global parameters (α_IMF, log10 N_Ia) overlaid: the
//! marginals of each (a histogram of its draws when it has draws, else its Gaussian) and the
//! joint with the 1σ and 2σ ellipses of each method's mean and covariance, and the truth.

use super::corner::gaussian_ellipse;
use super::figure::{Hist, Series};
use super::style::color_cycle;
use super::{Figure, PlotError, GLOBAL_LABELS};

/// At most this many draws are scattered in the joint panel (evenly thinned).
const MAX_POINTS: usize = 2000;

/// One method's posterior of (α_IMF, log10 N_Ia).
#[derive(Debug, Clone, PartialEq)]
pub struct PosteriorEstimate {
    /// The method's name, e.g. `sbi`, `hmc`, `map` (the legend).
    pub method: String,
    /// The mean `(2)`.
    pub mean: [f64; 2],
    /// The covariance `(2, 2)`, symmetric positive definite.
    pub cov: [[f64; 2]; 2],
    /// The draws `(α_IMF values, log10 N_Ia values)`, equal lengths, when the method samples.
    pub draws: Option<(Vec<f64>, Vec<f64>)>,
}

/// Three panels side by side: the marginal of α_IMF, that of log10 N_Ia, and the joint.
/// Each method has one colour; draws are histogrammed (marginals) and scattered (joint),
/// every method's Gaussian (mean, cov) is drawn as a curve (marginals) and as 1σ and 2σ
/// ellipses (joint); the truth is dashed.
pub fn posterior_overlay(
    estimates: &[PosteriorEstimate],
    truth: Option<[f64; 2]>,
) -> Result<Figure, PlotError> {
    if estimates.is_empty() {
        return Err(PlotError::BadArgument(
            "posterior_figure: no posteriors to draw".into(),
        ));
    }
    let mut fig = Figure::grid(1, 3);
    (fig.width, fig.height) = (1500, 520);
    fig.title = Some("posteriors of the global parameters".into());
    for k in 0..2 {
        fig.select(k)?;
        fig.panel().xlabel = Some(GLOBAL_LABELS[k].into());
        fig.panel().ylabel = Some("density".into());
        for (m, e) in estimates.iter().enumerate() {
            marginal(&mut fig, e, k, color_cycle(m))?;
        }
        if let Some(t) = truth {
            fig.push(Series::VLine {
                x: t[k],
                label: Some("truth".into()),
                color: (0, 0, 0),
                dashed: true,
            });
        }
    }
    fig.select(2)?;
    fig.panel().xlabel = Some(GLOBAL_LABELS[0].into());
    fig.panel().ylabel = Some(GLOBAL_LABELS[1].into());
    // every method's draws first, so that no ellipse is hidden under them
    for (m, e) in estimates.iter().enumerate() {
        joint_draws(&mut fig, e, color_cycle(m))?;
    }
    for (m, e) in estimates.iter().enumerate() {
        joint_ellipses(&mut fig, e, color_cycle(m))?;
    }
    if let Some(t) = truth {
        fig.push(Series::VLine {
            x: t[0],
            label: None,
            color: (0, 0, 0),
            dashed: true,
        });
        fig.push(Series::HLine {
            y: t[1],
            label: None,
            color: (0, 0, 0),
            dashed: true,
        });
    }
    fig.select(0)?;
    Ok(fig)
}

/// The marginal of coordinate `k`: the histogram of the draws, and the Gaussian curve.
fn marginal(
    fig: &mut Figure,
    e: &PosteriorEstimate,
    k: usize,
    color: super::Rgb,
) -> Result<(), PlotError> {
    let (mu, sd) = (e.mean[k], e.cov[k][k].sqrt());
    if !(mu.is_finite() && sd.is_finite() && sd > 0.0) {
        return Err(PlotError::BadArgument(format!(
            "posterior_figure: {} has mean {mu} and sd {sd} for {}",
            e.method, GLOBAL_LABELS[k]
        )));
    }
    if let Some(d) = &e.draws {
        let values = if k == 0 { d.0.clone() } else { d.1.clone() };
        let hist = Hist {
            values,
            bins: 40,
            range: None,
            density: true,
            cumulative: false,
            step: true,
        };
        fig.hist(hist, None, Some(color))?;
    }
    let x: Vec<f64> = (0..=120)
        .map(|i| mu + sd * (-4.0 + 8.0 * i as f64 / 120.0))
        .collect();
    let norm = 1.0 / (sd * (2.0 * std::f64::consts::PI).sqrt());
    let y: Vec<f64> = x
        .iter()
        .map(|v| norm * (-0.5 * ((v - mu) / sd).powi(2)).exp())
        .collect();
    let label = format!("{} {mu:.3} ± {sd:.3}", e.method);
    fig.line(x, y, Some(label), Some(color), 2, e.draws.is_some())
}

/// The thinned draws in the joint panel.
fn joint_draws(
    fig: &mut Figure,
    e: &PosteriorEstimate,
    color: super::Rgb,
) -> Result<(), PlotError> {
    if let Some((a, b)) = &e.draws {
        let step = a.len().div_ceil(MAX_POINTS).max(1);
        let x: Vec<f64> = a.iter().step_by(step).copied().collect();
        let y: Vec<f64> = b.iter().step_by(step).copied().collect();
        fig.scatter(x, y, None, None, Some(color), 1)?;
    }
    Ok(())
}

/// The 1σ and 2σ ellipses in the joint panel.
fn joint_ellipses(
    fig: &mut Figure,
    e: &PosteriorEstimate,
    color: super::Rgb,
) -> Result<(), PlotError> {
    for (k, width) in [(1.0, 3), (2.0, 2)] {
        let (x, y) = gaussian_ellipse(e.mean, e.cov, k, 96)?;
        let label = (k == 1.0).then(|| format!("{} 1σ, 2σ", e.method));
        fig.line(x, y, label, Some(color), width, false)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlay_has_three_panels_and_rejects_bad_input() {
        let a: Vec<f64> = (0..500)
            .map(|i| -2.3 + 0.01 * (i as f64 * 0.7).sin())
            .collect();
        let b: Vec<f64> = (0..500)
            .map(|i| -2.89 + 0.02 * (i as f64 * 0.3).cos())
            .collect();
        let hmc = PosteriorEstimate {
            method: "hmc".into(),
            mean: [-2.3, -2.89],
            cov: [[1e-4, 2e-5], [2e-5, 4e-4]],
            draws: Some((a, b)),
        };
        let sbi = PosteriorEstimate {
            method: "sbi".into(),
            draws: None,
            ..hmc.clone()
        };
        let fig = posterior_overlay(&[hmc.clone(), sbi], Some([-2.3, -2.89])).unwrap();
        assert_eq!(fig.panels.len(), 3);
        // histogram + curve + truth per marginal; draws + 2 ellipses per method + 2 truth lines
        assert_eq!(fig.panels[0].series.len(), 4);
        assert_eq!(fig.panels[2].series.len(), 3 + 2 + 2);
        assert!(posterior_overlay(&[], None).is_err());
        let bad = PosteriorEstimate {
            cov: [[-1.0, 0.0], [0.0, 1.0]],
            ..hmc
        };
        assert!(posterior_overlay(&[bad], None).is_err());
    }
}
