//! The Rhai scripting layer: engine setup, bindings (one file per library module), value
//! conversions and error reports with script positions. No science lives here.

mod arrays;
mod average;
mod calib;
mod calib_results;
mod calib_shard;
mod catalog;
pub mod context;
mod convert;
mod density;
pub mod docs;
mod emulator;
mod engine;
mod errors;
pub mod failure;
mod galaxy;
mod gce;
mod hmc;
mod hmc_results;
mod infer;
mod json;
pub mod options;
mod paper;
mod plot;
mod prior;
mod resolver;
pub mod results;
mod session_api;
mod simulators;
mod stream;
mod survey;
mod training;
mod training_set;

pub use context::{default_writes, Limits, SessionConfig};
pub use convert::Vector;
pub use errors::ScriptError;
pub use failure::Failure;
pub use resolver::STDLIB;

use errors::{format_eval, format_parse, SourceMap};
use rhai::{Dynamic, Engine, Map, Scope, AST};
use std::path::Path;
use std::sync::Arc;

/// A scripting session: one engine, and the variables, functions and imports that persist
/// between evaluations (the REPL keeps one for its whole life).
pub struct Session {
    engine: Engine,
    ctx: Arc<context::Context>,
    scope: Scope<'static>,
    /// Functions defined by earlier inputs.
    lib: AST,
    sources: Arc<SourceMap>,
    display: AST,
    inputs: usize,
}

impl Session {
    /// A new session.
    pub fn new(config: SessionConfig) -> Self {
        let sources = Arc::new(SourceMap::default());
        let (engine, ctx) = engine::build(config, sources.clone());
        let display = engine
            .compile_expression("to_string(__value)")
            .unwrap_or_default();
        Self {
            engine,
            ctx,
            scope: Scope::new(),
            lib: AST::empty(),
            sources,
            display,
            inputs: 0,
        }
    }

    /// The engine (for completion and tests).
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Documentation of every registered function.
    pub fn docs(&self) -> &docs::Docs {
        static EMPTY: std::sync::OnceLock<docs::Docs> = std::sync::OnceLock::new();
        self.ctx
            .docs
            .get()
            .unwrap_or_else(|| EMPTY.get_or_init(docs::Docs::default))
    }

    /// Names of the variables currently defined.
    pub fn variables(&self) -> Vec<String> {
        self.scope
            .iter()
            .map(|(name, _, _)| name.to_string())
            .collect()
    }

    /// Names of the script functions defined so far.
    pub fn script_functions(&self) -> Vec<String> {
        self.lib
            .iter_functions()
            .map(|f| f.name.to_string())
            .collect()
    }

    /// Sets the constant map `ARGS` seen by scripts.
    pub fn set_args(&mut self, args: Map) {
        self.scope.set_or_push("ARGS", args);
    }

    /// Runs a script file; `ARGS` should be set before.
    pub fn run_file(&mut self, path: &Path) -> Result<Dynamic, ScriptError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            ScriptError::plain(format!("cannot read script {}: {e}", path.display()))
        })?;
        self.run_source(&path.display().to_string(), &text)
    }

    /// Runs `text` as a whole script named `name` (functions and variables are kept).
    pub fn run_source(&mut self, name: &str, text: &str) -> Result<Dynamic, ScriptError> {
        crate::interrupt::clear();
        self.sources.insert(name, text);
        let mut ast = self
            .engine
            .compile(text)
            .map_err(|e| format_parse(&e, name, &self.sources))?;
        ast.set_source(name);
        let ops = self.ctx.config.limits.max_operations;
        let merged = self.lib.merge(&ast);
        let result = self
            .engine
            .eval_ast_with_scope::<Dynamic>(&mut self.scope, &merged);
        self.lib = merged.clone_functions_only();
        result.map_err(|e| format_eval(&e, name, &self.sources, ops))
    }

    /// Evaluates one REPL input: variables, functions and imported modules persist across
    /// inputs.
    pub fn eval_input(&mut self, text: &str) -> Result<Dynamic, ScriptError> {
        self.inputs += 1;
        let name = format!("<input {}>", self.inputs);
        let result = self.run_source(&name, text)?;
        for (path, alias) in imports_in(text) {
            let resolved = self.engine.module_resolver().resolve(
                &self.engine,
                None,
                &path,
                rhai::Position::NONE,
            );
            if let Ok(module) = resolved {
                self.engine.register_static_module(alias.as_str(), module);
            }
        }
        Ok(result)
    }

    /// Formats a value for the REPL (via its `to_string`), or `None` for `()`.
    pub fn display(&self, value: &Dynamic) -> Option<String> {
        if value.is_unit() {
            return None;
        }
        if value.is_string() {
            return Some(format!("{value:?}"));
        }
        let mut scope = Scope::new();
        scope.push("__value", value.clone());
        match self
            .engine
            .eval_ast_with_scope::<String>(&mut scope, &self.display)
        {
            Ok(s) => Some(s),
            Err(_) => Some(value.to_string()),
        }
    }
}

/// Parses `key=value` script arguments: integers and floats become numbers, `true`/`false`
/// booleans, anything else a string.
pub fn parse_args(pairs: &[String]) -> Result<Map, String> {
    let mut map = Map::new();
    for p in pairs {
        let (k, v) = p
            .split_once('=')
            .ok_or_else(|| format!("script argument '{p}' is not of the form key=value"))?;
        let k = k.trim();
        if k.is_empty() || !k.chars().all(|c| c.is_alphanumeric() || c == '_') {
            return Err(format!(
                "script argument '{p}': the key must be a name of letters, digits and _"
            ));
        }
        let value = if let Ok(i) = v.parse::<i64>() {
            Dynamic::from_int(i)
        } else if let Ok(f) = v.parse::<f64>() {
            Dynamic::from_float(f)
        } else if v == "true" || v == "false" {
            Dynamic::from_bool(v == "true")
        } else {
            Dynamic::from(v.to_string())
        };
        map.insert(k.into(), value);
    }
    Ok(map)
}

/// `import "path" as alias` statements at the top level of `text`: (path, alias).
fn imports_in(text: &str) -> Vec<(String, String)> {
    let mut out = vec![];
    for stmt in text.split(';') {
        let stmt = stmt.trim();
        let Some(rest) = stmt.strip_prefix("import") else {
            continue;
        };
        let Some((path, alias)) = rest.split_once(" as ") else {
            continue;
        };
        let path = path.trim().trim_matches('"');
        let alias = alias.trim();
        if !path.is_empty()
            && !alias.is_empty()
            && alias.chars().all(|c| c.is_alphanumeric() || c == '_')
        {
            out.push((path.to_string(), alias.to_string()));
        }
    }
    out
}
