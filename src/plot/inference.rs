//! The paper's inference figures: the global parameters against the number of stars
//! (Fig. 5) and their joint posterior with 1–3σ ellipses (Fig. 6).

use super::corner::gaussian_ellipse;
use super::figure::Series;
use super::{Figure, PlotError};
use crate::infer::CatalogInference;

/// Axis labels of the two global parameters.
pub const GLOBAL_LABELS: [&str; 2] = ["α_IMF", "log10 N_Ia"];

/// One point of the running combination: the first `n` stars give `mean ± sd`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RunningPoint {
    pub n: f64,
    pub mean: [f64; 2],
    pub sd: [f64; 2],
}

/// Reference estimates drawn as points with error bars, e.g. HMC at a few numbers of stars:
/// `(n, [median, low, high] for each parameter)`.
pub type Reference = (String, Vec<(f64, [[f64; 3]; 2])>);

/// Fig. 5: for each global parameter, the estimate from the first n stars with 1σ and 2σ
/// bands against n (log axis), the truth, and optional reference estimates.
pub fn n_stars_figure(
    points: &[RunningPoint],
    truth: Option<[f64; 2]>,
    reference: Option<&Reference>,
) -> Result<Figure, PlotError> {
    let pts: Vec<&RunningPoint> = points
        .iter()
        .filter(|p| p.mean.iter().chain(&p.sd).all(|v| v.is_finite()))
        .collect();
    if pts.is_empty() {
        return Err(PlotError::BadArgument(
            "n_stars_figure: no finite points to draw".into(),
        ));
    }
    let mut fig = Figure::grid(2, 1);
    fig.width = 900;
    fig.height = 800;
    let n: Vec<f64> = pts.iter().map(|p| p.n).collect();
    for k in 0..2 {
        fig.select(k)?;
        let m: Vec<f64> = pts.iter().map(|p| p.mean[k]).collect();
        let band = |z: f64| -> (Vec<f64>, Vec<f64>) {
            (
                pts.iter().map(|p| p.mean[k] - z * p.sd[k]).collect(),
                pts.iter().map(|p| p.mean[k] + z * p.sd[k]).collect(),
            )
        };
        let p = fig.panel();
        p.logx = true;
        p.xlabel = Some("number of stars".into());
        p.ylabel = Some(GLOBAL_LABELS[k].into());
        if let Some(t) = truth {
            p.ylim = Some((t[k] - 0.1 * t[k].abs(), t[k] + 0.1 * t[k].abs()));
        }
        let blue = (31, 119, 180);
        let (lo2, hi2) = band(2.0);
        fig.band(n.clone(), lo2, hi2, Some("2σ".into()), Some(blue), 0.15)?;
        let (lo1, hi1) = band(1.0);
        fig.band(n.clone(), lo1, hi1, Some("1σ".into()), Some(blue), 0.35)?;
        fig.line(
            n.clone(),
            m,
            Some("SBI (this work)".into()),
            Some(blue),
            2,
            false,
        )?;
        if let Some(t) = truth {
            fig.push(Series::HLine {
                y: t[k],
                label: Some("truth".into()),
                color: (0, 0, 0),
                dashed: true,
            });
        }
        if let Some(r) = reference {
            reference_points(&mut fig, r, k)?;
        }
    }
    fig.select(0)?;
    Ok(fig)
}

/// The reference estimates (e.g. HMC medians with 1σ bars) of parameter `k`, in red.
fn reference_points(fig: &mut Figure, (name, refs): &Reference, k: usize) -> Result<(), PlotError> {
    let red = (214, 39, 40);
    for (i, (rn, v)) in refs.iter().enumerate() {
        let [med, lo, hi] = v[k];
        let label = (i == 0).then(|| name.clone());
        fig.line(vec![*rn, *rn], vec![lo, hi], None, Some(red), 3, false)?;
        fig.scatter(vec![*rn], vec![med], None, label, Some(red), 5)?;
    }
    Ok(())
}

/// Fig. 6: the joint posterior of the global parameters as 1σ, 2σ and 3σ ellipses of the
/// combined Gaussian, with the truth marked.
pub fn joint_figure(
    mean: [f64; 2],
    cov: [[f64; 2]; 2],
    truth: Option<[f64; 2]>,
    title: Option<String>,
) -> Result<Figure, PlotError> {
    gaussian_joint_figure("", mean, cov, truth, title)
}

