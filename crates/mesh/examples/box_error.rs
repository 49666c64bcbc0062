//! Where a distance field's error in the bounding cube comes from: `nsdf compare`'s uniform
//! samples (same count and seed) binned by their true signed distance, for the `.nsdf` as it
//! is, for it re-distanced (the distance to its zero set at 256³, [`Redistanced`]) and for the
//! dense 16-bit grid of the same bytes. Canonical units (R = 1).
//!
//! ```text
//! cargo run --release -p nsdf-mesh --example box_error -- ../shared/meshes/spot.obj spot.nsdf
//! ```
//!
//! On the `--budget 8k` packs of the six organic shared meshes (the README's table), the
//! cube's far corners (true distance over R: 1–5% of the volume) hold 10–42% of the network's
//! error in the cube, 0.05–0.09 R there against the grid's 0.004 R: few training samples fall
//! there. Within 0.01 R of the surface the network is 12–63× closer than the grid, from 0.03 to
//! 0.1 R outside 3–10×, about even from 0.1 to 0.3 R, and 0.3–0.9× from 0.3 R to R. Inside
//! the file's own bounds (the mesh's box, 15–28% of the cube) it is 1.1–2.8× closer.
//!
//! Re-distanced, the same files' error in the cube is 0.00028–0.0016 R, 5–25× below the grid's
//! (spot 24.7×, skull 11.0×, bunny_hr 8.1×, boot 5.9×, armadillo and scorpion 5.1×). It no
//! longer falls off with the training samples but grows with distance from the surface
//! (armadillo: 0.0009 R within 0.01 R of it, 0.0018 R from 0.6 to 1 R, 0.0027 R beyond): far
//! away the nearest surface is a limb or an ear, where the network's surface is farthest from the
//! mesh. The grid's own zero set, re-distanced, is 4–11× worse than the grid itself.

use nsdf_mesh::metrics::{grid::Grid, Reference};
use nsdf_mesh::surface::{Field, FnField, Params, Redistanced};

/// Bin edges, true signed distance / R.
const EDGES: [f64; 12] = [
    -1.0, -0.1, -0.03, -0.01, 0.0, 0.01, 0.03, 0.1, 0.3, 0.6, 1.0, 9.0,
];

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [mesh, file] = &args[..] else {
        eprintln!("usage: box_error MESH NSDF");
        std::process::exit(2);
    };
    let fail = |what: &str, e: &dyn std::fmt::Display| -> ! {
        eprintln!("{what}: {e}");
        std::process::exit(1)
    };
    let loaded = nsdf_mesh::load(std::path::Path::new(mesh)).unwrap_or_else(|e| fail(mesh, &e));
    let shape = nsdf::Shape::open(file).unwrap_or_else(|e| fail(file, &e));
    let bytes = std::fs::metadata(file).map_or_else(|e| fail(file, &e), |m| m.len());
    let r = Reference::new(loaded.mesh, 100_000, 0);
    let Some(grid) = Grid::bake(&r.sdf, r.cube(), bytes, 16) else {
        fail(file, &"too few bytes for a 2³ grid")
    };
    let (truth, n) = (&r.uniform_truth, r.uniform.len());
    let error = |values: Vec<f32>| -> Vec<f64> {
        values
            .iter()
            .zip(truth)
            .map(|(f, d)| (f - d).abs() as f64 / r.radius)
            .collect()
    };
    let params = Params {
        resolution: 256,
        bounds: r.cube(),
        lipschitz: None,
        dense: false,
    };
    let exact = Redistanced::new(&shape, &params).unwrap_or_else(|e| fail(file, &e));
    let (mut net, mut exact_net, mut baked) = (vec![0.0; n], vec![0.0; n], vec![0.0; n]);
    shape.distances(&r.uniform, &mut net);
    exact.distances(&r.uniform, &mut exact_net);
    grid.distances(&r.uniform, &mut baked);
    // The grid given the same step: the distance to its own (trilinear) zero set.
    let grid_field = FnField {
        f: |p| grid.distance(p),
        // Neighbouring samples of a distance differ by at most a cell: at most 1 per axis.
        lipschitz: 3f32.sqrt(),
    };
    let mut grid_exact = vec![0.0; n];
    match Redistanced::new(&grid_field, &params) {
        Ok(g) => g.distances(&r.uniform, &mut grid_exact),
        Err(e) => {
            eprintln!("the grid's zero set: {e}");
            grid_exact.fill(f32::NAN)
        }
    }
    let (net, exact_net, grid, grid_exact) = (
        error(net),
        error(exact_net),
        error(baked),
        error(grid_exact),
    );
    let net_total: f64 = net.iter().sum();
    println!("{file} against {mesh}: {n} points uniform in the cube");
    println!("| true d / R | share of the cube | network error / R | re-distanced | 16-bit grid error / R | share of the network's error |");
    println!("|---|---:|---:|---:|---:|---:|");
    for w in EDGES.windows(2) {
        let bin: Vec<usize> = (0..n)
            .filter(|&i| (w[0]..w[1]).contains(&(truth[i] as f64 / r.radius)))
            .collect();
        if bin.is_empty() {
            continue;
        }
        let sum = |e: &[f64]| bin.iter().map(|&i| e[i]).sum::<f64>();
        let m = bin.len() as f64;
        println!(
            "| {:+.2} to {:+.2} | {:.3} | {:.5} | {:.5} | {:.5} | {:.3} |",
            w[0],
            w[1],
            m / n as f64,
            sum(&net) / m,
            sum(&exact_net) / m,
            sum(&grid) / m,
            sum(&net) / net_total
        );
    }
    let mean = |e: &[f64]| e.iter().sum::<f64>() / n as f64;
    println!(
        "| all | 1 | {:.5} | {:.5} | {:.5} | 1 |",
        mean(&net),
        mean(&exact_net),
        mean(&grid)
    );
    println!(
        "the 16-bit grid re-distanced (distance to its own zero set): {:.5}",
        mean(&grid_exact)
    );
    let [lo, hi] = shape.model().transform.bounds;
    let inside: Vec<usize> = (0..n)
        .filter(|&i| (0..3).all(|a| (lo[a]..=hi[a]).contains(&r.uniform[i][a])))
        .collect();
    let m = inside.len().max(1) as f64;
    println!(
        "inside the file's bounds ({:.3} of the cube): network {:.5}, grid {:.5}",
        inside.len() as f64 / n as f64,
        inside.iter().map(|&i| net[i]).sum::<f64>() / m,
        inside.iter().map(|&i| grid[i]).sum::<f64>() / m
    );
}
