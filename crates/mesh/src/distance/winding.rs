//! The generalized winding number (Jacobson et al. 2013) and its fast hierarchical
//! approximation (Barill et al. 2018, "Fast winding numbers for soups and clouds").
//!
//! w(q) = Σ Ω_t(q) / 4π over all triangles t, Ω_t the signed solid angle. For a closed,
//! outward-oriented mesh w is 1 inside and 0 outside; for meshes with holes, flipped patches
//! or self-intersections it degrades gracefully, so "inside" := w > ½ stays sensible.
//!
//! The fast version walks the 8-wide tree of `wide.rs`. Every child of a node carries the
//! moments of its triangles about their area-weighted centre p̃: the summed area vector
//! N = Σ A_t, M = Σ ∫(x − p̃) ⊗ n dA and T_i = Σ n_i ∫(x − p̃)(x − p̃)ᵀ dA, and a radius r
//! enclosing them. When the query is farther than β·r from p̃, the child's solid angle is the
//! Taylor expansion of the dipole kernel (x − q)/|x − q|³ about p̃ through the T term (libigl's
//! "order 2", Barill's default with β = 2). Otherwise the child is opened; at a packet the
//! solid angles of its triangles are summed exactly. Eight children (or triangles) take one
//! vector pass.

use crate::distance::triangle;
use crate::distance::wide::{load3, sub3, Isa, Wide, WideBvh, L, LANES, LEAF, PORTABLE};
use crate::geom::*;
use crate::Mesh;
#[cfg(target_arch = "x86_64")]
use nsdf::simd::Avx2;
use rayon::prelude::*;
use std::f64::consts::PI;

/// Barill et al.'s accuracy parameter: expand a node when the query is more than β radii away.
pub const DEFAULT_BETA: f32 = 2.0;

/// Expansion data of the eight children of one node, one lane each.
#[derive(Clone, Copy)]
#[repr(C, align(64))]
pub struct Moments {
    /// Area-weighted centre p̃.
    p: [L; 3],
    /// (β·r)²: beyond this squared distance from p̃ the expansion is used (+inf: never).
    far2: L,
    n: [L; 3],
    /// M[i][j] = Σ ∫(x − p̃)_i dA · n_j.
    m: [[L; 3]; 3],
    trace: L,
    /// T_i as (xx, yy, zz, xy, xz, yz).
    t: [[L; 6]; 3],
    /// u_k = Σ_i T_i[i][k].
    u: [L; 3],
    /// v_i = trace(T_i).
    v: [L; 3],
}

/// The winding-number data for a [`WideBvh`].
pub struct Winding {
    moments: Vec<Moments>,
    /// Per packet, 1.0 in used lanes and 0.0 in padding lanes.
    used: Vec<L>,
}

/// Per-triangle quantities the moments are sums of (f64).
struct TriMoments {
    area_vec: D3,
    area: f64,
    centroid: D3,
    /// (1/12) Σ_v (v − c)(v − c)ᵀ as (xx, yy, zz, xy, xz, yz): ∫(x − c)(x − c)ᵀ dA / area.
    cov: [f64; 6],
    verts: [D3; 3],
}

impl Winding {
    /// Computes every child's moments directly from its triangles (f64 sums, stored as f32).
    pub fn new(wide: &WideBvh, tris: &[[V3; 3]], beta: f32) -> Winding {
        let per_tri: Vec<TriMoments> = tris
            .par_iter()
            .map(|t| {
                let verts = t.map(to_d);
                let area_vec = triangle::area_vector(t[0], t[1], t[2]);
                let centroid = dscale(dadd(verts[0], dadd(verts[1], verts[2])), 1.0 / 3.0);
                let mut cov = [0f64; 6];
                for v in &verts {
                    let d = dsub(*v, centroid);
                    let o = [
                        d[0] * d[0],
                        d[1] * d[1],
                        d[2] * d[2],
                        d[0] * d[1],
                        d[0] * d[2],
                        d[1] * d[2],
                    ];
                    for k in 0..6 {
                        cov[k] += o[k] / 12.0;
                    }
                }
                TriMoments {
                    area_vec,
                    area: dlen(area_vec),
                    centroid,
                    cov,
                    verts,
                }
            })
            .collect();
        let moments = wide
            .ranges
            .par_iter()
            .zip(wide.nodes.par_iter())
            .map(|(ranges, node)| {
                let mut mo = empty_moments();
                for (lane, &(start, len)) in ranges.iter().enumerate() {
                    if node.child[lane] != u32::MAX && len > 0 {
                        let r = start as usize..(start + len) as usize;
                        set_lane(&mut mo, lane, &per_tri[r], beta);
                    }
                }
                mo
            })
            .collect();
        let used = wide
            .count
            .iter()
            .map(|&c| std::array::from_fn(|i| if i < c as usize { 1.0 } else { 0.0 }))
            .collect();
        Winding { moments, used }
    }

