//! A point cloud as a training [`Target`]: Davies' normalisation into the training frame, then
//! *unsigned* distances to the nearest point (SAL's targets; a cloud has no inside) and their
//! directions (SALD's). Trained with [`crate::Loss::SignAgnostic`] from a sphere
//! ([`crate::Recipe::Sal`], [`crate::Recipe::Sald`]).

use super::rng::Rng;
use super::target::{away_from, Target, SHAPE_RADIUS};
use nsdf_mesh::distance::points::PointTree;
use nsdf_mesh::sphere::min_enclosing_sphere;
use nsdf_mesh::PointCloud;
use rayon::prelude::*;

/// A point cloud in the training frame, with the similarity that put it there.
pub struct CloudTarget {
    /// The points, training frame.
    pub points: Vec<[f32; 3]>,
    tree: PointTree,
    /// Typical spacing of the points: the median distance from a point to its nearest other
    /// point, over up to 4096 of them (training frame).
    pub spacing: f32,
    /// `p_train = scale · p_world + offset`.
    pub scale: f64,
    pub offset: [f64; 3],
    /// Radius of the minimal enclosing sphere in the cloud's own units (the canonical unit).
    pub world_radius: f64,
}

impl CloudTarget {
    /// Maps `cloud` (world units) so its minimal enclosing sphere becomes the ball of radius
    /// [`SHAPE_RADIUS`] at the origin, and builds the nearest-point tree.
    pub fn new(cloud: &PointCloud) -> CloudTarget {
        let sphere = min_enclosing_sphere(&cloud.positions);
        let (scale, offset) = sphere.normalization(SHAPE_RADIUS as f64);
        let points: Vec<[f32; 3]> = cloud
            .positions
            .iter()
            .map(|p| [0, 1, 2].map(|i| (p[i] as f64 * scale + offset[i]) as f32))
            .collect();
        let tree = PointTree::new(&points);
        let spacing = median_spacing(&points, &tree);
        CloudTarget {
            points,
            tree,
            spacing,
            scale,
            offset,
            world_radius: SHAPE_RADIUS as f64 / scale,
        }
    }
}

/// See [`CloudTarget::spacing`].
fn median_spacing(points: &[[f32; 3]], tree: &PointTree) -> f32 {
    let step = (points.len() / 4096).max(1);
    let mut stack = Vec::new();
    let mut gaps: Vec<f32> = points
        .iter()
        .step_by(step)
        .filter_map(|&p| {
            // The nearest point is p itself: look just beside it, excluding distance 0.
            let (_, d2) = tree.nearest_excluding(p, &mut stack)?;
            Some(d2.sqrt())
        })
        .collect();
    if gaps.is_empty() {
        return 0.0;
    }
    let mid = gaps.len() / 2;
    *gaps.select_nth_unstable_by(mid, f32::total_cmp).1
}

impl Target for CloudTarget {
    /// Unsigned distances to the nearest point.
    fn distances(&self, points: &[[f32; 3]], out: &mut [f32]) {
        let mut nearest = vec![(0u32, 0.0f32); points.len()];
        self.tree.nearest_batch(points, &mut nearest);
        for (o, (_, d)) in out.iter_mut().zip(nearest) {
            *o = d;
        }
    }

    /// `n` of the cloud's points, drawn with replacement (a scan's density is its own).
    fn surface_points(&self, n: usize, seed: u64) -> Vec<[f32; 3]> {
        let mut rng = Rng::new(seed);
        if self.points.is_empty() {
            return Vec::new();
        }
        (0..n)
            .map(|_| self.points[rng.below(self.points.len())])
            .collect()
    }

    /// The direction away from the nearest point; zero (unknown) closer than
    /// [`GRADIENT_MIN_SPACINGS`] spacings, where the nearest sample's direction is mostly
    /// sideways to the surface.
    fn gradients(&self, points: &[[f32; 3]], _: &[f32], out: &mut [[f32; 3]]) -> bool {
        let mut nearest = vec![(0u32, 0.0f32); points.len()];
        self.tree.nearest_batch(points, &mut nearest);
        let min = GRADIENT_MIN_SPACINGS * self.spacing;
        for ((o, p), (i, d)) in out.iter_mut().zip(points).zip(nearest) {
            let q = self.points[i as usize];
            *o = if d > min {
                away_from(*p, q, d)
            } else {
                [0.0; 3]
            };
        }
        true
    }

