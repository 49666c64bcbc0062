//! The `nsdf` command-line tool, as a library so commands can be tested in-process.
//!
//! - `cmd/`: one file per subcommand.
//! - `mesh/`: reading triangle meshes and exact signed distance to them.
//! - `train/`: fitting a network to a mesh's signed distance.

pub mod cmd;
pub mod mesh;
pub mod train;
