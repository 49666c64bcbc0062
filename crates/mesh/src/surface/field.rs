//! What the extractor and renderer sample: anything that gives signed distances and gradients
//! in batches. `nsdf::Shape` is one; analytic SDFs in tests are another.

/// A signed distance field evaluated in batches (negative inside).
pub trait Field: Sync {
    fn distances(&self, points: &[[f32; 3]], out: &mut [f32]);
    fn gradients(&self, points: &[[f32; 3]], dist: &mut [f32], grad: &mut [[f32; 3]]);
    /// An upper bound on |∇f| that the caller may rely on to skip empty space, if known.
    fn gradient_bound(&self) -> Option<f32>;
    /// Linear bounds of the field over world boxes `[min, max]`, if the field can bound itself
    /// per box (much tighter than the gradient bound); `false` if it cannot.
    fn bounds(&self, boxes: &[[[f32; 3]; 2]], out: &mut [nsdf::LinearBound]) -> bool {
        let _ = (boxes, out);
        false
    }
}

impl Field for nsdf::Shape {
    fn distances(&self, points: &[[f32; 3]], out: &mut [f32]) {
        nsdf::Shape::distances(self, points, out)
    }
    fn gradients(&self, points: &[[f32; 3]], dist: &mut [f32], grad: &mut [[f32; 3]]) {
        nsdf::Shape::gradients(self, points, dist, grad)
    }
    fn gradient_bound(&self) -> Option<f32> {
        self.stats().map(|s| s.gradient_bound)
    }
    fn bounds(&self, boxes: &[[[f32; 3]; 2]], out: &mut [nsdf::LinearBound]) -> bool {
        self.distance_bounds(boxes, out);
        true
    }
}

/// A field from a closure, with gradients by central differences (for analytic test shapes).
pub struct FnField<F> {
    pub f: F,
    /// A true bound on |∇f| (1 for an exact SDF).
    pub lipschitz: f32,
}

impl<F: Fn([f32; 3]) -> f32 + Sync> Field for FnField<F> {
    fn distances(&self, points: &[[f32; 3]], out: &mut [f32]) {
        for (p, d) in points.iter().zip(out) {
            *d = (self.f)(*p);
        }
    }
    fn gradients(&self, points: &[[f32; 3]], dist: &mut [f32], grad: &mut [[f32; 3]]) {
        let h = 1e-3;
        for ((p, d), g) in points.iter().zip(dist).zip(grad) {
            *d = (self.f)(*p);
            for a in 0..3 {
                let (mut hi, mut lo) = (*p, *p);
                hi[a] += h;
                lo[a] -= h;
                g[a] = ((self.f)(hi) - (self.f)(lo)) / (2.0 * h);
            }
        }
    }
    fn gradient_bound(&self) -> Option<f32> {
        Some(self.lipschitz)
    }
}

/// A triangle mesh's exact signed distance as a field (gradients by central differences of
/// the exact distance), for rendering a mesh the same way as a network.
pub struct MeshField {
    pub sdf: crate::Sdf,
    /// Finite-difference step, world units.
    pub h: f32,
}

impl MeshField {
    pub fn new(mesh: &crate::Mesh) -> MeshField {
        let (lo, hi) = mesh.bounds();
        let diag = (0..3).map(|a| (hi[a] - lo[a]).powi(2)).sum::<f32>().sqrt();
        MeshField {
            sdf: crate::Sdf::new(mesh),
            h: 1e-4 * diag.max(1e-6),
        }
    }
}

impl Field for MeshField {
    fn distances(&self, points: &[[f32; 3]], out: &mut [f32]) {
        self.sdf.signed_distances(points, out)
    }
    fn gradients(&self, points: &[[f32; 3]], dist: &mut [f32], grad: &mut [[f32; 3]]) {
        self.sdf.signed_distances(points, dist);
        let mut probes = Vec::with_capacity(points.len() * 6);
        for p in points {
            for a in 0..3 {
                for s in [1.0, -1.0] {
                    let mut q = *p;
                    q[a] += s * self.h;
                    probes.push(q);
                }
            }
        }
        let mut d = vec![0.0; probes.len()];
        self.sdf.signed_distances(&probes, &mut d);
        for (g, d) in grad.iter_mut().zip(d.chunks_exact(6)) {
            *g = [0, 1, 2].map(|a| (d[2 * a] - d[2 * a + 1]) / (2.0 * self.h));
        }
    }
    fn gradient_bound(&self) -> Option<f32> {
        Some(1.0)
    }
}
