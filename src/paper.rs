//! Numbers reported by Buck et al. (SBI with CHEMPY) and by Philcox & Rybizki (2019) that
//! the paper's experiments and figures compare against, typed in once, with their sources.

/// The true global parameters (α_IMF, log10 N_Ia) of the CHEMPY + TNG mock catalog.
pub const TRUTH_CHEMPY_TNG: [f64; 2] = [-2.3, -2.89];

/// A mean with its standard deviation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// Mean.
    pub mean: f64,
    /// Standard deviation.
    pub sd: f64,
}

/// The abstract's numbers (inverse-variance combination of 1000 stars, spec C.2):
/// α_IMF and log10 N_Ia.
pub const ABSTRACT_RESULT: [Estimate; 2] = [
    Estimate {
        mean: -2.298,
        sd: 0.002,
    },
    Estimate {
        mean: -2.885,
        sd: 0.003,
    },
];

/// A reference estimate at some number of stars: the median and the 16/84 % bounds of
/// α_IMF and of log10 N_Ia.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReferencePoint {
    /// Number of stars.
    pub n_stars: f64,
    /// `[median, lower, upper]` of α_IMF.
    pub alpha_imf: [f64; 3],
    /// `[median, lower, upper]` of log10 N_Ia.
    pub log10_n_ia: [f64; 3],
}

/// Philcox & Rybizki (2019) Table 3: HMC on the CHEMPY + TNG mock.
pub const HMC_CHEMPY_TNG: [ReferencePoint; 3] = [
    ReferencePoint {
        n_stars: 1.0,
        alpha_imf: [-2.29, -2.37, -2.21],
        log10_n_ia: [-2.87, -2.98, -2.76],
    },
    ReferencePoint {
        n_stars: 10.0,
        alpha_imf: [-2.31, -2.33, -2.29],
        log10_n_ia: [-2.90, -2.93, -2.87],
    },
    ReferencePoint {
        n_stars: 100.0,
        alpha_imf: [-2.31, -2.32, -2.30],
        log10_n_ia: [-2.90, -2.91, -2.89],
    },
];

/// Philcox & Rybizki (2019) Table 3: HMC with model error on the CHEMPY mock made with the
/// alternative yields (spec B.5), analysed with the TNG yields.
pub const HMC_ALTERNATIVE: [ReferencePoint; 3] = [
    ReferencePoint {
        n_stars: 1.0,
        alpha_imf: [-2.25, -2.34, -2.14],
        log10_n_ia: [-3.01, -3.16, -2.86],
    },
    ReferencePoint {
        n_stars: 10.0,
        alpha_imf: [-2.21, -2.25, -2.17],
        log10_n_ia: [-2.96, -3.04, -2.88],
    },
    ReferencePoint {
        n_stars: 100.0,
        alpha_imf: [-2.22, -2.24, -2.20],
        log10_n_ia: [-2.96, -2.98, -2.93],
    },
];

/// Philcox & Rybizki (2019) Table 3: HMC on the IllustrisTNG galaxy (spec B.5).
pub const HMC_TNG_GALAXY: [ReferencePoint; 3] = [
    ReferencePoint {
        n_stars: 1.0,
        alpha_imf: [-2.27, -2.35, -2.19],
        log10_n_ia: [-2.86, -2.97, -2.75],
    },
    ReferencePoint {
        n_stars: 10.0,
        alpha_imf: [-2.27, -2.30, -2.24],
        log10_n_ia: [-2.87, -2.91, -2.84],
    },
    ReferencePoint {
        n_stars: 100.0,
        alpha_imf: [-2.28, -2.29, -2.27],
        log10_n_ia: [-2.89, -2.90, -2.88],
    },
];

/// The name the reference points go by in figures.
pub const HMC_CHEMPY_TNG_NAME: &str = "HMC (Philcox & Rybizki 2019)";

/// The paper's median APE of the emulator (%, §2.2).
pub const EMULATOR_APE_MEDIAN: f64 = 1.9;

/// The paper's median APE of the posterior for α_IMF (%, §3; see the book on what the
/// printed "2.3 %" is).
pub const POSTERIOR_APE_MEDIAN: f64 = 2.3;

/// HMC's wall time for 200 stars in the reference pipeline (hours, PyMC3 on 16 cores).
pub const HMC_HOURS_200_STARS: f64 = 42.0;

/// The reference points as a figure's reference series.
pub fn hmc_chempy_tng_reference() -> crate::plot::Reference {
    (
        HMC_CHEMPY_TNG_NAME.to_string(),
        HMC_CHEMPY_TNG
            .iter()
            .map(|p| (p.n_stars, [p.alpha_imf, p.log10_n_ia]))
            .collect(),
    )
}
