//! Ctrl-C and SIGTERM end a training with a result (their own test binary, because the
//! interrupt flag is process-wide; the tests take turns through [`lock`]).
//!
//! - Ctrl-C mid-epoch: the best weights so far, `Termination::Interrupted`, the request
//!   consumed, for the loop, the flow and the emulator;
//! - SIGTERM: `Termination::Terminated`, the request still pending, a checkpoint on disk
//!   from which the run resumes to the parameters and history of an uninterrupted run, bit
//!   for bit (the loop mid-epoch with schedule-free AdamW, the flow, the NPE pipeline).

mod nn_util;
mod train_util;

use galchem::flow;
use galchem::infer::npe::pipeline::{train_npe, train_npe_with, NpeOptions};
use galchem::interrupt::{self, StopReason};
use galchem::model::{LinearGaussian, Marginal, ParamSpace, Prior};
use galchem::nn::objective::{mean_loss, SupervisedWorkspace};
use galchem::nn::{
    checkpoint, train, Activation, Control, EarlyStopping, Emulator, EpochStats, Loss, Mlp,
    Objective, OptimizerConfig, Supervised, Termination, TrainConfig,
};
use ndarray::Array2;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};
use train_util::*;

static TURN: Mutex<()> = Mutex::new(());

/// One test at a time; the flag is cleared before the test and when it ends (even by a
/// panic).
struct Turn(#[allow(dead_code)] MutexGuard<'static, ()>);

impl Drop for Turn {
    fn drop(&mut self) {
        interrupt::clear();
    }
}

fn lock() -> Turn {
    let guard = TURN.lock().unwrap_or_else(|e| e.into_inner());
    interrupt::clear();
    Turn(guard)
}

/// A regression objective that raises a stop request during its `at`-th gradient call
/// (1-based; one call per mini-batch when a batch is one chunk computed serially).
struct Tripwire<'a> {
    inner: Supervised<'a>,
    at: usize,
    reason: StopReason,
    calls: AtomicUsize,
}

impl<'a> Tripwire<'a> {
    fn new(inner: Supervised<'a>, at: usize, reason: StopReason) -> Self {
        Self {
            inner,
            at,
            reason,
            calls: AtomicUsize::new(0),
        }
    }
}

impl Objective for Tripwire<'_> {
    type Workspace = SupervisedWorkspace;

    fn n_params(&self) -> usize {
        self.inner.n_params()
    }
    fn n_rows(&self) -> usize {
        self.inner.n_rows()
    }
    fn workspace(&self, max_rows: usize) -> SupervisedWorkspace {
        self.inner.workspace(max_rows)
    }
    fn loss_grad(
        &self,
        p: &[f32],
        rows: &[usize],
        ws: &mut SupervisedWorkspace,
        g: &mut [f32],
    ) -> f64 {
        if self.calls.fetch_add(1, Ordering::SeqCst) + 1 == self.at {
            interrupt::request(self.reason);
        }
        self.inner.loss_grad(p, rows, ws, g)
    }
    fn loss(&self, p: &[f32], rows: &[usize], ws: &mut SupervisedWorkspace) -> f64 {
        self.inner.loss(p, rows, ws)
    }
    fn fingerprint(&self) -> Option<u64> {
        self.inner.fingerprint()
    }
}

/// Training and validation data of a small regression: 160 + 40 rows.
fn data() -> [Array2<f32>; 4] {
    let x = |n: usize, o: usize| {
        Array2::from_shape_fn((n, 2), |(i, j)| {
            (((i + o) * (j + 3)) % 17) as f32 * 0.1 - 0.8
        })
    };
    let y = |x: &Array2<f32>| {
        Array2::from_shape_fn((x.nrows(), 1), |(i, _)| (x[[i, 0]] * 2.0).sin() * x[[i, 1]])
    };
    let (xt, xv) = (x(160, 0), x(40, 7));
    let (yt, yv) = (y(&xt), y(&xv));
    [xt, yt, xv, yv]
}

fn mlp() -> Mlp {
    Mlp::new(&[2, 8, 1], Activation::Tanh, Activation::Identity).unwrap()
}

/// 10 batches of 16 rows per epoch, one serial chunk each.
fn loop_config(epochs: usize) -> TrainConfig {
    TrainConfig {
        batch_size: 16,
        chunk_rows: 16,
        parallel: false,
        epochs,
        early_stopping: Some(EarlyStopping {
            patience: 100,
            restore_best: true,
        }),
        label: "test".into(),
        ..TrainConfig::default()
    }
}

