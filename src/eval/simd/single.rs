//! Single points, for the lowest latency: neurons go in vector lanes instead of points. A wide
//! layer accumulates columns of the transposed weights (`wt`) times a broadcast input, with four
//! independent sums per vector so FMA latency does not serialize the layer; a narrow layer (fewer
//! outputs than lanes, such as the 1-output last layer) takes dot products of weight rows.

use super::math::{apply, apply_with_derivative, sin_cos};
use super::{scratch, Simd};
use crate::eval::network::Network;
use crate::model::{Activation, Encoding};
use std::mem::MaybeUninit;

/// Distance at one world point.
///
/// # Safety
/// Must run where `S`'s instructions are enabled (`#[target_feature]`).
#[inline(always)]
pub unsafe fn distance<S: Simd>(s: S, net: &Network, p: [f32; 3]) -> f32 {
    let enc_dim = net.encoding.output_dim();
    let mut stack = MaybeUninit::uninit();
    let mut heap = None;
    let buf = buffer(&mut stack, &mut heap, enc_dim + 2 * net.max_width);
    let (enc, h) = buf.split_at_mut(enc_dim);
    let (mut cur, mut next) = h.split_at_mut(net.max_width);
    encode(s, net, p, enc);
    for (k, l) in net.layers.iter().enumerate() {
        let x: &[f32] = if k == 0 { enc } else { &cur[..l.inputs] };
        let (rows, cols, bias) = (l.outputs, l.inputs, Some(&l.b[..]));
        matvec(
            s,
            &l.w,
            &l.wt,
            rows,
            cols,
            x,
            bias,
            &mut next[..rows],
            Finish::Act(l.activation),
        );
        std::mem::swap(&mut cur, &mut next);
    }
    net.transform.distance_scale * cur[0]
}

/// Distance and world-space gradient at one point.
///
/// # Safety
/// As [`distance`].
#[inline(always)]
pub unsafe fn gradient<S: Simd>(s: S, net: &Network, p: [f32; 3]) -> (f32, [f32; 3]) {
    let enc_dim = net.encoding.output_dim();
    let derivs: usize = net.layers.iter().map(|l| l.outputs).sum();
    let mut stack = MaybeUninit::uninit();
    let mut heap = None;
    let buf = buffer(&mut stack, &mut heap, enc_dim + derivs + 2 * net.max_width);
    let (enc, rest) = buf.split_at_mut(enc_dim);
    let (d, h) = rest.split_at_mut(derivs);
    let (mut cur, mut next) = h.split_at_mut(net.max_width);
    encode(s, net, p, enc);
    // Forward, keeping act'(z) of each layer in `d`.
    let mut offset = 0;
    for (k, l) in net.layers.iter().enumerate() {
        let x: &[f32] = if k == 0 { enc } else { &cur[..l.inputs] };
        let (rows, cols, bias) = (l.outputs, l.inputs, Some(&l.b[..]));
        let finish = Finish::ActDerivative(l.activation, d[offset..offset + rows].as_mut_ptr());
        matvec(
            s,
            &l.w,
            &l.wt,
            rows,
            cols,
            x,
            bias,
            &mut next[..rows],
            finish,
        );
        offset += rows;
        std::mem::swap(&mut cur, &mut next);
    }
    let f = cur[0];
    // Backward: `g` is ∂f/∂z of the current layer, first the last layer's act'(z), which is
    // where the loop starts reading; each step writes ∂f/∂z of the layer below.
    let last = net.layers.len() - 1;
    offset -= net.layers[last].outputs;
    cur[..1].copy_from_slice(&d[offset..offset + 1]);
    for (k, l) in net.layers.iter().enumerate().rev() {
        let (rows, cols) = (l.inputs, l.outputs);
        let finish = if k > 0 {
            offset -= rows;
            Finish::Scale(d[offset..offset + rows].as_ptr())
        } else {
            Finish::Plain
        };
        matvec(
            s,
            &l.wt,
            &l.w,
            rows,
            cols,
            &cur[..cols],
            None,
            &mut next[..rows],
            finish,
        );
        std::mem::swap(&mut cur, &mut next);
    }
    let gq = encode_backward(net, enc, &cur[..enc_dim]);
    let t = &net.transform;
    let scale = t.distance_scale * t.scale;
    (
        t.distance_scale * f,
        [scale * gq[0], scale * gq[1], scale * gq[2]],
    )
}

