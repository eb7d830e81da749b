//! The full SSP table with every column CHEMPY keeps (used for diagnostics and the stage
//! tests against `reference/intermediates_*/ssp_feedback_*.csv`).

use super::massive::sn2_events;
use super::metallicity::select;
use super::sn1a::{remnant_ratio, DelayTimes};
use super::{
    add_sn1a_yields, agb, combine, combine_scalar, dying_masses, massive, ProcessBuf, SspContext,
    ZERO_Z_CC_AGB, ZERO_Z_SN1A,
};
use crate::gce::config::{H, N_EL};

/// Feedback of one process (CHEMPY's `sn2_table`, `agb_table`, `sn1a_table`, `bh_table`;
/// element columns are net yields).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProcessTable {
    /// Remnant mass formed per step (Msun per Msun of SSP).
    pub mass_in_remnants: Vec<f64>,
    /// Events per step per Msun of SSP.
    pub number_of_events: Vec<f64>,
    /// Net element yields per step (Msun per Msun of SSP).
    pub elements: Vec<[f64; N_EL]>,
}

impl ProcessTable {
    fn zeros(m: usize) -> Self {
        Self {
            mass_in_remnants: vec![0.0; m],
            number_of_events: vec![0.0; m],
            elements: vec![[0.0; N_EL]; m],
        }
    }
}

/// The SSP table (CHEMPY `SSP.table`) plus the per-process tables. Rows are the time steps
/// since birth; masses in Msun per Msun of SSP, event numbers per Msun of SSP.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SspTable {
    /// Time since birth (Gyr).
    pub time: Vec<f64>,
    /// Mass of the stars dying at that age (Msun).
    pub inverse_imf: Vec<f64>,
    /// Mass of main-sequence stars dying in the step.
    pub mass_of_ms_stars_dying: Vec<f64>,
    /// Mass still on the main sequence.
    pub mass_in_ms_stars: Vec<f64>,
    /// Remnant mass formed in the step.
    pub mass_in_remnants: Vec<f64>,
    /// CC-SN events in the step.
    pub sn2: Vec<f64>,
    /// SN Ia events in the step.
    pub sn1a: Vec<f64>,
    /// AGB (planetary nebula) events in the step.
    pub pn: Vec<f64>,
    /// Black-hole formation events in the step.
    pub bh: Vec<f64>,
    /// Hydrogen accreted onto white dwarfs that explode as SN Ia in the step.
    pub hydrogen_accreted: Vec<f64>,
    /// Element masses returned in the step (net yields + unprocessed winds).
    pub elements: Vec<[f64; N_EL]>,
    /// CC-SN process table.
    pub sn2_process: ProcessTable,
    /// AGB process table.
    pub agb_process: ProcessTable,
    /// SN Ia process table.
    pub sn1a_process: ProcessTable,
    /// Black-hole process table (empty mass range: all zero).
    pub bh_process: ProcessTable,
}

