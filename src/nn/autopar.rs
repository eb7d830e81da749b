//! Whether to compute a mini-batch's gradient chunks on several threads.
//!
//! For small networks the fork–join of two 32-row chunks gains on an idle 2-core machine
//! but loses when other processes compete for the cores (a step then waits for a
//! descheduled partner). Since the chunking, not the threading, fixes the results, the
//! choice can be made at run time: [`ThreadChoice`] times both modes in short alternating
//! probes at the start of every period of [`PERIOD`] mini-batches and uses the faster one
//! for the rest of the period.

use std::time::Duration;

/// Mini-batches per decision period.
pub const PERIOD: u64 = 1024;
/// Mini-batches per probe (alternating modes) at the start of a period.
pub const PROBE: u64 = 32;

/// Adaptive serial/parallel choice for a stream of similar mini-batches.
#[derive(Debug, Clone)]
pub struct ThreadChoice {
    enabled: bool,
    batch: u64,
    /// Probe totals: (serial, parallel) time and count.
    probe: [(Duration, u32); 2],
    parallel: bool,
}

impl ThreadChoice {
    /// `enabled`: parallel computation is allowed at all (several chunks and threads).
    pub fn new(enabled: bool) -> Self {
        Self {
            enabled,
            batch: 0,
            probe: [(Duration::ZERO, 0); 2],
            parallel: enabled,
        }
    }

    /// Whether the next mini-batch runs its chunks in parallel.
    pub fn next_parallel(&self) -> bool {
        if !self.enabled {
            return false;
        }
        match self.batch % PERIOD {
            p if p < PROBE => p % 2 == 1,
            _ => self.parallel,
        }
    }

    /// Records the time of the mini-batch just computed in mode `parallel`.
    pub fn record(&mut self, parallel: bool, elapsed: Duration) {
        let phase = self.batch % PERIOD;
        if phase == 0 {
            self.probe = [(Duration::ZERO, 0); 2];
        }
        if phase < PROBE {
            let slot = &mut self.probe[usize::from(parallel)];
            slot.0 += elapsed;
            slot.1 += 1;
            if phase == PROBE - 1 {
                let mean = |(t, n): (Duration, u32)| t.as_secs_f64() / f64::from(n.max(1));
                self.parallel = mean(self.probe[1]) < mean(self.probe[0]);
            }
        }
        self.batch += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(choice: &mut ThreadChoice, serial: u64, parallel: u64, n: u64) -> u64 {
        let mut used_parallel = 0;
        for _ in 0..n {
            let p = choice.next_parallel();
            used_parallel += u64::from(p);
            let t = if p { parallel } else { serial };
            choice.record(p, Duration::from_micros(t));
        }
        used_parallel
    }

    #[test]
    fn picks_the_faster_mode_and_adapts() {
        let mut c = ThreadChoice::new(true);
        // parallel faster: after the probe, parallel for the rest of the period
        assert_eq!(run(&mut c, 100, 60, PERIOD), PERIOD - PROBE / 2);
        // load appears: parallel slower; the next probe switches to serial
        assert_eq!(run(&mut c, 100, 150, PERIOD), PROBE / 2);
        let mut off = ThreadChoice::new(false);
        assert_eq!(run(&mut off, 100, 1, 100), 0);
    }
}
