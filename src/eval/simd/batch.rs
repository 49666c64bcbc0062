//! Batches: points go through the network in blocks of [`BLOCK`], one layer at a time, each
//! layer a small GEMM over the block (`gemm.rs`). A block's activations live in per-thread
//! scratch as one row of `BLOCK` floats per neuron (structure of arrays), which for Davies'
//! network is 16 KiB and stays in L1.
//!
//! Gradients are reverse mode: the forward pass keeps each layer's activation derivative for the
//! block, then the backward pass is the same kind of GEMM with the transposed weights (`wt`), so
//! a gradient costs about two distances.

use super::gemm::{self, Epilogue};
use super::math::{apply, apply_with_derivative, sin_cos};
use super::{scratch, Simd};
use crate::eval::network::{Network, PreparedGrid};
use crate::grid::Corners;
use crate::model::Encoding;

/// Points per block: a multiple of every backend's tile width (C · LANES).
pub const BLOCK: usize = 64;

/// Distances at `points`; `out.len() == points.len()`.
///
/// # Safety
/// Must run where `S`'s instructions are enabled (`#[target_feature]`), and `BLOCK` must be a
/// multiple of `C · S::LANES`.
#[inline(always)]
pub unsafe fn distances<S: Simd, const C: usize>(
    s: S,
    net: &Network,
    points: &[[f32; 3]],
    out: &mut [f32],
) {
    assert_eq!(
        points.len(),
        out.len(),
        "distances: output length must equal point count"
    );
    let enc_dim = net.encoding.output_dim();
    let width = net.max_width * BLOCK;
    debug_assert_eq!(BLOCK % (C * S::LANES), 0);
    let mut mem = scratch::take(enc_dim * BLOCK + 2 * width);
    {
        let (enc, h) = mem.floats().split_at_mut(enc_dim * BLOCK);
        let (h0, h1) = h.split_at_mut(width);
        let bufs = [h0.as_mut_ptr(), h1.as_mut_ptr()];
        let mut padded = [[0.0f32; 3]; BLOCK];
        for (pts, out) in points.chunks(BLOCK).zip(out.chunks_mut(BLOCK)) {
            let pts = pad(pts, &mut padded);
            encode::<S>(s, net, pts, enc.as_mut_ptr());
            let mut x = enc.as_ptr();
            for (k, l) in net.layers.iter().enumerate() {
                let epi = Forward {
                    bias: l.b.as_ptr(),
                    act: l.activation,
                    y: bufs[k % 2],
                    d: None,
                };
                gemm::layer::<S, C, _>(s, l.w.as_ptr(), l.outputs, l.inputs, x, BLOCK, &epi);
                x = bufs[k % 2];
            }
            store_distances(s, net.transform.distance_scale, x, out);
        }
    }
}

/// Distances and world-space gradients at `points`.
///
/// # Safety
/// As [`distances`].
#[inline(always)]
pub unsafe fn gradients<S: Simd, const C: usize>(
    s: S,
    net: &Network,
    points: &[[f32; 3]],
    dist: &mut [f32],
    grad: &mut [[f32; 3]],
) {
    assert_eq!(
        points.len(),
        dist.len(),
        "gradients: distance output length must equal point count"
    );
    assert_eq!(
        points.len(),
        grad.len(),
        "gradients: gradient output length must equal point count"
    );
    let enc_dim = net.encoding.output_dim();
    let width = net.max_width * BLOCK;
    let derivs: usize = net.layers.iter().map(|l| l.outputs).sum();
    debug_assert_eq!(BLOCK % (C * S::LANES), 0);
    let mut mem = scratch::take((enc_dim + derivs) * BLOCK + 2 * width);
    {
        let (enc, rest) = mem.floats().split_at_mut(enc_dim * BLOCK);
        let (d, h) = rest.split_at_mut(derivs * BLOCK);
        let (h0, h1) = h.split_at_mut(width);
        let bufs = [h0.as_mut_ptr(), h1.as_mut_ptr()];
        // Layer k's derivatives: rows `offset_k..offset_k + outputs_k` of `d`, where `offset_k`
        // counts the outputs of the layers before it.
        let d = d.as_mut_ptr();
        let mut padded = [[0.0f32; 3]; BLOCK];
        for ((pts, dist), grad) in points
            .chunks(BLOCK)
            .zip(dist.chunks_mut(BLOCK))
            .zip(grad.chunks_mut(BLOCK))
        {
            let pts = pad(pts, &mut padded);
            encode::<S>(s, net, pts, enc.as_mut_ptr());
            // Forward, keeping act'(z) of layer k at `d + offset_k`.
            let mut x = enc.as_ptr();
            let mut offset = 0;
            for (k, l) in net.layers.iter().enumerate() {
                let dk = d.add(offset * BLOCK);
                let epi = Forward {
                    bias: l.b.as_ptr(),
                    act: l.activation,
                    y: bufs[k % 2],
                    d: Some(dk),
                };
                gemm::layer::<S, C, _>(s, l.w.as_ptr(), l.outputs, l.inputs, x, BLOCK, &epi);
                x = bufs[k % 2];
                offset += l.outputs;
            }
            store_distances(s, net.transform.distance_scale, x, dist);
            // Backward: g = ∂f/∂z of the current layer, starting with the last layer's act'(z).
            let last = net.layers.len() - 1;
            offset -= net.layers[last].outputs;
            let mut g = d.add(offset * BLOCK) as *const f32;
            for (k, l) in net.layers.iter().enumerate().rev() {
                let y = bufs[(last - k) % 2];
                let below = if k > 0 {
                    offset -= net.layers[k - 1].outputs;
                    Some(d.add(offset * BLOCK) as *const f32)
                } else {
                    None
                };
                let epi = Backward { d: below, y };
                gemm::layer::<S, C, _>(s, l.wt.as_ptr(), l.inputs, l.outputs, g, BLOCK, &epi);
                g = y;
            }
            store_gradients(s, net, enc.as_ptr(), g, grad);
        }
    }
}

