//! Distances between a field's zero set and a reference mesh, measured on the zero set itself.
//!
//! A network's surface is the set where it is zero, not a mesh. Measuring a marching-cubes mesh
//! of it measures the mesher too: the exact signed distance of spot, meshed at 256³ over the
//! bounding cube, is up to 0.0049 R from spot (thin parts and creases are cut off between grid
//! points), more than QEM + Draco's whole error at 16 kB. So marching cubes only *finds* the
//! zero set here, and Newton steps along the gradient ([`project`]) move points onto it:
//!
//! - **reference → zero set** ("missed"): each reference sample `p` is projected, and so is the
//!   mesh point nearest to it; the nearer of the two projections is a point of the zero set, so
//!   its distance is an upper bound on `p`'s distance to the zero set (never flattering). A
//!   projection farther than the mesh point plus a cell diagonal went astray (every
//!   marching-cubes triangle lies in a cell the zero set crosses; Newton steps on a ReLU
//!   network can jump across a kink) and is not used.
//! - **zero set → reference** ("extra"): area-uniform samples of the mesh are projected onto the
//!   zero set and their exact distance to the reference is taken.
//!
//! A point whose projection does not converge keeps its marching-cubes figure. Normals are the
//! field's gradient at the projected point. Each side's maximum is searched around its worst
//! samples ([`super::hausdorff`]), the new points measured the same way.

use rayon::prelude::*;

use super::distance::{earth_movers_between, MeshDistance, SampledMesh, SEARCH_SEED};
use super::hausdorff::{refine_max, spacing, worst_points};
use super::{gaussian, Reference};
use crate::geom::{dlen, dot, dsub, len2, to_d};
use crate::sample::Rng;
use crate::surface::Field;

/// Newton steps before a point counts as not converged.
const MAX_STEPS: usize = 12;
/// Points per batch handed to the field.
const BATCH: usize = 4096;

/// Moves each point onto the zero set of `field` by Newton steps along the gradient,
/// `x ← x − f(x) ∇f(x) / |∇f(x)|²`, until `|f| ≤ tol`; `None` where that does not happen
/// within 12 steps (a vanishing or non-finite gradient, or a step that diverges).
pub fn project<F: Field + ?Sized>(
    field: &F,
    points: &[[f32; 3]],
    tol: f32,
) -> Vec<Option<[f32; 3]>> {
    points
        .par_chunks(BATCH)
        .flat_map_iter(|chunk| project_batch(field, chunk, tol))
        .collect()
}

fn project_batch<F: Field + ?Sized>(
    field: &F,
    points: &[[f32; 3]],
    tol: f32,
) -> Vec<Option<[f32; 3]>> {
    let mut x: Vec<[f64; 3]> = points.iter().map(|p| p.map(f64::from)).collect();
    let mut done: Vec<Option<[f32; 3]>> = vec![None; points.len()];
    let mut active: Vec<usize> = (0..points.len()).collect();
    let (mut at, mut d, mut g) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..=MAX_STEPS {
        if active.is_empty() {
            break;
        }
        at.clear();
        at.extend(active.iter().map(|&i| x[i].map(|c| c as f32)));
        d.resize(at.len(), 0.0);
        g.resize(at.len(), [0.0; 3]);
        field.gradients(&at, &mut d, &mut g);
        let mut still = Vec::with_capacity(active.len());
        for (k, &i) in active.iter().enumerate() {
            let f = d[k] as f64;
            let gg: f64 = g[k].iter().map(|&c| c as f64 * c as f64).sum();
            if !(f.is_finite() && gg.is_finite()) {
                continue;
            }
            if f.abs() <= tol as f64 {
                done[i] = Some(at[k]);
                continue;
            }
            if gg < 1e-12 {
                continue;
            }
            for a in 0..3 {
                x[i][a] -= f * g[k][a] as f64 / gg;
            }
            still.push(i);
        }
        active = still;
    }
    done
}

