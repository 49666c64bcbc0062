//! Exact winding-number differences along a segment, for closed meshes.
//!
//! When every directed edge (a→b) of the mesh is matched by a reverse edge (b→a) — a closed
//! surface, oriented consistently or not — the winding number is an integer that changes only
//! across the surface, by ±1 per crossing. So w(q) = w(s) + (signed crossings of segment s→q).
//! Batches sorted along a space-filling curve then get the exact winding number of every query
//! from its neighbour's with a short, cheap segment query instead of a full winding-number
//! evaluation.
//!
//! The segment walks the 8-wide tree of `wide.rs` (segment against eight oriented boxes per
//! vector pass), and a packet's lanes are first filtered by which side of each triangle's plane
//! the endpoints lie (with a rounding margin, so no crossing is ever filtered out). Surviving
//! triangles are decided by sign-certified orientation predicates (f64 with Shewchuk's static
//! error bound); when a sign cannot be certified (the segment grazes an edge or a vertex, or an
//! endpoint lies on a triangle) the answer is "unknown" and the caller falls back to the
//! hierarchical winding number.

use crate::distance::wide::{load3, sub3, Isa, Node, Packet, Wide, WideBvh, LEAF, PORTABLE};
use crate::geom::*;
#[cfg(target_arch = "x86_64")]
use nsdf::simd::Avx2;

/// Shewchuk's `o3derrboundA`: |det| above this times the permanent has a certain sign.
const O3D_ERR: f64 = (7.0 + 56.0 * f64::EPSILON / 2.0) * (f64::EPSILON / 2.0);
/// Relative rounding margin of the f32 filters (about four times their worst-case error).
const MARGIN: f32 = 1e-6;

