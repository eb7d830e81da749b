//! Drawing a [`Figure`] with plotters (PNG via the bitmap backend, SVG via the SVG backend).

use super::extent::{axis, color_range, extent};
use super::figure::Panel;
use super::series::{draw_colorbar, draw_series, Chart, DrawResult, SeriesCtx};
use super::style::{ensure_font, tick};
use super::{Figure, PlotError};
use crate::fsutil;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

/// Renders `fig` to `path`; the extension picks the format. The file appears only when
/// rendering succeeded (temporary file + rename).
impl Figure {
    /// Renders to `path` (PNG or SVG by extension), atomically.
    pub fn save(&self, path: &Path) -> Result<(), PlotError> {
        save(self, path)
    }
}

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
    draw_mesh(&mut chart, panel, (pw, ph))?;
    let (lx, ly) = (panel.logx, panel.logy);
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
        draw_legend(&mut chart)?;
    }
    if let (Some(bar), Some(cr)) = (bar, crange) {
        draw_colorbar(&bar, cr, panel.clabel.as_deref())?;
    }
    Ok(())
}

/// Axes, grid and tick labels of a panel whose plot area is `(pw, ph)` pixels; log axes
/// label decades only.
fn draw_mesh<'a, DB: DrawingBackend + 'a>(
    chart: &mut Chart<'a, DB>,
    panel: &Panel,
    (pw, ph): (u32, u32),
) -> DrawResult<()> {
    let (xr, yr) = (chart.x_range(), chart.y_range());
    let (lx, ly) = (panel.logx, panel.logy);
    let (sx, sy) = (xr.end - xr.start, yr.end - yr.start);
    let fx = move |v: &f64| if lx { log_tick(*v) } else { tick(*v, sx) };
    let fy = move |v: &f64| if ly { log_tick(*v) } else { tick(*v, sy) };
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
        .map_err(|e| e.to_string())
}

/// The legend box of the labelled series, upper right.
fn draw_legend<'a, DB: DrawingBackend + 'a>(chart: &mut Chart<'a, DB>) -> DrawResult<()> {
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .label_font(("sans-serif", 14))
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(160, 160, 160))
        .draw()
        .map_err(|e| e.to_string())
}

/// Label of a tick at log10 position `v`: only decades (1, 10, 100, …) are labelled.
fn log_tick(v: f64) -> String {
    if (v - v.round()).abs() < 1e-6 {
        tick(10f64.powf(v.round()), f64::NAN)
    } else {
        String::new()
    }
}

#[cfg(test)]
mod tests {
    use super::super::extent::bin;
    use super::super::figure::Hist;
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
