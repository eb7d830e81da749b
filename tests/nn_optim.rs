//! The optimizers against small independent f64 implementations of their defining
//! equations (spec A.5.2 for schedule-free AdamW, via its three-sequence form), on a
//! non-quadratic test function, step by step.

use galchem::nn::{
    Adam, AdamHyper, AdamW, NnError, Optimizer, OptimizerConfig, ScheduleFreeAdamW,
    ScheduleFreeHyper,
};

const N: usize = 5;

/// Gradient of f(p) = Σ a_i (p_i − c_i)² + 0.3 Σ sin(p_i p_{i+1}), in f64.
fn grad64(p: &[f64]) -> Vec<f64> {
    let a = [1.0, 0.5, 2.0, 0.1, 1.5];
    let c = [0.3, -1.0, 0.8, 2.0, -0.4];
    let mut g: Vec<f64> = (0..N).map(|i| 2.0 * a[i] * (p[i] - c[i])).collect();
    for i in 0..N - 1 {
        let t = 0.3 * (p[i] * p[i + 1]).cos();
        g[i] += t * p[i + 1];
        g[i + 1] += t * p[i];
    }
    g
}

fn grad32(p: &[f32]) -> Vec<f32> {
    let p64: Vec<f64> = p.iter().map(|&v| f64::from(v)).collect();
    grad64(&p64).iter().map(|&g| g as f32).collect()
}

const P0: [f64; N] = [0.5, 0.2, -0.7, 1.1, 0.0];

fn assert_close(what: &str, ours: &[f32], reference: &[f64], tol: f64) {
    for (i, (&o, &r)) in ours.iter().zip(reference).enumerate() {
        assert!(
            (f64::from(o) - r).abs() <= tol * (1.0 + r.abs()),
            "{what}: entry {i}: ours {o}, reference {r}"
        );
    }
}

/// Textbook Adam/AdamW in f64: m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ), p −= lr·m̂/(√v̂ + ε).
fn adam_reference(steps: usize, lr: f64, l2: f64, decoupled: f64, eps: f64) -> Vec<f64> {
    let (b1, b2) = (0.9f64, 0.999f64);
    let mut p = P0.to_vec();
    let (mut m, mut v) = (vec![0.0; N], vec![0.0; N]);
    for t in 1..=steps {
        let mut g = grad64(&p);
        for i in 0..N {
            p[i] *= 1.0 - lr * decoupled;
            g[i] += l2 * p[i] / (1.0 - lr * decoupled);
            m[i] = b1 * m[i] + (1.0 - b1) * g[i];
            v[i] = b2 * v[i] + (1.0 - b2) * g[i] * g[i];
            let mh = m[i] / (1.0 - b1.powi(t as i32));
            let vh = v[i] / (1.0 - b2.powi(t as i32));
            p[i] -= lr * mh / (vh.sqrt() + eps);
        }
    }
    p
}

fn run(opt: &mut dyn Optimizer, steps: usize) -> Vec<f32> {
    let mut p: Vec<f32> = P0.iter().map(|&v| v as f32).collect();
    opt.train(&mut p);
    for _ in 0..steps {
        let g = grad32(&p);
        opt.step(&mut p, &g).unwrap();
    }
    p
}

#[test]
fn adam_matches_the_textbook_equations() {
    for steps in [1, 2, 30] {
        let ours = run(&mut Adam::new(0.05), steps);
        assert_close(
            "adam",
            &ours,
            &adam_reference(steps, 0.05, 0.0, 0.0, 1e-8),
            2e-6,
        );
        let ours = run(&mut Adam::with(AdamHyper::torch(0.05, 0.1)), steps);
        assert_close(
            "adam l2",
            &ours,
            &adam_reference(steps, 0.05, 0.1, 0.0, 1e-8),
            2e-6,
        );
        let ours = run(&mut AdamW::new(0.05, 0.2), steps);
        assert_close(
            "adamw",
            &ours,
            &adam_reference(steps, 0.05, 0.0, 0.2, 1e-8),
            2e-6,
        );
        // a large ε makes its placement in the denominator visible
        let ours = run(
            &mut Adam::with(AdamHyper {
                eps: 0.5,
                ..AdamHyper::torch(0.05, 0.0)
            }),
            steps,
        );
        assert_close(
            "adam eps",
            &ours,
            &adam_reference(steps, 0.05, 0.0, 0.0, 0.5),
            2e-6,
        );
    }
    // sanity: the reference itself moves the parameters
    assert!((adam_reference(1, 0.05, 0.0, 0.0, 1e-8)[0] - P0[0]).abs() > 0.04);
}

/// Schedule-free AdamW in the three-sequence form of Defazio et al.:
/// z ← z − lr_k ĝ(y); x ← (1−c)x + c z; y = (1−β₁)z + β₁x; c = w_k/Σw.
struct SfReference {
    z: Vec<f64>,
    x: Vec<f64>,
    v: Vec<f64>,
    k: u64,
    weight_sum: f64,
    lr_max: f64,
}

