//! Drawing a [`Figure`] with plotters (PNG via the bitmap backend, SVG via the SVG backend).

use super::figure::{Hist, Panel, Series};
use super::style::{ensure_font, rgb, tick, viridis, Rgb};
use super::{Figure, PlotError};
use crate::fsutil;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

type DrawResult<T> = Result<T, String>;

/// Renders `fig` to `path`; the extension picks the format. The file appears only when
/// rendering succeeded (temporary file + rename).
pub(crate) fn save(fig: &Figure, path: &Path) -> Result<(), PlotError> {
    ensure_font();
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase());
    let fail = |message: String| PlotError::Save {
        path: path.to_path_buf(),
        message,
    };
    match ext.as_deref() {
        Some("svg") => {
            let mut svg = String::new();
            {
                let root =
                    SVGBackend::with_string(&mut svg, (fig.width, fig.height)).into_drawing_area();
                draw_figure(fig, &root).map_err(fail)?;
                root.present().map_err(|e| fail(e.to_string()))?;
            }
            fsutil::atomic_write_bytes(path, svg.as_bytes()).map_err(|e| fail(e.to_string()))
        }
        Some("png") => {
            let tmp = fsutil::temp_path(path)
                .map_err(|e| fail(e.to_string()))?
                .with_extension("tmp.png");
            let result = (|| {
                let root = BitMapBackend::new(&tmp, (fig.width, fig.height)).into_drawing_area();
                draw_figure(fig, &root)?;
                root.present().map_err(|e| e.to_string())?;
                drop(root);
                std::fs::rename(&tmp, path).map_err(|e| e.to_string())
            })();
            if result.is_err() {
                let _ = std::fs::remove_file(&tmp);
            }
            result.map_err(fail)
        }
        _ => Err(PlotError::Format {
            path: path.to_path_buf(),
        }),
    }
}

fn draw_figure<DB: DrawingBackend>(fig: &Figure, root: &DrawingArea<DB, Shift>) -> DrawResult<()> {
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let area = match &fig.title {
        Some(t) => root
            .titled(t, ("sans-serif", 24))
            .map_err(|e| e.to_string())?,
        None => root.clone(),
    };
    for (panel, sub) in fig
        .panels
        .iter()
        .zip(area.split_evenly((fig.rows, fig.cols)))
    {
        if !panel.series.is_empty() {
            draw_panel(panel, &sub)?;
        }
    }
    Ok(())
}

/// Maps a data value to plot coordinates (log10 on log axes; non-positive values vanish).
fn axis(log: bool) -> impl Fn(f64) -> f64 + Copy {
    move |v: f64| {
        if log {
            if v > 0.0 {
                v.log10()
            } else {
                f64::NAN
            }
        } else {
            v
        }
    }
}

/// Bin edges and heights of a histogram.
pub(crate) fn bin(h: &Hist) -> Option<(Vec<f64>, Vec<f64>)> {
    let vals: Vec<f64> = h.values.iter().copied().filter(|v| v.is_finite()).collect();
    let (lo, hi) = match h.range {
        Some(r) => r,
        None => {
            let lo = vals.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = vals.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            (lo, hi)
        }
    };
    if !(lo.is_finite() && hi.is_finite()) {
        return None;
    }
    let (lo, hi) = if hi > lo {
        (lo, hi)
    } else {
        (lo - 0.5, lo + 0.5)
    };
    let width = (hi - lo) / h.bins as f64;
    let mut counts = vec![0.0; h.bins];
    for v in vals.iter().filter(|v| (lo..=hi).contains(*v)) {
        let i = (((v - lo) / width) as usize).min(h.bins - 1);
        counts[i] += 1.0;
    }
    if h.cumulative {
        for i in 1..counts.len() {
            counts[i] += counts[i - 1];
        }
    }
    if h.density {
        let total = if h.cumulative {
            *counts.last().unwrap_or(&1.0)
        } else {
            counts.iter().sum::<f64>() * width
        };
        if total > 0.0 {
            counts.iter_mut().for_each(|c| *c /= total);
        }
    }
    let edges = (0..=h.bins).map(|i| lo + width * i as f64).collect();
    Some((edges, counts))
}