/// Floats a small network's single-point evaluation fits in; larger ones use per-thread scratch.
const STACK_FLOATS: usize = 1024;

/// `STACK_FLOATS` floats, cache-line aligned.
#[repr(C, align(64))]
struct StackBuffer([f32; STACK_FLOATS]);

/// `len` zeroed floats: on the stack when they fit, else from the thread's scratch.
#[inline(always)]
fn buffer<'a>(
    stack: &'a mut MaybeUninit<StackBuffer>,
    heap: &'a mut Option<scratch::Scratch>,
    len: usize,
) -> &'a mut [f32] {
    if len <= STACK_FLOATS {
        let p = stack.as_mut_ptr().cast::<f32>();
        // SAFETY: the first `len` floats of the buffer are initialized right here.
        unsafe {
            std::ptr::write_bytes(p, 0, len);
            std::slice::from_raw_parts_mut(p, len)
        }
    } else {
        heap.insert(scratch::take(len)).floats()
    }
}

/// What happens to a layer's sums before they are stored.
#[derive(Clone, Copy)]
enum Finish {
    /// Stored as they are.
    Plain,
    /// The activation is applied.
    Act(Activation),
    /// The activation is applied and its derivative stored at the pointer (one per row).
    ActDerivative(Activation, *mut f32),
    /// Multiplied by the values at the pointer (one per row).
    Scale(*const f32),
}

impl Finish {
    /// Finishes the sums of rows `r..r + n` (n ≤ LANES), stores them at `y`.
    #[inline(always)]
    unsafe fn store<S: Simd>(self, s: S, y: *mut f32, r: usize, n: usize, sum: S::V) {
        let v = match self {
            Finish::Plain => sum,
            Finish::Act(act) => apply(s, act, sum),
            Finish::ActDerivative(act, d) => {
                let (v, dv) = apply_with_derivative(s, act, sum);
                store_n(s, d.add(r), dv, n);
                v
            }
            Finish::Scale(d) => s.mul(sum, load_n(s, d.add(r), n)),
        };
        store_n(s, y, v, n);
    }
}

/// Writes the encoding of world point `p` into `enc`.
#[inline(always)]
unsafe fn encode<S: Simd>(s: S, net: &Network, p: [f32; 3], enc: &mut [f32]) {
    let q = net.transform.to_network(p);
    enc[..3].copy_from_slice(&q);
    if let Some(g) = &net.grid {
        g.encode(q, &mut enc[3..], 1);
    }
    if let Encoding::Fourier { frequencies } = net.encoding {
        // All 3·F arguments in lanes: args[3k + a] = 2^k π q[a].
        let n = 3 * frequencies as usize;
        let mut args = [0.0f32; 48];
        for (k, chunk) in args[..n].chunks_exact_mut(3).enumerate() {
            let f = std::f32::consts::PI * (1u32 << k) as f32;
            for (arg, q) in chunk.iter_mut().zip(q) {
                *arg = f * q;
            }
        }
        let (mut sins, mut coss) = ([0.0f32; 48], [0.0f32; 48]);
        for j in (0..n).step_by(S::LANES) {
            let (sin, cos) = sin_cos(s, load(s, &args[j..n]));
            store(s, &mut sins[j..n], sin);
            store(s, &mut coss[j..n], cos);
        }
        for k in 0..frequencies as usize {
            enc[3 + 6 * k..6 + 6 * k].copy_from_slice(&sins[3 * k..3 * k + 3]);
            enc[6 + 6 * k..9 + 6 * k].copy_from_slice(&coss[3 * k..3 * k + 3]);
        }
    }
}

