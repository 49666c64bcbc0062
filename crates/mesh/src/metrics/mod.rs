//! Accuracy of a shape against its reference mesh, and of a mesh against a mesh: what
//! `nsdf compare` reports. Definitions (also in `docs/metrics.md`, and matching the Python
//! peer figures in the shared notes so numbers compare):
//!
//! - **Frame.** R is the radius of the mesh's minimal enclosing sphere (centre c). Canonical
//!   units are world units divided by R. The *bounding cube* is c ± R/0.9 on every axis: Davies'
//!   training domain [-1, 1]³ once the sphere is scaled to radius 0.9.
//! - **Point sets** (seeded, so runs repeat exactly): P_gt = n area-uniform surface samples
//!   with face normals; *near* = P_gt plus N(0, (0.01 R)²) noise per axis; *uniform* = n points
//!   uniform in the bounding cube. Ground truth signs come from the mesh's exact signed distance
//!   ([`crate::Sdf`], winding-number sign).
//! - **Field metrics** ([`field_accuracy`]): surface mean/max |f| over P_gt; on near and
//!   uniform points sign agreement, F1 and IoU of the inside class (see [`occupancy`]).
//!   The volumetric IoU is the uniform-point IoU.
//! - **Mesh metrics** ([`distance::compare_meshes`]): Chamfer, Hausdorff and normal
//!   consistency between area-uniform samples of each mesh and the *exact* nearest point on the
//!   other mesh's triangles; Earth Mover's distance on a subsample ([`emd`]).
//! - **A network's surface** is its zero set ([`zero_set`]): marching cubes finds it, Newton
//!   steps reach it, and the same figures are taken there (the mesh is measured too).

pub mod codec;
pub mod decimate;
pub mod distance;
pub mod emd;
pub mod grid;
pub mod hausdorff;
pub mod occupancy;
pub mod sizes;
pub mod zero_set;

pub use distance::{compare_meshes, compare_sampled, MeshDistance, SampledMesh};
pub use occupancy::{occupancy, Occupancy};

use crate::sample::{sample_surface, Rng, SurfaceSamples};
use crate::sphere::min_enclosing_sphere;
use crate::{Mesh, Sdf};

/// Noise of the near-surface points, in units of R.
pub const NEAR_SIGMA: f64 = 0.01;
/// Half side of the bounding cube, in units of R (the sphere fills 0.9 of Davies' [-1, 1]³).
pub const CUBE_HALF: f64 = 1.0 / 0.9;

/// A reference mesh prepared for measuring: its frame, exact distance and point sets.
pub struct Reference {
    pub mesh: Mesh,
    pub sdf: Sdf,
    /// Centre and radius of the minimal enclosing sphere (world units).
    pub center: [f64; 3],
    pub radius: f64,
    /// P_gt: area-uniform surface samples with normals.
    pub surface: SurfaceSamples,
    pub near: Vec<[f32; 3]>,
    pub near_truth: Vec<f32>,
    pub uniform: Vec<[f32; 3]>,
    pub uniform_truth: Vec<f32>,
    /// Number of samples per set, and the seed that drew them.
    pub samples: usize,
    pub seed: u64,
}

impl Reference {
    /// Samples `n` points per set with `seed` and computes the exact signed distances there.
    /// The mesh must have triangles (every loaded mesh does).
    pub fn new(mesh: Mesh, n: usize, seed: u64) -> Reference {
        let sphere = min_enclosing_sphere(&mesh.positions);
        let (center, radius) = (sphere.center, sphere.radius.max(f64::MIN_POSITIVE));
        let sdf = Sdf::new(&mesh);
        let surface = sample_surface(&mesh, n, seed);
        let mut rng = Rng::new(seed ^ 0x6E65_6172);
        let sigma = NEAR_SIGMA * radius;
        let near: Vec<[f32; 3]> = surface
            .points
            .iter()
            .map(|p| p.map(|x| (x as f64 + sigma * gaussian(&mut rng)) as f32))
            .collect();
        let mut rng = Rng::new(seed ^ 0x756E_6966);
        let half = CUBE_HALF * radius;
        let uniform: Vec<[f32; 3]> = (0..n)
            .map(|_| [0, 1, 2].map(|a| (center[a] + half * (2.0 * rng.next_f64() - 1.0)) as f32))
            .collect();
        let mut near_truth = vec![0.0; near.len()];
        sdf.signed_distances(&near, &mut near_truth);
        let mut uniform_truth = vec![0.0; uniform.len()];
        sdf.signed_distances(&uniform, &mut uniform_truth);
        Reference {
            mesh,
            sdf,
            center,
            radius,
            surface,
            near,
            near_truth,
            uniform,
            uniform_truth,
            samples: n,
            seed,
        }
    }

