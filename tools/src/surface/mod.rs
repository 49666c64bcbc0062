//! Getting a triangle mesh back from a distance field: sparse marching cubes and mesh writers.

pub mod export;
pub mod extract;
pub mod field;
pub mod table;

pub use extract::{extract, Extraction, Params};
pub use field::{Field, FnField, MeshField};

/// An indexed triangle mesh with per-vertex normals, in world units.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TriMesh {
    pub positions: Vec<[f32; 3]>,
    pub normals: Vec<[f32; 3]>,
    pub triangles: Vec<[u32; 3]>,
}
