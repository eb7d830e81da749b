//! The running combination of a streamed inference (paper Fig. 5): the combination of the
//! stars in the first r catalog rows, at r = 1 … 100 and 50 values of r per decade after
//! (logarithmically spaced), and at the end of the catalog. A block records the partial sums
//! at the checkpoints inside it; the fold adds them to the sums of the blocks before it.

/// The checkpoints r (catalog rows) of a catalog of `n_rows` rows, ascending.
pub fn running_rows(n_rows: usize) -> Vec<usize> {
    let mut rows: Vec<usize> = (1..=n_rows.min(100)).collect();
    let mut j = 1;
    loop {
        let r = (100.0 * 10f64.powf(j as f64 / 50.0)).round() as usize;
        if r >= n_rows {
            break;
        }
        if rows.last().is_none_or(|&l| r > l) {
            rows.push(r);
        }
        j += 1;
    }
    if rows.last().is_some_and(|&l| l < n_rows) {
        rows.push(n_rows);
    }
    rows
}

/// The checkpoints r with `start < r ≤ end` (those whose last row lies in rows start..end).
pub fn checkpoints_in(running: &[usize], start: usize, end: usize) -> Vec<usize> {
    let from = running.partition_point(|&r| r <= start);
    let to = running.partition_point(|&r| r <= end);
    running[from..to].to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checkpoints_are_dense_then_logarithmic_and_end_at_the_catalog() {
        assert_eq!(running_rows(3), vec![1, 2, 3]);
        let r = running_rows(1_000_000);
        assert_eq!(&r[..3], &[1, 2, 3]);
        assert_eq!(r[99], 100);
        assert!(r.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(*r.last().unwrap(), 1_000_000);
        // 100 below 100, then 50 per decade over four decades
        assert_eq!(r.len(), 100 + 4 * 50);
        assert_eq!(
            checkpoints_in(&r, 0, 4096).len(),
            r.iter().filter(|&&x| x <= 4096).count()
        );
        assert_eq!(checkpoints_in(&[5, 10, 15], 5, 15), vec![10, 15]);
    }
}