    /// The bounding cube `[min, max]` (world units), also the reconstruction domain.
    pub fn cube(&self) -> [[f32; 3]; 2] {
        let half = CUBE_HALF * self.radius;
        [
            self.center.map(|c| (c - half) as f32),
            self.center.map(|c| (c + half) as f32),
        ]
    }
}

/// A standard normal deviate (Box–Muller), from our seedable generator.
pub(crate) fn gaussian(rng: &mut Rng) -> f64 {
    let u = 1.0 - rng.next_f64(); // (0, 1]: keeps ln finite
    let v = rng.next_f64();
    (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
}

/// How well a distance field (a network, or another mesh's exact SDF) matches the reference.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FieldAccuracy {
    /// Mean and max |f| over P_gt, in the units of the points (divide by R for canonical).
    pub surface_mean: f64,
    pub surface_max: f64,
    pub near: Occupancy,
    pub uniform: Occupancy,
    /// Mean |f − d| on the near and uniform points (same units).
    pub near_mae: f64,
    pub uniform_mae: f64,
}

/// Evaluates `distances` (batch: points → signed distances, negative inside) on the
/// reference's point sets; see [`measure_field`].
pub fn field_accuracy(
    reference: &Reference,
    distances: impl Fn(&[[f32; 3]], &mut [f32]),
) -> FieldAccuracy {
    measure_field(
        &reference.surface.points,
        (&reference.near, &reference.near_truth),
        (&reference.uniform, &reference.uniform_truth),
        distances,
    )
}

/// The one accuracy measurement: `nsdf compare` (on a [`Reference`]) and the statistics
/// `nsdf pack` stores (on the trainer's held-out probe) both call it. `surface` points lie on the
/// true surface; `near` and `uniform` come with their true signed distances. Non-finite values
/// count as wrong: outside, and an infinite error.
pub fn measure_field(
    surface: &[[f32; 3]],
    near: (&[[f32; 3]], &[f32]),
    uniform: (&[[f32; 3]], &[f32]),
    distances: impl Fn(&[[f32; 3]], &mut [f32]),
) -> FieldAccuracy {
    let eval = |points: &[[f32; 3]]| {
        let mut out = vec![0.0f32; points.len()];
        distances(points, &mut out);
        out
    };
    let error = |d: f32| {
        if d.is_finite() {
            d.abs() as f64
        } else {
            f64::INFINITY
        }
    };
    let mean = |v: &mut dyn Iterator<Item = f64>, n: usize| v.sum::<f64>() / n.max(1) as f64;
    let on_surface = eval(surface);
    let near_f = eval(near.0);
    let uniform_f = eval(uniform.0);
    let mae =
        |f: &[f32], d: &[f32]| mean(&mut f.iter().zip(d).map(|(&f, &d)| error(f - d)), f.len());
    FieldAccuracy {
        surface_mean: mean(&mut on_surface.iter().map(|&d| error(d)), on_surface.len()),
        surface_max: on_surface.iter().map(|&d| error(d)).fold(0.0, f64::max),
        near: occupancy(&near_f, near.1),
        uniform: occupancy(&uniform_f, uniform.1),
        near_mae: mae(&near_f, near.1),
        uniform_mae: mae(&uniform_f, uniform.1),
    }
}