/// The block's points, padded with zeros to a full block when fewer remain.
#[inline(always)]
fn pad<'a>(pts: &'a [[f32; 3]], padded: &'a mut [[f32; 3]; BLOCK]) -> &'a [[f32; 3]] {
    if pts.len() == BLOCK {
        pts
    } else {
        padded[..pts.len()].copy_from_slice(pts);
        &padded[..]
    }
}

/// Writes the network-frame encoding of the block's points: row `i` of `enc` is input `i`.
#[inline(always)]
unsafe fn encode<S: Simd>(s: S, net: &Network, pts: &[[f32; 3]], enc: *mut f32) {
    debug_assert_eq!(pts.len(), BLOCK);
    let t = &net.transform;
    for j in (0..BLOCK).step_by(S::LANES) {
        let p = s.load_xyz(pts.as_ptr().add(j));
        for (a, (p, tr)) in p.into_iter().zip(t.translation).enumerate() {
            // Multiply then add, rounded twice, as `Transform::to_network`.
            let q = s.add(s.mul(s.splat(t.scale), p), s.splat(tr));
            s.store(enc.add(a * BLOCK + j), q);
            if let Encoding::Fourier { frequencies } = net.encoding {
                for k in 0..frequencies as usize {
                    let f = std::f32::consts::PI * (1u32 << k) as f32;
                    let (sin, cos) = sin_cos(s, s.mul(s.splat(f), q));
                    s.store(enc.add((3 + 6 * k + a) * BLOCK + j), sin);
                    s.store(enc.add((6 + 6 * k + a) * BLOCK + j), cos);
                }
            }
        }
    }
    if let Some(g) = &net.grid {
        // The features are rows 3.. of `enc`, computed from rows 0..3.
        let dim = g.grid.output_dim();
        let q = [0, 1, 2].map(|a| std::slice::from_raw_parts(enc.add(a * BLOCK), BLOCK));
        let out = std::slice::from_raw_parts_mut(enc.add(3 * BLOCK), dim * BLOCK);
        let halves = g.halves.as_deref().filter(|_| S::NATIVE_HALF_GATHER);
        // Scaled corner indices for [`columns`]: written only for grids that need them.
        let mut buf = [[0u32; BLOCK]; 8];
        g.grid.encode_rows_with(
            &g.offsets,
            q,
            out,
            BLOCK,
            #[inline(always)]
            |l, start, rows, corners| {
                debug_assert!(start == 0 && corners.len == BLOCK);
                let (step, index) = columns(g, halves, corners, &mut buf);
                // SAFETY (all loads and stores below): `corners` holds `BLOCK` points whose
                // entries are all inside level `l`'s table (see `Corners`), `rows` holds the
                // level's `f` rows of `BLOCK` floats.
                let out = rows.as_mut_ptr();
                for m in 0..step {
                    for j in (0..BLOCK).step_by(S::LANES) {
                        // The sums start at 0 and take the corners in order, as the reference.
                        let (mut lo, mut hi) = (s.zero(), s.zero());
                        for (c, index) in index.iter().enumerate() {
                            let w = s.load(corners.weight[c].as_ptr().add(j));
                            let [a, b] = column(s, g, halves, l, m, index.as_ptr().add(j));
                            lo = s.add(lo, s.mul(w, a));
                            hi = s.add(hi, s.mul(w, b));
                        }
                        if halves.is_some() {
                            s.store(out.add(2 * m * BLOCK + j), lo);
                            s.store(out.add((2 * m + 1) * BLOCK + j), hi);
                        } else {
                            s.store(out.add(m * BLOCK + j), lo);
                        }
                    }
                }
            },
        );
    }
}

