//! Pictures of a distance field: sphere tracing with a safe step, shading from the analytic
//! gradient.

pub mod camera;
pub mod image;
pub mod shade;
pub mod trace;

pub use camera::{Camera, View};
pub use image::Image;
pub use trace::{render, Options, Render};
