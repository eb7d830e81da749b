//! Function documentation: the text `help()` shows in the REPL and the book's function
//! reference is generated from — both come from the doc comments of the registered functions.

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

/// Documentation of every galchem function.
#[derive(Debug, Clone, Default)]
pub struct Docs {
    pub categories: Vec<Category>,
    pub functions: BTreeMap<String, FnDoc>,
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
    match t {
        "&mut Vector" | "&mut Table" | "&mut Figure" | "&mut Chempy" | "&mut Prior"
        | "&mut Emulator" => t.trim_start_matches("&mut ").to_string(),
        "INT" | "i64" => "int".into(),
        "FLOAT" | "f64" => "float".into(),
        "ImmutableString" | "&str" | "String" => "string".into(),
        "Dynamic" => "any".into(),
        other => other.trim_start_matches("&mut ").to_string(),
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
    serde_json::from_str::<Meta>(&json)
        .map(|m| m.functions)
        .unwrap_or_default()
}

impl Docs {
    /// Adds the functions of `module` under the category `name`.
    pub fn add_module(&mut self, name: &str, description: &str, module: &Shared<Module>) {
        let mut names = Vec::new();
        for f in metadata(module) {
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
        let mut names = Vec::new();
        for f in ast.iter_functions() {
            let full = format!("{name}::{}", f.name);
            let sig = format!("{full}({})", f.params.join(", "));
            let doc = f
                .comments
                .iter()
                .map(|c| strip_comment(c))
                .collect::<Vec<_>>()
                .join("\n");
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
        let description =
            format!("standard module, `import \"{name}\" as {name};` — {description}");
        self.categories.push(Category {
            name: name.into(),
            description,
            functions: names,
        });
    }

    /// All documented function names.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.functions.keys().map(String::as_str)
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
            s.push_str(&format!("\n(topic: {})", f.category));
            return Some(s);
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

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}
