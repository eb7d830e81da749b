//! Building the Rhai engine: limits, interruption, module resolution and every binding.

use super::docs::Docs;
use super::errors::SourceMap;
use super::resolver::Resolver;
use super::session_api;
use super::{arrays, catalog, emulator, gce, infer, plot, prior};
use crate::data::DataDir;
use rhai::{Dynamic, Engine, Module, Shared};
use std::path::PathBuf;
use std::sync::Arc;

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
}

impl SessionConfig {
    /// Data directory from the default resolution order, imports from the working directory.
    pub fn from_env() -> Self {
        Self {
            data: DataDir::resolve(None).map_err(|e| e.to_string()),
            base_dir: std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
            limits: Limits::default(),
        }
    }
}

/// Shared state bindings may need (the data directory, documentation).
#[derive(Debug)]
pub struct Context {
    pub config: SessionConfig,
    pub docs: std::sync::OnceLock<Docs>,
}

impl Context {
    /// The data directory or a clear error.
    pub fn data(&self) -> Result<&DataDir, String> {
        self.config.data.as_ref().map_err(|e| e.clone())
    }
}

/// Topics of `help()`: (name, description, module). A topic may span several modules.
pub fn topics(ctx: &Arc<Context>) -> Vec<(&'static str, &'static str, Shared<Module>)> {
    use rhai::exported_module as m;
    let mut t: Vec<(&'static str, &'static str, Module)> = vec![
        ("session", SESSION, session_api::module(ctx)),
        ("arrays", ARRAYS, m!(arrays::arrays_api)),
        ("catalog", CATALOG, m!(catalog::catalog_api)),
        ("figures", FIGURES, m!(plot::plot_api)),
        ("simulator", SIMULATOR, gce::module(ctx)),
        ("simulator", SIMULATOR, m!(gce::gce_api)),
        ("prior", PRIOR, m!(prior::prior_api)),
        ("emulator", EMULATOR, m!(emulator::emulator_api)),
        ("inference", INFERENCE, m!(infer::infer_api)),
    ];
    t.drain(..)
        .map(|(n, d, module)| (n, d, module.into()))
        .collect()
}

const SESSION: &str = "help, data paths, versions and threads";
const ARRAYS: &str = "numeric Vectors and summary statistics";
const CATALOG: &str = "tables (CSV/Parquet catalogs) and JSON files";
const FIGURES: &str = "figures: histograms, scatter plots, lines, bands, corner plots (PNG/SVG)";
const SIMULATOR: &str = "the CHEMPY-equivalent GCE simulator (TNG and alternative yields)";
const EMULATOR: &str = "the neural-network emulator of the simulator (paper §2.2)";
const INFERENCE: &str =
    "neural posterior estimation and multi-star inference on catalogs (paper §2.3)";
const PRIOR: &str = "the paper's prior over the six parameters (Table 1) and its variants";

/// A configured engine and the documentation of everything registered in it.
pub fn build(config: SessionConfig, sources: Arc<SourceMap>) -> (Engine, Arc<Context>) {
    let mut engine = Engine::new();
    let limits = config.limits;
    engine.set_max_operations(limits.max_operations);
    engine.set_max_call_levels(limits.max_call_levels);
    engine.set_max_string_size(limits.max_string_size);
    engine.set_max_array_size(limits.max_array_size);
    engine.set_max_map_size(limits.max_map_size);
    engine.set_max_expr_depths(256, 128);
    engine.on_progress(|_| crate::interrupt::is_requested().then(|| Dynamic::from("interrupted")));
    engine.set_module_resolver(Resolver::new(config.base_dir.clone(), sources));
    engine.register_type_with_name::<super::convert::Vector>("Vector");
    engine.register_type_with_name::<crate::catalog::Table>("Table");
    engine.register_type_with_name::<crate::plot::Figure>("Figure");
    engine.register_type_with_name::<crate::gce::Chempy>("Chempy");
    engine.register_type_with_name::<crate::model::Prior>("Prior");
    engine.register_type_with_name::<crate::nn::Emulator>("Emulator");
    engine.register_type_with_name::<crate::infer::NeuralPosterior>("Posterior");

    let ctx = Arc::new(Context {
        config,
        docs: std::sync::OnceLock::new(),
    });
    let mut docs = Docs::default();
    for (name, description, module) in topics(&ctx) {
        docs.add_module(name, description, &module);
        engine.register_global_module(module);
    }
    for (name, text) in super::resolver::STDLIB {
        docs.add_script_module(name, text);
    }
    let _ = ctx.docs.set(docs);
    (engine, ctx)
}
