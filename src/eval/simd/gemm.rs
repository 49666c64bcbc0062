//! One dense layer over a block of points, as a small GEMM: `Y = epilogue(A · X)`, where `A` is
//! row-major `rows × cols` and `X` holds `cols` rows of `block` points (points in vector lanes).
//!
//! The work is cut into register tiles of R rows × C vectors of points. For each column the tile
//! loads its C activation vectors once and broadcasts each of its R weights once, then issues
//! R·C independent FMAs: with R = C = 4 (AVX-512, 32 registers) that is 8 loads per 16 FMAs, so
//! the FMA units and not the loads bound the speed, and 16 accumulators hide the FMA latency
//! (AVX2, with 16 registers, uses R = 4, C = 2: 6 loads per 8 FMAs). The last 1-3 rows
//! use narrower tiles that split the sum over even and odd columns, so they still keep at least
//! 2·C FMAs in flight (this matters for the 1-output last layer). The epilogue (bias, activation,
//! derivative) runs on the accumulators before they are stored.

use super::Simd;

/// What happens at the two ends of each row's sum.
pub trait Epilogue<S: Simd> {
    /// The sum's starting value for `row` (its bias, or zero).
    fn init(&self, s: S, row: usize) -> S::V;
    /// Takes the finished sum for `row` at points `p..p + LANES` and stores the layer's output.
    ///
    /// # Safety
    /// `row` and `p` lie within the layer's output block.
    unsafe fn finish(&self, s: S, row: usize, p: usize, sum: S::V);
}

/// Runs one layer: for every row `r` and every point `p` of the block,
/// `finish(r, p, init(r) + Σ_c a[r·cols + c] · x[c·block + p])`.
///
/// # Safety
/// `a` holds `rows × cols` floats, `x` holds `cols × block` floats, and `block` is a multiple of
/// `C · LANES`.
#[inline(always)]
pub unsafe fn layer<S: Simd, const C: usize, E: Epilogue<S>>(
    s: S,
    a: *const f32,
    rows: usize,
    cols: usize,
    x: *const f32,
    block: usize,
    epi: &E,
) {
    let mut r = 0;
    while r + 4 <= rows {
        tiles::<S, C, 4, 1, E>(s, a, r, cols, x, block, epi);
        r += 4;
    }
    match rows - r {
        1 => tiles::<S, C, 1, 2, E>(s, a, r, cols, x, block, epi),
        2 => tiles::<S, C, 2, 2, E>(s, a, r, cols, x, block, epi),
        3 => tiles::<S, C, 3, 2, E>(s, a, r, cols, x, block, epi),
        _ => {}
    }
}

/// Rows `r0..r0 + R` for every point of the block.
#[inline(always)]
unsafe fn tiles<S: Simd, const C: usize, const R: usize, const K: usize, E: Epilogue<S>>(
    s: S,
    a: *const f32,
    r0: usize,
    cols: usize,
    x: *const f32,
    block: usize,
    epi: &E,
) {
    let mut p = 0;
    while p < block {
        tile::<S, C, R, K, E>(s, a.add(r0 * cols), r0, cols, x.add(p), block, p, epi);
        p += C * S::LANES;
    }
}

/// One R × C tile, its sum split over K accumulator sets (column c goes to set c mod K).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn tile<S: Simd, const C: usize, const R: usize, const K: usize, E: Epilogue<S>>(
    s: S,
    a: *const f32,
    r0: usize,
    cols: usize,
    x: *const f32,
    block: usize,
    p: usize,
    epi: &E,
) {
    let mut acc = [[[s.zero(); C]; R]; K];
    for (r, row) in acc[0].iter_mut().enumerate() {
        *row = [epi.init(s, r0 + r); C];
    }
    let mut c = 0;
    while c + K <= cols {
        for (k, set) in acc.iter_mut().enumerate() {
            step::<S, C, R>(s, set, a.add(c + k), cols, x.add((c + k) * block));
        }
        c += K;
    }
    if c < cols {
        step::<S, C, R>(s, &mut acc[0], a.add(c), cols, x.add(c * block));
    }
    // Totals go to a separate array: the epilogue loop indexes it at run time, and were that the
    // accumulator array, the compiler would keep the accumulators in memory, not registers.
    let mut sums = acc[0];
    for set in &acc[1..] {
        for (sum, part) in sums.iter_mut().zip(set) {
            for (sv, pv) in sum.iter_mut().zip(part) {
                *sv = s.add(*sv, *pv);
            }
        }
    }
    for (r, row) in sums.iter().enumerate() {
        for (v, &sum) in row.iter().enumerate() {
            epi.finish(s, r0 + r, p + v * S::LANES, sum);
        }
    }
}

/// One column: `acc[r][v] += a[r·cols] · x[v·LANES..]`.
#[inline(always)]
unsafe fn step<S: Simd, const C: usize, const R: usize>(
    s: S,
    acc: &mut [[S::V; C]; R],
    a: *const f32,
    cols: usize,
    x: *const f32,
) {
    let mut xv = [s.zero(); C];
    for (v, xv) in xv.iter_mut().enumerate() {
        *xv = s.load(x.add(v * S::LANES));
    }
    for (r, row) in acc.iter_mut().enumerate() {
        let w = s.splat(*a.add(r * cols));
        for (sum, &xv) in row.iter_mut().zip(&xv) {
            *sum = s.fmadd(w, xv, *sum);
        }
    }
}
