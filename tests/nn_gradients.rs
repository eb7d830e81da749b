//! Finite-difference checks of every analytic derivative of the nn core: dense layers
//! (plain and masked, parameter and input gradients), every activation inside a network,
//! the losses, the whole network, and the input Jacobian.
//!
//! The networks compute in f32, so derivatives are estimated with Richardson-extrapolated
//! central differences (error O(h⁴)) of losses accumulated in f64, and compared with a
//! tolerance relative to the largest gradient entry. A wrong derivative is off by O(1).

use galchem::nn::objective::loss_and_gradient;
use galchem::nn::{Activation, Dense, Loss, Mlp, Objective, ParamLayout, Supervised, VarianceHead};
use ndarray::{Array2, ArrayView2};
use rand::Rng;

fn random(rows: usize, cols: usize, scale: f32, seed: u64) -> Array2<f32> {
    let mut r = galchem::rng::rng(seed);
    Array2::from_shape_fn((rows, cols), |_| r.gen_range(-scale..scale))
}

/// Richardson-extrapolated central difference of `f` along coordinate `i` of `p`.
fn fd(f: &dyn Fn(&[f32]) -> f64, p: &[f32], i: usize, h: f32) -> f64 {
    let central = |h: f32| {
        let mut q = p.to_vec();
        q[i] = p[i] + h;
        let up = f(&q);
        let a = q[i];
        q[i] = p[i] - h;
        let dn = f(&q);
        (up - dn) / (f64::from(a) - f64::from(q[i]))
    };
    (4.0 * central(h / 2.0) - central(h)) / 3.0
}

/// Checks `grad` against finite differences of `f` at `p` on every coordinate.
fn check_all(what: &str, f: &dyn Fn(&[f32]) -> f64, p: &[f32], grad: &[f32], h: f32, tol: f64) {
    check_free(what, f, p, grad, h, tol, &|_| true)
}

/// As [`check_all`] on the coordinates `free` selects (masked weights are not parameters).
fn check_free(
    what: &str,
    f: &dyn Fn(&[f32]) -> f64,
    p: &[f32],
    grad: &[f32],
    h: f32,
    tol: f64,
    free: &dyn Fn(usize) -> bool,
) {
    assert_eq!(p.len(), grad.len());
    let scale = grad.iter().fold(0.0f64, |m, &g| m.max(f64::from(g).abs()));
    assert!(scale > 0.0, "{what}: gradient is identically zero");
    for i in (0..p.len()).filter(|&i| free(i)) {
        let want = fd(f, p, i, h);
        let got = f64::from(grad[i]);
        assert!(
            (want - got).abs() <= tol * scale,
            "{what}: coordinate {i}: analytic {got}, finite difference {want} (scale {scale})"
        );
    }
}

/// L = Σ C ⊙ layer(X): checks ∂L/∂params (masked entries must be exactly zero) and ∂L/∂X.
fn check_dense(layer: &Dense, n_params: usize, seed: u64) {
    let (n, din, dout) = (7, layer.n_in(), layer.n_out());
    let mut params = vec![0.0f32; n_params];
    layer.init(&mut params, &mut galchem::rng::rng(seed));
    let x = random(n, din, 1.0, seed + 1);
    let c = random(n, dout, 1.0, seed + 2);
    let value = |p: &[f32], x: ArrayView2<f32>| {
        let mut y = Array2::zeros((n, dout));
        layer.forward(p, x, y.view_mut());
        y.iter()
            .zip(c.iter())
            .map(|(&a, &b)| f64::from(a) * f64::from(b))
            .sum::<f64>()
    };
    let mut grad = vec![0.0f32; n_params];
    let mut d_in = Array2::zeros((n, din));
    layer.backward(
        &params,
        x.view(),
        c.view(),
        &mut grad,
        Some(d_in.view_mut()),
    );
    let mut free = vec![true; n_params];
    if let Some(mask) = layer.mask() {
        let w = layer.weights(&params);
        let gw = layer.weights(&grad);
        for ((i, o), &keep) in mask.indexed_iter() {
            if !keep {
                assert_eq!(w[[i, o]], 0.0, "masked weight ({i},{o}) not zero");
                assert_eq!(gw[[i, o]], 0.0, "masked gradient ({i},{o}) not zero");
                free[layer.offset() + i * dout + o] = false;
            }
        }
        assert!(free.iter().any(|f| !f), "the test mask masks nothing");
    }
    let f = |p: &[f32]| value(p, x.view());
    check_free("dense parameters", &f, &params, &grad, 1e-2, 1e-4, &|i| {
        free[i]
    });
    let xs: Vec<f32> = x.iter().copied().collect();
    let dx: Vec<f32> = d_in.iter().copied().collect();
    let fx = |v: &[f32]| value(&params, ArrayView2::from_shape((n, din), v).unwrap());
    check_all("dense inputs", &fx, &xs, &dx, 1e-2, 1e-4);
}