impl SfReference {
    fn new() -> Self {
        Self {
            z: P0.to_vec(),
            x: P0.to_vec(),
            v: vec![0.0; N],
            k: 0,
            weight_sum: 0.0,
            lr_max: 0.0,
        }
    }

    fn y(&self, b1: f64) -> Vec<f64> {
        (0..N)
            .map(|i| (1.0 - b1) * self.z[i] + b1 * self.x[i])
            .collect()
    }

    #[allow(clippy::too_many_arguments)]
    fn step(&mut self, lr: f64, b1: f64, b2: f64, wd: f64, warmup: u64, r: f64, pow: f64) {
        let y = self.y(b1);
        let g = grad64(&y);
        let k = self.k as f64;
        let lr_k = if self.k < warmup {
            lr * (k + 1.0) / warmup as f64
        } else {
            lr
        };
        self.lr_max = self.lr_max.max(lr_k);
        let w = (k + 1.0).powf(r) * self.lr_max.powf(pow);
        self.weight_sum += w;
        let c = w / self.weight_sum;
        for i in 0..N {
            self.v[i] = b2 * self.v[i] + (1.0 - b2) * g[i] * g[i];
            let gh = g[i] / ((self.v[i] / (1.0 - b2.powf(k + 1.0))).sqrt() + 1e-8) + wd * y[i];
            self.z[i] -= lr_k * gh;
            self.x[i] = (1.0 - c) * self.x[i] + c * self.z[i];
        }
        self.k += 1;
    }
}

fn check_schedule_free(lr: f64, wd: f64, warmup: u64, r: f64, pow: f64, steps: usize) {
    let b1 = 0.9;
    let mut ours = ScheduleFreeAdamW::with(ScheduleFreeHyper {
        adam: AdamHyper {
            beta1: b1,
            ..AdamHyper::torch(lr, wd)
        },
        warmup_steps: warmup,
        r,
        weight_lr_power: pow,
    });
    let mut reference = SfReference::new();
    let mut p: Vec<f32> = P0.iter().map(|&v| v as f32).collect();
    // starts in eval mode: stepping is an error, train() before any step changes nothing
    let g0 = grad32(&p);
    assert!(matches!(
        ours.step(&mut p, &g0),
        Err(NnError::NotInTrainMode)
    ));
    let start = p.clone();
    ours.train(&mut p);
    assert_eq!(
        p, start,
        "train() before the first step changed the parameters"
    );
    for s in 0..steps {
        let g = grad32(&p);
        ours.step(&mut p, &g).unwrap();
        reference.step(lr, b1, 0.999, wd, warmup, r, pow);
        let what = format!("y after step {s} (lr {lr}, wd {wd}, warmup {warmup}, r {r})");
        assert_close(&what, &p, &reference.y(b1), 5e-6);
    }
    // eval(): the averaged x; a second eval() is a no-op; train(): back to y
    ours.eval(&mut p);
    assert_close("x after eval()", &p, &reference.x, 5e-6);
    let x = p.clone();
    ours.eval(&mut p);
    assert_eq!(p, x);
    assert!(ours.step(&mut p, &grad32(&x)).is_err());
    ours.train(&mut p);
    assert_close("y after train()", &p, &reference.y(b1), 5e-6);
    // and the trajectory continues from there
    let g = grad32(&p);
    ours.step(&mut p, &g).unwrap();
    reference.step(lr, b1, 0.999, wd, warmup, r, pow);
    assert_close("y after resuming", &p, &reference.y(b1), 5e-6);
}

#[test]
fn schedule_free_matches_the_three_sequence_form() {
    check_schedule_free(1e-3, 0.0, 0, 0.0, 2.0, 12); // the paper's settings
    check_schedule_free(0.05, 0.0, 0, 0.0, 2.0, 40); // large steps: visible dynamics
    check_schedule_free(0.05, 0.01, 5, 0.5, 2.0, 20); // decay, warm-up, r
                                                      // the reference really moves away from the start
    let mut r = SfReference::new();
    for _ in 0..40 {
        r.step(0.05, 0.9, 0.999, 0.0, 0, 0.0, 2.0);
    }
    assert!((r.x[2] - P0[2]).abs() > 0.3, "{:?}", r.x);
}

#[test]
fn optimizers_check_lengths_and_rebuild_from_config() {
    for cfg in [
        OptimizerConfig::adam(1e-3),
        OptimizerConfig::adamw(1e-3, 0.01),
        OptimizerConfig::schedule_free(1e-3),
    ] {
        let mut o = cfg.build().unwrap();
        assert_eq!(o.config(), cfg);
        let mut p = vec![0.0f32; 3];
        o.train(&mut p);
        assert!(o.step(&mut p, &[1.0, 2.0]).is_err());
        o.step(&mut p, &[1.0, 2.0, 3.0]).unwrap();
        assert_eq!(o.steps(), 1);
        assert!(o.step(&mut [0.0; 4], &[0.0; 4]).is_err());
        assert!(
            p.iter().all(|&v| v < 0.0),
            "{} did not descend: {p:?}",
            cfg.name()
        );
    }
}
