//! A triangle mesh as a training [`Target`]: Davies' normalisation into the training frame, then
//! exact signed distances (winding-number sign) from [`nsdf_mesh::Sdf`].

use super::target::{Target, SHAPE_RADIUS};
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
    fn surface_points(&self, n: usize, seed: u64) -> Vec<[f32; 3]> {
        sample_surface(&self.mesh, n, seed).points
    }
}

/// A mesh's *unsigned* distances, for the sign-agnostic recipe ([`crate::Recipe::Sald`]) on a
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
    fn is_signed(&self) -> bool {
        false
    }
}
