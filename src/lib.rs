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

#![warn(unnameable_types)]
mod error;
mod eval;
mod format;
pub mod grid;
mod model;
mod quant;
mod shape;

pub use error::{Error, Result, Severity, Tag};
pub use eval::{cuda, Backend, Dense, LinearBound, Network, PreparedGrid, Range};
pub use format::limits;
pub use format::{
    parse, read, to_bytes, validate, write_atomic, AtomicFile, ChunkInfo, Issue, Parsed,
};
pub use grid::HashGrid;
pub use model::{Activation, Encoding, Layer, Model, Scheme, Stats, Transform, Value};
pub use shape::Shape;

/// The runtime's SIMD vocabulary, for the workspace's own crates (`nsdf-mesh`'s distance kernels,
/// `nsdf-train`'s matrix products): the [`Simd`](simd::Simd) trait, whose implementing types are
/// proof tokens (a value exists only where the CPU has the instructions), the x86 tokens and a
/// portable one on plain arrays. Not part of the API: no stability promise, and it may change or
/// go in any release.
#[doc(hidden)]
pub mod simd {
    /// Vectorized activations and their derivatives (Cephes' polynomials).
    #[cfg(target_arch = "x86_64")]
    pub use crate::eval::simd::math;
    pub use crate::eval::simd::{Portable, Simd};
    #[cfg(target_arch = "x86_64")]
    pub use crate::eval::{avx2::Avx2, avx512::Avx512};
}

/// Building blocks for the workspace's own tests, benchmarks, fuzz targets and test vectors:
/// deliberately odd files, the format's constants, the checksum and the quantization arithmetic.
/// Not part of the API: no stability promise, and it may change or go in any release.
#[doc(hidden)]
pub mod testing {
    pub use crate::format::crc::{crc32c, crc32c_append};
    pub use crate::format::testing::*;
    pub use crate::format::{
        CHUNK_ALIGN, DIR_ENTRY_LEN, FLAG_REQUIRED, HEADER_CRC_AT, HEADER_LEN, KNOWN_TAGS, MAGIC,
        TAG_ARCH, TAG_GRID, TAG_META, TAG_STAT, TAG_WGHT, TAG_XFRM, VERSION_MAJOR, VERSION_MINOR,
    };

    /// The weight encodings' arithmetic (`f16`, `int8` per row) and the bounds on how far two
    /// networks' outputs can differ.
    pub mod quant {
        pub use crate::quant::*;
    }
}
