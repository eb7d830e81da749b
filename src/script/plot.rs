//! Bindings: the `Figure` type (histograms, scatter plots, lines, bands; PNG and SVG).

use super::convert::{numbers, rt, rt_error, Opts, RhaiResult};
use crate::plot::{Figure, Hist, Series};
use rhai::plugin::*;
#[allow(unused_imports)]
use rhai::{Array, Dynamic, Map, FLOAT, INT};
use std::path::Path;

fn color(opts: &mut Opts) -> RhaiResult<Option<crate::plot::Rgb>> {
    match opts.string("color")? {
        None => Ok(None),
        Some(c) => crate::plot::parse_color_public(&c)
            .map(Some)
            .ok_or_else(|| rt_error(format!("unknown colour '{c}': use a name (blue, red, green, orange, purple, brown, pink, grey, black), #rrggbb or C0…C7"))),
    }
}

/// Applies the panel options shared by `figure(#{…})` and `fig.set(#{…})`.
fn panel_options(fig: &mut Figure, opts: &mut Opts) -> RhaiResult<()> {
    if let Some(v) = opts.string("title")? {
        fig.panel().title = Some(v);
    }
    if let Some(v) = opts.string("xlabel")? {
        fig.panel().xlabel = Some(v);
    }
    if let Some(v) = opts.string("ylabel")? {
        fig.panel().ylabel = Some(v);
    }
    if let Some(v) = opts.bool("logx")? {
        fig.panel().logx = v;
    }
    if let Some(v) = opts.bool("logy")? {
        fig.panel().logy = v;
    }
    if let Some(v) = opts.range("xlim")? {
        fig.panel().xlim = Some(v);
    }
    if let Some(v) = opts.range("ylim")? {
        fig.panel().ylim = Some(v);
    }
    Ok(())
}

#[export_module]
pub mod plot_api {
    use super::*;

    /// A figure: a grid of panels with histograms, points, lines and bands.
    pub type Figure = crate::plot::Figure;

    /// A new single-panel figure (800 × 600 pixels).
    pub fn figure() -> Figure {
        Figure::new()
    }

    /// A new figure with options: `rows`, `cols` (panel grid), `width`, `height` (pixels),
    /// `suptitle` (figure title), and for the first panel `title`, `xlabel`, `ylabel`,
    /// `logx`, `logy`, `xlim: [lo, hi]`, `ylim: [lo, hi]`.
    /// ```rhai
    /// let fig = figure(#{ xlabel: "[Fe/H]", ylabel: "stars", logy: true });
    /// ```
    #[rhai_fn(name = "figure", return_raw)]
    pub fn figure_with(options: Map) -> RhaiResult<Figure> {
        let mut o = Opts::new(options, "figure");
        let rows = o.usize("rows")?.unwrap_or(1);
        let cols = o.usize("cols")?.unwrap_or(1);
        let mut fig = Figure::grid(rows, cols);
        if let Some(w) = o.usize("width")? {
            fig.width = (w as u32).clamp(100, 8000);
        }
        if let Some(h) = o.usize("height")? {
            fig.height = (h as u32).clamp(100, 8000);
        }
        fig.title = o.string("suptitle")?;
        panel_options(&mut fig, &mut o)?;
        o.finish()?;
        Ok(fig)
    }

    /// Sets options of the current panel: `title`, `xlabel`, `ylabel`, `logx`, `logy`,
    /// `xlim`, `ylim`.
    #[rhai_fn(global, return_raw, name = "set")]
    pub fn set(fig: &mut Figure, options: Map) -> RhaiResult<()> {
        let mut o = Opts::new(options, "set");
        panel_options(fig, &mut o)?;
        o.finish()
    }

    /// Makes panel `index` (row-major, from 0) the target of the next drawing calls.
    #[rhai_fn(global, return_raw, name = "panel")]
    pub fn panel(fig: &mut Figure, index: INT) -> RhaiResult<()> {
        fig.select(index.max(0) as usize).map_err(rt)
    }

    /// Histogram of an array or Vector. Options: `bins` (30), `range: [lo, hi]`,
    /// `density`, `cumulative`, `step` (outline only), `label`, `color`.
    #[rhai_fn(global, return_raw, name = "hist")]
    pub fn hist(fig: &mut Figure, values: Dynamic, options: Map) -> RhaiResult<()> {
        let mut o = Opts::new(options, "hist");
        let h = Hist {
            values: numbers(&values, "hist values")?,
            bins: o.usize("bins")?.unwrap_or(30),
            range: o.range("range")?,
            density: o.bool("density")?.unwrap_or(false),
            cumulative: o.bool("cumulative")?.unwrap_or(false),
            step: o.bool("step")?.unwrap_or(false),
        };
        let label = o.string("label")?;
        let c = color(&mut o)?;
        o.finish()?;
        fig.hist(h, label, c).map_err(rt)
    }

