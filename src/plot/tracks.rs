//! Abundance tracks: the ISM abundances of a simulation over time as a line through the
//! points of one abundance against another, the points coloured by time.

use super::style::Rgb;
use super::{Figure, PlotError};
use crate::gce::abundances::bracket;

/// Adds a track to the current panel of `fig`: `y` against `x` (dex) with the points
/// coloured by `time` (Gyr) if given; axis labels `[X/Fe] (dex)` are set from the abundance
/// names `x_name`, `y_name` when the panel has none.
#[allow(clippy::too_many_arguments)]
pub fn track(
    fig: &mut Figure,
    x: Vec<f64>,
    y: Vec<f64>,
    time: Option<Vec<f64>>,
    (x_name, y_name): (&str, &str),
    label: Option<String>,
    color: Option<Rgb>,
) -> Result<(), PlotError> {
    let panel = fig.panel();
    if panel.xlabel.is_none() {
        panel.xlabel = Some(format!("{} (dex)", bracket(x_name)));
    }
    if panel.ylabel.is_none() {
        panel.ylabel = Some(format!("{} (dex)", bracket(y_name)));
    }
    if time.is_some() && panel.clabel.is_none() {
        panel.clabel = Some("time (Gyr)".into());
    }
    fig.line(x.clone(), y.clone(), label, color, 1, false)?;
    fig.scatter(x, y, time, None, color, 3)
}
