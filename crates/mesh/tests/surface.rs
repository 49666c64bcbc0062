//! Marching cubes on analytic fields with known answers: topology (watertight, manifold,
//! oriented, Euler characteristic), vertex accuracy, and sparse == dense.

use nsdf_testing::mesh;

use nsdf_mesh::surface::{extract, FnField, Params, TriMesh};
use std::collections::HashMap;

fn sphere(p: [f32; 3]) -> f32 {
    (p[0] * p[0] + p[1] * p[1] + p[2] * p[2]).sqrt() - 0.7
}

fn cube(p: [f32; 3]) -> f32 {
    let q = p.map(|x| x.abs() - 0.5);
    let outside = q.map(|x| x.max(0.0));
    (outside[0] * outside[0] + outside[1] * outside[1] + outside[2] * outside[2]).sqrt()
        + q[0].max(q[1]).max(q[2]).min(0.0)
}

fn torus(p: [f32; 3]) -> f32 {
    let q = (p[0] * p[0] + p[1] * p[1]).sqrt() - 0.6;
    (q * q + p[2] * p[2]).sqrt() - 0.25
}

fn params(resolution: usize, dense: bool) -> Params {
    Params {
        resolution,
        bounds: [[-1.0; 3], [1.0; 3]],
        lipschitz: None,
        dense,
    }
}

/// Checks every edge is shared by exactly two triangles in opposite directions; returns χ.
fn euler_characteristic(mesh: &TriMesh) -> i64 {
    let mut half: HashMap<(u32, u32), u32> = HashMap::new();
    for t in &mesh.triangles {
        assert!(
            t[0] != t[1] && t[1] != t[2] && t[0] != t[2],
            "triangle with repeated vertex {t:?}"
        );
        for k in 0..3 {
            *half.entry((t[k], t[(k + 1) % 3])).or_default() += 1;
        }
    }
    for (&(a, b), &n) in &half {
        assert_eq!(
            n, 1,
            "half-edge {a}->{b} used {n} times (non-manifold or inconsistent winding)"
        );
        assert!(
            half.contains_key(&(b, a)),
            "boundary edge {a}->{b}: mesh not watertight"
        );
    }
    let edges = half.len() as i64 / 2;
    mesh.positions.len() as i64 - edges + mesh.triangles.len() as i64
}

fn signed_volume(mesh: &TriMesh) -> f64 {
    mesh.triangles
        .iter()
        .map(|t| {
            let [a, b, c] = t.map(|i| mesh.positions[i as usize].map(|x| x as f64));
            (a[0] * (b[1] * c[2] - b[2] * c[1]) - a[1] * (b[0] * c[2] - b[2] * c[0])
                + a[2] * (b[0] * c[1] - b[1] * c[0]))
                / 6.0
        })
        .sum()
}

fn check(f: fn([f32; 3]) -> f32, resolution: usize, chi: i64, volume: f64) {
    let field = FnField { f, lipschitz: 1.0 };
    let x = extract(&field, &params(resolution, false)).unwrap();
    let m = &x.mesh;
    assert!(!m.triangles.is_empty());
    assert_eq!(euler_characteristic(m), chi);
    let vol = signed_volume(m);
    assert!(
        (vol - volume).abs() < 0.03 * volume,
        "volume {vol} vs {volume}: orientation or accuracy off"
    );
    // Vertices lie on cell edges by linear interpolation: within a fraction of a cell of the surface.
    let worst = m
        .positions
        .iter()
        .map(|&p| f(p).abs())
        .fold(0.0f32, f32::max);
    assert!(
        worst < 0.25 * x.cell_size,
        "vertex {worst} from the surface, cell {}",
        x.cell_size
    );
    // Normals point outward: along the true gradient.
    let grad = |p: [f32; 3]| {
        [0, 1, 2].map(|a| {
            let (mut hi, mut lo) = (p, p);
            hi[a] += 1e-3;
            lo[a] -= 1e-3;
            f(hi) - f(lo)
        })
    };
    let outward = m.positions.iter().zip(&m.normals).filter(|(p, n)| {
        let g = grad(**p);
        g[0] * n[0] + g[1] * n[1] + g[2] * n[2] > 0.0
    });
    assert!(outward.count() as f64 > 0.99 * m.positions.len() as f64);
    // The sparse walk skipped most blocks but produced exactly the dense mesh.
    assert!(x.blocks < x.blocks_total);
    let dense = extract(&field, &params(resolution, true)).unwrap();
    assert_eq!(dense.mesh, x.mesh, "sparse and dense extraction differ");
}