/// Mean angle in degrees between a field's gradient and the reference's face normals on P_gt:
/// how faithful the shading of a distance field is. A zero or non-finite gradient counts as
/// 180° (no usable normal).
pub fn normal_error(
    reference: &Reference,
    gradients: impl Fn(&[[f32; 3]], &mut [[f32; 3]]),
) -> f64 {
    let points = &reference.surface.points;
    let mut g = vec![[0.0f32; 3]; points.len()];
    gradients(points, &mut g);
    let total: f64 = g
        .iter()
        .zip(&reference.surface.normals)
        .map(|(g, n)| {
            let len = (g[0] as f64).hypot(g[1] as f64).hypot(g[2] as f64);
            if !(len.is_finite() && len > 0.0) {
                return 180.0;
            }
            let cos =
                (g[0] as f64 * n[0] as f64 + g[1] as f64 * n[1] as f64 + g[2] as f64 * n[2] as f64)
                    / len;
            cos.clamp(-1.0, 1.0).acos().to_degrees()
        })
        .sum();
    total / points.len().max(1) as f64
}

/// The axis-aligned box [0, size], outward-facing (for tests here and in [`zero_set`]).
#[cfg(test)]
fn box_mesh(size: [f32; 3]) -> Mesh {
    let positions = (0..8)
        .map(|i| [0, 1, 2].map(|a| if (i >> a) & 1 == 1 { size[a] } else { 0.0 }))
        .collect();
    let quads = [
        [0, 2, 3, 1],
        [4, 5, 7, 6],
        [0, 1, 5, 4],
        [2, 6, 7, 3],
        [0, 4, 6, 2],
        [1, 3, 7, 5],
    ];
    let triangles = quads
        .iter()
        .flat_map(|q| [[q[0], q[1], q[2]], [q[0], q[2], q[3]]])
        .collect();
    Mesh {
        positions,
        triangles,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The axis-aligned box [0,2]×[0,1]×[0,1], outward-facing.
    fn cuboid() -> Mesh {
        box_mesh([2.0, 1.0, 1.0])
    }

    #[test]
    fn frame_and_point_sets_follow_the_definitions() {
        let r = Reference::new(cuboid(), 20_000, 3);
        // Minimal sphere of the box: centre (1, ½, ½), radius √(1 + ¼ + ¼).
        assert!((r.radius - 1.5f64.sqrt()).abs() < 1e-9);
        assert!((r.center[0] - 1.0).abs() < 1e-9 && (r.center[1] - 0.5).abs() < 1e-9);
        let [lo, hi] = r.cube();
        assert!(r
            .uniform
            .iter()
            .all(|p| (0..3).all(|a| p[a] >= lo[a] && p[a] <= hi[a])));
        // Near points are P_gt moved by N(0, (0.01 R)²) per axis: check the spread.
        let var: f64 = r
            .near
            .iter()
            .zip(&r.surface.points)
            .map(|(q, p)| (0..3).map(|a| ((q[a] - p[a]) as f64).powi(2)).sum::<f64>())
            .sum::<f64>()
            / (3 * r.near.len()) as f64;
        let sigma = NEAR_SIGMA * r.radius;
        assert!(
            (var.sqrt() / sigma - 1.0).abs() < 0.03,
            "{} vs {sigma}",
            var.sqrt()
        );
        // Same seed, same sets.
        assert_eq!(
            Reference::new(cuboid(), 1000, 9).uniform,
            Reference::new(cuboid(), 1000, 9).uniform
        );
    }

    #[test]
    fn exact_field_scores_perfectly_and_an_offset_shows_in_the_surface_error() {
        let r = Reference::new(cuboid(), 20_000, 4);
        let exact = field_accuracy(&r, |p, o| r.sdf.signed_distances(p, o));
        assert!(exact.surface_max < 1e-6, "{exact:?}");
        assert_eq!(exact.near.f1, 1.0);
        assert_eq!(exact.uniform.iou, 1.0);
        // The field grown by 0.05: |f| = 0.05 everywhere on the surface, and the shell it adds
        // outside is called inside, so IoU and sign agreement drop below 1.
        let grown = field_accuracy(&r, |p, o| {
            r.sdf.signed_distances(p, o);
            o.iter_mut().for_each(|d| *d -= 0.05);
        });
        assert!(
            (grown.surface_mean - 0.05).abs() < 1e-6 && (grown.surface_max - 0.05).abs() < 1e-6
        );
        assert!(grown.uniform.iou < 1.0 && grown.uniform.sign_agreement < 1.0);
        let vol_box = 2.0;
        let vol_cube = (2.0 * CUBE_HALF * r.radius).powi(3);
        let inside = r.uniform_truth.iter().filter(|d| **d < 0.0).count() as f64 / r.samples as f64;
        assert!((inside - vol_box / vol_cube).abs() < 0.01, "{inside}");
    }
}

/// What was measured of one side of a comparison (the network or a baseline); `None` where a
/// figure does not apply (grids have no mesh, meshes no gradient) or could not be measured.
#[derive(Clone, Copy, Debug, Default)]
pub struct Measured {
    pub bytes: Option<u64>,
    pub acc: Option<FieldAccuracy>,
    /// The surface against the reference: a mesh's triangles, a field's zero set
    /// ([`zero_set`]).
    pub dist: Option<MeshDistance>,
    /// A field's marching-cubes mesh against the reference: what `nsdf mesh` writes at the
    /// measured resolution (the mesher's error included).
    pub mesh: Option<MeshDistance>,
    pub normals: Option<f64>,
    pub triangles: Option<usize>,
}

/// The figures of [`Measured::values`], in report order (`nsdf compare`'s columns).
pub const METRIC_KEYS: [&str; 25] = [
    "bytes",
    "surface_mean",
    "surface_max",
    "surface_mean_canon",
    "surface_max_canon",
    "near_mae_canon",
    "uniform_mae_canon",
    "normal_error_deg",
    "sign_near",
    "f1_near",
    "sign_uniform",
    "f1_uniform",
    "iou",
    "chamfer_l1",
    "chamfer_l2",
    "hausdorff",
    "hausdorff_missed",
    "hausdorff_extra",
    "emd",
    "chamfer_l1_world",
    "hausdorff_world",
    "normal_consistency",
    "triangles",
    "mesh_chamfer_l1",
    "mesh_hausdorff",
];

impl Measured {
    /// Every figure under its [`METRIC_KEYS`] name; `r` is the reference's radius (canonical
    /// units divide by it).
    pub fn values(&self, r: f64) -> [(&'static str, Option<f64>); 25] {
        let (acc, dist) = (self.acc, self.dist);
        let canon = dist.map(|d| d.canonical(r));
        let mesh = self.mesh.map(|d| d.canonical(r));
        METRIC_KEYS.map(|key| {
            let v = match key {
                "bytes" => self.bytes.map(|b| b as f64),
                "surface_mean" => acc.map(|a| a.surface_mean),
                "surface_max" => acc.map(|a| a.surface_max),
                "surface_mean_canon" => acc.map(|a| a.surface_mean / r),
                "surface_max_canon" => acc.map(|a| a.surface_max / r),
                "near_mae_canon" => acc.map(|a| a.near_mae / r),
                "uniform_mae_canon" => acc.map(|a| a.uniform_mae / r),
                "normal_error_deg" => self.normals,
                "sign_near" => acc.map(|a| a.near.sign_agreement),
                "f1_near" => acc.map(|a| a.near.f1),
                "sign_uniform" => acc.map(|a| a.uniform.sign_agreement),
                "f1_uniform" => acc.map(|a| a.uniform.f1),
                "iou" => acc.map(|a| a.uniform.iou),
                "chamfer_l1" => canon.map(|d| d.chamfer_l1),
                "chamfer_l2" => canon.map(|d| d.chamfer_l2),
                "hausdorff" => canon.map(|d| d.hausdorff),
                "hausdorff_missed" => canon.map(|d| d.missed),
                "hausdorff_extra" => canon.map(|d| d.extra),
                "emd" => canon.map(|d| d.emd).filter(|e| e.is_finite()),
                "chamfer_l1_world" => dist.map(|d| d.chamfer_l1),
                "hausdorff_world" => dist.map(|d| d.hausdorff),
                "normal_consistency" => dist.map(|d| d.normal_consistency),
                "triangles" => self.triangles.map(|t| t as f64),
                "mesh_chamfer_l1" => mesh.map(|d| d.chamfer_l1),
                "mesh_hausdorff" => mesh.map(|d| d.hausdorff),
                _ => None,
            };
            (key, v)
        })
    }
}

/// A mesh's side of a comparison (an equal-bytes decimation, another tool's reconstruction):
/// its exact signed distance on the reference's point sets, and its surface against the
/// reference mesh. `bytes` is left for the caller.
pub fn measure_mesh(mesh: &Mesh, reference: &Reference, seed: u64) -> Measured {
    let sdf = Sdf::new(mesh);
    Measured {
        bytes: None,
        acc: Some(field_accuracy(reference, |p, o| sdf.signed_distances(p, o))),
        dist: Some(compare_meshes(
            &reference.mesh,
            &reference.sdf,
            &reference.surface,
            mesh,
            reference.samples,
            seed,
        )),
        mesh: None,
        normals: None,
        triangles: Some(mesh.triangles.len()),
    }
}

/// The network's side of `nsdf compare`: the field on the reference's point sets, its normals,
/// and its surface against the reference mesh ([`surface_distance`]). `bytes` is left for the
/// caller (the file's size).
pub fn measure_shape(
    shape: &nsdf::Shape,
    reference: &Reference,
    resolution: usize,
    seed: u64,
) -> Result<Measured, String> {
    let acc = field_accuracy(reference, |p, o| shape.distances(p, o));
    let surface = surface_distance(shape, reference, resolution, seed)?;
    let normals = normal_error(reference, |p, g| {
        let mut d = vec![0.0; p.len()];
        shape.gradients(p, &mut d, g)
    });
    Ok(Measured {
        bytes: None,
        acc: Some(acc),
        dist: surface.zero_set,
        mesh: surface.mesh,
        normals: Some(normals),
        triangles: surface.triangles,
    })
}

/// A field's surface against the reference mesh, measured twice ([`surface_distance`]).
#[derive(Clone, Copy, Debug, Default)]
pub struct SurfaceDistance {
    /// The zero set itself ([`zero_set`]), world units.
    pub zero_set: Option<MeshDistance>,
    /// The marching-cubes mesh the zero set was found with.
    pub mesh: Option<MeshDistance>,
    /// That mesh's triangles.
    pub triangles: Option<usize>,
}

/// The surface of `shape` against the reference mesh: marching cubes with `resolution` cells
/// along the bounding cube's side finds the zero set, which is measured itself
/// ([`zero_set::compare_zero_set`]) and as that mesh. `None` figures where the field has no
/// surface in the cube.
pub fn surface_distance(
    shape: &nsdf::Shape,
    reference: &Reference,
    resolution: usize,
    seed: u64,
) -> Result<SurfaceDistance, String> {
    let params = crate::surface::Params {
        resolution,
        bounds: reference.cube(),
        lipschitz: None,
        dense: false,
    };
    let x = crate::surface::extract(shape, &params)?;
    let mesh = Mesh::from_soup(x.mesh.positions, x.mesh.triangles)
        .ok()
        .map(|l| l.mesh);
    let r = reference;
    let sampled = mesh
        .as_ref()
        .map(|m| SampledMesh::new(m, r.samples, seed ^ 0x0072_6563));
    // Not below what f32 coordinates can resolve there (a mesh far from the origin).
    let [lo, hi] = r.cube();
    let magnitude = lo.iter().chain(&hi).fold(0.0f32, |m, c| m.max(c.abs()));
    let tol = ((ZERO_SET_TOLERANCE * r.radius) as f32).max(8.0 * f32::EPSILON * magnitude);
    Ok(SurfaceDistance {
        zero_set: sampled
            .as_ref()
            .map(|m| zero_set::compare_zero_set(r, shape, m, x.cell_size, tol)),
        mesh: sampled
            .as_ref()
            .map(|m| compare_sampled(&r.mesh, &r.sdf, &r.surface, m)),
        triangles: mesh.as_ref().map(|m| m.triangles.len()),
    })
}

/// |f| at which a point counts as on a field's zero set, in units of R: far below any surface
/// error measured (Chamfer ≥ 1e-4 R), far above f32 rounding of the coordinates.
pub const ZERO_SET_TOLERANCE: f64 = 1e-6;