struct Extent {
    x: (f64, f64),
    y: (f64, f64),
}

impl Extent {
    fn new() -> Self {
        Self {
            x: (f64::INFINITY, f64::NEG_INFINITY),
            y: (f64::INFINITY, f64::NEG_INFINITY),
        }
    }
    fn add_x(&mut self, v: f64) {
        if v.is_finite() {
            self.x = (self.x.0.min(v), self.x.1.max(v));
        }
    }
    fn add_y(&mut self, v: f64) {
        if v.is_finite() {
            self.y = (self.y.0.min(v), self.y.1.max(v));
        }
    }
}

fn padded(r: (f64, f64), frac: f64) -> (f64, f64) {
    if !(r.0.is_finite() && r.1.is_finite()) {
        return (0.0, 1.0);
    }
    if r.1 > r.0 {
        let pad = (r.1 - r.0) * frac;
        (r.0 - pad, r.1 + pad)
    } else {
        let pad = if r.0 == 0.0 { 1.0 } else { r.0.abs() * 0.1 };
        (r.0 - pad, r.1 + pad)
    }
}

fn extent(panel: &Panel) -> (std::ops::Range<f64>, std::ops::Range<f64>) {
    let (tx, ty) = (axis(panel.logx), axis(panel.logy));
    let mut e = Extent::new();
    let mut has_hist = false;
    for s in &panel.series {
        match s {
            Series::Hist { hist, .. } => {
                if let Some((edges, counts)) = bin(hist) {
                    has_hist = true;
                    edges.iter().for_each(|&v| e.add_x(tx(v)));
                    counts.iter().for_each(|&c| e.add_y(ty(c)));
                }
            }
            Series::Scatter { x, y, .. }
            | Series::Line { x, y, .. }
            | Series::Hist2d { x, y, .. } => {
                x.iter().for_each(|&v| e.add_x(tx(v)));
                y.iter().for_each(|&v| e.add_y(ty(v)));
            }
            Series::Band { x, lo, hi, .. } => {
                x.iter().for_each(|&v| e.add_x(tx(v)));
                lo.iter().chain(hi).for_each(|&v| e.add_y(ty(v)));
            }
            Series::HLine { y, .. } => e.add_y(ty(*y)),
            Series::VLine { x, .. } => e.add_x(tx(*x)),
        }
    }
    if has_hist && !panel.logy {
        e.add_y(0.0);
    }
    let mut xr = padded(e.x, 0.03);
    let mut yr = padded(e.y, 0.05);
    if has_hist && !panel.logy && e.y.0 >= 0.0 {
        yr.0 = 0.0;
    }
    if let Some((a, b)) = panel.xlim {
        xr = (tx(a), tx(b));
    }
    if let Some((a, b)) = panel.ylim {
        yr = (ty(a), ty(b));
    }
    (xr.0..xr.1, yr.0..yr.1)
}

fn color_range(panel: &Panel) -> Option<(f64, f64)> {
    let mut r: Option<(f64, f64)> = None;
    for s in &panel.series {
        if let Series::Scatter { c: Some(c), .. } = s {
            for &v in c.iter().filter(|v| v.is_finite()) {
                r = Some(r.map_or((v, v), |(a, b)| (a.min(v), b.max(v))));
            }
        }
    }
    r
}