/// ∂f/∂q (network frame) from ∂f/∂(encoding), using the point and the sines and cosines stored
/// in `enc`.
#[inline(always)]
fn encode_backward(net: &Network, enc: &[f32], g: &[f32]) -> [f32; 3] {
    let encoding = net.encoding;
    let mut out = [g[0], g[1], g[2]];
    if let Some(grid) = &net.grid {
        let d = grid.backward([enc[0], enc[1], enc[2]], &g[3..], 1);
        for a in 0..3 {
            out[a] += d[a];
        }
    }
    if let Encoding::Fourier { frequencies } = encoding {
        for k in 0..frequencies as usize {
            let f = std::f32::consts::PI * (1u32 << k) as f32;
            for (a, out) in out.iter_mut().enumerate() {
                let (rs, rc) = (3 + 6 * k + a, 6 + 6 * k + a);
                *out += f * (enc[rc] * g[rs] - enc[rs] * g[rc]);
            }
        }
    }
    out
}

/// `y[r] = finish(bias[r] + Σ_c m[r·cols + c] · x[c])`, where `mt` is `m` transposed
/// (`cols × rows`).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn matvec<S: Simd>(
    s: S,
    m: &[f32],
    mt: &[f32],
    rows: usize,
    cols: usize,
    x: &[f32],
    bias: Option<&[f32]>,
    y: &mut [f32],
    finish: Finish,
) {
    let fits = |n: usize| m.len() >= n && mt.len() >= n;
    assert!(fits(rows * cols) && x.len() >= cols && y.len() >= rows);
    assert!(bias.is_none_or(|b| b.len() >= rows));
    let lanes = S::LANES;
    if rows < lanes {
        let mut sums = [0.0f32; 16];
        for (r, sum) in sums[..rows].iter_mut().enumerate() {
            *sum = bias.map_or(0.0, |b| b[r]) + dot(s, &m[r * cols..(r + 1) * cols], x);
        }
        finish.store(s, y.as_mut_ptr(), 0, rows, s.load(sums.as_ptr()));
        return;
    }
    let mut r = 0;
    while r < rows {
        let n = (rows - r).min(2 * lanes);
        let (mt, bias) = (mt.as_ptr().add(r), bias.map(|b| b.as_ptr().add(r)));
        let y = y.as_mut_ptr();
        // Eight sums per vector where registers allow, else four (16 accumulators in all).
        match (n.div_ceil(lanes), S::REGISTERS >= 32) {
            (2, true) => columns::<S, 2, 8>(s, mt, rows, cols, x, bias, y, r, n, finish),
            (2, false) => columns::<S, 2, 4>(s, mt, rows, cols, x, bias, y, r, n, finish),
            _ => columns::<S, 1, 8>(s, mt, rows, cols, x, bias, y, r, n, finish),
        }
        r += n;
    }
}

