//! Getting a triangle mesh back from a distance field: sparse marching cubes (`extract.rs`, with
//! its tables in `table.rs`) over a [`Field`] (`field.rs`). The writers are in [`crate::io`].

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
