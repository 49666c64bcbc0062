//! Register-blocked kernels written once over the runtime's SIMD trait (`nsdf::simd::Simd`, a
//! proof token per instruction set) and instantiated per token in `x86.rs`.
//!
//! `matmul` keeps an `R × V` tile of outputs (R rows, V vectors of samples) in registers while it
//! runs down the shared dimension: each step loads V input vectors and R broadcast weights for
//! R·V fused multiply-adds. `weight_grad` keeps an `RO × RI` tile of weight gradients as vector
//! partial sums over the samples and reduces them to scalars at the end.

use super::Epilogue;
#[cfg(target_arch = "x86_64")]
use nsdf::simd::math;
use nsdf::simd::Simd;
#[cfg(target_arch = "x86_64")]
use nsdf::Activation;

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
    s: S,
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
        Epilogue::Store => {
            matmul_e::<S, R, V, STORE>(s, w, bias, x, y, std::ptr::null(), rows, k, c)
        }
        Epilogue::Relu => matmul_e::<S, R, V, RELU>(s, w, bias, x, y, std::ptr::null(), rows, k, c),
        Epilogue::MaskPositive(m) => {
            matmul_e::<S, R, V, MASK>(s, w, bias, x, y, m.as_ptr(), rows, k, c)
        }
    }
}

#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn matmul_e<S: Simd, const R: usize, const V: usize, const E: u8>(
    s: S,
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
        row_block::<S, R, V, E>(s, w, bias, x, y, mask, o, k, c);
        o += R;
    }
    while o < rows {
        row_block::<S, 1, V, E>(s, w, bias, x, y, mask, o, k, c);
        o += 1;
    }
}

#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn row_block<S: Simd, const R: usize, const V: usize, const E: u8>(
    s: S,
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
        tile::<S, R, V, E>(s, w, bias, x, y, mask, o, t, k, c);
        t += step;
    }
    while t < c {
        tile::<S, R, 1, E>(s, w, bias, x, y, mask, o, t, k, c);
        t += S::LANES;
    }
}

/// Outputs `o..o+R` × samples `t..t + V·LANES`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn tile<S: Simd, const R: usize, const V: usize, const E: u8>(
    s: S,
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
    let mut acc = [[s.zero(); V]; R];
    if !bias.is_null() {
        for (r, row) in acc.iter_mut().enumerate() {
            *row = [s.splat(*bias.add(o + r)); V];
        }
    }
    for i in 0..k {
        let mut xv = [s.zero(); V];
        for (v, xv) in xv.iter_mut().enumerate() {
            *xv = s.load(x.add(i * c + t + v * S::LANES));
        }
        for (r, row) in acc.iter_mut().enumerate() {
            let wv = s.splat(*w.add((o + r) * k + i));
            for v in 0..V {
                row[v] = s.fmadd(wv, xv[v], row[v]);
            }
        }
    }
    for (r, row) in acc.iter().enumerate() {
        for (v, &a) in row.iter().enumerate() {
            let at = (o + r) * c + t + v * S::LANES;
            let out = match E {
                RELU => s.max(a, s.zero()),
                MASK => s.keep(s.gt(s.load(mask.add(at)), s.zero()), a),
                _ => a,
            };
            s.store(y.add(at), out);
        }
    }
}

/// `dw = dz · xᵀ`, `db = dz · 1`; see `Kernel::weight_grad`. Tiles of `RO × RI` weights; with
/// `RO · RI = LANES` a tile's sums are reduced together by `Simd::sums`.
///
/// # Safety
/// As for [`matmul`].
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(super) unsafe fn weight_grad<S: Simd, const RO: usize, const RI: usize>(
    s: S,
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
        let mut acc = s.zero();
        let mut t = 0;
        while t < c {
            acc = s.add(acc, s.load(dz.add(o * c + t)));
            t += S::LANES;
        }
        *db = s.reduce_add(acc);
    }
    let mut o = 0;
    while o + RO <= rows {
        grad_rows::<S, RO, RI>(s, dz, x, dwp, o, k, c);
        o += RO;
    }
    while o < rows {
        grad_rows::<S, 1, RI>(s, dz, x, dwp, o, k, c);
        o += 1;
    }
}

