//! Bindings: Bayesian model averaging of catalog inferences over simulators
//! (`model_average`). Translation only: the science is in `crate::infer::catalog::average`.

use super::convert::float_array;
use super::failure::{rt, rt_error, RhaiResult};
use crate::infer::catalog::average::average_models;
use crate::infer::CatalogInference;
use rhai::plugin::*;
#[allow(unused_imports)]
use rhai::{Array, Dynamic, Map, FLOAT, INT};

#[export_module]
pub mod average_api {
    /// Bayesian model averaging over simulators (yield sets, model settings), each a
    /// discrete global parameter with equal prior odds: `results` maps a candidate's name to
    /// the inference of the same catalog rows with a posterior trained on that candidate and
    /// `refine` = its simulator (whose importance weights estimate every star's evidence).
    /// Returns `#{ names, log_evidence, weights, best, mean, cov, sd, n_stars,
    /// alpha_imf_mean, alpha_imf_sd, log10_n_ia_mean, log10_n_ia_sd }`: p(m | D) per
    /// candidate and the mean and covariance of the averaged posterior (book: "Many stars").
    /// ```rhai
    /// let tng = infer(post_tng, cat, #{ refine: chempy("tng") });
    /// let alt = infer(post_alt, cat, #{ refine: chempy("alternative") });
    /// let avg = model_average(#{ tng: tng, alternative: alt });
    /// print(`${avg.best}: alpha_IMF ${avg.alpha_imf_mean} ± ${avg.alpha_imf_sd}`);
    /// ```
    #[rhai_fn(return_raw)]
    pub fn model_average(results: Map) -> RhaiResult<Map> {
        let mut items: Vec<(String, CatalogInference)> = Vec::with_capacity(results.len());
        for (name, r) in results {
            let inference = r.try_cast::<CatalogInference>().ok_or_else(|| {
                rt_error(format!(
                    "model_average: '{name}' is not an Inference (the result of infer(...))"
                ))
            })?;
            items.push((name.to_string(), inference));
        }
        let refs: Vec<(&str, &CatalogInference)> =
            items.iter().map(|(n, r)| (n.as_str(), r)).collect();
        let a = average_models(&refs).map_err(rt)?;
        let mut m = Map::new();
        let names: Array = a.names.iter().map(|n| Dynamic::from(n.clone())).collect();
        m.insert("names".into(), Dynamic::from_array(names));
        m.insert(
            "log_evidence".into(),
            Dynamic::from_array(float_array(&a.log_evidence)),
        );
        m.insert(
            "weights".into(),
            Dynamic::from_array(float_array(&a.weights)),
        );
        m.insert("best".into(), Dynamic::from(a.names[a.best].clone()));
        m.insert("mean".into(), Dynamic::from_array(float_array(&a.mean)));
        let cov: Array = a
            .cov
            .iter()
            .map(|r| Dynamic::from_array(float_array(r)))
            .collect();
        m.insert("cov".into(), Dynamic::from_array(cov));
        m.insert("sd".into(), Dynamic::from_array(float_array(&a.sd)));
        m.insert("n_stars".into(), Dynamic::from(a.n_stars as INT));
        for (j, key) in ["alpha_imf", "log10_n_ia"].iter().enumerate() {
            if let (Some(mu), Some(s)) = (a.mean.get(j), a.sd.get(j)) {
                m.insert(format!("{key}_mean").into(), Dynamic::from_float(*mu));
                m.insert(format!("{key}_sd").into(), Dynamic::from_float(*s));
            }
        }
        Ok(m)
    }
}
