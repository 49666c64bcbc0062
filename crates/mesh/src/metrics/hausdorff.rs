//! One side of a Hausdorff distance, tightened by a local search around the worst samples.
//!
//! The largest distance over area-uniform samples is an estimate from below: 100,000 samples
//! land near, not on, the tip of a thin part that a decimation cut off or a network rounded, so
//! one sample set's maximum moved by up to 20% between seeds (bunny_hr's 8 kB network,
//! 0.0061–0.0072 R over four). [`refine_max`] starts a climber at each of the [`CLIMBERS`]
//! worst samples that lie [`SEPARATION`] sample spacings apart (so that one broad bad region
//! does not take every climber), and for [`ROUNDS`] rounds draws [`TRIES`] points around each
//! (Gaussian, one spacing across, halved every round), moves them onto the same surface,
//! measures them the same way, and moves the climber to the worst. Every point it measures lies
//! on the surface, so the result is a distance the surface really has there: never above the
//! true maximum for a mesh, where distances are exact.

use super::gaussian;
use crate::geom::{dlen, dsub, to_d};
use crate::sample::Rng;
use crate::Mesh;

/// Climbers, started at the worst samples.
pub const CLIMBERS: usize = 128;
/// Least distance between two climbers' starting samples, in sample spacings.
pub const SEPARATION: f64 = 4.0;
/// Points drawn around each climber per round.
pub const TRIES: usize = 16;
/// Rounds; the spread halves after each.
pub const ROUNDS: usize = 5;

/// The largest distance of `samples` (points on a surface with their distances to the other
/// surface), after a local search around the worst of them. `spread` is the sample spacing
/// ([`spacing`], world units), the first round's standard deviation per axis; `onto` moves
/// points onto the samples' surface (`None` where it cannot) and `distance` measures points
/// there, in order. Deterministic for a `seed`. NaN distances are ignored.
pub fn refine_max(
    samples: impl Iterator<Item = ([f32; 3], f64)>,
    spread: f64,
    seed: u64,
    onto: impl Fn(&[[f32; 3]]) -> Vec<Option<[f32; 3]>>,
    distance: impl Fn(&[[f32; 3]]) -> Vec<f64>,
) -> f64 {
    let worst = worst_points(samples, spread, seed, onto, distance);
    worst.first().map_or(0.0, |w| w.1)
}

