//! The `nsdf` command-line tool, as a library so commands can be tested in-process.
//!
//! - `cmd/`: one file per subcommand.
//! - `mesh/`: reading triangle meshes and exact signed distance to them.
//! - `train/`: fitting a network to a mesh's signed distance.
//! - `pack/`: `nsdf pack`'s pipeline (mesh → trained, verified `.nsdf`) and batch mode.
//! - `import/`: networks trained elsewhere (Keras HDF5, PyTorch safetensors) as models.
//! - `render/`: sphere-traced pictures of a distance field.
//! - `metrics/`: accuracy of a shape or mesh against a reference mesh (`nsdf compare`).
//! - `shader/`: a shape as GLSL/HLSL/WGSL source with inlined weights (`nsdf shader`).
//! - `surface/`: meshes back from a distance field (sparse marching cubes) and mesh writers.

pub mod cmd;
pub mod import;
pub mod mesh;
pub mod metrics;
pub mod pack;
pub mod render;
pub mod shader;
pub mod surface;
pub mod train;
