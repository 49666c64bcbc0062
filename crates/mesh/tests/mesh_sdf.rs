//! Signed distance to generated meshes whose true SDF is known: accuracy against the analytic
//! shape, exactness against brute force, robust signs on broken meshes, and independence of
//! the instruction set and thread count.

use nsdf_mesh::distance::wide::Isa;
use nsdf_mesh::{distance::winding, Mesh, Sdf, SdfOptions, SignMethod};
use nsdf_testing::mesh::*;

fn distances(sdf: &Sdf, pts: &[[f32; 3]]) -> Vec<f32> {
    let mut out = vec![0f32; pts.len()];
    sdf.signed_distances(pts, &mut out);
    out
}

/// Checks every query against the analytic SDF within `tol`, and the sign wherever the
/// analytic distance exceeds `tol`.
fn check_against(mesh: &Mesh, pts: &[[f32; 3]], truth: impl Fn([f32; 3]) -> f64, tol: f64) {
    let sdf = Sdf::new(mesh);
    let d = distances(&sdf, pts);
    for (p, &d) in pts.iter().zip(&d) {
        let t = truth(*p);
        assert!(
            (d as f64 - t).abs() <= tol,
            "at {p:?}: mesh {d}, analytic {t}, tolerance {tol}"
        );
        if t.abs() > tol {
            assert_eq!(d < 0.0, t < 0.0, "sign at {p:?}: mesh {d}, analytic {t}");
        }
    }
}

#[test]
fn icosphere_matches_the_sphere_within_tessellation_error() {
    let m = icosphere(4, 1.0);
    let tol = tessellation_error(&m, |p| sphere_sdf(p, 1.0)) + 1e-5;
    assert!(tol < 0.01, "{tol}");
    let pts = Rng(1).points(20_000, 1.6);
    check_against(&m, &pts, |p| sphere_sdf(p, 1.0), tol);
}

#[test]
fn box_is_exact() {
    let (lo, hi) = ([-0.7, -0.2, -1.1], [0.9, 0.4, 0.3]);
    let m = cuboid(lo, hi, 6);
    let pts = Rng(2).points(20_000, 1.5);
    // Only f32 rounding separates the mesh's distance from the analytic one.
    check_against(&m, &pts, |p| box_sdf(p, lo, hi), 2e-6);
}

#[test]
fn torus_matches_within_tessellation_error() {
    let m = torus(1.0, 0.3, 96, 32);
    let tol = tessellation_error(&m, |p| torus_sdf(p, 1.0, 0.3)) + 1e-5;
    assert!(tol < 0.01, "{tol}");
    let pts = Rng(3).points(20_000, 1.5);
    check_against(&m, &pts, |p| torus_sdf(p, 1.0, 0.3), tol);
}

#[test]
fn distances_equal_brute_force() {
    for (m, seed) in [
        (icosphere(3, 1.0), 4),
        (torus(1.0, 0.25, 40, 16), 5),
        (cuboid([0.0; 3], [1.0, 2.0, 0.5], 3), 6),
    ] {
        let pts = Rng(seed).points(3000, 2.5);
        let sdf = Sdf::new(&m);
        let d = distances(&sdf, &pts);
        for (p, d) in pts.iter().zip(&d) {
            let b = brute_distance(&m, *p);
            assert!(
                (d.abs() - b).abs() <= 1e-6 * (1.0 + b),
                "at {p:?}: {d} vs brute {b}"
            );
        }
        // The single-point call agrees with the batch.
        for (p, d) in pts.iter().zip(&d).take(100) {
            assert_eq!(sdf.signed_distance(*p), *d);
        }
    }
}

#[test]
fn every_instruction_set_and_thread_count_gives_identical_results() {
    let m = torus(1.0, 0.3, 64, 24);
    let mut pts = Rng(7).points(30_000, 1.5);
    pts.extend(Rng(8).points(10_000, 0.05)); // a dense cluster: long runs of close queries
    let reference = distances(&Sdf::new(&m).with_isa(Isa::Scalar), &pts);
    for isa in Isa::all_supported() {
        for threads in [1, 3] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let d = pool.install(|| distances(&Sdf::new(&m).with_isa(isa), &pts));
            let same = d
                .iter()
                .zip(&reference)
                .all(|(a, b)| a.to_bits() == b.to_bits());
            assert!(
                same,
                "{isa:?} with {threads} threads differs from the scalar reference"
            );
        }
    }
}

