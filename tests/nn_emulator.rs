//! The emulator on a smooth synthetic 6 → 8 function over the paper's ±5σ training box:
//! it learns it, excludes and counts bad rows, reports errors that match a direct
//! computation, round-trips through its file, rejects corrupt/foreign/inconsistent files,
//! and its input Jacobian matches finite differences of its predictions.

use galchem::error::FileError;
use galchem::nn::emulator::{EmulatorOptions, ABUNDANCE_NAMES, PARAMETER_NAMES};
use galchem::nn::{Emulator, Loss, NnError, OptimizerConfig, VarianceHead};
mod nn_util;

use ndarray::{s, Array2};
use nn_util::{synthetic, SIGMA};

fn small_opts() -> EmulatorOptions {
    EmulatorOptions {
        hidden: vec![32, 16],
        epochs: 30,
        batch_size: 32,
        optimizer: OptimizerConfig::schedule_free(3e-3),
        seed: 11,
        ..EmulatorOptions::default()
    }
}

#[test]
fn learns_a_smooth_function_and_reports_its_errors() {
    let (mut theta, mut y) = synthetic(4000, 1);
    theta[[3, 2]] = f64::NAN;
    y[[10, 4]] = f64::INFINITY;
    y.row_mut(20).fill(0.0);
    let (emu, rep) = Emulator::train(theta.view(), y.view(), None, &small_opts()).unwrap();
    assert_eq!(
        (
            rep.n_rows,
            rep.n_excluded_nonfinite,
            rep.n_excluded_all_zero
        ),
        (4000, 2, 1)
    );
    assert_eq!(rep.validation, "split");
    assert_eq!(rep.n_val, 200); // 5 % of 3997
    assert_eq!(rep.n_train, 3797);
    assert_eq!(rep.epochs, 30);
    assert_eq!(rep.steps, 30 * 3797_u64.div_ceil(32));
    assert_eq!(emu.input_names(), PARAMETER_NAMES);
    assert_eq!(emu.output_names(), ABUNDANCE_NAMES);
    let val_mse = rep.val_mse.unwrap();
    assert!(val_mse < 4e-4, "validation MSE {val_mse}");

    let (tt, yt) = synthetic(2000, 2);
    let r = emu.report(tt.view(), yt.view()).unwrap();
    assert!(
        r.overall.ape_median < 1.5,
        "median APE {}",
        r.overall.ape_median
    );
    assert!(
        r.overall.dex_median < 0.01,
        "median error {}",
        r.overall.dex_median
    );
    // the report agrees with a direct computation from predict
    let p = emu.predict(tt.view()).unwrap();
    let mut ape: Vec<f64> = p
        .iter()
        .zip(&yt)
        .map(|(a, b)| 100.0 * (a - b).abs() / b.abs())
        .collect();
    ape.sort_by(f64::total_cmp);
    let direct = galchem::stats::quantile_sorted(&ape, 0.5).unwrap();
    assert!((direct - r.overall.ape_median).abs() < 1e-12);
    let mut fe: Vec<f64> = (0..2000).map(|i| (p[[i, 1]] - yt[[i, 1]]).abs()).collect();
    fe.sort_by(f64::total_cmp);
    let direct = galchem::stats::quantile_sorted(&fe, 0.5).unwrap();
    assert!((direct - r.per_output[1].dex_median).abs() < 1e-12);
    assert_eq!(r.outputs[1], "Fe_H");
    // the cumulative APE distribution reaches the fraction below 30 %
    let below = ape.iter().filter(|&&a| a <= 30.0).count() as f64 / ape.len() as f64;
    assert_eq!(*r.overall.ape_cdf.last().unwrap(), below);
    assert!(r.overall.ape_cdf.windows(2).all(|w| w[0] <= w[1]));
    // errors for wrong shapes
    assert!(emu.predict(tt.slice(s![.., ..5])).is_err());
    assert!(emu.report(tt.view(), yt.slice(s![..10, ..])).is_err());
}

#[test]
fn save_and_load_round_trip_and_bad_files_are_named() {
    let (theta, y) = synthetic(600, 3);
    let opts = EmulatorOptions {
        epochs: 2,
        ..small_opts()
    };
    let (emu, _) = Emulator::train(theta.view(), y.view(), None, &opts).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("emu.json");
    emu.save(&path).unwrap();
    let back = Emulator::load(&path).unwrap();
    // a loaded emulator is labelled with its file
    assert_eq!(back, emu.clone().with_label(path.display().to_string()));
    let (a, b) = (
        emu.predict(theta.view()).unwrap(),
        back.predict(theta.view()).unwrap(),
    );
    assert_eq!(a, b);
    assert_eq!(back.training().options, opts);

    let text = std::fs::read_to_string(&path).unwrap();
    let write = |name: &str, content: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, content).unwrap();
        p
    };
    let cases = [
        (
            "truncated.json",
            text[..text.len() / 2].to_string(),
            "corrupt",
        ),
        (
            "foreign.json",
            r#"{"format": "galchem-maf", "version": 1}"#.to_string(),
            "galchem-maf",
        ),
        ("array.json", "[1, 2, 3]".to_string(), "not a JSON object"),
        (
            "noformat.json",
            r#"{"weights": [1]}"#.to_string(),
            "no 'format'",
        ),
        (
            "version.json",
            text.replacen("\"version\":2", "\"version\":99", 1),
            "version 99",
        ),
        (
            "params.json",
            text.replacen("\"params\":[", "\"params\":[0.5,", 1),
            "parameters",
        ),
        (
            "names.json",
            text.replacen("\"input_names\":[", "\"input_names\":[\"extra\",", 1),
            "input names",
        ),
    ];
    for (name, content, needle) in cases {
        let p = write(name, &content);
        let e = Emulator::load(&p).unwrap_err();
        let msg = e.to_string();
        assert!(
            matches!(e, NnError::File(FileError::Unusable { .. })),
            "{name}: {msg}"
        );
        assert!(
            msg.contains(name),
            "{name}: message does not name the file: {msg}"
        );
        assert!(msg.contains(needle), "{name}: '{needle}' not in: {msg}");
    }
    let missing = Emulator::load(dir.path().join("missing.json")).unwrap_err();
    assert!(matches!(missing, NnError::File(FileError::Io { .. })));
    assert!(emu.save(dir.path().join("no/such/dir/e.json")).is_err());
}

