//! Bindings that need the session: `help`, `data_path`, `version`, `threads`.

use super::convert::{rt_error, RhaiResult};
use super::engine::Context;
use rhai::{FuncRegistration, Module, INT};
use std::sync::Arc;

/// The `session` topic: functions registered as closures over the session context.
pub fn module(ctx: &Arc<Context>) -> Module {
    let mut m = Module::new();
    let c = ctx.clone();
    FuncRegistration::new("help")
        .in_global_namespace()
        .with_comments(["/// Lists the topics and functions of galchem."])
        .with_params_info(["()"])
        .set_into_module(&mut m, move || {
            if let Some(d) = c.docs.get() {
                println!("{}", d.overview());
            }
        });
    let c = ctx.clone();
    FuncRegistration::new("help")
        .in_global_namespace()
        .with_comments([
            "/// Shows the signatures and documentation of a function, or the functions of a topic.\n\
             /// ```rhai\n/// help(\"read_csv\");\n/// help(\"catalog\");\n/// ```",
        ])
        .with_params_info(["name: &str", "()"])
        .set_into_module(&mut m, move |name: &str| -> RhaiResult<()> {
            let docs = c.docs.get().ok_or_else(|| rt_error("help is not available"))?;
            match docs.help(name) {
                Some(text) => {
                    println!("{text}");
                    Ok(())
                }
                None => {
                    let similar = docs.similar(name);
                    let hint = if similar.is_empty() { String::new() } else { format!("; did you mean {}?", similar.join(", ")) };
                    Err(rt_error(format!("no function or topic named '{name}'{hint} (help() lists them all)")))
                }
            }
        });
    let c = ctx.clone();
    FuncRegistration::new("data_path")
        .in_global_namespace()
        .with_comments([
            "/// The path of a file in galchem's data directory (yield tables, reference runs, catalogs).\n\
             /// The directory is `--data DIR`, else `$GALCHEM_DATA`, else `<repo>/../shared/data`.\n\
             /// ```rhai\n/// let t = read_csv(data_path(\"catalogs/mock_chempy_tng.csv\"));\n/// ```",
        ])
        .with_params_info(["relative: &str", "String"])
        .set_into_module(&mut m, move |rel: &str| -> RhaiResult<String> {
            let data = c.data().map_err(rt_error)?;
            Ok(data.join(rel).display().to_string())
        });
    let c = ctx.clone();
    FuncRegistration::new("data_dir")
        .in_global_namespace()
        .with_comments(["/// The data directory in use."])
        .with_params_info(["String"])
        .set_into_module(&mut m, move || -> RhaiResult<String> {
            Ok(c.data().map_err(rt_error)?.root().display().to_string())
        });
    register_files(&mut m);
    register_runtime(&mut m);
    m
}

/// `exists`, `mkdir`, `cache_dir`.
fn register_files(m: &mut Module) {
    FuncRegistration::new("exists")
        .in_global_namespace()
        .with_comments(["/// Whether a file or directory exists at `path`."])
        .with_params_info(["path: &str", "bool"])
        .set_into_module(m, |path: &str| std::path::Path::new(path).exists());
    FuncRegistration::new("mkdir")
        .in_global_namespace()
        .with_comments(["/// Creates the directory `path` and its parents (no error if it exists); returns the path."])
        .with_params_info(["path: &str", "String"])
        .set_into_module(m, |path: &str| -> RhaiResult<String> {
            std::fs::create_dir_all(path).map_err(|e| rt_error(format!("cannot create directory {path}: {e}")))?;
            Ok(path.to_string())
        });
    FuncRegistration::new("cache_dir")
        .in_global_namespace()
        .with_comments([
            "/// galchem's cache directory for trained models reused between runs: `$GALCHEM_CACHE`, else\n\
             /// `<user cache dir>/galchem` (`~/.cache/galchem` on Linux). It is created if needed.",
        ])
        .with_params_info(["String"])
        .set_into_module(m, || -> RhaiResult<String> {
            let dir = std::env::var_os("GALCHEM_CACHE")
                .map(std::path::PathBuf::from)
                .or_else(|| dirs::cache_dir().map(|d| d.join("galchem")))
                .ok_or_else(|| rt_error("no cache directory: set GALCHEM_CACHE"))?;
            std::fs::create_dir_all(&dir).map_err(|e| rt_error(format!("cannot create {}: {e}", dir.display())))?;
            Ok(dir.display().to_string())
        });
}

/// `version`, `threads`.
fn register_runtime(m: &mut Module) {
    FuncRegistration::new("version")
        .in_global_namespace()
        .with_comments(["/// The galchem version."])
        .with_params_info(["String"])
        .set_into_module(m, || env!("CARGO_PKG_VERSION").to_string());
    FuncRegistration::new("threads")
        .in_global_namespace()
        .with_comments([
            "/// Number of worker threads used by parallel native calls (`--threads N`).",
        ])
        .with_params_info(["int"])
        .set_into_module(m, || rayon::current_num_threads() as INT);
}
