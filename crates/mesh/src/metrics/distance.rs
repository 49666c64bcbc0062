//! Mesh against mesh: Chamfer, Hausdorff and normal consistency from exact point-to-triangle
//! distances (not nearest-sample shortcuts, which add the sampling spacing to every figure).
//!
//! With P_a, P_b area-uniform samples of meshes A and B and d(p, M) the exact distance from p
//! to the nearest point of M's triangles:
//! - Chamfer L1 = ½ (mean_{p∈P_a} d(p, B) + mean_{q∈P_b} d(q, A))
//! - Chamfer L2 = ½ (mean d(p, B)² + mean d(q, A)²)
//! - Hausdorff = max(max_{p∈P_a} d(p, B), max_{q∈P_b} d(q, A)), each side's maximum tightened
//!   by a local search around its worst samples ([`super::hausdorff`]); the two sides are kept
//!   apart too, because they have different causes: `missed` (from the reference A: a feature B
//!   lost) and `extra` (from B: surface B has where A has none, a bulge or a stray sheet)
//! - normal consistency = ½ (mean |n_a(p) · n_B(p')| + mean |n_b(q) · n_A(q')|), where p' is the
//!   nearest point of B to p and n_B(p') the normal of the triangle it lies on (1 = parallel).
//! - Earth Mover's distance between the first [`EMD_SAMPLES`] of P_a and of P_b ([`super::emd`]).

use super::emd::{earth_movers, EMD_SAMPLES};
use super::hausdorff::{refine_max, spacing};
use crate::geom::{cross, dot, len2, sub};
use crate::sample::{sample_surface, SurfaceSamples};
use crate::{Mesh, Sdf};
use rayon::prelude::*;

/// Distances between two meshes, in world units (Chamfer L2 in squared world units).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MeshDistance {
    pub chamfer_l1: f64,
    pub chamfer_l2: f64,
    pub hausdorff: f64,
    /// max_{p∈P_a} d(p, B): how far the reference's farthest point is from this surface.
    pub missed: f64,
    /// max_{q∈P_b} d(q, A): how far this surface's farthest point is from the reference.
    pub extra: f64,
    pub normal_consistency: f64,
    /// Earth Mover's distance on [`EMD_SAMPLES`] samples of each (NaN where not measurable).
    pub emd: f64,
}

impl MeshDistance {
    /// The same figures divided by the reference radius `r` (L2 by r²): canonical units.
    pub fn canonical(&self, r: f64) -> MeshDistance {
        MeshDistance {
            chamfer_l1: self.chamfer_l1 / r,
            chamfer_l2: self.chamfer_l2 / (r * r),
            hausdorff: self.hausdorff / r,
            missed: self.missed / r,
            extra: self.extra / r,
            normal_consistency: self.normal_consistency,
            emd: self.emd / r,
        }
    }
}

/// Sums over one direction (samples of one mesh against the other's triangles).
#[derive(Clone, Copy, Debug, Default)]
struct OneWay {
    sum: f64,
    sum2: f64,
    normal: f64,
    n: usize,
}

impl OneWay {
    fn add(self, o: OneWay) -> OneWay {
        OneWay {
            sum: self.sum + o.sum,
            sum2: self.sum2 + o.sum2,
            normal: self.normal + o.normal,
            n: self.n + o.n,
        }
    }
}

/// Per-sample distances and normal agreement are computed in parallel, then summed in sample
/// order: a parallel float reduction would depend on how rayon split the work, and the same
/// seed must give the same numbers. Also returns each sample's distance.
fn one_way(from: &SurfaceSamples, to: &Mesh, to_sdf: &Sdf) -> (OneWay, Vec<f64>) {
    let per_sample: Vec<(f64, f64)> = from
        .points
        .par_iter()
        .zip(from.normals.par_iter())
        .with_min_len(256)
        .map(|(p, n)| {
            let (_, d, tri) = to_sdf.closest_point(*p);
            let [a, b, c] = to.triangles[tri as usize].map(|v| to.positions[v as usize]);
            let face = cross(sub(b, a), sub(c, a));
            let len = len2(face).sqrt();
            let cos = if len > 0.0 {
                (dot(face, *n) / len).abs() as f64
            } else {
                0.0
            };
            (d as f64, cos.min(1.0))
        })
        .collect();
    let sums = per_sample
        .iter()
        .map(|&(d, cos)| OneWay {
            sum: d,
            sum2: d * d,
            normal: cos,
            n: 1,
        })
        .fold(OneWay::default(), OneWay::add);
    (sums, per_sample.iter().map(|s| s.0).collect())
}

