//! The calibration diagnostics on the closed-form linear-Gaussian posterior: the exact
//! posterior passes every diagnostic, over- and under-dispersed ones fail the right way,
//! runs are shardable and independent of the thread count, and bad input gets clear errors.

use galchem::calib::{
    coverage, run, sbc, tarp, CalibError, Calibration, CoverageOptions, RunOptions, SbcOptions,
    TarpOptions,
};
use galchem::model::{
    GaussianPosterior, LinearGaussian, Marginal, ModelError, NoiseModel, ParamSpace, Posterior,
    Prior,
};
use galchem::stats::Draws;
use galchem::ErrorKind;
use galchem::Kind;

fn model() -> LinearGaussian {
    let space = ParamSpace::from_names(&["g1", "g2", "l"], &["g1", "g2"]).unwrap();
    let normal = |mean, std| Marginal::Normal { mean, std };
    let prior = Prior::new(
        space,
        vec![normal(0.5, 1.0), normal(-1.0, 2.0), normal(0.0, 0.5)],
    )
    .unwrap();
    let a = ndarray::array![
        [1.0, 0.5, 0.0],
        [0.0, 2.0, 1.0],
        [1.0, -1.0, 0.5],
        [0.3, 0.0, 2.0]
    ];
    LinearGaussian::new(
        prior,
        a,
        vec![0.1, 0.0, -0.2, 0.3],
        vec![0.3, 0.5, 0.4, 0.6],
    )
    .unwrap()
}

fn opts(n: usize, samples: usize) -> RunOptions {
    RunOptions {
        n,
        samples,
        seed: 11,
        noise: Some(model().noise().clone()),
        ..RunOptions::default()
    }
}

fn calibrate(f: f64, n: usize) -> Calibration {
    let m = model();
    let post = m.posterior().with_dispersion(f);
    run(&post, &m, &opts(n, 200)).unwrap()
}

/// Counts in the outer 20 % of the rank range minus the expected count there.
fn edge_excess(cal: &Calibration, j: usize) -> f64 {
    let r = sbc(
        cal,
        &SbcOptions {
            bins: Some(10),
            ..Default::default()
        },
    )
    .unwrap();
    let c = &r.counts[j];
    let edges = (c[0] + c[9]) as f64;
    edges - 0.2 * r.n as f64
}

#[test]
fn the_exact_posterior_passes_every_diagnostic() {
    let cal = calibrate(1.0, 600);
    assert_eq!(cal.n_usable(), 600);
    let s = sbc(&cal, &SbcOptions::default()).unwrap();
    for j in 0..3 {
        assert!(s.ks_pvalues[j] > 1e-3, "KS {:?}", s.ks_pvalues);
        assert!(s.chi2_pvalues[j] > 1e-3, "χ² {:?}", s.chi2_pvalues);
        assert!(s.dap_pvalues[j] > 1e-3, "DAP {:?}", s.dap_pvalues);
        // the ECDF difference stays inside its simultaneous band
        let inside = s.ecdf.diff[j]
            .iter()
            .zip(s.ecdf.lower.iter().zip(&s.ecdf.upper))
            .all(|(d, (lo, hi))| d >= lo && d <= hi);
        assert!(inside, "ECDF of parameter {j} leaves its band");
    }
    let t = tarp(&cal, &TarpOptions::default()).unwrap();
    assert!(
        t.atc.abs() < 0.03 && t.ks_pvalue > 1e-3,
        "ATC {} KS {}",
        t.atc,
        t.ks_pvalue
    );
    assert_eq!(t.boot_mean.len(), 31);
    let c = coverage(&cal, &CoverageOptions::default()).unwrap();
    assert_eq!(c.joint_method, "log_prob");
    for name in ["g1", "g2", "l", "joint", "joint_global"] {
        for level in [0.68, 0.95] {
            let v = c.at(name, level).unwrap();
            let se = (level * (1.0 - level) / 600.0f64).sqrt();
            assert!((v - level).abs() < 4.0 * se, "{name} at {level}: {v}");
        }
    }
}

