//! The CHEMPY-equivalent galactic chemical evolution simulator.
//!
//! A port of the Python CHEMPY (Rybizki, Just & Rix 2017; ChempyMulti version of Philcox &
//! Rybizki 2019) configured as in Buck et al.: a one-zone open-box model whose ISM forms stars
//! with a gamma-function SFR, accretes gas from a corona by a Kennicutt–Schmidt closure, and is
//! enriched by simple stellar populations (CC-SN, AGB, SN Ia) with a Chabrier IMF of variable
//! high-mass slope and Portinari lifetimes. Given the six parameters
//! ([`PARAM_NAMES`]) it returns the ISM abundances at the birth time of a star
//! ([`ABUNDANCE_NAMES`], dex on the Asplund09 scale: [Fe/H] and [X/Fe]).
//!
//! One file per ingredient: [`params`], [`solar`], [`imf`], [`lifetimes`], [`sfr`],
//! [`infall`], [`yields`], [`ssp`], [`evolve`], [`abundances`]; [`settings`] holds the
//! model settings a user may change. See the book chapter "The
//! simulator" for every equation.
//!
//! ```no_run
//! use galchem::data::DataDir;
//! use galchem::gce::{Chempy, Params, YieldSet};
//! let data = DataDir::resolve(None)?;
//! let sim = Chempy::load(&data, YieldSet::Tng)?;
//! let x = sim.simulate(&Params::prior_means(8.0))?;
//! println!("[Fe/H] = {}", x[1]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

// Index loops mirror CHEMPY's array arithmetic element by element (order of operations
// matters for exact conformance), so they stay explicit.
#![allow(clippy::needless_range_loop)]

pub mod abundances;
mod batch;
pub mod config;
pub mod error;
pub mod evolve;
pub mod imf;
pub mod infall;
pub mod inference;
pub mod input;
pub mod lifetimes;
mod model;
pub mod numeric;
pub mod params;
pub mod settings;
pub mod sfr;
pub mod solar;
pub mod ssp;
pub mod yields;

pub use batch::CHUNK as BATCH_CHUNK;
pub use config::{END_TIME, MAX_BIRTH_TIME};
pub use error::{GceError, SimError};
pub use inference::{EMULATOR_BOX_SIGMAS, NPE_BIRTH_RANGE};
pub use model::{Chempy, Evolution, Trajectory};
pub use params::{Params, GLOBAL_PARAM_NAMES, PARAM_NAMES, SFR_PEAK_MIN};
pub use settings::ModelSettings;
pub use yields::YieldSet;

/// Names of the 8 simulator outputs, in output order.
pub const ABUNDANCE_NAMES: [&str; 8] = [
    "C_Fe", "Fe_H", "He_Fe", "Mg_Fe", "N_Fe", "Ne_Fe", "O_Fe", "Si_Fe",
];
