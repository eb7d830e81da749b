//! Axis ranges: data extents of a panel (after log transforms), histogram binning, colour
//! scales.

use super::figure::{Hist, Panel, Series};
use std::ops::Range;

/// Maps a data value to plot coordinates (log10 on log axes; non-positive values vanish).
pub(crate) fn axis(log: bool) -> impl Fn(f64) -> f64 + Copy {
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

pub(crate) fn extent(panel: &Panel) -> (Range<f64>, Range<f64>) {
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

pub(crate) fn color_range(panel: &Panel) -> Option<(f64, f64)> {
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
