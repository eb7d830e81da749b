//! The figure description: panels, series and their styles (no drawing here).

use super::style::{color_cycle, Rgb};
use super::PlotError;

/// One histogram's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Hist {
    /// Values; non-finite ones are ignored.
    pub values: Vec<f64>,
    /// Number of equal-width bins.
    pub bins: usize,
    /// Bin range; `None` = [min, max] of the finite values.
    pub range: Option<(f64, f64)>,
    /// Normalise to unit area.
    pub density: bool,
    /// Cumulative (each bin holds the count up to its right edge; with `density`, a CDF in [0, 1]).
    pub cumulative: bool,
    /// Draw only the outline (step) instead of filled bars.
    pub step: bool,
}

/// Something drawn in a panel. Colours default to the panel's colour cycle.
#[derive(Debug, Clone, PartialEq)]
pub enum Series {
    /// A histogram.
    Hist {
        hist: Hist,
        label: Option<String>,
        color: Rgb,
    },
    /// Points; if `c` is given, each point is coloured by its value on the viridis map.
    Scatter {
        x: Vec<f64>,
        y: Vec<f64>,
        c: Option<Vec<f64>>,
        label: Option<String>,
        color: Rgb,
        size: u32,
    },
    /// A polyline through (x, y) (non-finite points break the line).
    Line {
        x: Vec<f64>,
        y: Vec<f64>,
        label: Option<String>,
        color: Rgb,
        width: u32,
        dashed: bool,
    },
    /// A filled band between `lo` and `hi` over `x`.
    Band {
        x: Vec<f64>,
        lo: Vec<f64>,
        hi: Vec<f64>,
        label: Option<String>,
        color: Rgb,
        alpha: f64,
    },
    /// A horizontal line across the panel.
    HLine {
        y: f64,
        label: Option<String>,
        color: Rgb,
        dashed: bool,
    },
    /// A vertical line across the panel.
    VLine {
        x: f64,
        label: Option<String>,
        color: Rgb,
        dashed: bool,
    },
    /// A 2-D histogram shaded from white to `color` (density of points).
    Hist2d {
        x: Vec<f64>,
        y: Vec<f64>,
        bins: usize,
        color: Rgb,
    },
}

impl Series {
    /// The label shown in the legend, if any.
    pub fn label(&self) -> Option<&str> {
        match self {
            Series::Hist { label, .. }
            | Series::Scatter { label, .. }
            | Series::Line { label, .. }
            | Series::Band { label, .. }
            | Series::HLine { label, .. }
            | Series::VLine { label, .. } => label.as_deref(),
            Series::Hist2d { .. } => None,
        }
    }
}

/// One set of axes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Panel {
    pub title: Option<String>,
    pub xlabel: Option<String>,
    pub ylabel: Option<String>,
    pub logx: bool,
    pub logy: bool,
    pub xlim: Option<(f64, f64)>,
    pub ylim: Option<(f64, f64)>,
    /// Label of the colour scale when a scatter series is coloured by value.
    pub clabel: Option<String>,
    pub series: Vec<Series>,
}

impl Panel {
    /// The next colour of the cycle for this panel.
    pub fn next_color(&self) -> Rgb {
        color_cycle(
            self.series
                .iter()
                .filter(|s| !matches!(s, Series::HLine { .. } | Series::VLine { .. }))
                .count(),
        )
    }
}

/// A figure: `rows × cols` panels (row-major), a size in pixels and an optional title.
/// Drawing methods act on the current panel ([`Figure::select`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    pub title: Option<String>,
    pub width: u32,
    pub height: u32,
    pub rows: usize,
    pub cols: usize,
    pub panels: Vec<Panel>,
    current: usize,
}

impl Default for Figure {
    fn default() -> Self {
        Self::new()
    }
}

impl Figure {
    /// A single-panel figure of 800 × 600 pixels.
    pub fn new() -> Self {
        Self::grid(1, 1)
    }

