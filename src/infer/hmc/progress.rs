//! One progress bar per chain, with its phase (warm-up or sampling), its divergences and
//! its step size. Like [`crate::progress::Progress`], the bars are drawn only on a terminal,
//! after the first two seconds, and never when galchem is quiet.

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

const SHOW_AFTER: Duration = Duration::from_secs(2);

/// The bars of a multi-chain run (invisible when there is no terminal).
pub struct ChainBars {
    multi: Option<MultiProgress>,
    bars: Vec<ProgressBar>,
    started: Instant,
    shown: AtomicBool,
}

impl ChainBars {
    /// `chains` bars of `len` iterations each, labelled `label`.
    pub fn new(chains: usize, len: u64, label: &str) -> Self {
        let visible = !crate::progress::is_quiet()
            && std::io::stdout().is_terminal()
            && std::io::stderr().is_terminal();
        if !visible {
            return ChainBars {
                multi: None,
                bars: Vec::new(),
                started: Instant::now(),
                shown: AtomicBool::new(false),
            };
        }
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::hidden());
        let style = ProgressStyle::with_template(
            "{prefix} [{bar:30}] {pos}/{len} {msg} ({elapsed}, eta {eta})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
        let bars = (0..chains)
            .map(|c| {
                let b = multi.add(ProgressBar::new(len));
                b.set_style(style.clone());
                b.set_prefix(format!("{label} chain {}", c + 1));
                b
            })
            .collect();
        ChainBars {
            multi: Some(multi),
            bars,
            started: Instant::now(),
            shown: AtomicBool::new(false),
        }
    }

    /// Chain `c` finished iteration `it` (of which the first `warmup` are warm-up), with
    /// `divergences` after warm-up so far and the current step size.
    pub fn update(&self, c: usize, it: usize, warmup: usize, divergences: usize, step: f64) {
        let (Some(multi), Some(bar)) = (&self.multi, self.bars.get(c)) else {
            return;
        };
        if !self.shown.load(Ordering::Relaxed) && self.started.elapsed() >= SHOW_AFTER {
            self.shown.store(true, Ordering::Relaxed);
            multi.set_draw_target(ProgressDrawTarget::stderr());
        }
        bar.set_position(it as u64 + 1);
        if it % 10 == 0 || it + 1 == warmup {
            let phase = if it < warmup { "warm-up" } else { "sampling" };
            bar.set_message(format!(
                "{phase}, {divergences} divergences, step {step:.3}"
            ));
        }
    }

    /// Removes the bars.
    pub fn finish(&self) {
        for b in &self.bars {
            b.finish_and_clear();
        }
    }
}
