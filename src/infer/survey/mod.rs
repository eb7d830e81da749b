//! Survey posteriors: one neural posterior for real catalogs, whose stars lack some elements
//! and whose errors vary from star to star. The flow conditions on the observed values, the
//! missing-value flags and every value's error ([`ContextEncoding`]); it is trained on
//! simulations with random masks and errors drawn over a range ([`train_survey_npe`]).
//! [`crate::infer::NeuralPosterior`] carries the encoding, so survey posteriors are saved,
//! loaded, sampled and used for catalog inference like any other.

pub mod encoding;
pub mod mock;
pub mod train;

pub use encoding::ContextEncoding;
pub use mock::{mock_catalog, MockOptions};
pub use train::{checkpoint_name, train_survey_npe, SurveyOptions};
