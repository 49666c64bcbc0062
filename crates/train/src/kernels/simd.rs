//! Register-blocked kernels written once over a small SIMD vocabulary ([`Simd`]) and
//! instantiated per instruction set in `x86.rs`.
//!
//! `matmul` keeps an `R × V` tile of outputs (R rows, V vectors of samples) in registers while it
//! runs down the shared dimension: each step loads V input vectors and R broadcast weights for
//! R·V fused multiply-adds. `weight_grad` keeps an `RO × RI` tile of weight gradients as vector
//! partial sums over the samples and reduces them to scalars at the end.

use super::Epilogue;

/// The SIMD operations the kernels need.
///
/// # Safety
/// Implementations may only be used where their instruction set is available; pointers passed
/// must be valid for `LANES` floats (unaligned is fine).
pub(super) unsafe trait Simd: Copy {
    type V: Copy;
    const LANES: usize;
    unsafe fn zero() -> Self::V;
    unsafe fn splat(x: f32) -> Self::V;
    unsafe fn load(p: *const f32) -> Self::V;
    unsafe fn store(p: *mut f32, v: Self::V);
    /// `a * b + c`, fused.
    unsafe fn fma(a: Self::V, b: Self::V, c: Self::V) -> Self::V;
    unsafe fn add(a: Self::V, b: Self::V) -> Self::V;
    unsafe fn max0(a: Self::V) -> Self::V;
    /// `a` where `mask > 0`, else 0.
    unsafe fn keep_positive(a: Self::V, mask: Self::V) -> Self::V;
    unsafe fn sum(a: Self::V) -> f32;
    /// Given `LANES` vectors at `acc`, the vector whose lane `j` is the sum of `acc[j]`'s lanes
    /// (a transposing reduction: about 3 operations per vector instead of ~8 for `sum`).
    unsafe fn sums(acc: *const Self::V) -> Self::V;
}

const STORE: u8 = 0;
const RELU: u8 = 1;
const MASK: u8 = 2;

/// `y = epilogue(w · x + bias)`; see `Kernel::matmul`. Row tiles of `R`, then single rows;
/// sample tiles of `V` vectors, then single vectors.
///
/// # Safety
/// `S` usable; slices sized as `Kernel::matmul` asserts; `c` a multiple of `S::LANES`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(super) unsafe fn matmul<S: Simd, const R: usize, const V: usize>(
    w: &[f32],
    bias: Option<&[f32]>,
    x: &[f32],
    y: &mut [f32],
    rows: usize,
    k: usize,
    c: usize,
    epilogue: Epilogue,
) {
    match epilogue {
        Epilogue::Store => matmul_e::<S, R, V, STORE>(w, bias, x, y, std::ptr::null(), rows, k, c),
        Epilogue::Relu => matmul_e::<S, R, V, RELU>(w, bias, x, y, std::ptr::null(), rows, k, c),
        Epilogue::MaskPositive(m) => {
            matmul_e::<S, R, V, MASK>(w, bias, x, y, m.as_ptr(), rows, k, c)
        }
    }
}

#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn matmul_e<S: Simd, const R: usize, const V: usize, const E: u8>(
    w: &[f32],
    bias: Option<&[f32]>,
    x: &[f32],
    y: &mut [f32],
    mask: *const f32,
    rows: usize,
    k: usize,
    c: usize,
) {
    let (w, x, y) = (w.as_ptr(), x.as_ptr(), y.as_mut_ptr());
    let bias = bias.map_or(std::ptr::null(), |b| b.as_ptr());
    let mut o = 0;
    while o + R <= rows {
        row_block::<S, R, V, E>(w, bias, x, y, mask, o, k, c);
        o += R;
    }
    while o < rows {
        row_block::<S, 1, V, E>(w, bias, x, y, mask, o, k, c);
        o += 1;
    }
}

#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn row_block<S: Simd, const R: usize, const V: usize, const E: u8>(
    w: *const f32,
    bias: *const f32,
    x: *const f32,
    y: *mut f32,
    mask: *const f32,
    o: usize,
    k: usize,
    c: usize,
) {
    let step = V * S::LANES;
    let mut t = 0;
    while t + step <= c {
        tile::<S, R, V, E>(w, bias, x, y, mask, o, t, k, c);
        t += step;
    }
    while t < c {
        tile::<S, R, 1, E>(w, bias, x, y, mask, o, t, k, c);
        t += S::LANES;
    }
}