#[test]
fn dense_layer_gradients() {
    let mut layout = ParamLayout::new();
    let _before = layout.alloc(3); // the layer need not start at 0
    let layer = Dense::new(&mut layout, 4, 5);
    check_dense(&layer, layout.len(), 11);
}

#[test]
fn masked_dense_layer_gradients_and_zeros() {
    let mut layout = ParamLayout::new();
    let mask = Array2::from_shape_fn((5, 6), |(i, o)| (o % 5) + 1 > i);
    let layer = Dense::masked(&mut layout, mask.view());
    assert_eq!(layer.mask().unwrap(), mask);
    check_dense(&layer, layout.len(), 21);
    // forward_add adds exactly forward's result
    let params = {
        let mut p = vec![0.0; layout.len()];
        layer.init(&mut p, &mut galchem::rng::rng(3));
        p
    };
    let x = random(3, 5, 1.0, 4);
    let mut a = Array2::zeros((3, 6));
    layer.forward(&params, x.view(), a.view_mut());
    let mut b = Array2::from_elem((3, 6), 0.25f32);
    layer.forward_add(&params, x.view(), b.view_mut());
    for (a, b) in a.iter().zip(b.iter()) {
        assert!((a + 0.25 - b).abs() < 1e-6);
    }
}

fn network_check(hidden: Activation, output: Activation, loss: Loss, seed: u64, h: f32) {
    let mlp = Mlp::new(&[3, 6, 5, loss.n_outputs(2)], hidden, output).unwrap();
    let params = mlp.init_params(seed);
    let n = 9;
    let x = random(n, 3, 1.5, seed + 1);
    let y = random(n, 2, 1.0, seed + 2);
    let obj = Supervised::new(&mlp, loss, x.view(), y.view()).unwrap();
    let rows: Vec<usize> = (0..n).collect();
    let (l, grad) = loss_and_gradient(&obj, &params, &rows);
    let f = |p: &[f32]| {
        let mut ws = obj.workspace(n);
        obj.loss(p, &rows, &mut ws)
    };
    assert!((l - f(&params)).abs() <= 1e-12 * l.abs().max(1.0));
    let what = format!("network {hidden}/{output} {loss:?}");
    check_all(&what, &f, &params, &grad, h, 3e-4);
}

#[test]
fn whole_network_gradients_for_every_activation() {
    for (i, act) in Activation::ALL.into_iter().enumerate() {
        let h = if act == Activation::Relu { 5e-4 } else { 1e-2 };
        network_check(act, Activation::Identity, Loss::Mse, 100 + i as u64, h);
        network_check(Activation::Tanh, act, Loss::Mse, 200 + i as u64, h);
    }
}

#[test]
fn whole_network_gradients_for_gaussian_nll() {
    network_check(
        Activation::Tanh,
        Activation::Identity,
        Loss::GaussianNll(VarianceHead::LogVariance),
        31,
        1e-2,
    );
    network_check(
        Activation::Tanh,
        Activation::Softplus,
        Loss::GaussianNll(VarianceHead::Variance),
        32,
        1e-2,
    );
}