/// Compares the zero set of `field` with `reference`'s mesh; `mc` is a marching-cubes mesh of
/// the field with cells of side `cell`, used to find the zero set, and `tol` the `|f|` at which
/// a projected point counts as on it (world units).
pub fn compare_zero_set<F: Field + ?Sized>(
    reference: &Reference,
    field: &F,
    mc: &SampledMesh,
    cell: f32,
    tol: f32,
) -> MeshDistance {
    let (gt, gt_sdf, gt_samples) = (&reference.mesh, &reference.sdf, &reference.surface);
    // Reference → zero set.
    let missed = missed_by(field, mc, cell, tol, &gt_samples.points);
    let missed_normals = gradients_at(field, missed.iter().map(|m| m.1));
    let a: Vec<(f64, f64)> = missed
        .iter()
        .zip(&missed_normals)
        .zip(gt_samples.normals.iter())
        .map(|((&(d, _, face), g), n)| (d, abs_cos(g.unwrap_or(face), *n)))
        .collect();
    let worst = worst_points(
        gt_samples.points.iter().copied().zip(a.iter().map(|x| x.0)),
        spacing(gt, gt_samples.points.len()),
        SEARCH_SEED,
        |p| {
            p.par_iter()
                .map(|&p| Some(gt_sdf.closest_point(p).0))
                .collect()
        },
        |p| {
            missed_by(field, mc, cell, tol, p)
                .iter()
                .map(|m| m.0)
                .collect()
        },
    );
    let missed_max = nearest_on_zero_set(field, mc, cell, tol, &worst);

    // Zero set → reference: samples of the mesh, projected.
    let mc_samples = &mc.samples;
    let on_zero = project(field, &mc_samples.points, tol);
    let points: Vec<[f32; 3]> = on_zero
        .iter()
        .zip(&mc_samples.points)
        .map(|(z, p)| z.unwrap_or(*p))
        .collect();
    let grads = gradients_at(field, on_zero.iter().copied());
    let b: Vec<(f64, f64)> = points
        .par_iter()
        .zip(grads.par_iter().zip(mc_samples.normals.par_iter()))
        .with_min_len(256)
        .map(|(p, (g, mesh_normal))| {
            let (_, d, tri) = gt_sdf.closest_point(*p);
            (
                d as f64,
                abs_cos(g.unwrap_or(*mesh_normal), gt.face_normal(tri)),
            )
        })
        .collect();

    let mean = |v: &[(f64, f64)], f: fn(&(f64, f64)) -> f64| {
        v.iter().map(f).sum::<f64>() / v.len().max(1) as f64
    };
    let extra_max = refine_max(
        points.iter().copied().zip(b.iter().map(|x| x.0)),
        spacing(mc.mesh, points.len()),
        SEARCH_SEED,
        |p| project(field, p, tol),
        |p| {
            p.par_iter()
                .map(|&p| gt_sdf.closest_point(p).1 as f64)
                .collect()
        },
    );
    MeshDistance {
        chamfer_l1: 0.5 * (mean(&a, |x| x.0) + mean(&b, |x| x.0)),
        chamfer_l2: 0.5 * (mean(&a, |x| x.0 * x.0) + mean(&b, |x| x.0 * x.0)),
        hausdorff: missed_max.max(extra_max),
        missed: missed_max,
        extra: extra_max,
        normal_consistency: 0.5 * (mean(&a, |x| x.1) + mean(&b, |x| x.1)),
        emd: earth_movers_between(&gt_samples.points, &points),
    }
}

/// Rounds and points per round of [`nearest_on_zero_set`]'s search.
const NEAREST_ROUNDS: usize = 4;
const NEAREST_TRIES: usize = 64;

