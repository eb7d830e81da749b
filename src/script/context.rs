//! The state a session's functions share — the data directory, the documentation, where
//! scripts may write, loaded simulators — kept in the engine's tag, so that session
//! functions are ordinary exported functions that read it from their call context.

use super::docs::Docs;
use super::failure::{fail, RhaiResult};
use crate::data::DataDir;
use crate::error::ErrorKind;
use crate::fsutil::WritePolicy;
use crate::gce::Chempy;
use rhai::NativeCallContext;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, RwLock};

/// Resource limits of scripts. The defaults never stop real work (heavy work runs in native
/// calls, which count as one operation each) but stop a runaway `loop {}` within seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Script operations per run (statements, expressions, calls).
    pub max_operations: u64,
    /// Nesting of function calls.
    pub max_call_levels: usize,
    /// Characters in one string.
    pub max_string_size: usize,
    /// Elements in one Rhai array (use Vectors and Tables for big data).
    pub max_array_size: usize,
    /// Entries in one object map.
    pub max_map_size: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_operations: 500_000_000,
            max_call_levels: 128,
            max_string_size: 64 << 20,
            max_array_size: 20_000_000,
            max_map_size: 1_000_000,
        }
    }
}

/// What a session needs to know about its environment.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// The data directory, or why it could not be found.
    pub data: Result<DataDir, String>,
    /// Where relative imports start when the code does not come from a file.
    pub base_dir: PathBuf,
    /// Script limits.
    pub limits: Limits,
    /// Where scripts may write (the working directory and the cache by default).
    pub writes: WritePolicy,
    /// Whether the session is the interactive REPL (where `allow_write` may be called).
    pub interactive: bool,
}

impl SessionConfig {
    /// Data directory from the default resolution order, imports from the working
    /// directory, writes under the working directory and galchem's cache directory.
    pub fn from_env() -> Self {
        let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
        Self {
            data: DataDir::resolve(None).map_err(|e| e.to_string()),
            base_dir: cwd.clone(),
            limits: Limits::default(),
            writes: default_writes(cwd, &[]),
            interactive: false,
        }
    }
}

/// Writes under `cwd`, galchem's cache directory (if it can be found) and `allowed`.
pub fn default_writes(cwd: PathBuf, allowed: &[PathBuf]) -> WritePolicy {
    let mut roots = vec![cwd.clone()];
    if let Ok(cache) = crate::data::cache_dir() {
        roots.push(cache);
    }
    roots.extend(allowed.iter().cloned());
    WritePolicy::new(cwd, &roots)
}

/// The state shared by a session's functions.
#[derive(Debug)]
pub struct Context {
    /// The session's configuration.
    pub config: SessionConfig,
    /// Documentation of every registered function (set once the engine is built).
    pub docs: OnceLock<Docs>,
    writes: RwLock<WritePolicy>,
    simulators: Mutex<HashMap<String, Chempy>>,
}

impl Context {
    /// The context of a session with `config`.
    pub fn new(config: SessionConfig) -> Self {
        Context {
            writes: RwLock::new(config.writes.clone()),
            config,
            docs: OnceLock::new(),
            simulators: Mutex::new(HashMap::new()),
        }
    }

    /// The data directory or a clear error.
    pub fn data(&self) -> RhaiResult<&DataDir> {
        self.config
            .data
            .as_ref()
            .map_err(|e| fail(ErrorKind::Io, e.clone()))
    }

    /// The absolute path of `path` if a script may write there, else an error naming the
    /// path, the function and the flag that allows it.
    pub fn writable(&self, what: &str, path: &str) -> RhaiResult<PathBuf> {
        let policy = self
            .writes
            .read()
            .map_err(|_| fail(ErrorKind::Io, "the write policy is unavailable"))?;
        policy
            .check(Path::new(path))
            .map_err(|e| fail(ErrorKind::WriteDenied, format!("{what}: {e}")))
    }

    /// Allows writes under `dir` (the REPL's `allow_write`).
    pub fn allow_write(&self, dir: &Path) -> RhaiResult<PathBuf> {
        let mut policy = self
            .writes
            .write()
            .map_err(|_| fail(ErrorKind::Io, "the write policy is unavailable"))?;
        policy.allow(dir);
        Ok(policy.resolve(dir))
    }

    /// The directories writes are allowed under.
    pub fn write_roots(&self) -> Vec<PathBuf> {
        self.writes
            .read()
            .map(|p| p.roots().to_vec())
            .unwrap_or_default()
    }

    /// The simulator of yield set `key`, loaded once per session with `load`.
    pub fn simulator(
        &self,
        key: &str,
        load: impl FnOnce() -> RhaiResult<Chempy>,
    ) -> RhaiResult<Chempy> {
        if let Some(sim) = self
            .simulators
            .lock()
            .ok()
            .and_then(|c| c.get(key).cloned())
        {
            return Ok(sim);
        }
        let sim = load()?;
        if let Ok(mut c) = self.simulators.lock() {
            c.insert(key.to_string(), sim.clone());
        }
        Ok(sim)
    }
}

/// The session context of a call.
pub fn context(ctx: &NativeCallContext) -> RhaiResult<Arc<Context>> {
    ctx.tag()
        .and_then(|t| t.read_lock::<Arc<Context>>().map(|c| c.clone()))
        .ok_or_else(|| fail(ErrorKind::Script, "this function needs a galchem session"))
}