#[test]
fn ctrl_c_mid_epoch_returns_the_best_weights_and_is_consumed() {
    let _turn = lock();
    let [xt, yt, xv, yv] = data();
    let mlp = mlp();
    let obj = Tripwire::new(
        Supervised::new(&mlp, Loss::Mse, xt.view(), yt.view()).unwrap(),
        35,
        StopReason::Interrupt,
    );
    let val = Tripwire::new(
        Supervised::new(&mlp, Loss::Mse, xv.view(), yv.view()).unwrap(),
        0,
        StopReason::Interrupt,
    );
    let mut p = mlp.init_params(1);
    let mut o = OptimizerConfig::adam(1e-2).build().unwrap();
    let h = train(&obj, Some(&val), &mut p, o.as_mut(), &loop_config(50), None).unwrap();
    assert_eq!(h.termination, Termination::Interrupted);
    assert_eq!(interrupt::pending(), None, "the Ctrl-C was consumed");
    assert_eq!(
        (h.epochs(), h.steps),
        (3, 35),
        "stopped after the step under way, mid-epoch"
    );
    assert!(h.restored_best && h.stopped_early);
    assert_eq!(
        Some(mean_loss(&val, &p, 1024)),
        h.best_val_loss,
        "the best weights"
    );

    // without validation: the weights of the last completed step, also in the checkpoint
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("adam.ckpt");
    let cfg = TrainConfig {
        checkpoint: Some(path.clone()),
        ..loop_config(50)
    };
    let obj = Tripwire::new(
        Supervised::new(&mlp, Loss::Mse, xt.view(), yt.view()).unwrap(),
        12,
        StopReason::Interrupt,
    );
    let mut p = mlp.init_params(1);
    let mut o = OptimizerConfig::adam(1e-2).build().unwrap();
    let h = train(&obj, None, &mut p, o.as_mut(), &cfg, None).unwrap();
    assert_eq!(
        (h.termination, h.steps, h.epochs(), h.restored_best),
        (Termination::Interrupted, 12, 1, false)
    );
    assert_eq!(interrupt::pending(), None);
    let saved = checkpoint::load(&path).unwrap();
    assert_eq!(
        bits(&saved.params),
        bits(&p),
        "the returned weights are the saved ones"
    );
    assert_eq!(saved.cursor.map(|c| (c.batches, c.rows)), Some((2, 32)));
}

#[test]
fn a_pending_interrupt_stops_training_before_its_first_step() {
    let _turn = lock();
    let [xt, yt, ..] = data();
    let mlp = mlp();
    let obj = Supervised::new(&mlp, Loss::Mse, xt.view(), yt.view()).unwrap();
    let p0 = mlp.init_params(1);
    let mut p = p0.clone();
    let mut o = OptimizerConfig::schedule_free(1e-3).build().unwrap();
    interrupt::request(StopReason::Interrupt);
    let h = train(&obj, None, &mut p, o.as_mut(), &loop_config(5), None).unwrap();
    assert_eq!((h.termination, h.steps), (Termination::Interrupted, 0));
    assert_eq!(interrupt::pending(), None);
    assert_eq!(bits(&p), bits(&p0));
    let h = train(&obj, None, &mut p, o.as_mut(), &loop_config(5), None).unwrap();
    assert_eq!((h.termination, h.steps), (Termination::Completed, 50));
}

#[test]
fn sigterm_mid_epoch_leaves_a_checkpoint_that_resumes_bit_for_bit() {
    let _turn = lock();
    let [xt, yt, xv, yv] = data();
    let mlp = mlp();
    let sf = OptimizerConfig::schedule_free(5e-3);
    let plain = |x, y| Supervised::new(&mlp, Loss::Mse, x, y).unwrap();
    let (obj, val) = (
        Tripwire::new(plain(xt.view(), yt.view()), 0, StopReason::Terminate),
        Tripwire::new(plain(xv.view(), yv.view()), 0, StopReason::Terminate),
    );
    let mut p_ref = mlp.init_params(2);
    let mut o = sf.build().unwrap();
    let h_ref = train(
        &obj,
        Some(&val),
        &mut p_ref,
        o.as_mut(),
        &loop_config(8),
        None,
    )
    .unwrap();
    assert_eq!(h_ref.termination, Termination::Completed);

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("loop.ckpt");
    let cfg = TrainConfig {
        checkpoint: Some(path.clone()),
        ..loop_config(8)
    };
    let obj = Tripwire::new(plain(xt.view(), yt.view()), 47, StopReason::Terminate);
    let mut p = mlp.init_params(2);
    let mut o = sf.build().unwrap();
    let h = train(&obj, Some(&val), &mut p, o.as_mut(), &cfg, None).unwrap();
    assert_eq!(
        (h.termination, h.steps, h.epochs()),
        (Termination::Terminated, 47, 4)
    );
    assert_eq!(
        interrupt::pending(),
        Some(StopReason::Terminate),
        "SIGTERM stays pending"
    );
    assert!(h.restored_best && p.iter().all(|v| v.is_finite()));
    let saved = checkpoint::load(&path).unwrap();
    assert_eq!((saved.epoch, saved.cursor.map(|c| c.batches)), (4, Some(7)));
    assert_eq!(saved.history.epochs(), 4);
    assert_eq!(saved.history.termination, Termination::Terminated);

    interrupt::clear();
    let mut p = mlp.init_params(2);
    let mut o = sf.build().unwrap();
    let h = train(&val_free(&obj), Some(&val), &mut p, o.as_mut(), &cfg, None).unwrap();
    assert_eq!(h.resumed_from_epoch, Some(4));
    assert_eq!(bits(&p), bits(&p_ref));
    assert_eq!(history_comparable(&h), history_comparable(&h_ref));
    assert!(!path.exists(), "a finished run deletes its checkpoint");
}