/// The largest distance from the reference points `worst` to the zero set, each taken as the
/// distance to the nearest zero-set point found: [`missed_by`]'s figure is an upper bound (the
/// projection of `p`, or of its nearest mesh point, need not land on the zero set's nearest
/// point), and the Hausdorff search seeks the largest figures, so points drawn around the
/// zero-set point found (spread half the distance, halving every round) are projected too.
fn nearest_on_zero_set<F: Field + ?Sized>(
    field: &F,
    mc: &SampledMesh,
    cell: f32,
    tol: f32,
    worst: &[([f32; 3], f64)],
) -> f64 {
    let points: Vec<[f32; 3]> = worst.iter().map(|w| w.0).collect();
    let mut best: Vec<(f64, Option<[f32; 3]>)> = missed_by(field, mc, cell, tol, &points)
        .into_iter()
        .map(|(d, z, _)| (d, z))
        .collect();
    let mut rng = Rng::new(SEARCH_SEED ^ 0x6E65_6172);
    for round in 0..NEAREST_ROUNDS {
        let shrink = 0.5f64.powi(round as i32 + 1);
        let mut owner = Vec::new();
        let mut tries = Vec::new();
        for (k, &(d, z)) in best.iter().enumerate() {
            let Some(z) = z else { continue };
            for _ in 0..NEAREST_TRIES {
                owner.push(k);
                tries.push(z.map(|c| (c as f64 + d * shrink * gaussian(&mut rng)) as f32));
            }
        }
        for (k, z) in owner.into_iter().zip(project(field, &tries, tol)) {
            let Some(z) = z else { continue };
            let d = distance(points[k], z);
            if d < best[k].0 {
                best[k] = (d, Some(z));
            }
        }
    }
    best.iter().fold(0.0, |m, b| m.max(b.0))
}

/// Each of the reference `points`' distance to the zero set, the zero-set point it was measured
/// to and the normal of the nearest marching-cubes triangle: the nearer of the projections of
/// `p` and of its nearest point on the marching-cubes mesh `mc`, unless it went astray; else the
/// distance to that mesh.
fn missed_by<F: Field + ?Sized>(
    field: &F,
    mc: &SampledMesh,
    cell: f32,
    tol: f32,
    points: &[[f32; 3]],
) -> Vec<(f64, Option<[f32; 3]>, [f32; 3])> {
    let nearest: Vec<([f32; 3], f32, [f32; 3])> = points
        .par_iter()
        .map(|&p| {
            let (q, d, tri) = mc.sdf.closest_point(p);
            (q, d, mc.mesh.face_normal(tri))
        })
        .collect();
    let from_p = project(field, points, tol);
    let from_q = project(field, &nearest.iter().map(|n| n.0).collect::<Vec<_>>(), tol);
    points
        .iter()
        .zip(&nearest)
        .zip(from_p.iter().zip(&from_q))
        .map(|((p, &(_, mesh_d, face)), (a, b))| {
            let reach = mesh_d as f64 + 3f64.sqrt() * cell as f64;
            let (d, at) = [a, b]
                .into_iter()
                .flatten()
                .map(|z| (distance(*p, *z), Some(*z)))
                .filter(|c| c.0 <= reach)
                .min_by(|x, y| x.0.total_cmp(&y.0))
                .unwrap_or((mesh_d as f64, None));
            (d, at, face)
        })
        .collect()
}

/// The field's gradient at each point that is there (`None` for the rest).
fn gradients_at<F: Field + ?Sized>(
    field: &F,
    points: impl Iterator<Item = Option<[f32; 3]>>,
) -> Vec<Option<[f32; 3]>> {
    let points: Vec<Option<[f32; 3]>> = points.collect();
    let present: Vec<[f32; 3]> = points.iter().flatten().copied().collect();
    let grads: Vec<[f32; 3]> = present
        .par_chunks(BATCH)
        .flat_map_iter(|chunk| {
            let mut d = vec![0.0; chunk.len()];
            let mut g = vec![[0.0; 3]; chunk.len()];
            field.gradients(chunk, &mut d, &mut g);
            g
        })
        .collect();
    let mut it = grads.into_iter();
    points.iter().map(|p| p.and_then(|_| it.next())).collect()
}

fn distance(a: [f32; 3], b: [f32; 3]) -> f64 {
    dlen(dsub(to_d(a), to_d(b)))
}

