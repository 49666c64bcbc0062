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
use crate::eval::network::Network;
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
        let f = g.grid.features;
        let halves = g.halves.as_deref().filter(|_| S::NATIVE_HALF_GATHER);
        g.grid.encode_rows_with(
            &g.offsets,
            q,
            out,
            BLOCK,
            #[inline(always)]
            |l, start, rows, weight, index| {
                debug_assert!(start == 0 && weight.len() == BLOCK && index.len() == BLOCK);
                let mut element = [0u32; BLOCK];
                // SAFETY (all loads and stores below): `encode_rows_with` hands over `BLOCK`
                // points whose entries are all inside level `l`'s table, `rows` holds the
                // level's `f` rows of `BLOCK` floats, `weight` and `element` `BLOCK` each.
                let out = rows.as_mut_ptr();
                match halves {
                    Some(words) => {
                        let table = &words[g.offsets[l] / 2..g.offsets[l + 1] / 2];
                        for m in 0..f / 2 {
                            for (e, i) in element.iter_mut().zip(index) {
                                *e = i * (f / 2) as u32 + m as u32;
                            }
                            for j in (0..BLOCK).step_by(S::LANES) {
                                let [lo, hi] =
                                    s.gather_halves(table.as_ptr(), element.as_ptr().add(j));
                                let w = s.load(weight.as_ptr().add(j));
                                add_product(s, out.add(2 * m * BLOCK + j), w, lo);
                                add_product(s, out.add((2 * m + 1) * BLOCK + j), w, hi);
                            }
                        }
                    }
                    None => {
                        let table = &g.grid.values[g.offsets[l]..g.offsets[l + 1]];
                        for k in 0..f {
                            for (e, i) in element.iter_mut().zip(index) {
                                *e = i * f as u32 + k as u32;
                            }
                            for j in (0..BLOCK).step_by(S::LANES) {
                                let v = s.gather(table.as_ptr(), element.as_ptr().add(j));
                                add_product(
                                    s,
                                    out.add(k * BLOCK + j),
                                    s.load(weight.as_ptr().add(j)),
                                    v,
                                );
                            }
                        }
                    }
                }
            },
        );
    }
}

/// `*o += w · v` lane by lane, rounded as the reference rounds (product, then sum).
#[inline(always)]
unsafe fn add_product<S: Simd>(s: S, o: *mut f32, w: S::V, v: S::V) {
    s.store(o, s.add(s.load(o), s.mul(w, v)));
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
        if let Some(grid) = &net.grid {
            let dim = grid.grid.output_dim();
            let n = (grad.len() - j).min(S::LANES);
            for (i, lane) in (j..j + n).enumerate() {
                let q = [0, 1, 2].map(|a| *enc.add(a * BLOCK + lane));
                let g = std::slice::from_raw_parts(g.add(3 * BLOCK + lane), (dim - 1) * BLOCK + 1);
                let d = grid.backward(q, g, BLOCK);
                for a in 0..3 {
                    lanes[a][i] += t.distance_scale * t.scale * d[a];
                }
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
