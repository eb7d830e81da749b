//! The simulator: loaded tables ([`Chempy`]), one run on its time grid, and the public entry
//! points `simulate` (birth abundances) and `trajectory` (abundances at every step).

use super::abundances::{from_masses, output};
use super::config::{END_TIME, GAS_RESERVOIR_MASS_FACTOR, N_EL};
use super::error::{GceError, SimError};
use super::evolve::IsmHistory;
use super::imf::{Imf, MassGrid};
use super::lifetimes::Portinari;
use super::params::Params;
use super::settings::{ModelSettings, SettingsError};
use super::sfr::RunGrid;
use super::solar::Solar;
use super::ssp::sn1a::DelayTimes;
use super::ssp::{element_feedback, SspContext, SspTable, SspWork, SspYields};
use super::yields::{YieldSet, YieldTables};
use super::ABUNDANCE_NAMES;
use crate::data::DataDir;
use std::cell::RefCell;
use std::sync::Arc;

/// Immutable inputs of a yield set.
#[derive(Debug)]
struct Model {
    set: YieldSet,
    grid: MassGrid,
    law: Portinari,
    solar: Solar,
    tables: YieldTables,
    ssp: SspYields,
}

/// The CHEMPY-equivalent simulator for one yield set and one set of [`ModelSettings`]. Cheap
/// to clone (the tables are shared behind an `Arc`), `Send + Sync`.
#[derive(Debug, Clone)]
pub struct Chempy {
    model: Arc<Model>,
    settings: ModelSettings,
}

/// Abundances at every time step of a full-length run (CHEMPY `multi_timestep_chempy`).
#[derive(Debug, Clone, PartialEq)]
pub struct Trajectory {
    /// Time (Gyr) of steps 1..27 of the 28-point grid.
    pub time: Vec<f64>,
    /// The 8 abundances ([`ABUNDANCE_NAMES`] order, dex) at each time.
    pub abundances: Vec<[f64; 8]>,
}

/// Everything about one run, for diagnostics (computed in numpy-exact mode).
#[derive(Debug, Clone, PartialEq)]
pub struct Evolution {
    /// The time grid and SFR of the run.
    pub grid: RunGrid,
    /// ISM and corona history.
    pub history: IsmHistory,
    /// Metallicity and birth-gas element fractions of the SSP born at each step.
    pub ssp_inputs: Vec<(f64, [f64; N_EL])>,
    /// The SSP table of each birth step.
    pub ssp_tables: Vec<SspTable>,
    /// Abundances of all traced elements at every step (CHEMPY's convention, H = −[Fe/H]).
    pub abundances: Vec<[f64; N_EL]>,
}

/// Reusable per-thread buffers of the hot path.
#[derive(Default)]
struct Workspace {
    grid: RunGrid,
    log10_time: Vec<f64>,
    imf: Imf,
    dtd: DelayTimes,
    ssp: SspWork,
    /// Feedback of the SSP born at step j, `r` steps later: `feedback[j * n + r]`.
    feedback: Vec<[f64; N_EL]>,
    history: IsmHistory,
}

thread_local! {
    static WORKSPACE: RefCell<Workspace> = RefCell::new(Workspace::default());
}

impl Chempy {
    /// Loads the tables of `set` from the data directory (errors name the file and line).
    pub fn load(data: &DataDir, set: YieldSet) -> Result<Self, GceError> {
        let tables = YieldTables::load(data, set)?;
        let grid = MassGrid::new();
        let ssp = SspYields::prepare(&grid, &tables)?;
        Ok(Self {
            model: Arc::new(Model {
                set,
                grid,
                law: Portinari::load(data)?,
                solar: Solar::load(data)?,
                tables,
                ssp,
            }),
            settings: ModelSettings::default(),
        })
    }

    /// The same simulator (tables shared) with other model settings.
    pub fn with_settings(&self, settings: ModelSettings) -> Result<Self, SettingsError> {
        settings.validate()?;
        Ok(Self {
            model: self.model.clone(),
            settings,
        })
    }

    /// The model settings of this simulator.
    pub fn settings(&self) -> ModelSettings {
        self.settings
    }

