//! The training loop: it learns, it is deterministic for any thread count, it orders
//! mini-batches as configured, early stopping restores the best weights, masked weights stay
//! zero under every optimizer, and a diverging loss is an error.

use galchem::nn::objective::mean_loss;
use galchem::nn::{
    train, Activation, AdamHyper, Control, Dense, EarlyStopping, EpochStats, Loss, Mlp, NnError,
    Objective, OptimizerConfig, ParamLayout, ScheduleFreeHyper, Shuffle, Supervised, TrainConfig,
};
use ndarray::{s, Array2, ArrayView2};
use rand::Rng;
use std::sync::Mutex;

fn smooth_data(n: usize, seed: u64) -> (Array2<f32>, Array2<f32>) {
    let mut r = galchem::rng::rng(seed);
    let x = Array2::from_shape_fn((n, 3), |_| r.gen_range(-1.0f32..1.0));
    let y = Array2::from_shape_fn((n, 2), |(i, j)| {
        let (a, b, c) = (x[[i, 0]], x[[i, 1]], x[[i, 2]]);
        if j == 0 {
            (1.5 * a).sin() * b + 0.3 * c
        } else {
            a * a - 0.5 * b * c
        }
    });
    (x, y)
}

fn quiet(cfg: TrainConfig) -> TrainConfig {
    TrainConfig {
        label: "test".into(),
        ..cfg
    }
}

#[test]
fn learns_a_smooth_function_with_every_optimizer() {
    let (x, y) = smooth_data(1024, 1);
    let (xv, yv) = smooth_data(256, 2);
    let mlp = Mlp::new(&[3, 32, 2], Activation::Tanh, Activation::Identity).unwrap();
    let obj = Supervised::new(&mlp, Loss::Mse, x.view(), y.view()).unwrap();
    let val = Supervised::new(&mlp, Loss::Mse, xv.view(), yv.view()).unwrap();
    let var: f64 = yv.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>() / yv.len() as f64;
    for opt in [
        OptimizerConfig::adam(1e-2),
        OptimizerConfig::adamw(1e-2, 1e-4),
        OptimizerConfig::schedule_free(1e-2),
    ] {
        let mut params = mlp.init_params(3);
        let before = mean_loss(&val, &params, 100);
        let cfg = quiet(TrainConfig {
            batch_size: 32,
            epochs: 60,
            ..TrainConfig::default()
        });
        let mut o = opt.build().unwrap();
        let h = train(&obj, Some(&val), &mut params, o.as_mut(), &cfg, None).unwrap();
        assert_eq!(h.epochs(), 60);
        assert_eq!(h.steps, 60 * 32);
        let after = mean_loss(&val, &params, 100);
        assert!(
            (after - h.val_loss[59]).abs() <= 1e-12 * after,
            "{after} vs {:?}",
            h.val_loss
        );
        assert!(
            after < 0.01 * var && after < 0.05 * before,
            "{}: validation MSE {after} (before {before}, variance {var})",
            opt.name()
        );
    }
}

fn train_small(parallel: bool) -> Vec<f32> {
    let (x, y) = smooth_data(300, 5);
    let mlp = Mlp::new(&[3, 24, 2], Activation::Tanh, Activation::Identity).unwrap();
    let obj = Supervised::new(&mlp, Loss::Mse, x.view(), y.view()).unwrap();
    let mut params = mlp.init_params(7);
    let cfg = quiet(TrainConfig {
        batch_size: 64,
        chunk_rows: 16,
        epochs: 3,
        parallel,
        ..TrainConfig::default()
    });
    let mut o = OptimizerConfig::schedule_free(1e-3).build().unwrap();
    train(&obj, Some(&obj), &mut params, o.as_mut(), &cfg, None).unwrap();
    params
}

#[test]
fn results_do_not_depend_on_the_thread_count() {
    let pool = |n| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .unwrap()
    };
    let one = pool(1).install(|| train_small(true));
    let two = pool(2).install(|| train_small(true));
    let serial = pool(2).install(|| train_small(false));
    let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&one), bits(&two));
    assert_eq!(bits(&one), bits(&serial));
}

/// Row loss ½(p₀ − t_r)², one parameter; records the rows of every call.
struct Recorder {
    targets: Vec<f32>,
    calls: Mutex<Vec<Vec<usize>>>,
}

impl Recorder {
    fn new(targets: Vec<f32>) -> Self {
        Self {
            targets,
            calls: Mutex::new(Vec::new()),
        }
    }
}

impl Objective for Recorder {
    type Workspace = ();
    fn n_params(&self) -> usize {
        1
    }
    fn n_rows(&self) -> usize {
        self.targets.len()
    }
    fn workspace(&self, _max_rows: usize) {}
    fn loss_grad(&self, p: &[f32], rows: &[usize], _: &mut (), grad: &mut [f32]) -> f64 {
        self.calls.lock().unwrap().push(rows.to_vec());
        let mut l = 0.0;
        for &r in rows {
            let e = p[0] - self.targets[r];
            l += 0.5 * f64::from(e * e);
            grad[0] += e;
        }
        l
    }
    fn loss(&self, p: &[f32], rows: &[usize], _: &mut ()) -> f64 {
        rows.iter()
            .map(|&r| 0.5 * f64::from((p[0] - self.targets[r]).powi(2)))
            .sum()
    }
}

