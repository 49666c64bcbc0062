//! Earth Mover's distance between two surfaces: the mean distance of the best one-to-one
//! matching of `n` samples of each, `EMD = min_σ (1/n) Σ |p_i − q_σ(i)|`.
//!
//! Unlike Chamfer distance, which lets many samples of one surface match the same spot of the
//! other, a matching is one-to-one, so it also sees *where the area is*: a reconstruction that
//! bunches its surface (a thin sheet doubled, a missing part filled elsewhere) pays for it.
//! Exact on the subsample, by the Kuhn–Munkres (Hungarian) algorithm of the `pathfinding` crate,
//! which is O(n³): [`EMD_SAMPLES`] keeps it to about a second. Distances are rounded to integer
//! weights of 1e-6 of the scale given (relative error under 1e-5 for any usable result).

use pathfinding::prelude::{kuhn_munkres_min, Matrix};

/// Samples per surface for the matching.
pub const EMD_SAMPLES: usize = 1000;

/// Earth Mover's distance between the first `min(n, len)` points of `a` and of `b` (equal
/// counts; both must be random samples for that prefix to be a fair subsample), in their
/// units; `scale` is the size of the shapes (the weights' resolution is `scale · 1e-6`).
/// `None` when either side is empty or a coordinate is not finite.
pub fn earth_movers(a: &[[f32; 3]], b: &[[f32; 3]], n: usize, scale: f64) -> Option<f64> {
    let n = n.min(a.len()).min(b.len());
    let finite = |p: &[[f32; 3]]| p.iter().flatten().all(|x| x.is_finite());
    if n == 0 || scale.is_nan() || scale <= 0.0 || !finite(&a[..n]) || !finite(&b[..n]) {
        return None;
    }
    let unit = scale * 1e-6;
    let dist = |p: &[f32; 3], q: &[f32; 3]| {
        (0..3)
            .map(|k| (p[k] as f64 - q[k] as f64).powi(2))
            .sum::<f64>()
            .sqrt()
    };
    let weights = Matrix::from_fn(n, n, |(i, j)| (dist(&a[i], &b[j]) / unit).round() as i64);
    let (_, assignment) = kuhn_munkres_min(&weights);
    let total: f64 = assignment
        .iter()
        .enumerate()
        .map(|(i, &j)| dist(&a[i], &b[j]))
        .sum();
    Some(total / n as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shifted_copy_moves_by_the_shift_and_a_permutation_by_nothing() {
        let a: Vec<[f32; 3]> = (0..200)
            .map(|i| [(i % 10) as f32, (i / 10 % 10) as f32, (i / 100) as f32])
            .collect();
        let mut b: Vec<[f32; 3]> = a.iter().rev().copied().collect();
        assert!(earth_movers(&a, &b, 200, 10.0).unwrap() < 1e-5);
        // Shifted by 0.25 along x (less than half the spacing): every point moves 0.25.
        b.iter_mut().for_each(|p| p[0] += 0.25);
        let e = earth_movers(&a, &b, 200, 10.0).unwrap();
        assert!((e - 0.25).abs() < 1e-5, "{e}");
        assert!(earth_movers(&a, &[], 200, 1.0).is_none());
    }

    #[test]
    fn bunching_costs_what_chamfer_distance_misses() {
        // Two clusters at x = 0 and x = 1; b puts 3/4 of its points on the first: Chamfer
        // distance is 0 (every point has a partner at distance 0), EMD is not.
        let a: Vec<[f32; 3]> = (0..100).map(|i| [(i % 2) as f32, 0.0, 0.0]).collect();
        let b: Vec<[f32; 3]> = (0..100)
            .map(|i| [(i % 4 == 3) as u8 as f32, 0.0, 0.0])
            .collect();
        let e = earth_movers(&a, &b, 100, 1.0).unwrap();
        assert!((e - 0.25).abs() < 1e-6, "{e}");
    }
}
