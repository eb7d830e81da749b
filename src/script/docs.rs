//! Function documentation: the text `help()` shows in the REPL and the book's function
//! reference is generated from — both come from the doc comments of the registered functions.

use super::options::OptionDoc;
use rhai::{Engine, Module, Shared};
use serde::Deserialize;
use std::collections::BTreeMap;

/// One function name with all its overloads.
#[derive(Debug, Clone, PartialEq)]
pub struct FnDoc {
    pub name: String,
    pub category: String,
    /// One signature per overload, e.g. `read_csv(path: &str) -> Table`.
    pub signatures: Vec<String>,
    /// Doc comment paragraphs (distinct ones across overloads), without the `///` markers.
    pub docs: Vec<String>,
}

/// A group of related functions.
#[derive(Debug, Clone, PartialEq)]
pub struct Category {
    pub name: String,
    pub description: String,
    pub functions: Vec<String>,
}

/// One documented property of a result type.
#[derive(Debug, Clone, PartialEq)]
pub struct PropertyDoc {
    pub name: String,
    pub ty: String,
    pub doc: String,
}

/// Documentation of every galchem function, option and result type.
#[derive(Debug, Clone, Default)]
pub struct Docs {
    pub categories: Vec<Category>,
    pub functions: BTreeMap<String, FnDoc>,
    /// The options of functions that take an options map, by function name (one table or
    /// more per function).
    pub options: BTreeMap<String, Vec<&'static [OptionDoc]>>,
    /// The properties of result types, by type name.
    pub types: BTreeMap<String, Vec<PropertyDoc>>,
}

#[derive(Deserialize)]
struct Meta {
    #[serde(default)]
    functions: Vec<FnMeta>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FnMeta {
    name: String,
    #[serde(default)]
    params: Vec<ParamMeta>,
    #[serde(default)]
    return_type: Option<String>,
    #[serde(default)]
    doc_comments: Vec<String>,
}

#[derive(Deserialize)]
struct ParamMeta {
    name: Option<String>,
    #[serde(rename = "type")]
    typ: Option<String>,
}

impl FnMeta {
    /// `name(param: type, ...) -> return type` with Rust paths shortened.
    fn signature(&self) -> String {
        let params: Vec<String> = self
            .params
            .iter()
            .map(|p| match (&p.name, &p.typ) {
                (Some(n), Some(t)) if n != "_" => format!("{n}: {}", clean_type(t)),
                (_, Some(t)) => clean_type(t),
                (Some(n), None) => n.clone(),
                (None, None) => "_".into(),
            })
            .collect();
        let ret = self
            .return_type
            .as_deref()
            .map(clean_type)
            .filter(|r| !r.is_empty() && r != "()");
        match ret {
            Some(r) => format!("{}({}) -> {r}", self.name, params.join(", ")),
            None => format!("{}({})", self.name, params.join(", ")),
        }
    }

