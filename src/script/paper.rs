//! The `paper` module (`import "paper" as paper;`): the numbers of Buck et al. and of
//! Philcox & Rybizki (2019) that the paper's experiments compare against, read from the
//! library ([`crate::paper`]) rather than typed in again.

use super::convert::float_array;
use crate::gce::{ABUNDANCE_NAMES, PARAM_NAMES};
use crate::infer::catalog::table_input::CATALOG_VALUE_COLUMNS;
use crate::model::Prior;
use rhai::plugin::*;
#[allow(unused_imports)]
use rhai::{Array, Dynamic, Map, FLOAT};

fn strings(v: &[&str]) -> Array {
    v.iter().map(|s| Dynamic::from(s.to_string())).collect()
}

#[export_module]
pub mod paper_api {
    use super::*;

    /// Names of the six CHEMPY parameters, in galchem's order.
    pub fn params() -> Array {
        strings(&PARAM_NAMES)
    }

    /// Names of the eight abundances, in galchem's order ([Fe/H] and [X/Fe], dex).
    pub fn elements() -> Array {
        strings(&ABUNDANCE_NAMES)
    }

    /// The catalog column of each abundance in the bundled mock catalogs (`obs_` + name).
    pub fn catalog_columns() -> Array {
        strings(&CATALOG_VALUE_COLUMNS)
    }

    /// Table 1 of the paper: prior mean and standard deviation of each Gaussian parameter,
    /// `#{ alpha_imf: [-2.3, 0.3], … }`.
    pub fn prior_table() -> Map {
        let p = Prior::paper();
        p.describe()
            .into_iter()
            .filter_map(|(name, m)| {
                m.as_normal()
                    .map(|(mean, sd)| (name.into(), Dynamic::from_array(float_array(&[mean, sd]))))
            })
            .collect()
    }

    /// The true global parameters of the CHEMPY + TNG mock catalog: [alpha_imf, log10_n_ia].
    pub fn truth() -> Array {
        float_array(&crate::paper::TRUTH_CHEMPY_TNG)
    }

    /// The abstract's numbers (inverse-variance combination of 1000 stars): `#{ alpha_imf:
    /// [mean, sd], log10_n_ia: [mean, sd] }`.
    pub fn abstract_result() -> Map {
        let [a, n] = crate::paper::ABSTRACT_RESULT;
        let mut m = Map::new();
        m.insert(
            "alpha_imf".into(),
            Dynamic::from_array(float_array(&[a.mean, a.sd])),
        );
        m.insert(
            "log10_n_ia".into(),
            Dynamic::from_array(float_array(&[n.mean, n.sd])),
        );
        m
    }

    /// Philcox & Rybizki (2019) Table 3, HMC on the CHEMPY + TNG mock: per number of stars,
    /// [median, lower, upper] of alpha_imf and log10_n_ia (the `reference` option of
    /// `n_stars_figure`).
    pub fn hmc_chempy_tng() -> Map {
        reference_map(
            &crate::paper::HMC_CHEMPY_TNG,
            crate::paper::HMC_CHEMPY_TNG_NAME,
        )
    }

    /// Philcox & Rybizki (2019) Table 3, HMC with model error on the CHEMPY mock with the
    /// alternative yields, analysed with TNG yields (the layout of `hmc_chempy_tng`).
    pub fn hmc_alternative() -> Map {
        reference_map(
            &crate::paper::HMC_ALTERNATIVE,
            crate::paper::HMC_CHEMPY_TNG_NAME,
        )
    }

    /// Philcox & Rybizki (2019) Table 3, HMC on the IllustrisTNG galaxy (the layout of
    /// `hmc_chempy_tng`).
    pub fn hmc_tng_galaxy() -> Map {
        reference_map(
            &crate::paper::HMC_TNG_GALAXY,
            crate::paper::HMC_CHEMPY_TNG_NAME,
        )
    }

    /// The paper's speed and accuracy figures: emulator APE median (%), posterior APE median
    /// (%), HMC time for 200 stars (hours).
    pub fn reported() -> Map {
        let mut m = Map::new();
        m.insert(
            "emulator_ape_median".into(),
            Dynamic::from_float(crate::paper::EMULATOR_APE_MEDIAN),
        );
        m.insert(
            "posterior_ape_median".into(),
            Dynamic::from_float(crate::paper::POSTERIOR_APE_MEDIAN),
        );
        m.insert(
            "hmc_hours_200_stars".into(),
            Dynamic::from_float(crate::paper::HMC_HOURS_200_STARS),
        );
        m
    }
}

/// Reference points as the map of `n_stars_figure`'s `reference` option.
fn reference_map(pts: &[crate::paper::ReferencePoint], name: &str) -> Map {
    let rows = |f: &dyn Fn(&crate::paper::ReferencePoint) -> [f64; 3]| -> Dynamic {
        Dynamic::from_array(
            pts.iter()
                .map(|p| Dynamic::from_array(float_array(&f(p))))
                .collect(),
        )
    };
    let mut m = Map::new();
    m.insert("name".into(), Dynamic::from(name.to_string()));
    m.insert(
        "n".into(),
        Dynamic::from_array(pts.iter().map(|p| Dynamic::from_float(p.n_stars)).collect()),
    );
    m.insert("alpha_imf".into(), rows(&|p| p.alpha_imf));
    m.insert("log10_n_ia".into(), rows(&|p| p.log10_n_ia));
    m
}

/// The native `paper` module.
pub fn module() -> rhai::Module {
    rhai::exported_module!(paper_api)
}
