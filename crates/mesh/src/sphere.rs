//! The minimal enclosing sphere of a point set (Welzl 1991, move-to-front form, expected
//! linear time on a shuffled input). Davies et al. normalise each mesh by the centre and
//! radius of this sphere, so the trainer does the same.

use crate::geom::*;

/// A sphere in double precision.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sphere {
    pub center: D3,
    pub radius: f64,
}

impl Sphere {
    /// The similarity `p ↦ p·scale + offset` that maps this sphere onto the sphere of radius
    /// `target` centred at the origin (Davies' training frame uses `target` = 0.9).
    pub fn normalization(&self, target: f64) -> (f64, D3) {
        let scale = if self.radius > 0.0 {
            target / self.radius
        } else {
            1.0
        };
        (scale, dscale(self.center, -scale))
    }

    fn contains(&self, p: D3) -> bool {
        dlen(dsub(p, self.center)) <= self.radius * (1.0 + 1e-12) + 1e-300
    }
}

/// The smallest sphere containing every point. The result is then grown to the farthest point
/// from its centre, so it always contains them all despite rounding. Empty input: radius 0 at
/// the origin.
pub fn min_enclosing_sphere(points: &[[f32; 3]]) -> Sphere {
    let mut pts: Vec<D3> = points.iter().map(|p| to_d(*p)).collect();
    if pts.is_empty() {
        return Sphere {
            center: [0.0; 3],
            radius: 0.0,
        };
    }
    // Deterministic shuffle (the expected running time needs a random order).
    let mut state = 0x853c_49e6_748f_ea9bu64;
    for i in (1..pts.len()).rev() {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let j = ((state >> 33) % (i as u64 + 1)) as usize;
        pts.swap(i, j);
    }
    let mut s = Sphere {
        center: pts[0],
        radius: 0.0,
    };
    for i in 1..pts.len() {
        if !s.contains(pts[i]) {
            s = with_one(&pts[..i], pts[i]);
        }
    }
    let radius = pts
        .iter()
        .map(|p| dlen(dsub(*p, s.center)))
        .fold(0.0, f64::max);
    Sphere {
        center: s.center,
        radius,
    }
}

fn with_one(pts: &[D3], q: D3) -> Sphere {
    let mut s = Sphere {
        center: q,
        radius: 0.0,
    };
    for j in 0..pts.len() {
        if !s.contains(pts[j]) {
            s = with_two(&pts[..j], q, pts[j]);
        }
    }
    s
}

fn with_two(pts: &[D3], q1: D3, q2: D3) -> Sphere {
    let mut s = diametral(q1, q2);
    for k in 0..pts.len() {
        if !s.contains(pts[k]) {
            s = with_three(&pts[..k], q1, q2, pts[k]);
        }
    }
    s
}

fn with_three(pts: &[D3], q1: D3, q2: D3, q3: D3) -> Sphere {
    let mut s = circum3(q1, q2, q3);
    for &p in pts {
        if !s.contains(p) {
            s = circum4(q1, q2, q3, p);
        }
    }
    s
}

fn diametral(a: D3, b: D3) -> Sphere {
    let center = dscale(dadd(a, b), 0.5);
    Sphere {
        center,
        radius: dlen(dsub(a, center)),
    }
}

/// Smallest sphere through three points (their circumcircle); for (nearly) collinear points
/// the diametral sphere of the farthest pair.
fn circum3(a: D3, b: D3, c: D3) -> Sphere {
    let ab = dsub(b, a);
    let ac = dsub(c, a);
    let n = dcross(ab, ac);
    let n2 = ddot(n, n);
    let scale = ddot(ab, ab) * ddot(ac, ac);
    if n2 <= 1e-24 * scale {
        return farthest_pair(&[a, b, c]);
    }
    let u = dadd(
        dscale(dcross(n, ab), ddot(ac, ac)),
        dscale(dcross(ac, n), ddot(ab, ab)),
    );
    let center = dadd(a, dscale(u, 0.5 / n2));
    Sphere {
        center,
        radius: dlen(dsub(a, center)),
    }
}

