//! The multiresolution hash-grid input encoding (Müller et al. 2022, "instant-NGP"; spec §3.6).
//!
//! Each level `l` divides the network's domain `[-1, 1]³` into `N_l` cells per axis and keeps
//! `F` features at every cell vertex. Coarse levels whose `(N_l + 1)³` vertices fit the table of
//! `2^log2_table` entries are stored densely; finer ones hash their vertices into that table
//! (collisions are resolved by training, which averages what shares an entry). A point's
//! encoding is its coordinates followed by each level's trilinearly interpolated features.
//!
//! This module is the reference: [`cell`] and [`vertex_index`] define the indexing and the
//! weights for one point (the scalar evaluator, gradients, bounds, the trainer's backward pass),
//! and [`HashGrid::encode_rows_with`] is the same arithmetic for many points at once (the SIMD
//! batches and the trainer's forward pass), bit for bit (`rows_equal_one_point_at_a_time`).

use crate::model::Scheme;

/// instant-NGP's hashing primes, one per axis (the first 1 keeps x-neighbours coherent in memory).
pub const PRIMES: [u32; 3] = [1, 2_654_435_761, 805_459_861];

/// A trained hash grid: its shape and all levels' features.
#[derive(Clone, Debug, PartialEq)]
pub struct HashGrid {
    /// Features per vertex and level (`F`: 1, 2, 4 or 8).
    pub features: usize,
    /// A level with more than `2^log2_table` vertices is hashed into that many entries.
    pub log2_table: u32,
    /// Cells per axis of each level, coarse to fine.
    pub resolutions: Vec<u32>,
    /// How the file stores the features: `F32` or `F16`.
    pub scheme: Scheme,
    /// Every level's entries, level after level, `features` values per entry.
    pub values: Vec<f32>,
}

/// The eight vertices around a point at one level, and what interpolation needs of them.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Cell {
    /// Entry of corner `c` (bit `a` of `c` set: the upper vertex along axis `a`), within the
    /// level's table.
    pub index: [u32; 8],
    /// Trilinear weight of each corner.
    pub weight: [f32; 8],
    /// Position inside the cell along each axis, in `[0, 1]`.
    pub frac: [f32; 3],
    /// `∂s_a/∂q_a`: `N/2` where `-1 < q_a < 1`, 0 where the coordinate is clamped.
    pub slope: [f32; 3],
}

impl Cell {
    /// `∂(Σ_c weight_c · v_c)/∂q_a` for corner values `v`: the interpolation's spatial gradient.
    #[inline(always)]
    pub fn gradient(&self, v: &[f32; 8]) -> [f32; 3] {
        let [wx, wy, wz] = self.frac;
        let t = |w: f32, bit: bool| if bit { w } else { 1.0 - w };
        let mut g = [0.0f32; 3];
        for (c, &vc) in v.iter().enumerate() {
            let (bx, by, bz) = (c & 1 != 0, c & 2 != 0, c & 4 != 0);
            let sign = |bit: bool| if bit { vc } else { -vc };
            g[0] += sign(bx) * (t(wy, by) * t(wz, bz));
            g[1] += sign(by) * (t(wx, bx) * t(wz, bz));
            g[2] += sign(bz) * (t(wx, bx) * t(wy, by));
        }
        [
            g[0] * self.slope[0],
            g[1] * self.slope[1],
            g[2] * self.slope[2],
        ]
    }
}

/// Number of table entries a level of `resolution` cells per axis uses: its vertex count when
/// that fits the table (dense), else the table size (hashed).
pub fn level_entries(resolution: u32, log2_table: u32) -> usize {
    let vertices = (resolution as u64 + 1).pow(3);
    vertices.min(1u64 << log2_table) as usize
}

/// Whether a level of `resolution` cells per axis stores its vertices row-major (they fit its
/// `entries`) rather than hashed.
#[inline(always)]
pub fn is_dense(resolution: u32, entries: usize) -> bool {
    (resolution as u64 + 1).pow(3) <= entries as u64
}

/// Table entry of vertex `v` (integer coordinates, each `0..=resolution`) at a level whose
/// table has `entries` entries: row-major when the level is dense, hashed otherwise.
#[inline(always)]
pub fn vertex_index(resolution: u32, entries: usize, v: [u32; 3]) -> u32 {
    let side = resolution + 1;
    if is_dense(resolution, entries) {
        v[0] + side * (v[1] + side * v[2])
    } else {
        let h = v[0].wrapping_mul(PRIMES[0])
            ^ v[1].wrapping_mul(PRIMES[1])
            ^ v[2].wrapping_mul(PRIMES[2]);
        h & (entries as u32 - 1)
    }
}