fn draw_panel<DB: DrawingBackend>(panel: &Panel, area: &DrawingArea<DB, Shift>) -> DrawResult<()> {
    let crange = color_range(panel);
    let (w, _) = area.dim_in_pixel();
    let (main, bar) = match crange {
        Some(_) => {
            let (m, b) = area.split_horizontally(w.saturating_sub(90));
            (m, Some(b))
        }
        None => (area.clone(), None),
    };
    let (xr, yr) = extent(panel);
    let (pw, ph) = main.dim_in_pixel();
    let small = pw < 400;
    let mut builder = ChartBuilder::on(&main);
    builder
        .margin(12)
        .x_label_area_size(45)
        .y_label_area_size(65);
    if let Some(t) = &panel.title {
        builder.caption(t, ("sans-serif", if small { 14 } else { 18 }));
    }
    let mut chart = builder
        .build_cartesian_2d(xr.clone(), yr.clone())
        .map_err(|e| e.to_string())?;
    let (lx, ly) = (panel.logx, panel.logy);
    let (sx, sy) = (xr.end - xr.start, yr.end - yr.start);
    let fx = move |v: &f64| {
        if lx {
            tick(10f64.powf(*v), f64::NAN)
        } else {
            tick(*v, sx)
        }
    };
    let fy = move |v: &f64| {
        if ly {
            tick(10f64.powf(*v), f64::NAN)
        } else {
            tick(*v, sy)
        }
    };
    chart
        .configure_mesh()
        .x_desc(panel.xlabel.clone().unwrap_or_default())
        .y_desc(panel.ylabel.clone().unwrap_or_default())
        .x_labels((pw as usize / 90).clamp(3, 12))
        .y_labels((ph as usize / 60).clamp(3, 12))
        .x_label_formatter(&fx)
        .y_label_formatter(&fy)
        .label_style(("sans-serif", 14))
        .axis_desc_style(("sans-serif", 16))
        .light_line_style(RGBColor(235, 235, 235))
        .bold_line_style(RGBColor(210, 210, 210))
        .draw()
        .map_err(|e| e.to_string())?;
    let ctx = SeriesCtx {
        tx: axis(lx),
        ty: axis(ly),
        x: (xr.start, xr.end),
        y: (yr.start, yr.end),
        crange,
    };
    let mut labelled = false;
    for s in &panel.series {
        labelled |= draw_series(&mut chart, s, &ctx)?;
    }
    if labelled {
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .label_font(("sans-serif", 14))
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(160, 160, 160))
            .draw()
            .map_err(|e| e.to_string())?;
    }
    if let (Some(bar), Some(cr)) = (bar, crange) {
        draw_colorbar(&bar, cr, panel.clabel.as_deref())?;
    }
    Ok(())
}

struct SeriesCtx<F: Fn(f64) -> f64> {
    tx: F,
    ty: F,
    x: (f64, f64),
    y: (f64, f64),
    crange: Option<(f64, f64)>,
}

type Chart<'a, DB> = ChartContext<
    'a,
    DB,
    Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
>;

fn legend_box(color: Rgb) -> impl Fn((i32, i32)) -> Rectangle<(i32, i32)> {
    move |(x, y)| Rectangle::new([(x, y - 5), (x + 16, y + 5)], rgb(color).filled())
}