#[test]
fn sphere_is_a_closed_genus_0_surface() {
    check(sphere, 48, 2, 4.0 / 3.0 * std::f64::consts::PI * 0.343);
}

#[test]
fn cube_is_a_closed_genus_0_surface() {
    check(cube, 41, 2, 1.0);
}

#[test]
fn torus_is_a_closed_genus_1_surface() {
    check(
        torus,
        64,
        0,
        2.0 * std::f64::consts::PI.powi(2) * 0.6 * 0.25 * 0.25,
    );
}

#[test]
fn shapes_cut_by_the_bounds_are_closed_there() {
    // A sphere larger than the box: the cut faces get capped, the mesh stays watertight.
    let field = FnField {
        f: |p: [f32; 3]| (p[0] * p[0] + p[1] * p[1] + p[2] * p[2]).sqrt() - 1.2,
        lipschitz: 1.0,
    };
    let x = extract(&field, &params(32, false)).unwrap();
    assert_eq!(euler_characteristic(&x.mesh), 2);
}

#[test]
fn bad_parameters_are_errors() {
    let field = FnField {
        f: sphere,
        lipschitz: 1.0,
    };
    assert!(extract(&field, &params(0, false))
        .unwrap_err()
        .contains("resolution"));
    assert!(extract(&field, &params(1_000_000, false))
        .unwrap_err()
        .contains("resolution"));
    let mut p = params(16, false);
    p.bounds = [[0.0; 3], [0.0, 1.0, 1.0]];
    assert!(extract(&field, &p).unwrap_err().contains("bounds"));
    p.bounds = [[f32::NAN; 3], [1.0; 3]];
    assert!(extract(&field, &p).is_err());
}

#[test]
fn ambiguous_saddles_stay_manifold() {
    // A field full of saddles (gyroid-like) exercises every ambiguous face case.
    let field = FnField {
        f: |p: [f32; 3]| {
            let s = 7.0;
            ((s * p[0]).sin() * (s * p[1]).cos()
                + (s * p[1]).sin() * (s * p[2]).cos()
                + (s * p[2]).sin() * (s * p[0]).cos())
                * 0.1
        },
        lipschitz: 2.5,
    };
    let x = extract(&field, &params(40, true)).unwrap();
    euler_characteristic(&x.mesh);
}

/// A field that hides the network's own linear bounds, leaving only its gradient bound.
struct GradientBoundOnly(nsdf::Shape);

impl nsdf_mesh::surface::Field for GradientBoundOnly {
    fn distances(&self, points: &[[f32; 3]], out: &mut [f32]) {
        self.0.distances(points, out)
    }
    fn gradients(&self, points: &[[f32; 3]], dist: &mut [f32], grad: &mut [[f32; 3]]) {
        self.0.gradients(points, dist, grad)
    }
    fn gradient_bound(&self) -> Option<f32> {
        Some(self.0.gradient_bound())
    }
}

/// A network's linear bounds drop blocks the gradient bound keeps, and never one the surface
/// crosses: the mesh is bit for bit the dense one. The octahedron network's gradient is √3
/// everywhere; stored bounds of trained networks are a measured maximum with a margin, and
/// their maximum is far above the typical gradient, so the test uses 4√3.
#[test]
fn network_bounds_skip_more_blocks_and_no_surface() {
    let shape = nsdf::Shape::from_model(mesh::octahedron()).unwrap();
    let p = Params {
        lipschitz: Some(4.0 * 3f32.sqrt()),
        ..params(96, false)
    };
    let sparse = extract(&shape, &p).unwrap();
    let dense = extract(
        &shape,
        &Params {
            dense: true,
            ..p.clone()
        },
    )
    .unwrap();
    assert_eq!(
        sparse.mesh, dense.mesh,
        "bounded sparse and dense extraction differ"
    );
    let plain = extract(&GradientBoundOnly(shape.clone()), &p).unwrap();
    assert_eq!(plain.mesh, dense.mesh);
    println!(
        "blocks: {} with linear bounds, {} with the gradient bound alone, {} in all",
        sparse.blocks, plain.blocks, sparse.blocks_total
    );
    assert!(
        sparse.blocks < plain.blocks * 9 / 10,
        "linear bounds kept {} blocks, the gradient bound {}",
        sparse.blocks,
        plain.blocks
    );
}
