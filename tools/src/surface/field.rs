//! What the extractor and renderer sample: anything that gives signed distances and gradients
//! in batches. `nsdf::Shape` is one; analytic SDFs in tests are another.

/// A signed distance field evaluated in batches (negative inside).
pub trait Field: Sync {
    fn distances(&self, points: &[[f32; 3]], out: &mut [f32]);
    fn gradients(&self, points: &[[f32; 3]], dist: &mut [f32], grad: &mut [[f32; 3]]);
    /// An upper bound on |∇f| that the caller may rely on to skip empty space, if known.
    fn gradient_bound(&self) -> Option<f32>;
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