/// The grid's table columns for a level's corners: `(step, index)` such that column `m` in
/// `0..step` of the table, read at `index[c][j]` by [`column`], holds corner `c`'s features 2m
/// and 2m + 1 (f16 pairs: word `i · f/2 + m`) or feature `m` (float `i · f + m`).
#[inline(always)]
fn columns<'a>(
    g: &PreparedGrid,
    halves: Option<&[u32]>,
    corners: &'a Corners,
    buf: &'a mut [[u32; BLOCK]; 8],
) -> (usize, &'a [[u32; BLOCK]; 8]) {
    let f = g.grid.features;
    let step = if halves.is_some() { f / 2 } else { f };
    if step == 1 {
        return (1, &corners.index);
    }
    for (s, i) in buf.iter_mut().zip(&corners.index) {
        for (s, i) in s.iter_mut().zip(i) {
            *s = i * step as u32;
        }
    }
    (step, buf)
}

/// Column `m` of level `l`'s table (see [`columns`]) at `S::LANES` indices from `at`: features
/// 2m and 2m + 1 with `halves`, else feature `m` and zeros.
///
/// # Safety
/// `at..at + S::LANES` readable, and each index from [`columns`] for an entry of level `l`.
#[inline(always)]
unsafe fn column<S: Simd>(
    s: S,
    g: &PreparedGrid,
    halves: Option<&[u32]>,
    l: usize,
    m: usize,
    at: *const u32,
) -> [S::V; 2] {
    match halves {
        Some(words) => s.gather_halves(words.as_ptr().add(g.offsets[l] / 2 + m), at),
        None => [
            s.gather(g.grid.values.as_ptr().add(g.offsets[l] + m), at),
            s.zero(),
        ],
    }
}

/// `Σ_k g_k · ∂(feature k)/∂q` for the block's points, rows `d[a]`: [`HashGrid::backward`] for
/// a block, bit for bit, with the gathers and sums in vectors. `enc` holds the block's
/// network-frame points (rows 0..3) and `g` = ∂f/∂(feature k) in row `k`.
///
/// # Safety
/// As [`encode`]'s: `enc` and `g` hold `3` and `L · F` rows of `BLOCK` floats.
#[inline(always)]
unsafe fn grid_backward<S: Simd>(
    s: S,
    g: &PreparedGrid,
    enc: *const f32,
    grad: *const f32,
) -> [[f32; BLOCK]; 3] {
    let mut d = [[0.0f32; BLOCK]; 3];
    let q = [0, 1, 2].map(|a| std::slice::from_raw_parts(enc.add(a * BLOCK), BLOCK));
    let f = g.grid.features;
    let halves = g.halves.as_deref().filter(|_| S::NATIVE_HALF_GATHER);
    let negate = s.splat(-0.0);
    let mut buf = [[0u32; BLOCK]; 8];
    g.grid.cells(
        &g.offsets,
        q,
        #[inline(always)]
        |l, start, corners| {
            debug_assert!(start == 0 && corners.len == BLOCK);
            let (step, index) = columns(g, halves, corners, &mut buf);
            let slope = s.splat(0.5 * g.grid.resolutions[l] as f32);
            for j in (0..BLOCK).step_by(S::LANES) {
                // Corner values weighted by the incoming gradient, summed over features.
                let mut v = [s.zero(); 8];
                for m in 0..step {
                    let row = |k: usize| s.load(grad.add((l * f + k) * BLOCK + j));
                    let (g0, g1) = match halves {
                        Some(_) => (row(2 * m), row(2 * m + 1)),
                        None => (row(m), s.zero()),
                    };
                    for (v, index) in v.iter_mut().zip(index) {
                        let [a, b] = column(s, g, halves, l, m, index.as_ptr().add(j));
                        *v = s.add(*v, s.mul(g0, a));
                        if halves.is_some() {
                            *v = s.add(*v, s.mul(g1, b));
                        }
                    }
                }
                // `Cell::gradient`, the same operations in the same order.
                let t = |a: usize, c: usize| s.load(corners.factor[a][c >> a & 1].as_ptr().add(j));
                let mut sum = [s.zero(); 3];
                for (c, &v) in v.iter().enumerate() {
                    let sign = |a: usize| {
                        if c >> a & 1 == 1 {
                            v
                        } else {
                            s.xor_sign(v, negate)
                        }
                    };
                    sum[0] = s.add(sum[0], s.mul(sign(0), s.mul(t(1, c), t(2, c))));
                    sum[1] = s.add(sum[1], s.mul(sign(1), s.mul(t(0, c), t(2, c))));
                    sum[2] = s.add(sum[2], s.mul(sign(2), s.mul(t(0, c), t(1, c))));
                }
                for (a, (d, sum)) in d.iter_mut().zip(sum).enumerate() {
                    // The slope is N/2 inside the domain and 0 where the coordinate is clamped.
                    let qa = s.load(enc.add(a * BLOCK + j));
                    let inside = s.and(s.gt(qa, s.splat(-1.0)), s.lt(qa, s.splat(1.0)));
                    let o = d.as_mut_ptr().add(j);
                    s.store(o, s.add(s.load(o), s.mul(sum, s.keep(inside, slope))));
                }
            }
        },
    );
    d
}

