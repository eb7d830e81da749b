//! The paper's Fig. 2: the cumulative distribution of an emulator's absolute percentage
//! error, overall and per element, with the median and quartiles marked.

use super::figure::Series;
use super::style::color_cycle;
use super::{Figure, PlotError};
use crate::gce::abundances::bracket;
use crate::nn::emulator::EmulatorReport;

/// Fig. 2 for an emulator's accuracy report.
pub fn emulator_ape_figure(r: &EmulatorReport) -> Result<Figure, PlotError> {
    let mut fig = Figure::new();
    let p = fig.panel();
    p.xlabel = Some("absolute percentage error (%)".into());
    p.ylabel = Some("cumulative fraction".into());
    p.title = Some(format!(
        "emulator APE: median {:.2} % (+{:.2} / −{:.2})",
        r.overall.ape_median,
        r.overall.ape_p75 - r.overall.ape_median,
        r.overall.ape_median - r.overall.ape_p25
    ));
    p.xlim = Some((0.0, 30.0));
    p.ylim = Some((0.0, 1.0));
    for (i, (name, s)) in r.outputs.iter().zip(&r.per_output).enumerate() {
        fig.line(
            r.cdf_grid.clone(),
            s.ape_cdf.clone(),
            Some(bracket(name)),
            Some(color_cycle(i + 1)),
            1,
            false,
        )?;
    }
    fig.line(
        r.cdf_grid.clone(),
        r.overall.ape_cdf.clone(),
        Some("all".into()),
        Some((0, 0, 0)),
        3,
        false,
    )?;
    let o = &r.overall;
    fig.push(Series::VLine {
        x: o.ape_median,
        label: Some("median, quartiles".into()),
        color: (0, 0, 0),
        dashed: true,
    });
    for q in [o.ape_p25, o.ape_p75] {
        fig.push(Series::VLine {
            x: q,
            label: None,
            color: (128, 128, 128),
            dashed: true,
        });
    }
    Ok(fig)
}
