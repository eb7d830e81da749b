//! Ctrl-C stops a running training between mini-batches (its own test binary, because the
//! interrupt flag is process-wide).

use galchem::nn::{
    train, Activation, Loss, Mlp, NnError, OptimizerConfig, Supervised, TrainConfig,
};
use ndarray::Array2;

#[test]
fn a_pending_interrupt_stops_training() {
    let x = Array2::from_shape_fn((100, 2), |(i, j)| (i + j) as f32 * 0.01);
    let y = Array2::from_shape_fn((100, 1), |(i, _)| i as f32 * 0.01);
    let mlp = Mlp::new(&[2, 5, 1], Activation::Tanh, Activation::Identity).unwrap();
    let obj = Supervised::new(&mlp, Loss::Mse, x.view(), y.view()).unwrap();
    let mut p = mlp.init_params(1);
    let mut o = OptimizerConfig::adam(1e-3).build().unwrap();
    galchem::interrupt::request();
    let r = train(
        &obj,
        None,
        &mut p,
        o.as_mut(),
        &TrainConfig::default(),
        None,
    );
    galchem::interrupt::clear();
    assert!(matches!(r, Err(NnError::Interrupted)));
    assert_eq!(o.steps(), 0);
    assert!(train(
        &obj,
        None,
        &mut p,
        o.as_mut(),
        &TrainConfig::default(),
        None
    )
    .is_ok());
}
