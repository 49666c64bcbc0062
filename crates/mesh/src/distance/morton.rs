//! Ordering query points along a Morton (Z-order) curve, so consecutive queries are close in
//! space: the nearest-triangle search can start from the previous answer, and the sign can be
//! carried from one query to the next.

use rayon::prelude::*;

/// Spreads the low 21 bits of `x` so that there are two zero bits between each.
#[inline]
fn spread(x: u64) -> u64 {
    let mut x = x & 0x1f_ffff;
    x = (x | (x << 32)) & 0x001f_0000_0000_ffff;
    x = (x | (x << 16)) & 0x001f_0000_ff00_00ff;
    x = (x | (x << 8)) & 0x100f_00f0_0f00_f00f;
    x = (x | (x << 4)) & 0x10c3_0c30_c30c_30c3;
    x = (x | (x << 2)) & 0x1249_2492_4924_9249;
    x
}

/// Indices of `points` sorted by 63-bit Morton code over the points' own bounding box.
/// Non-finite coordinates are tolerated (they sort somewhere; their results are NaN anyway).
pub fn order(points: &[[f32; 3]]) -> Vec<u32> {
    let mut lo = [f32::INFINITY; 3];
    let mut hi = [f32::NEG_INFINITY; 3];
    for p in points {
        for k in 0..3 {
            if p[k].is_finite() {
                lo[k] = lo[k].min(p[k]);
                hi[k] = hi[k].max(p[k]);
            }
        }
    }
    let ext = (0..3).map(|k| hi[k] - lo[k]).fold(0f32, |a, b| a.max(b));
    let s = if ext > 0.0 {
        ((1u32 << 21) - 1) as f32 / ext
    } else {
        0.0
    };
    let mut keys: Vec<(u64, u32)> = points
        .par_iter()
        .enumerate()
        .map(|(i, p)| {
            // `as u64` saturates: NaN → 0, out of range → clamped.
            let q = |k: usize| (((p[k] - lo[k]) * s) as u64).min((1 << 21) - 1);
            (
                spread(q(0)) | spread(q(1)) << 1 | spread(q(2)) << 2,
                i as u32,
            )
        })
        .collect();
    keys.par_sort_unstable();
    keys.into_iter().map(|(_, i)| i).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_interleaves() {
        assert_eq!(spread(0b1), 0b1);
        assert_eq!(spread(0b11), 0b1001);
        assert_eq!(spread(0x1f_ffff).count_ones(), 21);
    }

    #[test]
    fn order_is_a_permutation_and_groups_neighbours() {
        let pts: Vec<[f32; 3]> = (0..1000)
            .map(|i| [(i % 10) as f32, ((i / 10) % 10) as f32, (i / 100) as f32])
            .collect();
        let o = order(&pts);
        let mut seen = o.clone();
        seen.sort_unstable();
        assert_eq!(seen, (0..1000).collect::<Vec<u32>>());
        // Along a Z-curve on a grid, consecutive points are on average much closer than in
        // the row-major input order's worst jumps.
        let step = |a: u32, b: u32| {
            let (p, q) = (pts[a as usize], pts[b as usize]);
            (0..3).map(|k| (p[k] - q[k]).abs()).sum::<f32>()
        };
        let mean = o.windows(2).map(|w| step(w[0], w[1])).sum::<f32>() / 999.0;
        assert!(mean < 2.0, "{mean}");
    }
}