/// Draws one series; returns whether it carries a legend label.
fn draw_series<DB: DrawingBackend, F: Fn(f64) -> f64 + Copy>(
    chart: &mut Chart<'_, DB>,
    s: &Series,
    c: &SeriesCtx<F>,
) -> DrawResult<bool> {
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let (tx, ty) = (c.tx, c.ty);
    let annotate = |ann: &mut SeriesAnno<'_, DB>, label: &Option<String>, color: Rgb| {
        if let Some(l) = label {
            ann.label(l.clone()).legend(legend_box(color));
        }
    };
    match s {
        Series::Hist { hist, label, color } => {
            let Some((edges, counts)) = bin(hist) else {
                return Ok(false);
            };
            let col = rgb(*color);
            let ann = if hist.step {
                let mut pts = Vec::with_capacity(2 * counts.len() + 2);
                pts.push((tx(edges[0]), ty(0.0).max(c.y.0)));
                for (i, &h) in counts.iter().enumerate() {
                    pts.push((tx(edges[i]), ty(h)));
                    pts.push((tx(edges[i + 1]), ty(h)));
                }
                chart
                    .draw_series(LineSeries::new(pts, col.stroke_width(2)))
                    .map_err(err)?
            } else {
                let base = if c.y.0 > 0.0 { c.y.0 } else { 0.0 };
                chart
                    .draw_series(counts.iter().enumerate().map(|(i, &h)| {
                        Rectangle::new(
                            [(tx(edges[i]), base), (tx(edges[i + 1]), ty(h))],
                            col.mix(0.55).filled(),
                        )
                    }))
                    .map_err(err)?
            };
            annotate(ann, label, *color);
            Ok(label.is_some())
        }
        Series::Scatter {
            x,
            y,
            c: values,
            label,
            color,
            size,
        } => {
            let col = rgb(*color);
            let pts = x.iter().zip(y).enumerate().filter_map(|(i, (&a, &b))| {
                let (px, py) = (tx(a), ty(b));
                if !(px.is_finite() && py.is_finite()) {
                    return None;
                }
                let fill = match (values, c.crange) {
                    (Some(v), Some((lo, hi))) => {
                        let t = if hi > lo {
                            (v[i] - lo) / (hi - lo)
                        } else {
                            0.5
                        };
                        rgb(viridis(t))
                    }
                    _ => col,
                };
                Some(Circle::new((px, py), *size, fill.filled()))
            });
            let ann = chart.draw_series(pts).map_err(err)?;
            annotate(ann, label, *color);
            Ok(label.is_some())
        }
        Series::Line {
            x,
            y,
            label,
            color,
            width,
            dashed,
        } => {
            let style = rgb(*color).stroke_width(*width);
            let mut first = true;
            for seg in segments(x, y, tx, ty) {
                let ann = if *dashed {
                    chart
                        .draw_series(DashedLineSeries::new(seg, 8, 5, style))
                        .map_err(err)?
                } else {
                    chart
                        .draw_series(LineSeries::new(seg, style))
                        .map_err(err)?
                };
                if first {
                    annotate(ann, label, *color);
                    first = false;
                }
            }
            Ok(label.is_some() && !first)
        }
        Series::Band {
            x,
            lo,
            hi,
            label,
            color,
            alpha,
        } => {
            let mut poly: Vec<(f64, f64)> = Vec::with_capacity(2 * x.len());
            poly.extend(
                x.iter()
                    .zip(lo)
                    .map(|(&a, &b)| (tx(a), ty(b)))
                    .filter(|p| p.0.is_finite() && p.1.is_finite()),
            );
            poly.extend(
                x.iter()
                    .zip(hi)
                    .rev()
                    .map(|(&a, &b)| (tx(a), ty(b)))
                    .filter(|p| p.0.is_finite() && p.1.is_finite()),
            );
            let ann = chart
                .draw_series(std::iter::once(Polygon::new(
                    poly,
                    rgb(*color).mix(*alpha).filled(),
                )))
                .map_err(err)?;
            annotate(ann, label, *color);
            Ok(label.is_some())
        }
        Series::HLine {
            y,
            label,
            color,
            dashed,
        }
        | Series::VLine {
            x: y,
            label,
            color,
            dashed,
        } => {
            let pts = if matches!(s, Series::HLine { .. }) {
                vec![(c.x.0, ty(*y)), (c.x.1, ty(*y))]
            } else {
                vec![(tx(*y), c.y.0), (tx(*y), c.y.1)]
            };
            let style = rgb(*color).stroke_width(2);
            let ann = if *dashed {
                chart
                    .draw_series(DashedLineSeries::new(pts, 8, 5, style))
                    .map_err(err)?
            } else {
                chart
                    .draw_series(LineSeries::new(pts, style))
                    .map_err(err)?
            };
            annotate(ann, label, *color);
            Ok(label.is_some())
        }
        Series::Hist2d { x, y, bins, color } => {
            draw_hist2d(chart, x, y, *bins, *color, c)?;
            Ok(false)
        }
    }
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

