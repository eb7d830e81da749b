//! Sharded jobs: a long job split into `n` shards (`shard=i/n`, or Slurm's
//! `SLURM_ARRAY_TASK_ID` and `SLURM_ARRAY_TASK_COUNT`), each of which works on a contiguous
//! range of the job's blocks of work and writes one partial file; `galchem merge` combines
//! the partials into the result the single-process run would have written.
//!
//! Three rules make merged results identical, to the byte, to the single-process run with
//! the same seed, for any number of shards and threads: work is cut into fixed blocks that do
//! not depend on the shard count (shards take whole blocks); every random stream is keyed by a
//! work item (a catalog row, a simulation index), never by a shard; and partial results are
//! combined block by block in block order, as the single process does.
//!
//! A partial file is in galchem's envelope (`galchem-partial`) and names its job: the kind of
//! work, a fingerprint of its inputs and settings, its seed, the galchem version, and which
//! shard of how many it is. Partials of another job, seed or version are refused, and a
//! missing shard is named.

pub mod slurm;

use crate::envelope::{self, Format};
use crate::error::{ErrorKind, FileError, Kind};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// The format of partial files.
pub const PARTIAL_FORMAT: Format = Format {
    name: "galchem-partial",
    version: 1,
    oldest_readable: 1,
};

/// Errors of sharding and merging.
#[derive(Debug, thiserror::Error)]
pub enum ShardError {
    /// A shard selection that cannot be used.
    #[error("shard '{spec}': {reason}")]
    BadSpec { spec: String, reason: String },
    /// A partial file that cannot be read or used.
    #[error(transparent)]
    File(#[from] FileError),
    /// Partials of different jobs.
    #[error("{path} is a partial of another job: {reason}")]
    OtherJob { path: PathBuf, reason: String },
    /// Shards are missing.
    #[error("shards missing: {} of {count} ({})", missing.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(", "), missing_hint(.missing, *.count))]
    Missing { missing: Vec<usize>, count: usize },
    /// The same shard twice.
    #[error("shard {index}/{count} is given twice: {first} and {second}")]
    Duplicate {
        index: usize,
        count: usize,
        first: PathBuf,
        second: PathBuf,
    },
    /// No partials at all.
    #[error("no partial files to merge")]
    Nothing,
    /// A shard that stopped before its end (SIGTERM at a time limit).
    #[error("{path}: shard {shard} stopped after {done} of its {total} blocks of work; run it again (the same command resumes it) before merging")]
    Incomplete {
        path: PathBuf,
        shard: ShardSpec,
        done: usize,
        total: usize,
    },
    /// Partials that do not cover the job's work.
    #[error("the partials do not cover the job: {0}")]
    Gap(String),
}

fn missing_hint(missing: &[usize], count: usize) -> String {
    format!(
        "shard{} {} of {count} not among the files",
        if missing.len() == 1 { "" } else { "s" },
        missing
            .iter()
            .map(|i| format!("{i}/{count}"))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

impl Kind for ShardError {
    fn kind(&self) -> ErrorKind {
        match self {
            ShardError::BadSpec { .. } => ErrorKind::Option,
            ShardError::File(e) => e.kind(),
            _ => ErrorKind::Input,
        }
    }
}

/// Shard `index` of `count` (0-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ShardSpec {
    /// Which shard, from 0.
    pub index: usize,
    /// How many shards.
    pub count: usize,
}

impl fmt::Display for ShardSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl ShardSpec {
    /// The whole job as one shard.
    pub const WHOLE: ShardSpec = ShardSpec { index: 0, count: 1 };

    /// Parses `i/n` (0 ≤ i < n).
    pub fn parse(spec: &str) -> Result<ShardSpec, ShardError> {
        let bad = |reason: &str| ShardError::BadSpec {
            spec: spec.to_string(),
            reason: reason.to_string(),
        };
        let (i, n) = spec
            .split_once('/')
            .ok_or_else(|| bad("must be i/n, e.g. 0/4"))?;
        let index: usize = i
            .trim()
            .parse()
            .map_err(|_| bad("the shard index is not a non-negative integer"))?;
        let count: usize = n
            .trim()
            .parse()
            .map_err(|_| bad("the shard count is not a positive integer"))?;
        if count == 0 || index >= count {
            return Err(bad("needs 0 <= i < n"));
        }
        Ok(ShardSpec { index, count })
    }

    /// The shard of a Slurm array task: `SLURM_ARRAY_TASK_ID` (minus `SLURM_ARRAY_TASK_MIN`)
    /// of `SLURM_ARRAY_TASK_COUNT`, if those are set.
    pub fn from_env() -> Result<Option<ShardSpec>, ShardError> {
        let get = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let (Some(id), Some(count)) = (get("SLURM_ARRAY_TASK_ID"), get("SLURM_ARRAY_TASK_COUNT"))
        else {
            return Ok(None);
        };
        let min = get("SLURM_ARRAY_TASK_MIN").unwrap_or_else(|| "0".into());
        let parse = |v: &str, what: &str| {
            v.parse::<usize>().map_err(|_| ShardError::BadSpec {
                spec: format!("SLURM_ARRAY_TASK_ID={id} SLURM_ARRAY_TASK_COUNT={count}"),
                reason: format!("{what} '{v}' is not an integer"),
            })
        };
        let (id_n, min_n, count_n) = (
            parse(&id, "the task id")?,
            parse(&min, "the minimum task id")?,
            parse(&count, "the task count")?,
        );
        Self::parse(&format!("{}/{count_n}", id_n.saturating_sub(min_n))).map(Some)
    }

    /// The blocks `[first, last)` of `n_blocks` this shard works on: contiguous, in order, as
    /// even as possible, every block in exactly one shard.
    pub fn blocks(&self, n_blocks: usize) -> Range<usize> {
        let at = |i: usize| i * n_blocks / self.count;
        at(self.index)..at(self.index + 1)
    }
}

/// What a partial file belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobKey {
    /// The kind of work, e.g. `"infer"`.
    pub kind: String,
    /// A hash of the job's inputs and settings.
    pub fingerprint: String,
    /// The seed.
    pub seed: u64,
    /// The galchem version that wrote the partial.
    pub galchem_version: String,
}

impl JobKey {
    /// A key for `kind` with a fingerprint of `settings` (their JSON) and `seed`.
    pub fn new(kind: &str, settings: &impl Serialize, seed: u64) -> Self {
        let json = serde_json::to_string(settings).unwrap_or_default();
        let mut h = crate::nn::checkpoint::hash::DataHash::new();
        h.str(kind).str(&json).u64(seed);
        JobKey {
            kind: kind.to_string(),
            fingerprint: crate::nn::checkpoint::hash::hex(h.finish()),
            seed,
            galchem_version: crate::envelope::GALCHEM_VERSION.to_string(),
        }
    }

