//! The calibration figures (paper Fig. A.2 and more): SBC rank histograms with their
//! binomial band, ECDF differences with their simultaneous band, expected coverage, TARP,
//! true against predicted parameters, PPC p-values and the local C2ST null distribution.

use super::figure::{Hist, Series};
use super::style::color_cycle;
use super::{Figure, PlotError};
use crate::calib::{Calibration, CoverageResult, Lc2stResult, PpcResult, SbcResult, TarpResult};

const GREY: (u8, u8, u8) = (150, 150, 150);
const BLACK: (u8, u8, u8) = (0, 0, 0);

/// A grid of `d` panels, three per row.
fn grid(d: usize) -> Figure {
    let cols = d.clamp(1, 3);
    Figure::grid(d.div_ceil(cols), cols)
}

/// The diagonal of the unit square, dashed.
fn diagonal(fig: &mut Figure) -> Result<(), PlotError> {
    fig.line(
        vec![0.0, 1.0],
        vec![0.0, 1.0],
        Some("ideal".into()),
        Some(BLACK),
        1,
        true,
    )
}

/// Rank histograms, one panel per parameter, with the binomial 99 % band (Fig. A.2 top).
pub fn sbc_figure(r: &SbcResult) -> Result<Figure, PlotError> {
    let mut fig = grid(r.names.len());
    for (j, name) in r.names.iter().enumerate() {
        fig.select(j)?;
        let e = &r.edges[j];
        let (lo, hi) = (e[0], e[e.len() - 1]);
        fig.band(
            vec![lo, hi],
            vec![r.band.0; 2],
            vec![r.band.1; 2],
            Some("99 % band".into()),
            Some(GREY),
            0.4,
        )?;
        let ranks: Vec<f64> = r.ranks.iter().map(|row| row[j]).collect();
        let hist = Hist {
            values: ranks,
            bins: e.len() - 1,
            range: Some((lo, hi)),
            density: false,
            cumulative: false,
            step: false,
        };
        fig.hist(hist, Some("ranks".into()), Some((200, 60, 60)))?;
        let p = fig.panel();
        p.title = Some(format!(
            "{name}: KS p = {:.3}, χ² p = {:.3}",
            r.ks_pvalues[j], r.chi2_pvalues[j]
        ));
        p.xlabel = Some(format!("rank among {} draws", r.samples));
        p.ylabel = Some("simulations".into());
    }
    Ok(fig)
}

/// ECDF differences F̂(z) − z of the fractional ranks with the simultaneous 99 % band.
pub fn ecdf_figure(r: &SbcResult) -> Result<Figure, PlotError> {
    let mut fig = grid(r.names.len());
    for (j, name) in r.names.iter().enumerate() {
        fig.select(j)?;
        let b = &r.ecdf;
        fig.band(
            b.z.clone(),
            b.lower.clone(),
            b.upper.clone(),
            Some("simultaneous 99 %".into()),
            Some(GREY),
            0.4,
        )?;
        fig.line(
            b.z.clone(),
            b.diff[j].clone(),
            Some(name.clone()),
            Some(color_cycle(0)),
            2,
            false,
        )?;
        let p = fig.panel();
        p.title = Some(name.clone());
        p.xlabel = Some("fractional rank z".into());
        p.ylabel = Some("ECDF(z) − z".into());
    }
    Ok(fig)
}

/// Expected coverage against credibility level: every parameter, the joint region and the
/// global parameters' joint region, with ±2 binomial standard errors around the diagonal.
pub fn coverage_figure(r: &CoverageResult) -> Result<Figure, PlotError> {
    let mut fig = Figure::new();
    let l = r.levels.clone();
    let lo: Vec<f64> = l.iter().zip(&r.stderr).map(|(g, s)| g - 2.0 * s).collect();
    let hi: Vec<f64> = l.iter().zip(&r.stderr).map(|(g, s)| g + 2.0 * s).collect();
    fig.band(l.clone(), lo, hi, Some("±2 s.e.".into()), Some(GREY), 0.35)?;
    diagonal(&mut fig)?;
    for (j, name) in r.names.iter().enumerate() {
        fig.line(
            l.clone(),
            r.marginal[j].clone(),
            Some(name.clone()),
            Some(color_cycle(j)),
            1,
            false,
        )?;
    }
    fig.line(
        l.clone(),
        r.joint.clone(),
        Some(format!("joint ({})", r.joint_method)),
        Some(BLACK),
        3,
        false,
    )?;
    if !r.global_names.is_empty() {
        fig.line(
            l,
            r.joint_global.clone(),
            Some(format!("joint {}", r.global_names.join("+"))),
            Some((120, 0, 160)),
            2,
            true,
        )?;
    }
    let p = fig.panel();
    p.title = Some(format!("expected coverage ({} simulations)", r.n));
    p.xlabel = Some("credibility level".into());
    p.ylabel = Some("expected coverage".into());
    p.xlim = Some((0.0, 1.0));
    p.ylim = Some((0.0, 1.0));
    Ok(fig)
}

