//! One block of a streamed catalog inference: the stars of [`BLOCK_ROWS`] consecutive catalog
//! rows, sampled and summarised, reduced to what the combination and the report need — the
//! Gaussian sums of its stars (in row order), the partial sums at the running checkpoints
//! that fall inside it, and mergeable counts for the warnings.

use super::running::checkpoints_in;
use super::SKIPPED_EXAMPLES;
use crate::infer::catalog::observe::{validate_rows, Observations, SkippedRow};
use crate::infer::catalog::{infer_part, min_present, InferOptions, Part, PerStar};
use crate::infer::combine::{GaussianSums, BLOCK_ROWS};
use crate::infer::error::InferError;
use crate::infer::star::{Refiner, StarSummary};
use crate::model::Posterior;
use crate::stats::{GaussianFit, LogHistogram};
use serde::{Deserialize, Serialize};

/// Histogram grid of effective sample sizes: 10⁻¹ … 10⁷, 200 bins per decade.
pub(crate) fn ess_histogram() -> LogHistogram {
    LogHistogram::new(-1, 8, 200)
}

/// Histogram grid of catalog errors: 10⁻⁶ … 10³ dex, 200 bins per decade.
pub(crate) fn error_histogram() -> LogHistogram {
    LogHistogram::new(-6, 9, 200)
}

/// What one block contributes to a streamed inference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BlockResult {
    /// Block index (its first catalog row is `block · BLOCK_ROWS`).
    pub block: usize,
    /// Catalog rows of the block used (all of them, unless a limit on the stars ended the
    /// inference inside the block).
    pub rows: usize,
    /// Rows that passed validation and were sampled.
    pub n_valid: usize,
    /// Sums of the block's stars, added in row order.
    pub sums: GaussianSums,
    /// `(r, sums of the block's stars in catalog rows < r)` for every running checkpoint r
    /// inside the block.
    pub checkpoints: Vec<(usize, GaussianSums)>,
    /// Σ acceptance over the block's stars.
    pub acceptance_sum: f64,
    /// Rows skipped in the block.
    pub n_skipped: usize,
    /// The first skipped rows of the block, at most [`SKIPPED_EXAMPLES`].
    pub skipped: Vec<SkippedRow>,
    /// Effective sample sizes of refined stars, and how many are below 10.
    pub ess: Option<LogHistogram>,
    pub poor_ess: usize,
    /// Per observable, the catalog's errors of the rows that passed validation.
    pub errors: Option<Vec<LogHistogram>>,
}

/// A block's stars, kept for the per-star file until it is written.
pub(crate) struct BlockStars {
    pub stars: Vec<StarSummary>,
    pub fits: Vec<GaussianFit>,
    pub skipped: Vec<SkippedRow>,
}

/// Everything one block needs.
pub(crate) struct BlockInput<'a, 'o> {
    pub posterior: &'a dyn Posterior,
    pub obs: &'a Observations<'o>,
    /// Block index; the block's first catalog row is `block · BLOCK_ROWS`.
    pub block: usize,
    pub globals: &'a [usize],
    pub opts: &'a InferOptions,
    pub refiner: Option<&'a Refiner<'a>>,
    /// Running checkpoints of the whole catalog, ascending.
    pub running_rows: &'a [usize],
    /// Use at most this many usable rows (the rest of the catalog is not requested).
    pub limit: Option<usize>,
}

/// Infers the stars of one block; see the module documentation.
pub(crate) fn infer_block(input: &BlockInput) -> Result<(BlockResult, BlockStars), InferError> {
    let obs = input.obs;
    let offset = input.block * BLOCK_ROWS;
    let needed = min_present(input.posterior, input.opts)?;
    let mut v = validate_rows(obs, input.posterior.observables(), needed)?;
    let mut rows = obs.values.nrows();
    if let Some(n) = input.limit {
        if v.rows.len() >= n {
            // rows after the last one used are not requested, hence not skipped either
            v.rows.truncate(n);
            rows = v.rows.last().map_or(0, |&r| r + 1);
            v.skipped.retain(|s| s.row < rows);
        }
    }
    let per = if v.rows.is_empty() {
        PerStar {
            draws: Vec::new(),
            stars: Vec::new(),
            fits: Vec::new(),
            skipped: Vec::new(),
        }
    } else {
        let part = Part {
            obs,
            offset,
            rows: &v.rows,
            mask: &v.mask,
        };
        infer_part(
            input.posterior,
            &part,
            input.opts,
            input.globals,
            input.refiner,
        )?
    };
    let mut skipped: Vec<SkippedRow> = v
        .skipped
        .into_iter()
        .map(|mut s| {
            s.row += offset;
            s
        })
        .chain(per.skipped)
        .collect();
    skipped.sort_by_key(|s| s.row);
    let k = input.globals.len();
    let cps = checkpoints_in(input.running_rows, offset, offset + rows);
    let (sums, checkpoints) = block_sums(&per.stars, &per.fits, k, &cps)?;
    let (ess, poor_ess) = ess_counts(&per.stars, input.refiner.is_some());
    let errors = obs.errors.as_ref().map(|e| {
        (0..e.ncols())
            .map(|j| {
                let mut h = error_histogram();
                v.rows.iter().for_each(|&r| h.add(e[[r, j]]));
                h
            })
            .collect()
    });
    let result = BlockResult {
        block: input.block,
        rows,
        n_valid: v.rows.len(),
        sums,
        checkpoints,
        acceptance_sum: per.stars.iter().map(|s| s.acceptance).sum(),
        n_skipped: skipped.len(),
        skipped: skipped.iter().take(SKIPPED_EXAMPLES).cloned().collect(),
        ess,
        poor_ess,
        errors,
    };
    let stars = BlockStars {
        stars: per.stars,
        fits: per.fits,
        skipped,
    };
    Ok((result, stars))
}

/// The sums of the block's stars and the partial sums at the checkpoints `cps` (catalog
/// rows, ascending): at checkpoint r, the sums of the stars in rows < r.
fn block_sums(
    stars: &[StarSummary],
    fits: &[GaussianFit],
    k: usize,
    cps: &[usize],
) -> Result<(GaussianSums, Vec<(usize, GaussianSums)>), InferError> {
    let mut sums = GaussianSums::new(k);
    let mut out = Vec::with_capacity(cps.len());
    let mut next = cps.iter().peekable();
    for (s, f) in stars.iter().zip(fits) {
        while let Some(&&r) = next.peek() {
            if r > s.row {
                break;
            }
            out.push((r, sums.clone()));
            next.next();
        }
        sums.add(f, s.row)?;
    }
    out.extend(next.map(|&r| (r, sums.clone())));
    Ok((sums, out))
}

/// The histogram of the refined stars' effective sample sizes and how many are below 10.
fn ess_counts(stars: &[StarSummary], refined: bool) -> (Option<LogHistogram>, usize) {
    if !refined {
        return (None, 0);
    }
    let mut h = ess_histogram();
    let mut poor = 0;
    for e in stars.iter().filter_map(|s| s.ess) {
        h.add(e);
        poor += usize::from(e < 10.0);
    }
    (Some(h), poor)
}
