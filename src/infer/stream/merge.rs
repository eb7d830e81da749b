//! Merging the partial files of a sharded streamed inference into the result, the report and
//! the per-star file a single process would have written.

use super::stars_file::StarsWriter;
use super::{finish, layout, write_report, BlockResult, StreamPart};
use crate::error::Vocabulary;
use crate::infer::error::InferError;
use crate::infer::CatalogInference;
use crate::shard::{load_all, ShardError};
use std::path::{Path, PathBuf};

/// Merges the partials at `paths` (all shards of one streamed inference, any order) and
/// writes the report to `out` and, if the run wrote one, the per-star file.
pub fn merge(paths: &[PathBuf], out: &Path) -> Result<CatalogInference, InferError> {
    merge_checked(paths, out, &|p| Ok(p.to_path_buf()))
}

/// [`merge`], asking `allow` (e.g. a script's write policy) before writing the per-star
/// file the partials name.
pub fn merge_checked(
    paths: &[PathBuf],
    out: &Path,
    allow: &dyn Fn(&Path) -> Result<PathBuf, String>,
) -> Result<CatalogInference, InferError> {
    let parts = load_all::<StreamPart>(paths)?;
    let mut blocks: Vec<BlockResult> = Vec::new();
    for (path, p) in &parts {
        let b = &p.body;
        if !b.complete {
            return Err(ShardError::Incomplete {
                path: path.clone(),
                shard: p.shard,
                done: b.blocks.len(),
                total: b.range.len(),
            }
            .into());
        }
        blocks.extend(b.blocks.iter().cloned());
    }
    let (_, first) = &parts[0];
    let body = &first.body;
    if let Some((i, b)) = blocks.iter().enumerate().find(|(i, b)| b.block != *i) {
        return Err(ShardError::Gap(format!("block {i} expected, block {} found", b.block)).into());
    }
    if blocks.len() != body.n_blocks {
        return Err(
            ShardError::Gap(format!("{} of {} blocks", blocks.len(), body.n_blocks)).into(),
        );
    }
    let s = &body.settings;
    let mut r = finish(
        &body.facts,
        s.method,
        s.samples,
        body.n_rows,
        &blocks,
        s.stars_out.clone(),
    )?;
    crate::infer::catalog::systematic::apply(&mut r, s.systematic.as_ref());
    r.seconds = parts.iter().map(|(_, p)| p.body.seconds).sum();
    if let Some(stars) = &s.stars_out {
        let target =
            allow(Path::new(stars)).map_err(|e| InferError::option("stars_out", stars, e))?;
        let mut w = StarsWriter::create(&target, layout(&body.facts, s))?;
        for (path, p) in &parts {
            let rows = p.body.blocks.iter().map(|b| b.rows).sum();
            let file = shard_stars_file(path, p.body.stars_file.as_deref())?;
            w.copy_from(&file, rows)?;
        }
        w.finish()?;
    }
    write_report(&r, &s.meta, out)?;
    Ok(r)
}

/// A shard's per-star file: as recorded, else next to its partial.
fn shard_stars_file(partial: &Path, recorded: Option<&str>) -> Result<PathBuf, InferError> {
    let recorded = recorded
        .ok_or_else(|| ShardError::Gap(format!("{} has no per-star file", partial.display())))?;
    let p = PathBuf::from(recorded);
    if p.exists() {
        return Ok(p);
    }
    let beside = partial
        .parent()
        .map(|d| d.join(p.file_name().unwrap_or_default()))
        .filter(|b| b.exists());
    beside.ok_or_else(|| {
        ShardError::Gap(format!(
            "the per-star file {recorded} of {} is missing",
            partial.display()
        ))
        .into()
    })
}
