//! Training runs that are cut short (by an observer or the time budget) and resumed from
//! their checkpoint end bit for bit like runs that were never stopped, for the flow (Adam)
//! and the emulator (schedule-free AdamW); a checkpoint of another run, or a corrupt one, is
//! refused with an error naming the file; the flow trains with any optimizer; settings and
//! records written before these features still load.
//!
//! Nothing here touches the process-wide interrupt flag (that is `nn_interrupt`).

mod nn_util;
mod train_util;

use galchem::error::{ErrorKind, Kind};
use galchem::flow::{self, FlowTrainConfig, FlowTrainReport, Maf};
use galchem::infer::npe::{NpeOptions, TrainingInfo};
use galchem::nn::emulator::EmulatorOptions;
use galchem::nn::{
    train, Activation, Control, Emulator, EpochStats, Loss, Mlp, OptimizerConfig, OptimizerKind,
    Supervised, Termination, TrainConfig, TrainHistory, TrainReport,
};
use ndarray::Array2;
use std::path::Path;
use train_util::*;

/// Stops after epoch `at`.
fn stop_at(at: usize) -> impl FnMut(&EpochStats) -> Control {
    move |s: &EpochStats| {
        if s.epoch == at {
            Control::Stop
        } else {
            Control::Continue
        }
    }
}

/// Calls `run` with time budgets growing from 0.1 ms until the run finishes; every call but
/// the last must end at the budget. Returns the last result and the number of calls.
fn in_slices<T>(mut run: impl FnMut(f64) -> (T, Termination)) -> (T, usize) {
    let mut budget = 1e-4;
    for calls in 1..=80 {
        let (out, end) = run(budget);
        if end.is_finished() {
            return (out, calls);
        }
        assert_eq!(end, Termination::TimeBudget);
        budget *= 1.3;
    }
    panic!("the run did not finish in 80 slices");
}

#[test]
fn the_flow_resumes_bit_for_bit_after_an_observer_stop_and_time_budgets() {
    let (theta, x) = flow_pairs(600, 1);
    let fc = flow_config();
    // the reference on one thread: the results do not depend on the thread count
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let (maf0, rep0) = one
        .install(|| flow::train(theta.view(), x.view(), &fc, &flow_train_config(None)))
        .unwrap();
    assert_eq!(rep0.termination, Termination::EarlyStopped, "{rep0:?}");
    assert!(
        rep0.best_epoch.is_some_and(|b| b < 10) && rep0.epochs > 11,
        "{rep0:?}"
    );

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("flow.ckpt");
    let tc = flow_train_config(Some(path.clone()));
    // stopped after the best epoch: the checkpoint has to carry the best weights and the
    // epochs since them
    let mut stop = stop_at(10);
    let (maf1, rep1) = flow::train_with(theta.view(), x.view(), &fc, &tc, Some(&mut stop)).unwrap();
    assert_eq!(
        (rep1.termination, rep1.epochs),
        (Termination::ObserverStopped, 11)
    );
    assert!(path.exists(), "an observer stop keeps the checkpoint");
    assert_eq!(
        rep1.best_val_log_prob, rep0.best_val_log_prob,
        "the best weights so far"
    );
    assert!(maf1
        .log_prob(theta.view(), x.view())
        .unwrap()
        .iter()
        .all(|v| v.is_finite()));

    let mut mid_epoch = 0; // stops between two mini-batches of an epoch (10 per epoch)
    let ((maf, rep), calls) = in_slices(|budget| {
        let tc = FlowTrainConfig {
            time_budget: Some(budget),
            ..tc.clone()
        };
        let (maf, rep) = flow::train(theta.view(), x.view(), &fc, &tc).unwrap();
        mid_epoch += usize::from(rep.steps as usize != 10 * rep.epochs);
        let end = rep.termination;
        ((maf, rep), end)
    });
    assert!(
        calls > 1 && mid_epoch > 0,
        "the time budget never stopped the run mid-epoch"
    );
    assert_same_flow(&maf, &maf0);
    assert_eq!(flow_comparable(&rep), flow_comparable(&rep0));
    assert!(rep.resumed_from_epoch.is_some());
    assert!(!path.exists(), "a finished run deletes its checkpoint");
}

