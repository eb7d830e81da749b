//! CHEMPY as an inference model: its parameter space (α_IMF and log10 N_Ia global, x_out
//! and the birth time bounded), the paper's prior over it, and the [`Simulator`] trait.
//!
//! The paper's prior (Buck et al., Table 1):
//!
//! | parameter | paper prior |
//! |---|---|
//! | `alpha_imf` | N(−2.3, 0.3) |
//! | `log10_n_ia` | N(−2.89, 0.3) |
//! | `log10_sfe` | N(−0.3, 0.3) |
//! | `log10_sfr_peak` | N(0.55, 0.1) |
//! | `x_out` | N(0.5, 0.1) |
//! | `birth_time` | U(1, 13.8) Gyr |
//!
//! (second number = standard deviation). The emulator trains on the ±[`EMULATOR_BOX_SIGMAS`]
//! σ uniform box ([`Prior::emulator_box`]; `x_out` is cut to [0, 1]), the NPE on birth times
//! in [`NPE_BIRTH_RANGE`] ([`Prior::npe`]). The Gaussian on `x_out` extends beyond [0, 1]
//! with probability 6e-7; such draws are rejected by the simulator (`invalid:x_out`).

use super::config::MAX_BIRTH_TIME;
use super::params::{domain, Params, GLOBAL_PARAM_NAMES, PARAM_NAMES};
use super::Chempy;
use super::ABUNDANCE_NAMES;
use crate::error::OptionError;
use crate::model::{
    Marginal, Param, ParamSpace, Prior, RunStatus, Simulated, Simulator, SimulatorError,
};
use ndarray::{Array2, ArrayView2};
use std::sync::OnceLock;

/// Half-width in prior standard deviations of the uniform box the emulator is trained on
/// (spec A.5).
pub const EMULATOR_BOX_SIGMAS: f64 = 5.0;

/// The birth-time range (Gyr) of the NPE's training prior (spec A.0).
pub const NPE_BIRTH_RANGE: (f64, f64) = (2.0, 12.8);

impl ParamSpace {
    /// The six CHEMPY parameters ([`PARAM_NAMES`]); α_IMF and log10 N_Ia are global,
    /// `x_out` is bounded to [0, 1] and the birth time to (0, 13.8] Gyr.
    pub fn chempy() -> &'static ParamSpace {
        static SPACE: OnceLock<ParamSpace> = OnceLock::new();
        SPACE.get_or_init(|| {
            let params = PARAM_NAMES
                .iter()
                .map(|n| Param {
                    name: n.to_string(),
                    global: GLOBAL_PARAM_NAMES.contains(n),
                    bounds: domain(n),
                })
                .collect();
            ParamSpace::new(params).expect("the CHEMPY names are distinct")
        })
    }

    /// A space of `names` whose global parameters and bounds are CHEMPY's where the names
    /// are CHEMPY's (for models with CHEMPY's inputs, e.g. an emulator).
    pub fn with_chempy_names<S: AsRef<str>>(names: &[S]) -> Result<ParamSpace, OptionError> {
        ParamSpace::new(
            names
                .iter()
                .map(|n| {
                    let n = n.as_ref();
                    Param {
                        name: n.to_string(),
                        global: GLOBAL_PARAM_NAMES.contains(&n),
                        bounds: domain(n),
                    }
                })
                .collect(),
        )
    }
}

impl Prior {
    /// The prior of the paper's Table 1.
    pub fn paper() -> Self {
        let n = |mean, std| Marginal::Normal { mean, std };
        let marginals = vec![
            n(-2.3, 0.3),
            n(-2.89, 0.3),
            n(-0.3, 0.3),
            n(0.55, 0.1),
            n(0.5, 0.1),
            Marginal::Uniform {
                low: 1.0,
                high: MAX_BIRTH_TIME,
            },
        ];
        Prior::new(ParamSpace::chempy().clone(), marginals).expect("the paper's prior is proper")
    }

    /// The NPE's training prior: the paper's with birth times in [`NPE_BIRTH_RANGE`].
    pub fn npe() -> Self {
        Self::paper().birth_range(NPE_BIRTH_RANGE.0, NPE_BIRTH_RANGE.1)
    }

    /// The emulator's training prior: the ±[`EMULATOR_BOX_SIGMAS`] σ uniform box.
    pub fn emulator_box() -> Self {
        Self::paper().uniform_box(EMULATOR_BOX_SIGMAS)
    }
}

