//! Floating-point helpers that reproduce numpy's arithmetic exactly, so that the port follows
//! CHEMPY's order of operations: `numpy.linspace`, `numpy.sum` (pairwise summation) and
//! Python's built-in `sum` (left-to-right).

/// `numpy.linspace(start, stop, num)` (endpoint included): `i * step + start`, last = `stop`.
pub fn linspace_into(start: f64, stop: f64, num: usize, out: &mut Vec<f64>) {
    out.clear();
    if num == 0 {
        return;
    }
    if num == 1 {
        out.push(start);
        return;
    }
    let div = (num - 1) as f64;
    let delta = stop - start;
    let step = delta / div;
    if step == 0.0 {
        out.extend((0..num).map(|i| (i as f64 / div) * delta + start));
    } else {
        out.extend((0..num).map(|i| i as f64 * step + start));
    }
    out[num - 1] = stop;
}

/// `numpy.linspace(start, stop, num)` as a new vector.
pub fn linspace(start: f64, stop: f64, num: usize) -> Vec<f64> {
    let mut v = Vec::with_capacity(num);
    linspace_into(start, stop, num, &mut v);
    v
}

/// Python's built-in `sum`: left to right, starting from 0.
pub fn seq_sum(values: &[f64]) -> f64 {
    values.iter().fold(0.0, |s, v| s + v)
}

/// `numpy.sum` of a float64 array: numpy's pairwise summation (8 accumulators, blocks of 128).
pub fn np_sum(values: &[f64]) -> f64 {
    0.0 + pairwise_f64(values)
}

fn pairwise_f64(a: &[f64]) -> f64 {
    let n = a.len();
    if n < 8 {
        a.iter().fold(-0.0, |s, v| s + v)
    } else if n <= 128 {
        let mut r = [0.0f64; 8];
        r.copy_from_slice(&a[..8]);
        let mut i = 8;
        while i < n - n % 8 {
            for (k, rk) in r.iter_mut().enumerate() {
                *rk += a[i + k];
            }
            i += 8;
        }
        let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for v in &a[i..] {
            res += v;
        }
        res
    } else {
        let mut n2 = n / 2;
        n2 -= n2 % 8;
        pairwise_f64(&a[..n2]) + pairwise_f64(&a[n2..])
    }
}

/// `numpy.sum` of a float32 array (pairwise summation with float32 accumulators).
pub fn np_sum_f32(values: &[f32]) -> f32 {
    0.0 + pairwise_f32(values)
}

fn pairwise_f32(a: &[f32]) -> f32 {
    let n = a.len();
    if n < 8 {
        a.iter().fold(-0.0, |s, v| s + v)
    } else if n <= 128 {
        let mut r = [0.0f32; 8];
        r.copy_from_slice(&a[..8]);
        let mut i = 8;
        while i < n - n % 8 {
            for (k, rk) in r.iter_mut().enumerate() {
                *rk += a[i + k];
            }
            i += 8;
        }
        let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for v in &a[i..] {
            res += v;
        }
        res
    } else {
        let mut n2 = n / 2;
        n2 -= n2 % 8;
        pairwise_f32(&a[..n2]) + pairwise_f32(&a[n2..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linspace_matches_numpy_grid() {
        let t = linspace(0.0, 13.797617, 28);
        assert_eq!(t.len(), 28);
        assert_eq!(t[0], 0.0);
        assert_eq!(t[27], 13.797617);
        // numpy: linspace(0, 13.797617, 28)[1] = 0.5110228518518519, [3] = 1.5330685555555559
        assert_eq!(t[1], 0.5110228518518519);
        assert_eq!(t[3], 1.5330685555555559);
    }

    #[test]
    fn pairwise_sum_differs_from_sequential_like_numpy() {
        // 1 + 1e-16 * 200: sequential summation loses every tiny term, pairwise keeps them.
        let mut v = vec![1.0];
        v.extend(std::iter::repeat_n(1e-16, 200));
        assert_eq!(seq_sum(&v), 1.0);
        assert!(np_sum(&v) > 1.0);
        assert_eq!(np_sum(&[1.0, 2.0, 3.0]), 6.0);
    }
}