    /// Fast approximate winding number at `q`.
    pub fn fast(&self, wide: &WideBvh, isa: Isa, q: V3, stack: &mut Vec<u32>) -> f32 {
        match isa {
            Isa::Scalar => self.fast_in(PORTABLE, wide, q, stack),
            // SAFETY: callers only pass an `Isa` that `is_supported` (see `Sdf::with_isa`).
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 => unsafe { self.fast_avx2(wide, q, stack) },
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => unsafe { self.fast_avx512(wide, q, stack) },
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn fast_avx2(&self, wide: &WideBvh, q: V3, stack: &mut Vec<u32>) -> f32 {
        self.fast_in(Avx2::new_unchecked(), wide, q, stack)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx512vl,avx2,fma")]
    unsafe fn fast_avx512(&self, wide: &WideBvh, q: V3, stack: &mut Vec<u32>) -> f32 {
        self.fast_in(Avx2::new_unchecked(), wide, q, stack)
    }

    #[inline(always)]
    fn fast_in<S: Wide>(&self, s: S, wide: &WideBvh, q: V3, stack: &mut Vec<u32>) -> f32 {
        let qv = [s.splat(q[0]), s.splat(q[1]), s.splat(q[2])];
        let zero = s.splat(0.0);
        let mut total = zero;
        stack.clear();
        stack.push(0);
        while let Some(r) = stack.pop() {
            if r & LEAF != 0 {
                let p = (r & !LEAF) as usize;
                let pk = &wide.packets[p];
                let omega = solid_angles(s, load3(s, &pk.a), load3(s, &pk.b), load3(s, &pk.c), qv);
                total = s.add(total, s.mul(omega, s.get(&self.used[p])));
                continue;
            }
            let mo = &self.moments[r as usize];
            let rv = sub3(s, load3(s, &mo.p), qv);
            let r2 = s.dot(rv, rv);
            let far = s.lt(s.get(&mo.far2), r2);
            total = s.add(total, s.select(far, expansion(s, mo, rv, r2), zero));
            let node = &wide.nodes[r as usize];
            let mut open = !s.bits(far) & ((1u32 << LANES) - 1);
            while open != 0 {
                let i = open.trailing_zeros() as usize;
                open &= open - 1;
                if node.child[i] != u32::MAX {
                    stack.push(node.child[i]);
                }
            }
        }
        let mut lanes = [0f32; LANES];
        s.put(total, &mut lanes);
        lanes.iter().sum::<f32>() / (4.0 * std::f32::consts::PI)
    }
}

/// Far-field solid angles of eight children seen from q, with r = p̃ − q (see module docs):
/// N·r/|r|³ + [tr M/|r|³ − 3 rᵀMr/|r|⁵] + ½[−3(2 r·u + r·v)/|r|⁵ + 15 Σ_i r_i rᵀT_i r/|r|⁷].
#[inline(always)]
fn expansion<S: Wide>(s: S, mo: &Moments, r: [S::V; 3], r2: S::V) -> S::V {
    let inv = s.div(s.splat(1.0), s.sqrt(r2));
    let inv2 = s.mul(inv, inv);
    let inv3 = s.mul(inv2, inv);
    let inv5 = s.mul(inv3, inv2);
    let inv7 = s.mul(inv5, inv2);
    let t1 = s.mul(s.dot(load3(s, &mo.n), r), inv3);
    let m = &mo.m;
    let mr = [
        s.dot(load3(s, &m[0]), r),
        s.dot(load3(s, &m[1]), r),
        s.dot(load3(s, &m[2]), r),
    ];
    let t2 = s.sub(
        s.mul(s.get(&mo.trace), inv3),
        s.mul(s.mul(s.splat(3.0), s.dot(r, mr)), inv5),
    );
    let mut cubic = s.splat(0.0);
    for i in 0..3 {
        cubic = s.add(cubic, s.mul(r[i], quadratic(s, &mo.t[i], r)));
    }
    let lin = s.add(
        s.mul(s.splat(2.0), s.dot(r, load3(s, &mo.u))),
        s.dot(r, load3(s, &mo.v)),
    );
    let t3 = s.sub(
        s.mul(s.splat(7.5), s.mul(cubic, inv7)),
        s.mul(s.splat(1.5), s.mul(lin, inv5)),
    );
    s.add(s.add(t1, t2), t3)
}

/// rᵀ T r for a symmetric T stored as (xx, yy, zz, xy, xz, yz).
#[inline(always)]
fn quadratic<S: Wide>(s: S, t: &[L; 6], r: [S::V; 3]) -> S::V {
    let sq = s.add(
        s.add(
            s.mul(s.get(&t[0]), s.mul(r[0], r[0])),
            s.mul(s.get(&t[1]), s.mul(r[1], r[1])),
        ),
        s.mul(s.get(&t[2]), s.mul(r[2], r[2])),
    );
    let cross = s.add(
        s.add(
            s.mul(s.get(&t[3]), s.mul(r[0], r[1])),
            s.mul(s.get(&t[4]), s.mul(r[0], r[2])),
        ),
        s.mul(s.get(&t[5]), s.mul(r[1], r[2])),
    );
    s.add(sq, s.add(cross, cross))
}

/// Signed solid angles of eight triangles seen from q (van Oosterom & Strackee).
#[inline(always)]
fn solid_angles<S: Wide>(s: S, a: [S::V; 3], b: [S::V; 3], c: [S::V; 3], q: [S::V; 3]) -> S::V {
    let (a, b, c) = (sub3(s, a, q), sub3(s, b, q), sub3(s, c, q));
    let (la, lb, lc) = (
        s.sqrt(s.dot(a, a)),
        s.sqrt(s.dot(b, b)),
        s.sqrt(s.dot(c, c)),
    );
    let bc = [
        s.sub(s.mul(b[1], c[2]), s.mul(b[2], c[1])),
        s.sub(s.mul(b[2], c[0]), s.mul(b[0], c[2])),
        s.sub(s.mul(b[0], c[1]), s.mul(b[1], c[0])),
    ];
    let det = s.dot(a, bc);
    let den = s.add(
        s.add(s.mul(s.mul(la, lb), lc), s.mul(s.dot(a, b), lc)),
        s.add(s.mul(s.dot(b, c), la), s.mul(s.dot(c, a), lb)),
    );
    s.mul(s.splat(2.0), atan2(s, det, den))
}

/// atan2 to about 2 ulp (Cephes' atanf polynomial after reduction to [0, tan(π/8)]), with
/// atan2(0, 0) = 0.
#[inline(always)]
fn atan2<S: Wide>(s: S, y: S::V, x: S::V) -> S::V {
    let zero = s.splat(0.0);
    let (ax, ay) = (s.abs(x), s.abs(y));
    let mx = s.max(ax, ay);
    let mn = s.min(ax, ay);
    let a = s.div(mn, s.select(s.lt(zero, mx), mx, s.splat(1.0)));
    // a in [0, 1]; above tan(π/8) use atan(a) = π/4 + atan((a − 1)/(a + 1)).
    let big = s.lt(s.splat(0.414_213_57), a);
    let z = s.select(
        big,
        s.div(s.sub(a, s.splat(1.0)), s.add(a, s.splat(1.0))),
        a,
    );
    let off = s.select(big, s.splat(std::f32::consts::FRAC_PI_4), zero);
    let z2 = s.mul(z, z);
    let mut p = s.splat(8.053_744_5e-2);
    p = s.sub(s.mul(p, z2), s.splat(1.387_768_6e-1));
    p = s.add(s.mul(p, z2), s.splat(1.997_771_1e-1));
    p = s.sub(s.mul(p, z2), s.splat(3.333_295e-1));
    let r = s.add(off, s.add(s.mul(s.mul(p, z2), z), z));
    // Undo the octant reduction: swap, then the signs of x and y.
    let r = s.select(
        s.lt(ax, ay),
        s.sub(s.splat(std::f32::consts::FRAC_PI_2), r),
        r,
    );
    let r = s.select(s.lt(x, zero), s.sub(s.splat(std::f32::consts::PI), r), r);
    s.select(s.lt(y, zero), s.sub(zero, r), r)
}

fn empty_moments() -> Moments {
    let z = [0f32; LANES];
    Moments {
        p: [z; 3],
        far2: [f32::INFINITY; LANES],
        n: [z; 3],
        m: [[z; 3]; 3],
        trace: z,
        t: [[z; 6]; 3],
        u: [z; 3],
        v: [z; 3],
    }
}

/// Fills lane `lane` with the moments of `tris`.
fn set_lane(mo: &mut Moments, lane: usize, tris: &[TriMoments], beta: f32) {
    let area: f64 = tris.iter().map(|t| t.area).sum();
    let p = if area > 0.0 {
        dscale(
            tris.iter()
                .fold([0.0; 3], |acc, t| dadd(acc, dscale(t.centroid, t.area))),
            1.0 / area,
        )
    } else {
        dscale(
            tris.iter().fold([0.0; 3], |acc, t| dadd(acc, t.centroid)),
            1.0 / tris.len() as f64,
        )
    };
    let mut n = [0f64; 3];
    let mut m = [[0f64; 3]; 3];
    let mut t = [[0f64; 6]; 3];
    let mut radius = 0f64;
    for tri in tris {
        let d = dsub(tri.centroid, p);
        n = dadd(n, tri.area_vec);
        let dd = [
            d[0] * d[0],
            d[1] * d[1],
            d[2] * d[2],
            d[0] * d[1],
            d[0] * d[2],
            d[1] * d[2],
        ];
        for (i, (mi, ti)) in m.iter_mut().zip(t.iter_mut()).enumerate() {
            for (j, x) in mi.iter_mut().enumerate() {
                *x += d[i] * tri.area_vec[j];
            }
            for (k, x) in ti.iter_mut().enumerate() {
                *x += tri.area_vec[i] * (dd[k] + tri.cov[k]);
            }
        }
        for v in &tri.verts {
            radius = radius.max(dlen(dsub(*v, p)));
        }
    }
    // Round the threshold up so storing in f32 never makes the expansion less safe.
    let far = beta as f64 * radius * (1.0 + 1e-6);
    let f = |x: f64| x as f32;
    for k in 0..3 {
        mo.p[k][lane] = f(p[k]);
        mo.n[k][lane] = f(n[k]);
        for (dst, src) in mo.m[k].iter_mut().zip(&m[k]) {
            dst[lane] = f(*src);
        }
        for (dst, src) in mo.t[k].iter_mut().zip(&t[k]) {
            dst[lane] = f(*src);
        }
        // u_k = Σ_i T_i[i][k]: T_0 row 0 = (xx, xy, xz), T_1 row 1 = (xy, yy, yz), T_2 row 2 = (xz, yz, zz).
        let row = |i: usize, k: usize| -> f64 {
            let s = &t[i];
            match (i.min(k), i.max(k)) {
                (0, 0) => s[0],
                (1, 1) => s[1],
                (2, 2) => s[2],
                (0, 1) => s[3],
                (0, 2) => s[4],
                _ => s[5],
            }
        };
        mo.u[k][lane] = f(row(0, k) + row(1, k) + row(2, k));
        mo.v[k][lane] = f(t[k][0] + t[k][1] + t[k][2]);
    }
    mo.trace[lane] = f(m[0][0] + m[1][1] + m[2][2]);
    mo.far2[lane] = f(far * far);
}

/// Exact winding number by summing every triangle's solid angle in f64: the reference the
/// fast paths are checked against (O(triangles) per query).
pub fn exact(mesh: &Mesh, q: V3) -> f64 {
    let s: f64 = mesh
        .triangles
        .iter()
        .map(|t| {
            let [a, b, c] = t.map(|v| mesh.positions[v as usize]);
            triangle::solid_angle_f64(q, a, b, c)
        })
        .sum();
    s / (4.0 * PI)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atan2_matches_std() {
        let p = PORTABLE;
        let vals = [
            0.0f32, -0.0, 1e-30, 0.3, -0.3, 0.4142, 0.5, 1.0, -1.0, 2.4, -7.0, 1e20, -1e-20,
        ];
        for &y in &vals {
            for &x in &vals {
                let got = atan2(p, [y; 8], [x; 8])[0];
                // Signed zeros aside (they do not matter for solid angles).
                let unsign = |v: f32| if v == 0.0 { 0.0 } else { v };
                let want = unsign(y).atan2(unsign(x));
                assert!(
                    (got - want).abs() <= 3e-7 * want.abs().max(1.0),
                    "atan2({y}, {x}) = {got}, want {want}"
                );
            }
        }
    }
}
