//! Triangle meshes for nsdf: reading and writing them, exact signed distance to them, meshes
//! back from distance fields, and the one accuracy measurement every tool uses.
//!
//! - [`io`]: OBJ, PLY, STL and glTF/GLB readers ([`load()`] gives one welded, checked [`Mesh`]
//!   plus [`Warning`]s; errors are [`MeshError`]s) and OBJ/PLY/STL writers. [`Mesh::from_soup`]
//!   applies the same checks to triangles built in memory.
//! - [`distance`]: exact signed distance ([`Sdf`], negative inside, sign from the generalized
//!   winding number), multi-threaded through rayon's current pool, deterministic whatever the
//!   thread count; its BVHs, the closest-point and winding-number kernels.
//! - [`surface`]: marching cubes over a distance field (sparse, culled by bounds).
//! - [`metrics`]: accuracy of a shape or a mesh against a reference mesh (`nsdf compare` and the
//!   statistics `nsdf pack` stores both call it) and the equal-bytes decimation baseline.
//! - [`sphere::min_enclosing_sphere`] (Davies' normalisation), [`sample::sample_surface`]
//!   (seeded, area-weighted points with normals), [`check`] (edge topology), [`orient`]
//!   (consistent winding for soups with flipped triangles), [`intersect`]
//!   (self-intersections), [`geom`] (small vector helpers).
//!
//! One file per algorithm. May import: `nsdf` (the runtime), rayon, and the format crates.

pub mod check;
pub mod distance;
mod error;
pub mod geom;
pub mod intersect;
pub mod io;
pub mod metrics;
pub mod orient;
pub mod sample;
pub mod sphere;
pub mod surface;

pub use check::{Topology, Warning};
pub use distance::{Sdf, SdfOptions, SignMethod};
pub use error::MeshError;
pub use io::{load, load_bytes, load_input, load_input_bytes, Format, Input, Loaded, PointCloud};

/// An indexed triangle mesh: welded (no two vertices share a position), no degenerate
/// triangles, every index in range, every coordinate finite.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Mesh {
    pub positions: Vec<[f32; 3]>,
    pub triangles: Vec<[u32; 3]>,
}

impl Mesh {
    /// Axis-aligned bounding box of the vertices (min, max).
    pub fn bounds(&self) -> ([f32; 3], [f32; 3]) {
        geom::bounds(&self.positions)
    }

    /// The unnormalised normal of triangle `tri` (right-handed, length twice its area).
    pub fn face_normal(&self, tri: u32) -> [f32; 3] {
        let [a, b, c] = self.triangles[tri as usize].map(|v| self.positions[v as usize]);
        geom::cross(geom::sub(b, a), geom::sub(c, a))
    }

    /// Total surface area.
    pub fn area(&self) -> f64 {
        self.triangles
            .iter()
            .map(|t| {
                let [a, b, c] = t.map(|v| self.positions[v as usize]);
                geom::dlen(distance::triangle::area_vector(a, b, c))
            })
            .sum()
    }

    /// Checks and cleans a triangle soup or indexed mesh built in memory, exactly as the file
    /// loaders do: errors for unusable input, welding, dropping degenerate triangles,
    /// topology warnings.
    pub fn from_soup(
        positions: Vec<[f32; 3]>,
        triangles: Vec<[u32; 3]>,
    ) -> Result<Loaded, MeshError> {
        io::finish(positions, triangles)
    }

    /// Applies `p ↦ p·scale + offset` to every vertex, e.g. the normalisation from
    /// [`sphere::Sphere::normalization`]. `scale` must be positive (a negative one would turn
    /// the mesh inside out).
    pub fn transform(&mut self, scale: f32, offset: [f32; 3]) {
        for p in &mut self.positions {
            *p = geom::add(geom::scale(*p, scale), offset);
        }
    }
}
