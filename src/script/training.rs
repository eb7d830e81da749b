//! Script-side training controls shared by `train_npe` and `train_emulator`: a closure as an
//! epoch observer, the default checkpoint in the cache directory, and the notice printed
//! when a run ends before its end.

use super::context::Context;
use super::failure::{fail, rt_error, RhaiResult};
use crate::error::ErrorKind;
use crate::nn::{Control, EpochStats, Observer, Termination};
use rhai::{Dynamic, EvalAltResult, FnPtr, Map, NativeCallContext, INT};
use std::path::PathBuf;

/// A script closure called after every epoch with `#{ epoch, max_epochs, train_loss,
/// val_loss, best_val_loss, best_epoch, steps, seconds }`; returning `true` or `"stop"`
/// stops training. An error in the closure stops training and is returned by the call.
pub struct ScriptObserver<'c> {
    ctx: &'c NativeCallContext<'c>,
    f: FnPtr,
    error: Option<Box<EvalAltResult>>,
}

impl<'c> ScriptObserver<'c> {
    /// The observer of option `on_epoch`, if given (it must be a closure).
    pub fn from_option(
        ctx: &'c NativeCallContext<'c>,
        what: &str,
        d: Option<Dynamic>,
    ) -> RhaiResult<Option<Self>> {
        let Some(d) = d else { return Ok(None) };
        let f = d.try_cast::<FnPtr>().ok_or_else(|| {
            rt_error(format!(
                "{what}: option 'on_epoch' must be a closure, e.g. |stats| stats.epoch >= 10"
            ))
        })?;
        Ok(Some(ScriptObserver {
            ctx,
            f,
            error: None,
        }))
    }

    /// The closure's error, if it failed.
    pub fn take_error(&mut self) -> Option<Box<EvalAltResult>> {
        self.error.take()
    }
}

/// The statistics of an epoch as a script map.
fn stats_map(s: &EpochStats) -> Map {
    let mut m = Map::new();
    let opt = |v: Option<f64>| v.map_or(Dynamic::UNIT, Dynamic::from_float);
    m.insert("epoch".into(), Dynamic::from_int(s.epoch as INT));
    m.insert(
        "max_epochs".into(),
        Dynamic::from_int(s.max_epochs.min(INT::MAX as usize) as INT),
    );
    m.insert("train_loss".into(), Dynamic::from_float(s.train_loss));
    m.insert("val_loss".into(), opt(s.val_loss));
    m.insert("best_val_loss".into(), opt(s.best_val_loss));
    m.insert(
        "best_epoch".into(),
        s.best_epoch
            .map_or(Dynamic::UNIT, |e| Dynamic::from_int(e as INT)),
    );
    m.insert("steps".into(), Dynamic::from_int(s.steps as INT));
    m.insert("seconds".into(), Dynamic::from_float(s.seconds));
    m
}

impl Observer for ScriptObserver<'_> {
    /// Ctrl-C or SIGTERM that arrives before or while the closure runs is left to the
    /// training loop, which ends the run as interrupted (or terminated) with its result.
    fn epoch_end(&mut self, stats: &EpochStats) -> Control {
        if crate::interrupt::is_requested() {
            return Control::Continue;
        }
        match self
            .f
            .call_within_context::<Dynamic>(self.ctx, (Dynamic::from_map(stats_map(stats)),))
        {
            Ok(v) if v.as_bool() == Ok(true) => Control::Stop,
            Ok(v) if v.is_string() && v.to_string() == "stop" => Control::Stop,
            Ok(_) => Control::Continue,
            Err(e) if matches!(*e, EvalAltResult::ErrorTerminated(..)) => Control::Continue,
            Err(e) => {
                self.error = Some(e);
                Control::Stop
            }
        }
    }
}

/// Where a training run checkpoints: option `checkpoint` as a path (checked against the
/// write policy), `false` for none, or by default `checkpoints/<name>` in the cache
/// directory.
pub fn checkpoint_path(
    ctx: &Context,
    what: &str,
    option: Option<Dynamic>,
    default_name: impl FnOnce() -> String,
) -> RhaiResult<Option<PathBuf>> {
    match option {
        Some(d) if d.as_bool() == Ok(false) => Ok(None),
        Some(d) if d.is_string() => Ok(Some(ctx.writable(what, &d.to_string())?)),
        Some(d) => Err(rt_error(format!(
            "{what}: option 'checkpoint' must be a path or false, not {}",
            d.type_name()
        ))),
        None => {
            let dir = crate::data::cache_dir()
                .map_err(|e| fail(ErrorKind::Io, e))?
                .join("checkpoints");
            std::fs::create_dir_all(&dir).map_err(|e| {
                fail(
                    ErrorKind::Io,
                    format!("cannot create {}: {e}", dir.display()),
                )
            })?;
            Ok(Some(dir.join(default_name())))
        }
    }
}

/// Tells the user on stderr why a run ended before its end, what it kept and how to go on.
pub fn notice(
    what: &str,
    termination: Termination,
    epochs: usize,
    best_epoch: Option<usize>,
    checkpoint: Option<&PathBuf>,
) {
    if termination.is_finished() {
        return;
    }
    let kept = match best_epoch {
        Some(b) => format!("the weights of epoch {b} (the best validation loss) are kept"),
        None => "the weights of the last step are kept".to_string(),
    };
    let resume = match checkpoint {
        Some(p) => format!(
            "; the same call resumes from the checkpoint {}",
            p.display()
        ),
        None => String::new(),
    };
    eprintln!(
        "{what}: {} after {epochs} epochs; {kept}{resume}",
        termination.describe()
    );
}