/// [`joint_figure`] with the Gaussian's method named in the legend (if not empty).
fn gaussian_joint_figure(
    method: &str,
    mean: [f64; 2],
    cov: [[f64; 2]; 2],
    truth: Option<[f64; 2]>,
    title: Option<String>,
) -> Result<Figure, PlotError> {
    let mut fig = Figure::new();
    fig.width = 700;
    fig.height = 650;
    let blue = (31, 119, 180);
    for k in 1..=3 {
        let (x, y) = gaussian_ellipse(mean, cov, k as f64, 180)?;
        let label = Some(if method.is_empty() {
            format!("{k}σ")
        } else {
            format!("Gaussian ({method}) {k}σ")
        });
        fig.line(x, y, label, Some(blue), if k == 1 { 3 } else { 2 }, k > 1)?;
    }
    fig.scatter(
        vec![mean[0]],
        vec![mean[1]],
        None,
        Some("posterior mean".into()),
        Some(blue),
        5,
    )?;
    if let Some(t) = truth {
        fig.scatter(
            vec![t[0]],
            vec![t[1]],
            None,
            Some("truth".into()),
            Some((214, 39, 40)),
            6,
        )?;
        fig.push(Series::VLine {
            x: t[0],
            label: None,
            color: (214, 39, 40),
            dashed: true,
        });
        fig.push(Series::HLine {
            y: t[1],
            label: None,
            color: (214, 39, 40),
            dashed: true,
        });
    }
    let p = fig.panel();
    p.xlabel = Some(GLOBAL_LABELS[0].into());
    p.ylabel = Some(GLOBAL_LABELS[1].into());
    p.title = title;
    Ok(fig)
}

/// The running combination of a catalog inference as Fig. 5 points; an inference whose
/// global parameters are not two gives an error.
pub fn running_points(r: &CatalogInference) -> Result<Vec<RunningPoint>, PlotError> {
    two_globals(r)?;
    Ok(r.running
        .iter()
        .map(|p| RunningPoint {
            n: p.n_stars as f64,
            mean: [p.mean[0], p.mean[1]],
            sd: [p.sd[0], p.sd[1]],
        })
        .collect())
}

/// Fig. 5 of a catalog inference.
pub fn inference_n_stars_figure(
    r: &CatalogInference,
    truth: Option<[f64; 2]>,
    reference: Option<&Reference>,
) -> Result<Figure, PlotError> {
    n_stars_figure(&running_points(r)?, truth, reference)
}

/// Fig. 6 of a catalog inference; the title defaults to "joint posterior of N stars".
pub fn inference_joint_figure(
    r: &CatalogInference,
    truth: Option<[f64; 2]>,
    title: Option<String>,
) -> Result<Figure, PlotError> {
    two_globals(r)?;
    let c = &r.combined;
    let title = title.or_else(|| Some(format!("joint posterior of {} stars", c.n_stars)));
    let mut fig = gaussian_joint_figure(
        c.method.name(),
        [c.mean[0], c.mean[1]],
        [[c.cov[0][0], c.cov[0][1]], [c.cov[1][0], c.cov[1][1]]],
        truth,
        title,
    )?;
    if let Some(e) = &r.exact {
        super::contour::add_hpd_contours(&mut fig, e)?;
    }
    Ok(fig)
}

fn two_globals(r: &CatalogInference) -> Result<(), PlotError> {
    if r.global_names.len() == 2 {
        Ok(())
    } else {
        Err(PlotError::BadArgument(format!(
            "the figure shows two global parameters, this inference has {} ({})",
            r.global_names.len(),
            r.global_names.join(", ")
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_build_and_render() {
        let pts: Vec<RunningPoint> = (1..=50)
            .map(|n| RunningPoint {
                n: n as f64,
                mean: [-2.3, -2.89],
                sd: [0.1 / (n as f64).sqrt(), 0.1 / (n as f64).sqrt()],
            })
            .collect();
        let reference: Reference = (
            "HMC".into(),
            vec![(1.0, [[-2.29, -2.37, -2.21], [-2.87, -2.98, -2.76]])],
        );
        let fig = n_stars_figure(&pts, Some([-2.3, -2.89]), Some(&reference)).unwrap();
        assert_eq!(fig.panels.len(), 2);
        assert!(fig.panels[0].logx);
        let dir = tempfile::tempdir().unwrap();
        fig.save(&dir.path().join("n.png")).unwrap();
        let j = joint_figure(
            [-2.3, -2.89],
            [[1e-4, 2e-5], [2e-5, 4e-4]],
            Some([-2.3, -2.89]),
            None,
        )
        .unwrap();
        j.save(&dir.path().join("j.svg")).unwrap();
        assert!(n_stars_figure(&[], None, None).is_err());
        assert!(joint_figure([0.0, 0.0], [[1.0, 2.0], [2.0, 1.0]], None, None).is_err());
    }
}