    /// The doc comment without its comment markers.
    fn doc(&self) -> String {
        self.doc_comments
            .iter()
            .map(|c| strip_comment(c))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// Whether `name` is a user-callable identifier (not an operator, getter or indexer).
fn listed(name: &str) -> bool {
    name.chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_alphanumeric() || c == '_')
        && !matches!(name, "to_string" | "to_debug")
}

fn clean_type(t: &str) -> String {
    let t = t.trim();
    let t = t
        .strip_prefix("Result<")
        .and_then(|r| r.rsplit_once(", Box<EvalAltResult>>").map(|(a, _)| a))
        .unwrap_or(t);
    let t = t
        .strip_prefix("RhaiResult<")
        .and_then(|r| r.strip_suffix('>'))
        .unwrap_or(t);
    let t = t.rsplit("::").next().unwrap_or(t);
    let t = t.trim_start_matches("&mut ");
    match t {
        "INT" | "i64" => "int".into(),
        "FLOAT" | "f64" => "float".into(),
        "ImmutableString" | "&str" | "String" => "string".into(),
        "Dynamic" => "any".into(),
        "CatalogInference" => "Inference".into(),
        "EvalReport" => "Evaluation".into(),
        "ExactReport" => "ExactEvaluation".into(),
        "EmulatorAccuracy" => "EmulatorReport".into(),
        "TrainReport" => "EmulatorTraining".into(),
        "NeuralPosterior" => "Posterior".into(),
        "Failure" => "Error".into(),
        "HmcFit" => "Hmc".into(),
        "Sampled" => "Nuts".into(),
        other => other.to_string(),
    }
}

fn strip_comment(c: &str) -> String {
    c.lines()
        .map(|l| {
            let l = l.trim_start();
            let l = l
                .strip_prefix("///")
                .or_else(|| l.strip_prefix("/**"))
                .unwrap_or(l);
            let l = l.strip_suffix("*/").unwrap_or(l);
            l.strip_prefix(' ').unwrap_or(l).to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_string()
}

fn metadata(module: &Shared<Module>) -> Vec<FnMeta> {
    let mut engine = Engine::new_raw();
    engine.register_global_module(module.clone());
    let json = engine.gen_fn_metadata_to_json(false).unwrap_or_default();
    let mut fns = serde_json::from_str::<Meta>(&json)
        .map(|m| m.functions)
        .unwrap_or_default();
    // the engine lists functions in hash order: sort for a stable reference
    fns.sort_by_cached_key(|f| (f.name.clone(), f.signature()));
    fns
}

impl Docs {
    /// Adds the functions of `module` under the category `name`.
    pub fn add_module(&mut self, name: &str, description: &str, module: &Shared<Module>) {
        let mut names = Vec::new();
        for f in metadata(module) {
            if let Some(prop) = f.name.strip_prefix("get$") {
                self.add_property(prop, &f);
                continue;
            }
            if !listed(&f.name) {
                continue;
            }
            let (sig, doc) = (f.signature(), f.doc());
            let entry = self
                .functions
                .entry(f.name.clone())
                .or_insert_with(|| FnDoc {
                    name: f.name.clone(),
                    category: name.to_string(),
                    signatures: vec![],
                    docs: vec![],
                });
            if !entry.signatures.contains(&sig) {
                entry.signatures.push(sig);
            }
            if !doc.is_empty() && !entry.docs.contains(&doc) {
                entry.docs.push(doc);
            }
            if !names.contains(&f.name) {
                names.push(f.name);
            }
        }
        names.sort();
        match self.categories.iter_mut().find(|c| c.name == name) {
            Some(c) => {
                c.functions.extend(names);
                c.functions.sort();
                c.functions.dedup();
            }
            None => self.categories.push(Category {
                name: name.into(),
                description: description.into(),
                functions: names,
            }),
        }
    }

    /// A getter's property under its type (the first parameter's type, e.g. `&mut Inference`).
    fn add_property(&mut self, prop: &str, f: &FnMeta) {
        let Some(ty) = f.params.first().and_then(|p| p.typ.as_deref()) else {
            return;
        };
        let ty = clean_type(ty);
        let entry = self.types.entry(ty).or_default();
        if !entry.iter().any(|p| p.name == prop) {
            entry.push(PropertyDoc {
                name: prop.to_string(),
                ty: f.return_type.as_deref().map(clean_type).unwrap_or_default(),
                doc: f.doc(),
            });
        }
    }

    /// Adds the option tables of functions.
    pub fn add_options(&mut self, options: Vec<(&'static str, &'static [OptionDoc])>) {
        for (name, docs) in options {
            self.options.entry(name.to_string()).or_default().push(docs);
        }
    }

    /// Adds the functions of a native module imported as `name` under the topic `name`,
    /// listed as `name::function`.
    pub fn add_native_module(&mut self, name: &str, description: &str, module: &Shared<Module>) {
        let entries = metadata(module)
            .into_iter()
            .filter(|f| listed(&f.name))
            .map(|f| {
                (
                    f.name.clone(),
                    format!("{name}::{}", f.signature()),
                    f.doc(),
                )
            })
            .collect();
        self.add_module_functions(
            name,
            format!("module, `import \"{name}\" as {name};` — {description}"),
            entries,
        );
    }

    /// Adds the functions of an imported module as `name::function`: (function, signature,
    /// doc) each, under a topic of their own.
    fn add_module_functions(
        &mut self,
        name: &str,
        description: String,
        entries: Vec<(String, String, String)>,
    ) {
        let mut names = Vec::new();
        for (function, sig, doc) in entries {
            let full = format!("{name}::{function}");
            self.functions.insert(
                full.clone(),
                FnDoc {
                    name: full.clone(),
                    category: name.to_string(),
                    signatures: vec![sig],
                    docs: vec![doc],
                },
            );
            names.push(full);
        }
        names.sort();
        self.categories.push(Category {
            name: name.into(),
            description,
            functions: names,
        });
    }

    /// The option table of function `name` as text lines (empty when it takes none).
    fn option_lines(&self, name: &str, markdown: bool) -> String {
        let Some(opts) = self.options.get(name) else {
            return String::new();
        };
        let mut s = String::from(if markdown {
            "\nOptions:\n\n"
        } else {
            "\nOptions:\n"
        });
        for o in opts.iter().flat_map(|t| t.iter()) {
            let doc = o.doc.split_whitespace().collect::<Vec<_>>().join(" ");
            if markdown {
                s.push_str(&format!("- `{}` ({}): {doc}\n", o.name, o.type_words()));
            } else {
                s.push_str(&format!("  {} ({}): {doc}\n", o.name, o.type_words()));
            }
        }
        s
    }

    /// The property table of a result type.
    fn type_help(&self, ty: &str, markdown: bool) -> Option<String> {
        let props = self.types.get(ty)?;
        let mut s = if markdown {
            format!("\n### `{ty}`\n\nA result type; its properties:\n\n")
        } else {
            format!("{ty} — a result type; its properties (r.name):\n")
        };
        for p in props {
            let doc = p.doc.split_whitespace().collect::<Vec<_>>().join(" ");
            if markdown {
                s.push_str(&format!("- `{}` ({}): {doc}\n", p.name, p.ty));
            } else {
                s.push_str(&format!("  {} ({}): {doc}\n", p.name, p.ty));
            }
        }
        if !markdown {
            s.push_str("  (also: to_map(), keys())");
        }
        Some(s)
    }

    /// Adds the functions of a Rhai module shipped in `stdlib/` under the topic `name`; they
    /// are listed as `name::function`.
    pub fn add_script_module(&mut self, name: &str, text: &str) {
        let engine = Engine::new_raw();
        let Ok(ast) = engine.compile(text) else {
            return;
        };
        let header: String = text
            .lines()
            .take_while(|l| l.starts_with("//"))
            .map(|l| l.trim_start_matches('/').trim())
            .collect::<Vec<_>>()
            .join(" ");
        let header = header.strip_prefix(&format!("{name}:")).unwrap_or(&header);
        let description = header
            .split(" Import with")
            .next()
            .unwrap_or("")
            .trim()
            .to_string();
        let entries = ast
            .iter_functions()
            .map(|f| {
                let sig = format!("{name}::{}({})", f.name, f.params.join(", "));
                let doc = f
                    .comments
                    .iter()
                    .map(|c| strip_comment(c))
                    .collect::<Vec<_>>()
                    .join("\n");
                (f.name.to_string(), sig, doc)
            })
            .collect();
        self.add_module_functions(
            name,
            format!("standard module, `import \"{name}\" as {name};` — {description}"),
            entries,
        );
    }

    /// All documented function and type names.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.functions
            .keys()
            .chain(self.types.keys())
            .map(String::as_str)
    }

    /// `help()`: the modules and their functions.
    pub fn overview(&self) -> String {
        let mut s = String::from("galchem functions by topic (help(\"name\") for details):\n");
        for c in &self.categories {
            s.push_str(&format!("\n{} — {}\n", c.name, c.description));
            let mut line = String::from("   ");
            for f in &c.functions {
                if line.len() + f.len() + 2 > 92 {
                    s.push_str(line.trim_end());
                    s.push('\n');
                    line = String::from("   ");
                }
                line.push(' ');
                line.push_str(f);
            }
            s.push_str(line.trim_end());
            s.push('\n');
        }
        s
    }

    /// `help("name")`: signatures and documentation of a function, or of every function in a
    /// topic; `None` if neither exists.
    pub fn help(&self, name: &str) -> Option<String> {
        if let Some(f) = self.functions.get(name) {
            let mut s = String::new();
            for sig in &f.signatures {
                s.push_str(sig);
                s.push('\n');
            }
            for d in &f.docs {
                s.push('\n');
                s.push_str(&plain_doc(d));
                s.push('\n');
            }
            s.push_str(&self.option_lines(name, false));
            s.push_str(&format!("\n(topic: {})", f.category));
            return Some(s);
        }
        if let Some(t) = self.type_help(name, false) {
            return Some(t);
        }
        let c = self.categories.iter().find(|c| c.name == name)?;
        let mut s = format!("{} — {}\n", c.name, c.description);
        for f in c.functions.iter().filter_map(|n| self.functions.get(n)) {
            s.push('\n');
            s.push_str(&f.signatures.join("\n"));
            if let Some(first) = f.docs.first().and_then(|d| d.lines().next()) {
                s.push_str(&format!("\n    {first}"));
            }
        }
        Some(s)
    }

    /// Names close to `name` (for "did you mean" suggestions).
    pub fn similar(&self, name: &str) -> Vec<&str> {
        let mut v: Vec<(usize, &str)> = self
            .names()
            .map(|n| (edit_distance(n, name), n))
            .filter(|(d, _)| *d <= 2)
            .collect();
        v.sort();
        v.into_iter().take(3).map(|(_, n)| n).collect()
    }

    /// The book's function reference (Markdown), generated from the same doc comments.
    pub fn reference_markdown(&self) -> String {
        let mut s = String::from(
            "# Function reference\n\n<!-- Generated by `galchem doc reference` from the doc comments of the \
             registered functions; do not edit by hand. -->\n\nThe same text is shown by `help(\"name\")` in the REPL.\n",
        );
        for c in &self.categories {
            s.push_str(&format!("\n## {}\n\n{}\n", c.name, c.description));
            for f in c.functions.iter().filter_map(|n| self.functions.get(n)) {
                s.push_str(&format!(
                    "\n### `{}`\n\n```rhai\n{}\n```\n",
                    f.name,
                    f.signatures.join("\n")
                ));
                for d in &f.docs {
                    s.push('\n');
                    s.push_str(&md_doc(d));
                    s.push('\n');
                }
                s.push_str(&self.option_lines(&f.name, true));
            }
        }
        if !self.types.is_empty() {
            s.push_str("\n## Result types\n\nWhat the functions above return; read a property with `r.name`, all of them with `r.to_map()`.\n");
            for ty in self.types.keys() {
                if let Some(t) = self.type_help(ty, true) {
                    s.push_str(&t);
                }
            }
        }
        s
    }
}

/// Doc text for the terminal: code fences become an indented "Example:" block.
fn plain_doc(d: &str) -> String {
    let mut open = false;
    let mut out = Vec::new();
    for l in d.lines() {
        if l.trim_start().starts_with("```") {
            open = !open;
            if open {
                out.push("Example:".to_string());
            }
            continue;
        }
        out.push(if open {
            format!("    {l}")
        } else {
            l.to_string()
        });
    }
    out.join("\n")
}

/// Doc text for Markdown: opening fences of examples get the `rhai` language tag.
fn md_doc(d: &str) -> String {
    let mut open = false;
    d.lines()
        .map(|l| {
            if l.trim_start().starts_with("```") {
                open = !open;
                if open && l.trim() == "```" {
                    return l.replacen("```", "```rhai", 1);
                }
            }
            l.to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

use super::options::edit_distance;