    fn is_signed(&self) -> bool {
        false
    }
}

/// Inside and outside of a point cloud where the points decide them, on a grid over the
/// training cube: cells far enough from every point that no surface through the points can
/// cross them are *outside* if empty space connects them to the cube's boundary, *inside* if
/// not; cells near the points stay undecided. A cloud with holes wider than the margin has no
/// inside at all (the fill leaks in), so this measures a network, never trains one.
pub struct Occupancy {
    n: usize,
    /// Per cell: 0 undecided, 1 outside, 2 inside.
    cells: Vec<u8>,
}

impl Occupancy {
    /// `Some(+1)` outside, `Some(−1)` inside, `None` undecided or outside the cube.
    pub fn sign(&self, p: [f32; 3]) -> Option<f32> {
        let n = self.n as f32;
        let mut index = 0usize;
        for &x in p.iter().rev() {
            let c = ((x + 1.0) * 0.5 * n).floor();
            if !(c >= 0.0 && c < n) {
                return None;
            }
            index = index * self.n + c as usize;
        }
        match self.cells[index] {
            1 => Some(1.0),
            2 => Some(-1.0),
            _ => None,
        }
    }

    /// Cells decided inside, and outside.
    pub fn counts(&self) -> (usize, usize) {
        let inside = self.cells.iter().filter(|&&c| c == 2).count();
        let outside = self.cells.iter().filter(|&&c| c == 1).count();
        (inside, outside)
    }

    /// Whether the fill found an interior: at least an eighth as many cells inside as blocked
    /// around the points. Closed clouds measured have about as many (bunny_hr 117k inside for
    /// 56k blocked at 128³, armadillo 43k for 41k); a hole lets the fill in and leaves only
    /// pockets (bunny_hr with an ear tip removed: 7 for 56k).
    pub fn is_closed(&self) -> bool {
        let (inside, outside) = self.counts();
        let blocked = self.cells.len() - inside - outside;
        inside * 8 >= blocked && inside > 0
    }
}

impl CloudTarget {
    /// The cloud's [`Occupancy`] on an `n`³ grid. A cell is blocked when its centre is within
    /// its half-diagonal plus [`MARGIN_SPACINGS`] times the cloud's
    /// [`spacing`](CloudTarget::spacing) of a point: the surface must not pass between blocked
    /// cells, and random samples leave gaps several times their median spacing.
    pub fn occupancy(&self, n: usize) -> Occupancy {
        let n = n.max(2);
        let h = 2.0 / n as f32;
        let margin = h * 0.5 * 3f32.sqrt() + MARGIN_SPACINGS * self.spacing;
        let centre = |i: usize| -1.0 + (i as f32 + 0.5) * h;
        let centres: Vec<[f32; 3]> = (0..n * n * n)
            .map(|k| [centre(k % n), centre(k / n % n), centre(k / (n * n))])
            .collect();
        // 0: blocked, 3: free and not reached (yet).
        let mut cells: Vec<u8> = centres
            .par_iter()
            .with_min_len(1024)
            .map_init(Vec::new, |stack, &c| {
                if self.tree.any_within(c, margin, stack) {
                    0
                } else {
                    3
                }
            })
            .collect();
        let mut queue: Vec<usize> = Vec::new();
        for (k, cell) in cells.iter_mut().enumerate() {
            let (x, y, z) = (k % n, k / n % n, k / (n * n));
            let boundary = [x, y, z].iter().any(|&c| c == 0 || c == n - 1);
            if boundary && *cell == 3 {
                *cell = 1;
                queue.push(k);
            }
        }
        while let Some(k) = queue.pop() {
            let (x, y, z) = (k % n, k / n % n, k / (n * n));
            let mut visit = |j: usize| {
                if cells[j] == 3 {
                    cells[j] = 1;
                    queue.push(j);
                }
            };
            if x > 0 {
                visit(k - 1);
            }
            if x + 1 < n {
                visit(k + 1);
            }
            if y > 0 {
                visit(k - n);
            }
            if y + 1 < n {
                visit(k + n);
            }
            if z > 0 {
                visit(k - n * n);
            }
            if z + 1 < n {
                visit(k + n * n);
            }
        }
        for c in &mut cells {
            if *c == 3 {
                *c = 2;
            }
        }
        Occupancy { n, cells }
    }