fn draw_hist2d<DB: DrawingBackend, F: Fn(f64) -> f64 + Copy>(
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
            let fill = RGBColor(mix(color.0), mix(color.1), mix(color.2));
            Rectangle::new(
                [
                    (x0 + i as f64 * dx, y0 + j as f64 * dy),
                    (x0 + (i + 1) as f64 * dx, y0 + (j + 1) as f64 * dy),
                ],
                fill.filled(),
            )
        });
    chart.draw_series(cells).map_err(|e| e.to_string())?;
    Ok(())
}

fn draw_colorbar<DB: DrawingBackend>(
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
        let t = 1.0 - k as f64 / n as f64;
        let c = rgb(viridis(t));
        area.draw(&Rectangle::new(
            [(x0, top + k), (x1, top + k + 1)],
            c.filled(),
        ))
        .map_err(|e| e.to_string())?;
    }
    let font = ("sans-serif", 13).into_font();
    area.draw(&Text::new(
        tick(hi, hi - lo),
        (x1 + 4, top - 6),
        font.clone(),
    ))
    .map_err(|e| e.to_string())?;
    area.draw(&Text::new(
        tick(lo, hi - lo),
        (x1 + 4, bottom - 6),
        font.clone(),
    ))
    .map_err(|e| e.to_string())?;
    if let Some(l) = label {
        area.draw(&Text::new(l.to_string(), (2, bottom + 14), font))
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_bins_and_density() {
        let h = Hist {
            values: vec![0.0, 0.1, 0.9, 1.0, f64::NAN],
            bins: 2,
            range: None,
            density: false,
            cumulative: false,
            step: false,
        };
        let (edges, counts) = bin(&h).unwrap();
        assert_eq!(edges, vec![0.0, 0.5, 1.0]);
        assert_eq!(counts, vec![2.0, 2.0]);
        let d = Hist {
            density: true,
            ..h.clone()
        };
        let (_, dens) = bin(&d).unwrap();
        assert!((dens.iter().sum::<f64>() * 0.5 - 1.0).abs() < 1e-12);
        let cdf = Hist {
            density: true,
            cumulative: true,
            ..h
        };
        assert_eq!(bin(&cdf).unwrap().1, vec![0.5, 1.0]);
    }

    #[test]
    fn saves_png_and_svg_and_rejects_other_formats() {
        let dir = tempfile::tempdir().unwrap();
        let mut fig = Figure::new();
        fig.panel().xlabel = Some("x".into());
        fig.panel().logy = true;
        fig.hist(
            Hist {
                values: (0..100).map(|i| i as f64).collect(),
                bins: 10,
                range: None,
                density: false,
                cumulative: false,
                step: false,
            },
            Some("h".into()),
            None,
        )
        .unwrap();
        fig.line(
            vec![1.0, 2.0, 3.0],
            vec![1.0, 10.0, 100.0],
            Some("l".into()),
            None,
            2,
            true,
        )
        .unwrap();
        fig.scatter(
            vec![1.0, 2.0],
            vec![3.0, 4.0],
            Some(vec![0.0, 1.0]),
            None,
            None,
            3,
        )
        .unwrap();
        for name in ["f.png", "f.svg"] {
            let p = dir.path().join(name);
            fig.save(&p).unwrap();
            assert!(
                std::fs::metadata(&p).unwrap().len() > 1000,
                "{name} too small"
            );
        }
        let err = fig.save(&dir.path().join("f.pdf")).unwrap_err().to_string();
        assert!(err.contains(".png or .svg"), "{err}");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            2,
            "temporary files left behind"
        );
    }
}