/// Sign agreement with the exact winding number (brute force) wherever it is clearly decided.
fn check_winding_sign(m: &Mesh, pts: &[[f32; 3]], method: SignMethod) -> usize {
    let sdf = Sdf::with_options(
        m,
        SdfOptions {
            sign: method,
            ..Default::default()
        },
    );
    let d = distances(&sdf, pts);
    let mut decided = 0;
    for (p, d) in pts.iter().zip(&d) {
        let w = winding::exact(m, *p);
        if (w - 0.5).abs() > 0.05 && d.abs() > 1e-4 {
            decided += 1;
            assert_eq!(
                *d < 0.0,
                w > 0.5,
                "{method:?} at {p:?}: distance {d}, exact winding {w}"
            );
        }
    }
    decided
}

#[test]
fn a_mesh_with_a_hole_is_signed_by_its_winding_number() {
    let mut m = icosphere(3, 1.0);
    // Remove the cap above z = 0.8.
    m.triangles
        .retain(|t| t.iter().any(|&v| m.positions[v as usize][2] < 0.8));
    let loaded = Mesh::from_soup(m.positions.clone(), m.triangles.clone()).unwrap();
    assert!(loaded.topology.boundary_edges > 0);
    let sdf = Sdf::new(&loaded.mesh);
    assert!(!sdf.is_closed());
    let pts = Rng(9).points(3000, 1.5);
    assert!(check_winding_sign(&loaded.mesh, &pts, SignMethod::Winding) > 2500);
    // Well inside and well outside are still inside and outside.
    let d = distances(
        &sdf,
        &[
            [0.0, 0.0, 0.0],
            [0.3, -0.2, 0.1],
            [1.4, 0.0, 0.0],
            [0.0, 0.0, 1.3],
        ],
    );
    assert!(
        d[0] < 0.0 && d[1] < 0.0 && d[2] > 0.0 && d[3] > 0.0,
        "{d:?}"
    );
}

#[test]
fn a_flipped_patch_does_not_flip_the_inside() {
    let mut m = icosphere(3, 1.0);
    // Flip every triangle in a cap (about 10% of the surface).
    for t in &mut m.triangles {
        if t.iter().all(|&v| m.positions[v as usize][0] > 0.8) {
            t.swap(1, 2);
        }
    }
    // Without the loader's reorientation: the winding number alone copes with a small patch.
    let topology = nsdf_mesh::check::topology(&m);
    assert!(topology.inconsistent_edges > 0);
    assert!(!topology.closed);
    let pts = Rng(10).points(3000, 1.5);
    assert!(check_winding_sign(&m, &pts, SignMethod::Winding) > 2500);
    let d = distances(
        &Sdf::new(&m),
        &[[0.0; 3], [-0.5, 0.2, 0.1], [1.3, 0.0, 0.0]],
    );
    assert!(d[0] < 0.0 && d[1] < 0.0 && d[2] > 0.0, "{d:?}");
}

#[test]
fn overlapping_closed_parts_are_one_inside() {
    // Two interpenetrating spheres in one mesh: closed, self-intersecting, winding number 2
    // in the overlap; the inside is their union.
    let a = icosphere(3, 1.0);
    let mut m = a.clone();
    let n = m.positions.len() as u32;
    m.positions
        .extend(a.positions.iter().map(|p| [p[0] + 0.8, p[1], p[2]]));
    m.triangles
        .extend(a.triangles.iter().map(|t| t.map(|v| v + n)));
    let loaded = Mesh::from_soup(m.positions, m.triangles).unwrap();
    assert!(loaded.topology.closed);
    let pts = Rng(11).points(3000, 2.0);
    for method in [SignMethod::Winding, SignMethod::FastWinding] {
        assert!(check_winding_sign(&loaded.mesh, &pts, method) > 2500);
    }
    let union = |p: [f32; 3]| sphere_sdf(p, 1.0).min(sphere_sdf([p[0] - 0.8, p[1], p[2]], 1.0));
    let d = distances(&Sdf::new(&loaded.mesh), &pts);
    for (p, d) in pts.iter().zip(&d) {
        if union(*p).abs() > 0.02 {
            assert_eq!(*d < 0.0, union(*p) < 0.0, "at {p:?}");
        }
    }
}

