//! The nearest-triangle query's fast path: an 8-wide BVH of oriented boxes whose leaves are
//! packets of up to 8 triangles, laid out so one pass over 8 lanes tests all children of a
//! node or all triangles of a packet.
//!
//! Why this shape: far from the surface a query's ball touches a whole cap of surface, and
//! every leaf whose bound reaches into the ball must be opened. Axis-aligned boxes of small,
//! nearly flat patches are loose by about the patch size (a tilted patch fills a cube), while
//! an oriented box (principal axes of the patch's vertices) is loose only by the patch's
//! thickness. On the 100k-triangle skull (1M uniform queries) oriented boxes cut the packets
//! opened per query from 27 to 8 and the nodes from 27 to 17, for 2.3× fewer CPU cycles. Eight
//! boxes cost one vector pass, and eight triangles one branch-free pass (plane distance if the
//! projection falls inside, else the nearest of three clamped edge projections).
//!
//! The lane loops are written once against the runtime's SIMD trait (`nsdf::simd::Simd`, through
//! [`Wide`] for the 8-lane arrays) and compiled three times: on the portable token (what the
//! baseline target auto-vectorizes), on the AVX2 token with AVX2+FMA enabled, and on the same
//! token with AVX-512VL enabled too (EVEX encodings; measured within 3% of AVX2 — 16-lane
//! packets were not tried). [`Isa`] picks one at run time. The kernels use only the trait's
//! exactly rounded operations (never `fmadd`/`fnmadd`, and Rust never contracts `a * b + c`),
//! so all versions give bit-identical results.

use crate::distance::bvh::{Bvh, MAX_DEPTH};
use crate::geom::*;
#[cfg(target_arch = "x86_64")]
use nsdf::simd::Avx2;
use nsdf::simd::{Portable, Simd};

/// Children per node and triangles per packet.
pub const LANES: usize = 8;
pub(super) type L = [f32; LANES];

/// The portable token the scalar version runs on.
pub(super) const PORTABLE: Portable<LANES> = Portable;

/// The runtime's [`Simd`] on this module's 8-lane arrays (the kernels run on 8-lane tokens only:
/// [`Portable<8>`](Portable) and [`Avx2`]), plus the few combinations the kernels share. Only
/// exactly rounded operations, so every token gives the same bits.
pub(super) trait Wide: Simd {
    /// Loads one lane array.
    #[inline(always)]
    fn get(self, a: &L) -> Self::V {
        const { assert!(Self::LANES == LANES) };
        // SAFETY: `a` holds LANES = Self::LANES floats.
        unsafe { self.load(a.as_ptr()) }
    }

    /// Stores into one lane array.
    #[inline(always)]
    fn put(self, v: Self::V, out: &mut L) {
        const { assert!(Self::LANES == LANES) };
        // SAFETY: `out` holds LANES = Self::LANES floats.
        unsafe { self.store(out.as_mut_ptr(), v) }
    }

    /// `a · b`, unfused: `(a0 b0 + a1 b1) + a2 b2`.
    #[inline(always)]
    fn dot(self, a: [Self::V; 3], b: [Self::V; 3]) -> Self::V {
        self.add(
            self.add(self.mul(a[0], b[0]), self.mul(a[1], b[1])),
            self.mul(a[2], b[2]),
        )
    }

    /// Bit i set when lane i equals `x`.
    #[inline(always)]
    fn eq_bits(self, v: Self::V, x: f32) -> u32 {
        self.bits(self.eq(v, self.splat(x)))
    }
}

impl<S: Simd> Wide for S {}

/// Child reference: a packet index with this bit set, else a node index.
pub(super) const LEAF: u32 = 1 << 31;
/// Unused child slot (its box has a NaN centre, so it is never entered).
const EMPTY: u32 = u32::MAX;

/// Eight child bounds, one lane each: oriented boxes (centre, unit axes, half extents).
#[derive(Clone, Copy)]
#[repr(C, align(64))]
pub struct Node {
    pub(super) c: [L; 3],
    /// `ax[i][k]`: component k of axis i.
    pub(super) ax: [[L; 3]; 3],
    pub(super) e: [L; 3],
    pub(super) child: [u32; LANES],
}

