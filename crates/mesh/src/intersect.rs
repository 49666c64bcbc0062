//! Self-intersection check: which triangles cross other triangles of the same mesh.
//!
//! Candidate pairs come from a self-join of the bounding-volume hierarchy (`bvh.rs`): two
//! subtrees are compared only where their boxes overlap, so the cost grows with the number of
//! nearby pairs, not with n². Pairs that share a vertex are neighbours on the surface and touch
//! by construction, so they are skipped. Every other pair gets Möller's (1997) interval test in
//! f64, counting only real crossings: triangles in different planes must each pass through the
//! other's plane and meet along a segment; coplanar ones must share some area. Contact without
//! crossing (a vertex or an edge resting on a face, as at T-junctions) is not reported: the
//! surface does not pass through itself there, and meshes with T-junctions already get the
//! open-boundary warning.

use crate::distance::bvh::{Bvh, Node};
use crate::geom::*;
use crate::Mesh;

/// Depth of the tree down to which the self-join forks rayon tasks (2^10 is plenty).
const PAR_DEPTH: usize = 10;
/// Relative size under which a plane distance or an interval overlap counts as zero: f64
/// rounding of these f32-derived quantities is ~1e-16 relative, real crossings far above.
const EPS: f64 = 1e-12;
/// Relative overlap area under which coplanar triangles only touch along an edge or a point.
const AREA_EPS: f64 = 1e-9;

/// Indices of the triangles that cross another triangle they share no vertex with; sorted,
/// each listed once.
pub fn self_intersecting_faces(mesh: &Mesh) -> Vec<u32> {
    if mesh.triangles.len() < 2 {
        return Vec::new();
    }
    let bvh = Bvh::new(mesh);
    let join = SelfJoin { bvh: &bvh, mesh };
    let mut hits = Vec::new();
    join.within(0, 0, &mut hits);
    hits.sort_unstable();
    hits.dedup();
    hits
}

struct SelfJoin<'a> {
    bvh: &'a Bvh,
    mesh: &'a Mesh,
}

impl SelfJoin<'_> {
    /// Crossing pairs with both triangles in the subtree at node `n`.
    fn within(&self, n: usize, depth: usize, out: &mut Vec<u32>) {
        let node = self.bvh.nodes[n];
        if node.is_leaf() {
            let s = slots(&node);
            for i in s.clone() {
                for j in i + 1..s.end {
                    self.test(i, j, out);
                }
            }
            return;
        }
        let (l, r) = (node.first as usize, node.first as usize + 1);
        if depth < PAR_DEPTH {
            let (mut a, mut b) = rayon::join(
                || {
                    let mut v = Vec::new();
                    self.within(l, depth + 1, &mut v);
                    v
                },
                || {
                    let mut v = Vec::new();
                    self.within(r, depth + 1, &mut v);
                    self.across(l, r, &mut v);
                    v
                },
            );
            out.append(&mut a);
            out.append(&mut b);
        } else {
            self.within(l, depth + 1, out);
            self.within(r, depth + 1, out);
            self.across(l, r, out);
        }
    }

    /// Crossing pairs with one triangle under node `a` and the other under node `b`, two
    /// disjoint subtrees.
    fn across(&self, a: usize, b: usize, out: &mut Vec<u32>) {
        let (na, nb) = (self.bvh.nodes[a], self.bvh.nodes[b]);
        if !boxes_overlap(na.lo, na.hi, nb.lo, nb.hi) {
            return;
        }
        // Descend the inner node, or the bigger box when both are inner: the boxes shrink
        // fastest that way.
        let split_a = match (na.is_leaf(), nb.is_leaf()) {
            (true, true) => {
                for i in slots(&na) {
                    for j in slots(&nb) {
                        self.test(i, j, out);
                    }
                }
                return;
            }
            (false, true) => true,
            (true, false) => false,
            (false, false) => extent(&na) >= extent(&nb),
        };
        if split_a {
            let c = na.first as usize;
            self.across(c, b, out);
            self.across(c + 1, b, out);
        } else {
            let c = nb.first as usize;
            self.across(a, c, out);
            self.across(a, c + 1, out);
        }
    }

    /// Tests the triangles in slots `i` and `j`, recording both faces if they cross.
    fn test(&self, i: usize, j: usize, out: &mut Vec<u32>) {
        let (fi, fj) = (self.bvh.ids[i], self.bvh.ids[j]);
        let (ti, tj) = (
            self.mesh.triangles[fi as usize],
            self.mesh.triangles[fj as usize],
        );
        if ti.iter().any(|v| tj.contains(v)) {
            return;
        }
        let (p, q) = (self.bvh.tris[i], self.bvh.tris[j]);
        let (plo, phi) = tri_box(&p);
        let (qlo, qhi) = tri_box(&q);
        if boxes_overlap(plo, phi, qlo, qhi) && triangles_cross(p, q) {
            out.push(fi);
            out.push(fj);
        }
    }
}

