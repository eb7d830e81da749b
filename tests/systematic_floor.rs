//! The systematic floor: measured on galaxies whose errors have covariance Σ + T it returns
//! T, adding it gives nominal coverage where the statistical covariance alone under-covers,
//! and `infer(…, systematic)` adds it to the combined covariance at every n.

use galchem::calib::galaxy::coverage;
use galchem::calib::{apply_floor, estimate_floor, GalaxyRecord, SystematicFloor};
use galchem::infer::{infer_catalog, FloorGrowth, FloorModel, InferOptions, Observations};
use galchem::model::{LinearGaussian, Marginal, ParamSpace};
use galchem::rng::stream;
use rand_distr::{Distribution, StandardNormal};

const T: [[f64; 2]; 2] = [[0.04, 0.012], [0.012, 0.09]];

/// The `divide_prior` record of galaxy `i` at n = 1000 whose combination has mean `mean` and
/// the diagonal covariance `var` (dex²).
fn record(i: usize, truth: Vec<f64>, mean: Vec<f64>, var: [f64; 2]) -> GalaxyRecord {
    let d = [truth[0] - mean[0], truth[1] - mean[1]];
    let maha2 = d[0] * d[0] / var[0] + d[1] * d[1] / var[1];
    GalaxyRecord {
        galaxy: i,
        n: 1000,
        method: "divide_prior".into(),
        truth,
        mean,
        sd: vec![var[0].sqrt(), var[1].sqrt()],
        cov: vec![vec![var[0], 0.0], vec![0.0, var[1]]],
        credibility: 1.0 - (-0.5 * maha2).exp(),
        cdf: vec![0.5, 0.5],
        error: None,
    }
}

/// `g` galaxies whose combined means are off by e ~ N(0, Σ + T), Σ = diag(0.01, 0.02).
fn records(g: usize, seed: u64) -> Vec<GalaxyRecord> {
    let sigma = [[0.01, 0.0], [0.0, 0.02]];
    let total = [
        [sigma[0][0] + T[0][0], T[0][1]],
        [T[1][0], sigma[1][1] + T[1][1]],
    ];
    // Cholesky of the total covariance
    let l00 = total[0][0].sqrt();
    let l10 = total[1][0] / l00;
    let l11 = (total[1][1] - l10 * l10).sqrt();
    (0..g)
        .map(|i| {
            let mut r = stream(seed, i as u64);
            let (z0, z1): (f64, f64) =
                (StandardNormal.sample(&mut r), StandardNormal.sample(&mut r));
            let truth = vec![-2.3, -2.9];
            let mean = vec![truth[0] + l00 * z0, truth[1] + l10 * z0 + l11 * z1];
            record(i, truth, mean, [sigma[0][0], sigma[1][1]])
        })
        .collect()
}

#[test]
fn the_floor_is_measured_and_restores_coverage_on_held_out_galaxies() {
    let fit = records(4000, 1);
    let f = estimate_floor(&fit, "divide_prior", None).unwrap();
    assert_eq!((f.n, f.galaxies), (1000, 4000));
    for (row, expect) in f.cov.iter().zip(T) {
        for (v, e) in row.iter().zip(expect) {
            assert!((v - e).abs() < 0.01, "{:?} vs {T:?}", f.cov);
        }
    }
    let held_out = records(2000, 2);
    let before = &coverage(&held_out, "divide_prior")[0];
    assert!(before.c68 < 0.4 && before.c95 < 0.7, "{before:?}");
    let widened = apply_floor(&held_out, &f);
    assert!(widened.iter().all(|r| r.method == "divide_prior+floor"));
    let after = &coverage(&widened, "")[0];
    assert!((after.c68 - 0.68).abs() < 0.04, "{after:?}");
    assert!((after.c95 - 0.95).abs() < 0.02, "{after:?}");
    // nothing to measure
    assert!(estimate_floor(&fit, "paper", None).is_err());
    assert!(estimate_floor(&fit[..1], "divide_prior", None).is_err());
}

/// A floor of 0.02–0.03 dex, small against the prior's 0.3 dex as in galchem's calibrations.
const SMALL: [[f64; 2]; 2] = [[T[0][0] / 100.0, 0.0], [0.0, T[1][1] / 100.0]];

/// `g` galaxies with Λ ~ N(c, 0.3² I) whose errors have covariance Σ + T · g(m²), T =
/// `SMALL`, g(m²) = 0.4 + 0.3 m² (m² the prior distance of the truth).
fn growing_records(g: usize, seed: u64) -> Vec<GalaxyRecord> {
    let sigma = 1e-4;
    (0..g)
        .map(|i| {
            let mut r = stream(seed, i as u64);
            let mut z = || -> f64 { StandardNormal.sample(&mut r) };
            let truth = vec![-2.3 + 0.3 * z(), -2.9 + 0.3 * z()];
            let m2 = ((truth[0] + 2.3) / 0.3).powi(2) + ((truth[1] + 2.9) / 0.3).powi(2);
            let scale = 0.4 + 0.3 * m2;
            // T is diagonal here, so the total covariance is too
            let sd = [
                (sigma + SMALL[0][0] * scale).sqrt(),
                (sigma + SMALL[1][1] * scale).sqrt(),
            ];
            let mean = vec![truth[0] + sd[0] * z(), truth[1] + sd[1] * z()];
            record(i, truth, mean, [sigma, sigma])
        })
        .collect()
}