/// Up to eight triangles with what the branch-free distance needs: vertices, dual in-plane
/// vectors g0, g1 (barycentric u = (p − a)·g0, v = (p − a)·g1), the unit normal, and the
/// inverse squared edge lengths. Unused lanes repeat lane 0.
#[derive(Clone, Copy)]
#[repr(C, align(64))]
pub struct Packet {
    pub(super) a: [L; 3],
    pub(super) b: [L; 3],
    pub(super) c: [L; 3],
    g0: [L; 3],
    g1: [L; 3],
    pub(super) n: [L; 3],
    /// 1/|b−a|², 1/|c−b|², 1/|a−c|² (0 for a zero-length edge).
    inv: [L; 3],
}

/// The 8-wide hierarchy.
pub struct WideBvh {
    pub(super) nodes: Vec<Node>,
    pub(super) packets: Vec<Packet>,
    /// First slot (index into [`Bvh::tris`]) of each packet; lane i is slot `base + i`.
    base: Vec<u32>,
    /// Lanes in use per packet (the others repeat lane 0).
    pub(super) count: Vec<u8>,
    /// Per node and lane, the child's triangles as a slot range (start, length).
    pub(super) ranges: Vec<[(u32, u32); LANES]>,
}

/// Which compiled version of the lane loops to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Isa {
    Scalar,
    #[cfg(target_arch = "x86_64")]
    Avx2,
    #[cfg(target_arch = "x86_64")]
    Avx512,
}

impl Isa {
    /// The best version this CPU runs.
    pub fn detect() -> Isa {
        #[cfg(target_arch = "x86_64")]
        for isa in [Isa::Avx512, Isa::Avx2] {
            if isa.is_supported() {
                return isa;
            }
        }
        Isa::Scalar
    }

    /// Whether this CPU can run `self`.
    pub fn is_supported(self) -> bool {
        match self {
            Isa::Scalar => true,
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 => Avx2::new().is_some(),
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => {
                Avx2::new().is_some()
                    && is_x86_feature_detected!("avx512f")
                    && is_x86_feature_detected!("avx512vl")
            }
        }
    }

    /// Every version this CPU can run (for tests and benchmarks).
    pub fn all_supported() -> Vec<Isa> {
        let mut v = vec![Isa::Scalar];
        #[cfg(target_arch = "x86_64")]
        v.extend(
            [Isa::Avx2, Isa::Avx512]
                .into_iter()
                .filter(|i| i.is_supported()),
        );
        v
    }
}

/// Reusable traversal stack (one per thread or chunk), so queries do not allocate.
#[derive(Default)]
pub struct Scratch {
    stack: Vec<(u32, f32)>,
}

impl Scratch {
    pub fn new() -> Scratch {
        Scratch {
            stack: Vec::with_capacity(STACK),
        }
    }
}

impl WideBvh {
    /// Collapses a binary hierarchy: every subtree of at most [`LANES`] triangles becomes one
    /// packet, and each wide node takes the (up to eight) largest-area descendants.
    pub fn new(bin: &Bvh) -> WideBvh {
        let nb = bin.nodes.len();
        let mut count = vec![0u32; nb];
        for i in (0..nb).rev() {
            let n = &bin.nodes[i];
            count[i] = if n.is_leaf() {
                n.count
            } else {
                count[n.first as usize] + count[n.first as usize + 1]
            };
        }
        let mut w = WideBvh {
            nodes: Vec::new(),
            packets: Vec::new(),
            base: Vec::new(),
            count: Vec::new(),
            ranges: Vec::new(),
        };
        w.nodes.push(empty_node());
        w.ranges.push([(0, 0); LANES]);
        if count[0] as usize <= LANES {
            let r = w.packet(bin, 0, &count);
            w.set_child(bin, 0, 0, 0, &count, r);
        } else {
            w.collapse(bin, 0, 0, &count);
        }
        w
    }

    fn packet(&mut self, bin: &Bvh, node: usize, count: &[u32]) -> u32 {
        let range = subtree_range(bin, node, count);
        let tris = &bin.tris[range.clone()];
        let lanes: Vec<[V3; 3]> = (0..LANES)
            .map(|i| tris[if i < tris.len() { i } else { 0 }])
            .collect();
        self.packets.push(make_packet(&lanes));
        self.base.push(range.start as u32);
        self.count.push(tris.len() as u8);
        (self.packets.len() - 1) as u32 | LEAF
    }