    /// The yield set, followed by the model settings that differ from the reference in
    /// brackets: `tng`, `tng(sfr_factor_for_cosmic_accretion=0.000001)`.
    pub fn label(&self) -> String {
        let changes = self.settings.describe_changes();
        if changes.is_empty() {
            self.yield_set().to_string()
        } else {
            format!("{}({changes})", self.yield_set())
        }
    }

    /// The yield set of this simulator.
    pub fn yield_set(&self) -> YieldSet {
        self.model.set
    }

    /// The yield tables as loaded.
    pub fn yield_tables(&self) -> &YieldTables {
        &self.model.tables
    }

    /// Solar reference values.
    pub fn solar(&self) -> &Solar {
        &self.model.solar
    }

    /// The IMF mass grid.
    pub fn mass_grid(&self) -> &MassGrid {
        &self.model.grid
    }

    /// The stellar lifetime law.
    pub fn lifetimes(&self) -> &Portinari {
        &self.model.law
    }

    /// Birth abundances `C_Fe, Fe_H, He_Fe, Mg_Fe, N_Fe, Ne_Fe, O_Fe, Si_Fe` (dex) of a star
    /// born at `p.birth_time` (CHEMPY `single_timestep_chempy`), or why CHEMPY rejects the run.
    pub fn simulate(&self, p: &Params) -> Result<[f64; 8], SimError> {
        p.validate()?;
        WORKSPACE.with(|ws| {
            let mut ws = ws.borrow_mut();
            self.run(p, p.birth_time, &mut ws)?;
            let h = &ws.history;
            let last = h.elements.len() - 1;
            let all = from_masses(&h.elements[last], &self.model.solar);
            let out = output(&all);
            if let Some(i) = out.iter().position(|v| !v.is_finite()) {
                return Err(SimError::NonFinite(ABUNDANCE_NAMES[i]));
            }
            Ok(out)
        })
    }

    /// Abundances at steps 1..27 of the full 28-step run (CHEMPY `multi_timestep_chempy`);
    /// `p.birth_time` is ignored.
    pub fn trajectory(&self, p: &Params) -> Result<Trajectory, SimError> {
        p.validate_physics()?;
        WORKSPACE.with(|ws| {
            let mut ws = ws.borrow_mut();
            self.run(p, END_TIME, &mut ws)?;
            let h = &ws.history;
            let mut t = Trajectory {
                time: h.time[1..].to_vec(),
                abundances: Vec::with_capacity(h.time.len() - 1),
            };
            for m in &h.elements[1..] {
                t.abundances
                    .push(output(&from_masses(m, &self.model.solar)));
            }
            Ok(t)
        })
    }

    /// One run up to `birth_time` in the workspace (fast mode).
    fn run(&self, p: &Params, birth_time: f64, ws: &mut Workspace) -> Result<(), SimError> {
        let m = &*self.model;
        let ws = &mut *ws;
        ws.grid.build(birth_time, p.sfr_scale())?;
        let (time, sfr) = (&ws.grid.time, &ws.grid.sfr);
        let n = time.len();
        ws.log10_time.clear();
        ws.log10_time.extend(time.iter().map(|t| t.log10()));
        ws.imf.refill_fast(&m.grid, p.alpha_imf);
        ws.dtd.reset(time);
        ws.feedback.clear();
        ws.feedback.resize(n * n, [0.0; N_EL]);
        let sfe_dt = p.sfe() * ws.grid.dt;
        let h = &mut ws.history;
        h.reset(time, sfr, false);
        h.start(
            sfe_dt,
            GAS_RESERVOIR_MASS_FACTOR / ws.grid.rescaling,
            self.settings.sfr_factor_for_cosmic_accretion,
        );
        let ctx = SspContext {
            grid: &m.grid,
            imf: &ws.imf,
            law: &m.law,
            yields: &m.ssp,
            n_ia: p.n_ia(),
            fast: true,
        };
        for i in 0..n - 1 {
            let fr = h.birth_fractions(i);
            let rows = &mut ws.feedback[i * n..i * n + (n - i)];
            element_feedback(
                &ctx,
                h.z[i],
                &fr,
                time,
                &ws.log10_time,
                n - i,
                &mut ws.dtd,
                &mut ws.ssp,
                rows,
            );
            let f = summed_feedback(&ws.feedback, sfr, n, i + 1);
            h.advance(i + 1, &f, p.x_out, sfe_dt)?;
            h.check(i)?;
        }
        final_check(h)
    }