/// Coverage (68 %, 95 %) of the records whose truth lies at prior distance m² in `range`.
fn coverage_where(records: &[GalaxyRecord], range: std::ops::Range<f64>) -> (f64, f64) {
    let m2 =
        |r: &GalaxyRecord| ((r.truth[0] + 2.3) / 0.3).powi(2) + ((r.truth[1] + 2.9) / 0.3).powi(2);
    let inside: Vec<GalaxyRecord> = records
        .iter()
        .filter(|r| range.contains(&m2(r)))
        .cloned()
        .collect();
    let c = &coverage(&inside, "")[0];
    (c.c68, c.c95)
}

#[test]
fn a_floor_that_grows_away_from_the_centre_is_fitted_and_covers_everywhere() {
    let fit: Vec<GalaxyRecord> = growing_records(4000, 3);
    let f = estimate_floor(&fit, "divide_prior", None).unwrap();
    let g = f.growth.as_ref().expect("4000 galaxies fit a growth");
    assert!(
        (g.centre[0] + 2.3).abs() < 0.02 && (g.centre[1] + 2.9).abs() < 0.02,
        "{g:?}"
    );
    // T̂ is the average of T g(m²) (E m² = 2, so T · 1.0); ĝ · T̂ recovers T g
    for (k, t) in [SMALL[0][0], SMALL[1][1]].iter().enumerate() {
        assert!((f.cov[k][k] - t).abs() < 0.1 * t, "{:?}", f.cov);
    }
    let at = |m2: f64| g.coef[0] + g.coef[1] * m2 + g.coef[2] * m2 * m2;
    for m2 in [0.5, 2.0, 6.0] {
        let truth = 0.4 + 0.3 * m2;
        assert!(
            (at(m2) - truth).abs() < 0.15 * truth,
            "g({m2}) = {} vs {truth}: {g:?}",
            at(m2)
        );
    }
    let held_out = growing_records(4000, 4);
    let constant = SystematicFloor {
        growth: None,
        ..f.clone()
    };
    let flat = apply_floor(&held_out, &constant);
    let grown = apply_floor(&held_out, &f);
    // the constant floor over-covers the centre and under-covers the tails; the growing
    // one is nominal in both
    let (c68, c95) = coverage_where(&flat, 0.0..1.0);
    assert!(c68 > 0.8 && c95 > 0.98, "constant, centre: {c68} {c95}");
    let (c68, c95) = coverage_where(&flat, 4.6..f64::INFINITY);
    assert!(c68 < 0.55 && c95 < 0.85, "constant, tails: {c68} {c95}");
    for range in [0.0..1.0, 1.0..4.6, 4.6..f64::INFINITY] {
        let (c68, c95) = coverage_where(&grown, range.clone());
        assert!(
            (c68 - 0.68).abs() < 0.06 && (c95 - 0.95).abs() < 0.03,
            "{range:?}: {c68} {c95}"
        );
    }
    // fewer galaxies than MIN_GALAXIES_FOR_GROWTH: a constant floor
    let few = estimate_floor(
        &fit[..galchem::calib::floor::MIN_GALAXIES_FOR_GROWTH - 1],
        "divide_prior",
        None,
    );
    assert!(few.unwrap().growth.is_none());
}