/// The eight corners of the cells holding a run of points at one level, from
/// [`HashGrid::cells`]: corner `c` (bit `a` set: the upper vertex along axis `a`) of
/// point `j` is table entry `index[c][j]` with trilinear weight `weight[c][j]`. Every index is an
/// entry of the level: a dense index is at most (N + 1)³ − 1 < entries (no vertex coordinate
/// exceeds N) and a hashed one is masked below entries.
pub struct Corners {
    /// Points in the run: the first `len` columns are meaningful.
    pub len: usize,
    pub index: [[u32; Corners::MAX]; 8],
    pub weight: [[f32; Corners::MAX]; 8],
    /// `factor[a][1][j]` is point `j`'s position inside its cell along axis `a` ([`Cell::frac`])
    /// and `factor[a][0][j]` is 1 minus it: corner `c`'s weight is the product over the axes
    /// of `factor[a][c >> a & 1]`.
    pub factor: [[[f32; Corners::MAX]; 2]; 3],
}

impl Corners {
    /// The longest run: 64 points keep the arrays (5.5 KB) in the first-level cache.
    pub const MAX: usize = 64;
}

/// Along one axis: the cell `k` (in `0..resolution`) holding coordinate `q`, and the position
/// `s - k` inside it, where `s = clamp((q + 1) / 2, 0, 1) · resolution`.
#[inline(always)]
fn coordinate(resolution: u32, q: f32) -> (u32, f32) {
    // NaN stays NaN through the clamp, and is cell 0 below, so indices stay in range.
    let u = ((q + 1.0) * 0.5).clamp(0.0, 1.0);
    let s = u * resolution as f32;
    // floor(s) as an integer: s ≤ resolution ≤ 2^20, so adding 2^23 leaves the integer in the
    // mantissa bits, exactly. Unlike `as u32` (saturating, one lane at a time on x86), this
    // vectorises, and it runs three times per point and level.
    let floor = if s >= 0.0 { s.floor() } else { 0.0 };
    let k = ((floor + 8_388_608.0).to_bits() & 0x7f_ffff).min(resolution - 1);
    (k, s - k as f32)
}

/// The cell holding network-frame point `q` at a level of `resolution` cells per axis whose
/// table has `entries` entries (from [`level_entries`]).
#[inline(always)]
pub fn cell(resolution: u32, entries: usize, q: [f32; 3]) -> Cell {
    let mut i = [0u32; 3];
    let mut frac = [0.0f32; 3];
    let mut slope = [0.0f32; 3];
    for a in 0..3 {
        (i[a], frac[a]) = coordinate(resolution, q[a]);
        slope[a] = if q[a] > -1.0 && q[a] < 1.0 {
            0.5 * resolution as f32
        } else {
            0.0
        };
    }
    let mut index = [0u32; 8];
    let mut weight = [0.0f32; 8];
    for c in 0..8 {
        let v = [0, 1, 2].map(|a| i[a] + (c >> a & 1) as u32);
        index[c] = vertex_index(resolution, entries, v);
        let t = |a: usize| {
            if c >> a & 1 == 1 {
                frac[a]
            } else {
                1.0 - frac[a]
            }
        };
        weight[c] = t(0) * t(1) * t(2);
    }
    Cell {
        index,
        weight,
        frac,
        slope,
    }
}

impl HashGrid {
    /// A grid of zeros with `levels` resolutions growing geometrically from `base` to `finest`
    /// cells per axis (rounded down, as instant-NGP does).
    pub fn geometric(
        levels: usize,
        features: usize,
        log2_table: u32,
        base: u32,
        finest: u32,
        scheme: Scheme,
    ) -> HashGrid {
        let growth = if levels > 1 {
            ((finest as f64).ln() - (base as f64).ln()) / (levels - 1) as f64
        } else {
            0.0
        };
        let resolutions = (0..levels)
            .map(|l| ((base as f64) * (growth * l as f64).exp() + 1e-9).floor() as u32)
            .collect();
        HashGrid::zeros(features, log2_table, resolutions, scheme)
    }

