//! Training points and their exact signed distances.
//!
//! Two recipes:
//! - [`Sampling::Importance`], Davies et al.: a uniform pool in [-1, 1]³ of `pool_factor` times
//!   the sample count, of which `n` points are kept with probability ∝ exp(−β|d|). Costs
//!   `pool_factor × n` exact distance queries, most of them far from the surface (the slow
//!   kind for a mesh).
//! - [`Sampling::NearSurface`], after Sergeev et al.: surface points displaced by isotropic
//!   Gaussian noise at two scales, plus a uniform fraction. Costs `n` queries, all but the
//!   uniform ones near the surface.
//!
//! Work is split into fixed blocks, each with its own random stream, and run on the current rayon
//! pool: the same seed gives the same samples whatever the thread count.

use rayon::prelude::*;

use super::rng::Rng;
use super::target::Target;

/// Points per block of parallel work (and per random stream).
const BLOCK: usize = 4096;

/// Training points with their exact signed distances (training frame).
#[derive(Clone, Debug, Default)]
pub struct Samples {
    pub points: Vec<[f32; 3]>,
    pub distances: Vec<f32>,
    /// Unit gradients of the distance at the points, for a loss on the network's gradient
    /// ([`Samples::add_gradients`]); empty otherwise.
    pub gradients: Vec<[f32; 3]>,
}

impl Samples {
    pub fn len(&self) -> usize {
        self.points.len()
    }

    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    /// `points` with their exact distances (one batch query to the target).
    pub fn label(target: &dyn Target, points: Vec<[f32; 3]>) -> Samples {
        let mut distances = vec![0.0; points.len()];
        target.distances(&points, &mut distances);
        Samples {
            points,
            distances,
            gradients: Vec::new(),
        }
    }

    /// Fills [`Samples::gradients`] from `target`; false (and empty) where it has none.
    pub fn add_gradients(&mut self, target: &dyn Target) -> bool {
        self.gradients = vec![[0.0; 3]; self.points.len()];
        if !target.gradients(&self.points, &self.distances, &mut self.gradients) {
            self.gradients.clear();
            return false;
        }
        true
    }
}

/// How training points are drawn.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Sampling {
    /// Davies et al.'s importance sampling of a uniform pool.
    Importance {
        /// Pool size as a multiple of the sample count (Davies: 10).
        pool_factor: usize,
        /// Sharpness of the weight exp(−β|d|) (Davies: 60).
        beta: f32,
    },
    /// Surface points plus Gaussian offsets, and a uniform fraction.
    NearSurface {
        /// Standard deviations of the two offset scales (training frame).
        sigmas: [f32; 2],
        /// Fractions of the samples at each scale; the rest are uniform in the cube.
        fractions: [f32; 2],
    },
    /// SIREN's: this fraction of the samples on the surface itself (distance exactly 0, which
    /// marks them for [`crate::Loss::Siren`]), the rest uniform in the cube.
    SurfaceAndUniform { surface: f32 },
}

impl Sampling {
    /// Davies et al.'s settings.
    pub const DAVIES: Sampling = Sampling::Importance {
        pool_factor: 10,
        beta: 60.0,
    };

    /// Sergeev-style near-surface sampling with the scales and fractions chosen by measurement
    /// (see `examples/train_bench.rs`).
    pub const NEAR_SURFACE: Sampling = Sampling::NearSurface {
        sigmas: [0.005, 0.05],
        fractions: [0.45, 0.45],
    };

    /// Exact distance queries this recipe spends for `n` samples.
    pub fn queries(&self, n: usize) -> usize {
        match *self {
            Sampling::Importance { pool_factor, .. } => n * pool_factor.max(1),
            Sampling::NearSurface { .. } => n,
            Sampling::SurfaceAndUniform { surface } => {
                n - ((surface.clamp(0.0, 1.0) as f64 * n as f64).round() as usize).min(n)
            }
        }
    }

    /// Draws `n` samples of `target`.
    pub fn draw(&self, target: &dyn Target, n: usize, seed: u64) -> Samples {
        match *self {
            Sampling::Importance { pool_factor, beta } => {
                importance(target, n, pool_factor.max(1), beta, seed)
            }
            Sampling::NearSurface { sigmas, fractions } => {
                near_surface(target, n, sigmas, fractions, seed)
            }
            Sampling::SurfaceAndUniform { surface } => {
                let m = ((surface.clamp(0.0, 1.0) as f64 * n as f64).round() as usize).min(n);
                let on = target.surface_points(m, seed);
                let mut off = Samples::label(target, uniform_points(n - m, seed ^ 0x53));
                let mut points = on;
                let mut distances = vec![0.0; points.len()];
                points.append(&mut off.points);
                distances.append(&mut off.distances);
                Samples {
                    points,
                    distances,
                    gradients: Vec::new(),
                }
            }
        }
    }
}

/// `n` points uniform in the cube [-1, 1]³.
pub fn uniform_points(n: usize, seed: u64) -> Vec<[f32; 3]> {
    let mut points = vec![[0.0; 3]; n];
    points
        .par_chunks_mut(BLOCK)
        .enumerate()
        .for_each(|(b, chunk)| {
            let mut rng = Rng::stream(seed, b as u64);
            chunk.iter_mut().for_each(|p| *p = rng.in_cube(1.0));
        });
    points
}