#[test]
fn infer_adds_the_floor_to_the_combination() {
    let space = ParamSpace::from_names(&["g1", "g2", "l"], &["g1", "g2"]).unwrap();
    let normal = |mean, std| Marginal::Normal { mean, std };
    let prior = galchem::model::Prior::new(
        space,
        vec![normal(0.0, 1.0), normal(0.0, 1.0), normal(0.0, 1.0)],
    )
    .unwrap();
    let a = ndarray::array![
        [1.0, 0.0, 0.5],
        [0.0, 1.0, 0.5],
        [0.5, 0.5, 1.0],
        [1.0, -1.0, 0.0]
    ];
    let m = LinearGaussian::new(prior, a, vec![0.0; 4], vec![0.2; 4]).unwrap();
    let post = m.posterior();
    let x = ndarray::Array2::from_shape_fn((20, 4), |(i, j)| 0.1 * ((i * 4 + j) % 7) as f64 - 0.3);
    let obs = Observations::new(x.view());
    let plain = infer_catalog(&post, &obs, &InferOptions::default()).unwrap();
    let floored = infer_catalog(
        &post,
        &obs,
        &InferOptions {
            systematic: Some(FloorModel::constant(T)),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(floored.systematic, Some(T));
    #[allow(clippy::needless_range_loop)]
    for k in 0..2 {
        assert_eq!(floored.combined.mean[k], plain.combined.mean[k]);
        let expect = (plain.combined.sd[k].powi(2) + T[k][k]).sqrt();
        assert!((floored.combined.sd[k] - expect).abs() < 1e-12);
        let (p, f) = (&plain.running[4], &floored.running[4]);
        assert!((f.sd[k] - (p.sd[k].powi(2) + T[k][k]).sqrt()).abs() < 1e-12);
    }
    assert!((floored.combined.cov[0][1] - plain.combined.cov[0][1] - T[0][1]).abs() < 1e-12);
    // a growing floor is added at the combined mean (and recorded so)
    let growing = FloorModel {
        cov: T,
        growth: Some(FloorGrowth {
            centre: [0.0, 0.0],
            precision: [[1.0, 0.0], [0.0, 1.0]],
            coef: [1.0, 2.0, 0.0],
            min: 0.1,
        }),
    };
    let grown = infer_catalog(
        &post,
        &obs,
        &InferOptions {
            systematic: Some(growing.clone()),
            ..Default::default()
        },
    )
    .unwrap();
    let t = growing.at(&plain.combined.mean);
    assert!(t[0][0] > T[0][0], "{t:?} at {:?}", plain.combined.mean);
    assert_eq!(grown.systematic, Some(t));
    let expect = (plain.combined.sd[1].powi(2) + t[1][1]).sqrt();
    assert!((grown.combined.sd[1] - expect).abs() < 1e-12);
    // a floor that is not a covariance is refused, naming the option
    let bad = InferOptions {
        systematic: Some(FloorModel::constant([[1.0, 0.5], [0.0, -1.0]])),
        ..Default::default()
    };
    let e = infer_catalog(&post, &obs, &bad).unwrap_err().to_string();
    assert!(e.contains("systematic") && e.contains("symmetric"), "{e}");
}

#[path = "cli_util/mod.rs"]
mod cli_util;

#[test]
fn a_posterior_carries_its_floor_through_save_load_and_infer() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let script = r#"
        let post = train_npe(chempy("tng"), #{ n_sims: 1500, max_epochs: 3, seed: 2 });
        let floor = #{ method: "paper", n: 1000, galaxies: 10,
                       cov: [[1.0e-4, 0.0], [0.0, 4.0e-4]], sd: [0.01, 0.02] };
        post = post.with_floor(floor);
        post.save("p.json");
        let back = load_posterior("p.json");
        if back.floor.cov[1][1] != 4.0e-4 { throw "floor lost on save/load"; }
        let cat = mock_catalog(chempy("tng"), #{ n: 5, seed: 3 });
        let floored = infer(back, cat, #{ samples: 100, method: "paper" });
        let without = infer(back, cat, #{ samples: 100, method: "paper", systematic: false });
        let d0 = floored.alpha_imf_sd ** 2 - without.alpha_imf_sd ** 2;
        let d1 = floored.log10_n_ia_sd ** 2 - without.log10_n_ia_sd ** 2;
        if (d0 - 1.0e-4).abs() > 1.0e-9 || (d1 - 4.0e-4).abs() > 1.0e-9 { throw `floor not added: ${d0}, ${d1}`; }
        if floored.alpha_imf_mean != without.alpha_imf_mean { throw "the floor moved the mean"; }
        // floors are kept per method: the paper's floor is not added to another method's
        let iv = infer(back, cat, #{ samples: 100, method: "inverse_variance" });
        let iv0 = infer(back, cat, #{ samples: 100, method: "inverse_variance", systematic: false });
        if iv.alpha_imf_sd != iv0.alpha_imf_sd { throw "the paper's floor was added to inverse_variance"; }
        let two = back.with_floor(floor + #{ method: "inverse_variance" });
        if two.floors.len() != 2 || two.with_floor(floor).floors.len() != 2 { throw `floors per method: ${two.floors}`; }
        try {
            post.with_floor(#{ method: "x", n: 1, galaxies: 2, cov: [[-1.0, 0.0], [0.0, 1.0]], sd: [0.0, 1.0] });
            throw "a negative floor was accepted";
        } catch (e) {
            if !`${e}`.contains("systematic") { throw `unclear error: ${e}`; }
        }
        print("ok");
    "#;
    std::fs::write(d.join("t.rhai"), script).unwrap();
    let (ok, out, err) = cli_util::galchem(&["run", "t.rhai"], d, Some(d));
    assert!(ok && out.contains("ok"), "stdout:\n{out}\nstderr:\n{err}");
}
