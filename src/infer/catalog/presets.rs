//! Column layouts of known catalogs, for a posterior's observables (`C_Fe`, `Fe_H`, …):
//!
//! | preset | value | error | flag | label |
//! |---|---|---|---|---|
//! | `default`, `chempy_npz` | `obs_CFe`, `obs_FeH` | `err_CFe` | — | `star` |
//! | `apogee` (allStar) | `C_FE`, `FE_H` | `C_FE_ERR` | `C_FE_FLAG` | `APOGEE_ID` |
//! | `galah` (DR3/DR4) | `C_fe`, `fe_h` | `e_C_fe` | `flag_C_fe` | `sobject_id` |
//!
//! `chempy_npz` is the layout [`crate::catalog::Table::read_npz`] makes of ChempyMulti's
//! `.npz` mocks. APOGEE's −9999 (and anything below −9000) counts as missing. Error and flag
//! columns are used when the catalog has them; a missing value column is an error that names
//! every observable the catalog lacks.

use super::table_input::ColumnMap;
use crate::catalog::{CatalogError, Table};
use std::fmt;
use std::str::FromStr;

/// A known catalog layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnPreset {
    /// galchem's bundled catalogs (`obs_<X>`, `err_<X>`, `star`).
    Default,
    /// ChempyMulti's `.npz` mocks as read by galchem (the default layout).
    ChempyNpz,
    /// APOGEE allStar (`X_FE`, `X_FE_ERR`, `X_FE_FLAG`, `FE_H`, `APOGEE_ID`).
    Apogee,
    /// GALAH DR3/DR4 (`X_fe`, `e_X_fe`, `flag_X_fe`, `fe_h`, `sobject_id`).
    Galah,
}

impl FromStr for ColumnPreset {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "default" | "galchem" => Ok(Self::Default),
            "chempy_npz" | "npz" => Ok(Self::ChempyNpz),
            "apogee" => Ok(Self::Apogee),
            "galah" => Ok(Self::Galah),
            _ => Err(format!(
                "unknown column preset '{s}' (default, apogee, galah, chempy_npz)"
            )),
        }
    }
}

impl fmt::Display for ColumnPreset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Default => "default",
            Self::ChempyNpz => "chempy_npz",
            Self::Apogee => "apogee",
            Self::Galah => "galah",
        })
    }
}

/// `("C", "Fe")` of `"C_Fe"`.
fn split(obs: &str) -> (&str, &str) {
    obs.split_once('_').unwrap_or((obs, ""))
}

impl ColumnPreset {
    /// The column of observable `obs`'s value.
    pub fn value_column(&self, obs: &str) -> String {
        let (a, b) = split(obs);
        match self {
            Self::Default | Self::ChempyNpz => format!("obs_{a}{b}"),
            Self::Apogee => obs.to_ascii_uppercase(),
            Self::Galah if a == "Fe" => format!("fe_{}", b.to_ascii_lowercase()),
            Self::Galah => format!("{a}_{}", b.to_ascii_lowercase()),
        }
    }

    /// The column of observable `obs`'s error (1σ, dex).
    pub fn error_column(&self, obs: &str) -> String {
        let (a, b) = split(obs);
        match self {
            Self::Default | Self::ChempyNpz => format!("err_{a}{b}"),
            Self::Apogee => format!("{}_ERR", self.value_column(obs)),
            Self::Galah => format!("e_{}", self.value_column(obs)),
        }
    }

    /// The column of observable `obs`'s quality flag, if the layout has flags.
    pub fn flag_column(&self, obs: &str) -> Option<String> {
        match self {
            Self::Default | Self::ChempyNpz => None,
            Self::Apogee => Some(format!("{}_FLAG", self.value_column(obs))),
            Self::Galah => Some(format!("flag_{}", self.value_column(obs))),
        }
    }