/// Where [`refine_max`]'s climbers ended, worst first: points of the surface and their
/// distances (the largest of `samples` first when there is no search).
pub fn worst_points(
    samples: impl Iterator<Item = ([f32; 3], f64)>,
    spread: f64,
    seed: u64,
    onto: impl Fn(&[[f32; 3]]) -> Vec<Option<[f32; 3]>>,
    distance: impl Fn(&[[f32; 3]]) -> Vec<f64>,
) -> Vec<([f32; 3], f64)> {
    let mut samples: Vec<([f32; 3], f64)> = samples.filter(|s| !s.1.is_nan()).collect();
    samples.sort_by(|a, b| b.1.total_cmp(&a.1));
    if !(spread.is_finite() && spread > 0.0) {
        samples.truncate(1);
        return samples;
    }
    let mut climbers: Vec<([f32; 3], f64)> = Vec::with_capacity(CLIMBERS);
    for s in samples {
        if climbers.len() == CLIMBERS {
            break;
        }
        let apart = |c: &([f32; 3], f64)| dlen(dsub(to_d(c.0), to_d(s.0))) >= SEPARATION * spread;
        if climbers.iter().all(apart) {
            climbers.push(s);
        }
    }
    let mut spread = spread;
    for round in 0..ROUNDS as u64 {
        let mut rng = Rng::new(seed ^ round.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let tries: Vec<[f32; 3]> = climbers
            .iter()
            .flat_map(|&(p, _)| std::iter::repeat_n(p, TRIES))
            .map(|p| p.map(|c| (c as f64 + spread * gaussian(&mut rng)) as f32))
            .collect();
        let on = onto(&tries);
        let at: Vec<[f32; 3]> = on.iter().flatten().copied().collect();
        let mut d = distance(&at).into_iter();
        for (k, p) in on.iter().enumerate() {
            let Some(p) = p else { continue };
            let (d, c) = (d.next().unwrap_or(f64::NAN), &mut climbers[k / TRIES]);
            if d > c.1 {
                *c = (*p, d);
            }
        }
        spread *= 0.5;
    }
    climbers.sort_by(|a, b| b.1.total_cmp(&a.1));
    climbers
}

/// The typical distance between neighbouring samples when `n` are spread over `mesh`'s area:
/// √(area / n).
pub fn spacing(mesh: &Mesh, n: usize) -> f64 {
    (mesh.area() / n.max(1) as f64).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::distance::compare_meshes;
    use crate::sample::sample_surface;
    use crate::Sdf;

    /// The unit square [0,1]² at z = 0 with a square pyramid of base side `b` and height `h`
    /// standing on its centre, as triangles (the base is left open: it lies in the square).
    fn spiked_square(b: f32, h: f32) -> Mesh {
        let (lo, hi) = (0.5 - b / 2.0, 0.5 + b / 2.0);
        Mesh {
            positions: vec![
                [0.0, 0.0, 0.0],
                [1.0, 0.0, 0.0],
                [1.0, 1.0, 0.0],
                [0.0, 1.0, 0.0],
                [lo, lo, 0.0],
                [hi, lo, 0.0],
                [hi, hi, 0.0],
                [lo, hi, 0.0],
                [0.5, 0.5, h],
            ],
            triangles: vec![
                // The square around the base, and the four faces of the pyramid.
                [0, 1, 5],
                [0, 5, 4],
                [1, 2, 6],
                [1, 6, 5],
                [2, 3, 7],
                [2, 7, 6],
                [3, 0, 4],
                [3, 4, 7],
                [4, 5, 8],
                [5, 6, 8],
                [6, 7, 8],
                [7, 4, 8],
            ],
        }
    }

    fn flat_square() -> Mesh {
        Mesh {
            positions: vec![[0.0; 3], [1.0, 0.0, 0.0], [1.0, 1.0, 0.0], [0.0, 1.0, 0.0]],
            triangles: vec![[0, 1, 2], [0, 2, 3]],
        }
    }

    /// A flat square misses a spike's tip by its height: the samples' maximum falls short of it
    /// and the search climbs to it, never past it.
    #[test]
    fn the_search_finds_a_spikes_tip_that_the_samples_miss() {
        let h = 0.5;
        let spiked = spiked_square(0.05, h);
        let n = 2000;
        let samples = sample_surface(&spiked, n, 1);
        let (flat, spiked_sdf) = (flat_square(), Sdf::new(&spiked));
        let flat_sdf = Sdf::new(&flat);
        let d: Vec<f64> = samples
            .points
            .iter()
            .map(|p| flat_sdf.closest_point(*p).1 as f64)
            .collect();
        let sampled = d.iter().fold(0.0f64, |m, &x| m.max(x));
        let refined = refine_max(
            samples.points.iter().copied().zip(d.iter().copied()),
            spacing(&spiked, n),
            7,
            |p| {
                p.iter()
                    .map(|&p| Some(spiked_sdf.closest_point(p).0))
                    .collect()
            },
            |p| {
                p.iter()
                    .map(|&p| flat_sdf.closest_point(p).1 as f64)
                    .collect()
            },
        );
        assert!(
            sampled < 0.97 * h as f64,
            "the samples found the tip: {sampled}"
        );
        assert!(refined > 0.999 * h as f64, "{sampled} → {refined}");
        assert!(refined <= h as f64 + 1e-6, "{refined}");
        // The same through the mesh comparison: the spike is the reference's, so it is missed.
        let m = compare_meshes(&spiked, &spiked_sdf, &samples, &flat, n, 2);
        assert!(
            m.missed > 0.999 * h as f64 && m.missed <= h as f64 + 1e-6,
            "{m:?}"
        );
        // The flat square under the open base is up to half the base from the spike's faces.
        assert!(m.extra <= 0.025 + 1e-6 && m.hausdorff == m.missed, "{m:?}");
    }

    #[test]
    fn nothing_to_search_gives_zero_and_nan_is_ignored() {
        let none = |p: &[[f32; 3]]| vec![None; p.len()];
        let zero = |p: &[[f32; 3]]| vec![0.0; p.len()];
        assert_eq!(refine_max(std::iter::empty(), 0.1, 0, none, zero), 0.0);
        let samples = [([0.0; 3], f64::NAN), ([1.0; 3], 0.25)];
        assert_eq!(refine_max(samples.into_iter(), 0.1, 0, none, zero), 0.25);
        // Without a spread there is no search.
        assert_eq!(refine_max(samples.into_iter(), 0.0, 0, none, zero), 0.25);
    }

    #[test]
    fn spacing_is_the_root_of_the_area_per_sample() {
        assert!((spacing(&flat_square(), 400) - 0.05).abs() < 1e-12);
    }
}
