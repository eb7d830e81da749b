//! Parameter spaces: the names of a model's parameters, in order, and which of them are
//! *global* (shared by every star of a galaxy, like α_IMF and log10 N_Ia) rather than
//! *local* (one value per star).
//!
//! Everything that used to assume "6 parameters, the first two global" asks a
//! [`ParamSpace`] instead, so a posterior of the two global parameters alone, more global
//! parameters, or another simulator's parameters work the same way.

use crate::error::{OptionError, ShapeError};
use serde::{Deserialize, Serialize};

/// One parameter of a space.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Param {
    /// Name, e.g. `"alpha_imf"`.
    pub name: String,
    /// Whether the parameter is shared by all stars of a galaxy.
    #[serde(default)]
    pub global: bool,
    /// The closed interval outside which the model is not defined (e.g. a fraction in
    /// [0, 1]); `None` for an unbounded parameter. Uniform prior boxes are cut to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bounds: Option<(f64, f64)>,
}

impl Param {
    /// An unbounded parameter.
    pub fn new(name: impl Into<String>, global: bool) -> Self {
        Param {
            name: name.into(),
            global,
            bounds: None,
        }
    }
}

/// An ordered set of named parameters, some of them global.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Vec<Param>", into = "Vec<Param>")]
pub struct ParamSpace {
    params: Vec<Param>,
}

impl TryFrom<Vec<Param>> for ParamSpace {
    type Error = OptionError;
    fn try_from(params: Vec<Param>) -> Result<Self, OptionError> {
        ParamSpace::new(params)
    }
}

impl From<ParamSpace> for Vec<Param> {
    fn from(s: ParamSpace) -> Self {
        s.params
    }
}

impl ParamSpace {
    /// A space of the given parameters: at least one, with distinct non-empty names.
    pub fn new(params: Vec<Param>) -> Result<Self, OptionError> {
        if params.is_empty() {
            return Err(OptionError::new(
                "parameters",
                "[]",
                "a parameter space needs at least one parameter",
            ));
        }
        for (i, p) in params.iter().enumerate() {
            if p.name.is_empty() {
                return Err(OptionError::new(
                    "parameters",
                    i,
                    "parameter names must not be empty",
                ));
            }
            if params[..i].iter().any(|q| q.name == p.name) {
                return Err(OptionError::new("parameters", &p.name, "appears twice"));
            }
        }
        Ok(ParamSpace { params })
    }

    /// A space of `names`, of which those in `global` are global.
    pub fn from_names<S: AsRef<str>>(names: &[S], global: &[&str]) -> Result<Self, OptionError> {
        if let Some(g) = global
            .iter()
            .find(|g| !names.iter().any(|n| n.as_ref() == **g))
        {
            return Err(OptionError::new(
                "global",
                g,
                "is not one of the parameters",
            ));
        }
        Self::new(
            names
                .iter()
                .map(|n| Param::new(n.as_ref(), global.contains(&n.as_ref())))
                .collect(),
        )
    }

    /// Number of parameters.
    pub fn dim(&self) -> usize {
        self.params.len()
    }

    /// The parameters, in order.
    pub fn params(&self) -> &[Param] {
        &self.params
    }

    /// The names, in order.
    pub fn names(&self) -> Vec<&str> {
        self.params.iter().map(|p| p.name.as_str()).collect()
    }

    /// The names as owned strings.
    pub fn name_strings(&self) -> Vec<String> {
        self.params.iter().map(|p| p.name.clone()).collect()
    }

    /// The name of parameter `i`.
    pub fn name(&self, i: usize) -> Option<&str> {
        self.params.get(i).map(|p| p.name.as_str())
    }

    /// The position of the parameter called `name`.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.params.iter().position(|p| p.name == name)
    }

    /// Whether parameter `i` is global.
    pub fn is_global(&self, i: usize) -> bool {
        self.params.get(i).is_some_and(|p| p.global)
    }

    /// Positions of the global parameters, ascending.
    pub fn global_indices(&self) -> Vec<usize> {
        (0..self.dim()).filter(|&i| self.params[i].global).collect()
    }

    /// Positions of the local parameters, ascending.
    pub fn local_indices(&self) -> Vec<usize> {
        (0..self.dim())
            .filter(|&i| !self.params[i].global)
            .collect()
    }

    /// Number of global parameters.
    pub fn n_global(&self) -> usize {
        self.params.iter().filter(|p| p.global).count()
    }

    /// The subspace of the parameters at `indices` (in that order).
    pub fn subspace(&self, indices: &[usize]) -> Result<ParamSpace, ShapeError> {
        let params = indices
            .iter()
            .map(|&i| {
                self.params.get(i).cloned().ok_or_else(|| {
                    ShapeError::new("parameter index", format!("< {}", self.dim()), i)
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        ParamSpace::new(params)
            .map_err(|e| ShapeError::new("subspace", "distinct indices", e.reason))
    }

    /// The subspace of the global parameters.
    pub fn globals(&self) -> Option<ParamSpace> {
        let g = self.global_indices();
        (!g.is_empty()).then(|| self.subspace(&g).ok()).flatten()
    }

    /// The positions of `names` in this space, or an error naming the first unknown one and
    /// listing the known ones.
    pub fn indices_of<S: AsRef<str>>(&self, names: &[S]) -> Result<Vec<usize>, OptionError> {
        names
            .iter()
            .map(|n| {
                self.index_of(n.as_ref()).ok_or_else(|| {
                    OptionError::new(
                        "parameter",
                        n.as_ref(),
                        format!("unknown; the parameters are {}", self.names().join(", ")),
                    )
                })
            })
            .collect()
    }

    /// Checks that rows of `ncols` columns fit this space (`what` names the array).
    pub fn check_width(&self, what: &str, ncols: usize) -> Result<(), ShapeError> {
        if ncols == self.dim() {
            Ok(())
        } else {
            Err(ShapeError::new(
                what,
                format!("{} columns ({})", self.dim(), self.names().join(", ")),
                format!("{ncols} columns"),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_spaces_are_refused() {
        assert!(ParamSpace::new(vec![]).is_err());
        let dup = serde_json::from_str::<ParamSpace>(r#"[{"name":"a"},{"name":"a"}]"#);
        assert!(dup.unwrap_err().to_string().contains("twice"));
        assert!(ParamSpace::from_names(&["a", "b"], &["c"]).is_err());
        let s = ParamSpace::from_names(&["a", "b", "c"], &["a", "c"]).unwrap();
        assert_eq!(
            (s.global_indices(), s.local_indices()),
            (vec![0, 2], vec![1])
        );
        assert_eq!(s.globals().unwrap().names(), vec!["a", "c"]);
        assert!(s
            .indices_of(&["z"])
            .unwrap_err()
            .to_string()
            .contains("a, b, c"));
        assert!(s
            .check_width("theta", 2)
            .unwrap_err()
            .to_string()
            .contains("3 columns"));
        let back: ParamSpace = serde_json::from_str(&serde_json::to_string(&s).unwrap()).unwrap();
        assert_eq!(back, s);
    }
}
