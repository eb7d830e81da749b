//! The warnings of a catalog inference: catalog errors unlike the posterior's training
//! noise, poor refinement, and a combined estimate far outside the prior (the usual signs of
//! a catalog the simulator cannot explain).

use super::observe::Observations;
use super::StarSummary;
use crate::infer::combine::Combined;
use crate::model::Posterior;

/// The warnings of a catalog inference and the median effective sample size of refined
/// stars: catalog errors unlike the training noise (unrefined only: refinement uses them),
/// poor refinement, and a combined estimate far outside the prior.
pub(super) fn result_warnings(
    posterior: &dyn Posterior,
    obs: &Observations,
    rows: &[usize],
    stars: &[StarSummary],
    combined: &Combined,
    refined: bool,
    samples: usize,
) -> (Vec<String>, Option<f64>) {
    let mut warnings = if refined || posterior.accepts().errors {
        Vec::new()
    } else {
        noise_warnings(posterior, obs, rows)
    };
    let mut ess: Vec<f64> = stars.iter().filter_map(|s| s.ess).collect();
    ess.sort_by(f64::total_cmp);
    warnings.extend(ess_warning(&ess, samples));
    warnings.extend(prior_distance_warning(posterior, combined));
    (warnings, crate::stats::quantile_sorted(&ess, 0.5).ok())
}

/// Warns when refinement had little to work with: a median effective sample size below 10 %
/// of the draws means the flow's draws rarely fall where the simulator's posterior is (a
/// catalog the simulator cannot explain, or errors much larger than the training noise), so
/// the refined estimates rest on a few draws per star.
fn ess_warning(sorted_ess: &[f64], samples: usize) -> Option<String> {
    let median = crate::stats::quantile_sorted(sorted_ess, 0.5).ok()?;
    let poor = sorted_ess.iter().filter(|&&e| e < 10.0).count();
    ess_warning_of(median, poor, sorted_ess.len(), samples)
}

/// [`ess_warning`] from the median effective sample size, the number of stars below 10 and
/// the number of refined stars.
pub(crate) fn ess_warning_of(median: f64, poor: usize, n: usize, samples: usize) -> Option<String> {
    (median < 0.1 * samples as f64).then(|| {
        format!(
            "refinement: the median effective sample size is {median:.1} of {samples} draws \
             ({poor} of {n} stars below 10): the flow's draws rarely fall where the simulator's \
             posterior is (a catalog the simulator cannot explain?), so the refined estimates \
             and their uncertainties are unreliable"
        )
    })
}

/// Warns when the combined estimate lies more than 3 prior standard deviations from the
/// prior mean of a global parameter: the stars then pull the estimate where the posterior
/// was not trained, typically because the catalog is not explained by the simulator.
fn prior_distance_warning(posterior: &dyn Posterior, combined: &Combined) -> Option<String> {
    let (mean, sd) = posterior.prior().global_gaussian()?;
    let space = posterior.space();
    let names: Vec<String> = space
        .global_indices()
        .iter()
        .filter_map(|&j| space.name(j))
        .map(str::to_string)
        .collect();
    prior_distance_warning_of(&mean, &sd, &names, combined)
}

/// [`prior_distance_warning`] for a Gaussian prior (`mean`, `sd`) of the globals `names`.
pub(crate) fn prior_distance_warning_of(
    mean: &[f64],
    sd: &[f64],
    names: &[String],
    combined: &Combined,
) -> Option<String> {
    let far: Vec<String> = (0..mean.len().min(combined.mean.len()).min(names.len()))
        .filter_map(|j| {
            let z = (combined.mean[j] - mean[j]) / sd[j];
            (z.abs() > 3.0)
                .then(|| format!("{} {:.3} ({z:+.1} prior sd)", names[j], combined.mean[j]))
        })
        .collect();
    (!far.is_empty()).then(|| {
        format!(
            "the combined estimate lies far outside the prior: {}; the catalog is probably not \
             explained by the simulator and prior the posterior was trained on (misspecification)",
            far.join(", ")
        )
    })
}

/// Warns when the catalog's errors differ from the noise the posterior was trained with
/// (the posterior then under- or over-states the uncertainty of those stars).
fn noise_warnings(posterior: &dyn Posterior, obs: &Observations, rows: &[usize]) -> Vec<String> {
    let (Some(err), Some(noise)) = (&obs.errors, posterior.noise()) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (j, name) in posterior.observables().iter().enumerate() {
        let mut e: Vec<f64> = rows.iter().map(|&r| err[[r, j]]).collect();
        e.sort_by(f64::total_cmp);
        let Ok(med) = crate::stats::quantile_sorted(&e, 0.5) else {
            continue;
        };
        out.extend(noise_warning_of(name, med, noise.sigma[j]));
    }
    out
}

/// Warns when an observable's median catalog error `med` differs by more than 10 % from the
/// noise `trained` the posterior was trained with (both dex).
pub(crate) fn noise_warning_of(name: &str, med: f64, trained: f64) -> Option<String> {
    ((med - trained).abs() > 0.1 * trained.max(1e-12)).then(|| {
        format!(
            "{name}: the catalog's median error is {med:.3} dex but the posterior was trained with {trained:.3} dex noise"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ess_warning_only_when_the_median_is_small() {
        assert!(ess_warning(&[], 1000).is_none());
        assert!(ess_warning(&[50.0, 200.0, 700.0], 1000).is_none());
        let w = ess_warning(&[1.2, 3.0, 40.0], 1000).unwrap();
        assert!(
            w.contains("3.0 of 1000") && w.contains("2 of 3 stars below 10"),
            "{w}"
        );
    }
}
