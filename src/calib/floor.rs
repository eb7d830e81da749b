//! The systematic floor of a posterior estimator over many stars, measured on mock galaxies.
//!
//! A per-star error of the neural posterior that is shared by the stars of a galaxy (a bias
//! of the flow in that region of Λ) does not average out: the combined estimate of n stars
//! has the statistical covariance Σ_n, which shrinks like 1/n, plus a systematic part T that
//! does not. Then e = Λ̂ − Λ has E[e eᵀ] = Σ_n + T, and over G calibration galaxies
//!
//! ```text
//! T̂ = (1/G) Σ_g (e_g e_gᵀ − Σ_g),
//! ```
//!
//! projected onto the positive semi-definite matrices. Galchem's calibrations show the model
//! holds: the same T explains the standardised errors at n = 100 and n = 1000 (book: "Many
//! stars"). Adding T̂ to the combined covariance (`infer(…, #{ systematic })`) gives errors
//! that cover at every n; it widens, it does not re-centre.

use super::error::CalibError;
use super::galaxy::{gaussian_record, GalaxyRecord};
pub use crate::infer::catalog::systematic::SystematicFloor;

/// The floor of `method` from its records at `n` stars (the largest n of the method when
/// `None`): the mean of e eᵀ − Σ, its negative eigenvalues set to 0.
pub fn estimate_floor(
    records: &[GalaxyRecord],
    method: &str,
    n: Option<usize>,
) -> Result<SystematicFloor, CalibError> {
    let of_method = || records.iter().filter(|r| r.method == method);
    let n = match n.or_else(|| of_method().map(|r| r.n).max()) {
        Some(n) => n,
        None => {
            return Err(CalibError::option(
                "method",
                method,
                "no galaxy record has this method",
            ))
        }
    };
    let usable: Vec<&GalaxyRecord> = of_method()
        .filter(|r| r.n == n && r.error.is_none() && r.cov.len() == 2)
        .filter(|r| r.mean.iter().chain(&r.truth).all(|v| v.is_finite()))
        .collect();
    if usable.len() < 2 {
        return Err(CalibError::TooFew {
            what: format!("galaxies with a covariance for method {method} at n = {n}"),
            found: usable.len(),
            needed: 2,
        });
    }
    let mut t = [[0.0; 2]; 2];
    for r in &usable {
        let e = [r.mean[0] - r.truth[0], r.mean[1] - r.truth[1]];
        for a in 0..2 {
            for b in 0..2 {
                t[a][b] += (e[a] * e[b] - r.cov[a][b]) / usable.len() as f64;
            }
        }
    }
    let cov = clip_psd(t);
    Ok(SystematicFloor {
        method: method.to_string(),
        n,
        galaxies: usable.len(),
        sd: [cov[0][0].sqrt(), cov[1][1].sqrt()],
        cov,
    })
}

/// The records of `floor.method` with T added to their covariances, re-scored as Gaussian
/// posteriors and named `<method>+floor`; other records are left out.
pub fn apply_floor(records: &[GalaxyRecord], floor: &SystematicFloor) -> Vec<GalaxyRecord> {
    records
        .iter()
        .filter(|r| r.method == floor.method)
        .map(|r| {
            let method = format!("{}+floor", r.method);
            if r.error.is_some() || r.cov.len() != 2 {
                return GalaxyRecord {
                    method,
                    ..r.clone()
                };
            }
            let cov: Vec<Vec<f64>> = (0..2)
                .map(|a| (0..2).map(|b| r.cov[a][b] + floor.cov[a][b]).collect())
                .collect();
            GalaxyRecord {
                galaxy: r.galaxy,
                method,
                ..gaussian_record(&r.truth, &r.mean, &cov, r.n)
            }
        })
        .collect()
}

/// The 2 × 2 symmetric matrix `t` with its negative eigenvalues set to 0.
fn clip_psd(t: [[f64; 2]; 2]) -> [[f64; 2]; 2] {
    let (a, b, d) = (t[0][0], 0.5 * (t[0][1] + t[1][0]), t[1][1]);
    let mid = 0.5 * (a + d);
    let rad = (0.25 * (a - d) * (a - d) + b * b).sqrt();
    let (l1, l2) = (mid + rad, mid - rad);
    // eigenvector of l1
    let (vx, vy) = if b.abs() > 1e-300 {
        (l1 - d, b)
    } else if a >= d {
        (1.0, 0.0)
    } else {
        (0.0, 1.0)
    };
    let norm = (vx * vx + vy * vy).sqrt();
    let (ux, uy) = (vx / norm, vy / norm);
    let (p1, p2) = (l1.max(0.0), l2.max(0.0));
    // P = p1 u uᵀ + p2 w wᵀ with w ⟂ u
    [
        [p1 * ux * ux + p2 * uy * uy, (p1 - p2) * ux * uy],
        [(p1 - p2) * ux * uy, p1 * uy * uy + p2 * ux * ux],
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clipping_keeps_psd_matrices_and_drops_negative_directions() {
        let m = [[2.0, 0.5], [0.5, 1.0]];
        let c = clip_psd(m);
        for a in 0..2 {
            for b in 0..2 {
                assert!((c[a][b] - m[a][b]).abs() < 1e-12, "{c:?}");
            }
        }
        let c = clip_psd([[1.0, 0.0], [0.0, -3.0]]);
        assert_eq!(c, [[1.0, 0.0], [0.0, 0.0]]);
        let c = clip_psd([[-1.0, 0.0], [0.0, -2.0]]);
        assert_eq!(c, [[0.0, 0.0], [0.0, 0.0]]);
        // eigenvalues 3 and −1 along (1, 1)/√2 and (1, −1)/√2
        let c = clip_psd([[1.0, 2.0], [2.0, 1.0]]);
        for v in [c[0][0], c[0][1], c[1][0], c[1][1]] {
            assert!((v - 1.5).abs() < 1e-12, "{c:?}");
        }
    }
}