#[test]
fn input_jacobian_matches_finite_differences() {
    let (theta, y) = synthetic(800, 4);
    let opts = EmulatorOptions {
        epochs: 3,
        ..small_opts()
    };
    let (emu, _) = Emulator::train(theta.view(), y.view(), None, &opts).unwrap();
    let pts = theta.slice(s![..4, ..]).to_owned();
    let jac = emu.input_jacobian(pts.view()).unwrap();
    assert_eq!(jac.dim(), (4, 8, 6));
    let scale = jac.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    for i in 0..6 {
        // steps of 1 % of the input's spread keep f32 rounding small against the difference
        let h = if i < 5 { 0.05 * SIGMA[i] } else { 0.1 };
        let (mut up, mut dn) = (pts.clone(), pts.clone());
        up.column_mut(i).mapv_inplace(|v| v + h);
        dn.column_mut(i).mapv_inplace(|v| v - h);
        let (pu, pd) = (
            emu.predict(up.view()).unwrap(),
            emu.predict(dn.view()).unwrap(),
        );
        for r in 0..4 {
            for o in 0..8 {
                let fd = (pu[[r, o]] - pd[[r, o]]) / (2.0 * h);
                let an = jac[[r, o, i]];
                assert!(
                    (fd - an).abs() < 2e-3 * scale,
                    "J[{r},{o},{i}] {an} vs {fd}"
                );
            }
        }
    }
}

#[test]
fn options_paper_mode_validation_sets_and_uncertainties() {
    let (theta, y) = synthetic(700, 5);
    let (tv, yv) = synthetic(100, 6);
    // the paper's procedure: raw inputs and outputs, shuffled once
    let paper = EmulatorOptions {
        epochs: 2,
        ..EmulatorOptions::paper()
    };
    let (emu, rep) =
        Emulator::train(theta.view(), y.view(), Some((tv.view(), yv.view())), &paper).unwrap();
    assert_eq!(
        (rep.validation.as_str(), rep.n_val, rep.n_train),
        ("given", 100, 700)
    );
    assert_eq!(emu.mlp().sizes(), &[6, 100, 40, 8]);
    let (sx, sy) = emu.scalers();
    assert!(sx.mean.iter().all(|&m| m == 0.0) && sy.std.iter().all(|&s| s == 1.0));
    assert_eq!(rep.val_loss.len(), 2);
    // same seed, same model
    let (again, _) =
        Emulator::train(theta.view(), y.view(), Some((tv.view(), yv.view())), &paper).unwrap();
    assert_eq!(again.params(), emu.params());
    // Gaussian NLL: twice the outputs, positive standard deviations
    let nll = EmulatorOptions {
        loss: Loss::GaussianNll(VarianceHead::LogVariance),
        epochs: 3,
        ..small_opts()
    };
    let (emu, _) = Emulator::train(theta.view(), y.view(), None, &nll).unwrap();
    assert_eq!(emu.mlp().n_out(), 16);
    let sd = emu.predict_std(tv.view()).unwrap();
    assert_eq!(sd.dim(), (100, 8));
    assert!(sd.iter().all(|&s| s > 0.0 && s.is_finite()));
    assert_eq!(emu.predict(tv.view()).unwrap().dim(), (100, 8));
    // bad options and data
    let bad = |o: EmulatorOptions| Emulator::train(theta.view(), y.view(), None, &o).is_err();
    assert!(bad(EmulatorOptions {
        batch_size: 0,
        ..small_opts()
    }));
    assert!(bad(EmulatorOptions {
        hidden: vec![10, 0],
        ..small_opts()
    }));
    assert!(bad(EmulatorOptions {
        validation_fraction: 1.0,
        ..small_opts()
    }));
    assert!(bad(EmulatorOptions {
        optimizer: OptimizerConfig::adam(0.0),
        ..small_opts()
    }));
    assert!(bad(EmulatorOptions {
        input_names: Some(vec!["a".into()]),
        ..small_opts()
    }));
    let nan = Array2::from_elem((10, 6), f64::NAN);
    assert!(matches!(
        Emulator::train(nan.view(), y.slice(s![..10, ..]), None, &small_opts()),
        Err(NnError::TooFewRows { .. })
    ));
    assert!(Emulator::train(theta.view(), y.slice(s![..10, ..]), None, &small_opts()).is_err());
}
