//! Shared by the training-termination tests (`nn_interrupt`, `train_checkpoint`): small
//! problems for the flow (Adam) and the emulator (schedule-free AdamW), and comparisons of
//! runs that must agree bit for bit.
#![allow(dead_code)]

use galchem::flow::{FlowConfig, FlowTrainConfig, FlowTrainReport, Maf};
use galchem::nn::emulator::EmulatorOptions;
use galchem::nn::{Emulator, OptimizerConfig, TrainHistory, TrainReport};
use ndarray::Array2;
use rand::Rng;
use std::path::PathBuf;

/// (θ, x) pairs of a linear-Gaussian model: θ `(n, 2)`, x `(n, 3)`.
pub fn flow_pairs(n: usize, seed: u64) -> (Array2<f64>, Array2<f64>) {
    let mut r = galchem::rng::rng(seed);
    let theta = Array2::from_shape_fn((n, 2), |(_, j)| {
        [-2.3, -2.9][j] + 0.3 * r.gen_range(-1.0..1.0)
    });
    let a = [[1.0, 0.5], [-0.3, 1.2], [0.8, -0.6]];
    let x = Array2::from_shape_fn((n, 3), |(i, k)| {
        a[k][0] * theta[[i, 0]] + a[k][1] * theta[[i, 1]] + 0.1 * r.gen_range(-1.0..1.0)
    });
    (theta, x)
}

/// A small flow.
pub fn flow_config() -> FlowConfig {
    FlowConfig {
        hidden: 8,
        transforms: 2,
        seed: 5,
        ..FlowConfig::default()
    }
}

/// Training settings of the small flow: 540 training rows in 10 batches, at most 60
/// epochs, early stopping after 3 without improvement (it stops after 13, the best being
/// epoch 9); `checkpoint` at `path`.
pub fn flow_train_config(path: Option<PathBuf>) -> FlowTrainConfig {
    FlowTrainConfig {
        learning_rate: 1e-2,
        batch_size: 54,
        max_epochs: 60,
        patience: 3,
        chunk_rows: 27,
        seed: 9,
        checkpoint: path,
        ..FlowTrainConfig::default()
    }
}

/// Emulator settings: 6 → 16 → 8, schedule-free AdamW, epochs of 15 batches, at most 60,
/// early stopping after 3 without improvement (on 500 rows of `nn_util::synthetic`: after
/// about 37).
pub fn emulator_options(path: Option<PathBuf>) -> EmulatorOptions {
    EmulatorOptions {
        hidden: vec![16],
        epochs: 60,
        batch_size: 32,
        chunk_rows: 16,
        optimizer: OptimizerConfig::schedule_free(0.1),
        early_stopping: Some(3),
        seed: 4,
        checkpoint: path,
        ..EmulatorOptions::default()
    }
}

/// Bit patterns of the parameters (so that −0 ≠ +0 and NaN = NaN).
pub fn bits(p: &[f32]) -> Vec<u32> {
    p.iter().map(|v| v.to_bits()).collect()
}

/// A flow report without the fields that legitimately differ between a resumed run and an
/// uninterrupted one (wall-clock time, where it resumed).
pub fn flow_comparable(r: &FlowTrainReport) -> FlowTrainReport {
    FlowTrainReport {
        seconds: 0.0,
        resumed_from_epoch: None,
        ..r.clone()
    }
}

/// The same for an emulator's report.
pub fn emulator_comparable(r: &TrainReport) -> TrainReport {
    TrainReport {
        train_seconds: 0.0,
        resumed_from_epoch: None,
        options: EmulatorOptions::default(),
        ..r.clone()
    }
}

/// The same for a loop history.
pub fn history_comparable(h: &TrainHistory) -> TrainHistory {
    TrainHistory {
        seconds: 0.0,
        resumed_from_epoch: None,
        ..h.clone()
    }
}

/// Asserts that two flows have the same parameters, bit for bit.
pub fn assert_same_flow(a: &Maf, b: &Maf) {
    assert_eq!(bits(a.params()), bits(b.params()), "flow parameters differ");
}

/// Asserts that two emulators have the same parameters, bit for bit.
pub fn assert_same_emulator(a: &Emulator, b: &Emulator) {
    assert_eq!(
        bits(a.params()),
        bits(b.params()),
        "emulator parameters differ"
    );
}
