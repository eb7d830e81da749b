//! Inference of the galactic parameters: the prior, posterior sampling per star, the
//! combination of stars into the posterior of the global parameters, the NPE pipeline and
//! catalog inference.

pub mod combine;
pub mod observe;
pub mod rejection;
