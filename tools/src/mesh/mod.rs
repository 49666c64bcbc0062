//! Triangle meshes: loading, checking, and exact signed distance.
//!
//! What the trainer calls:
//! - [`load()`] reads OBJ, PLY, STL and glTF/GLB into one welded [`Mesh`] plus [`Warning`]s
//!   (errors are [`MeshError`]s); [`Mesh::from_soup`] applies the same checks to triangles
//!   built in memory.
//! - [`Sdf`] answers exact signed distances for batches of points
//!   ([`Sdf::signed_distances`], negative inside, sign from the generalized winding number),
//!   multi-threaded through rayon's current pool, deterministic whatever the thread count.
//! - [`sphere::min_enclosing_sphere`] (Davies' normalisation) and [`sample::sample_surface`]
//!   (seeded, area-weighted points with normals).
//!
//! One file per algorithm: `format_*` (one reader per format), `load` (the checks every reader
//! shares: weld, degenerate triangles, errors), `check` (edge topology), `bvh` (binary SAH
//! build), `wide` (the 8-wide oriented-box tree and the nearest-triangle query), `simd` (the
//! 8-lane vectors those kernels are written in), `triangle` (closest point, solid angle),
//! `intersect` (self-intersections), `winding` (Barill's fast winding number), `crossing` (exact winding-number steps along
//! segments), `morton` (query ordering), `sdf` (the batch pipeline), `sphere`, `sample`.

pub mod bvh;
pub mod check;
pub mod crossing;
mod error;
mod format_gltf;
mod format_obj;
mod format_ply;
mod format_stl;
pub mod geom;
pub mod intersect;
pub mod load;
pub mod morton;
pub mod sample;
pub mod sdf;
mod simd;
pub mod sphere;
pub mod triangle;
pub mod wide;
pub mod winding;

pub use check::{Topology, Warning};
pub use error::MeshError;
pub use load::{load, load_bytes, Format, Loaded};
pub use sdf::{Sdf, SdfOptions, SignMethod};

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
        let mut lo = [f32::INFINITY; 3];
        let mut hi = [f32::NEG_INFINITY; 3];
        for p in &self.positions {
            lo = geom::min3(lo, *p);
            hi = geom::max3(hi, *p);
        }
        (lo, hi)
    }

    /// Total surface area.
    pub fn area(&self) -> f64 {
        self.triangles
            .iter()
            .map(|t| {
                let [a, b, c] = t.map(|v| self.positions[v as usize]);
                geom::dlen(triangle::area_vector(a, b, c))
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
        load::finish(positions, triangles)
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