fn slots(n: &Node) -> std::ops::Range<usize> {
    n.first as usize..(n.first + n.count) as usize
}

fn extent(n: &Node) -> f32 {
    let d = sub(n.hi, n.lo);
    d[0] + d[1] + d[2]
}

fn tri_box(t: &[V3; 3]) -> (V3, V3) {
    (min3(t[0], min3(t[1], t[2])), max3(t[0], max3(t[1], t[2])))
}

fn boxes_overlap(alo: V3, ahi: V3, blo: V3, bhi: V3) -> bool {
    (0..3).all(|k| alo[k] <= bhi[k] && blo[k] <= ahi[k])
}

/// Whether triangles `p` and `q` cross (see the module docs): each passes through the other's
/// plane and they meet along a segment of positive length, or they are coplanar and share a
/// positive area. Touching is not crossing.
pub fn triangles_cross(p: [V3; 3], q: [V3; 3]) -> bool {
    let (p, q) = (p.map(to_d), q.map(to_d));
    let (np, nq) = (normal(&p), normal(&q));
    let dq = plane_distances(np, p[0], &q);
    if dq == [0.0; 3] {
        return coplanar_overlap(&p, &q, np);
    }
    if !straddles(dq) {
        return false;
    }
    let dp = plane_distances(nq, q[0], &p);
    if dp == [0.0; 3] {
        return coplanar_overlap(&p, &q, np);
    }
    if !straddles(dp) {
        return false;
    }
    let dir = dcross(np, nq);
    // Both triangles meet the line where the planes cross; they cross each other where their
    // intervals on it overlap.
    let (a0, a1) = interval(&p, dp, dir, p[0]);
    let (b0, b1) = interval(&q, dq, dir, p[0]);
    let overlap = a1.min(b1) - a0.max(b0);
    overlap > EPS * (a1 - a0).max(b1 - b0)
}

fn normal(t: &[D3; 3]) -> D3 {
    dcross(dsub(t[1], t[0]), dsub(t[2], t[0]))
}

/// Signed distances (times |n|) of `t`'s vertices from the plane through `o` with normal `n`,
/// snapped to exactly 0 where rounding could have produced the sign.
fn plane_distances(n: D3, o: D3, t: &[D3; 3]) -> [f64; 3] {
    let r = t.map(|v| dsub(v, o));
    let tol = EPS * dlen(n) * r.iter().map(|&v| dlen(v)).fold(0.0, f64::max);
    r.map(|v| {
        let d = ddot(n, v);
        if d.abs() <= tol {
            0.0
        } else {
            d
        }
    })
}

/// Vertices strictly on both sides of the plane: the triangle passes through it.
fn straddles(d: [f64; 3]) -> bool {
    d.iter().any(|&x| x > 0.0) && d.iter().any(|&x| x < 0.0)
}

/// The interval, in coordinates along `dir` from `o`, where triangle `t` meets the other
/// plane (`d` are its vertices' distances from that plane): the hull of the vertices on the
/// plane and the points where edges pass through it.
fn interval(t: &[D3; 3], d: [f64; 3], dir: D3, o: D3) -> (f64, f64) {
    let s = t.map(|v| ddot(dsub(v, o), dir));
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for i in 0..3 {
        let j = (i + 1) % 3;
        if d[i] == 0.0 {
            lo = lo.min(s[i]);
            hi = hi.max(s[i]);
        }
        if (d[i] < 0.0 && d[j] > 0.0) || (d[i] > 0.0 && d[j] < 0.0) {
            let x = s[i] + (s[j] - s[i]) * (d[i] / (d[i] - d[j]));
            lo = lo.min(x);
            hi = hi.max(x);
        }
    }
    (lo, hi)
}

