//! Accuracy of a fitted field against its target, with the definitions of the PyTorch reference
//! (`../shared/notes/peers.md`), in canonical units (the shape's bounding ball has radius 1):
//! - surface error: |f| at points sampled uniformly on the true surface (mean and max);
//! - occupancy F1 and sign agreement on surface points offset by N(0, σ²) per axis with σ = 0.01, and on points
//!   uniform in the cube;
//! - mean |f − d| on those two point sets.
//!
//! The figures themselves come from [`measure_field`], the measurement `nsdf compare` uses.

use super::sampling::{jitter, uniform_points, Samples};
use super::target::{Target, SHAPE_RADIUS};
use nsdf_mesh::metrics::measure_field;

/// Standard deviation of the near-surface probe offsets, canonical units.
pub const NEAR_SIGMA: f32 = 0.01;

/// Accuracy figures, canonical units.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Accuracy {
    pub surface_mean: f64,
    pub surface_max: f64,
    pub f1_near: f64,
    pub f1_uniform: f64,
    pub sign_near: f64,
    pub sign_uniform: f64,
    pub mae_near: f64,
    pub mae_uniform: f64,
    /// How far from the mesh the network's surface reaches at its farthest (`nsdf pack`'s
    /// check for stray surface, [`crate::pack`]); `None` where not measured.
    pub surface_far: Option<f64>,
}

/// Held-out probe points with exact distances, drawn once and reused for every model measured.
#[derive(Clone, Debug)]
pub struct Probe {
    pub surface: Vec<[f32; 3]>,
    pub near: Samples,
    pub uniform: Samples,
}

impl Probe {
    /// `n` points of each kind (surface, near, uniform), from `seed`.
    pub fn new(target: &dyn Target, n: usize, seed: u64) -> Probe {
        let surface = target.surface_points(n, seed ^ 0x5EED_0001);
        let mut near = target.surface_points(n, seed ^ 0x5EED_0002);
        jitter(&mut near, NEAR_SIGMA * SHAPE_RADIUS, seed ^ 0x5EED_0003);
        Probe {
            surface,
            near: Samples::label(target, near),
            uniform: Samples::label(target, uniform_points(n, seed ^ 0x5EED_0004)),
        }
    }

    /// Measures the field `eval` (training frame: writes values at points into `out`) with the
    /// measurement `nsdf compare` uses ([`measure_field`]), in canonical units.
    pub fn measure(&self, eval: impl Fn(&[[f32; 3]], &mut [f32])) -> Accuracy {
        let a = measure_field(
            &self.surface,
            (&self.near.points, &self.near.distances),
            (&self.uniform.points, &self.uniform.distances),
            eval,
        );
        let canonical = 1.0 / SHAPE_RADIUS as f64;
        Accuracy {
            surface_mean: a.surface_mean * canonical,
            surface_max: a.surface_max * canonical,
            f1_near: a.near.f1,
            f1_uniform: a.uniform.f1,
            sign_near: a.near.sign_agreement,
            sign_uniform: a.uniform.sign_agreement,
            mae_near: a.near_mae * canonical,
            mae_uniform: a.uniform_mae * canonical,
            surface_far: None,
        }
    }
}

impl Accuracy {
    /// The figures as a file's statistics chunk, in world units: `world_radius` is the radius
    /// of the shape's bounding ball in the world (the canonical unit), `samples` the probe size
    /// per kind. The volume figure is over the training cube (the bounding ball's enclosing cube
    /// scaled by 1/0.9), not the world bounding box.
    pub fn to_stats(&self, world_radius: f32, samples: u32, gradient_bound: f32) -> nsdf::Stats {
        nsdf::Stats {
            surface_mean_error: (self.surface_mean * world_radius as f64) as f32,
            surface_max_error: (self.surface_max * world_radius as f64) as f32,
            near_sign_agreement: self.sign_near as f32,
            volume_sign_agreement: self.sign_uniform as f32,
            near_sigma: NEAR_SIGMA * world_radius,
            gradient_bound,
            surface_samples: samples,
            volume_samples: samples,
        }
    }
}

impl std::fmt::Display for Accuracy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "surface mean {:.5} max {:.4} | F1 near {:.4} uniform {:.4} | sign near {:.4} uniform {:.4} | MAE near {:.5} uniform {:.5}",
            self.surface_mean,
            self.surface_max,
            self.f1_near,
            self.f1_uniform,
            self.sign_near,
            self.sign_uniform,
            self.mae_near,
            self.mae_uniform
        )
    }
}

#[cfg(test)]
mod tests {
    use super::super::analytic::Sphere;
    use super::*;

    #[test]
    fn the_exact_field_scores_perfectly_and_a_shrunk_one_does_not() {
        let sphere = Sphere::default();
        let probe = Probe::new(&sphere, 4000, 1);
        let exact = probe.measure(|p, out| sphere.distances(p, out));
        assert!(exact.surface_mean < 1e-6 && exact.f1_near == 1.0 && exact.sign_uniform == 1.0);
        assert!(exact.mae_near < 1e-6);
        // A sphere 0.01 (canonical) too small: surface error 0.01, sign errors near the surface.
        let small = Sphere {
            radius: SHAPE_RADIUS * 0.99,
            ..sphere
        };
        let acc = probe.measure(|p, out| small.distances(p, out));
        assert!((acc.surface_mean - 0.01).abs() < 1e-4, "{acc}");
        // Radial offsets are N(0, σ²): only those below −σ (16 %) are still called inside,
        // against 50 % truly inside, so F1 = 2·0.16 / (2·0.16 + 0.34) ≈ 0.48.
        assert!((acc.f1_near - 0.48).abs() < 0.03, "{acc}");
        assert!(acc.f1_uniform > 0.9, "{acc}");
    }
}