    /// Histogram with 30 bins.
    #[rhai_fn(global, return_raw, name = "hist")]
    pub fn hist_plain(fig: &mut Figure, values: Dynamic) -> RhaiResult<()> {
        hist(fig, values, Map::new())
    }

    /// Scatter plot. Options: `label`, `color`, `size` (pixels, 3), `c` (values that colour
    /// each point on the viridis scale), `clabel` (label of that scale).
    #[rhai_fn(global, return_raw, name = "scatter")]
    pub fn scatter(fig: &mut Figure, x: Dynamic, y: Dynamic, options: Map) -> RhaiResult<()> {
        let mut o = Opts::new(options, "scatter");
        let c = o.numbers("c")?;
        if let Some(l) = o.string("clabel")? {
            fig.panel().clabel = Some(l);
        }
        let label = o.string("label")?;
        let col = color(&mut o)?;
        let size = o.usize("size")?.unwrap_or(3) as u32;
        o.finish()?;
        fig.scatter(
            numbers(&x, "scatter x")?,
            numbers(&y, "scatter y")?,
            c,
            label,
            col,
            size,
        )
        .map_err(rt)
    }

    /// Scatter plot with default style.
    #[rhai_fn(global, return_raw, name = "scatter")]
    pub fn scatter_plain(fig: &mut Figure, x: Dynamic, y: Dynamic) -> RhaiResult<()> {
        scatter(fig, x, y, Map::new())
    }

    /// Line through the points. Options: `label`, `color`, `width` (2), `dashed`.
    #[rhai_fn(global, return_raw, name = "line")]
    pub fn line(fig: &mut Figure, x: Dynamic, y: Dynamic, options: Map) -> RhaiResult<()> {
        let mut o = Opts::new(options, "line");
        let label = o.string("label")?;
        let col = color(&mut o)?;
        let width = o.usize("width")?.unwrap_or(2) as u32;
        let dashed = o.bool("dashed")?.unwrap_or(false);
        o.finish()?;
        fig.line(
            numbers(&x, "line x")?,
            numbers(&y, "line y")?,
            label,
            col,
            width,
            dashed,
        )
        .map_err(rt)
    }

    /// Line with default style.
    #[rhai_fn(global, return_raw, name = "line")]
    pub fn line_plain(fig: &mut Figure, x: Dynamic, y: Dynamic) -> RhaiResult<()> {
        line(fig, x, y, Map::new())
    }

    /// Filled band between `lo` and `hi` over `x`. Options: `label`, `color`, `alpha` (0.3).
    #[rhai_fn(global, return_raw, name = "band")]
    pub fn band(
        fig: &mut Figure,
        x: Dynamic,
        lo: Dynamic,
        hi: Dynamic,
        options: Map,
    ) -> RhaiResult<()> {
        let mut o = Opts::new(options, "band");
        let label = o.string("label")?;
        let col = color(&mut o)?;
        let alpha = o.f64("alpha")?.unwrap_or(0.3);
        o.finish()?;
        fig.band(
            numbers(&x, "band x")?,
            numbers(&lo, "band lo")?,
            numbers(&hi, "band hi")?,
            label,
            col,
            alpha,
        )
        .map_err(rt)
    }

    /// Horizontal line at `y`. Options: `label`, `color` (black), `dashed` (true).
    #[rhai_fn(global, return_raw, name = "hline")]
    pub fn hline(fig: &mut Figure, y: FLOAT, options: Map) -> RhaiResult<()> {
        let mut o = Opts::new(options, "hline");
        let label = o.string("label")?;
        let color = color(&mut o)?.unwrap_or((0, 0, 0));
        let dashed = o.bool("dashed")?.unwrap_or(true);
        o.finish()?;
        fig.push(Series::HLine {
            y,
            label,
            color,
            dashed,
        });
        Ok(())
    }

    /// Vertical line at `x`. Options: `label`, `color` (black), `dashed` (true).
    #[rhai_fn(global, return_raw, name = "vline")]
    pub fn vline(fig: &mut Figure, x: FLOAT, options: Map) -> RhaiResult<()> {
        let mut o = Opts::new(options, "vline");
        let label = o.string("label")?;
        let color = color(&mut o)?.unwrap_or((0, 0, 0));
        let dashed = o.bool("dashed")?.unwrap_or(true);
        o.finish()?;
        fig.push(Series::VLine {
            x,
            label,
            color,
            dashed,
        });
        Ok(())
    }

