//! Inference: the parameter prior of the paper (posterior estimation and multi-star
//! combination live beside it).

pub mod prior;