/// Coplanar triangles overlap over a positive area: `q` clipped by `p`'s three edges
/// (Sutherland–Hodgman, in the coordinate plane the normal `n` is most nearly perpendicular
/// to) keeps a noticeable part of the smaller triangle's area.
fn coplanar_overlap(p: &[D3; 3], q: &[D3; 3], n: D3) -> bool {
    let k = (0..3)
        .max_by(|&a, &b| n[a].abs().total_cmp(&n[b].abs()))
        .unwrap_or(2);
    let (u, v) = ((k + 1) % 3, (k + 2) % 3);
    let flat = |t: &[D3; 3]| t.map(|x| [x[u], x[v]]);
    let (mut p2, q2) = (flat(p), flat(q));
    if area2(&p2) < 0.0 {
        p2.swap(1, 2);
    }
    let mut poly: Vec<[f64; 2]> = q2.to_vec();
    for i in 0..3 {
        let (a, b) = (p2[i], p2[(i + 1) % 3]);
        let side = |x: [f64; 2]| (b[0] - a[0]) * (x[1] - a[1]) - (b[1] - a[1]) * (x[0] - a[0]);
        let mut next = Vec::with_capacity(poly.len() + 1);
        for (m, &x) in poly.iter().enumerate() {
            let y = poly[(m + 1) % poly.len()];
            let (sx, sy) = (side(x), side(y));
            if sx >= 0.0 {
                next.push(x);
            }
            if (sx < 0.0 && sy > 0.0) || (sx > 0.0 && sy < 0.0) {
                let t = sx / (sx - sy);
                next.push([x[0] + (y[0] - x[0]) * t, x[1] + (y[1] - x[1]) * t]);
            }
        }
        poly = next;
        if poly.len() < 3 {
            return false;
        }
    }
    let smaller = area2(&p2).abs().min(area2(&q2).abs());
    area2(&poly).abs() > AREA_EPS * smaller
}

/// Twice the signed area of a polygon (positive counter-clockwise).
fn area2(poly: &[[f64; 2]]) -> f64 {
    (0..poly.len())
        .map(|i| {
            let (a, b) = (poly[i], poly[(i + 1) % poly.len()]);
            a[0] * b[1] - a[1] * b[0]
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    const FLAT: [V3; 3] = [[0.0, 0.0, 0.0], [2.0, 0.0, 0.0], [0.0, 2.0, 0.0]];

    #[test]
    fn a_triangle_piercing_another_crosses_it() {
        let q = [[0.5, 0.5, -1.0], [0.5, 0.5, 1.0], [3.0, 3.0, 0.5]];
        assert!(triangles_cross(FLAT, q));
        assert!(triangles_cross(q, FLAT));
    }

    #[test]
    fn touching_at_a_point_or_edge_is_not_a_crossing() {
        // A vertex resting on the face.
        let q = [[0.5, 0.5, 0.0], [0.5, 0.5, 1.0], [1.0, 0.0, 1.0]];
        assert!(!triangles_cross(FLAT, q));
        // An edge lying in the face, the rest above it (a fin standing on it), both ways round.
        let q = [[0.2, 0.2, 0.0], [0.8, 0.2, 0.0], [0.5, 0.5, 1.0]];
        assert!(!triangles_cross(FLAT, q));
        assert!(!triangles_cross(q, FLAT));
        // Edges crossing at a single point.
        let q = [[1.0, -2.0, -1.0], [1.0, -2.0, 1.0], [1.0, 2.0, 1.0]];
        assert!(!triangles_cross(FLAT, q));
        // Parallel planes, and separated in the same plane.
        let q = FLAT.map(|v| [v[0], v[1], 0.5]);
        assert!(!triangles_cross(FLAT, q));
        let q = FLAT.map(|v| [v[0] + 2.0, v[1], 0.0]);
        assert!(!triangles_cross(FLAT, q));
    }

    #[test]
    fn coplanar_triangles_cross_only_when_they_share_area() {
        let inner = [[0.5, 0.5, 0.0], [1.0, 0.5, 0.0], [0.5, 1.0, 0.0]];
        assert!(triangles_cross(FLAT, inner));
        // The triangle of edge midpoints: no vertex strictly inside, still overlapping.
        let mid = [[1.0, 0.0, 0.0], [1.0, 1.0, 0.0], [0.0, 1.0, 0.0]];
        assert!(triangles_cross(FLAT, mid));
        // Sharing a piece of the hypotenuse from the other side.
        let outside = [[1.0, 1.0, 0.0], [2.0, 2.0, 0.0], [0.5, 1.5, 0.0]];
        assert!(!triangles_cross(FLAT, outside));
    }
}
