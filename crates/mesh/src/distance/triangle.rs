//! Per-triangle primitives: the exact closest point (Ericson, *Real-Time Collision Detection*
//! §5.1.5) and the exact solid angle (van Oosterom & Strackee 1983).

use crate::geom::*;

/// The point of triangle `abc` closest to `p`.
///
/// Ericson's Voronoi-region walk: vertex regions, then edge regions, then the face. It is
/// exact up to f32 rounding (no iteration, no approximation), which is what "exact signed
/// distance" means here.
#[inline]
pub fn closest_point(p: V3, a: V3, b: V3, c: V3) -> V3 {
    let ab = sub(b, a);
    let ac = sub(c, a);
    let ap = sub(p, a);
    let d1 = dot(ab, ap);
    let d2 = dot(ac, ap);
    if d1 <= 0.0 && d2 <= 0.0 {
        return a;
    }
    let bp = sub(p, b);
    let d3 = dot(ab, bp);
    let d4 = dot(ac, bp);
    if d3 >= 0.0 && d4 <= d3 {
        return b;
    }
    let vc = d1 * d4 - d3 * d2;
    if vc <= 0.0 && d1 >= 0.0 && d3 <= 0.0 {
        return add(a, scale(ab, d1 / (d1 - d3)));
    }
    let cp = sub(p, c);
    let d5 = dot(ab, cp);
    let d6 = dot(ac, cp);
    if d6 >= 0.0 && d5 <= d6 {
        return c;
    }
    let vb = d5 * d2 - d1 * d6;
    if vb <= 0.0 && d2 >= 0.0 && d6 <= 0.0 {
        return add(a, scale(ac, d2 / (d2 - d6)));
    }
    let va = d3 * d6 - d5 * d4;
    if va <= 0.0 && (d4 - d3) >= 0.0 && (d5 - d6) >= 0.0 {
        let w = (d4 - d3) / ((d4 - d3) + (d5 - d6));
        return add(b, scale(sub(c, b), w));
    }
    let sum = va + vb + vc;
    if sum > 0.0 {
        let v = vb / sum;
        let w = vc / sum;
        add(a, add(scale(ab, v), scale(ac, w)))
    } else {
        // A sliver so thin that rounding lost its area: the closest point is on an edge.
        let e = [
            segment_closest(p, a, b),
            segment_closest(p, b, c),
            segment_closest(p, c, a),
        ];
        let mut best = e[0];
        for x in &e[1..] {
            if len2(sub(p, *x)) < len2(sub(p, best)) {
                best = *x;
            }
        }
        best
    }
}

/// Squared distance from `p` to triangle `abc`.
#[inline]
pub fn distance2(p: V3, a: V3, b: V3, c: V3) -> f32 {
    len2(sub(p, closest_point(p, a, b, c)))
}

fn segment_closest(p: V3, a: V3, b: V3) -> V3 {
    let ab = sub(b, a);
    let l = len2(ab);
    if l <= 0.0 {
        return a;
    }
    let t = (dot(sub(p, a), ab) / l).clamp(0.0, 1.0);
    add(a, scale(ab, t))
}

/// Solid angle of triangle `abc` seen from `p`, signed: positive when `p` is on the side the
/// counter-clockwise normal points away from (i.e. "inside" an outward-oriented surface).
/// Divided by 4π it is the triangle's contribution to the winding number.
#[inline]
pub fn solid_angle(p: V3, a: V3, b: V3, c: V3) -> f32 {
    let a = sub(a, p);
    let b = sub(b, p);
    let c = sub(c, p);
    let la = len2(a).sqrt();
    let lb = len2(b).sqrt();
    let lc = len2(c).sqrt();
    let det = dot(a, cross(b, c));
    let den = la * lb * lc + dot(a, b) * lc + dot(b, c) * la + dot(c, a) * lb;
    2.0 * det.atan2(den)
}

/// [`solid_angle`] in double precision, for reference computations in tests and checks.
pub fn solid_angle_f64(p: V3, a: V3, b: V3, c: V3) -> f64 {
    let p = to_d(p);
    let a = dsub(to_d(a), p);
    let b = dsub(to_d(b), p);
    let c = dsub(to_d(c), p);
    let (la, lb, lc) = (dlen(a), dlen(b), dlen(c));
    let det = ddot(a, dcross(b, c));
    let den = la * lb * lc + ddot(a, b) * lc + ddot(b, c) * la + ddot(c, a) * lb;
    2.0 * det.atan2(den)
}

/// Half the cross product of two edges: the area-weighted normal of the triangle.
#[inline]
pub fn area_vector(a: V3, b: V3, c: V3) -> D3 {
    let (a, b, c) = (to_d(a), to_d(b), to_d(c));
    dscale(dcross(dsub(b, a), dsub(c, a)), 0.5)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Brute force: the minimum over a fine barycentric grid can only be ≥ the exact value.
    #[test]
    fn closest_point_is_never_beaten_by_sampling() {
        let tris = [
            ([0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]),
            ([0.3, -0.2, 0.5], [2.0, 0.1, -0.4], [0.9, 1.7, 0.2]),
            ([0.0, 0.0, 0.0], [10.0, 0.0, 0.0], [5.0, 0.01, 0.0]),
        ];
        let pts = [
            [0.2, 0.2, 1.0],
            [-1.0, -1.0, 0.0],
            [2.0, 2.0, 2.0],
            [0.5, -3.0, 0.1],
            [5.0, 0.005, 0.3],
            [1.0, 0.9, -0.5],
        ];
        for &(a, b, c) in &tris {
            for &p in &pts {
                let exact = distance2(p, a, b, c);
                let n = 200;
                let mut sampled = f32::INFINITY;
                for i in 0..=n {
                    for j in 0..=(n - i) {
                        let (u, v) = (i as f32 / n as f32, j as f32 / n as f32);
                        let x = add(a, add(scale(sub(b, a), u), scale(sub(c, a), v)));
                        sampled = sampled.min(len2(sub(p, x)));
                    }
                }
                assert!(
                    exact <= sampled * (1.0 + 1e-5) + 1e-7,
                    "{exact} > {sampled}"
                );
                assert!(sampled.sqrt() - exact.sqrt() < 0.06, "{exact} vs {sampled}");
            }
        }
    }

    #[test]
    fn solid_angle_of_a_closed_tetrahedron_is_four_pi_inside() {
        let v = [
            [0.0, 0.0, 0.0],
            [1.0, 0.0, 0.0],
            [0.0, 1.0, 0.0],
            [0.0, 0.0, 1.0],
        ];
        // Outward-oriented faces.
        let f = [[0, 2, 1], [0, 1, 3], [0, 3, 2], [1, 2, 3]];
        let total = |p: V3| -> f64 {
            f.iter()
                .map(|t| solid_angle_f64(p, v[t[0]], v[t[1]], v[t[2]]))
                .sum()
        };
        let w_in = total([0.1, 0.1, 0.1]) / (4.0 * std::f64::consts::PI);
        let w_out = total([1.0, 1.0, 1.0]) / (4.0 * std::f64::consts::PI);
        assert!((w_in - 1.0).abs() < 1e-12, "{w_in}");
        assert!(w_out.abs() < 1e-12, "{w_out}");
        let w32: f32 = f
            .iter()
            .map(|t| solid_angle([0.1, 0.1, 0.1], v[t[0]], v[t[1]], v[t[2]]))
            .sum();
        assert!((w32 / (4.0 * std::f32::consts::PI) - 1.0).abs() < 1e-5);
    }
}
