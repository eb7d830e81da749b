//! Bindings: the `Figure` type (histograms, scatter plots, lines, bands; PNG and SVG).

use super::context::context;
use super::convert::{color, numbers, numbers_or_nan, strings};
use super::failure::{rt, rt_error, RhaiResult};
use super::options::{parse, parse_split, NumberOrList, OptionDoc, ScriptOptions};
use crate::plot::{Figure, Hist, Series};
use rhai::plugin::*;
#[allow(unused_imports)]
use rhai::{Array, Dynamic, Map, FLOAT, INT};

crate::script_options! {
    /// Options of `figure` (besides those of the first panel, as in `fig.set`).
    pub struct FigureArgs for "figure" {
        /// Rows of the panel grid (1).
        rows: Option<usize>,
        /// Columns of the panel grid (1).
        cols: Option<usize>,
        /// Width in pixels (800).
        width: Option<usize>,
        /// Height in pixels (600).
        height: Option<usize>,
        /// Title of the whole figure.
        suptitle: Option<String>,
    }
}

crate::script_options! {
    /// Options of `fig.set`.
    pub struct PanelArgs for "set" {
        /// Panel title.
        title: Option<String>,
        /// x-axis label.
        xlabel: Option<String>,
        /// y-axis label.
        ylabel: Option<String>,
        /// Logarithmic x axis.
        logx: Option<bool>,
        /// Logarithmic y axis.
        logy: Option<bool>,
        /// `[lo, hi]` of the x axis.
        xlim: Option<Vec<f64>> as "two numbers [low, high]",
        /// `[lo, hi]` of the y axis.
        ylim: Option<Vec<f64>> as "two numbers [low, high]",
    }
}

crate::script_options! {
    /// Options of `fig.hist`.
    pub struct HistArgs for "hist" {
        /// Number of bins (30).
        bins: Option<usize>,
        /// `[lo, hi]` of the bins (the data's range).
        range: Option<Vec<f64>> as "two numbers [low, high]",
        /// Normalise to a density.
        density: Option<bool>,
        /// Cumulative counts.
        cumulative: Option<bool>,
        /// Outline only.
        step: Option<bool>,
        /// Legend label.
        label: Option<String>,
        /// Colour: a name, `#rrggbb` or `C0`…`C7`.
        color: Option<String>,
    }
}

crate::script_options! {
    /// Options of `fig.scatter`.
    pub struct ScatterArgs for "scatter" {
        /// Legend label.
        label: Option<String>,
        /// Colour: a name, `#rrggbb` or `C0`…`C7`.
        color: Option<String>,
        /// Point size in pixels (3).
        size: Option<usize>,
        /// Values that colour each point on the viridis scale.
        c: Option<Vec<f64>>,
        /// Label of that colour scale.
        clabel: Option<String>,
    }
}

crate::script_options! {
    /// Options of `fig.line`.
    pub struct LineArgs for "line" {
        /// Legend label.
        label: Option<String>,
        /// Colour: a name, `#rrggbb` or `C0`…`C7`.
        color: Option<String>,
        /// Line width in pixels (2).
        width: Option<usize>,
        /// Dashed line.
        dashed: Option<bool>,
    }
}

crate::script_options! {
    /// Options of `fig.band`.
    pub struct BandArgs for "band" {
        /// Legend label.
        label: Option<String>,
        /// Colour: a name, `#rrggbb` or `C0`…`C7`.
        color: Option<String>,
        /// Opacity (0.3).
        alpha: Option<f64>,
    }
}

crate::script_options! {
    /// Options of `fig.hline` and `fig.vline`.
    pub struct RuleArgs for "hline" {
        /// Legend label.
        label: Option<String>,
        /// Colour (black).
        color: Option<String>,
        /// Dashed (true).
        dashed: Option<bool>,
    }
}

crate::script_options! {
    /// Options of `corner`.
    pub struct CornerArgs for "corner" {
        /// One value per column drawn in red (`()` for none).
        truths: Option<Dynamic> as "an array of numbers or ()",
        /// Histogram bins (30).
        bins: Option<usize>,
    }
}

crate::script_options! {
    /// Options of `fig.ellipse`.
    pub struct EllipseArgs for "ellipse" {
        /// The k of the ellipses: a number or an array ([1, 2, 3]).
        nsigma: Option<NumberOrList>,
        /// Legend label.
        label: Option<String>,
        /// Colour: a name, `#rrggbb` or `C0`…`C7`.
        color: Option<String>,
    }
}

/// The option tables of this module's functions.
pub fn option_docs() -> Vec<(&'static str, &'static [OptionDoc])> {
    vec![
        ("figure", FigureArgs::docs()),
        ("figure", PanelArgs::docs()),
        ("set", PanelArgs::docs()),
        ("hist", HistArgs::docs()),
        ("scatter", ScatterArgs::docs()),
        ("line", LineArgs::docs()),
        ("band", BandArgs::docs()),
        ("hline", RuleArgs::docs()),
        ("vline", RuleArgs::docs()),
        ("corner", CornerArgs::docs()),
        ("ellipse", EllipseArgs::docs()),
    ]
}