    /// The column of star names.
    pub fn label_column(&self) -> &'static str {
        match self {
            Self::Default | Self::ChempyNpz => "star",
            Self::Apogee => "APOGEE_ID",
            Self::Galah => "sobject_id",
        }
    }

    /// The observables among `candidates` whose value column `t` has, in that order: the
    /// catalog's element set.
    pub fn elements_in(&self, t: &Table, candidates: &[String]) -> Vec<String> {
        candidates
            .iter()
            .filter(|o| t.has_column(&self.value_column(o)))
            .cloned()
            .collect()
    }

    /// The columns of `observables` in `t`: every value column must exist (the error names
    /// all that are missing); errors are used when all exist, flags where they exist.
    pub fn map(&self, t: &Table, observables: &[String]) -> Result<ColumnMap, CatalogError> {
        let map = self.layout(t, observables);
        map.check_values(t, observables, &self.to_string())?;
        Ok(map)
    }

    /// The columns of `observables` in this layout, whether or not `t` has the value
    /// columns (a caller may rename some first; [`ColumnMap::check_values`] checks them):
    /// error columns when `t` has all of them, flag columns where it has them, the label
    /// column if present.
    pub fn layout(&self, t: &Table, observables: &[String]) -> ColumnMap {
        let values: Vec<String> = observables.iter().map(|o| self.value_column(o)).collect();
        let errors: Vec<String> = observables.iter().map(|o| self.error_column(o)).collect();
        let flags: Vec<Option<String>> = observables
            .iter()
            .map(|o| self.flag_column(o).filter(|f| t.has_column(f)))
            .collect();
        ColumnMap {
            values,
            errors: errors.iter().all(|c| t.has_column(c)).then_some(errors),
            label: Some(self.label_column().to_string()).filter(|l| t.has_column(l)),
            flags: flags.iter().any(Option::is_some).then_some(flags),
            sentinel: (*self == Self::Apogee).then_some(-9000.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::ColumnData;

    #[test]
    fn survey_column_names() {
        let a = ColumnPreset::Apogee;
        assert_eq!(
            (a.value_column("Mg_Fe"), a.error_column("Fe_H")),
            ("MG_FE".into(), "FE_H_ERR".into())
        );
        assert_eq!(a.flag_column("N_Fe").as_deref(), Some("N_FE_FLAG"));
        let g = ColumnPreset::Galah;
        assert_eq!(
            (g.value_column("Fe_H"), g.value_column("Mg_Fe")),
            ("fe_h".into(), "Mg_fe".into())
        );
        assert_eq!(
            (g.error_column("Si_Fe"), g.flag_column("Fe_H")),
            ("e_Si_fe".into(), Some("flag_fe_h".into()))
        );
        assert_eq!(ColumnPreset::Default.value_column("Fe_H"), "obs_FeH");
        assert!("sdss".parse::<ColumnPreset>().is_err());
    }

    #[test]
    fn missing_elements_are_all_named() {
        let t = Table::from_columns(vec![
            ("FE_H".into(), ColumnData::Float(vec![0.1])),
            ("MG_FE".into(), ColumnData::Float(vec![0.2])),
            ("MG_FE_FLAG".into(), ColumnData::Int(vec![1])),
        ])
        .unwrap();
        let names: Vec<String> = ["Fe_H", "Mg_Fe", "He_Fe", "Ne_Fe"]
            .map(String::from)
            .to_vec();
        assert_eq!(
            ColumnPreset::Apogee.elements_in(&t, &names),
            ["Fe_H", "Mg_Fe"]
        );
        let err = ColumnPreset::Apogee
            .map(&t, &names)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("He_Fe (column HE_FE), Ne_Fe (column NE_FE)"),
            "{err}"
        );
        let m = ColumnPreset::Apogee.map(&t, &names[..2]).unwrap();
        assert!(m.errors.is_none());
        assert_eq!(m.flags, Some(vec![None, Some("MG_FE_FLAG".into())]));
    }
}
