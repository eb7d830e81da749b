//! NUTS on any [`LogDensity`]: chains in parallel on the rayon pool, each with its own
//! derived seed, started from a centre jittered per chain, with a progress bar per chain.
//!
//! Chain c uses the seed `rng::derive(seed, c)` and its start `c + s ⊙ j·u`, u ~ N(0, I)
//! from the stream `rng::stream(seed, 1000 + c)`, so the draws depend on the seed alone,
//! never on the number of threads.

use super::adapter::run_chain;
use super::progress::ChainBars;
use super::trace::{ChainTrace, NutsOptions, NutsRun};
use crate::model::LogDensity;
use rand::Rng;
use rand_distr::StandardNormal;
use rayon::prelude::*;

/// NUTS on `density` around `center` with per-coordinate scales `scale` (a diagonal
/// preconditioner, e.g. the Laplace standard deviations; ones for none).
pub fn sample(
    density: &dyn LogDensity,
    center: &[f64],
    scale: &[f64],
    opts: &NutsOptions,
) -> Result<NutsRun, String> {
    let dim = density.dim();
    if center.len() != dim
        || scale.len() != dim
        || scale.iter().any(|s| !(s.is_finite() && *s > 0.0))
    {
        return Err(format!(
            "nuts: the centre and the scales need {dim} values each, the scales finite and positive"
        ));
    }
    opts.validate().map_err(|e| e.to_string())?;
    let started = std::time::Instant::now();
    let bars = ChainBars::new(opts.chains, (opts.warmup + opts.draws) as u64, &opts.label);
    let results: Vec<Result<ChainTrace, String>> = (0..opts.chains)
        .into_par_iter()
        .map(|c| {
            let mut rng = crate::rng::stream(opts.seed, 1000 + c as u64);
            let z0: Vec<f64> = (0..dim)
                .map(|_| opts.jitter * rng.sample::<f64, _>(StandardNormal))
                .collect();
            let mut divergences = 0;
            let mut on_draw = |it: usize, div: bool, step: f64| {
                divergences += usize::from(div && it >= opts.warmup);
                bars.update(c, it, opts.warmup, divergences, step);
            };
            let stop = || crate::interrupt::is_requested();
            let seed = crate::rng::derive(opts.seed, c as u64);
            run_chain(
                density,
                center,
                scale,
                &z0,
                opts,
                c as u64,
                seed,
                &mut on_draw,
                &stop,
            )
            .map_err(|e| format!("chain {c}: {e}"))
        })
        .collect();
    bars.finish();
    let chains = results.into_iter().collect::<Result<Vec<_>, _>>()?;
    let termination = match crate::interrupt::pending() {
        Some(r) if chains.iter().any(|c| c.stopped_early) => r.describe().to_string(),
        _ => "completed".to_string(),
    };
    Ok(NutsRun {
        chains,
        seconds: started.elapsed().as_secs_f64(),
        termination,
    })
}