    /// A grid of the given shape with every feature 0.
    pub fn zeros(
        features: usize,
        log2_table: u32,
        resolutions: Vec<u32>,
        scheme: Scheme,
    ) -> HashGrid {
        let count = resolutions
            .iter()
            .map(|&n| level_entries(n, log2_table))
            .sum::<usize>()
            * features;
        HashGrid {
            features,
            log2_table,
            resolutions,
            scheme,
            values: vec![0.0; count],
        }
    }

    pub fn levels(&self) -> usize {
        self.resolutions.len()
    }

    /// Length of the grid's part of the encoding: `levels · features`.
    pub fn output_dim(&self) -> usize {
        self.levels() * self.features
    }

    /// Table entries of level `l`.
    pub fn entries(&self, l: usize) -> usize {
        level_entries(self.resolutions[l], self.log2_table)
    }

    /// Where each level's values start in [`values`](Self::values), and the total, in values.
    pub fn offsets(&self) -> Vec<usize> {
        let mut at = 0;
        let mut out = Vec::with_capacity(self.levels() + 1);
        for l in 0..self.levels() {
            out.push(at);
            at += self.entries(l) * self.features;
        }
        out.push(at);
        out
    }

    /// Writes the grid's features at network-frame point `q` into `out[k · stride]` for
    /// `k = l·F + f`.
    #[inline(always)]
    pub fn encode(&self, offsets: &[usize], q: [f32; 3], out: &mut [f32], stride: usize) {
        let f = self.features;
        for (l, &n) in self.resolutions.iter().enumerate() {
            let table = &self.values[offsets[l]..offsets[l + 1]];
            let cell = cell(n, table.len() / f, q);
            for k in 0..f {
                let mut v = 0.0f32;
                for c in 0..8 {
                    v += cell.weight[c] * table[cell.index[c] as usize * f + k];
                }
                out[(l * f + k) * stride] = v;
            }
        }
    }

    /// [`encode`](Self::encode) for many points at once, bit for bit: `q[a][j]` is coordinate `a`
    /// of point `j`, and feature `k` of point `j` goes to `out[k · row + j]`. Each step runs over
    /// all the points in a tight loop that the compiler vectorises (gathers included, where the
    /// caller is compiled for AVX-512 or AVX2), which is what makes batches fast.
    #[inline(always)]
    pub fn encode_rows(&self, offsets: &[usize], q: [&[f32]; 3], out: &mut [f32], row: usize) {
        let f = self.features;
        self.encode_rows_with(offsets, q, out, row, |l, start, rows, corners| {
            let table = &self.values[offsets[l]..offsets[l + 1]];
            for k in 0..f {
                let o = &mut rows[k * row + start..][..corners.len];
                for (j, o) in o.iter_mut().enumerate() {
                    let mut sum = 0.0;
                    for c in 0..8 {
                        let e = corners.index[c][j] as usize * f + k;
                        debug_assert!(e < table.len());
                        // SAFETY: see `Corners`: every entry is inside the level's table.
                        sum += corners.weight[c][j] * unsafe { *table.get_unchecked(e) };
                    }
                    *o = sum;
                }
            }
        })
    }

    /// [`encode_rows`](Self::encode_rows) with the innermost step supplied: for each level `l`
    /// and run of up to [`Corners::MAX`] points from `start`, `accumulate(l, start, rows,
    /// corners)` must store, for each of the run's points `j` and each feature `k`, the sum over
    /// corners `c` in order 0..8 of `weight[c][j] · value(index[c][j], k)` (each product rounded,
    /// then added to a sum that starts at 0) into `rows[k · row + start + j]`, where `rows` are
    /// the level's output rows. A SIMD backend keeps the sums in registers and gathers the values.
    #[inline(always)]
    pub fn encode_rows_with(
        &self,
        offsets: &[usize],
        q: [&[f32]; 3],
        out: &mut [f32],
        row: usize,
        mut accumulate: impl FnMut(usize, usize, &mut [f32], &Corners),
    ) {
        let f = self.features;
        self.cells(
            offsets,
            q,
            // Inlined into the caller, whose instruction set it then uses (gathers included).
            #[inline(always)]
            |l, start, corners| {
                accumulate(l, start, &mut out[l * f * row..(l + 1) * f * row], corners)
            },
        );
    }

