//! Batch simulation: same results as one-by-one calls, for any number of threads.

mod gce_util;

use galchem::gce::Params;
use gce_util::{reference, tng, Table};

fn reference_params(n: usize) -> Vec<Params> {
    let t = Table::read(&reference("chempy_tng.csv"));
    (0..n.min(t.rows.len())).map(|r| t.params(r)).collect()
}

#[test]
fn batch_is_independent_of_the_thread_count() {
    // 600 rows (> 2 chunks) with ok and failing runs
    let ps = reference_params(600);
    let run = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| tng().simulate_batch(&ps).unwrap())
    };
    let one = run(1);
    let two = run(2);
    assert_eq!(one.len(), ps.len());
    assert_eq!(one, two);
    for (p, r) in ps.iter().zip(&one).step_by(7) {
        assert_eq!(&tng().simulate(p), r);
    }
    assert!(one.iter().any(|r| r.is_err()) && one.iter().any(|r| r.is_ok()));
}

#[test]
fn simulator_is_shareable_across_threads() {
    fn assert_send_sync<T: Send + Sync + Clone>() {}
    assert_send_sync::<galchem::gce::Chempy>();
    let sim = tng().clone();
    let p = Params::prior_means(7.0);
    let h = std::thread::spawn(move || sim.simulate(&p));
    assert_eq!(h.join().unwrap(), tng().simulate(&p));
}
