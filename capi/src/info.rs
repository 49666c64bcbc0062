//! `nsdf_info`: the plain C struct describing a loaded shape.

use nsdf::Shape;

/// What `nsdf_info` reports about a shape (C name `nsdf_shape_info`: C cannot have a type and
/// a function both named `nsdf_info`). Plain data; copy it freely.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct NsdfInfo {
    /// World-space bounding box, minimum corner (x, y, z).
    pub bounds_min: [f32; 3],
    /// World-space bounding box, maximum corner (x, y, z).
    pub bounds_max: [f32; 3],
    /// Number of weights and biases in the network.
    pub parameter_count: u64,
    /// Number of dense layers (Davies' network: 9).
    pub layer_count: u32,
    /// Format version of the file.
    pub version_major: u16,
    pub version_minor: u16,
    /// Size in bytes of the file (or memory buffer) the shape was loaded from.
    pub file_size: u64,
    /// Upper bound on |gradient|: a sphere tracer stepping distance / gradient_bound never
    /// overshoots. The stored measured bound when present, else one computed from the weights.
    pub gradient_bound: f32,
    /// Whether the file stores accuracy statistics; the fields below are 0 when it does not.
    pub has_stats: bool,
    /// Mean and max |distance| over points on the true surface, measured at creation.
    pub surface_mean_error: f32,
    pub surface_max_error: f32,
    /// Fraction of near-surface points whose sign is right.
    pub near_sign_agreement: f32,
    /// Fraction of points uniform in the bounding box whose sign is right.
    pub volume_sign_agreement: f32,
    /// Standard deviation of the near-surface sample offsets, world units.
    pub near_sigma: f32,
    pub surface_samples: u32,
    pub volume_samples: u32,
}

impl NsdfInfo {
    pub(crate) fn of(shape: &Shape) -> NsdfInfo {
        let [bounds_min, bounds_max] = shape.bounds();
        let (version_major, version_minor) = shape.version();
        let mut info = NsdfInfo {
            bounds_min,
            bounds_max,
            parameter_count: shape.parameter_count() as u64,
            layer_count: shape.model().layers.len() as u32,
            version_major,
            version_minor,
            file_size: shape.file_len(),
            gradient_bound: shape.gradient_bound(),
            ..NsdfInfo::default()
        };
        if let Some(s) = shape.stats() {
            info.has_stats = true;
            info.surface_mean_error = s.surface_mean_error;
            info.surface_max_error = s.surface_max_error;
            info.near_sign_agreement = s.near_sign_agreement;
            info.volume_sign_agreement = s.volume_sign_agreement;
            info.near_sigma = s.near_sigma;
            info.surface_samples = s.surface_samples;
            info.volume_samples = s.volume_samples;
        }
        info
    }
}