#[test]
fn the_emulator_resumes_bit_for_bit_after_an_observer_stop_and_time_budgets() {
    let (theta, y) = nn_util::synthetic(500, 2);
    let (emu0, rep0) =
        Emulator::train(theta.view(), y.view(), None, &emulator_options(None)).unwrap();
    assert_eq!(rep0.termination, Termination::EarlyStopped);
    let best = rep0.best_epoch.unwrap();
    assert!(rep0.epochs > best + 2, "{rep0:?}");

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("emulator.ckpt");
    let opts = emulator_options(Some(path.clone()));
    let mut stop = stop_at(best + 1);
    let (_, rep1) =
        Emulator::train_with(theta.view(), y.view(), None, &opts, Some(&mut stop)).unwrap();
    assert_eq!(
        (rep1.termination, rep1.epochs),
        (Termination::ObserverStopped, best + 2)
    );
    assert!(rep1.stopped_early && path.exists());

    let mut mid_epoch = 0; // stops between two mini-batches of an epoch (15 per epoch)
    let ((emu, rep), calls) = in_slices(|budget| {
        let opts = EmulatorOptions {
            time_budget: Some(budget),
            ..opts.clone()
        };
        let (emu, rep) = Emulator::train(theta.view(), y.view(), None, &opts).unwrap();
        mid_epoch += usize::from(rep.steps as usize != 15 * rep.epochs);
        let end = rep.termination;
        ((emu, rep), end)
    });
    assert!(
        calls > 1 && mid_epoch > 0,
        "the time budget never stopped the run mid-epoch"
    );
    assert_same_emulator(&emu, &emu0);
    assert_eq!(emulator_comparable(&rep), emulator_comparable(&rep0));
    assert_eq!(rep.val_mse, rep0.val_mse);
    assert!(!path.exists());
}

/// The error of training the flow with checkpoint `path`, as text, after checking its kind.
fn refusal(theta: &Array2<f64>, x: &Array2<f64>, tc: &FlowTrainConfig, path: &Path) -> String {
    let err = flow::train(theta.view(), x.view(), &flow_config(), tc).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::File, "{err}");
    let msg = err.to_string();
    assert!(msg.contains(&path.display().to_string()), "{msg}");
    msg
}

/// The flow's pairs and settings with a checkpoint at `path` of a run stopped after epoch 1.
fn stopped_run(path: &Path) -> (Array2<f64>, Array2<f64>, FlowTrainConfig) {
    let (theta, x) = flow_pairs(600, 1);
    let tc = flow_train_config(Some(path.to_path_buf()));
    let mut stop = stop_at(1);
    flow::train_with(theta.view(), x.view(), &flow_config(), &tc, Some(&mut stop)).unwrap();
    (theta, x, tc)
}

#[test]
fn a_checkpoint_of_another_run_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("run.ckpt");
    let (theta, x, tc) = stopped_run(&path);
    let saved = std::fs::read(&path).unwrap();

    let (theta2, x2) = flow_pairs(600, 2);
    let msg = refusal(&theta2, &x2, &tc, &path);
    assert!(
        msg.contains("another training run") && msg.contains("training data"),
        "{msg}"
    );
    let other = FlowTrainConfig {
        batch_size: 60,
        ..tc.clone()
    };
    assert!(refusal(&theta, &x, &other, &path).contains("batch_size: 54 in the checkpoint, 60 now"));
    let other = FlowTrainConfig {
        optimizer: OptimizerKind::AdamW,
        ..tc.clone()
    };
    assert!(refusal(&theta, &x, &other, &path).contains("optimizer"));
    let other_flow = galchem::flow::FlowConfig {
        seed: 6,
        ..flow_config()
    };
    let err = flow::train(theta.view(), x.view(), &other_flow, &tc).unwrap_err();
    assert!(err.to_string().contains("the model differs"), "{err}");
    assert_eq!(
        std::fs::read(&path).unwrap(),
        saved,
        "a refused checkpoint is left alone"
    );
    let (_, rep) = flow::train(theta.view(), x.view(), &flow_config(), &tc).unwrap();
    assert_eq!(
        rep.resumed_from_epoch,
        Some(2),
        "its own run still resumes from it"
    );
}