/// `out[j] = distance_scale · x[j]` for the block's real points.
#[inline(always)]
unsafe fn store_distances<S: Simd>(s: S, distance_scale: f32, x: *const f32, out: &mut [f32]) {
    let scale = s.splat(distance_scale);
    for j in (0..out.len()).step_by(S::LANES) {
        let v = s.mul(scale, s.load(x.add(j)));
        let n = out.len() - j;
        if n >= S::LANES {
            s.store(out.as_mut_ptr().add(j), v);
        } else {
            s.store_partial(out.as_mut_ptr().add(j), v, n);
        }
    }
}

/// Chain rule through the encoding and the transform, from `g` = ∂f/∂(encoded input) (rows of
/// `BLOCK`), into world-space gradients for the block's real points.
#[inline(always)]
unsafe fn store_gradients<S: Simd>(
    s: S,
    net: &Network,
    enc: *const f32,
    g: *const f32,
    grad: &mut [[f32; 3]],
) {
    let t = &net.transform;
    let scale = s.splat(t.distance_scale * t.scale);
    let mut lanes = [[0.0f32; 16]; 3];
    // The grid's features are inputs 3.., so their gradient rows are `g`'s rows 3...
    let grid = net
        .grid
        .as_ref()
        .map(|p| grid_backward(s, p, enc, g.add(3 * BLOCK)));
    for j in (0..grad.len()).step_by(S::LANES) {
        for (a, lane) in lanes.iter_mut().enumerate() {
            let mut ga = s.load(g.add(a * BLOCK + j));
            if let Encoding::Fourier { frequencies } = net.encoding {
                for k in 0..frequencies as usize {
                    let f = std::f32::consts::PI * (1u32 << k) as f32;
                    let (rs, rc) = ((3 + 6 * k + a) * BLOCK + j, (6 + 6 * k + a) * BLOCK + j);
                    // d sin(fq)/dq = f cos(fq); d cos(fq)/dq = -f sin(fq).
                    let t = s.mul(s.load(enc.add(rc)), s.load(g.add(rs)));
                    let t = s.fnmadd(s.load(enc.add(rs)), s.load(g.add(rc)), t);
                    ga = s.fmadd(s.splat(f), t, ga);
                }
            }
            s.store(lane.as_mut_ptr(), s.mul(scale, ga));
        }
        if let Some(d) = &grid {
            for (a, lane) in lanes.iter_mut().enumerate() {
                let chained = s.mul(scale, s.load(d[a].as_ptr().add(j)));
                s.store(lane.as_mut_ptr(), s.add(s.load(lane.as_ptr()), chained));
            }
        }
        for (i, out) in grad[j..].iter_mut().take(S::LANES).enumerate() {
            *out = [lanes[0][i], lanes[1][i], lanes[2][i]];
        }
    }
}

/// Forward epilogue: bias, activation and, for gradients, the activation's derivative.
struct Forward {
    bias: *const f32,
    act: crate::model::Activation,
    y: *mut f32,
    d: Option<*mut f32>,
}

impl<S: Simd> Epilogue<S> for Forward {
    #[inline(always)]
    fn init(&self, s: S, row: usize) -> S::V {
        // SAFETY: `layer` only asks for rows of this layer, and `bias` has one per row.
        s.splat(unsafe { *self.bias.add(row) })
    }

