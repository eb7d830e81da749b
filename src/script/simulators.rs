//! Script values that are forward models: a `chempy(...)` simulator or an emulator.

use super::failure::{rt_error, RhaiResult};
use crate::gce::Chempy;
use crate::model::Simulator;
use crate::nn::Emulator;
use rhai::Dynamic;

/// Runs `f` with the simulator a script passed: a `chempy(...)` simulator or an emulator
/// (labelled `name` in descriptions if given); anything else is an error of `what`.
pub fn with_simulator<R>(
    source: &Dynamic,
    name: Option<String>,
    what: &str,
    f: impl FnOnce(&dyn Simulator) -> RhaiResult<R>,
) -> RhaiResult<R> {
    if let Some(sim) = source.read_lock::<Chempy>() {
        return f(&*sim);
    }
    if let Some(emu) = source.read_lock::<Emulator>() {
        return match name {
            Some(n) => f(&emu.clone().with_label(n)),
            None => f(&*emu),
        };
    }
    Err(rt_error(format!(
        "{what}: the simulator must be chempy(\"tng\"), chempy(\"alt\") or an emulator, not {}",
        source.type_name()
    )))
}