/// Outputs `o..o+R` × samples `t..t + V·LANES`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn tile<S: Simd, const R: usize, const V: usize, const E: u8>(
    w: *const f32,
    bias: *const f32,
    x: *const f32,
    y: *mut f32,
    mask: *const f32,
    o: usize,
    t: usize,
    k: usize,
    c: usize,
) {
    let mut acc = [[S::zero(); V]; R];
    if !bias.is_null() {
        for (r, row) in acc.iter_mut().enumerate() {
            *row = [S::splat(*bias.add(o + r)); V];
        }
    }
    for i in 0..k {
        let mut xv = [S::zero(); V];
        for (v, xv) in xv.iter_mut().enumerate() {
            *xv = S::load(x.add(i * c + t + v * S::LANES));
        }
        for (r, row) in acc.iter_mut().enumerate() {
            let wv = S::splat(*w.add((o + r) * k + i));
            for v in 0..V {
                row[v] = S::fma(wv, xv[v], row[v]);
            }
        }
    }
    for (r, row) in acc.iter().enumerate() {
        for (v, &a) in row.iter().enumerate() {
            let at = (o + r) * c + t + v * S::LANES;
            let out = match E {
                RELU => S::max0(a),
                MASK => S::keep_positive(a, S::load(mask.add(at))),
                _ => a,
            };
            S::store(y.add(at), out);
        }
    }
}

/// `dw = dz · xᵀ`, `db = dz · 1`; see `Kernel::weight_grad`. Tiles of `RO × RI` weights; with
/// `RO · RI = LANES` a tile's sums are reduced together by [`Simd::sums`].
///
/// # Safety
/// As for [`matmul`].
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(super) unsafe fn weight_grad<S: Simd, const RO: usize, const RI: usize>(
    dz: &[f32],
    x: &[f32],
    dw: &mut [f32],
    db: &mut [f32],
    rows: usize,
    k: usize,
    c: usize,
) {
    let (dz, x, dwp) = (dz.as_ptr(), x.as_ptr(), dw.as_mut_ptr());
    for (o, db) in db.iter_mut().enumerate().take(rows) {
        let mut acc = S::zero();
        let mut t = 0;
        while t < c {
            acc = S::add(acc, S::load(dz.add(o * c + t)));
            t += S::LANES;
        }
        *db = S::sum(acc);
    }
    let mut o = 0;
    while o + RO <= rows {
        grad_rows::<S, RO, RI>(dz, x, dwp, o, k, c);
        o += RO;
    }
    while o < rows {
        grad_rows::<S, 1, RI>(dz, x, dwp, o, k, c);
        o += 1;
    }
}

#[inline(always)]
unsafe fn grad_rows<S: Simd, const RO: usize, const RI: usize>(
    dz: *const f32,
    x: *const f32,
    dw: *mut f32,
    o: usize,
    k: usize,
    c: usize,
) {
    let mut i = 0;
    while i + RI <= k {
        grad_tile::<S, RO, RI>(dz, x, dw, o, i, k, c);
        i += RI;
    }
    while i < k {
        grad_tile::<S, RO, 1>(dz, x, dw, o, i, k, c);
        i += 1;
    }
}

/// Weight gradients `dw[o..o+RO][i..i+RI]`.
#[inline(always)]
unsafe fn grad_tile<S: Simd, const RO: usize, const RI: usize>(
    dz: *const f32,
    x: *const f32,
    dw: *mut f32,
    o: usize,
    i: usize,
    k: usize,
    c: usize,
) {
    let mut acc = [[S::zero(); RI]; RO];
    let mut t = 0;
    while t < c {
        let mut xv = [S::zero(); RI];
        for (j, xv) in xv.iter_mut().enumerate() {
            *xv = S::load(x.add((i + j) * c + t));
        }
        for (r, row) in acc.iter_mut().enumerate() {
            let d = S::load(dz.add((o + r) * c + t));
            for j in 0..RI {
                row[j] = S::fma(d, xv[j], row[j]);
            }
        }
        t += S::LANES;
    }
    if RO * RI == S::LANES {
        let mut sums = [0.0f32; 64];
        S::store(sums.as_mut_ptr(), S::sums(acc.as_ptr() as *const S::V));
        for r in 0..RO {
            for j in 0..RI {
                *dw.add((o + r) * k + i + j) = sums[r * RI + j];
            }
        }
    } else {
        for (r, row) in acc.iter().enumerate() {
            for (j, &a) in row.iter().enumerate() {
                *dw.add((o + r) * k + i + j) = S::sum(a);
            }
        }
    }
}
