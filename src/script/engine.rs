//! Building the Rhai engine: limits, interruption, module resolution, the session context
//! in the engine's tag, and every binding with its documentation.

use super::context::{Context, SessionConfig};
use super::docs::Docs;
use super::errors::SourceMap;
use super::resolver::Resolver;
use super::{
    arrays, average, calib, calib_results, calib_shard, catalog, emulator, galaxy, gce, hmc,
    hmc_results, infer, plot, prior, results, session_api, stream, survey, training_set,
};
use rhai::{Dynamic, Engine, Module, Shared};
use std::sync::Arc;

/// Topics of `help()`: (name, description, module). A topic may span several modules.
fn topics() -> Vec<(&'static str, &'static str, Shared<Module>)> {
    use rhai::exported_module as m;
    let mut result_types = Module::new();
    results::register_all(&mut result_types);
    calib_results::register_all(&mut result_types);
    let mut scale = m!(stream::stream_api);
    scale.combine_flatten(m!(training_set::training_set_api));
    hmc_results::register_all(&mut result_types);
    let mut calibration = m!(calib::calib_api);
    calibration.combine_flatten(m!(calib_shard::calib_shard_api));
    calibration.combine_flatten(m!(galaxy::galaxy_api));
    let mut inference = m!(infer::infer_api);
    inference.combine_flatten(m!(average::average_api));
    let t: Vec<(&'static str, &'static str, Module)> = vec![
        ("session", SESSION, m!(session_api::session_api)),
        ("arrays", ARRAYS, m!(arrays::arrays_api)),
        ("catalog", CATALOG, m!(catalog::catalog_api)),
        ("figures", FIGURES, m!(plot::plot_api)),
        ("simulator", SIMULATOR, m!(gce::gce_api)),
        ("prior", PRIOR, m!(prior::prior_api)),
        ("emulator", EMULATOR, m!(emulator::emulator_api)),
        ("inference", INFERENCE, inference),
        ("survey", SURVEY, m!(survey::survey_api)),
        ("scale", SCALE, scale),
        ("calibration", CALIBRATION, calibration),
        ("baselines", BASELINES, m!(hmc::hmc_api)),
        ("results", RESULTS, result_types),
    ];
    t.into_iter()
        .map(|(n, d, module)| (n, d, module.into()))
        .collect()
}

const SESSION: &str =
    "help, data and cache paths, where scripts may write, errors, versions and threads";
const ARRAYS: &str = "numeric Vectors and summary statistics";
const CATALOG: &str = "tables (CSV/Parquet/FITS/npz catalogs) and JSON files";
const SURVEY: &str =
    "real survey data: FITS and npz files, a catalog's elements and errors, what a posterior accepts";
const FIGURES: &str = "figures: histograms, scatter plots, lines, bands, corner plots (PNG/SVG)";
const SIMULATOR: &str = "the CHEMPY-equivalent GCE simulator (TNG and alternative yields)";
const EMULATOR: &str = "the neural-network emulator of the simulator (paper §2.2)";
const INFERENCE: &str =
    "neural posterior estimation and multi-star inference on catalogs (paper §2.3)";
const SCALE: &str =
    "survey scale: streamed inference in bounded memory, training sets of 10^7 runs, shards of a cluster job and their merge";
const CALIBRATION: &str =
    "calibration diagnostics (SBC, TARP, coverage, PPC, local C2ST) and mock catalogs";
const BASELINES: &str =
    "the HMC and MAP baselines on the hierarchical model, NUTS on closures, mock catalogs";
const PRIOR: &str = "the paper's prior over the six parameters (Table 1) and its variants";
const RESULTS: &str =
    "what the functions return: help(\"Inference\"), help(\"Evaluation\"), … list their properties";

/// Every function's option table.
fn option_docs() -> Vec<(&'static str, &'static [super::options::OptionDoc])> {
    let mut v = infer::option_docs();
    v.extend(stream::option_docs());
    v.extend(gce::option_docs());
    v.extend(prior::option_docs());
    v.extend(emulator::option_docs());
    v.extend(plot::option_docs());
    v.extend(calib::option_docs());
    v.extend(survey::option_docs());
    v.extend(hmc::option_docs());
    v.extend(galaxy::option_docs());
    v
}

/// A configured engine and the session context it carries in its tag.
pub fn build(config: SessionConfig, sources: Arc<SourceMap>) -> (Engine, Arc<Context>) {
    let mut engine = Engine::new();
    let limits = config.limits;
    engine.set_max_operations(limits.max_operations);
    engine.set_max_call_levels(limits.max_call_levels);
    engine.set_max_string_size(limits.max_string_size);
    engine.set_max_array_size(limits.max_array_size);
    engine.set_max_map_size(limits.max_map_size);
    engine.set_max_expr_depths(256, 128);
    engine.on_progress(|_| {
        crate::interrupt::pending().map(|r| Dynamic::from(r.describe().to_string()))
    });
    engine.set_module_resolver(Resolver::new(config.base_dir.clone(), sources));
    engine.register_type_with_name::<super::convert::Vector>("Vector");
    engine.register_type_with_name::<crate::catalog::Table>("Table");
    engine.register_type_with_name::<crate::plot::Figure>("Figure");
    engine.register_type_with_name::<crate::gce::Chempy>("Chempy");
    engine.register_type_with_name::<crate::model::Prior>("Prior");
    engine.register_type_with_name::<crate::nn::Emulator>("Emulator");
    engine.register_type_with_name::<crate::infer::NeuralPosterior>("Posterior");
    engine.register_type_with_name::<super::failure::Failure>("Error");
    results::register_types(&mut engine);
    calib_results::register_types(&mut engine);
    hmc_results::register_types(&mut engine);

    let ctx = Arc::new(Context::new(config));
    engine.set_default_tag(Dynamic::from(ctx.clone()));
    let mut docs = Docs::default();
    for (name, description, module) in topics() {
        docs.add_module(name, description, &module);
        engine.register_global_module(module);
    }
    for (name, description, module) in super::resolver::native_modules() {
        docs.add_native_module(name, description, &module.into());
    }
    for (name, text) in super::resolver::STDLIB {
        docs.add_script_module(name, text);
    }
    docs.add_options(option_docs());
    let _ = ctx.docs.set(docs);
    (engine, ctx)
}