fn batches(shuffle: Shuffle, drop_last: bool, chunk_rows: usize) -> Vec<Vec<usize>> {
    let obj = Recorder::new(vec![0.0; 10]);
    let cfg = quiet(TrainConfig {
        batch_size: 4,
        epochs: 3,
        shuffle,
        drop_last,
        chunk_rows,
        parallel: false,
        seed: 9,
        ..TrainConfig::default()
    });
    let mut o = OptimizerConfig::adam(1e-3).build().unwrap();
    train(&obj, None, &mut [0.0], o.as_mut(), &cfg, None).unwrap();
    obj.calls.into_inner().unwrap()
}

fn epochs_of(calls: &[Vec<usize>], per_epoch: usize) -> Vec<Vec<usize>> {
    calls.chunks(per_epoch).map(|c| c.concat()).collect()
}

#[test]
fn mini_batches_follow_the_shuffle_mode() {
    let sorted = |v: &[usize]| {
        let mut v = v.to_vec();
        v.sort();
        v
    };
    let all: Vec<usize> = (0..10).collect();
    // every epoch a new permutation, last batch smaller
    let c = batches(Shuffle::EveryEpoch, false, 4);
    assert_eq!(
        c.iter().map(Vec::len).collect::<Vec<_>>(),
        [4, 4, 2].repeat(3)
    );
    let e = epochs_of(&c, 3);
    assert!(e.iter().all(|p| sorted(p) == all));
    assert!(e[0] != e[1] && e[1] != e[2] && e[0] != all);
    // shuffled once: the same sequential batches every epoch (spec A.5.1)
    let e = epochs_of(&batches(Shuffle::Once, false, 4), 3);
    assert!(e[0] == e[1] && e[1] == e[2] && e[0] != all && sorted(&e[0]) == all);
    // never: given order; drop_last drops the 2-row batch
    let c = batches(Shuffle::Never, true, 4);
    assert_eq!(c.len(), 6);
    assert_eq!(c[0], vec![0, 1, 2, 3]);
    assert_eq!(c[1], vec![4, 5, 6, 7]);
    // chunks of 3 inside batches of 4: the objective sees 3 + 1 rows
    let c = batches(Shuffle::Never, false, 3);
    assert_eq!(c[..4], [vec![0, 1, 2], vec![3], vec![4, 5, 6], vec![7]]);
}

#[test]
fn early_stopping_restores_the_best_weights() {
    // training pulls p towards 10, validation prefers 3: the validation loss falls, then rises
    let obj = Recorder::new(vec![10.0; 8]);
    let val = Recorder::new(vec![3.0; 4]);
    let cfg = quiet(TrainConfig {
        batch_size: 8,
        epochs: 100,
        early_stopping: Some(EarlyStopping {
            patience: 3,
            restore_best: true,
        }),
        ..TrainConfig::default()
    });
    let mut seen = Vec::new();
    let mut observer = |s: &EpochStats| {
        seen.push(s.epoch);
        Control::Continue
    };
    let mut p = [0.0f32];
    let mut o = OptimizerConfig::adam(0.5).build().unwrap();
    let h = train(
        &obj,
        Some(&val),
        &mut p,
        o.as_mut(),
        &cfg,
        Some(&mut observer),
    )
    .unwrap();
    let best = h.best_epoch.unwrap();
    assert!(h.stopped_early && h.restored_best);
    assert!(best > 2, "best epoch {best}");
    assert_eq!(h.val_loss.len(), best + 4, "stops after patience epochs");
    assert_eq!(seen.len(), h.val_loss.len());
    let min = h.val_loss.iter().copied().fold(f64::INFINITY, f64::min);
    assert_eq!(h.best_val_loss, Some(min));
    assert_eq!(h.val_loss[best], min);
    assert_eq!(
        mean_loss(&val, &p, 4),
        min,
        "restored weights are the best ones"
    );
    assert!((p[0] - 3.0).abs() < 0.5, "{}", p[0]);

    // an observer can stop training too
    let mut p = [0.0f32];
    let mut o = OptimizerConfig::adam(0.5).build().unwrap();
    let mut stop_at_2 = |s: &EpochStats| {
        if s.epoch == 2 {
            Control::Stop
        } else {
            Control::Continue
        }
    };
    let cfg = quiet(TrainConfig {
        batch_size: 8,
        epochs: 10,
        ..TrainConfig::default()
    });
    let h = train(&obj, None, &mut p, o.as_mut(), &cfg, Some(&mut stop_at_2)).unwrap();
    assert_eq!(h.epochs(), 3);
    assert!(h.stopped_early && !h.restored_best);
}