/// The same objective without its tripwire.
fn val_free<'a>(t: &Tripwire<'a>) -> Tripwire<'a> {
    Tripwire::new(t.inner.clone(), 0, StopReason::Terminate)
}

/// An observer that raises `reason` after epoch `at`.
fn raise_after(at: usize, reason: StopReason) -> impl FnMut(&EpochStats) -> Control {
    move |s: &EpochStats| {
        if s.epoch == at {
            interrupt::request(reason);
        }
        Control::Continue
    }
}

#[test]
fn the_flow_ends_on_sigterm_with_a_checkpoint_and_resumes_bit_for_bit() {
    let _turn = lock();
    let (theta, x) = flow_pairs(600, 1);
    let (maf0, rep0) = flow::train(
        theta.view(),
        x.view(),
        &flow_config(),
        &flow_train_config(None),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("flow.ckpt");
    let tc = flow_train_config(Some(path.clone()));
    let mut sigterm = raise_after(1, StopReason::Terminate);
    let (maf, rep) = flow::train_with(
        theta.view(),
        x.view(),
        &flow_config(),
        &tc,
        Some(&mut sigterm),
    )
    .unwrap();
    assert_eq!((rep.termination, rep.epochs), (Termination::Terminated, 2));
    assert_eq!(interrupt::pending(), Some(StopReason::Terminate));
    assert!(path.exists());
    assert!(maf
        .log_prob(theta.view(), x.view())
        .unwrap()
        .iter()
        .all(|v| v.is_finite()));
    interrupt::clear();
    let (maf, rep) = flow::train(theta.view(), x.view(), &flow_config(), &tc).unwrap();
    assert_same_flow(&maf, &maf0);
    assert_eq!(flow_comparable(&rep), flow_comparable(&rep0));
    assert!(!path.exists());
}

#[test]
fn npe_records_a_sigterm_and_the_same_call_resumes() {
    let _turn = lock();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("npe.ckpt");
    let space = ParamSpace::from_names(&["a", "b"], &["a"]).unwrap();
    let normal = |mean, std| Marginal::Normal { mean, std };
    let prior = Prior::new(space, vec![normal(0.0, 1.0), normal(1.0, 0.5)]).unwrap();
    let a = ndarray::array![[1.0, 0.5], [-0.3, 1.2], [0.8, -0.6]];
    let sim = LinearGaussian::new(prior.clone(), a, vec![0.0; 3], vec![0.1; 3]).unwrap();
    let opts = NpeOptions {
        n_sims: 600,
        flow: flow_config(),
        train: flow_train_config(Some(path.clone())),
        seed: 3,
        ..NpeOptions::default()
    };
    let plain = NpeOptions {
        train: flow_train_config(None),
        ..opts.clone()
    };
    let (post0, _) = train_npe(&prior, &sim, &plain).unwrap();
    let mut sigterm = raise_after(0, StopReason::Terminate);
    let (post, report) = train_npe_with(&prior, &sim, &opts, Some(&mut sigterm)).unwrap();
    assert_eq!(post.training().termination, Termination::Terminated);
    assert_eq!(report.train.termination, Termination::Terminated);
    assert_eq!(interrupt::pending(), Some(StopReason::Terminate));
    assert!(path.exists());
    interrupt::clear();
    let (post, _) = train_npe(&prior, &sim, &opts).unwrap();
    assert_same_flow(post.flow(), post0.flow());
    assert_eq!(post.training().termination, post0.training().termination);
    assert!(!path.exists());
}

#[test]
fn ctrl_c_keeps_a_usable_emulator() {
    let _turn = lock();
    let (theta, y) = nn_util::synthetic(500, 2);
    let mut ctrl_c = raise_after(1, StopReason::Interrupt);
    let (emu, rep) = Emulator::train_with(
        theta.view(),
        y.view(),
        None,
        &emulator_options(None),
        Some(&mut ctrl_c),
    )
    .unwrap();
    assert_eq!((rep.termination, rep.epochs), (Termination::Interrupted, 2));
    assert!(rep.stopped_early);
    assert_eq!(interrupt::pending(), None);
    assert_eq!(emu.training().termination, Termination::Interrupted);
    let pred = emu.predict(theta.view()).unwrap();
    assert!(pred.iter().all(|v| v.is_finite()) && rep.val_mse.is_some_and(f64::is_finite));
}