/// TARP: expected coverage probability against credibility level, with the bootstrap's
/// ±1σ and ±2σ bands (Fig. A.2 middle, Fig. A.1).
pub fn tarp_figure(r: &TarpResult) -> Result<Figure, PlotError> {
    let mut fig = Figure::new();
    if r.boot_mean.len() == r.alpha_grid.len() && !r.boot_mean.is_empty() {
        for (k, alpha) in [(2.0, 0.25), (1.0, 0.45)] {
            let lo = r
                .boot_mean
                .iter()
                .zip(&r.boot_sd)
                .map(|(m, s)| m - k * s)
                .collect();
            let hi = r
                .boot_mean
                .iter()
                .zip(&r.boot_sd)
                .map(|(m, s)| m + k * s)
                .collect();
            fig.band(
                r.alpha_grid.clone(),
                lo,
                hi,
                Some(format!("bootstrap ±{k}σ")),
                Some((70, 110, 200)),
                alpha,
            )?;
        }
    }
    diagonal(&mut fig)?;
    fig.line(
        r.alpha.clone(),
        r.ecp.clone(),
        Some("TARP".into()),
        Some((30, 60, 200)),
        2,
        false,
    )?;
    let p = fig.panel();
    p.title = Some(format!(
        "TARP ({}): ATC = {:.4}, KS p = {:.3}",
        r.convention, r.atc, r.ks_pvalue
    ));
    p.xlabel = Some("credibility level α".into());
    p.ylabel = Some("expected coverage".into());
    Ok(fig)
}

/// True against predicted parameters: posterior mean ± sd against θ* (Fig. A.2 bottom).
pub fn predictions_figure(cal: &Calibration) -> Result<Figure, PlotError> {
    let mut fig = grid(cal.names.len());
    for (j, name) in cal.names.iter().enumerate() {
        fig.select(j)?;
        let (mut t, mut m, mut ex, mut ey) = (vec![], vec![], vec![], vec![]);
        for (r, s) in cal.usable() {
            t.push(r.theta[j]);
            m.push(s.mean[j]);
            ex.extend([r.theta[j], r.theta[j], f64::NAN]);
            ey.extend([s.mean[j] - s.sd[j], s.mean[j] + s.sd[j], f64::NAN]);
        }
        if t.is_empty() {
            continue;
        }
        let lo = t.iter().chain(&m).copied().fold(f64::INFINITY, f64::min);
        let hi = t
            .iter()
            .chain(&m)
            .copied()
            .fold(f64::NEG_INFINITY, f64::max);
        fig.line(ex, ey, None, Some((170, 190, 230)), 1, false)?;
        fig.scatter(t, m, None, None, Some(color_cycle(0)), 2)?;
        fig.line(vec![lo, hi], vec![lo, hi], None, Some(BLACK), 1, true)?;
        let p = fig.panel();
        p.title = Some(name.clone());
        p.xlabel = Some("true".into());
        p.ylabel = Some("posterior mean ± sd".into());
    }
    Ok(fig)
}

/// PPC: the histograms of the sampled-posterior and classical p-values, and the residual
/// rms per element.
pub fn ppc_figure(r: &PpcResult) -> Result<Figure, PlotError> {
    let mut fig = Figure::grid(1, 2);
    let p: Vec<f64> = r.stars.iter().map(|s| s.p_value).collect();
    let pc: Vec<f64> = r.stars.iter().map(|s| s.p_classical).collect();
    let bins = (p.len() / 10).clamp(5, 20);
    for (v, label, c) in [(p, "sampled-posterior", 0), (pc, "classical", 1)] {
        let hist = Hist {
            values: v,
            bins,
            range: Some((0.0, 1.0)),
            density: true,
            cumulative: false,
            step: true,
        };
        fig.hist(hist, Some(label.into()), Some(color_cycle(c)))?;
    }
    fig.push(Series::HLine {
        y: 1.0,
        label: Some("uniform".into()),
        color: BLACK,
        dashed: true,
    });
    let panel = fig.panel();
    panel.title = Some(format!(
        "{} stars: KS p = {:.3}",
        r.stars.len(),
        r.ks_pvalue
    ));
    panel.xlabel = Some("p-value".into());
    panel.ylabel = Some("density".into());
    fig.select(1)?;
    let x: Vec<f64> = (0..r.elements.len()).map(|j| j as f64).collect();
    fig.scatter(
        x.clone(),
        r.residual_rms.clone(),
        None,
        Some("rms".into()),
        Some(color_cycle(0)),
        5,
    )?;
    fig.scatter(
        x,
        r.residual_mean.clone(),
        None,
        Some("mean".into()),
        Some(color_cycle(1)),
        5,
    )?;
    fig.push(Series::HLine {
        y: 1.0,
        label: None,
        color: BLACK,
        dashed: true,
    });
    let panel = fig.panel();
    panel.title = Some(format!("residuals per element ({})", r.elements.join(", ")));
    panel.xlabel = Some("element index".into());
    panel.ylabel = Some("standardised residual".into());
    Ok(fig)
}

/// The local C2ST: the null distribution of the statistic and the observed value.
pub fn lc2st_figure(r: &Lc2stResult) -> Result<Figure, PlotError> {
    let mut fig = Figure::new();
    let mut all = r.null_statistics.clone();
    all.push(r.statistic);
    let hi = all.iter().copied().fold(0.0f64, f64::max) * 1.05;
    let hist = Hist {
        values: r.null_statistics.clone(),
        bins: 20,
        range: Some((0.0, hi.max(1e-12))),
        density: false,
        cumulative: false,
        step: false,
    };
    fig.hist(hist, Some("null (permuted labels)".into()), Some(GREY))?;
    fig.push(Series::VLine {
        x: r.statistic,
        label: Some("observed".into()),
        color: (200, 40, 40),
        dashed: false,
    });
    let p = fig.panel();
    p.title = Some(format!(
        "local C2ST: T = {:.4}, p = {:.3}",
        r.statistic, r.p_value
    ));
    p.xlabel = Some("T = mean (d − ½)²".into());
    p.ylabel = Some("classifiers".into());
    Ok(fig)
}