    /// Why `other` is not the same job, if it is not.
    fn difference(&self, other: &JobKey) -> Option<String> {
        if self.kind != other.kind {
            Some(format!("it is a '{}' job, not '{}'", other.kind, self.kind))
        } else if self.seed != other.seed {
            Some(format!("its seed is {}, not {}", other.seed, self.seed))
        } else if self.galchem_version != other.galchem_version {
            Some(format!(
                "it was written by galchem {}, the others by {}",
                other.galchem_version, self.galchem_version
            ))
        } else if self.fingerprint != other.fingerprint {
            Some("its inputs or settings differ (another catalog, posterior or option)".into())
        } else {
            None
        }
    }
}

/// A partial result: the job, the shard, and the shard's body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Partial<T> {
    /// The job.
    pub job: JobKey,
    /// Which shard.
    pub shard: ShardSpec,
    /// The shard's result.
    pub body: T,
}

impl<T: Serialize + DeserializeOwned> Partial<T> {
    /// Writes the partial, atomically.
    pub fn save(&self, path: &Path) -> Result<(), ShardError> {
        Ok(envelope::save(path, &PARTIAL_FORMAT, self)?)
    }

    /// Reads a partial.
    pub fn load(path: &Path) -> Result<Partial<T>, ShardError> {
        Ok(envelope::load(path, &PARTIAL_FORMAT)?.body)
    }
}

/// The job kind of a partial file, without reading its body's type.
pub fn job_of(path: &Path) -> Result<JobKey, ShardError> {
    let raw = envelope::load_value(path, &PARTIAL_FORMAT)?;
    serde_json::from_value::<JobKey>(raw.body.get("job").cloned().unwrap_or_default()).map_err(
        |e| FileError::unusable(path, PARTIAL_FORMAT.name, format!("no job key: {e}")).into(),
    )
}

/// The file of shard `shard` of a job whose single-process file is `path`:
/// `result.json` → `result.shard-2-of-4.json`.
pub fn shard_path(path: &Path, shard: ShardSpec) -> PathBuf {
    let tag = format!("shard-{}-of-{}", shard.index, shard.count);
    let name = match (path.file_stem(), path.extension()) {
        (Some(stem), Some(ext)) => {
            format!("{}.{tag}.{}", stem.to_string_lossy(), ext.to_string_lossy())
        }
        (Some(stem), None) => format!("{}.{tag}", stem.to_string_lossy()),
        _ => tag,
    };
    path.with_file_name(name)
}

