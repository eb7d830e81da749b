//! `import "name"`: modules are looked up next to the importing script, then among the
//! `stdlib/` modules compiled into galchem.

use super::errors::SourceMap;
use rhai::{Engine, EvalAltResult, Module, ModuleResolver, Position, Scope, Shared};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The Rhai modules shipped with galchem (`stdlib/*.rhai`), by name.
pub const STDLIB: &[(&str, &str)] = &[("stats", include_str!("../../stdlib/stats.rhai"))];

/// The native modules that `import "name"` resolves to (written in Rust), by name, with a
/// description for `help`.
pub fn native_modules() -> Vec<(&'static str, &'static str, Module)> {
    vec![(
        "paper",
        "numbers from Buck et al. and Philcox & Rybizki (2019) that the paper's experiments compare against",
        super::paper::module(),
    )]
}

/// Resolves imports relative to the importing file (or the base directory for the REPL and
/// stdin), then from [`STDLIB`]. Loaded modules are cached by path.
pub struct Resolver {
    base_dir: PathBuf,
    sources: Arc<SourceMap>,
    cache: Mutex<HashMap<String, Shared<Module>>>,
}

impl Resolver {
    /// A resolver whose relative imports from non-file sources start at `base_dir`.
    pub fn new(base_dir: PathBuf, sources: Arc<SourceMap>) -> Self {
        Self {
            base_dir,
            sources,
            cache: Mutex::new(HashMap::new()),
        }
    }

    fn candidate(&self, importer: Option<&str>, path: &str) -> PathBuf {
        let dir = importer
            .map(Path::new)
            .filter(|p| p.is_file())
            .and_then(|p| p.parent().map(Path::to_path_buf))
            .unwrap_or_else(|| self.base_dir.clone());
        let mut p = dir.join(path);
        if p.extension().is_none() {
            p.set_extension("rhai");
        }
        p
    }

    fn load(
        &self,
        engine: &Engine,
        name: &str,
        text: &str,
        pos: Position,
    ) -> Result<Shared<Module>, Box<EvalAltResult>> {
        if let Some(m) = self.cache.lock().ok().and_then(|c| c.get(name).cloned()) {
            return Ok(m);
        }
        self.sources.insert(name, text);
        let mut ast = engine.compile(text).map_err(|e| {
            Box::new(EvalAltResult::ErrorInModule(
                name.to_string(),
                e.into(),
                pos,
            ))
        })?;
        ast.set_source(name);
        let module = Module::eval_ast_as_new(Scope::new(), &ast, engine)
            .map_err(|e| Box::new(EvalAltResult::ErrorInModule(name.to_string(), e, pos)))?;
        let shared: Shared<Module> = module.into();
        if let Ok(mut c) = self.cache.lock() {
            c.insert(name.to_string(), shared.clone());
        }
        Ok(shared)
    }
}

impl ModuleResolver for Resolver {
    fn resolve(
        &self,
        engine: &Engine,
        source: Option<&str>,
        path: &str,
        pos: Position,
    ) -> Result<Shared<Module>, Box<EvalAltResult>> {
        let file = self.candidate(source, path);
        if file.is_file() {
            let text = std::fs::read_to_string(&file).map_err(|e| {
                Box::new(EvalAltResult::ErrorSystem(
                    format!("cannot read module {}", file.display()),
                    e.into(),
                ))
            })?;
            return self.load(engine, &file.display().to_string(), &text, pos);
        }
        let stem = path.strip_suffix(".rhai").unwrap_or(path);
        if let Some((_, _, module)) = native_modules().into_iter().find(|(n, _, _)| *n == stem) {
            return Ok(module.into());
        }
        if let Some((name, text)) = STDLIB.iter().find(|(n, _)| *n == stem) {
            return self.load(engine, &format!("stdlib/{name}.rhai"), text, pos);
        }
        let mut names: Vec<&str> = STDLIB.iter().map(|(n, _)| *n).collect();
        names.extend(native_modules().iter().map(|(n, _, _)| *n));
        Err(EvalAltResult::ErrorRuntime(
            format!(
                "module \"{path}\" not found: looked for {} and among the standard modules ({})",
                file.display(),
                names.join(", ")
            )
            .into(),
            pos,
        )
        .into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_stdlib_module_compiles_and_documents_its_functions() {
        let engine = Engine::new();
        for (name, text) in STDLIB {
            let ast = engine
                .compile(text)
                .unwrap_or_else(|e| panic!("stdlib/{name}.rhai: {e}"));
            assert!(
                ast.iter_functions().count() > 0,
                "stdlib/{name}.rhai defines no functions"
            );
            for f in ast.iter_functions() {
                assert!(
                    !f.comments.is_empty(),
                    "stdlib/{name}.rhai: function {} has no doc comment",
                    f.name
                );
            }
        }
    }
}