    #[inline(always)]
    unsafe fn finish(&self, s: S, row: usize, p: usize, z: S::V) {
        let at = row * BLOCK + p;
        match self.d {
            None => s.store(self.y.add(at), apply(s, self.act, z)),
            Some(d) => {
                let (y, dy) = apply_with_derivative(s, self.act, z);
                s.store(self.y.add(at), y);
                s.store(d.add(at), dy);
            }
        }
    }
}

/// Backward epilogue: ∂f/∂(layer input), times the derivative of the activation that produced
/// that input (absent for the encoding, which the caller handles).
struct Backward {
    d: Option<*const f32>,
    y: *mut f32,
}

impl<S: Simd> Epilogue<S> for Backward {
    #[inline(always)]
    fn init(&self, s: S, _row: usize) -> S::V {
        s.zero()
    }

    #[inline(always)]
    unsafe fn finish(&self, s: S, row: usize, p: usize, sum: S::V) {
        let at = row * BLOCK + p;
        let g = match self.d {
            Some(d) => s.mul(sum, s.load(d.add(at))),
            None => sum,
        };
        s.store(self.y.add(at), g);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::simd::Portable;
    use crate::eval::{avx2::Avx2, avx512::Avx512};
    use crate::grid::HashGrid;
    use crate::model::{Activation, Model, Scheme};

    /// Grids with one, two and four features, f32 and f16, dense and hashed levels.
    fn networks() -> Vec<Network> {
        let mut out = Vec::new();
        for (features, scheme) in [
            (1, Scheme::F32),
            (2, Scheme::F16),
            (4, Scheme::F16),
            (2, Scheme::F32),
        ] {
            let mut grid = HashGrid::zeros(features, 6, vec![2, 3, 40, 1000], scheme);
            for (k, v) in grid.values.iter_mut().enumerate() {
                // Multiples of 1/64 in [-0.8, 0.8]: exact in f16.
                *v = ((k * 37 % 101) as f32 - 50.0) / 64.0;
            }
            let m = Model::with_grid(grid, &[8], Activation::Relu, Activation::Tanh);
            out.push(Network::new(&m));
        }
        out
    }

    /// A block of points: inside, on the domain's faces, outside, and NaN.
    fn block() -> Vec<[f32; 3]> {
        let mut x = 7u32;
        let mut next = || {
            x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (x >> 8) as f32 / (1u32 << 23) as f32 * 2.4 - 1.2
        };
        (0..BLOCK)
            .map(|j| match j {
                0 => [1.0, -1.0, 0.0],
                1 => [f32::NAN, 0.5, -2.0],
                2 => [-0.0, 1e-7, 0.999_999],
                _ => [next(), next(), next()],
            })
            .collect()
    }

    /// The batch's grid features and grid backward pass equal [`HashGrid::encode`] and
    /// [`HashGrid::backward`] bit for bit, on every token (gathers and f16 pairs included).
    fn check<S: Simd>(s: S) {
        for net in networks() {
            let g = net.grid.as_ref().unwrap();
            let dim = g.grid.output_dim();
            let pts = block();
            let mut enc = vec![0.0f32; (3 + dim) * BLOCK];
            let grad: Vec<f32> = (0..dim * BLOCK)
                .map(|i| (i % 13) as f32 * 0.375 - 2.0)
                .collect();
            // SAFETY: `enc` holds the encoding's rows and `grad` the features' rows of `BLOCK`.
            let d = unsafe {
                encode(s, &net, &pts, enc.as_mut_ptr());
                grid_backward(s, g, enc.as_ptr(), grad.as_ptr())
            };
            let mut one = vec![0.0; dim];
            for j in 0..BLOCK {
                let q = [0, 1, 2].map(|a| enc[a * BLOCK + j]);
                g.encode(q, &mut one, 1);
                for (k, v) in one.iter().enumerate() {
                    let got = enc[(3 + k) * BLOCK + j];
                    assert_eq!(
                        got.to_bits(),
                        v.to_bits(),
                        "point {j} feature {k}: {got} {v}"
                    );
                }
                let want = g.backward(q, &grad[j..], BLOCK);
                for a in 0..3 {
                    assert_eq!(d[a][j].to_bits(), want[a].to_bits(), "point {j} axis {a}");
                }
            }
        }
    }

    #[test]
    fn grid_rows_equal_the_reference_on_every_token() {
        check(Portable::<8>);
        check(Portable::<16>);
        if let Some(s) = Avx2::new() {
            check(s);
        }
        if let Some(s) = Avx512::new() {
            check(s);
        }
    }
}