/// `[lo, hi]` from an option.
fn range(v: Option<Vec<f64>>, what: &str) -> RhaiResult<Option<(f64, f64)>> {
    match v {
        None => Ok(None),
        Some(v) if v.len() == 2 => Ok(Some((v[0], v[1]))),
        Some(v) => Err(rt_error(format!(
            "{what} must be [low, high], got {} values",
            v.len()
        ))),
    }
}

fn opt_color(c: &Option<String>) -> RhaiResult<Option<crate::plot::Rgb>> {
    c.as_deref().map(color).transpose()
}

/// Applies the panel options shared by `figure(#{…})` and `fig.set(#{…})`.
fn panel_options(fig: &mut Figure, a: PanelArgs) -> RhaiResult<()> {
    let xlim = range(a.xlim, "xlim")?;
    let ylim = range(a.ylim, "ylim")?;
    let p = fig.panel();
    if a.title.is_some() {
        p.title = a.title;
    }
    if a.xlabel.is_some() {
        p.xlabel = a.xlabel;
    }
    if a.ylabel.is_some() {
        p.ylabel = a.ylabel;
    }
    if let Some(v) = a.logx {
        p.logx = v;
    }
    if let Some(v) = a.logy {
        p.logy = v;
    }
    if xlim.is_some() {
        p.xlim = xlim;
    }
    if ylim.is_some() {
        p.ylim = ylim;
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

    /// A new figure with options.
    /// ```rhai
    /// let fig = figure(#{ xlabel: "[Fe/H]", ylabel: "stars", logy: true });
    /// ```
    #[rhai_fn(name = "figure", return_raw)]
    pub fn figure_with(options: Map) -> RhaiResult<Figure> {
        let (a, panel): (FigureArgs, PanelArgs) = parse_split(options)?;
        let mut fig = Figure::grid(a.rows.unwrap_or(1), a.cols.unwrap_or(1));
        if let Some(w) = a.width {
            fig.width = (w as u32).clamp(100, 8000);
        }
        if let Some(h) = a.height {
            fig.height = (h as u32).clamp(100, 8000);
        }
        fig.title = a.suptitle;
        panel_options(&mut fig, panel)?;
        Ok(fig)
    }

    /// Sets options of the current panel.
    #[rhai_fn(global, return_raw, name = "set")]
    pub fn set(fig: &mut Figure, options: Map) -> RhaiResult<()> {
        panel_options(fig, parse(options)?)
    }

    /// Makes panel `index` (row-major, from 0) the target of the next drawing calls.
    #[rhai_fn(global, return_raw, name = "panel")]
    pub fn panel(fig: &mut Figure, index: INT) -> RhaiResult<()> {
        fig.select(index.max(0) as usize).map_err(rt)
    }

    /// Histogram of an array or Vector.
    #[rhai_fn(global, return_raw, name = "hist")]
    pub fn hist(fig: &mut Figure, values: Dynamic, options: Map) -> RhaiResult<()> {
        let a: HistArgs = parse(options)?;
        let h = Hist {
            values: numbers(&values, "hist values")?,
            bins: a.bins.unwrap_or(30),
            range: range(a.range, "range")?,
            density: a.density.unwrap_or(false),
            cumulative: a.cumulative.unwrap_or(false),
            step: a.step.unwrap_or(false),
        };
        fig.hist(h, a.label, opt_color(&a.color)?).map_err(rt)
    }

    /// Histogram with 30 bins.
    #[rhai_fn(global, return_raw, name = "hist")]
    pub fn hist_plain(fig: &mut Figure, values: Dynamic) -> RhaiResult<()> {
        hist(fig, values, Map::new())
    }

    /// Scatter plot.
    #[rhai_fn(global, return_raw, name = "scatter")]
    pub fn scatter(fig: &mut Figure, x: Dynamic, y: Dynamic, options: Map) -> RhaiResult<()> {
        let a: ScatterArgs = parse(options)?;
        if a.clabel.is_some() {
            fig.panel().clabel = a.clabel.clone();
        }
        let col = opt_color(&a.color)?;
        let size = a.size.unwrap_or(3) as u32;
        fig.scatter(
            numbers(&x, "scatter x")?,
            numbers(&y, "scatter y")?,
            a.c,
            a.label,
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

    /// Line through the points.
    #[rhai_fn(global, return_raw, name = "line")]
    pub fn line(fig: &mut Figure, x: Dynamic, y: Dynamic, options: Map) -> RhaiResult<()> {
        let a: LineArgs = parse(options)?;
        let col = opt_color(&a.color)?;
        fig.line(
            numbers(&x, "line x")?,
            numbers(&y, "line y")?,
            a.label,
            col,
            a.width.unwrap_or(2) as u32,
            a.dashed.unwrap_or(false),
        )
        .map_err(rt)
    }

    /// Line with default style.
    #[rhai_fn(global, return_raw, name = "line")]
    pub fn line_plain(fig: &mut Figure, x: Dynamic, y: Dynamic) -> RhaiResult<()> {
        line(fig, x, y, Map::new())
    }

    /// Filled band between `lo` and `hi` over `x`.
    #[rhai_fn(global, return_raw, name = "band")]
    pub fn band(
        fig: &mut Figure,
        x: Dynamic,
        lo: Dynamic,
        hi: Dynamic,
        options: Map,
    ) -> RhaiResult<()> {
        let a: BandArgs = parse(options)?;
        let col = opt_color(&a.color)?;
        fig.band(
            numbers(&x, "band x")?,
            numbers(&lo, "band lo")?,
            numbers(&hi, "band hi")?,
            a.label,
            col,
            a.alpha.unwrap_or(0.3),
        )
        .map_err(rt)
    }

    /// Horizontal line at `y`.
    #[rhai_fn(global, return_raw, name = "hline")]
    pub fn hline(fig: &mut Figure, y: FLOAT, options: Map) -> RhaiResult<()> {
        let a: RuleArgs = parse(options)?;
        let color = opt_color(&a.color)?.unwrap_or((0, 0, 0));
        fig.push(Series::HLine {
            y,
            label: a.label,
            color,
            dashed: a.dashed.unwrap_or(true),
        });
        Ok(())
    }

    /// Vertical line at `x`.
    #[rhai_fn(global, return_raw, name = "vline")]
    pub fn vline(fig: &mut Figure, x: FLOAT, options: Map) -> RhaiResult<()> {
        let a: RuleArgs = parse(options)?;
        let color = opt_color(&a.color)?.unwrap_or((0, 0, 0));
        fig.push(Series::VLine {
            x,
            label: a.label,
            color,
            dashed: a.dashed.unwrap_or(true),
        });
        Ok(())
    }

    /// Corner plot of the named numeric columns of a table: histograms on the diagonal (titled
    /// with median and 68 % interval), 2-D histograms below.
    /// ```rhai
    /// let fig = corner(samples, ["alpha_imf", "log10_n_ia"], #{ truths: [-2.3, -2.89] });
    /// ```
    #[rhai_fn(return_raw)]
    pub fn corner(t: crate::catalog::Table, columns: Array, options: Map) -> RhaiResult<Figure> {
        let a: CornerArgs = parse(options)?;
        let truths = a
            .truths
            .as_ref()
            .map(|d| numbers_or_nan(d, "corner: option 'truths'"))
            .transpose()?;
        let names = strings(&Dynamic::from_array(columns), "corner columns")?;
        let cols: RhaiResult<Vec<(String, Vec<f64>)>> = names
            .into_iter()
            .map(|n| Ok((n.clone(), t.column_f64(&n).map_err(rt)?)))
            .collect();
        crate::plot::corner(&cols?, truths.as_deref(), a.bins.unwrap_or(30)).map_err(rt)
    }

    /// Corner plot with default options.
    #[rhai_fn(name = "corner", return_raw)]
    pub fn corner_plain(t: crate::catalog::Table, columns: Array) -> RhaiResult<Figure> {
        corner(t, columns, Map::new())
    }

    /// Ellipses `(x − μ)ᵀ Σ⁻¹ (x − μ) = k²` of a 2-D Gaussian with `mean` [x, y] and
    /// covariance `cov` [[sxx, sxy], [sxy, syy]].
    #[rhai_fn(global, return_raw, name = "ellipse")]
    pub fn ellipse(fig: &mut Figure, mean: Dynamic, cov: Array, options: Map) -> RhaiResult<()> {
        let a: EllipseArgs = parse(options)?;
        let ks = match &a.nsigma {
            None => vec![1.0, 2.0, 3.0],
            Some(NumberOrList::One(k)) => vec![*k],
            Some(NumberOrList::Many(v)) => v.clone(),
        };
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
        let col = match opt_color(&a.color)? {
            Some(c) => c,
            None => fig.panel().next_color(),
        };
        for (i, k) in ks.iter().enumerate() {
            let (x, y) = crate::plot::gaussian_ellipse(
                [m[0], m[1]],
                [[r0[0], r0[1]], [r1[0], r1[1]]],
                *k,
                120,
            )
            .map_err(rt)?;
            let l = if i == 0 { a.label.clone() } else { None };
            fig.line(x, y, l, Some(col), 2, i > 0).map_err(rt)?;
        }
        Ok(())
    }

    /// Renders the figure to a `.png` or `.svg` file (atomically).
    #[rhai_fn(global, return_raw, pure, name = "save")]
    pub fn save(ctx: NativeCallContext, fig: &mut Figure, path: &str) -> RhaiResult<()> {
        let path = context(&ctx)?.writable("save", path)?;
        fig.save(&path).map_err(rt)
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
