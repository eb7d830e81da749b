//! The fixed CHEMPY configuration reproduced by the simulator (ChempyMulti `parameter.py`
//! defaults, see `data/README.md` §1): time grid, IMF grid, mass ranges, SN Ia delay-time
//! distribution, star-formation history shape and the traced elements.
//!
//! These numbers live in CHEMPY's Python code rather than in data files; they are the same for
//! both yield sets. Times in Gyr, masses in Msun.

/// Start of the model (Gyr).
pub const START_TIME: f64 = 0.0;
/// End of the model: the Planck 2015 age of the Universe (Gyr).
pub const END_TIME: f64 = 13.797617;
/// Number of points of the default linear time grid `linspace(0, END_TIME, 28)`.
pub const TIME_STEPS: usize = 28;
/// Largest birth time accepted by [`crate::gce::Params`] (Gyr). Values in
/// (`END_TIME`, 13.8] are allowed: CHEMPY then builds a 27-step grid ending at 13.289 Gyr.
pub const MAX_BIRTH_TIME: f64 = 13.8;
/// `shorten_sfr` asserts `END_TIME - birth_time <= 13.0` (a star may be at most 13 Gyr old).
pub const MAX_STELLAR_AGE: f64 = 13.0;
/// A run fails when the SFR of the birth step is below this fraction of the mean SFR.
pub const MIN_SFR_FRACTION_AT_BIRTH: f64 = 0.05;

/// IMF mass grid `linspace(IMF_MMIN, IMF_MMAX, IMF_STEPS)` (Msun).
pub const IMF_MMIN: f64 = 0.1;
/// Upper end of the IMF mass grid (Msun).
pub const IMF_MMAX: f64 = 100.0;
/// Number of IMF grid points.
pub const IMF_STEPS: usize = 5000;
/// Chabrier_TNG IMF: normalisation of the log-normal branch (x < 1 Msun).
pub const CHABRIER_A: f64 = 0.852464;
/// Chabrier_TNG IMF: normalisation of the power-law branch (x > 1 Msun).
pub const CHABRIER_B: f64 = 0.237912;
/// Chabrier_TNG IMF: width of the log-normal branch (dex).
pub const CHABRIER_SIGMA: f64 = 0.69;
/// Chabrier_TNG IMF: characteristic mass of the log-normal branch (Msun).
pub const CHABRIER_M_C: f64 = 0.079;

/// Core-collapse supernova progenitor masses (Msun).
pub const SN2_MMIN: f64 = 8.0;
/// Upper CC-SN progenitor mass (Msun).
pub const SN2_MMAX: f64 = 100.0;
/// AGB progenitor masses (Msun).
pub const AGB_MMIN: f64 = 1.0;
/// Upper AGB progenitor mass (Msun).
pub const AGB_MMAX: f64 = 8.0;
/// Black-hole progenitor masses (Msun): the range [100, 100) is empty in this configuration.
pub const BH_MMIN: f64 = 100.0;
/// Upper black-hole progenitor mass (Msun).
pub const BH_MMAX: f64 = 100.0;
/// Fraction of the black-hole progenitor mass locked in the remnant.
pub const BH_REMNANT_FRACTION: f64 = 0.25;

/// Maoz delay-time distribution: minimum delay (Gyr).
pub const SN1A_DELAY: f64 = 0.04;
/// Maoz delay-time distribution: power-law exponent.
pub const SN1A_EXPONENT: f64 = 1.12;
/// The delay-time distribution is normalised over this time span (Gyr).
pub const SN1A_NORM_TIME: f64 = 13.8;
/// Mean mass of a SN Ia progenitor system (Msun), hard-coded in `weighted_yield.py`.
pub const SN1A_MEAN_MASS: f64 = 2.156;
/// Remnant mass of a SN Ia progenitor as a fraction of [`SN1A_MEAN_MASS`].
pub const SN1A_REMNANT_FRACTION: f64 = 0.3;

/// Gamma-function SFR shape parameter (`a_parameter`; the peak is at the scale for a = 2).
pub const SFR_GAMMA_SHAPE: f64 = 2.0;
/// Kennicutt–Schmidt exponent of the `sfr_related` infall.
pub const GAS_POWER: f64 = 1.0;
/// Corona (gas reservoir) mass in units of the total formed stellar mass (before shortening).
pub const GAS_RESERVOIR_MASS_FACTOR: f64 = 1.0;
/// Cosmic accretion onto the corona per unit SFR.
pub const SFR_FACTOR_FOR_COSMIC_ACCRETION: f64 = 1.0;
/// Ensures the first step holds a little more gas than it turns into stars.
pub const FIRST_STEP_GAS_FACTOR: f64 = 1.0000001;
/// Safety factor applied to the infall needed by the Schmidt law.
pub const INFALL_SAFETY_FACTOR: f64 = 1.00000001;
/// Infall factor when the Schmidt law would leave less gas than the SFR needs.
pub const INFALL_SHORTFALL_FACTOR: f64 = 1.01;

/// Elements traced by CHEMPY, in CHEMPY's `elements_to_trace` order.
pub const ELEMENTS: [&str; 9] = ["C", "Fe", "H", "He", "Mg", "N", "Ne", "O", "Si"];
/// Number of traced elements.
pub const N_EL: usize = 9;
/// Index of carbon in [`ELEMENTS`].
pub const C: usize = 0;
/// Index of iron in [`ELEMENTS`].
pub const FE: usize = 1;
/// Index of hydrogen in [`ELEMENTS`].
pub const H: usize = 2;
/// Index of helium in [`ELEMENTS`].
pub const HE: usize = 3;
/// Index of magnesium in [`ELEMENTS`].
pub const MG: usize = 4;
/// Index of oxygen in [`ELEMENTS`].
pub const O: usize = 7;
/// Index of silicon in [`ELEMENTS`].
pub const SI: usize = 8;
/// Atomic numbers of [`ELEMENTS`].
pub const ATOMIC_NUMBERS: [u32; 9] = [6, 26, 1, 2, 12, 7, 10, 8, 14];
/// Metals (every traced element except H and He), in [`ELEMENTS`] order.
pub const METALS: [usize; 7] = [0, 1, 4, 5, 6, 7, 8];
/// Primordial (and cosmic-accretion) mass fractions per element of [`ELEMENTS`].
pub const PRIMORDIAL: [f64; 9] = [0.0, 0.0, 0.76, 0.24, 0.0, 0.0, 0.0, 0.0, 0.0];
