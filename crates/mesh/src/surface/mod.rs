//! Getting a triangle mesh back from a distance field: sparse marching cubes (`extract.rs`, with
//! its tables in `table.rs`) over a [`Field`] (`field.rs`). The writers are in [`crate::io`].

pub mod extract;
pub mod field;
pub mod redistance;
pub mod table;

pub use extract::{extract, Extraction, Params};
pub use field::{Field, FnField, MeshField};
pub use redistance::Redistanced;

/// An indexed triangle mesh with per-vertex normals, in world units.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TriMesh {
    pub positions: Vec<[f32; 3]>,
    pub normals: Vec<[f32; 3]>,
    pub triangles: Vec<[u32; 3]>,
}

/// `bounds` grown by `fraction` of its largest side on every face (`nsdf mesh` meshes the
/// file's bounds plus 2%, so a surface touching them is still closed).
pub fn padded(bounds: [[f32; 3]; 2], fraction: f32) -> [[f32; 3]; 2] {
    let size = (0..3)
        .map(|a| bounds[1][a] - bounds[0][a])
        .fold(0.0f32, f32::max);
    let pad = fraction * size.max(1e-6);
    [bounds[0].map(|x| x - pad), bounds[1].map(|x| x + pad)]
}
