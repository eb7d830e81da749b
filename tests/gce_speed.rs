//! The 700 000-run speed target (ignored by default; measure in release mode):
//! `cargo test --release --test gce_speed -- --ignored --nocapture`.

mod gce_util;

use galchem::gce::Params;
use galchem::model::Prior;
use std::time::Instant;

#[test]
#[ignore]
fn box_draws_700k() {
    let n = 700_000;
    let s = Prior::paper().uniform_box(5.0).sample(n, 2024);
    let ps: Vec<Params> = s
        .rows()
        .into_iter()
        .map(|r| Params::from_array([r[0], r[1], r[2], r[3], r[4], r[5]]))
        .collect();
    for (name, sim) in [("tng", gce_util::tng()), ("alternative", gce_util::alt())] {
        let t0 = Instant::now();
        let out = sim.simulate_batch(&ps).unwrap();
        let dt = t0.elapsed().as_secs_f64();
        let ok = out.iter().filter(|r| r.is_ok()).count();
        println!(
            "{name}: {n} box runs in {dt:.1} s on {} threads ({:.1} us per run per thread; {ok} ok)",
            rayon::current_num_threads(),
            dt * 1e6 * rayon::current_num_threads() as f64 / n as f64
        );
        assert!(dt < 180.0);
    }
}
