//! The scalar reference: plain loops in the spec's order of operations. Every other backend is
//! tested against it.

mod distance;
mod gradient;
pub mod range;

pub use distance::{distance, distances};
pub use gradient::{gradient, gradients};
pub use range::bounds;