/// The prior of galchem's first posterior files, stored as the configuration of the
/// paper's prior: `{means, stds, uniform_box, birth_time, sfr_peak_min}`.
pub fn legacy_prior(value: &serde_json::Value) -> Result<Prior, String> {
    #[derive(serde::Deserialize)]
    struct PaperConfig {
        means: [f64; 5],
        stds: [f64; 5],
        uniform_box: Option<f64>,
        birth_time: (f64, f64),
        sfr_peak_min: Option<f64>,
    }
    let c: PaperConfig =
        serde_json::from_value(value.clone()).map_err(|e| format!("prior: {e}"))?;
    let mut marginals: Vec<Marginal> = c
        .means
        .iter()
        .zip(&c.stds)
        .map(|(&mean, &std)| Marginal::Normal { mean, std })
        .collect();
    marginals.push(Marginal::Uniform {
        low: c.birth_time.0,
        high: c.birth_time.1,
    });
    let mut p = Prior::new(ParamSpace::chempy().clone(), marginals).map_err(|e| e.to_string())?;
    if let Some(k) = c.uniform_box {
        p = p.uniform_box(k);
    }
    if let Some(lo) = c.sfr_peak_min {
        p = p.truncate_sfr_peak(lo);
    }
    Ok(p)
}

/// The output names of CHEMPY as owned strings.
pub fn abundance_names() -> &'static [String] {
    static NAMES: OnceLock<Vec<String>> = OnceLock::new();
    NAMES.get_or_init(|| ABUNDANCE_NAMES.iter().map(|s| s.to_string()).collect())
}

impl Simulator for Chempy {
    /// `chempy:<yield set>`, followed by the changed model settings in brackets, e.g.
    /// `chempy:tng(sfr_factor_for_cosmic_accretion=0.000001)`.
    fn describe(&self) -> String {
        format!("chempy:{}", self.label())
    }

    fn space(&self) -> &ParamSpace {
        ParamSpace::chempy()
    }

    fn output_names(&self) -> &[String] {
        abundance_names()
    }

    fn simulate(&self, theta: ArrayView2<f64>) -> Result<Simulated, SimulatorError> {
        crate::model::simulator::check_inputs(self, &theta)?;
        let params: Vec<Params> = theta
            .rows()
            .into_iter()
            .map(|r| Params::from_array([r[0], r[1], r[2], r[3], r[4], r[5]]))
            .collect();
        let results = self.simulate_batch(&params)?;
        let mut x = Array2::from_elem((params.len(), ABUNDANCE_NAMES.len()), f64::NAN);
        let mut status = Vec::with_capacity(params.len());
        for (i, r) in results.iter().enumerate() {
            match r {
                Ok(v) => {
                    x.row_mut(i).iter_mut().zip(v).for_each(|(d, s)| *d = *s);
                    status.push(RunStatus::Ok);
                }
                Err(e) => status.push(RunStatus::failed(e.status(), e.to_string())),
            }
        }
        Ok(Simulated { x, status })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Marginal;
    use ndarray::Array2;

    fn column_moments(a: &Array2<f64>, j: usize) -> (f64, f64, f64, f64) {
        let c: Vec<f64> = a.column(j).to_vec();
        let n = c.len() as f64;
        let m = c.iter().sum::<f64>() / n;
        let v = c.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1.0);
        let lo = c.iter().cloned().fold(f64::INFINITY, f64::min);
        let hi = c.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        (m, v.sqrt(), lo, hi)
    }

    #[test]
    fn paper_prior_moments() {
        let p = Prior::paper();
        let s = p.sample(40_000, 7);
        assert_eq!(s.dim(), (40_000, 6));
        for j in 0..5 {
            let (mean, std) = p.marginals()[j].as_normal().unwrap();
            let (m, sd, _, _) = column_moments(&s, j);
            let se = std / 200.0;
            assert!((m - mean).abs() < 4.0 * se, "{j}: mean {m}");
            assert!((sd / std - 1.0).abs() < 0.02, "{j}: std {sd}");
        }
        let (m, sd, lo, hi) = column_moments(&s, 5);
        assert!((m - 7.4).abs() < 0.05 && (sd - 12.8 / 12f64.sqrt()).abs() < 0.05);
        assert!(lo >= 1.0 && hi <= 13.8);
    }

    #[test]
    fn box_and_birth_range_are_respected() {
        let p = Prior::paper().uniform_box(5.0).birth_range(2.0, 12.8);
        let s = p.sample(20_000, 1);
        let m = p.marginals();
        assert_eq!(
            m[4],
            Marginal::Uniform {
                low: 0.0,
                high: 1.0
            }
        );
        let Marginal::Uniform { low, high } = m[0] else {
            panic!()
        };
        assert!((low + 3.8).abs() < 1e-12 && (high + 0.8).abs() < 1e-12);
        for (j, mj) in m.iter().enumerate() {
            let (_, _, lo, hi) = column_moments(&s, j);
            let Marginal::Uniform { low, high } = *mj else {
                panic!()
            };
            assert!(
                lo >= low && hi <= high && hi - lo > 0.99 * (high - low),
                "{j}"
            );
        }
        assert!(p.in_support(&[-2.0, -2.0, 0.0, 0.5, 0.5, 5.0]));
        assert!(!p.in_support(&[-4.0, -2.0, 0.0, 0.5, 0.5, 5.0]));
        assert!(!p.in_support(&[-2.0, -2.0, 0.0, 0.5, 0.5, 13.0]));
        assert!(!p.in_support(&[-2.0, -2.0, 0.0, 0.5, 0.5]));
        let lp = p.log_prob(&[-2.0, -2.0, 0.0, 0.5, 0.5, 5.0]);
        let expected = -(3.0f64.ln() * 3.0 + 1.0f64.ln() * 2.0 + 10.8f64.ln());
        assert!((lp - expected).abs() < 1e-12, "{lp} {expected}");
        assert_eq!(
            p.log_prob(&[-4.0, -2.0, 0.0, 0.5, 0.5, 5.0]),
            f64::NEG_INFINITY
        );
    }

