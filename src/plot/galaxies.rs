//! The coverage of many mock galaxies (`galaxy_calibration`): per method, the fraction of
//! galaxies whose 68 % and 95 % regions of Λ hold the truth against the number of stars, with
//! the nominal level and its ±2 binomial standard errors.

use super::figure::Series;
use super::style::color_cycle;
use super::{Figure, PlotError};
use crate::calib::galaxy::Coverage;

/// Two panels (68 %, 95 %): coverage against the number of stars (log axis), one line per
/// method (the default drawn thicker), the nominal level dashed in a ±2 s.e. band.
pub fn galaxy_coverage_figure(cov: &[Coverage]) -> Result<Figure, PlotError> {
    if cov.is_empty() {
        return Err(PlotError::BadArgument("no coverage entries to draw".into()));
    }
    let mut methods: Vec<&str> = Vec::new();
    for c in cov {
        if !methods.contains(&c.method.as_str()) {
            methods.push(&c.method);
        }
    }
    let mut fig = Figure::grid(1, 2);
    fig.width = 1200;
    fig.height = 520;
    let galaxies = cov.iter().map(|c| c.galaxies).max().unwrap_or(1).max(1) as f64;
    for (panel, level) in [0.68, 0.95].into_iter().enumerate() {
        fig.select(panel)?;
        let ns: Vec<f64> = {
            let mut v: Vec<f64> = cov.iter().map(|c| c.n as f64).collect();
            v.sort_by(f64::total_cmp);
            v.dedup();
            v
        };
        let se = (level * (1.0 - level) / galaxies).sqrt();
        if ns.len() > 1 {
            fig.band(
                ns.clone(),
                vec![level - 2.0 * se; ns.len()],
                vec![level + 2.0 * se; ns.len()],
                Some("nominal ± 2 s.e.".into()),
                Some((150, 150, 150)),
                0.3,
            )?;
        }
        fig.push(Series::HLine {
            y: level,
            label: None,
            color: (0, 0, 0),
            dashed: true,
        });
        for (k, m) in methods.iter().enumerate() {
            let mut pts: Vec<(f64, f64, bool)> = cov
                .iter()
                .filter(|c| c.method == *m)
                .map(|c| {
                    (
                        c.n as f64,
                        if panel == 0 { c.c68 } else { c.c95 },
                        c.default,
                    )
                })
                .collect();
            pts.sort_by(|a, b| a.0.total_cmp(&b.0));
            let default = pts.iter().any(|p| p.2);
            let label = if default {
                format!("{m} (default)")
            } else {
                m.to_string()
            };
            let (x, y): (Vec<f64>, Vec<f64>) = pts.iter().map(|p| (p.0, p.1)).unzip();
            fig.scatter(x.clone(), y.clone(), None, None, Some(color_cycle(k)), 4)?;
            if x.len() > 1 {
                fig.line(
                    x,
                    y,
                    Some(label),
                    Some(color_cycle(k)),
                    if default { 3 } else { 1 },
                    false,
                )?;
            }
        }
        let p = fig.panel();
        p.title = Some(format!(
            "{:.0} % regions of (alpha_IMF, log10 N_Ia)",
            level * 100.0
        ));
        p.xlabel = Some("stars per galaxy".into());
        p.ylabel = Some("fraction of galaxies holding the truth".into());
        p.logx = ns.len() > 1;
        p.ylim = Some((0.0, 1.0));
    }
    fig.title = Some(format!("coverage over {galaxies:.0} mock galaxies"));
    Ok(fig)
}