    /// Fills wide node `at` with the descendants of binary node `b`.
    fn collapse(&mut self, bin: &Bvh, b: usize, at: usize, count: &[u32]) {
        let inner = |n: usize| !bin.nodes[n].is_leaf() && count[n] as usize > LANES;
        let first = bin.nodes[b].first as usize;
        let mut kids = vec![first, first + 1];
        while kids.len() < LANES {
            let best = kids
                .iter()
                .enumerate()
                .filter(|(_, &k)| inner(k))
                .max_by(|x, y| half_area(&bin.nodes[*x.1]).total_cmp(&half_area(&bin.nodes[*y.1])));
            let Some((i, &k)) = best else { break };
            let f = bin.nodes[k].first as usize;
            kids[i] = f;
            kids.push(f + 1);
        }
        for (lane, &k) in kids.iter().enumerate() {
            let r = if inner(k) {
                let idx = self.nodes.len();
                self.nodes.push(empty_node());
                self.ranges.push([(0, 0); LANES]);
                self.collapse(bin, k, idx, count);
                idx as u32
            } else {
                self.packet(bin, k, count)
            };
            self.set_child(bin, at, lane, k, count, r);
        }
    }

    /// Makes binary subtree `k` (child reference `r`) lane `lane` of node `at`.
    fn set_child(&mut self, bin: &Bvh, at: usize, lane: usize, k: usize, count: &[u32], r: u32) {
        let range = subtree_range(bin, k, count);
        let b = fit_obb(&bin.tris[range.clone()]);
        let n = &mut self.nodes[at];
        for i in 0..3 {
            n.c[i][lane] = b.c[i];
            n.e[i][lane] = b.e[i];
            for j in 0..3 {
                n.ax[j][i][lane] = b.ax[j][i];
            }
        }
        n.child[lane] = r;
        self.ranges[at][lane] = (range.start as u32, range.len() as u32);
    }

    /// First slot of a packet.
    #[inline(always)]
    pub fn base(&self, packet: u32) -> u32 {
        self.base[packet as usize]
    }

