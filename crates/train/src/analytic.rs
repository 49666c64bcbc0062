//! Shapes with exact closed-form signed distances, for testing and measuring the trainer without
//! a mesh. Their default sizes fill the ball of radius [`SHAPE_RADIUS`], as a normalised mesh
//! would.

use rayon::prelude::*;

use super::rng::Rng;
use super::target::{Target, SHAPE_RADIUS};

fn length(v: [f32; 3]) -> f32 {
    (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt()
}

/// Evaluates `f` at every point, in parallel blocks.
fn each(points: &[[f32; 3]], out: &mut [f32], f: impl Fn([f32; 3]) -> f32 + Sync) {
    out.par_chunks_mut(4096)
        .zip(points.par_chunks(4096))
        .for_each(|(out, points)| {
            for (d, &p) in out.iter_mut().zip(points) {
                *d = f(p);
            }
        });
}

/// A ball.
#[derive(Clone, Copy, Debug)]
pub struct Sphere {
    pub center: [f32; 3],
    pub radius: f32,
}

impl Default for Sphere {
    fn default() -> Sphere {
        Sphere {
            center: [0.0; 3],
            radius: SHAPE_RADIUS,
        }
    }
}

impl Target for Sphere {
    fn gradients(&self, points: &[[f32; 3]], _: &[f32], out: &mut [[f32; 3]]) -> bool {
        central_differences(self, points, out)
    }

    fn distances(&self, points: &[[f32; 3]], out: &mut [f32]) {
        each(points, out, |p| {
            length([0, 1, 2].map(|i| p[i] - self.center[i])) - self.radius
        });
    }

    fn surface_points(&self, n: usize, seed: u64) -> Vec<[f32; 3]> {
        let mut rng = Rng::new(seed);
        (0..n)
            .map(|_| {
                let u = rng.direction();
                [0, 1, 2].map(|i| self.center[i] + self.radius * u[i])
            })
            .collect()
    }
}

/// An axis-aligned box centred at the origin: sharp edges and corners, which a ReLU network
/// must carve out of its piecewise-linear pieces.
#[derive(Clone, Copy, Debug)]
pub struct Cuboid {
    pub half: [f32; 3],
}

impl Default for Cuboid {
    /// A 1 : 0.8 : 0.6 box whose half-diagonal is [`SHAPE_RADIUS`].
    fn default() -> Cuboid {
        let k = SHAPE_RADIUS / length([1.0, 0.8, 0.6]);
        Cuboid {
            half: [k, 0.8 * k, 0.6 * k],
        }
    }
}

impl Target for Cuboid {
    fn gradients(&self, points: &[[f32; 3]], _: &[f32], out: &mut [[f32; 3]]) -> bool {
        central_differences(self, points, out)
    }

    fn distances(&self, points: &[[f32; 3]], out: &mut [f32]) {
        each(points, out, |p| {
            let q = [0, 1, 2].map(|i| p[i].abs() - self.half[i]);
            length(q.map(|x| x.max(0.0))) + q[0].max(q[1]).max(q[2]).min(0.0)
        });
    }

    fn surface_points(&self, n: usize, seed: u64) -> Vec<[f32; 3]> {
        let h = self.half;
        // Face pairs normal to x, y, z, weighted by area.
        let areas = [h[1] * h[2], h[0] * h[2], h[0] * h[1]];
        let total: f32 = areas.iter().sum();
        let mut rng = Rng::new(seed);
        (0..n)
            .map(|_| {
                let pick = rng.f32() * total;
                let axis = if pick < areas[0] {
                    0
                } else if pick < areas[0] + areas[1] {
                    1
                } else {
                    2
                };
                let mut p = [0, 1, 2].map(|i| rng.uniform(-h[i], h[i]));
                p[axis] = if rng.f32() < 0.5 { -h[axis] } else { h[axis] };
                p
            })
            .collect()
    }
}

/// A ring torus around the z axis.
#[derive(Clone, Copy, Debug)]
pub struct Torus {
    /// Distance from the centre to the middle of the tube.
    pub major: f32,
    /// Radius of the tube.
    pub minor: f32,
}

impl Default for Torus {
    /// Tube radius half the ring radius; outer radius [`SHAPE_RADIUS`].
    fn default() -> Torus {
        Torus {
            major: SHAPE_RADIUS * 2.0 / 3.0,
            minor: SHAPE_RADIUS / 3.0,
        }
    }
}

impl Target for Torus {
    fn gradients(&self, points: &[[f32; 3]], _: &[f32], out: &mut [[f32; 3]]) -> bool {
        central_differences(self, points, out)
    }

    fn distances(&self, points: &[[f32; 3]], out: &mut [f32]) {
        each(points, out, |p| {
            let ring = (p[0] * p[0] + p[1] * p[1]).sqrt() - self.major;
            (ring * ring + p[2] * p[2]).sqrt() - self.minor
        });
    }

    fn surface_points(&self, n: usize, seed: u64) -> Vec<[f32; 3]> {
        let (big, small) = (self.major, self.minor);
        let mut rng = Rng::new(seed);
        let mut points = Vec::with_capacity(n);
        while points.len() < n {
            let u = std::f32::consts::TAU * rng.f32();
            let v = std::f32::consts::TAU * rng.f32();
            // The area element is proportional to (R + r cos v): accept with that probability.
            if rng.f32() * (big + small) > big + small * v.cos() {
                continue;
            }
            let w = big + small * v.cos();
            points.push([w * u.cos(), w * u.sin(), small * v.sin()]);
        }
        points
    }
}

/// The distance's gradient by central differences (step 1e-4), normalised: exact shapes are
/// smooth away from their edges and medial axes, which is all the tests ask of it.
fn central_differences(target: &dyn Target, points: &[[f32; 3]], out: &mut [[f32; 3]]) -> bool {
    const H: f32 = 1e-4;
    let mut probes = Vec::with_capacity(6 * points.len());
    for p in points {
        for k in 0..3 {
            for s in [H, -H] {
                let mut q = *p;
                q[k] += s;
                probes.push(q);
            }
        }
    }
    let mut d = vec![0.0; probes.len()];
    target.distances(&probes, &mut d);
    for (o, d) in out.iter_mut().zip(d.chunks_exact(6)) {
        let g = [0, 1, 2].map(|k| (d[2 * k] - d[2 * k + 1]) / (2.0 * H));
        let len = (g[0] * g[0] + g[1] * g[1] + g[2] * g[2]).sqrt();
        *o = if len > 0.0 {
            g.map(|x| x / len)
        } else {
            [0.0; 3]
        };
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Surface samples must lie on the zero level set, and points just outside/inside along a
    /// coordinate direction must have the right sign.
    fn check_surface(t: &dyn Target) {
        let pts = t.surface_points(2000, 5);
        let mut d = vec![0.0; pts.len()];
        t.distances(&pts, &mut d);
        assert!(
            d.iter().all(|d| d.abs() < 1e-5),
            "max {:?}",
            d.iter().fold(0f32, |m, d| m.max(d.abs()))
        );
        assert!(pts.iter().all(|p| length(*p) <= SHAPE_RADIUS + 1e-5));
        let far = [[0.99, 0.99, 0.99]];
        let mut f = [0.0f32];
        t.distances(&far, &mut f);
        assert!(f[0] > 0.0);
    }

    #[test]
    fn surfaces_lie_on_the_zero_set() {
        check_surface(&Sphere::default());
        check_surface(&Cuboid::default());
        check_surface(&Torus::default());
    }

    #[test]
    fn known_values() {
        let mut d = [0.0f32; 3];
        Sphere::default().distances(&[[0.0; 3], [1.0, 0.0, 0.0], [0.0, 0.3, 0.0]], &mut d);
        assert_eq!(d, [-0.9, 1.0 - 0.9, 0.3 - 0.9]);
        let b = Cuboid {
            half: [0.5, 0.4, 0.3],
        };
        b.distances(&[[0.0; 3], [0.7, 0.0, 0.0], [0.8, 0.8, 0.0]], &mut d);
        assert_eq!(d[0], -0.3);
        assert!((d[1] - 0.2).abs() < 1e-6);
        assert!((d[2] - (0.09f32 + 0.16).sqrt()).abs() < 1e-6);
        let t = Torus {
            major: 0.6,
            minor: 0.2,
        };
        t.distances(&[[0.6, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.5]], &mut d);
        assert!((d[0] + 0.2).abs() < 1e-6);
        assert!((d[1] - 0.4).abs() < 1e-6);
        assert!((d[2] - ((0.36f32 + 0.25).sqrt() - 0.2)).abs() < 1e-6);
    }

    #[test]
    fn torus_samples_cover_inner_and_outer_sides_by_area() {
        let t = Torus::default();
        let pts = t.surface_points(20_000, 1);
        // Fraction on the outer half (distance from axis > major) is (π R + 2r)/(2π R) by area.
        let outer = pts
            .iter()
            .filter(|p| (p[0] * p[0] + p[1] * p[1]).sqrt() > t.major)
            .count();
        let expect = 0.5 + t.minor / (std::f32::consts::PI * t.major);
        let got = outer as f32 / pts.len() as f32;
        assert!((got - expect).abs() < 0.015, "{got} vs {expect}");
    }
}
