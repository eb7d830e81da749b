//! Drawing the series of a panel: one small function per kind of series.

use super::extent::bin;
use super::figure::{Hist, Series};
use super::style::{rgb, tick, viridis, Rgb};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;

pub(crate) type DrawResult<T> = Result<T, String>;
pub(crate) type Chart<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// How data map onto the chart: axis transforms, the visible ranges, the colour scale.
pub(crate) struct SeriesCtx<F: Fn(f64) -> f64> {
    pub tx: F,
    pub ty: F,
    pub x: (f64, f64),
    pub y: (f64, f64),
    pub crange: Option<(f64, f64)>,
}

fn err<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

/// What a legend entry shows: the look of its series.
#[derive(Clone, Copy)]
enum Swatch {
    /// A filled box with this opacity (histograms, bands).
    Fill(f64),
    /// A short line of this width (solid and dashed lines).
    Line { width: u32 },
    /// A dot (scatter points).
    Marker,
}

/// Adds a legend entry, drawn like its series, to the series just drawn.
fn legend<DB: DrawingBackend>(
    ann: &mut SeriesAnno<'_, DB>,
    label: Option<&str>,
    color: Rgb,
    swatch: Swatch,
) {
    let Some(l) = label else { return };
    let c = rgb(color);
    let ann = ann.label(l.to_string());
    match swatch {
        Swatch::Fill(alpha) => ann.legend(move |(x, y)| {
            Rectangle::new([(x, y - 5), (x + 16, y + 5)], c.mix(alpha).filled())
        }),
        Swatch::Line { width } => ann.legend(move |(x, y)| {
            PathElement::new(vec![(x, y), (x + 16, y)], c.stroke_width(width))
        }),
        Swatch::Marker => ann.legend(move |(x, y)| Circle::new((x + 8, y), 4, c.filled())),
    };
}

/// A solid or dashed polyline with an optional legend entry.
fn polyline<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    pts: Vec<(f64, f64)>,
    color: Rgb,
    width: u32,
    dashed: bool,
    label: Option<&str>,
) -> DrawResult<()> {
    let style = rgb(color).stroke_width(width);
    let ann = if dashed {
        chart
            .draw_series(DashedLineSeries::new(pts, 8, 5, style))
            .map_err(err)?
    } else {
        chart
            .draw_series(LineSeries::new(pts, style))
            .map_err(err)?
    };
    legend(ann, label, color, Swatch::Line { width });
    Ok(())
}

/// Draws one series; returns whether it added a legend entry.
pub(crate) fn draw_series<DB: DrawingBackend, F: Fn(f64) -> f64 + Copy>(
    chart: &mut Chart<'_, DB>,
    s: &Series,
    c: &SeriesCtx<F>,
) -> DrawResult<bool> {
    let labelled = s.label().is_some();
    // Reference lines at a non-finite position (e.g. "no truth for this parameter") are skipped.
    match s {
        Series::HLine { y: v, .. } | Series::VLine { x: v, .. } if !v.is_finite() => {
            return Ok(false)
        }
        _ => {}
    }
    match s {
        Series::Hist { hist, label, color } => {
            hist_series(chart, hist, *color, label.as_deref(), c)
        }
        Series::Scatter {
            x,
            y,
            c: values,
            label,
            color,
            size,
        } => scatter_series(
            chart,
            x,
            y,
            values.as_deref(),
            *color,
            *size,
            label.as_deref(),
            c,
        ),
        Series::Line {
            x,
            y,
            label,
            color,
            width,
            dashed,
        } => {
            let mut label = label.as_deref();
            for seg in segments(x, y, c.tx, c.ty) {
                polyline(chart, seg, *color, *width, *dashed, label.take())?;
            }
            return Ok(labelled && label.is_none());
        }
        Series::Band {
            x,
            lo,
            hi,
            label,
            color,
            alpha,
        } => band_series(chart, x, lo, hi, *color, *alpha, label.as_deref(), c),
        Series::HLine { .. } | Series::VLine { .. } => reference_line(chart, s, c),
        Series::Hist2d { x, y, bins, color } => hist2d_series(chart, x, y, *bins, *color, c),
    }?;
    Ok(labelled)
}

