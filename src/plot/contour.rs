//! Contour lines of a density on a grid (marching squares), for the highest-density regions
//! of the exact combination drawn over the Gaussian one.

use super::figure::Series;
use super::{Figure, PlotError};
use crate::infer::combine::exact::grid::GridDensity;
use crate::infer::combine::ExactCombined;

/// The segments `[(x0, y0), (x1, y1)]` where the grid's log density crosses `level`.
pub fn contour_segments(g: &GridDensity, level: f64) -> Vec<[[f64; 2]; 2]> {
    let n = g.nodes;
    let v = |i: usize, j: usize| g.log_density[i * n + j];
    let mut out = Vec::new();
    for i in 0..n - 1 {
        for j in 0..n - 1 {
            // corners in order around the cell
            let c = [(i, j), (i + 1, j), (i + 1, j + 1), (i, j + 1)];
            let mut pts = Vec::with_capacity(4);
            for k in 0..4 {
                let (a, b) = (c[k], c[(k + 1) % 4]);
                let (va, vb) = (v(a.0, a.1), v(b.0, b.1));
                if (va > level) != (vb > level) && va.is_finite() && vb.is_finite() {
                    let t = (level - va) / (vb - va);
                    let (pa, pb) = (g.point(a.0, a.1), g.point(b.0, b.1));
                    pts.push([pa[0] + t * (pb[0] - pa[0]), pa[1] + t * (pb[1] - pa[1])]);
                }
            }
            // two crossings: one segment; four (a saddle): two
            for s in pts.chunks_exact(2) {
                out.push([s[0], s[1]]);
            }
        }
    }
    out
}

/// Draws the exact combination's 68 % and 95 % HPD contours onto the current panel.
pub fn add_hpd_contours(fig: &mut Figure, e: &ExactCombined) -> Result<(), PlotError> {
    let orange = (255, 127, 14);
    for (level, name, width) in [(e.hpd68, "68 %", 3), (e.hpd95, "95 %", 2)] {
        let segs = contour_segments(&e.grid, level);
        for (k, s) in segs.iter().enumerate() {
            let label = (k == 0).then(|| format!("exact ({}) {name} HPD", e.density.name()));
            fig.push(Series::Line {
                x: vec![s[0][0], s[1][0]],
                y: vec![s[0][1], s[1][1]],
                label,
                color: orange,
                width,
                dashed: false,
            });
        }
    }
    Ok(())
}
