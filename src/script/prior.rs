//! Bindings: the paper's prior (Table 1) and its variants.

use super::convert::Vector;
use super::failure::{rt, rt_error, RhaiResult};
use super::options::{parse, BoolOrNumber, OptionDoc, ScriptOptions};
use crate::catalog::Table;
use crate::gce::{EMULATOR_BOX_SIGMAS, MAX_BIRTH_TIME, SFR_PEAK_MIN};
use crate::model::Prior;
use rhai::plugin::*;
#[allow(unused_imports)]
use rhai::{Array, Dynamic, Map, FLOAT, INT};

crate::script_options! {
    /// Options of `paper_prior`.
    pub struct PriorArgs for "paper_prior" {
        /// `true` for the ±5σ uniform box the emulator trains on, or a number of σ.
        uniform_box = "box": Option<BoolOrNumber>,
        /// `[lo, hi]`: the birth-time range in Gyr (the NPE uses [2, 12.8]).
        birth: Option<Vec<f64>> as "two numbers [low, high] (Gyr)",
        /// `true` for CHEMPY's constraint log10_sfr_peak > 0.294, or another lower bound.
        truncate_sfr: Option<BoolOrNumber>,
    }
}

/// The option tables of this module's functions.
pub fn option_docs() -> Vec<(&'static str, &'static [OptionDoc])> {
    vec![("paper_prior", PriorArgs::docs())]
}

/// The prior configured by `paper_prior(#{…})` options.
fn prior_from_options(options: Map) -> RhaiResult<Prior> {
    let a: PriorArgs = parse(options)?;
    let mut prior = Prior::paper();
    match a.uniform_box {
        None | Some(BoolOrNumber::Bool(false)) => {}
        Some(BoolOrNumber::Bool(true)) => prior = prior.uniform_box(EMULATOR_BOX_SIGMAS),
        Some(BoolOrNumber::Number(k)) if k > 0.0 && k.is_finite() => prior = prior.uniform_box(k),
        Some(BoolOrNumber::Number(k)) => {
            return Err(rt_error(format!(
            "paper_prior: option 'box' must be true/false or a positive number of sigmas, not {k}"
        )))
        }
    }
    if let Some(b) = a.birth {
        let ok = b.len() == 2 && b[0] > 0.0 && b[0] < b[1] && b[1] <= MAX_BIRTH_TIME;
        if !ok {
            return Err(rt_error(format!(
                "paper_prior: option 'birth' must be [lo, hi] with 0 < lo < hi <= 13.8 Gyr, got {b:?}"
            )));
        }
        prior = prior.birth_range(b[0], b[1]);
    }
    match a.truncate_sfr {
        None | Some(BoolOrNumber::Bool(false)) => {}
        Some(BoolOrNumber::Bool(true)) => prior = prior.truncate_sfr_peak(SFR_PEAK_MIN),
        Some(BoolOrNumber::Number(v)) if v.is_finite() => prior = prior.truncate_sfr_peak(v),
        Some(BoolOrNumber::Number(v)) => {
            return Err(rt_error(format!(
                "paper_prior: option 'truncate_sfr' must be true/false or a number, not {v}"
            )))
        }
    }
    Ok(prior)
}

fn describe(p: &Prior) -> String {
    let parts: Vec<String> = p
        .describe()
        .iter()
        .map(|(name, m)| {
            let args: Vec<String> = m
                .parameters()
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            format!("  {name}: {}({})", m.kind(), args.join(", "))
        })
        .collect();
    format!("Prior\n{}", parts.join("\n"))
}

#[export_module]
pub mod prior_api {
    use super::*;

    /// A prior over the parameters of a model (independent marginals).
    pub type Prior = crate::model::Prior;

    /// The prior of the paper's Table 1: independent Gaussians N(−2.3, 0.3) for alpha_imf,
    /// N(−2.89, 0.3) for log10_n_ia, N(−0.3, 0.3) for log10_sfe, N(0.55, 0.1) for
    /// log10_sfr_peak, N(0.5, 0.1) for x_out, and birth_time ~ U(1, 13.8) Gyr.
    pub fn paper_prior() -> Prior {
        Prior::paper()
    }

    /// The paper's prior with options.
    /// ```rhai
    /// let training_box = paper_prior(#{ box: 5 });
    /// let npe_prior = paper_prior(#{ birth: [2.0, 12.8] });
    /// ```
    #[rhai_fn(name = "paper_prior", return_raw)]
    pub fn paper_prior_with(options: Map) -> RhaiResult<Prior> {
        prior_from_options(options)
    }

    /// `n` parameter sets drawn from the prior, as a table with one column per parameter.
    /// The same seed gives the same table whatever the number of threads.
    #[rhai_fn(global, return_raw, pure)]
    pub fn sample(prior: &mut Prior, n: INT, seed: INT) -> RhaiResult<Table> {
        if n < 0 || seed < 0 {
            return Err(rt_error(format!(
                "sample needs n >= 0 and seed >= 0, got n = {n}, seed = {seed}"
            )));
        }
        let names = prior.space().names();
        Table::from_matrix(&names, &prior.sample(n as usize, seed as u64)).map_err(rt)
    }

    /// `n` parameter sets drawn with the default seed.
    #[rhai_fn(global, return_raw, pure, name = "sample")]
    pub fn sample_default(prior: &mut Prior, n: INT) -> RhaiResult<Table> {
        sample(prior, n, crate::rng::DEFAULT_SEED as INT)
    }

    /// Log density of each row of a table with the prior's parameter columns (−inf outside
    /// the support), as a Vector.
    #[rhai_fn(global, return_raw, pure)]
    pub fn log_prob(prior: &mut Prior, t: Table) -> RhaiResult<Vector> {
        let m = t.matrix(&prior.space().names()).map_err(rt)?;
        let lp = m
            .rows()
            .into_iter()
            .map(|r| prior.log_prob(&r.to_vec()))
            .collect();
        Ok(Vector::new(lp))
    }

    /// The marginals as a map: parameter → #{ kind, and its parameters }.
    #[rhai_fn(global, pure)]
    pub fn marginals(prior: &mut Prior) -> Map {
        prior
            .describe()
            .into_iter()
            .map(|(name, m)| {
                let mut entry = Map::new();
                entry.insert("kind".into(), Dynamic::from(m.kind().to_string()));
                for (k, v) in m.parameters() {
                    entry.insert(k.into(), Dynamic::from_float(v));
                }
                (name.into(), Dynamic::from_map(entry))
            })
            .collect()
    }

    /// A description of the marginals.
    #[rhai_fn(global, pure, name = "to_string")]
    pub fn to_string(prior: &mut Prior) -> String {
        describe(prior)
    }

    /// A description of the marginals.
    #[rhai_fn(global, pure, name = "to_debug")]
    pub fn to_debug(prior: &mut Prior) -> String {
        describe(prior)
    }
}