    /// A full diagnostic run in numpy-exact mode, up to `birth_time` (use
    /// [`END_TIME`] for the trajectory run).
    pub fn evolution(&self, p: &Params, birth_time: f64) -> Result<Evolution, SimError> {
        p.validate_physics()?;
        let m = &*self.model;
        let mut grid = RunGrid::default();
        grid.build(birth_time, p.sfr_scale())?;
        let n = grid.time.len();
        let imf = Imf::exact(&m.grid, p.alpha_imf);
        let ctx = SspContext {
            grid: &m.grid,
            imf: &imf,
            law: &m.law,
            yields: &m.ssp,
            n_ia: p.n_ia(),
            fast: false,
        };
        let sfe_dt = p.sfe() * grid.dt;
        let mut h = IsmHistory::default();
        h.reset(&grid.time, &grid.sfr, true);
        h.start(
            sfe_dt,
            GAS_RESERVOIR_MASS_FACTOR / grid.rescaling,
            self.settings.sfr_factor_for_cosmic_accretion,
        );
        let (mut inputs, mut tables) = (Vec::new(), Vec::<SspTable>::new());
        for i in 0..n - 1 {
            let fr = h.birth_fractions(i);
            inputs.push((h.z[i], fr));
            tables.push(SspTable::compute(&ctx, h.z[i], &fr, &grid.time[..n - i]));
            let k = i + 1;
            let mut f = [0.0; N_EL];
            let mut c = [0.0; 5];
            for (j, t) in tables.iter().enumerate() {
                let (s, r) = (grid.sfr[j], k - j);
                for e in 0..N_EL {
                    f[e] += s * t.elements[r][e];
                }
                let cols = [t.mass_in_remnants[r], t.sn1a[r], t.sn2[r], t.pn[r], t.bh[r]];
                for (acc, v) in c.iter_mut().zip(cols) {
                    *acc += s * v;
                }
            }
            h.advance(k, &f, p.x_out, sfe_dt)?;
            h.add_cumulative(k, &c, p.x_out);
            h.check(i)?;
        }
        final_check(&h)?;
        let abundances = h
            .elements
            .iter()
            .map(|e| from_masses(e, &m.solar))
            .collect();
        Ok(Evolution {
            grid,
            history: h,
            ssp_inputs: inputs,
            ssp_tables: tables,
            abundances,
        })
    }

    /// The full table of a standalone SSP (exact mode) with IMF slope `alpha_imf`, SN Ia
    /// number 10^`log10_n_ia`, metallicity `z`, birth composition `fractions`, on `time` (Gyr).
    pub fn ssp_table(
        &self,
        alpha_imf: f64,
        log10_n_ia: f64,
        z: f64,
        fractions: &[f64; N_EL],
        time: &[f64],
    ) -> SspTable {
        let m = &*self.model;
        let imf = Imf::exact(&m.grid, alpha_imf);
        let ctx = SspContext {
            grid: &m.grid,
            imf: &imf,
            law: &m.law,
            yields: &m.ssp,
            n_ia: 10f64.powf(log10_n_ia),
            fast: false,
        };
        SspTable::compute(&ctx, z, fractions, time)
    }
}

/// Σ_{j<k} SFR_j E_j(k − j) per element, summed over j from 0 (CHEMPY's order).
fn summed_feedback(feedback: &[[f64; N_EL]], sfr: &[f64], n: usize, k: usize) -> [f64; N_EL] {
    let mut f = [0.0; N_EL];
    for j in 0..k {
        let row = &feedback[j * n + (k - j)];
        let s = sfr[j];
        for e in 0..N_EL {
            f[e] += s * row[e];
        }
    }
    f
}

/// CHEMPY never checks the last step; a negative element there would make its abundance NaN.
/// We report it as the same failure.
fn final_check(h: &IsmHistory) -> Result<(), SimError> {
    let last = h.elements.len() - 1;
    if let Some(e) = h.elements[last].iter().position(|&v| v < 0.0) {
        return Err(SimError::ElementNegative(
            super::config::ELEMENTS[e].to_string(),
        ));
    }
    Ok(())
}