/// `points` each displaced by isotropic Gaussian noise of standard deviation `sigma`.
pub fn jitter(points: &mut [[f32; 3]], sigma: f32, seed: u64) {
    points
        .par_chunks_mut(BLOCK)
        .enumerate()
        .for_each(|(b, chunk)| {
            let mut rng = Rng::stream(seed, b as u64);
            for p in chunk {
                for x in p.iter_mut() {
                    *x += sigma * rng.normal();
                }
            }
        });
}

/// Davies' importance sampling: keeps `n` points of a uniform pool of `pool_factor × n`, drawn
/// without replacement with weights exp(−β|d|) (Efraimidis–Spirakis: keep the `n` smallest keys
/// E/w with E ~ Exp(1), compared as logarithms so tiny weights cannot underflow).
pub fn importance(
    target: &dyn Target,
    n: usize,
    pool_factor: usize,
    beta: f32,
    seed: u64,
) -> Samples {
    let pool = Samples::label(target, uniform_points(n * pool_factor, seed));
    let mut keys: Vec<(f64, u32)> = vec![(0.0, 0); pool.len()];
    keys.par_chunks_mut(BLOCK)
        .enumerate()
        .for_each(|(b, chunk)| {
            let mut rng = Rng::stream(seed ^ 0x1A9B_0C7D, b as u64);
            for (i, k) in chunk.iter_mut().enumerate() {
                let index = b * BLOCK + i;
                let exp1 = -rng.f64_open().ln();
                *k = (
                    exp1.ln() + beta as f64 * pool.distances[index].abs() as f64,
                    index as u32,
                );
            }
        });
    let n = n.min(keys.len());
    if n > 0 && n < keys.len() {
        keys.select_nth_unstable_by(n - 1, |a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    }
    let mut chosen: Vec<u32> = keys[..n].iter().map(|k| k.1).collect();
    chosen.sort_unstable();
    Samples {
        points: chosen.iter().map(|&i| pool.points[i as usize]).collect(),
        distances: chosen.iter().map(|&i| pool.distances[i as usize]).collect(),
        gradients: Vec::new(),
    }
}

/// Near-surface sampling: `fractions[k] × n` surface points offset by `N(0, sigmas[k]²)` per axis,
/// the rest uniform in the cube.
pub fn near_surface(
    target: &dyn Target,
    n: usize,
    sigmas: [f32; 2],
    fractions: [f32; 2],
    seed: u64,
) -> Samples {
    let count = |f: f32| ((f.clamp(0.0, 1.0) as f64 * n as f64).round() as usize).min(n);
    let near = [count(fractions[0]), count(fractions[1])];
    let near = [near[0], near[1].min(n - near[0])];
    let surface = target.surface_points(near[0] + near[1], seed);
    let (mut fine, mut coarse) = (surface[..near[0]].to_vec(), surface[near[0]..].to_vec());
    jitter(&mut fine, sigmas[0], seed ^ 0x51);
    jitter(&mut coarse, sigmas[1], seed ^ 0x52);
    let mut points = fine;
    points.append(&mut coarse);
    points.extend(uniform_points(n - points.len(), seed ^ 0x53));
    Samples::label(target, points)
}

#[cfg(test)]
mod tests {
    use super::super::analytic::Sphere;
    use super::*;

    #[test]
    fn importance_concentrates_near_the_surface() {
        let s = importance(&Sphere::default(), 5000, 10, 60.0, 3);
        assert_eq!(s.len(), 5000);
        let mean = s.distances.iter().map(|d| d.abs()).sum::<f32>() / s.len() as f32;
        // Uniform points average |d| ≈ 0.35 for this sphere; weighting by exp(−60|d|) leaves a
        // mean of about 1/60 where the pool is dense enough.
        assert!(mean < 0.05, "mean |d| {mean}");
        // Distances are the target's.
        let mut d = vec![0.0; s.len()];
        Sphere::default().distances(&s.points, &mut d);
        assert_eq!(d, s.distances);
    }

    #[test]
    fn near_surface_has_the_requested_mix() {
        let n = 10_000;
        let s = near_surface(&Sphere::default(), n, [0.01, 0.1], [0.5, 0.3], 4);
        assert_eq!(s.len(), n);
        let fine = &s.distances[..5000];
        let coarse = &s.distances[5000..8000];
        let rms = |d: &[f32]| (d.iter().map(|x| x * x).sum::<f32>() / d.len() as f32).sqrt();
        assert!((rms(fine) - 0.01).abs() < 0.001, "fine rms {}", rms(fine));
        assert!(
            (rms(coarse) - 0.1).abs() < 0.01,
            "coarse rms {}",
            rms(coarse)
        );
        assert!(s.points[8000..]
            .iter()
            .all(|p| p.iter().all(|x| x.abs() <= 1.0)));
    }

    #[test]
    fn same_seed_same_samples_any_thread_count() {
        let draw = |threads: usize, seed: u64| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| {
                let a = Sampling::DAVIES.draw(&Sphere::default(), 3000, seed);
                let b = Sampling::NEAR_SURFACE.draw(&Sphere::default(), 9000, seed);
                (a.points, b.points)
            })
        };
        let one = draw(1, 9);
        assert_eq!(one, draw(2, 9));
        assert_eq!(one, draw(3, 9));
        assert_ne!(one.0, draw(1, 10).0);
    }
}
