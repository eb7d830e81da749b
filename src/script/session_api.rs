//! Bindings of the session: `help`, data and cache paths, where scripts may write, versions
//! and threads. They read the session's state from the engine's tag (see [`super::context`]).

use super::context::context;
use super::failure::{fail, rt, rt_error, RhaiResult};
use crate::error::ErrorKind;
use rhai::plugin::*;
#[allow(unused_imports)]
use rhai::{Array, Dynamic, Map, INT};

#[export_module]
pub mod session_api {
    use super::*;

    /// Lists the topics and functions of galchem.
    #[rhai_fn(name = "help", return_raw)]
    pub fn help_all(ctx: NativeCallContext) -> RhaiResult<()> {
        if let Some(d) = context(&ctx)?.docs.get() {
            println!("{}", d.overview());
        }
        Ok(())
    }

    /// Shows the signatures, documentation and options of a function, the functions of a
    /// topic, or the properties of a result type.
    /// ```rhai
    /// help("read_csv");
    /// help("catalog");
    /// help("Inference");
    /// ```
    #[rhai_fn(name = "help", return_raw)]
    pub fn help(ctx: NativeCallContext, name: &str) -> RhaiResult<()> {
        let c = context(&ctx)?;
        let docs = c
            .docs
            .get()
            .ok_or_else(|| fail(ErrorKind::Script, "help is not available"))?;
        match docs.help(name) {
            Some(text) => {
                println!("{text}");
                Ok(())
            }
            None => {
                let similar = docs.similar(name);
                let hint = if similar.is_empty() {
                    String::new()
                } else {
                    format!("; did you mean {}?", similar.join(", "))
                };
                Err(rt_error(format!(
                    "no function, topic or type named '{name}'{hint} (help() lists them all)"
                )))
            }
        }
    }

    /// The path of a file in galchem's data directory (yield tables, catalogs). The directory
    /// is `--data DIR`, else `$GALCHEM_DATA`, else the copy compiled into galchem (extracted
    /// once into the cache directory). A bundled file (`catalogs/mock_chempy_tng.csv`,
    /// `catalogs/tutorial_mock.csv`, …) missing from a `--data` directory comes from that copy.
    /// ```rhai
    /// let t = read_csv(data_path("catalogs/mock_chempy_tng.csv"));
    /// ```
    #[rhai_fn(return_raw)]
    pub fn data_path(ctx: NativeCallContext, relative: &str) -> RhaiResult<String> {
        let path = context(&ctx)?.data()?.path_of(relative).map_err(rt)?;
        Ok(path.display().to_string())
    }

    /// The data directory in use.
    #[rhai_fn(return_raw)]
    pub fn data_dir(ctx: NativeCallContext) -> RhaiResult<String> {
        Ok(context(&ctx)?.data()?.root().display().to_string())
    }

    /// galchem's cache directory for trained models reused between runs: `$GALCHEM_CACHE`,
    /// else `<user cache dir>/galchem` (`~/.cache/galchem` on Linux). It is created if
    /// needed, and scripts may write there.
    #[rhai_fn(return_raw)]
    pub fn cache_dir() -> RhaiResult<String> {
        crate::data::cache_dir()
            .map(|d| d.display().to_string())
            .map_err(|e| fail(ErrorKind::Io, e))
    }

    /// Whether a file or directory exists at `path`.
    pub fn exists(path: &str) -> bool {
        std::path::Path::new(path).exists()
    }

    /// Creates the directory `path` and its parents (no error if it exists); returns the
    /// path. Like every write, only under the directories scripts may write to.
    #[rhai_fn(return_raw)]
    pub fn mkdir(ctx: NativeCallContext, path: &str) -> RhaiResult<String> {
        let target = context(&ctx)?.writable("mkdir", path)?;
        std::fs::create_dir_all(&target).map_err(|e| {
            fail(
                ErrorKind::Io,
                format!("cannot create directory {path}: {e}"),
            )
        })?;
        Ok(path.to_string())
    }

    /// The directories under which this session may write: the working directory, the
    /// cache directory, and those allowed with `--allow-write DIR` or `allow_write`.
    #[rhai_fn(return_raw)]
    pub fn write_dirs(ctx: NativeCallContext) -> RhaiResult<Array> {
        Ok(context(&ctx)?
            .write_roots()
            .iter()
            .map(|p| Dynamic::from(p.display().to_string()))
            .collect())
    }

