//! Observations from a catalog table: which columns hold the abundances (and their errors
//! and quality flags), and the arrays [`Observations`] borrows. [`super::presets`] gives the
//! columns of known surveys.

use super::observe::Observations;
use crate::catalog::{CatalogError, Table};
use ndarray::Array2;

/// Catalog column of each abundance in the bundled catalogs' layout (`obs_<X>`), in the
/// order of [`crate::gce::ABUNDANCE_NAMES`].
pub const CATALOG_VALUE_COLUMNS: [&str; 8] = [
    "obs_CFe", "obs_FeH", "obs_HeFe", "obs_MgFe", "obs_NFe", "obs_NeFe", "obs_OFe", "obs_SiFe",
];
/// The matching error columns (`err_<X>`).
pub const CATALOG_ERROR_COLUMNS: [&str; 8] = [
    "err_CFe", "err_FeH", "err_HeFe", "err_MgFe", "err_NFe", "err_NeFe", "err_OFe", "err_SiFe",
];

/// The noiseless abundances of the bundled mock catalogs (`true_<X>`), same order.
pub const CATALOG_TRUE_COLUMNS: [&str; 8] = [
    "true_CFe",
    "true_FeH",
    "true_HeFe",
    "true_MgFe",
    "true_NFe",
    "true_NeFe",
    "true_OFe",
    "true_SiFe",
];

/// Which catalog columns feed the posterior.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ColumnMap {
    /// One column per observable, in the posterior's order.
    pub values: Vec<String>,
    /// Error columns (1σ, dex), if the catalog has them.
    pub errors: Option<Vec<String>>,
    /// A column of row labels (e.g. `star`), if any.
    pub label: Option<String>,
    /// Quality-flag columns, one per observable (`None` for an observable without one): a
    /// non-zero or true flag marks the value as unusable.
    pub flags: Option<Vec<Option<String>>>,
    /// A value at or below which a value or error counts as missing (APOGEE's −9999).
    pub sentinel: Option<f64>,
}

impl ColumnMap {
    /// The layout of the bundled catalogs: `obs_<X>`, `err_<X>` and `star`; error and label
    /// columns are used only when `t` has them.
    pub fn catalog_default(t: &Table) -> Self {
        let errors = CATALOG_ERROR_COLUMNS.iter().all(|c| t.has_column(c));
        ColumnMap {
            values: CATALOG_VALUE_COLUMNS
                .iter()
                .map(|s| s.to_string())
                .collect(),
            errors: errors.then(|| {
                CATALOG_ERROR_COLUMNS
                    .iter()
                    .map(|s| s.to_string())
                    .collect()
            }),
            label: t.has_column("star").then(|| "star".to_string()),
            flags: None,
            sentinel: None,
        }
    }
}

impl ColumnMap {
    /// Checks that `t` has every value column of `observables` (in the map's order): the
    /// error names each observable that lacks its column, the layout (`layout`, e.g.
    /// `apogee`) and the columns the catalog has.
    pub fn check_values(
        &self,
        t: &Table,
        observables: &[String],
        layout: &str,
    ) -> Result<(), CatalogError> {
        let lacking: Vec<String> = observables
            .iter()
            .zip(&self.values)
            .filter(|(_, c)| !t.has_column(c))
            .map(|(o, c)| format!("{o} (column {c})"))
            .collect();
        if lacking.is_empty() {
            return Ok(());
        }
        Err(CatalogError::MissingColumn {
            name: lacking.join(", "),
            available: t.columns(),
            context: Some(format!(
                "{}{} layout: the posterior needs {}; map them with `columns`, or train one on \
                 the catalog's elements (train_npe(sim, #{{ elements: [...] }}))",
                t.origin
                    .as_deref()
                    .map(|o| format!("{o}, "))
                    .unwrap_or_default(),
                layout,
                observables.join(", ")
            )),
        })
    }
}

/// `(n_rows, k)`: whether each value's flag column (if any) is non-zero (missing flags count
/// as unflagged).
fn flag_matrix(t: &Table, flags: &[Option<String>]) -> Result<Array2<bool>, CatalogError> {
    let mut out = Array2::from_elem((t.len(), flags.len()), false);
    for (j, f) in flags.iter().enumerate() {
        if let Some(name) = f {
            let v = t.column_f64(name)?;
            for (i, x) in v.iter().enumerate() {
                out[[i, j]] = x.is_finite() && *x != 0.0;
            }
        }
    }
    Ok(out)
}

/// Owned arrays of a catalog's observations; [`ObservationTable::view`] lends them as
/// [`Observations`].
#[derive(Debug, Clone)]
pub struct ObservationTable {
    pub values: Array2<f64>,
    pub missing: Array2<bool>,
    pub errors: Option<Array2<f64>>,
    pub flagged: Option<Array2<bool>>,
    pub columns: Vec<String>,
    pub error_columns: Vec<String>,
    pub labels: Option<Vec<String>>,
}

