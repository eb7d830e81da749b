//! How a baseline's global parameters are summarised (spec B.5): mean, standard deviation,
//! median, and the 15.865/84.135 % (1σ) and 2.275/97.725 % (2σ) percentiles, from draws or
//! from a Gaussian (the Laplace approximation).

/// The percentile levels of the 1σ and 2σ intervals (spec B.5).
pub const LEVELS: [f64; 4] = [0.022_75, 0.158_65, 0.841_35, 0.977_25];

/// The summary of one parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamSummary {
    /// Its name.
    pub name: String,
    /// Mean.
    pub mean: f64,
    /// Standard deviation.
    pub sd: f64,
    /// Median.
    pub median: f64,
    /// The 15.865 % and 84.135 % percentiles.
    pub q16: f64,
    /// See `q16`.
    pub q84: f64,
    /// The 2.275 % and 97.725 % percentiles.
    pub q02: f64,
    /// See `q02`.
    pub q98: f64,
}

impl ParamSummary {
    /// The summary of draws (type-7 quantiles); `None` for fewer than 2 finite values.
    pub fn from_draws(name: &str, values: &[f64]) -> Option<ParamSummary> {
        let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
        if v.len() < 2 {
            return None;
        }
        v.sort_by(f64::total_cmp);
        let q = |p: f64| crate::stats::quantile_sorted(&v, p).unwrap_or(f64::NAN);
        Some(ParamSummary {
            name: name.to_string(),
            mean: crate::stats::mean(&v).unwrap_or(f64::NAN),
            sd: crate::stats::std(&v).unwrap_or(f64::NAN),
            median: q(0.5),
            q16: q(LEVELS[1]),
            q84: q(LEVELS[2]),
            q02: q(LEVELS[0]),
            q98: q(LEVELS[3]),
        })
    }

    /// The summary of N(mean, sd²).
    pub fn gaussian(name: &str, mean: f64, sd: f64) -> ParamSummary {
        let z = |p: f64| crate::stats::special::normal_quantile(p);
        ParamSummary {
            name: name.to_string(),
            mean,
            sd,
            median: mean,
            q16: mean + sd * z(LEVELS[1]),
            q84: mean + sd * z(LEVELS[2]),
            q02: mean + sd * z(LEVELS[0]),
            q98: mean + sd * z(LEVELS[3]),
        }
    }
}