/// A horizontal or vertical reference line across the whole panel (2 px).
fn reference_line<DB: DrawingBackend, F: Fn(f64) -> f64 + Copy>(
    chart: &mut Chart<'_, DB>,
    s: &Series,
    c: &SeriesCtx<F>,
) -> DrawResult<()> {
    let (points, label, color, dashed) = match s {
        Series::HLine {
            y,
            label,
            color,
            dashed,
        } => (
            vec![(c.x.0, (c.ty)(*y)), (c.x.1, (c.ty)(*y))],
            label,
            color,
            dashed,
        ),
        Series::VLine {
            x,
            label,
            color,
            dashed,
        } => (
            vec![((c.tx)(*x), c.y.0), ((c.tx)(*x), c.y.1)],
            label,
            color,
            dashed,
        ),
        _ => return Ok(()),
    };
    polyline(chart, points, *color, 2, *dashed, label.as_deref())
}

fn hist_series<DB: DrawingBackend, F: Fn(f64) -> f64 + Copy>(
    chart: &mut Chart<'_, DB>,
    hist: &Hist,
    color: Rgb,
    label: Option<&str>,
    c: &SeriesCtx<F>,
) -> DrawResult<()> {
    let Some((edges, counts)) = bin(hist) else {
        return Ok(());
    };
    let (tx, ty) = (c.tx, c.ty);
    if hist.step {
        let mut pts = Vec::with_capacity(2 * counts.len() + 1);
        pts.push((tx(edges[0]), ty(0.0).max(c.y.0)));
        for (i, &h) in counts.iter().enumerate() {
            pts.push((tx(edges[i]), ty(h)));
            pts.push((tx(edges[i + 1]), ty(h)));
        }
        return polyline(chart, pts, color, 2, false, label);
    }
    let base = c.y.0.max(0.0);
    let fill = rgb(color).mix(0.55).filled();
    let bars = counts
        .iter()
        .enumerate()
        .map(|(i, &h)| Rectangle::new([(tx(edges[i]), base), (tx(edges[i + 1]), ty(h))], fill));
    let ann = chart.draw_series(bars).map_err(err)?;
    legend(ann, label, color, Swatch::Fill(0.55));
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn scatter_series<DB: DrawingBackend, F: Fn(f64) -> f64 + Copy>(
    chart: &mut Chart<'_, DB>,
    x: &[f64],
    y: &[f64],
    values: Option<&[f64]>,
    color: Rgb,
    size: u32,
    label: Option<&str>,
    c: &SeriesCtx<F>,
) -> DrawResult<()> {
    let fill = |i: usize| match (values, c.crange) {
        (Some(v), Some((lo, hi))) => rgb(viridis(if hi > lo {
            (v[i] - lo) / (hi - lo)
        } else {
            0.5
        })),
        _ => rgb(color),
    };
    let pts = x.iter().zip(y).enumerate().filter_map(|(i, (&a, &b))| {
        let (px, py) = ((c.tx)(a), (c.ty)(b));
        (px.is_finite() && py.is_finite()).then(|| Circle::new((px, py), size, fill(i).filled()))
    });
    let ann = chart.draw_series(pts).map_err(err)?;
    legend(ann, label, color, Swatch::Marker);
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn band_series<DB: DrawingBackend, F: Fn(f64) -> f64 + Copy>(
    chart: &mut Chart<'_, DB>,
    x: &[f64],
    lo: &[f64],
    hi: &[f64],
    color: Rgb,
    alpha: f64,
    label: Option<&str>,
    c: &SeriesCtx<F>,
) -> DrawResult<()> {
    let finite = |p: &(f64, f64)| p.0.is_finite() && p.1.is_finite();
    let lower = x.iter().zip(lo).map(|(&a, &b)| ((c.tx)(a), (c.ty)(b)));
    let upper = x
        .iter()
        .zip(hi)
        .rev()
        .map(|(&a, &b)| ((c.tx)(a), (c.ty)(b)));
    let poly: Vec<(f64, f64)> = lower.chain(upper).filter(finite).collect();
    let ann = chart
        .draw_series(std::iter::once(Polygon::new(
            poly,
            rgb(color).mix(alpha).filled(),
        )))
        .map_err(err)?;
    legend(ann, label, color, Swatch::Fill(alpha));
    Ok(())
}

type SeriesAnno<'a, DB> = plotters::chart::SeriesAnno<'a, DB>;

/// Splits a polyline at non-finite points.
fn segments<F: Fn(f64) -> f64>(x: &[f64], y: &[f64], tx: F, ty: F) -> Vec<Vec<(f64, f64)>> {
    let mut out = vec![];
    let mut cur = vec![];
    for (&a, &b) in x.iter().zip(y) {
        let p = (tx(a), ty(b));
        if p.0.is_finite() && p.1.is_finite() {
            cur.push(p);
        } else if !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// A 2-D histogram over the visible ranges, shaded from white to `color` (square-root scale).
fn hist2d_series<DB: DrawingBackend, F: Fn(f64) -> f64 + Copy>(
    chart: &mut Chart<'_, DB>,
    x: &[f64],
    y: &[f64],
    bins: usize,
    color: Rgb,
    c: &SeriesCtx<F>,
) -> DrawResult<()> {
    let bins = bins.max(1);
    let (x0, x1, y0, y1) = (c.x.0, c.x.1, c.y.0, c.y.1);
    let (dx, dy) = ((x1 - x0) / bins as f64, (y1 - y0) / bins as f64);
    let mut counts = vec![0u32; bins * bins];
    for (&a, &b) in x.iter().zip(y) {
        let (px, py) = ((c.tx)(a), (c.ty)(b));
        if px >= x0 && px < x1 && py >= y0 && py < y1 {
            let (i, j) = (((px - x0) / dx) as usize, ((py - y0) / dy) as usize);
            counts[j.min(bins - 1) * bins + i.min(bins - 1)] += 1;
        }
    }
    let max = counts.iter().copied().max().unwrap_or(0).max(1) as f64;
    let cells = counts
        .iter()
        .enumerate()
        .filter(|(_, &n)| n > 0)
        .map(|(k, &n)| {
            let (i, j) = (k % bins, k / bins);
            let t = (n as f64 / max).sqrt();
            let mix = |ch: u8| (255.0 - t * (255.0 - ch as f64)).round() as u8;
            let corner = |a: usize, b: usize| (x0 + a as f64 * dx, y0 + b as f64 * dy);
            Rectangle::new(
                [corner(i, j), corner(i + 1, j + 1)],
                RGBColor(mix(color.0), mix(color.1), mix(color.2)).filled(),
            )
        });
    chart.draw_series(cells).map_err(err)?;
    Ok(())
}

/// A vertical viridis colour bar with its end values and label.
pub(crate) fn draw_colorbar<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    (lo, hi): (f64, f64),
    label: Option<&str>,
) -> DrawResult<()> {
    let (w, h) = area.dim_in_pixel();
    let (top, bottom) = (30i32, h as i32 - 60);
    let x0 = 10i32;
    let x1 = (x0 + 18).min(w as i32 - 2);
    let n = (bottom - top).max(1);
    for k in 0..n {
        let c = rgb(viridis(1.0 - k as f64 / n as f64));
        area.draw(&Rectangle::new(
            [(x0, top + k), (x1, top + k + 1)],
            c.filled(),
        ))
        .map_err(err)?;
    }
    let font = ("sans-serif", 13).into_font();
    area.draw(&Text::new(
        tick(hi, hi - lo),
        (x1 + 4, top - 6),
        font.clone(),
    ))
    .map_err(err)?;
    area.draw(&Text::new(
        tick(lo, hi - lo),
        (x1 + 4, bottom - 6),
        font.clone(),
    ))
    .map_err(err)?;
    if let Some(l) = label {
        area.draw(&Text::new(l.to_string(), (2, bottom + 14), font))
            .map_err(err)?;
    }
    Ok(())
}
