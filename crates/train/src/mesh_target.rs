//! A triangle mesh as a training [`Target`]: Davies' normalisation into the training frame, then
//! exact signed distances (winding-number sign) from [`nsdf_mesh::Sdf`].

use super::target::{away_from, Target, SHAPE_RADIUS};
use nsdf_mesh::{sample::sample_surface, sphere::min_enclosing_sphere, Mesh, Sdf};

/// A mesh in the training frame, with the similarity that put it there.
pub struct MeshTarget {
    pub mesh: Mesh,
    pub sdf: Sdf,
    /// `p_train = scale · p_world + offset`.
    pub scale: f64,
    pub offset: [f64; 3],
    /// Radius of the minimal enclosing sphere in the mesh's own units (the canonical unit).
    pub world_radius: f64,
}

impl MeshTarget {
    /// Maps `mesh` (world units) so its minimal enclosing sphere becomes the ball of radius
    /// [`SHAPE_RADIUS`] at the origin, and builds the distance structure.
    pub fn new(mut mesh: Mesh) -> MeshTarget {
        let sphere = min_enclosing_sphere(&mesh.positions);
        let (scale, offset) = sphere.normalization(SHAPE_RADIUS as f64);
        // In f64 then rounded once, so the training frame matches the stored transform closely.
        for p in &mut mesh.positions {
            *p = [0, 1, 2].map(|i| (p[i] as f64 * scale + offset[i]) as f32);
        }
        let sdf = Sdf::new(&mesh);
        MeshTarget {
            mesh,
            sdf,
            scale,
            offset,
            world_radius: SHAPE_RADIUS as f64 / scale,
        }
    }
}

impl Target for MeshTarget {
    fn distances(&self, points: &[[f32; 3]], out: &mut [f32]) {
        self.sdf.signed_distances(points, out)
    }

    /// The signed distance's gradient: on the surface (closer than 1e-6) the outward normal of
    /// the nearest triangle, elsewhere the direction away from the nearest point, reversed
    /// where `distances` says inside.
    fn gradients(&self, points: &[[f32; 3]], distances: &[f32], out: &mut [[f32; 3]]) -> bool {
        use nsdf_mesh::geom::{cross, len2, sub};
        use rayon::prelude::*;
        out.par_iter_mut()
            .zip(points.par_iter().zip(distances.par_iter()))
            .with_min_len(256)
            .for_each(|(o, (p, &signed))| {
                let (q, d, tri) = self.sdf.closest_point(*p);
                *o = if d > 1e-6 {
                    let s = if signed < 0.0 { -1.0 } else { 1.0 };
                    away_from(*p, q, d).map(|x| s * x)
                } else {
                    let [a, b, c] =
                        self.mesh.triangles[tri as usize].map(|v| self.mesh.positions[v as usize]);
                    let n = cross(sub(b, a), sub(c, a));
                    let len = len2(n).sqrt();
                    if len > 0.0 {
                        n.map(|x| x / len)
                    } else {
                        [0.0; 3]
                    }
                };
            });
        true
    }
    fn surface_points(&self, n: usize, seed: u64) -> Vec<[f32; 3]> {
        sample_surface(&self.mesh, n, seed).points
    }
}

/// A mesh's *unsigned* distances, for the sign-agnostic recipes ([`crate::Recipe::Sal`], [`crate::Recipe::Sald`]) on a
/// mesh whose orientation cannot be trusted (a soup): the sign then comes from training, not
/// from the triangles' winding.
pub struct UnsignedMesh<'a>(pub &'a MeshTarget);

impl Target for UnsignedMesh<'_> {
    fn distances(&self, points: &[[f32; 3]], out: &mut [f32]) {
        self.0.sdf.unsigned_distances(points, out)
    }
    fn surface_points(&self, n: usize, seed: u64) -> Vec<[f32; 3]> {
        self.0.surface_points(n, seed)
    }
    /// The direction away from the closest point of the mesh.
    fn gradients(&self, points: &[[f32; 3]], _: &[f32], out: &mut [[f32; 3]]) -> bool {
        use rayon::prelude::*;
        out.par_iter_mut()
            .zip(points.par_iter())
            .with_min_len(256)
            .for_each(|(o, p)| {
                let (q, d, _) = self.0.sdf.closest_point(*p);
                *o = away_from(*p, q, d);
            });
        true
    }

    fn is_signed(&self) -> bool {
        false
    }
}