    /// A figure with a `rows × cols` grid of panels (at least 1 × 1).
    pub fn grid(rows: usize, cols: usize) -> Self {
        let (rows, cols) = (rows.max(1), cols.max(1));
        Self {
            title: None,
            width: 800.max(360 * cols as u32),
            height: 600.max(300 * rows as u32),
            rows,
            cols,
            panels: vec![Panel::default(); rows * cols],
            current: 0,
        }
    }

    /// Makes panel `index` (row-major, from 0) the target of later drawing calls.
    pub fn select(&mut self, index: usize) -> Result<(), PlotError> {
        if index >= self.panels.len() {
            return Err(PlotError::BadArgument(format!(
                "panel {index} does not exist (the figure has {} panels, numbered from 0)",
                self.panels.len()
            )));
        }
        self.current = index;
        Ok(())
    }

    /// Index of the current panel.
    pub fn current(&self) -> usize {
        self.current
    }

    /// The current panel.
    pub fn panel(&mut self) -> &mut Panel {
        &mut self.panels[self.current]
    }

    /// Adds a histogram of `hist.values`.
    pub fn hist(
        &mut self,
        hist: Hist,
        label: Option<String>,
        color: Option<Rgb>,
    ) -> Result<(), PlotError> {
        if hist.bins == 0 {
            return Err(PlotError::BadArgument(
                "a histogram needs at least one bin".into(),
            ));
        }
        if !hist.values.iter().any(|v| v.is_finite()) {
            return Err(PlotError::BadArgument(
                "hist: no finite values to draw".into(),
            ));
        }
        let color = color.unwrap_or_else(|| self.panel().next_color());
        self.panel()
            .series
            .push(Series::Hist { hist, label, color });
        Ok(())
    }

    /// Adds scatter points, optionally coloured by `c`.
    pub fn scatter(
        &mut self,
        x: Vec<f64>,
        y: Vec<f64>,
        c: Option<Vec<f64>>,
        label: Option<String>,
        color: Option<Rgb>,
        size: u32,
    ) -> Result<(), PlotError> {
        same_len("scatter", &x, &y)?;
        if let Some(c) = &c {
            same_len("scatter colours", &x, c)?;
        }
        let color = color.unwrap_or_else(|| self.panel().next_color());
        self.panel().series.push(Series::Scatter {
            x,
            y,
            c,
            label,
            color,
            size: size.max(1),
        });
        Ok(())
    }

    /// Adds a line through the points.
    pub fn line(
        &mut self,
        x: Vec<f64>,
        y: Vec<f64>,
        label: Option<String>,
        color: Option<Rgb>,
        width: u32,
        dashed: bool,
    ) -> Result<(), PlotError> {
        same_len("line", &x, &y)?;
        let color = color.unwrap_or_else(|| self.panel().next_color());
        self.panel().series.push(Series::Line {
            x,
            y,
            label,
            color,
            width: width.max(1),
            dashed,
        });
        Ok(())
    }

    /// Adds a filled band between `lo` and `hi`.
    pub fn band(
        &mut self,
        x: Vec<f64>,
        lo: Vec<f64>,
        hi: Vec<f64>,
        label: Option<String>,
        color: Option<Rgb>,
        alpha: f64,
    ) -> Result<(), PlotError> {
        same_len("band (lower edge)", &x, &lo)?;
        same_len("band (upper edge)", &x, &hi)?;
        let color = color.unwrap_or_else(|| self.panel().next_color());
        self.panel().series.push(Series::Band {
            x,
            lo,
            hi,
            label,
            color,
            alpha: alpha.clamp(0.0, 1.0),
        });
        Ok(())
    }

    /// Adds a series as is (for figure builders in other modules).
    pub fn push(&mut self, series: Series) {
        self.panel().series.push(series);
    }
}

fn same_len(what: &'static str, x: &[f64], y: &[f64]) -> Result<(), PlotError> {
    if x.len() != y.len() {
        return Err(PlotError::LengthMismatch {
            what,
            x: x.len(),
            y: y.len(),
        });
    }
    if x.is_empty() {
        return Err(PlotError::BadArgument(format!("{what}: no points to draw")));
    }
    Ok(())
}