/// A masked linear layer fitted by MSE.
struct MaskedFit {
    layer: Dense,
    n_params: usize,
    x: Array2<f32>,
    y: Array2<f32>,
}

impl Objective for MaskedFit {
    type Workspace = Array2<f32>;
    fn n_params(&self) -> usize {
        self.n_params
    }
    fn n_rows(&self) -> usize {
        self.x.nrows()
    }
    fn workspace(&self, max_rows: usize) -> Array2<f32> {
        Array2::zeros((max_rows, 2 * self.layer.n_out()))
    }
    fn loss_grad(&self, p: &[f32], rows: &[usize], ws: &mut Array2<f32>, g: &mut [f32]) -> f64 {
        let (x, y) = gather(&self.x, &self.y, rows);
        let d = self.layer.n_out();
        let n = rows.len();
        let (mut out, mut dout) = ws.slice_mut(s![..n, ..]).split_at(ndarray::Axis(1), d);
        self.layer.forward(p, x.view(), out.view_mut());
        let l = Loss::Mse.value_grad(out.view(), y.view(), dout.view_mut());
        self.layer.backward(p, x.view(), dout.view(), g, None);
        l
    }
    fn loss(&self, p: &[f32], rows: &[usize], ws: &mut Array2<f32>) -> f64 {
        let mut g = vec![0.0; self.n_params];
        self.loss_grad(p, rows, ws, &mut g)
    }
}

fn gather(x: &Array2<f32>, y: &Array2<f32>, rows: &[usize]) -> (Array2<f32>, Array2<f32>) {
    (
        x.select(ndarray::Axis(0), rows),
        y.select(ndarray::Axis(0), rows),
    )
}

#[test]
fn masked_weights_stay_exactly_zero_under_every_optimizer() {
    let mask = Array2::from_shape_fn((4, 3), |(i, o)| i <= o + 1);
    let mut layout = ParamLayout::new();
    let layer = Dense::masked(&mut layout, mask.view());
    let mut r = galchem::rng::rng(4);
    let x = Array2::from_shape_fn((64, 4), |_| r.gen_range(-1.0f32..1.0));
    let y = Array2::from_shape_fn((64, 3), |(i, j)| x.row(i).sum() * (j as f32 + 1.0));
    let obj = MaskedFit {
        layer: layer.clone(),
        n_params: layout.len(),
        x,
        y,
    };
    for opt in [
        OptimizerConfig::adam(1e-2),
        OptimizerConfig::adamw(1e-2, 0.1),
        OptimizerConfig::ScheduleFreeAdamW(ScheduleFreeHyper {
            adam: AdamHyper::torch(1e-2, 0.1),
            warmup_steps: 3,
            r: 0.0,
            weight_lr_power: 2.0,
        }),
    ] {
        let mut p = vec![0.0; layout.len()];
        layer.init(&mut p, &mut galchem::rng::rng(1));
        let before = p.clone();
        let cfg = quiet(TrainConfig {
            batch_size: 16,
            epochs: 5,
            clip_grad_norm: Some(1.0),
            ..TrainConfig::default()
        });
        let mut o = opt.build().unwrap();
        train(&obj, None, &mut p, o.as_mut(), &cfg, None).unwrap();
        let w = layer.weights(&p);
        for ((i, j), &keep) in mask.indexed_iter() {
            if keep {
                assert_ne!(w[[i, j]], layer.weights(&before)[[i, j]], "{}", opt.name());
            } else {
                assert_eq!(w[[i, j]].to_bits(), 0, "{}: ({i},{j})", opt.name());
            }
        }
    }
}

#[test]
fn divergence_and_bad_settings_are_errors() {
    let (x, mut y) = smooth_data(50, 3);
    y[[7, 1]] = f32::NAN;
    let mlp = Mlp::new(&[3, 4, 2], Activation::Tanh, Activation::Identity).unwrap();
    let obj = Supervised::new(&mlp, Loss::Mse, x.view(), y.view()).unwrap();
    let mut p = mlp.init_params(1);
    let mut o = OptimizerConfig::adam(1e-3).build().unwrap();
    let cfg = quiet(TrainConfig::default());
    let e = train(&obj, None, &mut p, o.as_mut(), &cfg, None).unwrap_err();
    assert!(matches!(e, NnError::NonFiniteLoss { epoch: 0, .. }), "{e}");
    let bad = quiet(TrainConfig {
        batch_size: 0,
        ..TrainConfig::default()
    });
    assert!(train(&obj, None, &mut p, o.as_mut(), &bad, None).is_err());
    assert!(train(&obj, None, &mut p[1..], o.as_mut(), &cfg, None).is_err());
    let few = quiet(TrainConfig {
        batch_size: 64,
        drop_last: true,
        ..TrainConfig::default()
    });
    assert!(matches!(
        train(&obj, None, &mut p, o.as_mut(), &few, None),
        Err(NnError::TooFewRows { .. })
    ));
    let wrong: ArrayView2<f32> = y.slice(s![..10, ..]);
    assert!(Supervised::new(&mlp, Loss::Mse, x.view(), wrong).is_err());
}