    /// Calls `visit(l, start, corners)` for each run of up to [`Corners::MAX`] points from
    /// `start` and each level `l`, with the corners of the cells holding the run's points: the
    /// many-point form of [`cell`], the same numbers, shared by encoding and backward passes.
    // One index runs over several per-point arrays at once; zips of five would read worse.
    #[allow(clippy::needless_range_loop)]
    #[inline(always)]
    pub fn cells(
        &self,
        offsets: &[usize],
        q: [&[f32]; 3],
        mut visit: impl FnMut(usize, usize, &Corners),
    ) {
        const MAX: usize = Corners::MAX;
        let f = self.features;
        let mut corners = Corners {
            len: 0,
            index: [[0; MAX]; 8],
            weight: [[0.0; MAX]; 8],
            factor: [[[0.0; MAX]; 2]; 3],
        };
        for start in (0..q[0].len()).step_by(MAX) {
            let n = (q[0].len() - start).min(MAX);
            corners.len = n;
            // Per axis: the lower and upper vertex's index term.
            let mut term = [[[0u32; MAX]; 2]; 3];
            for (l, &res) in self.resolutions.iter().enumerate() {
                let entries = (offsets[l + 1] - offsets[l]) / f;
                let side = res + 1;
                let dense = is_dense(res, entries);
                let mask = entries as u32 - 1;
                // Row-major strides only matter (and only fit in u32) for a dense level.
                let stride = if dense {
                    [1, side, side * side]
                } else {
                    [0; 3]
                };
                let t = &mut corners.factor;
                for a in 0..3 {
                    let qa = &q[a][start..start + n];
                    for j in 0..n {
                        let (k, w) = coordinate(res, qa[j]);
                        t[a][0][j] = 1.0 - w;
                        t[a][1][j] = w;
                        for b in 0..2 {
                            let v = k + b as u32;
                            term[a][b][j] = if dense {
                                v * stride[a]
                            } else {
                                v.wrapping_mul(PRIMES[a])
                            };
                        }
                    }
                }
                for c in 0..8usize {
                    let (bx, by, bz) = (c & 1, c >> 1 & 1, c >> 2 & 1);
                    let t = &corners.factor;
                    let (index, weight) = (&mut corners.index[c], &mut corners.weight[c]);
                    for j in 0..n {
                        index[j] = if dense {
                            term[0][bx][j] + term[1][by][j] + term[2][bz][j]
                        } else {
                            (term[0][bx][j] ^ term[1][by][j] ^ term[2][bz][j]) & mask
                        };
                        weight[j] = t[0][bx][j] * t[1][by][j] * t[2][bz][j];
                    }
                }
                visit(l, start, &corners);
            }
        }
    }

    /// `Σ_k g[k · stride] · ∂(feature k)/∂q`: the chain rule through the grid.
    #[inline(always)]
    pub fn backward(&self, offsets: &[usize], q: [f32; 3], g: &[f32], stride: usize) -> [f32; 3] {
        let f = self.features;
        let mut out = [0.0f32; 3];
        for (l, &n) in self.resolutions.iter().enumerate() {
            let table = &self.values[offsets[l]..offsets[l + 1]];
            let cell = cell(n, table.len() / f, q);
            // Corner values weighted by the incoming gradient, summed over features.
            let mut v = [0.0f32; 8];
            for (c, v) in v.iter_mut().enumerate() {
                let e = cell.index[c] as usize * f;
                for k in 0..f {
                    *v += g[(l * f + k) * stride] * table[e + k];
                }
            }
            let d = cell.gradient(&v);
            for a in 0..3 {
                out[a] += d[a];
            }
        }
        out
    }

