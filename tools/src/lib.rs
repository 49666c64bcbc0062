//! The `nsdf` command line, as a library so commands can be tested in-process. Only the command
//! line lives here (clap, the progress bar, Ctrl-C, exit codes, JSON output); the work is done
//! by the library crates, which never print:
//!
//! - `nsdf` (the runtime): `.nsdf` files, evaluation, bounds;
//! - `nsdf-mesh` (`crates/mesh`): mesh readers and writers, exact distance, marching cubes,
//!   accuracy metrics;
//! - `nsdf-train` (`crates/train`): the trainer and the pack pipeline;
//! - `nsdf-import` (`crates/import`): Keras HDF5 and safetensors networks;
//! - `nsdf-render` (`crates/render`): sphere-traced PNGs;
//! - `nsdf-shader` (`crates/shader`): GLSL/HLSL/WGSL export.
//!
//! Here: `cmd/` (one file per subcommand), `progress.rs` (the bar and Ctrl-C) and `points.rs`
//! (`nsdf eval`'s point input).

pub mod cmd;
pub mod points;
pub mod progress;