#[test]
fn loss_gradients_match_finite_differences() {
    let y = random(4, 3, 1.0, 7);
    for loss in [
        Loss::Mse,
        Loss::GaussianNll(VarianceHead::LogVariance),
        Loss::GaussianNll(VarianceHead::Variance),
    ] {
        let mut pred = random(4, loss.n_outputs(3), 1.0, 8);
        if loss == Loss::GaussianNll(VarianceHead::Variance) {
            pred.slice_mut(ndarray::s![.., 3..])
                .mapv_inplace(|v| 0.3 + v.abs());
        }
        let mut g = Array2::zeros(pred.raw_dim());
        let v = loss.value_grad(pred.view(), y.view(), g.view_mut());
        assert_eq!(v, loss.value(pred.view(), y.view()));
        let p: Vec<f32> = pred.iter().copied().collect();
        let gs: Vec<f32> = g.iter().copied().collect();
        let shape = pred.raw_dim();
        let f = |q: &[f32]| {
            let a = ArrayView2::from_shape(shape, q).unwrap();
            loss.value(a, y.view())
        };
        check_all(&format!("{loss:?}"), &f, &p, &gs, 1e-2, 1e-6);
    }
}

#[test]
fn input_gradient_and_jacobian_match_finite_differences() {
    let mlp = Mlp::new(&[4, 7, 6, 3], Activation::Tanh, Activation::Identity).unwrap();
    let params = mlp.init_params(5);
    let n = 5;
    let x = random(n, 4, 1.0, 6);
    // Jacobian (n, n_out, n_in) against differences of predict
    let jac = mlp.input_jacobian(&params, x.view()).unwrap();
    assert_eq!(jac.dim(), (n, 3, 4));
    let xs: Vec<f32> = x.iter().copied().collect();
    for r in 0..n {
        for o in 0..3 {
            let f = |v: &[f32]| {
                let xv = ArrayView2::from_shape((n, 4), v).unwrap();
                f64::from(mlp.predict(&params, xv).unwrap()[[r, o]])
            };
            for i in 0..4 {
                let want = fd(&f, &xs, r * 4 + i, 1e-2);
                let got = f64::from(jac[[r, o, i]]);
                assert!((want - got).abs() < 2e-4, "J[{r},{o},{i}] {got} vs {want}");
            }
        }
    }
    // backward's d_in is the vector-Jacobian product cᵀJ per row
    let c = random(n, 3, 1.0, 9);
    let mut ws = mlp.workspace(n);
    mlp.forward(&params, x.view(), &mut ws);
    let mut grad = vec![0.0; mlp.n_params()];
    let mut d_in = Array2::zeros((n, 4));
    mlp.backward(
        &params,
        x.view(),
        &mut ws,
        c.view(),
        &mut grad,
        Some(d_in.view_mut()),
    );
    for r in 0..n {
        for i in 0..4 {
            let vjp: f32 = (0..3).map(|o| c[[r, o]] * jac[[r, o, i]]).sum();
            assert!((vjp - d_in[[r, i]]).abs() < 1e-5, "d_in[{r},{i}]");
        }
    }
}

#[test]
fn predict_matches_single_row_forward_and_checks_shapes() {
    let mlp = Mlp::new(&[2, 8, 3], Activation::Tanh, Activation::Identity).unwrap();
    let params = mlp.init_params(1);
    let x = random(600, 2, 2.0, 2); // several PREDICT_CHUNKs
    let y = mlp.predict(&params, x.view()).unwrap();
    let mut ws = mlp.workspace(1);
    for r in [0, 255, 256, 599] {
        let one = mlp.forward(&params, x.slice(ndarray::s![r..r + 1, ..]), &mut ws);
        for o in 0..3 {
            // independent closed form for the row
            let w0 = mlp.layers()[0].weights(&params);
            let b0 = mlp.layers()[0].bias(&params);
            let w1 = mlp.layers()[1].weights(&params);
            let b1 = mlp.layers()[1].bias(&params);
            let mut out = f64::from(b1[o]);
            for j in 0..8 {
                let z = f64::from(b0[j])
                    + (0..2)
                        .map(|i| f64::from(x[[r, i]]) * f64::from(w0[[i, j]]))
                        .sum::<f64>();
                out += z.tanh() * f64::from(w1[[j, o]]);
            }
            assert!((f64::from(y[[r, o]]) - out).abs() < 1e-5, "row {r} out {o}");
            assert_eq!(one[[0, o]], y[[r, o]]);
        }
    }
    assert!(mlp.predict(&params, random(3, 5, 1.0, 0).view()).is_err());
    assert!(mlp.predict(&params[1..], x.view()).is_err());
    assert!(Mlp::new(&[3], Activation::Tanh, Activation::Identity).is_err());
}