    #[test]
    fn truncated_sfr_peak() {
        let p = Prior::paper().truncate_sfr_peak(0.294);
        let s = p.sample(50_000, 3);
        let (m, sd, lo, _) = column_moments(&s, 3);
        assert!(lo > 0.294);
        // moments of N(0.55, 0.1) truncated below at 0.294 (a = -2.56)
        let a: f64 = -2.56;
        let phi = (-0.5 * a * a).exp() / (2.0 * std::f64::consts::PI).sqrt();
        let z = 1.0 - crate::stats::special::normal_cdf(a);
        let mean = 0.55 + 0.1 * phi / z;
        let var = 0.01 * (1.0 + a * phi / z - (phi / z).powi(2));
        assert!((m - mean).abs() < 0.002, "{m} {mean}");
        assert!((sd - var.sqrt()).abs() < 0.002, "{sd}");
        // the density integrates to 1 on the support
        let mg = p.marginals()[3];
        let (h, mut total) = (1e-4, 0.0);
        let mut x = 0.294 + h / 2.0;
        while x < 1.5 {
            total += mg.log_prob(x).exp() * h;
            x += h;
        }
        assert!((total - 1.0).abs() < 1e-6, "{total}");
        assert_eq!(mg.log_prob(0.29), f64::NEG_INFINITY);
        let boxed = Marginal::Uniform {
            low: 0.294,
            high: 0.55 + 0.5,
        };
        // the builders commute
        assert_eq!(
            Prior::paper()
                .uniform_box(5.0)
                .truncate_sfr_peak(0.294)
                .marginals()[3],
            boxed
        );
        assert_eq!(
            Prior::paper()
                .truncate_sfr_peak(0.294)
                .uniform_box(5.0)
                .marginals()[3],
            boxed
        );
    }

    #[test]
    fn sampling_is_reproducible_and_thread_independent() {
        let p = Prior::paper().truncate_sfr_peak(0.294);
        let run = |threads| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| p.sample(10_000, 42))
        };
        assert_eq!(run(1), run(2));
        assert_ne!(p.sample(100, 42), p.sample(100, 43));
    }

    #[test]
    fn serialises_its_marginals_and_reads_the_first_layout_of_posterior_files() {
        let p = Prior::paper().uniform_box(5.0).truncate_sfr_peak(0.294);
        let s = serde_json::to_string(&p).unwrap();
        let q: Prior = serde_json::from_str(&s).unwrap();
        assert_eq!(p, q);
        let t = Prior::paper().truncate_sfr_peak(0.294);
        let back: Prior = serde_json::from_str(&serde_json::to_string(&t).unwrap()).unwrap();
        assert_eq!(back, t, "an infinite upper bound survives JSON");
        let d = p.describe();
        assert_eq!(d[5].0, "birth_time");
        assert_eq!(d[3].1.kind(), "uniform");
        let legacy = r#"{"means":[-2.3,-2.89,-0.3,0.55,0.5],"stds":[0.3,0.3,0.3,0.1,0.1],
            "uniform_box":null,"birth_time":[2.0,12.8],"sfr_peak_min":null}"#;
        let old = legacy_prior(&serde_json::from_str(legacy).unwrap()).unwrap();
        assert_eq!(old, Prior::npe());
    }

    #[test]
    fn marginal_priors_and_gradients() {
        let p = Prior::paper();
        let g = p.marginal(&p.space().global_indices()).unwrap();
        assert_eq!(g.space().names(), vec!["alpha_imf", "log10_n_ia"]);
        let (mean, sd) = p.global_gaussian().unwrap();
        assert_eq!((mean, sd), (vec![-2.3, -2.89], vec![0.3, 0.3]));
        let theta = [-2.0, -3.0, 0.1, 0.6, 0.4, 5.0];
        let mut grad = [0.0; 6];
        p.add_grad_log_prob(&theta, &mut grad);
        for j in 0..6 {
            let h = 1e-6;
            let (mut a, mut b) = (theta, theta);
            a[j] += h;
            b[j] -= h;
            let fd = (p.log_prob(&a) - p.log_prob(&b)) / (2.0 * h);
            assert!((fd - grad[j]).abs() < 1e-6, "{j}: {fd} {}", grad[j]);
        }
        assert!(Prior::new(ParamSpace::chempy().clone(), vec![]).is_err());
        assert_eq!(ParamSpace::chempy().global_indices(), vec![0, 1]);
        assert_eq!(ParamSpace::chempy().params()[4].bounds, Some((0.0, 1.0)));
        assert!(Prior::paper().uniform_box(5.0).global_gaussian().is_none());
    }
}
