//! The distance-field baseline: what engines bake for collision, soft shadows and ray marching.
//! A dense grid of exact signed distances over the bounding cube, `n` samples per axis (at the
//! cell corners, both faces included), quantized linearly over the grid's own value range to
//! 8 or 16 bits, read back with trilinear interpolation (and its analytic gradient). Its bytes
//! are the texels plus a 32-byte header (box and value range); `n` is the largest that fits.

use crate::Sdf;

/// Header bytes counted with the texels: cube corner and side, value minimum and step.
pub const HEADER: u64 = 32;

/// A baked, quantized distance grid, dequantized for sampling.
#[derive(Clone, Debug)]
pub struct Grid {
    /// Samples per axis.
    pub n: usize,
    pub bits: u32,
    pub bytes: u64,
    lo: [f32; 3],
    cell: f32,
    values: Vec<f32>,
}

impl Grid {
    /// The largest grid of `bits`-bit texels over `cube` (a cube: equal sides) whose bytes fit
    /// `budget`; `None` when not even 2³ samples fit.
    pub fn bake(sdf: &Sdf, cube: [[f32; 3]; 2], budget: u64, bits: u32) -> Option<Grid> {
        let texel = bits.div_ceil(8) as u64;
        let fits = |n: u64| n.pow(3) * texel + HEADER <= budget;
        let mut n = (budget.saturating_sub(HEADER) as f64 / texel as f64).cbrt() as u64 + 1;
        while n >= 2 && !fits(n) {
            n -= 1;
        }
        if n < 2 {
            return None;
        }
        let n = n as usize;
        let side = cube[1][0] - cube[0][0];
        let cell = side / (n - 1) as f32;
        let lo = cube[0];
        let points: Vec<[f32; 3]> = (0..n * n * n)
            .map(|i| {
                let (x, y, z) = (i % n, i / n % n, i / (n * n));
                [
                    lo[0] + x as f32 * cell,
                    lo[1] + y as f32 * cell,
                    lo[2] + z as f32 * cell,
                ]
            })
            .collect();
        let mut values = vec![0.0; points.len()];
        sdf.signed_distances(&points, &mut values);
        let (min, max) = values
            .iter()
            .fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), &v| {
                (a.min(v), b.max(v))
            });
        let levels = ((1u64 << bits) - 1) as f32;
        let step = (max - min).max(f32::MIN_POSITIVE) / levels;
        for v in &mut values {
            *v = min + ((*v - min) / step).round().clamp(0.0, levels) * step;
        }
        Some(Grid {
            n,
            bits,
            bytes: (n * n * n) as u64 * texel + HEADER,
            lo,
            cell,
            values,
        })
    }

    /// Grid coordinates of `p`, clamped into the grid: cell index and fraction per axis.
    fn locate(&self, p: [f32; 3]) -> ([usize; 3], [f32; 3]) {
        let last = (self.n - 1) as f32;
        let mut i = [0; 3];
        let mut t = [0.0; 3];
        for a in 0..3 {
            let u = ((p[a] - self.lo[a]) / self.cell).clamp(0.0, last);
            let k = (u.floor() as usize).min(self.n - 2);
            i[a] = k;
            t[a] = u - k as f32;
        }
        (i, t)
    }

    fn at(&self, x: usize, y: usize, z: usize) -> f32 {
        self.values[x + self.n * (y + self.n * z)]
    }

    /// The eight corner values of `p`'s cell, index `dx + 2 dy + 4 dz`.
    fn corners(&self, i: [usize; 3]) -> [f32; 8] {
        std::array::from_fn(|c| self.at(i[0] + (c & 1), i[1] + (c >> 1 & 1), i[2] + (c >> 2)))
    }

    /// Trilinear distance at `p` (clamped to the grid's box).
    pub fn distance(&self, p: [f32; 3]) -> f32 {
        let (i, t) = self.locate(p);
        let c = self.corners(i);
        let lerp = |a: f32, b: f32, t: f32| a + (b - a) * t;
        let x00 = lerp(c[0], c[1], t[0]);
        let x10 = lerp(c[2], c[3], t[0]);
        let x01 = lerp(c[4], c[5], t[0]);
        let x11 = lerp(c[6], c[7], t[0]);
        lerp(lerp(x00, x10, t[1]), lerp(x01, x11, t[1]), t[2])
    }

    /// The analytic gradient of the trilinear interpolant at `p`.
    pub fn gradient(&self, p: [f32; 3]) -> [f32; 3] {
        let (i, t) = self.locate(p);
        let c = self.corners(i);
        let w = |bit: usize, a: usize, k: usize| if k >> bit & 1 == 1 { t[a] } else { 1.0 - t[a] };
        let mut g = [0.0; 3];
        for (k, &v) in c.iter().enumerate() {
            for (a, ga) in g.iter_mut().enumerate() {
                let sign = if k >> a & 1 == 1 { 1.0 } else { -1.0 };
                let others: f32 = (0..3).filter(|&b| b != a).map(|b| w(b, b, k)).product();
                *ga += sign * v * others / self.cell;
            }
        }
        g
    }

    /// Distances at many points.
    pub fn distances(&self, points: &[[f32; 3]], out: &mut [f32]) {
        for (o, p) in out.iter_mut().zip(points) {
            *o = self.distance(*p);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::decimate::tests::uv_sphere;

    #[test]
    fn fits_the_budget_and_interpolates_a_sphere() {
        let sphere = uv_sphere(48);
        let sdf = Sdf::new(&sphere);
        let cube = [[-1.2; 3], [1.2; 3]];
        let g = Grid::bake(&sdf, cube, 16_000, 16).unwrap();
        assert!(
            g.bytes <= 16_000 && g.n == 19,
            "{} samples, {} bytes",
            g.n,
            g.bytes
        );
        assert_eq!(Grid::bake(&sdf, cube, 16_000, 8).unwrap().n, 25);
        assert!(Grid::bake(&sdf, cube, 40, 16).is_none());
        // Exact at the samples (up to quantization), close in between on a smooth shape.
        let cell = 2.4 / 18.0;
        for p in [[0.3, -0.2, 0.5], [0.9, 0.1, 0.1], [-0.5, 0.5, -0.5]] {
            let mut d = [0.0];
            sdf.signed_distances(&[p], &mut d);
            assert!((g.distance(p) - d[0]).abs() < 0.1 * cell, "{p:?}");
        }
        // The gradient is the finite difference of the interpolant.
        let p = [0.31, 0.52, -0.43];
        let h = 1e-3;
        let gr = g.gradient(p);
        for a in 0..3 {
            let (mut u, mut v) = (p, p);
            u[a] += h;
            v[a] -= h;
            let fd = (g.distance(u) - g.distance(v)) / (2.0 * h);
            assert!((gr[a] - fd).abs() < 1e-2, "axis {a}: {} vs {fd}", gr[a]);
        }
    }
}
