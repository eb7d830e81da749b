//! Calibration over many mock galaxies with the closed-form linear-Gaussian posterior: the
//! exact per-star posterior gives nominal galaxy-level coverage for the Gaussian product (exact
//! here) and for the exact combination; an under-dispersed posterior fails it; records do not
//! depend on the galaxy range (shards) and bad options are errors.

use galchem::calib::galaxy::{coverage, galaxy_calibration, GalaxyModels, GalaxyOptions};
use galchem::calib::GalaxyMethod;
use galchem::infer::combine::exact::ExactOptions;
use galchem::model::{LinearGaussian, Marginal, NoiseModel, ParamSpace, Posterior, Prior};

fn model() -> LinearGaussian {
    let space = ParamSpace::from_names(&["g1", "g2", "l"], &["g1", "g2"]).unwrap();
    let normal = |mean, std| Marginal::Normal { mean, std };
    let prior = Prior::new(
        space,
        vec![normal(0.5, 1.0), normal(-1.0, 1.0), normal(0.0, 0.5)],
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
        vec![0.6, 0.8, 0.7, 0.9],
    )
    .unwrap()
}

fn options(galaxies: usize, methods: &[&str]) -> GalaxyOptions {
    GalaxyOptions {
        galaxies,
        range: 0..galaxies,
        n_stars: vec![3, 20],
        methods: methods.iter().map(|m| m.parse().unwrap()).collect(),
        samples: 250,
        noise: NoiseModel::new(vec![0.6, 0.8, 0.7, 0.9]),
        exact: ExactOptions::default(),
        seed: 5,
    }
}

#[test]
fn the_exact_posterior_has_nominal_galaxy_coverage() {
    let m = model();
    let post = m.posterior();
    let models = GalaxyModels {
        posterior: &post,
        mock: &m,
        likelihood: None,
        marginal: None,
    };
    let run = galaxy_calibration(models, &options(120, &["divide_prior", "exact_kde"])).unwrap();
    assert_eq!(run.done, 120);
    let cov = coverage(&run.records, "divide_prior");
    assert_eq!(cov.len(), 4);
    for c in &cov {
        eprintln!(
            "{} n={}: c68 {} c95 {} z sd {:?}",
            c.method, c.n, c.c68, c.c95, c.z_sd
        );
        // binomial sd at 160 galaxies: 3.7 % (68 %) and 1.7 % (95 %); 3 sd
        assert!(
            (c.c68 - 0.68).abs() < 0.11,
            "{} n={}: c68 {}",
            c.method,
            c.n,
            c.c68
        );
        assert!(
            (c.c95 - 0.95).abs() < 0.052,
            "{} n={}: c95 {}",
            c.method,
            c.n,
            c.c95
        );
        assert_eq!(c.failed, 0);
        assert_eq!(c.default, c.method == "divide_prior");
        assert_eq!(c.ranks[0].iter().sum::<usize>(), 120);
    }
}

#[test]
fn an_overconfident_posterior_undercovers_and_shards_agree() {
    let m = model();
    let post = m.posterior().with_dispersion(0.6);
    let models = GalaxyModels {
        posterior: &post,
        mock: &m,
        likelihood: None,
        marginal: None,
    };
    let all = galaxy_calibration(models, &options(60, &["divide_prior"])).unwrap();
    let cov = coverage(&all.records, "divide_prior");
    assert!(cov.iter().all(|c| c.c68 < 0.5), "{cov:?}");
    // galaxy g depends only on the seed and g
    let mut o = options(60, &["divide_prior"]);
    o.range = 20..40;
    let part = galaxy_calibration(models, &o).unwrap();
    let expect: Vec<_> = all
        .records
        .iter()
        .filter(|r| (20..40).contains(&r.galaxy))
        .cloned()
        .collect();
    assert_eq!(part.records, expect);
    assert!(post.space().dim() == 3);
}

#[test]
fn bad_options_are_errors() {
    let m = model();
    let post = m.posterior();
    let models = GalaxyModels {
        posterior: &post,
        mock: &m,
        likelihood: None,
        marginal: None,
    };
    let mut o = options(10, &["divide_prior"]);
    o.n_stars = vec![20, 3];
    assert!(galaxy_calibration(models, &o)
        .unwrap_err()
        .to_string()
        .contains("ascending"));
    let mut o = options(10, &["divide_prior"]);
    o.range = 5..12;
    assert!(galaxy_calibration(models, &o).is_err());
    let e = "exact_nonsense".parse::<GalaxyMethod>().unwrap_err();
    assert!(e.contains("unknown density"), "{e}");
    assert_eq!("refined".parse::<GalaxyMethod>().unwrap().name(), "refined");
    assert_eq!(
        "refined_exact_kde".parse::<GalaxyMethod>().unwrap().name(),
        "refined_exact_kde"
    );
}