/// Rows `r..r + n` (`NV` vectors, the last one possibly partial), summed over all columns of
/// `mt` in `SETS` interleaved sets (a power of two): SETS·NV independent FMA chains, short enough
/// that the layer is bound by FMA throughput and loads rather than latency.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn columns<S: Simd, const NV: usize, const SETS: usize>(
    s: S,
    mt: *const f32,
    rows: usize,
    cols: usize,
    x: &[f32],
    bias: Option<*const f32>,
    y: *mut f32,
    r: usize,
    n: usize,
    finish: Finish,
) {
    // Lanes of vector v: all but the last, which has what is left of `n`.
    let width = |v: usize| {
        if v + 1 < NV {
            S::LANES
        } else {
            n - v * S::LANES
        }
    };
    let mut acc = [[s.zero(); NV]; SETS];
    if let Some(b) = bias {
        for (v, a) in acc[0].iter_mut().enumerate() {
            *a = load_n(s, b.add(v * S::LANES), width(v));
        }
    }
    let mut c = 0;
    while c + SETS <= cols {
        for (k, set) in acc.iter_mut().enumerate() {
            let xb = s.splat(*x.get_unchecked(c + k));
            column(s, set, mt.add((c + k) * rows), xb, &width);
        }
        c += SETS;
    }
    while c < cols {
        let xb = s.splat(*x.get_unchecked(c));
        column(s, &mut acc[0], mt.add(c * rows), xb, &width);
        c += 1;
    }
    // Pairwise sum of the sets.
    let mut half = SETS / 2;
    while half > 0 {
        let (low, high) = acc.split_at_mut(half);
        for (l, h) in low.iter_mut().zip(high.iter()) {
            for (lv, hv) in l.iter_mut().zip(h) {
                *lv = s.add(*lv, *hv);
            }
        }
        half /= 2;
    }
    for (v, &sum) in acc[0].iter().enumerate() {
        let at = r + v * S::LANES;
        finish.store(s, y.add(at), at, width(v), sum);
    }
}

/// `n ≤ LANES` floats at `p`, zeros in the other lanes.
#[inline(always)]
unsafe fn load_n<S: Simd>(s: S, p: *const f32, n: usize) -> S::V {
    if n == S::LANES {
        s.load(p)
    } else {
        s.load_partial(p, n)
    }
}

/// Stores the first `n ≤ LANES` lanes of `v` at `p`.
#[inline(always)]
unsafe fn store_n<S: Simd>(s: S, p: *mut f32, v: S::V, n: usize) {
    if n == S::LANES {
        s.store(p, v)
    } else {
        s.store_partial(p, v, n)
    }
}

/// `acc[v] += mt_row[v·LANES..] · xb` for one column (one row of `mt`), `xb` the input broadcast.
#[inline(always)]
unsafe fn column<S: Simd, const NV: usize>(
    s: S,
    acc: &mut [S::V; NV],
    mt_row: *const f32,
    xb: S::V,
    width: &impl Fn(usize) -> usize,
) {
    for (v, a) in acc.iter_mut().enumerate() {
        *a = s.fmadd(load_n(s, mt_row.add(v * S::LANES), width(v)), xb, *a);
    }
}

/// `Σ a[i] · b[i]` over `a.len()` elements.
#[inline(always)]
unsafe fn dot<S: Simd>(s: S, a: &[f32], b: &[f32]) -> f32 {
    let (mut s0, mut s1) = (s.zero(), s.zero());
    let lanes = S::LANES;
    let mut i = 0;
    while i + 2 * lanes <= a.len() {
        s0 = s.fmadd(load(s, &a[i..]), load(s, &b[i..]), s0);
        s1 = s.fmadd(load(s, &a[i + lanes..]), load(s, &b[i + lanes..]), s1);
        i += 2 * lanes;
    }
    while i < a.len() {
        s0 = s.fmadd(load(s, &a[i..]), load(s, &b[i..a.len()]), s0);
        i += lanes;
    }
    s.reduce_add(s.add(s0, s1))
}

/// Up to `LANES` floats from the start of `x` (zeros past its end).
#[inline(always)]
fn load<S: Simd>(s: S, x: &[f32]) -> S::V {
    // SAFETY: reads at most `x.len()` floats.
    unsafe {
        if x.len() >= S::LANES {
            s.load(x.as_ptr())
        } else {
            s.load_partial(x.as_ptr(), x.len())
        }
    }
}

/// Stores up to `LANES` lanes at the start of `x`, as many as fit.
#[inline(always)]
fn store<S: Simd>(s: S, x: &mut [f32], v: S::V) {
    // SAFETY: writes at most `x.len()` floats.
    unsafe {
        if x.len() >= S::LANES {
            s.store(x.as_mut_ptr(), v)
        } else {
            s.store_partial(x.as_mut_ptr(), v, x.len())
        }
    }
}