    /// Allows this REPL session to write under `dir` too (the REPL's `--allow-write`); a
    /// script run with `galchem run` cannot widen its own permissions and gets an error.
    #[rhai_fn(return_raw)]
    pub fn allow_write(ctx: NativeCallContext, dir: &str) -> RhaiResult<String> {
        let c = context(&ctx)?;
        if !c.config.interactive {
            return Err(fail(
                ErrorKind::WriteDenied,
                format!(
                    "allow_write(\"{dir}\"): a script cannot widen its own write permissions; \
                     run it with --allow-write {dir}"
                ),
            ));
        }
        Ok(c.allow_write(std::path::Path::new(dir))?
            .display()
            .to_string())
    }

    /// Runs another script file with its own `ARGS` map and returns the value of its last
    /// statement; a relative path is taken from the calling script's folder. The script
    /// shares this session (functions, imports, write permissions) but not its variables.
    /// ```rhai
    /// let r = run_script("emulator.rhai", #{ n_train: 1000, out: "emu.json" });
    /// ```
    #[rhai_fn(return_raw)]
    pub fn run_script(ctx: NativeCallContext, path: &str, args: Map) -> RhaiResult<Dynamic> {
        let c = context(&ctx)?;
        let here = ctx
            .call_source()
            .map(std::path::Path::new)
            .filter(|p| p.is_file())
            .and_then(|p| p.parent().map(std::path::Path::to_path_buf))
            .unwrap_or_else(|| c.config.base_dir.clone());
        let file = here.join(path);
        let name = file.display().to_string();
        let text = std::fs::read_to_string(&file)
            .map_err(|e| fail(ErrorKind::Io, format!("cannot read script {name}: {e}")))?;
        let engine = ctx.engine();
        let mut ast = engine
            .compile(&text)
            .map_err(|e| fail(ErrorKind::Script, format!("{name}: {e}")))?;
        ast.set_source(name.as_str());
        let mut scope = rhai::Scope::new();
        scope.push_constant("ARGS", args);
        engine
            .eval_ast_with_scope::<Dynamic>(&mut scope, &ast)
            .map_err(|e| {
                Box::new(rhai::EvalAltResult::ErrorInFunctionCall(
                    "run_script".into(),
                    name.clone(),
                    e,
                    ctx.call_position(),
                ))
            })
    }

    /// The galchem version.
    pub fn version() -> String {
        env!("CARGO_PKG_VERSION").to_string()
    }

    /// Number of worker threads used by parallel native calls (`--threads N`).
    pub fn threads() -> INT {
        rayon::current_num_threads() as INT
    }

    /// Peak resident memory of this galchem process so far, in MB (10^6 bytes; Linux's
    /// `VmHWM`), or `()` where the system does not report it. For benchmarks: run the work
    /// to be measured in a fresh process.
    pub fn peak_memory_mb() -> Dynamic {
        crate::resources::peak_rss_bytes()
            .map_or(Dynamic::UNIT, |b| Dynamic::from_float(b as f64 / 1e6))
    }

    /// The kind of an error caught with `try … catch (err)`: `err.kind`, e.g.
    /// `"not_positive_definite"`, `"write_denied"`, `"interrupted"`.
    #[rhai_fn(global, get = "kind", pure)]
    pub fn error_kind(err: &mut super::super::failure::Failure) -> String {
        err.kind.name().to_string()
    }

    /// The message of an error caught with `try … catch (err)`.
    #[rhai_fn(global, get = "message", pure)]
    pub fn error_message(err: &mut super::super::failure::Failure) -> String {
        err.message.clone()
    }

    /// The error's message.
    #[rhai_fn(global, name = "to_string", pure)]
    pub fn error_to_string(err: &mut super::super::failure::Failure) -> String {
        err.message.clone()
    }

    /// The error's kind and message.
    #[rhai_fn(global, name = "to_debug", pure)]
    pub fn error_to_debug(err: &mut super::super::failure::Failure) -> String {
        format!("Error({}: {})", err.kind.name(), err.message)
    }

    /// The names of every error kind, for scripts that branch on `err.kind`.
    pub fn error_kinds() -> Array {
        crate::error::ErrorKind::ALL
            .iter()
            .map(|k| Dynamic::from(k.name().to_string()))
            .collect()
    }
}