#[test]
fn a_corrupt_or_foreign_checkpoint_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("run.ckpt");
    let (theta, x, tc) = stopped_run(&path);
    let saved = std::fs::read(&path).unwrap();
    std::fs::write(&path, &saved[..saved.len() / 2]).unwrap();
    let msg = refusal(&theta, &x, &tc, &path);
    assert!(
        msg.contains("not a usable galchem-checkpoint file") && msg.contains("not valid JSON"),
        "{msg}"
    );
    let truncated_body = r#"{"format": "galchem-checkpoint", "version": 1, "body": {"epoch": 2}}"#;
    std::fs::write(&path, truncated_body).unwrap();
    assert!(refusal(&theta, &x, &tc, &path).contains("corrupt contents"));
    let newer = r#"{"format": "galchem-checkpoint", "version": 9, "body": {}}"#;
    std::fs::write(&path, newer).unwrap();
    assert!(refusal(&theta, &x, &tc, &path).contains("newer galchem"));
    let (maf, _) = flow::train(
        theta.view(),
        x.view(),
        &flow_config(),
        &flow_train_config(None),
    )
    .unwrap();
    maf.save(&path).unwrap();
    assert!(refusal(&theta, &x, &tc, &path).contains("it is a 'galchem-flow' file"));

    // a checkpoint into a directory that does not exist is refused before training
    let nowhere = FlowTrainConfig {
        checkpoint: Some(dir.path().join("no/such/dir/c.ckpt")),
        ..tc
    };
    let err = flow::train(theta.view(), x.view(), &flow_config(), &nowhere).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Io, "{err}");
}

/// A small regression problem for the loop itself.
fn regression() -> (Mlp, Array2<f32>, Array2<f32>) {
    let x = Array2::from_shape_fn((200, 2), |(i, j)| ((i * (j + 3)) % 17) as f32 * 0.1);
    let y = Array2::from_shape_fn((200, 1), |(i, _)| (i % 11) as f32 * 0.05);
    let mlp = Mlp::new(&[2, 8, 1], Activation::Tanh, Activation::Identity).unwrap();
    (mlp, x, y)
}

#[test]
fn the_time_budget_ends_a_run_with_its_weights() {
    let (mlp, x, y) = regression();
    let obj = Supervised::new(&mlp, Loss::Mse, x.view(), y.view()).unwrap();
    let p0 = mlp.init_params(1);
    let mut p = p0.clone();
    let mut o = OptimizerConfig::schedule_free(1e-3).build().unwrap();
    let cfg = TrainConfig {
        time_budget: Some(0.0),
        label: "test".into(),
        ..TrainConfig::default()
    };
    let h = train(&obj, None, &mut p, o.as_mut(), &cfg, None).unwrap();
    assert_eq!(
        (h.termination, h.steps, h.epochs()),
        (Termination::TimeBudget, 0, 0)
    );
    assert!(h.stopped_early);
    assert_eq!(bits(&p), bits(&p0), "no step, no change");

    let cfg = TrainConfig {
        epochs: 1_000_000_000,
        batch_size: 16,
        time_budget: Some(0.3),
        label: "test".into(),
        ..TrainConfig::default()
    };
    let h = train(&obj, None, &mut p, o.as_mut(), &cfg, None).unwrap();
    assert_eq!(h.termination, Termination::TimeBudget);
    assert!(h.seconds >= 0.3 && h.seconds < 2.0, "{}", h.seconds);
    assert!(h.steps > 0 && p.iter().all(|v| v.is_finite()));
    let bad = TrainConfig {
        time_budget: Some(-1.0),
        ..cfg
    };
    assert_eq!(
        train(&obj, None, &mut p, o.as_mut(), &bad, None)
            .unwrap_err()
            .kind(),
        ErrorKind::Option
    );
}

#[test]
fn the_flow_trains_with_the_optimizer_it_is_given() {
    assert_eq!(
        FlowTrainConfig::default().optimizer_config(),
        OptimizerConfig::adam(5e-4)
    );
    let (theta, x) = flow_pairs(600, 3);
    let base = FlowTrainConfig {
        max_epochs: 4,
        ..flow_train_config(None)
    };
    let (adam, _) = flow::train(theta.view(), x.view(), &flow_config(), &base).unwrap();
    for (kind, wd) in [
        (OptimizerKind::AdamW, 0.01),
        (OptimizerKind::ScheduleFreeAdamW, 0.0),
    ] {
        let tc = FlowTrainConfig {
            optimizer: kind,
            weight_decay: wd,
            ..base.clone()
        };
        let (maf, rep): (Maf, FlowTrainReport) =
            flow::train(theta.view(), x.view(), &flow_config(), &tc).unwrap();
        assert!(rep.best_val_log_prob.is_finite(), "{kind:?}");
        assert_ne!(
            bits(maf.params()),
            bits(adam.params()),
            "{kind:?} trained like Adam"
        );
    }
    let bad = FlowTrainConfig {
        weight_decay: -1.0,
        ..base
    };
    let err = flow::train(theta.view(), x.view(), &flow_config(), &bad).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Option);
    assert!(err.to_string().contains("weight_decay"), "{err}");
}