#[test]
fn winding_methods_agree_with_the_exact_winding_number() {
    let m = torus(1.0, 0.3, 48, 16);
    let mut pts = Rng(12).points(2000, 1.5);
    // Queries hugging the surface, where the sign is hardest.
    let s = nsdf_mesh::sample::sample_surface(&m, 2000, 3);
    let mut rng = Rng(13);
    pts.extend(
        s.points
            .iter()
            .map(|p| p.map(|x| x + rng.uniform(-0.01, 0.01))),
    );
    for method in [SignMethod::Winding, SignMethod::FastWinding] {
        assert!(check_winding_sign(&m, &pts, method) > 3500);
    }
    // And the fast winding number itself is close to the exact one.
    let sdf = Sdf::new(&m);
    let mut w = vec![0f32; pts.len()];
    sdf.winding_numbers(&pts, &mut w);
    for (p, w) in pts.iter().zip(&w).take(500) {
        let e = winding::exact(&m, *p);
        assert!(
            (*w as f64 - e).abs() < 0.02,
            "at {p:?}: fast {w}, exact {e}"
        );
    }
}

#[test]
fn an_inside_out_mesh_is_flipped_with_a_warning() {
    let mut m = icosphere(2, 1.0);
    flip(&mut m);
    let loaded = Mesh::from_soup(m.positions, m.triangles).unwrap();
    assert!(
        loaded
            .warnings
            .contains(&nsdf_mesh::Warning::InsideOutFlipped),
        "{:?}",
        loaded.warnings
    );
    let d = distances(&Sdf::new(&loaded.mesh), &[[0.0; 3], [2.0, 0.0, 0.0]]);
    assert!(d[0] < 0.0 && d[1] > 0.0);
}

#[test]
fn unsigned_and_closest_point() {
    let m = cuboid([-1.0; 3], [1.0; 3], 2);
    let sdf = Sdf::new(&m);
    let mut u = vec![0f32; 2];
    sdf.unsigned_distances(&[[0.0, 0.0, 0.5], [3.0, 0.0, 0.0]], &mut u);
    assert_eq!(u, vec![0.5, 2.0]);
    let (c, d, t) = sdf.closest_point([3.0, 0.25, -0.5]);
    assert_eq!((c, d), ([1.0, 0.25, -0.5], 2.0));
    let tri = m.triangles[t as usize].map(|v| m.positions[v as usize]);
    assert!(
        tri.iter().all(|v| v[0] == 1.0),
        "closest triangle {tri:?} is on the x = 1 face"
    );
}

#[test]
fn surface_samples_lie_on_the_mesh_and_are_area_weighted() {
    use nsdf_mesh::sample::sample_surface;
    // A flat box: the two large faces hold 2 × (2 × 2) of the 2 × (4 + 0.4 + 0.4) area.
    let m = cuboid([-1.0, -1.0, -0.1], [1.0, 1.0, 0.1], 1);
    let s = sample_surface(&m, 50_000, 42);
    assert_eq!(s.points.len(), 50_000);
    let sdf = Sdf::new(&m);
    let mut d = vec![0f32; s.points.len()];
    sdf.unsigned_distances(&s.points, &mut d);
    assert!(d.iter().all(|d| *d < 1e-6));
    for (p, n) in s.points.iter().zip(&s.normals) {
        assert!((n.iter().map(|x| x * x).sum::<f32>() - 1.0).abs() < 1e-5);
        // The normal of a box face points along the axis the point is extreme on.
        let k = (0..3)
            .max_by(|&a, &b| n[a].abs().total_cmp(&n[b].abs()))
            .unwrap();
        assert!(n[k] * p[k] > 0.0);
    }
    let big = s.normals.iter().filter(|n| n[2].abs() > 0.5).count() as f64 / 50_000.0;
    let expected = 8.0 / 9.6;
    assert!((big - expected).abs() < 0.01, "{big} vs {expected}");
    // Deterministic for a seed, whatever the thread count.
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let again = pool.install(|| sample_surface(&m, 50_000, 42));
    assert_eq!(again.points, s.points);
    assert_ne!(sample_surface(&m, 100, 43).points, s.points[..100].to_vec());
}

#[test]
fn non_finite_queries_give_non_finite_answers_without_panicking() {
    let m = icosphere(2, 1.0);
    let sdf = Sdf::new(&m);
    let pts = [
        [f32::NAN, 0.0, 0.0],
        [0.0, f32::INFINITY, 0.0],
        [0.5, 0.0, 0.0],
        [f32::NEG_INFINITY; 3],
    ];
    let d = distances(&sdf, &pts);
    assert!(
        !d[0].is_finite() && !d[1].is_finite() && !d[3].is_finite(),
        "{d:?}"
    );
    assert!(d[2] < 0.0 && d[2].is_finite());
    let _ = sdf.closest_point([f32::NAN; 3]);
    let _ = sdf.signed_distance([f32::INFINITY, 0.0, 0.0]);
}
