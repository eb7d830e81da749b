//! Rejection of posterior draws outside the prior support (sbi's "leakage correction",
//! spec A.3), for one observation at a time.
//!
//! The flow puts some mass outside the prior's support (e.g. birth times outside
//! [2, 12.8] Gyr). Draws are made in batches and kept if inside the support, until `n` are
//! accepted; the first `n` accepted, in draw order, are returned. Batch sizes follow sbi:
//! first `min(n, max_batch)`, then `min(max_batch, max(⌈1.5·remaining / rate⌉, 100))` with
//! the running acceptance rate. Unlike sbi, the loop gives up with an error instead of
//! running for ever when the acceptance rate is below `min_acceptance`.

use serde::{Deserialize, Serialize};

/// Settings of the rejection loop.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RejectionOptions {
    /// Largest batch drawn at once (sbi: 10 000).
    pub max_batch: usize,
    /// Give up when the acceptance rate is below this after `min_draws_before_giving_up`
    /// draws (default 1e-3: fewer than one draw in a thousand inside the support).
    pub min_acceptance: f64,
    /// Number of draws after which a low acceptance rate is an error (default 10 000).
    pub min_draws_before_giving_up: usize,
}

impl Default for RejectionOptions {
    fn default() -> Self {
        RejectionOptions {
            max_batch: 10_000,
            min_acceptance: 1e-3,
            min_draws_before_giving_up: 10_000,
        }
    }
}

/// The acceptance rate is too low to collect the requested samples.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error(
    "only {accepted} of {drawn} posterior draws ({:.3} %) fall inside the prior support, below \
     the minimum acceptance rate {:.3} %; the observation is probably far outside what the \
     posterior was trained on", 100.0 * *accepted as f64 / (*drawn).max(1) as f64, 100.0 * min_acceptance
)]
pub struct LowAcceptance {
    /// Draws accepted so far.
    pub accepted: usize,
    /// Draws made so far.
    pub drawn: usize,
    /// The threshold in force.
    pub min_acceptance: f64,
}

/// Accepted draws of one observation.
#[derive(Debug, Clone, PartialEq)]
pub struct Accepted {
    /// Row-major `(n, d)` accepted samples, in draw order.
    pub samples: Vec<f64>,
    /// Total number of draws made.
    pub drawn: usize,
    /// Number of draws inside the support, including surplus ones of the last batch.
    pub inside: usize,
}

impl Accepted {
    /// Fraction of draws inside the support.
    pub fn acceptance(&self) -> f64 {
        self.inside as f64 / self.drawn.max(1) as f64
    }
}

/// Draws `n` samples of dimension `d` inside the support.
///
/// `draw(k, out)` must fill `out` (length `k·d`, row-major `(k, d)`) with `k` new draws;
/// `in_support(row)` says whether a draw of length `d` is kept. Returns the accepted samples
/// and the number of draws made, or [`LowAcceptance`].
pub fn sample_with_rejection(
    n: usize,
    d: usize,
    opts: &RejectionOptions,
    mut draw: impl FnMut(usize, &mut [f64]),
    in_support: impl Fn(&[f64]) -> bool,
) -> Result<Accepted, LowAcceptance> {
    let mut out = Vec::with_capacity(n * d);
    let mut accepted_total = 0usize;
    let mut drawn = 0usize;
    let mut buf = Vec::new();
    let max_batch = opts.max_batch.max(1);
    while accepted_total < n {
        let remaining = n - accepted_total;
        let k = if drawn == 0 {
            n.min(max_batch)
        } else {
            let rate = (accepted_total as f64 / drawn as f64).max(1e-12);
            let want = (1.5 * remaining as f64 / rate).ceil();
            (want.min(max_batch as f64) as usize)
                .max(100)
                .min(max_batch)
        };
        buf.resize(k * d, 0.0);
        draw(k, &mut buf);
        drawn += k;
        for row in buf.chunks_exact(d.max(1)) {
            if in_support(row) {
                accepted_total += 1;
                if out.len() < n * d {
                    out.extend_from_slice(row);
                }
            }
        }
        if accepted_total < n
            && drawn >= opts.min_draws_before_giving_up
            && (accepted_total as f64) < opts.min_acceptance * drawn as f64
        {
            return Err(LowAcceptance {
                accepted: accepted_total,
                drawn,
                min_acceptance: opts.min_acceptance,
            });
        }
    }
    Ok(Accepted {
        samples: out,
        drawn,
        inside: accepted_total,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn keeps_first_accepted_in_draw_order() {
        let mut counter = 0.0;
        let acc = sample_with_rejection(
            10,
            1,
            &RejectionOptions::default(),
            |k, out| {
                for v in out.iter_mut().take(k) {
                    *v = counter;
                    counter += 1.0;
                }
            },
            |r| (r[0] as i64) % 3 == 0,
        )
        .unwrap();
        assert_eq!(
            acc.samples,
            vec![0.0, 3.0, 6.0, 9.0, 12.0, 15.0, 18.0, 21.0, 24.0, 27.0]
        );
        // first batch 10 draws (4 accepted), then max(⌈1.5·6/0.4⌉, 100) = 100 draws.
        assert_eq!(acc.drawn, 110);
        assert_eq!(acc.inside, 4 + 33);
    }

    #[test]
    fn acceptance_rate_matches_support_fraction() {
        let mut r = crate::rng::rng(1);
        let acc = sample_with_rejection(
            5000,
            2,
            &RejectionOptions::default(),
            |_, out| out.iter_mut().for_each(|v| *v = r.gen::<f64>()),
            |row| row[0] < 0.25,
        )
        .unwrap();
        assert_eq!(acc.samples.len(), 10_000);
        assert!(acc.samples.chunks(2).all(|r| r[0] < 0.25));
        let rate = acc.acceptance();
        assert!((rate - 0.25).abs() < 0.02, "{rate}");
    }

    #[test]
    fn gives_up_when_nothing_is_accepted() {
        let err = sample_with_rejection(
            100,
            1,
            &RejectionOptions::default(),
            |_, out| out.fill(1.0),
            |_| false,
        )
        .unwrap_err();
        assert_eq!(err.accepted, 0);
        assert!(err.drawn >= 10_000 && err.drawn < 20_000);
    }
}
