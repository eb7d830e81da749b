//! Merging the partial files of any sharded job (`galchem merge`): the job kind named in the
//! partials says which merge applies.

use crate::calib::shard::{merge_calibration, JOB_KIND as CALIBRATE};
use crate::calib::{CalibError, Calibration};
use crate::error::{ErrorKind, Kind};
use crate::infer::stream::{self, JOB_KIND as INFER};
use crate::infer::training_set::{self, SetPart, JOB_KIND as SIMULATE};
use crate::infer::{CatalogInference, InferError};
use crate::shard::{job_of, ShardError};
use std::path::{Path, PathBuf};

/// Errors of [`merge_partials`].
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    /// The partials cannot be read, or do not belong together.
    #[error(transparent)]
    Shard(#[from] ShardError),
    /// Merging a catalog inference failed.
    #[error(transparent)]
    Infer(#[from] InferError),
    /// Merging a calibration run failed.
    #[error(transparent)]
    Calib(#[from] CalibError),
    /// The merge may not write where asked (a script's write policy).
    #[error("{0}")]
    Denied(String),
    /// A partial of a kind of job this merge does not know.
    #[error("{path}: a partial of a '{kind}' job, which galchem merge does not know (it merges: {INFER}, {SIMULATE}, {CALIBRATE})")]
    UnknownKind { path: PathBuf, kind: String },
}

impl Kind for MergeError {
    fn kind(&self) -> ErrorKind {
        match self {
            MergeError::Shard(e) => e.kind(),
            MergeError::Infer(e) => e.kind(),
            MergeError::Calib(e) => e.kind(),
            MergeError::UnknownKind { .. } => ErrorKind::Input,
            MergeError::Denied(_) => ErrorKind::WriteDenied,
        }
    }
}

/// A merged result.
#[derive(Debug, Clone)]
pub enum Merged {
    /// A streamed catalog inference ([`crate::infer::stream`]).
    Inference(Box<CatalogInference>),
    /// A training set ([`crate::infer::training_set`]).
    TrainingSet(SetPart),
    /// A calibration run ([`crate::calib::shard`]), written to the output.
    Calibration(Box<Calibration>),
}

impl Merged {
    /// One line for the terminal.
    pub fn summary(&self) -> String {
        match self {
            Merged::Inference(r) => {
                let c = &r.combined;
                let globals = c
                    .mean
                    .iter()
                    .zip(&c.sd)
                    .enumerate()
                    .map(|(i, (m, s))| {
                        format!(
                            "{} = {m:.5} ± {s:.2e}",
                            r.global_names.get(i).map_or("?", |n| n.as_str())
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(", ");
                format!("{} stars of {} rows: {globals}", c.n_stars, r.n_rows)
            }
            Merged::TrainingSet(s) => format!("{} runs ({} ok) in {}", s.rows, s.n_ok, s.file),
            Merged::Calibration(c) => format!(
                "calibration: {} of {} simulations usable, {} draws each ({})",
                c.n_usable(),
                c.n,
                c.samples,
                c.posterior
            ),
        }
    }
}

/// Merges the partials at `paths` (all shards of one job, any order) into `out`, as the
/// single-process run of the job would have written it; `allow` checks every other file the
/// merge writes (a script's write policy).
pub fn merge_partials(
    paths: &[PathBuf],
    out: &Path,
    allow: &dyn Fn(&Path) -> Result<PathBuf, String>,
) -> Result<Merged, MergeError> {
    let first = paths.first().ok_or(ShardError::Nothing)?;
    let job = job_of(first)?;
    match job.kind.as_str() {
        INFER => Ok(Merged::Inference(Box::new(stream::merge_checked(
            paths, out, allow,
        )?))),
        SIMULATE => Ok(Merged::TrainingSet(training_set::merge_set(
            paths,
            &allow(out).map_err(MergeError::Denied)?,
        )?)),
        CALIBRATE => {
            let out = allow(out).map_err(MergeError::Denied)?;
            Ok(Merged::Calibration(Box::new(merge_calibration(
                paths,
                Some(&out),
            )?)))
        }
        other => Err(MergeError::UnknownKind {
            path: first.clone(),
            kind: other.to_string(),
        }),
    }
}