    /// Per feature of level `l`, the least and greatest value over the vertices of the cells
    /// that meet the network-frame box `[lo, hi]`, into `out[f]`: the features anywhere in the
    /// box lie between them (interpolation is a convex combination). `false`, leaving `out`
    /// alone, when the box touches more than `max_vertices` vertices or is not finite.
    pub fn box_range(
        &self,
        offsets: &[usize],
        l: usize,
        lo: [f32; 3],
        hi: [f32; 3],
        max_vertices: usize,
        out: &mut [[f32; 2]],
    ) -> bool {
        if lo.iter().chain(&hi).any(|v| !v.is_finite()) {
            return false;
        }
        let n = self.resolutions[l];
        // An inverted box is the same box.
        let (lo, hi) = (
            [0, 1, 2].map(|a| lo[a].min(hi[a])),
            [0, 1, 2].map(|a| lo[a].max(hi[a])),
        );
        let first = lo.map(|q| coordinate(n, q).0);
        let last = hi.map(|q| coordinate(n, q).0 + 1);
        let span = |a: usize| (last[a] - first[a] + 1) as usize;
        if span(0) * span(1) * span(2) > max_vertices {
            return false;
        }
        let f = self.features;
        let table = &self.values[offsets[l]..offsets[l + 1]];
        let entries = table.len() / f;
        out[..f].fill([f32::INFINITY, f32::NEG_INFINITY]);
        for z in first[2]..=last[2] {
            for y in first[1]..=last[1] {
                for x in first[0]..=last[0] {
                    let e = vertex_index(n, entries, [x, y, z]) as usize * f;
                    for (k, r) in out[..f].iter_mut().enumerate() {
                        r[0] = r[0].min(table[e + k]);
                        r[1] = r[1].max(table[e + k]);
                    }
                }
            }
        }
        true
    }