/// Sphere through four points; when they are (nearly) coplanar, the smallest of the spheres
/// through three of them that contains the fourth.
fn circum4(a: D3, b: D3, c: D3, d: D3) -> Sphere {
    let (u, v, w) = (dsub(b, a), dsub(c, a), dsub(d, a));
    let det = ddot(u, dcross(v, w));
    let scale = dlen(u) * dlen(v) * dlen(w);
    if det.abs() > 1e-12 * scale {
        // Solve 2 [u v w]ᵀ x = (|u|², |v|², |w|²).
        let rhs = dscale([ddot(u, u), ddot(v, v), ddot(w, w)], 0.5);
        let x = dscale(
            dadd(
                dadd(dscale(dcross(v, w), rhs[0]), dscale(dcross(w, u), rhs[1])),
                dscale(dcross(u, v), rhs[2]),
            ),
            1.0 / det,
        );
        let center = dadd(a, x);
        return Sphere {
            center,
            radius: dlen(x),
        };
    }
    let all = [a, b, c, d];
    let mut best: Option<Sphere> = None;
    for skip in 0..4 {
        let t: Vec<D3> = (0..4).filter(|&i| i != skip).map(|i| all[i]).collect();
        let s = circum3(t[0], t[1], t[2]);
        if s.contains(all[skip]) {
            match best {
                Some(b) if b.radius <= s.radius => {}
                _ => best = Some(s),
            }
        }
    }
    best.unwrap_or_else(|| farthest_pair(&all))
}

fn farthest_pair(p: &[D3]) -> Sphere {
    let mut best = diametral(p[0], p[0]);
    for i in 0..p.len() {
        for j in i + 1..p.len() {
            let s = diametral(p[i], p[j]);
            if s.radius > best.radius {
                best = s;
            }
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cube_corners_give_the_half_diagonal() {
        let mut pts = Vec::new();
        for i in 0..8 {
            pts.push([
                (i & 1) as f32 * 2.0 - 1.0,
                ((i >> 1) & 1) as f32 * 2.0 - 1.0,
                (i >> 2) as f32 * 2.0 - 1.0,
            ]);
        }
        pts.push([0.1, 0.2, -0.3]);
        let s = min_enclosing_sphere(&pts);
        assert!((s.radius - 3f64.sqrt()).abs() < 1e-9, "{s:?}");
        assert!(dlen(s.center) < 1e-9);
    }

    #[test]
    fn points_on_a_sphere_and_inside() {
        // Pseudo-random directions on the sphere of radius 2 about (1, −2, 3), plus interior.
        let c = [1.0, -2.0, 3.0];
        let mut pts = Vec::new();
        let mut x = 1u64;
        let mut rnd = || {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (x >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
        };
        for i in 0..2000 {
            let d = [rnd(), rnd(), rnd()];
            let l = dlen(d);
            let r = if i % 3 == 0 { 2.0 } else { 1.5 * rnd().abs() };
            pts.push([
                (c[0] + d[0] / l * r) as f32,
                (c[1] + d[1] / l * r) as f32,
                (c[2] + d[2] / l * r) as f32,
            ]);
        }
        let s = min_enclosing_sphere(&pts);
        assert!((s.radius - 2.0).abs() < 1e-3, "{s:?}");
        assert!(dlen(dsub(s.center, c)) < 1e-3, "{s:?}");
        for p in &pts {
            assert!(dlen(dsub(to_d(*p), s.center)) <= s.radius);
        }
    }

    #[test]
    fn normalization_maps_the_sphere_to_the_target() {
        let s = Sphere {
            center: [1.0, 2.0, 3.0],
            radius: 4.0,
        };
        let (k, t) = s.normalization(0.9);
        let p = dadd(dscale([5.0, 2.0, 3.0], k), t);
        assert!((p[0] - 0.9).abs() < 1e-12 && p[1].abs() < 1e-12 && p[2].abs() < 1e-12);
    }
}