/// |cos| of the angle between two directions; 0 where either has no length.
fn abs_cos(a: [f32; 3], b: [f32; 3]) -> f64 {
    let l = (len2(a) as f64 * len2(b) as f64).sqrt();
    if l > 0.0 && l.is_finite() {
        (dot(a, b) as f64 / l).abs().min(1.0)
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::distance::compare_sampled;
    use crate::surface::{extract, FnField, Params};
    use crate::Mesh;

    /// The unit cube [0, 1]³, outward-facing.
    fn cube() -> Mesh {
        super::super::box_mesh([1.0; 3])
    }

    /// The unit cube's exact signed distance, grown by `h`: its zero set is everywhere exactly
    /// `h` from the cube, rounded edges and corners included.
    fn grown_cube(h: f32) -> FnField<impl Fn([f32; 3]) -> f32 + Sync> {
        FnField {
            f: move |p: [f32; 3]| {
                let q = p.map(|x| (x - 0.5).abs() - 0.5);
                let outside = q.iter().map(|c| c.max(0.0).powi(2)).sum::<f32>().sqrt();
                let inside = q[0].max(q[1]).max(q[2]).min(0.0);
                outside + inside - h
            },
            lipschitz: 1.0,
        }
    }

    #[test]
    fn projected_points_land_on_the_zero_set() {
        let field = grown_cube(0.1);
        let points = [
            [0.4, 0.5, 0.5],
            [2.0, 0.3, 0.4],
            [1.3, 1.3, 1.3],
            [0.5, -0.2, 0.5],
        ];
        for (p, z) in points.iter().zip(project(&field, &points, 1e-6)) {
            let z = z.unwrap_or_else(|| panic!("{p:?} did not converge"));
            assert!((field.f)(z).abs() <= 1e-6, "{p:?} → {z:?}");
        }
        // No gradient, no projection: the cube's centre, and a field without a zero set.
        assert_eq!(project(&field, &[[0.5; 3]], 1e-6), vec![None]);
        let flat = FnField {
            f: |_: [f32; 3]| 1.0,
            lipschitz: 1.0,
        };
        assert_eq!(project(&flat, &points, 1e-6), vec![None; 4]);
    }

    #[test]
    fn a_grown_cube_is_h_away_everywhere_and_the_meshers_error_is_gone() {
        let h = 0.1;
        let r = Reference::new(cube(), 20_000, 1);
        let field = grown_cube(h);
        // A coarse mesh of the grown cube: its rounded edges are cut off between grid points.
        let params = Params {
            resolution: 12,
            bounds: [[-0.5; 3], [1.5; 3]],
            lipschitz: Some(1.0),
            dense: false,
        };
        let x = extract(&field, &params).unwrap();
        let mc = Mesh::from_soup(x.mesh.positions, x.mesh.triangles)
            .unwrap()
            .mesh;
        let mc = SampledMesh::new(&mc, r.samples, 2);
        let m = compare_zero_set(&r, &field, &mc, x.cell_size, 1e-6);
        let h = h as f64;
        // The missed side's search ends on the cube's edges, where this field's finite-difference
        // gradient straddles the kink and a projection lands past the nearest point (0.1003
        // without `nearest_on_zero_set`).
        for (what, v) in [
            ("chamfer", m.chamfer_l1),
            ("missed", m.missed),
            ("extra", m.extra),
        ] {
            assert!((v - h).abs() < 2e-4, "{what} {v} against {h}: {m:?}");
        }
        // Faces agree; on the rounded edges the nearest face is up to 45° off.
        assert!(m.normal_consistency > 0.95, "{m:?}");
        // The mesh itself cuts the rounded edges short (its Chamfer is 0.0967): the mesher's
        // error, which measuring the zero set removes.
        let mesh = compare_sampled(&r.mesh, &r.sdf, &r.surface, &mc);
        assert!(
            (mesh.chamfer_l1 - h).abs() > 10.0 * (m.chamfer_l1 - h).abs(),
            "{mesh:?}"
        );
    }
}