/// The largest distance from mesh `from` (its `samples`, at distances `d`) to the mesh whose
/// exact distance is `to`, searched around the worst samples ([`refine_max`]).
fn worst_distance(samples: &SurfaceSamples, d: &[f64], from: (&Mesh, &Sdf), to: &Sdf) -> f64 {
    refine_max(
        samples.points.iter().copied().zip(d.iter().copied()),
        spacing(from.0, samples.points.len()),
        SEARCH_SEED,
        |p| {
            p.par_iter()
                .map(|&p| Some(from.1.closest_point(p).0))
                .collect()
        },
        |p| {
            p.par_iter()
                .map(|&p| to.closest_point(p).1 as f64)
                .collect()
        },
    )
}

/// Seed of the Hausdorff distance's local search (fixed: the samples already carry the seed).
pub(crate) const SEARCH_SEED: u64 = 0x6861_7573_646F_7266;

/// A mesh prepared for comparing: its exact distance and its area-uniform samples.
pub struct SampledMesh<'a> {
    pub mesh: &'a Mesh,
    pub sdf: Sdf,
    pub samples: SurfaceSamples,
}

impl<'a> SampledMesh<'a> {
    /// Prepares `mesh`, drawing `n` samples with `seed`.
    pub fn new(mesh: &'a Mesh, n: usize, seed: u64) -> SampledMesh<'a> {
        SampledMesh {
            mesh,
            sdf: Sdf::new(mesh),
            samples: sample_surface(mesh, n, seed),
        }
    }
}

/// Compares `rec` with the reference `gt` (prepared as `gt_sdf`, sampled as `gt_samples`),
/// drawing `n` samples of `rec` with `seed`. Both meshes must have triangles.
pub fn compare_meshes(
    gt: &Mesh,
    gt_sdf: &Sdf,
    gt_samples: &SurfaceSamples,
    rec: &Mesh,
    n: usize,
    seed: u64,
) -> MeshDistance {
    compare_sampled(gt, gt_sdf, gt_samples, &SampledMesh::new(rec, n, seed))
}

/// [`compare_meshes`] with `rec` already prepared.
pub fn compare_sampled(
    gt: &Mesh,
    gt_sdf: &Sdf,
    gt_samples: &SurfaceSamples,
    rec: &SampledMesh,
) -> MeshDistance {
    let (rec_samples, rec_sdf, rec) = (&rec.samples, &rec.sdf, rec.mesh);
    let (a, a_d) = one_way(gt_samples, rec, rec_sdf);
    let (b, b_d) = one_way(rec_samples, gt, gt_sdf);
    let missed = worst_distance(gt_samples, &a_d, (gt, gt_sdf), rec_sdf);
    let extra = worst_distance(rec_samples, &b_d, (rec, rec_sdf), gt_sdf);
    let mean = |s: f64, w: &OneWay| s / w.n.max(1) as f64;
    MeshDistance {
        chamfer_l1: 0.5 * (mean(a.sum, &a) + mean(b.sum, &b)),
        chamfer_l2: 0.5 * (mean(a.sum2, &a) + mean(b.sum2, &b)),
        hausdorff: missed.max(extra),
        missed,
        extra,
        normal_consistency: 0.5 * (mean(a.normal, &a) + mean(b.normal, &b)),
        emd: earth_movers_between(&gt_samples.points, &rec_samples.points),
    }
}

/// Earth Mover's distance between two surfaces' samples ([`EMD_SAMPLES`] of each, weighted by
/// the reference's extent); NaN where it cannot be measured.
pub fn earth_movers_between(reference: &[[f32; 3]], other: &[[f32; 3]]) -> f64 {
    earth_movers(reference, other, EMD_SAMPLES, extent(reference)).unwrap_or(f64::NAN)
}

/// The diagonal of the points' bounding box (the EMD weights' scale).
fn extent(points: &[[f32; 3]]) -> f64 {
    let (mut lo, mut hi) = ([f64::INFINITY; 3], [f64::NEG_INFINITY; 3]);
    for p in points {
        for k in 0..3 {
            lo[k] = lo[k].min(p[k] as f64);
            hi[k] = hi[k].max(p[k] as f64);
        }
    }
    (0..3).map(|k| (hi[k] - lo[k]).powi(2)).sum::<f64>().sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The unit square [0,1]² at height z, as two triangles.
    fn square(z: f32) -> Mesh {
        Mesh {
            positions: vec![[0.0, 0.0, z], [1.0, 0.0, z], [1.0, 1.0, z], [0.0, 1.0, z]],
            triangles: vec![[0, 1, 2], [0, 2, 3]],
        }
    }

    #[test]
    fn parallel_squares_are_h_apart() {
        let h = 0.25;
        let (a, b) = (square(0.0), square(h));
        let samples = sample_surface(&a, 5000, 1);
        let m = compare_meshes(&a, &Sdf::new(&a), &samples, &b, 5000, 2);
        // Every sample is exactly h above/below the other square (f32 rounding only).
        assert!((m.chamfer_l1 - h as f64).abs() < 1e-6, "{m:?}");
        assert!((m.chamfer_l2 - (h * h) as f64).abs() < 1e-6, "{m:?}");
        assert!((m.hausdorff - h as f64).abs() < 1e-6, "{m:?}");
        assert!((m.normal_consistency - 1.0).abs() < 1e-6, "{m:?}");
        // Matched one to one, each sample moves at least h (sideways too: two random samples).
        assert!(m.emd >= h as f64 - 1e-6 && m.emd < 0.3, "{m:?}");
        let c = m.canonical(0.5);
        assert!((c.chamfer_l1 - 0.5).abs() < 1e-5 && (c.chamfer_l2 - 0.25).abs() < 1e-5);
    }

    #[test]
    fn perpendicular_square_has_zero_normal_consistency_and_a_mesh_matches_itself() {
        let a = square(0.0);
        let samples = sample_surface(&a, 2000, 3);
        let sdf = Sdf::new(&a);
        let same = compare_meshes(&a, &sdf, &samples, &a, 2000, 4);
        assert!(same.chamfer_l1 < 1e-6 && same.hausdorff < 1e-6, "{same:?}");
        assert!((same.normal_consistency - 1.0).abs() < 1e-6);
        // The square x = 2 (in y, z): every nearest point lies on an edge of the other, with
        // a perpendicular face normal.
        let b = Mesh {
            positions: vec![
                [2.0, 0.0, 0.0],
                [2.0, 1.0, 0.0],
                [2.0, 1.0, 1.0],
                [2.0, 0.0, 1.0],
            ],
            triangles: vec![[0, 1, 2], [0, 2, 3]],
        };
        let m = compare_meshes(&a, &sdf, &samples, &b, 2000, 5);
        assert!(m.normal_consistency < 1e-6, "{m:?}");
        assert!(m.hausdorff > 1.0 && m.chamfer_l1 > 1.0, "{m:?}");
    }

    /// A surface with half the reference (x ≤ 0.5) misses up to 0.5 of it and adds nothing;
    /// the reference against that half, the other way round.
    #[test]
    fn hausdorff_sides_tell_a_missed_feature_from_extra_surface() {
        let full = square(0.0);
        let mut half = square(0.0);
        half.positions[1][0] = 0.5;
        half.positions[2][0] = 0.5;
        let (n, tol) = (20_000, 0.02);
        let full_samples = sample_surface(&full, n, 6);
        let m = compare_meshes(&full, &Sdf::new(&full), &full_samples, &half, n, 7);
        assert!((m.missed - 0.5).abs() < tol && m.extra < 1e-6, "{m:?}");
        assert_eq!(m.hausdorff, m.missed.max(m.extra));
        let half_samples = sample_surface(&half, n, 8);
        let m = compare_meshes(&half, &Sdf::new(&half), &half_samples, &full, n, 9);
        assert!(m.missed < 1e-6 && (m.extra - 0.5).abs() < tol, "{m:?}");
        let c = m.canonical(0.5);
        assert!((c.extra - 2.0 * m.extra).abs() < 1e-12 && c.missed == 2.0 * m.missed);
    }
}