    /// Squared distance to the nearest triangle, with its packet and lane. `seed`: the packet
    /// of a nearby earlier answer (any packet is correct; a near one is fast).
    pub fn nearest(&self, isa: Isa, q: V3, seed: u32, scratch: &mut Scratch) -> (f32, u32, u32) {
        match isa {
            Isa::Scalar => self.nearest_in(PORTABLE, q, seed, scratch),
            // SAFETY: callers only pass an `Isa` that `is_supported` (see `Sdf::with_isa`).
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 => unsafe { self.nearest_avx2(q, seed, scratch) },
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => unsafe { self.nearest_avx512(q, seed, scratch) },
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn nearest_avx2(&self, q: V3, seed: u32, scratch: &mut Scratch) -> (f32, u32, u32) {
        self.nearest_in(Avx2::new_unchecked(), q, seed, scratch)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx512vl,avx2,fma")]
    unsafe fn nearest_avx512(&self, q: V3, seed: u32, scratch: &mut Scratch) -> (f32, u32, u32) {
        self.nearest_in(Avx2::new_unchecked(), q, seed, scratch)
    }

    #[inline(always)]
    fn nearest_in<S: Wide>(
        &self,
        s: S,
        q: V3,
        seed: u32,
        scratch: &mut Scratch,
    ) -> (f32, u32, u32) {
        let qv = [s.splat(q[0]), s.splat(q[1]), s.splat(q[2])];
        let mut best = Best::new(s, &self.packets[seed as usize], seed, qv);
        let stack = &mut scratch.stack;
        stack.clear();
        stack.push((0, 0.0));
        let mut dist = [0f32; LANES];
        while let Some((r, d)) = stack.pop() {
            if d > best.d {
                continue;
            }
            if r & LEAF != 0 {
                let p = r & !LEAF;
                best.update(s, &self.packets[p as usize], p, qv);
                continue;
            }
            let node = &self.nodes[r as usize];
            let bd = box_dist2(s, node, qv);
            // Push the children that can still hold something nearer. (Sorting them nearest
            // first costs more than it saves: the seed already makes `best` nearly final.)
            let mut mask = s.bits(s.le(bd, s.splat(best.d)));
            s.put(bd, &mut dist);
            while mask != 0 {
                let i = mask.trailing_zeros() as usize;
                mask &= mask - 1;
                stack.push((node.child[i], dist[i]));
            }
        }
        (best.d, best.packet, best.lane)
    }
}

/// The nearest triangle so far.
struct Best {
    d: f32,
    packet: u32,
    lane: u32,
}

impl Best {
    #[inline(always)]
    fn new<S: Wide>(s: S, p: &Packet, packet: u32, q: [S::V; 3]) -> Best {
        let d = packet_dist2(s, p, q);
        let m = s.hmin(d);
        Best {
            d: m,
            packet,
            lane: lane_of(s, d, m),
        }
    }

    #[inline(always)]
    fn update<S: Wide>(&mut self, s: S, p: &Packet, packet: u32, q: [S::V; 3]) {
        let d = packet_dist2(s, p, q);
        let m = s.hmin(d);
        if m < self.d {
            self.d = m;
            self.packet = packet;
            self.lane = lane_of(s, d, m);
        }
    }
}

/// The lowest lane holding `m` (lane 0 for a NaN query, where no lane compares equal).
#[inline(always)]
fn lane_of<S: Wide>(s: S, d: S::V, m: f32) -> u32 {
    s.eq_bits(d, m).trailing_zeros() % LANES as u32
}

/// Worst-case stack length: eight entries per level.
pub const STACK: usize = LANES * (MAX_DEPTH + 2);

// No closures below: a closure is not guaranteed to inline, and one that does not would be
// compiled without the caller's target features, turning every intrinsic into a call.

/// Squared distances from `q` to the eight oriented boxes of a node. NaN for unused lanes
/// (NaN centre): `max(0, x)` returns its second operand for NaN, so the NaN survives.
#[inline(always)]
fn box_dist2<S: Wide>(s: S, n: &Node, q: [S::V; 3]) -> S::V {
    let d = sub3(s, q, load3(s, &n.c));
    let (o0, o1, o2) = (
        outside(s, n, d, 0),
        outside(s, n, d, 1),
        outside(s, n, d, 2),
    );
    s.add(s.add(s.mul(o0, o0), s.mul(o1, o1)), s.mul(o2, o2))
}

/// How far offset `d` from the centres lies outside the boxes along axis `i` (0 inside).
#[inline(always)]
fn outside<S: Wide>(s: S, n: &Node, d: [S::V; 3], i: usize) -> S::V {
    let t = s.abs(s.dot(d, load3(s, &n.ax[i])));
    s.max(s.splat(0.0), s.sub(t, s.get(&n.e[i])))
}

#[inline(always)]
pub(super) fn load3<S: Wide>(s: S, v: &[L; 3]) -> [S::V; 3] {
    [s.get(&v[0]), s.get(&v[1]), s.get(&v[2])]
}

#[inline(always)]
pub(super) fn sub3<S: Wide>(s: S, x: [S::V; 3], y: [S::V; 3]) -> [S::V; 3] {
    [s.sub(x[0], y[0]), s.sub(x[1], y[1]), s.sub(x[2], y[2])]
}

/// Squared distance from the point at offset `d` from an edge's start to the edge `e`.
#[inline(always)]
fn edge_dist2<S: Wide>(s: S, d: [S::V; 3], e: [S::V; 3], inv_len2: S::V) -> S::V {
    let t = s.min(
        s.max(s.mul(s.dot(d, e), inv_len2), s.splat(0.0)),
        s.splat(1.0),
    );
    let r = [
        s.sub(d[0], s.mul(t, e[0])),
        s.sub(d[1], s.mul(t, e[1])),
        s.sub(d[2], s.mul(t, e[2])),
    ];
    s.dot(r, r)
}

/// Squared distances from `q` to the packet's eight triangles, branch-free: the plane distance
/// where the projection falls inside the triangle, else the nearest clamped edge projection.
#[inline(always)]
fn packet_dist2<S: Wide>(s: S, p: &Packet, q: [S::V; 3]) -> S::V {
    let (a, b, c) = (load3(s, &p.a), load3(s, &p.b), load3(s, &p.c));
    let pa = sub3(s, q, a);
    let u = s.dot(pa, load3(s, &p.g0));
    let v = s.dot(pa, load3(s, &p.g1));
    let h = s.dot(pa, load3(s, &p.n));
    let zero = s.splat(0.0);
    let inside = s.and(
        s.and(s.ge(u, zero), s.ge(v, zero)),
        s.le(s.add(u, v), s.splat(1.0)),
    );
    let e_ab = edge_dist2(s, pa, sub3(s, b, a), s.get(&p.inv[0]));
    let e_bc = edge_dist2(s, sub3(s, q, b), sub3(s, c, b), s.get(&p.inv[1]));
    let e_ca = edge_dist2(s, sub3(s, q, c), sub3(s, a, c), s.get(&p.inv[2]));
    let e = s.min(s.min(e_ab, e_bc), e_ca);
    s.select(inside, s.mul(h, h), e)
}

fn empty_node() -> Node {
    // A NaN centre makes every distance to an unused lane NaN, and NaN passes no
    // comparison, so unused lanes are never entered, even by a query at infinity.
    Node {
        c: [[f32::NAN; LANES]; 3],
        ax: [[[0.0; LANES]; 3]; 3],
        e: [[f32::NEG_INFINITY; LANES]; 3],
        child: [EMPTY; LANES],
    }
}

/// The slots of binary subtree `node`: one range, since binary leaves are in slot order,
/// starting at its leftmost leaf.
fn subtree_range(bin: &Bvh, node: usize, count: &[u32]) -> std::ops::Range<usize> {
    let mut n = node;
    while !bin.nodes[n].is_leaf() {
        n = bin.nodes[n].first as usize;
    }
    let start = bin.nodes[n].first as usize;
    start..start + count[node] as usize
}

/// An oriented bounding box.
struct Obb {
    c: V3,
    ax: [V3; 3],
    e: V3,
}

/// Oriented box around triangles: principal axes of their vertices, or the coordinate axes
/// when that box has the smaller surface. Extents are padded by a relative 1e-6 so rounding
/// in the f32 distance never makes the bound exceed a true distance by more than that.
fn fit_obb(tris: &[[V3; 3]]) -> Obb {
    let n = (3 * tris.len()) as f64;
    let mut mean = [0f64; 3];
    for v in tris.iter().flatten() {
        mean = dadd(mean, to_d(*v));
    }
    mean = dscale(mean, 1.0 / n);
    let mut cov = [[0f64; 3]; 3];
    for v in tris.iter().flatten() {
        let d = dsub(to_d(*v), mean);
        for (i, row) in cov.iter_mut().enumerate() {
            for (j, x) in row.iter_mut().enumerate() {
                *x += d[i] * d[j];
            }
        }
    }
    let pca = eigenvectors(cov);
    let identity = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];
    let fit = |axes: [D3; 3]| {
        // Axes rounded to f32 first, so the extents hold for the axes actually stored.
        let axes = axes.map(|a| a.map(|x| x as f32));
        let mut lo = [f64::INFINITY; 3];
        let mut hi = [f64::NEG_INFINITY; 3];
        for v in tris.iter().flatten() {
            for i in 0..3 {
                let t = ddot(to_d(axes[i]), to_d(*v));
                lo[i] = lo[i].min(t);
                hi[i] = hi[i].max(t);
            }
        }
        let mid = [0, 1, 2].map(|i| 0.5 * (lo[i] + hi[i]));
        let half = [0, 1, 2].map(|i| 0.5 * (hi[i] - lo[i]));
        let area = half[0] * half[1] + half[1] * half[2] + half[2] * half[0];
        (axes, mid, half, area)
    };
    let a = fit(pca);
    let b = fit(identity);
    let (axes, mid, half, _) = if a.3 < b.3 { a } else { b };
    let c = dadd(
        dadd(dscale(to_d(axes[0]), mid[0]), dscale(to_d(axes[1]), mid[1])),
        dscale(to_d(axes[2]), mid[2]),
    );
    let scale =
        half.iter().fold(0f64, |m, x| m.max(*x)) + c.iter().fold(0f64, |m, x| m.max(x.abs()));
    let pad = 1e-6 * scale;
    Obb {
        c: c.map(|x| x as f32),
        ax: axes,
        e: half.map(|h| (h + pad) as f32),
    }
}

/// Unit eigenvectors of a symmetric 3×3 matrix (cyclic Jacobi rotations), as rows.
fn eigenvectors(m: [[f64; 3]; 3]) -> [D3; 3] {
    let mut a = m;
    let mut v = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];
    let scale = (0..3).map(|i| a[i][i].abs()).sum::<f64>();
    for _ in 0..50 {
        let off = a[0][1].abs() + a[0][2].abs() + a[1][2].abs();
        if off.is_nan() || off <= 1e-15 * scale {
            break;
        }
        for (p, q) in [(0, 1), (0, 2), (1, 2)] {
            if a[p][q] == 0.0 {
                continue;
            }
            // Numerical Recipes' rotation zeroing a[p][q]: A ← PᵀAP, V ← VP.
            let theta = (a[q][q] - a[p][p]) / (2.0 * a[p][q]);
            let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
            let c = 1.0 / (t * t + 1.0).sqrt();
            let s = t * c;
            let mut r = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];
            r[p][p] = c;
            r[q][q] = c;
            r[p][q] = s;
            r[q][p] = -s;
            a = mat_mul(&mat_mul(&transpose(&r), &a), &r);
            v = mat_mul(&v, &r);
        }
    }
    // Columns of V are the eigenvectors.
    let cols = transpose(&v);
    cols.map(|c| dscale(c, 1.0 / dlen(c)))
}

