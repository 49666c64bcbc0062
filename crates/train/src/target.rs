//! What the trainer fits: any shape that can answer exact signed distances and sample its own
//! surface. Meshes (`nsdf_mesh`) and the analytic shapes of [`super::analytic`] implement it.
//!
//! Everything happens in the *training frame*: the network's domain is the cube [-1, 1]³ and the
//! shape lies inside the ball of radius [`SHAPE_RADIUS`] (Davies et al. normalise meshes this
//! way). Accuracy figures are reported in canonical units (that ball scaled to radius 1), as in
//! the PyTorch reference.

/// Radius of the ball that holds the normalised shape, in the training frame.
pub const SHAPE_RADIUS: f32 = 0.9;

/// A shape to fit, in the training frame.
pub trait Target: Sync {
    /// Exact signed distances at `points` (negative inside); `out.len() == points.len()`.
    /// Batches are large (up to millions of points, in no particular order): implementations
    /// parallelise internally on the current rayon pool and may reorder queries for coherence.
    fn distances(&self, points: &[[f32; 3]], out: &mut [f32]);

    /// `n` points distributed uniformly by area on the surface; the same `seed` gives the same
    /// points.
    fn surface_points(&self, n: usize, seed: u64) -> Vec<[f32; 3]>;

    /// Unit gradients of [`Target::distances`] at `points` into `out` (for losses on the
    /// network's gradient: SALD's derivative term, SIREN's normals), given the `distances`
    /// already answered there (their signs need not be computed again); false where the
    /// target has none.
    fn gradients(&self, _points: &[[f32; 3]], _distances: &[f32], _out: &mut [[f32; 3]]) -> bool {
        false
    }

    /// Whether [`Target::distances`] are signed. Raw data (a point cloud) answers unsigned
    /// distances, which only a sign-agnostic loss can fit.
    fn is_signed(&self) -> bool {
        true
    }
}

/// The unit direction from `q` to `p`, which lie `d` apart (zero where they coincide): the
/// gradient of the distance to `q` at `p`.
pub fn away_from(p: [f32; 3], q: [f32; 3], d: f32) -> [f32; 3] {
    if d > 0.0 {
        [0, 1, 2].map(|k| (p[k] - q[k]) / d)
    } else {
        [0.0; 3]
    }
}

impl<T: Target + ?Sized> Target for &T {
    fn distances(&self, points: &[[f32; 3]], out: &mut [f32]) {
        (**self).distances(points, out)
    }
    fn surface_points(&self, n: usize, seed: u64) -> Vec<[f32; 3]> {
        (**self).surface_points(n, seed)
    }
    fn gradients(&self, points: &[[f32; 3]], distances: &[f32], out: &mut [[f32; 3]]) -> bool {
        (**self).gradients(points, distances, out)
    }
    fn is_signed(&self) -> bool {
        (**self).is_signed()
    }
}