    /// Per level and feature, the least and greatest stored value (`[min, max]`, `l·F + f`):
    /// what the features can be anywhere.
    pub fn ranges(&self, offsets: &[usize]) -> Vec<[f32; 2]> {
        let f = self.features;
        let mut out = vec![[f32::INFINITY, f32::NEG_INFINITY]; self.output_dim()];
        for l in 0..self.levels() {
            for e in self.values[offsets[l]..offsets[l + 1]].chunks_exact(f) {
                for (k, &v) in e.iter().enumerate() {
                    let r = &mut out[l * f + k];
                    r[0] = r[0].min(v);
                    r[1] = r[1].max(v);
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid(seed: u32) -> HashGrid {
        let mut g = HashGrid::geometric(4, 2, 6, 2, 9, Scheme::F32);
        let mut x = seed.wrapping_mul(747_796_405).wrapping_add(1);
        for v in &mut g.values {
            x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            *v = (x >> 8) as f32 / (1u32 << 24) as f32 - 0.5;
        }
        g
    }

    /// Resolutions 2, 3, 5, 9 with a 64-entry table: the first level is dense (27 vertices),
    /// the others hashed.
    #[test]
    fn dense_levels_index_every_vertex_once() {
        let g = grid(0);
        assert_eq!(g.resolutions, vec![2, 3, 5, 9]);
        assert_eq!(
            (0..4).map(|l| g.entries(l)).collect::<Vec<_>>(),
            [27, 64, 64, 64]
        );
        let c = cell(2, 27, [-1.0, -1.0, -1.0]);
        assert_eq!(c.index, [0, 1, 3, 4, 9, 10, 12, 13]);
        assert_eq!(c.weight, [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
        // The upper domain corner belongs to the last cell, with weight on its far vertex.
        let c = cell(2, 27, [1.0, 1.0, 1.0]);
        assert_eq!(c.index[7], 26);
        assert_eq!(c.weight[7], 1.0);
    }

    /// At a vertex the encoding is the vertex's stored features; between two vertices along an
    /// axis it is their linear interpolation.
    #[test]
    fn interpolates_between_vertices() {
        let g = HashGrid {
            values: (0..27).map(|v| v as f32).collect(),
            ..HashGrid::zeros(1, 6, vec![2], Scheme::F32)
        };
        let offsets = g.offsets();
        let mut out = [0.0];
        g.encode(&offsets, [0.0, 0.0, 0.0], &mut out, 1);
        assert_eq!(out[0], 13.0);
        g.encode(&offsets, [0.5, 0.0, 0.0], &mut out, 1);
        assert_eq!(out[0], 13.5);
        g.encode(&offsets, [0.0, 0.0, 0.5], &mut out, 1);
        assert_eq!(out[0], 13.0 + 4.5);
    }

    /// The analytic gradient against central differences, away from cell faces.
    #[test]
    fn backward_matches_finite_differences() {
        let g = grid(3);
        let offsets = g.offsets();
        let dim = g.output_dim();
        let weights: Vec<f32> = (0..dim).map(|k| (k as f32 * 0.37).sin()).collect();
        let objective = |q: [f32; 3]| {
            let mut out = vec![0.0; dim];
            g.encode(&offsets, q, &mut out, 1);
            out.iter().zip(&weights).map(|(a, b)| a * b).sum::<f32>()
        };
        for q in [
            [0.113, -0.271, 0.449],
            [-0.61, 0.33, -0.07],
            [0.8, 0.72, -0.93],
        ] {
            let analytic = g.backward(&offsets, q, &weights, 1);
            for a in 0..3 {
                let h = 1e-3;
                let (mut up, mut down) = (q, q);
                up[a] += h;
                down[a] -= h;
                let numeric = (objective(up) - objective(down)) / (2.0 * h);
                assert!(
                    (analytic[a] - numeric).abs() <= 2e-2 * (1.0 + numeric.abs()),
                    "q {q:?} axis {a}: analytic {} numeric {numeric}",
                    analytic[a]
                );
            }
        }
    }

    /// Outside the domain the coordinates clamp: the features stop changing and their gradient
    /// is zero along the clamped axis.
    #[test]
    fn clamps_outside_the_domain() {
        let g = grid(5);
        let offsets = g.offsets();
        let dim = g.output_dim();
        let (mut a, mut b) = (vec![0.0; dim], vec![0.0; dim]);
        g.encode(&offsets, [1.0, 0.2, 0.3], &mut a, 1);
        g.encode(&offsets, [7.0, 0.2, 0.3], &mut b, 1);
        assert_eq!(a, b);
        let ones = vec![1.0; dim];
        let d = g.backward(&offsets, [7.0, 0.2, 0.3], &ones, 1);
        assert_eq!(d[0], 0.0);
    }

    /// The vectorisable many-point form gives the same bits as the reference, one point at a time,
    /// for points inside, on faces of and outside the domain, over more than one 64-point run.
    #[test]
    fn rows_equal_one_point_at_a_time() {
        let g = grid(11);
        let offsets = g.offsets();
        let dim = g.output_dim();
        let n = 150;
        let mut q = [vec![0.0f32; n], vec![0.0f32; n], vec![0.0f32; n]];
        let mut x = 12345u32;
        for (j, a) in (0..n).flat_map(|j| (0..3).map(move |a| (j, a))) {
            x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            q[a][j] = match j % 10 {
                0 => 1.0,
                1 => -1.5,
                2 => 0.0,
                _ => (x >> 8) as f32 / (1u32 << 23) as f32 - 1.0,
            };
        }
        let mut rows = vec![f32::NAN; dim * n];
        g.encode_rows(&offsets, [&q[0], &q[1], &q[2]], &mut rows, n);
        let mut one = vec![0.0; dim];
        for j in 0..n {
            g.encode(&offsets, [q[0][j], q[1][j], q[2][j]], &mut one, 1);
            for k in 0..dim {
                assert_eq!(
                    rows[k * n + j].to_bits(),
                    one[k].to_bits(),
                    "point {j} feature {k}"
                );
            }
        }
    }

    /// The finest resolution the format allows, hashed, and boxes given upside down: no
    /// arithmetic overflows (found by fuzzing: a hashed level's unused row-major stride did).
    #[test]
    fn extreme_levels_and_inverted_boxes() {
        let g = HashGrid::zeros(2, 4, vec![1, 1 << 20], Scheme::F32);
        let offsets = g.offsets();
        let q = [
            vec![0.3, -1.0, 1.0],
            vec![0.1, 0.999, -0.2],
            vec![-0.7, 0.0, 0.5],
        ];
        let mut rows = vec![0.0; g.output_dim() * 3];
        g.encode_rows(&offsets, [&q[0], &q[1], &q[2]], &mut rows, 3);
        let mut r = [[0.0f32; 2]; 2];
        assert!(g.box_range(&offsets, 0, [0.5; 3], [-0.5; 3], 64, &mut r));
        assert!(!g.box_range(&offsets, 1, [0.5; 3], [-0.5; 3], 64, &mut r));
    }

    /// Hostile coordinates (NaN, infinities, huge values) never index out of the table.
    #[test]
    fn any_point_stays_in_the_table() {
        let g = grid(9);
        let offsets = g.offsets();
        let mut out = vec![0.0; g.output_dim()];
        for v in [
            f32::NAN,
            f32::INFINITY,
            f32::NEG_INFINITY,
            1e30,
            -1e30,
            f32::MIN_POSITIVE,
        ] {
            g.encode(&offsets, [v, -v, 0.5], &mut out, 1);
            g.backward(&offsets, [v, 0.0, v], &out.clone(), 1);
        }
    }
}