impl ObservationTable {
    /// Reads the mapped columns of `t`. Empty cells, NaN and text that is not a number count
    /// as missing (the row is skipped later, with the reason); a missing column is an error that
    /// lists the available ones.
    pub fn from_table(t: &Table, map: &ColumnMap) -> Result<Self, CatalogError> {
        let refs: Vec<&str> = map.values.iter().map(String::as_str).collect();
        t.require(&refs)?;
        let n = t.len();
        let k = map.values.len();
        let mut values = Array2::from_elem((n, k), f64::NAN);
        let mut missing = Array2::from_elem((n, k), false);
        for (j, name) in map.values.iter().enumerate() {
            let (v, notes) = t.column_f64_checked(name)?;
            for i in 0..n {
                values[[i, j]] = v[i];
                // NaN is how FITS and npz catalogs (and polars' float nulls) mark a gap
                missing[[i, j]] = notes[i].is_some() || v[i].is_nan();
            }
        }
        let errors = match &map.errors {
            None => None,
            Some(cols) => {
                let refs: Vec<&str> = cols.iter().map(String::as_str).collect();
                Some(t.matrix(&refs)?)
            }
        };
        let errors = errors.map(|mut e| {
            if let Some(s) = map.sentinel {
                e.mapv_inplace(|v| if v <= s { f64::NAN } else { v });
            }
            e
        });
        if let Some(s) = map.sentinel {
            ndarray::Zip::from(&mut missing)
                .and(&values)
                .for_each(|m, &v| *m |= v <= s);
        }
        let flagged = map.flags.as_ref().map(|f| flag_matrix(t, f)).transpose()?;
        let labels = match &map.label {
            None => None,
            Some(c) => Some(t.column_str(c)?),
        };
        Ok(ObservationTable {
            values,
            missing,
            errors,
            flagged,
            columns: map.values.clone(),
            error_columns: map.errors.clone().unwrap_or_default(),
            labels,
        })
    }

    /// The smallest and largest error (dex) of the values present, or `None` without error
    /// columns (or without one finite positive error).
    pub fn error_range(&self) -> Option<[f64; 2]> {
        let e = self.errors.as_ref()?;
        let mut range: Option<[f64; 2]> = None;
        for ((i, j), &s) in e.indexed_iter() {
            if self.missing[[i, j]] || !(s.is_finite() && s > 0.0) {
                continue;
            }
            let r = range.get_or_insert([s, s]);
            r[0] = r[0].min(s);
            r[1] = r[1].max(s);
        }
        range
    }

    /// The observations as [`Observations`].
    pub fn view(&self) -> Observations<'_> {
        Observations {
            values: self.values.view(),
            missing: Some(self.missing.view()),
            errors: self.errors.as_ref().map(|e| e.view()),
            flagged: self.flagged.as_ref().map(|f| f.view()),
            columns: self.columns.clone(),
            error_columns: self.error_columns.clone(),
            labels: self.labels.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::DataDir;

    #[test]
    fn bundled_catalog_layout_and_missing_values() {
        let path = DataDir::resolve(None)
            .unwrap()
            .join("catalogs/mock_chempy_tng.csv");
        let t = Table::read_csv(&path).unwrap();
        let map = ColumnMap::catalog_default(&t);
        assert!(map.errors.is_some() && map.label.as_deref() == Some("star"));
        let obs = ObservationTable::from_table(&t, &map).unwrap();
        assert_eq!(obs.values.dim(), (1054, 8));
        assert_eq!(obs.values[[0, 1]], t.column_f64("obs_FeH").unwrap()[0]);
        assert!(!obs.missing.iter().any(|&m| m));

        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.csv");
        let mut text = String::from("star,");
        text.push_str(&CATALOG_VALUE_COLUMNS.join(","));
        text.push_str("\n1,0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8\n2,0.1,,0.3,0.4,0.5,0.6,0.7,0.8\n3,0.1,n/a,0.3,0.4,0.5,0.6,0.7,0.8\n");
        std::fs::write(&p, text).unwrap();
        let t = Table::read_csv(&p).unwrap();
        let obs = ObservationTable::from_table(&t, &ColumnMap::catalog_default(&t)).unwrap();
        assert!(obs.errors.is_none());
        assert_eq!(
            (
                obs.missing[[0, 1]],
                obs.missing[[1, 1]],
                obs.missing[[2, 1]]
            ),
            (false, true, true)
        );
        let err = ObservationTable::from_table(
            &t,
            &ColumnMap {
                values: vec!["nope".into()],
                errors: None,
                label: None,
                flags: None,
                sentinel: None,
            },
        )
        .unwrap_err();
        assert!(err.to_string().contains("nope") && err.to_string().contains("obs_FeH"));
    }
}