    /// Accuracy of the field `eval` (training frame) against the cloud itself, canonical units:
    /// surface error at `n` of its points; sign agreement and F1 against its [`Occupancy`]
    /// (at [`OCCUPANCY_GRID`]³) on `n` near-surface and `n` uniform points, counting only those
    /// the occupancy decides (NaN where it decides none). An open cloud (no inside decided) is
    /// judged only outside the shape's ball, where everything is outside, and has no F1. Mean
    /// errors off the surface need a signed truth and are NaN.
    pub fn accuracy(
        &self,
        n: usize,
        seed: u64,
        eval: impl Fn(&[[f32; 3]], &mut [f32]),
    ) -> crate::Accuracy {
        use super::metrics::NEAR_SIGMA;
        use super::sampling::{jitter, uniform_points};
        let canonical = 1.0 / SHAPE_RADIUS as f64;
        let surface = self.surface_points(n, seed ^ 0x5EED_0001);
        let mut f = vec![0.0; surface.len()];
        eval(&surface, &mut f);
        let abs = f.iter().map(|v| v.abs() as f64);
        let surface_mean = abs.clone().sum::<f64>() / f.len().max(1) as f64 * canonical;
        let surface_max = abs.fold(0.0, f64::max) * canonical;
        let occupancy = self.occupancy(OCCUPANCY_GRID);
        // A cloud with a hole wider than the fill's margin lets the outside in: nothing is
        // decided inside, and the enclosed space counts as outside. Then only points beyond the
        // shape's ball are known (outside), and no F1 can be measured.
        let closed = occupancy.is_closed();
        let beyond = SHAPE_RADIUS + 2.0 / OCCUPANCY_GRID as f32;
        let truth = |p: [f32; 3]| {
            if closed {
                occupancy.sign(p)
            } else {
                (p[0] * p[0] + p[1] * p[1] + p[2] * p[2] > beyond * beyond).then_some(1.0)
            }
        };
        let mut near = self.surface_points(n, seed ^ 0x5EED_0002);
        jitter(&mut near, NEAR_SIGMA * SHAPE_RADIUS, seed ^ 0x5EED_0003);
        let uniform = uniform_points(n, seed ^ 0x5EED_0004);
        let agreement = |points: Vec<[f32; 3]>| {
            let (decided, signs): (Vec<[f32; 3]>, Vec<f32>) = points
                .into_iter()
                .filter_map(|p| truth(p).map(|s| (p, s)))
                .unzip();
            if decided.is_empty() {
                return (f64::NAN, f64::NAN);
            }
            let mut f = vec![0.0; decided.len()];
            eval(&decided, &mut f);
            let o = nsdf_mesh::metrics::occupancy::occupancy(&f, &signs);
            (o.sign_agreement, if closed { o.f1 } else { f64::NAN })
        };
        let (sign_near, f1_near) = agreement(near);
        let (sign_uniform, f1_uniform) = agreement(uniform);
        crate::Accuracy {
            surface_mean,
            surface_max,
            f1_near,
            f1_uniform,
            sign_near,
            sign_uniform,
            mae_near: f64::NAN,
            mae_uniform: f64::NAN,
            surface_far: None,
        }
    }
}

/// The fill's margin in point spacings. 2 let the fill leak into a sphere of 20k random points
/// at 128³ (it held at 64³); 3 holds at both.
pub const MARGIN_SPACINGS: f32 = 3.0;

/// Grid resolution of the occupancy [`CloudTarget::accuracy`] measures against.
pub const OCCUPANCY_GRID: usize = 128;

/// Nearer to the cloud than this many [spacings](CloudTarget::spacing), the direction to the
/// nearest point says little about the surface's normal, and SALD's derivative term gets no
/// target there. On bunny_hr's 100k-point cloud (8×32, 60 epochs, λ 0.1; surface error / F1
/// near against the mesh): everywhere 0.00187 / 0.921, beyond 2 spacings 0.00150 / 0.939,
/// beyond 5 0.00150 / 0.940; without the term (SAL) 0.00155 / 0.940.
pub const GRADIENT_MIN_SPACINGS: f32 = 5.0;

