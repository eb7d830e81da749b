//! Model settings that CHEMPY keeps in `parameter.py` and that galchem lets a user change
//! without touching the six inferred parameters.
//!
//! Only one setting is exposed so far: the cosmic accretion onto the corona. It is the one
//! setting in which the ChempyMulti code behind the bundled catalog `mock_chempy_tng.csv`
//! differs from the code behind the reference runs (see [`ModelSettings::CHEMPY_MULTI_2019`]).

use super::config::SFR_FACTOR_FOR_COSMIC_ACCRETION;
use serde::{Deserialize, Serialize};

/// Settings of one simulator. The default is the configuration of the shared reference runs
/// (ChempyMulti `parameter.py` defaults).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ModelSettings {
    /// Primordial gas (H 0.76, He 0.24 by mass) accreted onto the corona per unit mass of stars
    /// formed in the step (CHEMPY `sfr_factor_for_cosmic_accretion`; dimensionless, ≥ 0).
    pub sfr_factor_for_cosmic_accretion: f64,
}

impl Default for ModelSettings {
    fn default() -> Self {
        Self {
            sfr_factor_for_cosmic_accretion: SFR_FACTOR_FOR_COSMIC_ACCRETION,
        }
    }
}

/// A setting outside its domain.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("invalid model setting {name} = {value}: {reason}")]
pub struct SettingsError {
    /// The setting.
    pub name: &'static str,
    /// The offending value.
    pub value: f64,
    /// What the value must satisfy.
    pub reason: &'static str,
}

impl ModelSettings {
    /// ChempyMulti before its commit 0788e5c (2019-08-31), which raised
    /// `sfr_factor_for_cosmic_accretion` from 1e-6 to 1. `mock_chempy_tng.csv`
    /// (`Mock_Data_Chempy+TNG.npz`) was made with this code: at Λ = (−2.3, −2.89) and the
    /// catalog's true birth times it reproduces the catalog's noiseless abundances to ~1e-9 dex,
    /// with local parameters that follow the prior (book, "Reproducing the paper").
    pub const CHEMPY_MULTI_2019: ModelSettings = ModelSettings {
        sfr_factor_for_cosmic_accretion: 1e-6,
    };

    /// Checks every setting (finite and in its domain).
    /// The named presets: `reference` (the default: the code behind the reference runs) and
    /// `chempy_multi_2019` (ChempyMulti before 2019-08-31, which made the bundled
    /// mock_chempy_tng.csv).
    pub const PRESETS: [(&'static str, ModelSettings); 2] = [
        (
            "reference",
            ModelSettings {
                sfr_factor_for_cosmic_accretion: SFR_FACTOR_FOR_COSMIC_ACCRETION,
            },
        ),
        ("chempy_multi_2019", ModelSettings::CHEMPY_MULTI_2019),
    ];

    /// The preset called `name`, or an error listing the presets.
    pub fn preset(name: &str) -> Result<ModelSettings, String> {
        Self::PRESETS
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, s)| *s)
            .ok_or_else(|| {
                let names: Vec<&str> = Self::PRESETS.iter().map(|(n, _)| *n).collect();
                format!("unknown preset '{name}' ({})", names.join(", "))
            })
    }

    pub fn validate(&self) -> Result<(), SettingsError> {
        let v = self.sfr_factor_for_cosmic_accretion;
        if !v.is_finite() || v < 0.0 {
            return Err(SettingsError {
                name: "sfr_factor_for_cosmic_accretion",
                value: v,
                reason: "must be a finite number ≥ 0",
            });
        }
        Ok(())
    }

    /// Whether these are the reference settings.
    pub fn is_default(&self) -> bool {
        *self == Self::default()
    }

    /// The settings that differ from the default, as `name=value` joined by commas (empty for
    /// the default), e.g. `sfr_factor_for_cosmic_accretion=0.000001`.
    pub fn describe_changes(&self) -> String {
        let d = Self::default();
        let mut parts = Vec::new();
        if self.sfr_factor_for_cosmic_accretion != d.sfr_factor_for_cosmic_accretion {
            parts.push(format!(
                "sfr_factor_for_cosmic_accretion={}",
                self.sfr_factor_for_cosmic_accretion
            ));
        }
        parts.join(",")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_matches_the_reference_configuration() {
        assert_eq!(
            ModelSettings::preset("reference"),
            Ok(ModelSettings::default())
        );
        assert!(ModelSettings::preset("bogus")
            .unwrap_err()
            .contains("chempy_multi_2019"));
        let s = ModelSettings::default();
        assert_eq!(s.sfr_factor_for_cosmic_accretion, 1.0);
        assert!(s.is_default());
        assert_eq!(s.describe_changes(), "");
        assert!(s.validate().is_ok());
    }

    #[test]
    fn changes_are_described_and_checked() {
        let s = ModelSettings::CHEMPY_MULTI_2019;
        assert!(!s.is_default());
        assert_eq!(
            s.describe_changes(),
            "sfr_factor_for_cosmic_accretion=0.000001"
        );
        for bad in [-1.0, f64::NAN, f64::INFINITY] {
            let e = ModelSettings {
                sfr_factor_for_cosmic_accretion: bad,
            }
            .validate()
            .unwrap_err();
            assert_eq!(e.name, "sfr_factor_for_cosmic_accretion");
        }
    }
}