/// The partials at `paths`, checked to be all shards of one job, in shard order, with their
/// paths.
pub fn load_all<T: Serialize + DeserializeOwned>(
    paths: &[PathBuf],
) -> Result<Vec<(PathBuf, Partial<T>)>, ShardError> {
    let mut parts: Vec<(PathBuf, Partial<T>)> = Vec::new();
    for p in paths {
        let part = Partial::<T>::load(p)?;
        if let Some((first_path, first)) = parts.first() {
            if let Some(reason) = first.job.difference(&part.job) {
                return Err(ShardError::OtherJob {
                    path: p.clone(),
                    reason: format!("{reason} (compared with {})", first_path.display()),
                });
            }
            if first.shard.count != part.shard.count {
                return Err(ShardError::OtherJob {
                    path: p.clone(),
                    reason: format!(
                        "it is shard {} but {} is of {} shards",
                        part.shard,
                        first_path.display(),
                        first.shard.count
                    ),
                });
            }
        }
        if let Some((q, _)) = parts.iter().find(|(_, x)| x.shard == part.shard) {
            return Err(ShardError::Duplicate {
                index: part.shard.index,
                count: part.shard.count,
                first: q.clone(),
                second: p.clone(),
            });
        }
        parts.push((p.clone(), part));
    }
    let count = parts
        .first()
        .map(|(_, p)| p.shard.count)
        .ok_or(ShardError::Nothing)?;
    let missing: Vec<usize> = (0..count)
        .filter(|i| !parts.iter().any(|(_, p)| p.shard.index == *i))
        .collect();
    if !missing.is_empty() {
        return Err(ShardError::Missing { missing, count });
    }
    parts.sort_by_key(|(_, p)| p.shard.index);
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_and_block_ranges() {
        assert_eq!(
            ShardSpec::parse("2/4").unwrap(),
            ShardSpec { index: 2, count: 4 }
        );
        for bad in ["4/4", "1", "a/2", "1/0", "-1/3"] {
            assert!(ShardSpec::parse(bad).is_err(), "{bad}");
        }
        for n_blocks in [0, 1, 3, 10, 245] {
            for count in 1..7 {
                let mut next = 0;
                for index in 0..count {
                    let r = ShardSpec { index, count }.blocks(n_blocks);
                    assert_eq!(r.start, next);
                    next = r.end;
                }
                assert_eq!(next, n_blocks);
            }
        }
    }

    #[test]
    fn partials_of_one_job_merge_and_others_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let job = JobKey::new("test", &("catalog.csv", 3), 7);
        let write = |name: &str, job: &JobKey, shard: ShardSpec, v: u32| {
            let p = dir.path().join(name);
            Partial {
                job: job.clone(),
                shard,
                body: v,
            }
            .save(&p)
            .unwrap();
            p
        };
        let a = write("a.json", &job, ShardSpec { index: 1, count: 2 }, 20);
        let b = write("b.json", &job, ShardSpec { index: 0, count: 2 }, 10);
        let all = load_all::<u32>(&[a.clone(), b.clone()]).unwrap();
        assert_eq!(
            all.iter().map(|(_, p)| p.body).collect::<Vec<_>>(),
            vec![10, 20]
        );
        assert_eq!(all[0].0, b);
        assert_eq!(
            shard_path(Path::new("out/r.json"), ShardSpec { index: 2, count: 4 }),
            Path::new("out/r.shard-2-of-4.json")
        );
        assert_eq!(job_of(&a).unwrap(), job);
        let err = load_all::<u32>(std::slice::from_ref(&a))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("shards missing: 0 of 2") && err.contains("0/2"),
            "{err}"
        );
        let other_seed = write(
            "c.json",
            &JobKey::new("test", &("catalog.csv", 3), 8),
            ShardSpec { index: 0, count: 2 },
            1,
        );
        let err = load_all::<u32>(&[a.clone(), other_seed])
            .unwrap_err()
            .to_string();
        assert!(err.contains("its seed is 8, not 7"), "{err}");
        let other = write(
            "d.json",
            &JobKey::new("test", &("other.csv", 3), 7),
            ShardSpec { index: 0, count: 2 },
            1,
        );
        let err = load_all::<u32>(&[a.clone(), other])
            .unwrap_err()
            .to_string();
        assert!(err.contains("inputs or settings differ"), "{err}");
        let mut old = job.clone();
        old.galchem_version = "0.0.1".into();
        let old = write("e.json", &old, ShardSpec { index: 0, count: 2 }, 1);
        let err = load_all::<u32>(&[a.clone(), old]).unwrap_err().to_string();
        assert!(err.contains("written by galchem 0.0.1"), "{err}");
        let err = load_all::<u32>(&[a.clone(), a.clone()])
            .unwrap_err()
            .to_string();
        assert!(err.contains("given twice"), "{err}");
        assert!(matches!(load_all::<u32>(&[]), Err(ShardError::Nothing)));
    }
}
