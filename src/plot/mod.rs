//! Figures (plotters, PNG and SVG): a [`Figure`] is a grid of [`Panel`]s, each holding series
//! (histograms, scatter points, lines, bands) with labels, legend and optional log axes.
//!
//! A figure is plain data until [`Figure::save`] renders it, so scripts build it step by
//! step and the same description renders to PNG or SVG (chosen by the file extension).

mod baselines;
mod calibration;
mod contour;
mod corner;
mod emulator;
mod error;
mod extent;
mod figure;
mod galaxies;
mod inference;
mod overlay;
mod render;
mod series;
mod style;
mod tracks;

pub use baselines::{methods_figure, rank_figure, trace_figure, MethodPoint};
pub use calibration::{
    coverage_figure, ecdf_figure, lc2st_figure, ppc_figure, predictions_figure, sbc_figure,
    tarp_figure,
};
pub use corner::{corner, gaussian_ellipse};
pub use emulator::emulator_ape_figure;
pub use error::PlotError;
pub use figure::{Figure, Hist, Panel, Series};
pub use galaxies::galaxy_coverage_figure;
pub use inference::{
    inference_joint_figure, inference_n_stars_figure, joint_figure, n_stars_figure, running_points,
    Reference, RunningPoint, GLOBAL_LABELS,
};
pub use overlay::{posterior_overlay, PosteriorEstimate};
pub use style::{color_cycle, parse_color as parse_color_public, viridis, Rgb};
pub use tracks::track;