#[cfg(test)]
mod tests {
    use super::*;

    /// `n` points on a sphere of radius `r` (world units: centred at (3, 0, 0), so the
    /// normalisation has work to do).
    fn sphere_cloud(n: usize, r: f32) -> PointCloud {
        let mut rng = Rng::new(7);
        PointCloud {
            positions: (0..n)
                .map(|_| {
                    let d = rng.direction();
                    [3.0 + r * d[0], r * d[1], r * d[2]]
                })
                .collect(),
            normals: None,
        }
    }

    #[test]
    fn distances_are_unsigned_and_the_frame_holds_the_cloud() {
        let t = CloudTarget::new(&sphere_cloud(5000, 2.0));
        assert!(!t.is_signed());
        assert!((t.world_radius - 2.0).abs() < 0.01, "{}", t.world_radius);
        let mut d = [0.0; 2];
        t.distances(&[[0.0; 3], [0.0, 0.0, 0.9]], &mut d);
        assert!((d[0] - 0.9).abs() < 0.01 && d[1] < 0.05, "{d:?}");
        // 5000 points on a sphere of area 4π·0.9²: spacing about √(area / n) ≈ 0.045.
        let s = t.spacing;
        assert!(s > 0.01 && s < 0.06, "{s}");
    }

    #[test]
    fn occupancy_finds_the_inside_of_a_closed_cloud_and_none_of_an_open_one() {
        let closed = CloudTarget::new(&sphere_cloud(20_000, 1.0));
        let occ = closed.occupancy(64);
        assert_eq!(occ.sign([0.0; 3]), Some(-1.0));
        assert_eq!(occ.sign([0.0, 0.0, 0.97]), Some(1.0));
        assert_eq!(occ.sign([0.0, 0.0, 0.9]), None);
        let (inside, outside) = occ.counts();
        // The ball of radius 0.9 minus the margin, against the rest of the cube.
        assert!(inside > 10_000 && outside > 100_000, "{inside} {outside}");
        // Cut a cap off: empty space runs in, nothing is decided inside.
        let mut open = sphere_cloud(20_000, 1.0);
        open.positions.retain(|p| p[2] < 0.6);
        let occ = CloudTarget::new(&open).occupancy(64);
        assert_eq!(occ.counts().0, 0);
        assert!(!occ.is_closed() && closed.occupancy(64).is_closed());
    }

    #[test]
    fn accuracy_judges_a_field_against_the_cloud_and_an_open_cloud_only_outside() {
        // The exact distance of the sphere the cloud was sampled from (training frame: radius
        // 0.9 at the origin), and the same field inside out.
        let exact = |p: &[[f32; 3]], out: &mut [f32]| {
            for (o, p) in out.iter_mut().zip(p) {
                *o = (p[0] * p[0] + p[1] * p[1] + p[2] * p[2]).sqrt() - 0.9;
            }
        };
        let flipped = |p: &[[f32; 3]], out: &mut [f32]| {
            exact(p, out);
            out.iter_mut().for_each(|d| *d = -*d);
        };
        let closed = CloudTarget::new(&sphere_cloud(20_000, 1.0));
        let good = closed.accuracy(4000, 1, exact);
        assert!(
            good.surface_mean < 1e-3 && good.sign_uniform == 1.0 && good.f1_uniform == 1.0,
            "{good}"
        );
        assert!(closed.accuracy(4000, 1, flipped).sign_uniform < 0.1);
        let mut open = sphere_cloud(20_000, 1.0);
        open.positions.retain(|p| p[2] < 0.6);
        let open = CloudTarget::new(&open);
        let a = open.accuracy(4000, 1, exact);
        assert!(
            a.sign_uniform == 1.0 && a.f1_uniform.is_nan() && a.f1_near.is_nan(),
            "{a}"
        );
        assert_eq!(open.accuracy(4000, 1, flipped).sign_uniform, 0.0);
    }
}
