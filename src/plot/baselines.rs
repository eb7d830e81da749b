//! Figures of the HMC and MAP baselines: trace plots and rank plots of MCMC chains, and the
//! comparison of methods against the number of stars in the style of the paper's Fig. 5.

use super::figure::{Hist, Series};
use super::style::color_cycle;
use super::{Figure, PlotError, GLOBAL_LABELS};

/// Trace plots: one panel per parameter, one line per chain against the draw index.
/// `chains[p][c]` holds parameter p's draws in chain c.
pub fn trace_figure(names: &[String], chains: &[Vec<Vec<f64>>]) -> Result<Figure, PlotError> {
    check(names, chains)?;
    let mut fig = Figure::grid(names.len(), 1);
    fig.height = 600.max(220 * names.len() as u32);
    fig.title = Some("trace".into());
    for (p, (name, per_chain)) in names.iter().zip(chains).enumerate() {
        fig.select(p)?;
        {
            let panel = fig.panel();
            panel.ylabel = Some(name.clone());
            panel.xlabel = (p + 1 == names.len()).then(|| "draw".to_string());
        }
        for (c, v) in per_chain.iter().enumerate() {
            let x: Vec<f64> = (0..v.len()).map(|t| t as f64).collect();
            let label = (p == 0).then(|| format!("chain {c}"));
            fig.line(x, v.clone(), label, Some(color_cycle(c)), 1, false)?;
        }
    }
    fig.select(0)?;
    Ok(fig)
}

/// Rank plots (Vehtari et al. 2021): the draws of all chains are ranked together and each
/// chain's ranks histogrammed; chains that sample the same distribution give flat
/// histograms around the dashed line.
pub fn rank_figure(
    names: &[String],
    chains: &[Vec<Vec<f64>>],
    bins: usize,
) -> Result<Figure, PlotError> {
    check(names, chains)?;
    let bins = bins.max(2);
    let mut fig = Figure::grid(names.len(), 1);
    fig.height = 600.max(220 * names.len() as u32);
    fig.title = Some("rank plot".into());
    for (p, (name, per_chain)) in names.iter().zip(chains).enumerate() {
        let mut all: Vec<(f64, usize)> = per_chain
            .iter()
            .enumerate()
            .flat_map(|(c, v)| v.iter().map(move |&x| (x, c)))
            .collect();
        all.sort_by(|a, b| a.0.total_cmp(&b.0));
        let total = all.len() as f64;
        let mut ranks: Vec<Vec<f64>> = vec![Vec::new(); per_chain.len()];
        for (r, &(_, c)) in all.iter().enumerate() {
            ranks[c].push(r as f64);
        }
        fig.select(p)?;
        {
            let panel = fig.panel();
            panel.ylabel = Some(format!("{name}: draws per bin"));
            panel.xlabel = (p + 1 == names.len()).then(|| "rank of all draws".to_string());
        }
        for (c, r) in ranks.into_iter().enumerate() {
            let hist = Hist {
                values: r,
                bins,
                range: Some((0.0, total)),
                density: false,
                cumulative: false,
                step: true,
            };
            fig.hist(
                hist,
                (p == 0).then(|| format!("chain {c}")),
                Some(color_cycle(c)),
            )?;
        }
        let per_bin = total / per_chain.len() as f64 / bins as f64;
        fig.push(Series::HLine {
            y: per_bin,
            label: None,
            color: (0, 0, 0),
            dashed: true,
        });
    }
    fig.select(0)?;
    Ok(fig)
}

fn check(names: &[String], chains: &[Vec<Vec<f64>>]) -> Result<(), PlotError> {
    if names.is_empty()
        || names.len() != chains.len()
        || chains.iter().any(|c| c.is_empty() || c[0].is_empty())
    {
        return Err(PlotError::BadArgument(
            "chain figures need one name and at least one non-empty chain per parameter".into(),
        ));
    }
    Ok(())
}

/// One estimate of the global parameters by one method from n stars.
#[derive(Debug, Clone, PartialEq)]
pub struct MethodPoint {
    /// The method, e.g. `sbi`, `hmc`, `map`.
    pub method: String,
    /// Number of stars.
    pub n: f64,
    /// Estimates of (α_IMF, log10 N_Ia).
    pub mean: [f64; 2],
    /// Their standard deviations.
    pub sd: [f64; 2],
}

/// Fig. 5 with several methods: for each global parameter, every method's estimate with 1σ
/// (thick) and 2σ (thin) bars against the number of stars (log axis, methods side by side),
/// and the truth.
pub fn methods_figure(
    points: &[MethodPoint],
    truth: Option<[f64; 2]>,
) -> Result<Figure, PlotError> {
    let ok: Vec<&MethodPoint> = points
        .iter()
        .filter(|p| p.n > 0.0 && p.mean.iter().chain(&p.sd).all(|v| v.is_finite()))
        .collect();
    if ok.is_empty() {
        return Err(PlotError::BadArgument(
            "methods_figure: no finite estimates to draw".into(),
        ));
    }
    let mut methods: Vec<&str> = Vec::new();
    for p in &ok {
        if !methods.contains(&p.method.as_str()) {
            methods.push(&p.method);
        }
    }
    let mut fig = Figure::grid(2, 1);
    (fig.width, fig.height) = (900, 800);
    // whole decades, so that the log axis has labelled ticks
    let (lo, hi) = ok
        .iter()
        .fold((f64::MAX, 0.0f64), |(a, b), p| (a.min(p.n), b.max(p.n)));
    let xlim = (
        10f64.powf((lo / 1.3).log10().floor()),
        10f64.powf((hi * 1.3).log10().ceil()),
    );
    for k in 0..2 {
        fig.select(k)?;
        {
            let panel = fig.panel();
            panel.logx = true;
            panel.xlim = Some(xlim);
            panel.xlabel = Some("number of stars".into());
            panel.ylabel = Some(GLOBAL_LABELS[k].into());
        }
        for (m, name) in methods.iter().enumerate() {
            let color = color_cycle(m);
            let shift = 1.08f64.powf(m as f64 - (methods.len() as f64 - 1.0) / 2.0);
            for (i, p) in ok.iter().filter(|p| p.method == *name).enumerate() {
                let x = p.n * shift;
                let (mu, sd) = (p.mean[k], p.sd[k]);
                fig.line(
                    vec![x, x],
                    vec![mu - 2.0 * sd, mu + 2.0 * sd],
                    None,
                    Some(color),
                    1,
                    false,
                )?;
                fig.line(
                    vec![x, x],
                    vec![mu - sd, mu + sd],
                    None,
                    Some(color),
                    3,
                    false,
                )?;
                let label = (i == 0).then(|| name.to_string());
                fig.scatter(vec![x], vec![mu], None, label, Some(color), 5)?;
            }
        }
        if let Some(t) = truth {
            fig.push(Series::HLine {
                y: t[k],
                label: Some("truth".into()),
                color: (0, 0, 0),
                dashed: true,
            });
        }
    }
    fig.select(0)?;
    Ok(fig)
}
