//! Bindings: the paper's prior (Table 1) and its variants.

use super::convert::{as_f64, rt, rt_error, Opts, RhaiResult};
use crate::catalog::Table;
use crate::gce::PARAM_NAMES;
use crate::model::Prior;
use rhai::plugin::*;
#[allow(unused_imports)]
use rhai::{Array, Dynamic, Map, FLOAT, INT};

/// The prior configured by `paper_prior(#{…})` options.
pub fn prior_from_options(options: Map) -> RhaiResult<Prior> {
    let mut o = Opts::new(options, "paper_prior");
    let mut prior = Prior::paper();
    if let Some(d) = o.raw("box") {
        let k = match (d.as_bool(), as_f64(&d)) {
            (Ok(true), _) => Some(5.0),
            (Ok(false), _) => None,
            (_, Some(k)) if k > 0.0 && k.is_finite() => Some(k),
            _ => return Err(rt_error(format!("paper_prior: option 'box' must be true/false or a positive number of sigmas, not {d}"))),
        };
        if let Some(k) = k {
            prior = prior.uniform_box(k);
        }
    }
    if let Some((lo, hi)) = o.range("birth")? {
        if !(lo > 0.0 && lo < hi && hi <= 13.8) {
            return Err(rt_error(format!("paper_prior: option 'birth' must be [lo, hi] with 0 < lo < hi <= 13.8 Gyr, got [{lo}, {hi}]")));
        }
        prior = prior.birth_range(lo, hi);
    }
    if let Some(d) = o.raw("truncate_sfr") {
        let lo = match (d.as_bool(), as_f64(&d)) {
            (Ok(true), _) => Some(0.294),
            (Ok(false), _) => None,
            (_, Some(v)) if v.is_finite() => Some(v),
            _ => {
                return Err(rt_error(format!(
                    "paper_prior: option 'truncate_sfr' must be true/false or a number, not {d}"
                )))
            }
        };
        if let Some(lo) = lo {
            prior = prior.truncate_sfr_peak(lo);
        }
    }
    o.finish()?;
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

    /// A prior over the six CHEMPY parameters.
    pub type Prior = crate::model::Prior;

    /// The prior of the paper's Table 1: independent Gaussians N(−2.3, 0.3) for alpha_imf,
    /// N(−2.89, 0.3) for log10_n_ia, N(−0.3, 0.3) for log10_sfe, N(0.55, 0.1) for
    /// log10_sfr_peak, N(0.5, 0.1) for x_out, and birth_time ~ U(1, 13.8) Gyr.
    pub fn paper_prior() -> Prior {
        Prior::paper()
    }

    /// The paper's prior with options: `box` (true = the ±5σ uniform box used to train the
    /// emulator, or a number of σ), `birth: [lo, hi]` (Gyr; the NPE uses [2, 12.8]),
    /// `truncate_sfr` (true = log10_sfr_peak > 0.294, or a lower bound).
    /// ```rhai
    /// let training_box = paper_prior(#{ box: 5 });
    /// let npe_prior = paper_prior(#{ birth: [2.0, 12.8] });
    /// ```
    #[rhai_fn(name = "paper_prior", return_raw)]
    pub fn paper_prior_with(options: Map) -> RhaiResult<Prior> {
        prior_from_options(options)
    }

    /// `n` parameter sets drawn from the prior, as a table with the six parameter columns.
    /// The same seed gives the same table whatever the number of threads.
    #[rhai_fn(global, return_raw, pure)]
    pub fn sample(prior: &mut Prior, n: INT, seed: INT) -> RhaiResult<Table> {
        if n < 0 || seed < 0 {
            return Err(rt_error(format!(
                "sample needs n >= 0 and seed >= 0, got n = {n}, seed = {seed}"
            )));
        }
        Table::from_matrix(&PARAM_NAMES, &prior.sample(n as usize, seed as u64)).map_err(rt)
    }

    /// `n` parameter sets drawn with the default seed.
    #[rhai_fn(global, return_raw, pure, name = "sample")]
    pub fn sample_default(prior: &mut Prior, n: INT) -> RhaiResult<Table> {
        sample(prior, n, crate::rng::DEFAULT_SEED as INT)
    }

    /// Log density of each row of a table with the six parameter columns (−inf outside the
    /// support), as a Vector.
    #[rhai_fn(global, return_raw, pure)]
    pub fn log_prob(prior: &mut Prior, t: Table) -> RhaiResult<super::super::convert::Vector> {
        let m = t.matrix(&PARAM_NAMES).map_err(rt)?;
        let lp = m
            .rows()
            .into_iter()
            .map(|r| prior.log_prob(&r.to_vec()))
            .collect();
        Ok(super::super::convert::Vector::new(lp))
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
