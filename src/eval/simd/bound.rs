//! Register-tiled versions of the products the box bounds spend their time in
//! (`scalar::range::Kernels`).
//!
//! `rows_times` multiplies a few rows (a form's symbols) by a small input-major matrix: output
//! units go in vector lanes, and a tile of 4 rows × 2 vectors keeps 8 accumulators in registers
//! over all inputs, loading each weight vector once per 4 rows.

use super::Simd;
use crate::eval::scalar::range::{Kernels, MAX_WIDTH};

impl<S: Simd> Kernels for S {
    #[inline(always)]
    fn rows_times<const ABS: bool>(
        self,
        wt: &[f32],
        inputs: usize,
        n: usize,
        x: &[[f32; MAX_WIDTH]],
        y: &mut [[f32; MAX_WIDTH]],
    ) {
        assert!(wt.len() >= inputs * n && n <= MAX_WIDTH && inputs <= MAX_WIDTH);
        let rows = x.len().min(y.len());
        let mut o = 0;
        while o < n {
            // Lanes in this column of tiles: two full vectors, or one (possibly partial).
            let width = (n - o).min(2 * S::LANES);
            let mut r = 0;
            while r + 4 <= rows {
                tile::<S, 4, ABS>(
                    self,
                    wt,
                    inputs,
                    n,
                    o,
                    width,
                    &x[r..r + 4],
                    &mut y[r..r + 4],
                );
                r += 4;
            }
            // The last 1-3 rows in one narrower tile.
            let (x, y) = (&x[r..rows], &mut y[r..rows]);
            match rows - r {
                1 => tile::<S, 1, ABS>(self, wt, inputs, n, o, width, x, y),
                2 => tile::<S, 2, ABS>(self, wt, inputs, n, o, width, x, y),
                3 => tile::<S, 3, ABS>(self, wt, inputs, n, o, width, x, y),
                _ => {}
            }
            o += width;
        }
    }

    #[inline(always)]
    fn add_abs(self, y: &mut [f32], x: &[f32]) {
        let n = y.len().min(x.len());
        let (yp, xp) = (y.as_mut_ptr(), x.as_ptr());
        let mut i = 0;
        // SAFETY: every access lies in `0..n`, within both slices.
        unsafe {
            while i < n {
                let k = (n - i).min(S::LANES);
                let v = self.add(load(self, yp.add(i), k), self.abs(load(self, xp.add(i), k)));
                store(self, yp.add(i), v, k);
                i += k;
            }
        }
    }
}

/// Rows `x[..R]` times columns `o..o + width` (`width ≤ 2 · LANES`) of `wt`, into `y[..R]`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn tile<S: Simd, const R: usize, const ABS: bool>(
    s: S,
    wt: &[f32],
    inputs: usize,
    n: usize,
    o: usize,
    width: usize,
    x: &[[f32; MAX_WIDTH]],
    y: &mut [[f32; MAX_WIDTH]],
) {
    let w0 = width.min(S::LANES);
    let w1 = width - w0;
    let mut acc = [[s.zero(); 2]; R];
    // SAFETY: row `i < inputs` of `wt` spans `i·n..i·n + n` and `o + width <= n`, so both loads
    // stay inside `wt` (the caller asserted its length); `x` rows hold `MAX_WIDTH ≥ inputs`.
    unsafe {
        let base = wt.as_ptr().add(o);
        for i in 0..inputs {
            let p = base.add(i * n);
            let mut v0 = load(s, p, w0);
            let mut v1 = if w1 > 0 {
                load(s, p.add(S::LANES), w1)
            } else {
                s.zero()
            };
            if ABS {
                v0 = s.abs(v0);
                v1 = s.abs(v1);
            }
            for (acc, x) in acc.iter_mut().zip(x) {
                let a = s.splat(*x.get_unchecked(i));
                acc[0] = s.fmadd(a, v0, acc[0]);
                acc[1] = s.fmadd(a, v1, acc[1]);
            }
        }
        for (acc, y) in acc.iter().zip(y) {
            // `o + width <= n <= MAX_WIDTH`: the stores stay inside the row.
            let q = y.as_mut_ptr().add(o);
            store(s, q, acc[0], w0);
            if w1 > 0 {
                store(s, q.add(S::LANES), acc[1], w1);
            }
        }
    }
}

/// Loads `k ≤ LANES` floats (a full vector when `k == LANES`).
#[inline(always)]
unsafe fn load<S: Simd>(s: S, p: *const f32, k: usize) -> S::V {
    if k == S::LANES {
        s.load(p)
    } else {
        s.load_partial(p, k)
    }
}

/// Stores `k ≤ LANES` lanes.
#[inline(always)]
unsafe fn store<S: Simd>(s: S, p: *mut f32, v: S::V, k: usize) {
    if k == S::LANES {
        s.store(p, v)
    } else {
        s.store_partial(p, v, k)
    }
}