#[test]
fn over_and_under_dispersed_posteriors_fail_the_right_way() {
    let wide = calibrate(1.6, 400);
    let narrow = calibrate(0.6, 400);
    let cw = coverage(&wide, &CoverageOptions::default()).unwrap();
    let cn = coverage(&narrow, &CoverageOptions::default()).unwrap();
    for j in 0..3 {
        // ∩: too few ranks at the edges; ∪: too many
        assert!(
            edge_excess(&wide, j) < -40.0,
            "wide {j}: {}",
            edge_excess(&wide, j)
        );
        assert!(
            edge_excess(&narrow, j) > 40.0,
            "narrow {j}: {}",
            edge_excess(&narrow, j)
        );
        // coverage above / below the diagonal at every level from 0.2 to 0.9
        for (i, &g) in cw
            .levels
            .iter()
            .enumerate()
            .filter(|(_, g)| **g >= 0.2 && **g <= 0.9)
        {
            assert!(
                cw.marginal[j][i] > g + 0.03,
                "wide {j} at {g}: {}",
                cw.marginal[j][i]
            );
            assert!(
                cn.marginal[j][i] < g - 0.03,
                "narrow {j} at {g}: {}",
                cn.marginal[j][i]
            );
        }
    }
    assert!(cw.at("joint", 0.68).unwrap() > 0.8 && cn.at("joint", 0.68).unwrap() < 0.5);
    let (sw, sn) = (
        sbc(&wide, &SbcOptions::default()).unwrap(),
        sbc(&narrow, &SbcOptions::default()).unwrap(),
    );
    assert!(sw
        .ks_pvalues
        .iter()
        .chain(&sn.ks_pvalues)
        .all(|p| *p < 1e-3));
    let (tw, tn) = (
        tarp(&wide, &TarpOptions::default()).unwrap(),
        tarp(&narrow, &TarpOptions::default()).unwrap(),
    );
    assert!(
        tw.atc > 0.02 && tn.atc < -0.02,
        "ATC wide {} narrow {}",
        tw.atc,
        tn.atc
    );
}

#[test]
fn shards_and_thread_counts_give_the_same_records() {
    let m = model();
    let post = m.posterior();
    let whole = run(&post, &m, &opts(60, 50)).unwrap();
    let a = run(
        &post,
        &m,
        &RunOptions {
            range: Some(0..25),
            ..opts(60, 50)
        },
    )
    .unwrap();
    let b = run(
        &post,
        &m,
        &RunOptions {
            range: Some(25..60),
            ..opts(60, 50)
        },
    )
    .unwrap();
    let merged = b.merge(a).unwrap();
    assert_eq!(merged.records, whole.records);
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let single = one.install(|| run(&post, &m, &opts(60, 50)).unwrap());
    assert_eq!(single.records, whole.records);
    let dup = run(
        &post,
        &m,
        &RunOptions {
            range: Some(20..30),
            ..opts(60, 50)
        },
    )
    .unwrap();
    assert!(whole.clone().merge(dup).is_err());
}

/// A posterior whose draws are NaN.
struct Broken(GaussianPosterior);

impl Posterior for Broken {
    fn describe(&self) -> String {
        "broken".into()
    }
    fn space(&self) -> &ParamSpace {
        self.0.space()
    }
    fn observables(&self) -> &[String] {
        self.0.observables()
    }
    fn prior(&self) -> &Prior {
        self.0.prior()
    }
    fn sample(&self, _x: &[f64], n: usize, _seed: u64) -> Result<Draws, ModelError> {
        Ok(Draws::new(ndarray::Array2::from_elem((n, 3), f64::NAN))?)
    }
}

#[test]
fn bad_input_gets_clear_errors() {
    let m = model();
    let post = m.posterior();
    let e = run(&post, &m, &opts(1, 100)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Option);
    assert!(e.to_string().contains("n = 1"), "{e}");
    let e = run(&post, &m, &opts(10, 1)).unwrap_err();
    assert!(e.to_string().contains("samples"), "{e}");
    // a simulator over other parameters
    let space = ParamSpace::from_names(&["g1", "g2", "other"], &["g1"]).unwrap();
    let normal = Marginal::Normal {
        mean: 0.0,
        std: 1.0,
    };
    let other = LinearGaussian::new(
        Prior::new(space, vec![normal; 3]).unwrap(),
        ndarray::Array2::eye(4)
            .slice(ndarray::s![.., ..3])
            .to_owned(),
        vec![0.0; 4],
        vec![1.0; 4],
    )
    .unwrap();
    let e = run(&post, &other, &opts(10, 10)).unwrap_err();
    assert!(matches!(e, CalibError::Mismatch { .. }), "{e}");
    assert!(
        e.to_string().contains("g1, g2, l") && e.to_string().contains("g1, g2, other"),
        "{e}"
    );
    // non-finite draws
    let e = run(&Broken(post.clone()), &m, &opts(10, 10)).unwrap_err();
    assert!(matches!(e, CalibError::BadDraws { .. }), "{e}");
    assert!(
        e.to_string().contains("broken") && e.to_string().contains("NaN"),
        "{e}"
    );
    // no noise anywhere
    let e = run(
        &post,
        &m,
        &RunOptions {
            noise: None,
            ..opts(10, 10)
        },
    )
    .unwrap_err();
    assert!(e.to_string().contains("noise"), "{e}");
    let _ = NoiseModel::uniform(4, 0.1);
}