    /// Corner plot of the named numeric columns of a table: histograms on the diagonal (titled
    /// with median and 68 % interval), 2-D histograms below. Options: `truths` (one value per
    /// column, drawn in red; `()` for none), `bins` (30).
    /// ```rhai
    /// let fig = corner(samples, ["alpha_imf", "log10_n_ia"], #{ truths: [-2.3, -2.89] });
    /// ```
    #[rhai_fn(return_raw)]
    pub fn corner(t: crate::catalog::Table, columns: Array, options: Map) -> RhaiResult<Figure> {
        let mut o = Opts::new(options, "corner");
        let truths = match o.raw("truths") {
            Some(d) => Some(super::super::convert::numbers_or_nan(
                &d,
                "corner: option 'truths'",
            )?),
            None => None,
        };
        let bins = o.usize("bins")?.unwrap_or(30);
        o.finish()?;
        let names =
            super::super::convert::strings(&Dynamic::from_array(columns), "corner columns")?;
        let cols: RhaiResult<Vec<(String, Vec<f64>)>> = names
            .into_iter()
            .map(|n| Ok((n.clone(), t.column_f64(&n).map_err(rt)?)))
            .collect();
        crate::plot::corner(&cols?, truths.as_deref(), bins).map_err(rt)
    }

    /// Corner plot with default options.
    #[rhai_fn(name = "corner", return_raw)]
    pub fn corner_plain(t: crate::catalog::Table, columns: Array) -> RhaiResult<Figure> {
        corner(t, columns, Map::new())
    }

    /// Ellipses `(x − μ)ᵀ Σ⁻¹ (x − μ) = k²` of a 2-D Gaussian with `mean` [x, y] and
    /// covariance `cov` [[sxx, sxy], [sxy, syy]]. Options: `nsigma` (a number or an array,
    /// default [1, 2, 3]), `label`, `color`.
    #[rhai_fn(global, return_raw, name = "ellipse")]
    pub fn ellipse(fig: &mut Figure, mean: Dynamic, cov: Array, options: Map) -> RhaiResult<()> {
        let mut o = Opts::new(options, "ellipse");
        let ks = match o.raw("nsigma") {
            None => vec![1.0, 2.0, 3.0],
            Some(d) => match super::super::convert::as_f64(&d) {
                Some(k) => vec![k],
                None => numbers(&d, "ellipse nsigma")?,
            },
        };
        let label = o.string("label")?;
        let col = color(&mut o)?;
        o.finish()?;
        let m = numbers(&mean, "ellipse mean")?;
        if m.len() != 2 || cov.len() != 2 {
            return Err(rt_error(
                "ellipse needs mean [x, y] and cov [[sxx, sxy], [sxy, syy]]",
            ));
        }
        let r0 = numbers(&cov[0], "ellipse cov row 0")?;
        let r1 = numbers(&cov[1], "ellipse cov row 1")?;
        if r0.len() != 2 || r1.len() != 2 {
            return Err(rt_error("ellipse: cov must be a 2 × 2 array"));
        }
        let col = col.unwrap_or_else(|| fig.panel().next_color());
        for (i, k) in ks.iter().enumerate() {
            let (x, y) = crate::plot::gaussian_ellipse(
                [m[0], m[1]],
                [[r0[0], r0[1]], [r1[0], r1[1]]],
                *k,
                120,
            )
            .map_err(rt)?;
            let l = if i == 0 { label.clone() } else { None };
            fig.line(x, y, l, Some(col), 2, i > 0).map_err(rt)?;
        }
        Ok(())
    }

    /// Renders the figure to a `.png` or `.svg` file (atomically).
    #[rhai_fn(global, return_raw, pure, name = "save")]
    pub fn save(fig: &mut Figure, path: &str) -> RhaiResult<()> {
        fig.save(Path::new(path)).map_err(rt)
    }

    /// A one-line description of the figure.
    #[rhai_fn(global, pure, name = "to_string")]
    pub fn to_string(fig: &mut Figure) -> String {
        describe(fig)
    }

    /// A one-line description of the figure.
    #[rhai_fn(global, pure, name = "to_debug")]
    pub fn to_debug(fig: &mut Figure) -> String {
        describe(fig)
    }
}

fn describe(fig: &Figure) -> String {
    let n: usize = fig.panels.iter().map(|p| p.series.len()).sum();
    format!(
        "Figure({}×{} panels, {} series, {}×{} px)",
        fig.rows, fig.cols, n, fig.width, fig.height
    )
}