#[test]
fn training_settings_written_before_still_parse() {
    let old = r#"{"learning_rate": 0.001, "batch_size": 100, "validation_fraction": 0.1,
        "patience": 20, "max_epochs": 50, "clip_grad_norm": 5.0, "seed": 3,
        "chunk_rows": 100, "parallel": true}"#;
    let tc: FlowTrainConfig = serde_json::from_str(old).unwrap();
    let expected = FlowTrainConfig {
        learning_rate: 1e-3,
        batch_size: 100,
        max_epochs: 50,
        seed: 3,
        ..FlowTrainConfig::default()
    };
    assert_eq!(tc, expected);
    assert_eq!(
        (
            tc.optimizer,
            tc.weight_decay,
            tc.time_budget,
            &tc.checkpoint
        ),
        (OptimizerKind::Adam, 0.0, None, &None)
    );
    let npe: NpeOptions =
        serde_json::from_str(&format!(r#"{{"n_sims": 10, "train": {old}}}"#)).unwrap();
    assert_eq!(npe.train, tc);
    let mut opts = serde_json::to_value(EmulatorOptions::default()).unwrap();
    opts.as_object_mut()
        .unwrap()
        .retain(|k, _| k != "time_budget" && k != "checkpoint");
    assert_eq!(
        serde_json::from_value::<EmulatorOptions>(opts).unwrap(),
        EmulatorOptions::default()
    );
}

#[test]
fn training_records_written_before_read_as_completed() {
    let (theta, x) = flow_pairs(600, 1);
    let (_, rep) = flow::train(
        theta.view(),
        x.view(),
        &flow_config(),
        &flow_train_config(None),
    )
    .unwrap();
    let info = TrainingInfo {
        source: "pairs".into(),
        n_sims: 600,
        n_failed: 0,
        n_excluded: 0,
        n_train: rep.n_train,
        n_val: rep.n_val,
        epochs: rep.epochs,
        best_epoch: rep.best_epoch,
        best_val_log_prob: rep.best_val_log_prob,
        simulate_seconds: 0.0,
        train_seconds: 1.0,
        seed: 1,
        train_config: FlowTrainConfig::default(),
        train_loss: rep.train_loss.clone(),
        val_loss: rep.val_loss.clone(),
        termination: Termination::Interrupted,
        resumed_from_epoch: None,
    };
    let back: TrainingInfo = serde_json::from_value(without(&info, &["termination"])).unwrap();
    assert_eq!(
        back,
        TrainingInfo {
            termination: Termination::Completed,
            ..info
        }
    );
    let old = without(&rep, &["termination", "resumed_from_epoch"]);
    let back: FlowTrainReport = serde_json::from_value(old).unwrap();
    assert_eq!(
        back,
        FlowTrainReport {
            termination: Termination::Completed,
            ..rep
        }
    );

    let (theta, y) = nn_util::synthetic(200, 1);
    let opts = EmulatorOptions {
        epochs: 2,
        ..emulator_options(None)
    };
    let (_, er) = Emulator::train(theta.view(), y.view(), None, &opts).unwrap();
    let mut old = without(&er, &["termination", "resumed_from_epoch"]);
    old["options"] = without(&er.options, &["time_budget", "checkpoint"]);
    let back = serde_json::from_value::<TrainReport>(old).unwrap();
    assert_eq!(
        back,
        TrainReport {
            termination: Termination::Completed,
            ..er
        }
    );
}

#[test]
fn histories_keep_non_finite_losses_and_name_their_termination() {
    let h = TrainHistory {
        val_loss: vec![f64::NAN, 1.0],
        best_val_loss: Some(f64::INFINITY),
        termination: Termination::TimeBudget,
        ..TrainHistory::default()
    };
    let json = serde_json::to_string(&h).unwrap();
    assert!(json.contains(r#""termination":"time_budget""#), "{json}");
    let back: TrainHistory = serde_json::from_str(&json).unwrap();
    assert!(back.val_loss[0].is_nan() && back.val_loss[1] == 1.0);
    assert_eq!(
        (back.best_val_loss, back.termination),
        (Some(f64::INFINITY), Termination::TimeBudget)
    );
    for t in Termination::ALL {
        assert_eq!(
            serde_json::to_string(&t).unwrap(),
            format!("\"{}\"", t.name())
        );
        assert_eq!(
            t.is_finished(),
            matches!(t, Termination::Completed | Termination::EarlyStopped)
        );
    }
}

/// `value` as JSON without the keys `drop`.
fn without<T: serde::Serialize>(value: &T, drop: &[&str]) -> serde_json::Value {
    let mut v = serde_json::to_value(value).unwrap();
    for k in drop {
        assert!(
            v.as_object_mut().unwrap().remove(*k).is_some(),
            "no field {k}"
        );
    }
    v
}