/// Signed number of surface crossings from `s` to `q` (w(q) − w(s) for a closed mesh), or
/// `None` when some crossing could not be certified. `stack` is reusable scratch.
pub fn signed_crossings(w: &WideBvh, isa: Isa, s: V3, q: V3, stack: &mut Vec<u32>) -> Option<i32> {
    match isa {
        Isa::Scalar => crossings_in(PORTABLE, w, s, q, stack),
        // SAFETY: callers only pass an `Isa` that `is_supported` (see `Sdf::with_isa`).
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 => unsafe { crossings_avx2(w, s, q, stack) },
        #[cfg(target_arch = "x86_64")]
        Isa::Avx512 => unsafe { crossings_avx512(w, s, q, stack) },
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn crossings_avx2(w: &WideBvh, s: V3, q: V3, stack: &mut Vec<u32>) -> Option<i32> {
    crossings_in(Avx2::new_unchecked(), w, s, q, stack)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512vl,avx2,fma")]
unsafe fn crossings_avx512(w: &WideBvh, s: V3, q: V3, stack: &mut Vec<u32>) -> Option<i32> {
    crossings_in(Avx2::new_unchecked(), w, s, q, stack)
}

#[inline(always)]
fn crossings_in<S: Wide>(l: S, w: &WideBvh, s: V3, q: V3, stack: &mut Vec<u32>) -> Option<i32> {
    let sv = [l.splat(s[0]), l.splat(s[1]), l.splat(s[2])];
    let qv = [l.splat(q[0]), l.splat(q[1]), l.splat(q[2])];
    let (sd, qd) = (to_d(s), to_d(q));
    let mut total = 0i32;
    stack.clear();
    stack.push(0);
    while let Some(r) = stack.pop() {
        if r & LEAF != 0 {
            let p = (r & !LEAF) as usize;
            let pk = &w.packets[p];
            let mut mask = straddling_lanes(l, pk, sv, qv) & ((1u32 << w.count[p]) - 1);
            while mask != 0 {
                let i = mask.trailing_zeros() as usize;
                mask &= mask - 1;
                let v = |x: &[[f32; 8]; 3]| [x[0][i], x[1][i], x[2][i]];
                match crossing(sd, qd, &[v(&pk.a), v(&pk.b), v(&pk.c)]) {
                    Hit::Miss => {}
                    Hit::Enter => total += 1,
                    Hit::Exit => total -= 1,
                    Hit::Unknown => return None,
                }
            }
            continue;
        }
        let node = &w.nodes[r as usize];
        let mut mask = segment_boxes(l, node, sv, qv);
        while mask != 0 {
            let i = mask.trailing_zeros() as usize;
            mask &= mask - 1;
            stack.push(node.child[i]);
        }
    }
    Some(total)
}

#[inline(always)]
fn abs_sum<S: Wide>(l: S, v: [S::V; 3]) -> S::V {
    l.add(l.add(l.abs(v[0]), l.abs(v[1])), l.abs(v[2]))
}

/// Lanes (bits) whose oriented box the segment's bounding box overlaps in the box's own frame:
/// a conservative segment–box test, widened by the rounding margin.
#[inline(always)]
fn segment_boxes<S: Wide>(l: S, n: &Node, s: [S::V; 3], q: [S::V; 3]) -> u32 {
    let c = load3(l, &n.c);
    let ds = sub3(l, s, c);
    let dq = sub3(l, q, c);
    let scale = l.add(
        l.add(abs_sum(l, ds), abs_sum(l, dq)),
        l.add(l.add(abs_sum(l, s), abs_sum(l, q)), abs_sum(l, c)),
    );
    let m = l.mul(scale, l.splat(MARGIN));
    let mut bits = u32::MAX;
    for i in 0..3 {
        let ax = load3(l, &n.ax[i]);
        let (ts, tq) = (l.dot(ds, ax), l.dot(dq, ax));
        let e = l.add(l.get(&n.e[i]), m);
        let lo_ok = l.le(l.min(ts, tq), e);
        let hi_ok = l.ge(l.max(ts, tq), l.sub(l.splat(0.0), e));
        bits &= l.bits(l.and(lo_ok, hi_ok));
    }
    bits
}

/// Lanes (bits) whose triangle plane the segment may cross: not both endpoints certainly on
/// the same side.
#[inline(always)]
fn straddling_lanes<S: Wide>(l: S, p: &Packet, s: [S::V; 3], q: [S::V; 3]) -> u32 {
    let a = load3(l, &p.a);
    let n = load3(l, &p.n);
    let hs = l.dot(sub3(l, s, a), n);
    let hq = l.dot(sub3(l, q, a), n);
    let sa = abs_sum(l, a);
    let ms = l.mul(l.add(abs_sum(l, s), sa), l.splat(MARGIN));
    let mq = l.mul(l.add(abs_sum(l, q), sa), l.splat(MARGIN));
    let zero = l.splat(0.0);
    let above = l.and(l.ge(hs, ms), l.ge(hq, mq));
    let below = l.and(l.le(hs, l.sub(zero, ms)), l.le(hq, l.sub(zero, mq)));
    !(l.bits(above) | l.bits(below))
}

/// Sign of the orientation of (a, b, c, d): positive when d lies on the side of plane abc that
/// the counter-clockwise normal (b−a)×(c−a) points to. `None` when rounding could flip it.
#[inline]
fn orient(a: D3, b: D3, c: D3, d: D3) -> Option<i32> {
    let (ad, bd, cd) = (dsub(a, d), dsub(b, d), dsub(c, d));
    let bc = bd[0] * cd[1] - bd[1] * cd[0];
    let ca = cd[0] * ad[1] - cd[1] * ad[0];
    let ab = ad[0] * bd[1] - ad[1] * bd[0];
    let det = ad[2] * bc + bd[2] * ca + cd[2] * ab;
    let perm = ((bd[0] * cd[1]).abs() + (bd[1] * cd[0]).abs()) * ad[2].abs()
        + ((cd[0] * ad[1]).abs() + (cd[1] * ad[0]).abs()) * bd[2].abs()
        + ((ad[0] * bd[1]).abs() + (ad[1] * bd[0]).abs()) * cd[2].abs();
    // det[a−d, b−d, c−d] is positive when d is on the side opposite to the normal.
    if det > O3D_ERR * perm {
        Some(-1)
    } else if -det > O3D_ERR * perm {
        Some(1)
    } else {
        None
    }
}

/// How segment s→q meets one triangle.
#[derive(Debug, PartialEq)]
enum Hit {
    Miss,
    /// Crosses from the front (normal) side to the back: w increases by one.
    Enter,
    /// Crosses from the back to the front: w decreases by one.
    Exit,
    Unknown,
}

fn crossing(s: D3, q: D3, t: &[V3; 3]) -> Hit {
    let (a, b, c) = (to_d(t[0]), to_d(t[1]), to_d(t[2]));
    let os = orient(a, b, c, s);
    let oq = orient(a, b, c, q);
    if let (Some(x), Some(y)) = (os, oq) {
        if x == y {
            return Hit::Miss;
        }
    }
    // The line s–q passes through the triangle iff it sees the three edges with the same
    // orientation; two certain, opposite signs prove a miss even if the third is uncertain.
    let e = [orient(s, q, a, b), orient(s, q, b, c), orient(s, q, c, a)];
    if e.contains(&Some(1)) && e.contains(&Some(-1)) {
        return Hit::Miss;
    }
    match (os, oq) {
        _ if e.contains(&None) => Hit::Unknown,
        (Some(1), Some(-1)) => Hit::Enter,
        (Some(-1), Some(1)) => Hit::Exit,
        _ => Hit::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: [V3; 3] = [[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]];

    #[test]
    fn crossing_directions() {
        let up = to_d([0.2, 0.2, 1.0]);
        let down = to_d([0.2, 0.2, -1.0]);
        assert_eq!(crossing(up, down, &T), Hit::Enter);
        assert_eq!(crossing(down, up, &T), Hit::Exit);
        assert_eq!(
            crossing(to_d([2.0, 2.0, 1.0]), to_d([2.0, 2.0, -1.0]), &T),
            Hit::Miss
        );
        assert_eq!(crossing(up, to_d([0.3, 0.3, 0.5]), &T), Hit::Miss);
    }

    #[test]
    fn grazing_is_unknown() {
        // Through the edge (0,0)–(1,0), and ending on the triangle.
        assert_eq!(
            crossing(to_d([0.5, 0.0, 1.0]), to_d([0.5, 0.0, -1.0]), &T),
            Hit::Unknown
        );
        assert_eq!(
            crossing(to_d([0.2, 0.2, 1.0]), to_d([0.2, 0.2, 0.0]), &T),
            Hit::Unknown
        );
    }
}
