//! The network's own surface checked against the mesh: marching cubes of the file at a coarse
//! resolution, then the exact distance from each vertex to the mesh. A sheet or blob of surface
//! in empty space passes every point-sampled check (the sign near the surface and in the volume
//! hardly notice it), yet it is a wrong shape: small hash-grid tables grow one where far cells
//! share features trained near the surface (bunny_hr with 2^11 entries a level: 0.27 R away).

use super::Frame;
use crate::target::{Target, SHAPE_RADIUS};
use nsdf::Shape;
use nsdf_mesh::surface::{extract, padded, Params};

/// Cells along the longest side of the bounds: 0.1–0.3 s, and a vertex of a true surface lies
/// within a cell (2% of the radius or less) of it, far below [`super::MAX_STRAY_SURFACE`].
pub const RESOLUTION: usize = 128;

/// The largest distance from the mesh of any point of the network's surface (its marching-cubes
/// vertices at [`RESOLUTION`]), canonical units; 0 for a network with no surface, `None` where
/// the surface could not be extracted.
pub(super) fn farthest_surface(shape: &Shape, mesh: &dyn Target, frame: &Frame) -> Option<f64> {
    let params = Params {
        resolution: RESOLUTION,
        bounds: padded(shape.bounds(), 0.02),
        lipschitz: None,
        dense: false,
    };
    let surface = extract(shape, &params).ok()?;
    // World to the training frame, where the mesh's distances are.
    let points: Vec<[f32; 3]> = surface
        .mesh
        .positions
        .iter()
        .map(|v| [0, 1, 2].map(|i| (v[i] as f64 * frame.scale + frame.offset[i]) as f32))
        .collect();
    let mut distances = vec![0.0; points.len()];
    mesh.distances(&points, &mut distances);
    let farthest = distances.iter().fold(0.0f32, |m, d| m.max(d.abs()));
    Some(farthest as f64 / SHAPE_RADIUS as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MeshTarget;
    use nsdf::{Activation, Encoding, Model, Transform};

    /// A shape over the box [0, 2] × [0, 1] × [0, 1] whose surface is the plane x = `at`
    /// (f = x − at, world units).
    fn plane(at: f32) -> Shape {
        let mut m = Model::zeros(Encoding::None, &[], Activation::Relu, Activation::Identity);
        m.layers[0].weights = vec![1.0, 0.0, 0.0];
        m.layers[0].bias = vec![-at];
        m.transform = Transform {
            bounds: [[0.0; 3], [2.0, 1.0, 1.0]],
            ..Transform::IDENTITY
        };
        Shape::from_bytes(&nsdf::to_bytes(&m).unwrap()).unwrap()
    }

    #[test]
    fn a_surface_on_the_mesh_is_near_and_one_in_empty_space_is_far() {
        let target = MeshTarget::new(nsdf_testing::mesh::cuboid([0.0; 3], [2.0, 1.0, 1.0], 1));
        let frame = Frame {
            scale: target.scale,
            offset: target.offset,
        };
        // The box's face x = 2: only the 2% the extraction pads the bounds by lies off the mesh
        // (the box's radius is 1.22 world units, 0.9 in the training frame).
        let near = farthest_surface(&plane(2.0), &target, &frame).unwrap();
        assert!(near < 0.05, "{near}");
        // x = 1 cuts the box through its middle, where no surface is: the cut's centre is 0.5
        // from the nearest face, which is 0.41 of the radius (canonical units).
        let inside = farthest_surface(&plane(1.0), &target, &frame).unwrap();
        let radius = 1.5f64.sqrt();
        assert!((inside - 0.5 / radius).abs() < 0.03, "{inside}");
        assert!(inside > super::super::MAX_STRAY_SURFACE);
    }
}
