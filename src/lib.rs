//! # nsdf: compact neural signed distance functions
//!
//! A closed mesh becomes a small MLP that *is* its signed distance function. This crate is the
//! runtime: it reads and writes `.nsdf` files (spec: `spec/nsdf-v1.md`) and evaluates distance
//! and analytic gradient on the CPU with run-time-dispatched SIMD.
//!
//! ```
//! use nsdf::{Model, Shape};
//! let mut model = Model::davies();              // 3 → 8×32 ReLU → 1 tanh, zero weights
//! model.layers[8].bias[0] = 0.25;               // a constant field: tanh(0.25) everywhere
//! let bytes = nsdf::to_bytes(&model).unwrap();
//! let shape = Shape::from_bytes(&bytes).unwrap();
//! assert!((shape.distance([0.1, 0.2, 0.3]) - 0.25f32.tanh()).abs() < 1e-6);
//! ```
//!
//! - [`parse`] takes `&[u8]` and never panics; [`validate`] lists every problem of a file.
//! - [`Shape`] loads (memory-mapped) files and evaluates them; [`to_bytes`] / [`write_atomic`]
//!   write them deterministically and atomically.

pub mod error;
pub mod eval;
pub mod format;
pub mod model;
pub mod quant;
mod shape;

pub use error::{Error, Result, Severity, Tag};
pub use eval::{Backend, LinearBound, Range};
pub use format::{parse, read, to_bytes, validate, write_atomic, Issue, Parsed};
pub use model::{Activation, Encoding, Layer, Model, Scheme, Stats, Transform, Value};
pub use shape::Shape;