#[inline(always)]
unsafe fn grad_rows<S: Simd, const RO: usize, const RI: usize>(
    s: S,
    dz: *const f32,
    x: *const f32,
    dw: *mut f32,
    o: usize,
    k: usize,
    c: usize,
) {
    let mut i = 0;
    while i + RI <= k {
        grad_tile::<S, RO, RI>(s, dz, x, dw, o, i, k, c);
        i += RI;
    }
    while i < k {
        grad_tile::<S, RO, 1>(s, dz, x, dw, o, i, k, c);
        i += 1;
    }
}

/// Weight gradients `dw[o..o+RO][i..i+RI]`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn grad_tile<S: Simd, const RO: usize, const RI: usize>(
    s: S,
    dz: *const f32,
    x: *const f32,
    dw: *mut f32,
    o: usize,
    i: usize,
    k: usize,
    c: usize,
) {
    let mut acc = [[s.zero(); RI]; RO];
    let mut t = 0;
    while t < c {
        let mut xv = [s.zero(); RI];
        for (j, xv) in xv.iter_mut().enumerate() {
            *xv = s.load(x.add((i + j) * c + t));
        }
        for (r, row) in acc.iter_mut().enumerate() {
            let d = s.load(dz.add((o + r) * c + t));
            for j in 0..RI {
                row[j] = s.fmadd(d, xv[j], row[j]);
            }
        }
        t += S::LANES;
    }
    if RO * RI == S::LANES {
        let mut sums = [0.0f32; 64];
        s.store(sums.as_mut_ptr(), s.sums(acc.as_flattened()));
        for r in 0..RO {
            for j in 0..RI {
                *dw.add((o + r) * k + i + j) = sums[r * RI + j];
            }
        }
    } else {
        for (r, row) in acc.iter().enumerate() {
            for (j, &a) in row.iter().enumerate() {
                *dw.add((o + r) * k + i + j) = s.reduce_add(a);
            }
        }
    }
}

/// `out = act(z)`, element by element; see `Kernel::activate`. This and [`times_derivative`]
/// spell out the same loop: written once with a closure, it ran 8× slower (a closure does not
/// inherit its caller's `target_feature`, so the vector math inside it is not inlined).
///
/// # Safety
/// `S` usable; `out.len() >= z.len()`.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub(super) unsafe fn activate<S: Simd>(s: S, act: Activation, z: &[f32], out: &mut [f32]) {
    let (n, l) = (z.len(), S::LANES);
    let (zp, op) = (z.as_ptr(), out.as_mut_ptr());
    let mut i = 0;
    while i + l <= n {
        s.store(op.add(i), math::apply(s, act, s.load(zp.add(i))));
        i += l;
    }
    if i < n {
        let v = math::apply(s, act, s.load_partial(zp.add(i), n - i));
        s.store_partial(op.add(i), v, n - i);
    }
}

/// `d *= act'(z)`, element by element; see `Kernel::times_derivative`.
///
/// # Safety
/// `S` usable; `d.len() >= z.len()`.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub(super) unsafe fn times_derivative<S: Simd>(s: S, act: Activation, z: &[f32], d: &mut [f32]) {
    let (n, l) = (z.len(), S::LANES);
    let (zp, dp) = (z.as_ptr(), d.as_mut_ptr());
    let mut i = 0;
    while i + l <= n {
        let g = math::apply_with_derivative(s, act, s.load(zp.add(i))).1;
        s.store(dp.add(i), s.mul(s.load(dp.add(i)), g));
        i += l;
    }
    if i < n {
        let g = math::apply_with_derivative(s, act, s.load_partial(zp.add(i), n - i)).1;
        let v = s.mul(s.load_partial(dp.add(i), n - i), g);
        s.store_partial(dp.add(i), v, n - i);
    }
}