impl SspTable {
    /// The full table of an SSP with metallicity `z` and birth composition `fractions` on
    /// the time grid `time` (Gyr since birth). `ctx.imf` should be an exact IMF (event
    /// numbers need `dn`).
    pub fn compute(ctx: &SspContext, z: f64, fractions: &[f64; N_EL], time: &[f64]) -> Self {
        let m = time.len();
        let log10_time: Vec<f64> = time.iter().map(|t| t.log10()).collect();
        let mut t = Self::zeros(time);
        let mut work = super::SspWork::default();
        dying_masses(ctx, z, time, &log10_time, m, true, &mut work);
        t.inverse_imf = work.inverse.clone();
        let idx = &work.inv_idx;
        let (grid, imf) = (ctx.grid, ctx.imf);
        let mut cum = 0.0;
        for k in 1..m {
            let d = imf.mass_fraction(grid, t.inverse_imf[k], t.inverse_imf[k - 1]);
            t.mass_of_ms_stars_dying[k] = d;
        }
        for k in 0..m {
            cum += t.mass_of_ms_stars_dying[k];
            t.mass_in_ms_stars[k] = 1.0 - cum;
        }
        let mut bufs: [ProcessBuf; 2] = Default::default();
        bufs.iter_mut().for_each(|b| b.detail = true);
        // CC-SN
        sn2_events(grid, imf, &t.inverse_imf, &mut t.sn2);
        t.sn2_process.number_of_events.copy_from_slice(&t.sn2);
        let sel = select(ctx.yields.sn2.metallicities(), z, ZERO_Z_CC_AGB);
        for s in 0..sel.count {
            let bins = &ctx.yields.sn2.tables[sel.tables[s]];
            massive::sn2_rows(imf, bins, &t.inverse_imf, idx, m, fractions, &mut bufs[s]);
        }
        t.add_process(&bufs, &sel, 0);
        // AGB
        agb::pn_events(grid, imf, &t.inverse_imf, &mut t.pn);
        t.agb_process.number_of_events.copy_from_slice(&t.pn);
        let sel = select(ctx.yields.agb.metallicities(), z, ZERO_Z_CC_AGB);
        for s in 0..sel.count {
            let bins = &ctx.yields.agb.tables[sel.tables[s]];
            agb::agb_rows(imf, bins, &t.inverse_imf, idx, m, fractions, &mut bufs[s]);
        }
        t.add_process(&bufs, &sel, 1);
        t.add_sn1a(ctx, z, time);
        // Black holes: the mass range [100, 100) Msun holds no grid mass, so the BH feedback
        // (25 % of the progenitor mass to remnants, the rest returned unprocessed) is zero.
        t
    }

    fn zeros(time: &[f64]) -> Self {
        let m = time.len();
        let z = vec![0.0; m];
        Self {
            time: time.to_vec(),
            inverse_imf: Vec::with_capacity(m),
            mass_of_ms_stars_dying: z.clone(),
            mass_in_ms_stars: z.clone(),
            mass_in_remnants: z.clone(),
            sn2: z.clone(),
            sn1a: z.clone(),
            pn: z.clone(),
            bh: z.clone(),
            hydrogen_accreted: z,
            elements: vec![[0.0; N_EL]; m],
            sn2_process: ProcessTable::zeros(m),
            agb_process: ProcessTable::zeros(m),
            sn1a_process: ProcessTable::zeros(m),
            bh_process: ProcessTable::zeros(m),
        }
    }

    fn add_process(&mut self, bufs: &[ProcessBuf; 2], sel: &super::Selection, which: usize) {
        let proc = if which == 0 {
            &mut self.sn2_process
        } else {
            &mut self.agb_process
        };
        combine(&mut self.elements, bufs, sel, |b| &b.total);
        combine(&mut proc.elements, bufs, sel, |b| &b.net);
        combine_scalar(&mut self.mass_in_remnants, bufs, sel);
        combine_scalar(&mut proc.mass_in_remnants, bufs, sel);
    }

    fn add_sn1a(&mut self, ctx: &SspContext, z: f64, time: &[f64]) {
        let m = time.len();
        let mut dtd = DelayTimes::default();
        dtd.reset(time);
        let norm = dtd.normalisation(time, m);
        let y = &ctx.yields.sn1a;
        let ratio = remnant_ratio(y.mass);
        let sel = select(&y.metallicities, z, ZERO_Z_SN1A);
        for k in 0..m {
            let number = dtd.rate(k) / norm * ctx.n_ia;
            let fm = number * y.mass;
            self.mass_in_remnants[k] -= fm * ratio;
            self.sn1a_process.mass_in_remnants[k] -= fm * ratio;
            self.hydrogen_accreted[k] = fm * (1.0 - ratio);
            self.elements[k][H] -= fm * (1.0 - ratio);
            self.sn1a[k] = number;
            self.sn1a_process.number_of_events[k] = number;
            add_sn1a_yields(&mut self.elements[k], fm, y, &sel);
            add_sn1a_yields(&mut self.sn1a_process.elements[k], fm, y, &sel);
        }
    }
}