fn mat_mul(a: &[[f64; 3]; 3], b: &[[f64; 3]; 3]) -> [[f64; 3]; 3] {
    let mut m = [[0.0; 3]; 3];
    for i in 0..3 {
        for j in 0..3 {
            m[i][j] = (0..3).map(|k| a[i][k] * b[k][j]).sum();
        }
    }
    m
}

fn transpose(a: &[[f64; 3]; 3]) -> [[f64; 3]; 3] {
    [
        [a[0][0], a[1][0], a[2][0]],
        [a[0][1], a[1][1], a[2][1]],
        [a[0][2], a[1][2], a[2][2]],
    ]
}

fn half_area(n: &crate::distance::bvh::Node) -> f32 {
    let d = sub(n.hi, n.lo);
    d[0] * d[1] + d[1] * d[2] + d[2] * d[0]
}

fn make_packet(tris: &[[V3; 3]]) -> Packet {
    let z = [[0f32; LANES]; 3];
    let mut p = Packet {
        a: z,
        b: z,
        c: z,
        g0: z,
        g1: z,
        n: z,
        inv: z,
    };
    for (i, t) in tris.iter().enumerate() {
        let [a, b, c] = t.map(to_d);
        let e0 = dsub(b, a);
        let e1 = dsub(c, a);
        let n = dcross(e0, e1);
        let n2 = ddot(n, n);
        // A zero-area triangle gets NaN duals: its "inside" test fails and the edges decide.
        let (g0, g1, nu) = if n2 > 0.0 {
            (
                dscale(dcross(e1, n), 1.0 / n2),
                dscale(dcross(n, e0), 1.0 / n2),
                dscale(n, 1.0 / n2.sqrt()),
            )
        } else {
            ([f64::NAN; 3], [f64::NAN; 3], [0.0; 3])
        };
        let inv = |x: D3, y: D3| {
            let l = ddot(dsub(y, x), dsub(y, x));
            if l > 0.0 {
                (1.0 / l) as f32
            } else {
                0.0
            }
        };
        for k in 0..3 {
            p.a[k][i] = t[0][k];
            p.b[k][i] = t[1][k];
            p.c[k][i] = t[2][k];
            p.g0[k][i] = g0[k] as f32;
            p.g1[k][i] = g1[k] as f32;
            p.n[k][i] = nu[k] as f32;
        }
        p.inv[0][i] = inv(a, b);
        p.inv[1][i] = inv(b, c);
        p.inv[2][i] = inv(c, a);
    }
    p
}
