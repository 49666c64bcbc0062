//! What marching cubes alone costs: a mesh's *exact* signed distance meshed at a resolution
//! over the bounding cube, then measured against the mesh as `nsdf compare` measures a network,
//! as a mesh and as a zero set (the figures `docs/metrics.md` quotes). Canonical units.
//!
//! ```text
//! cargo run --release -p nsdf-mesh --example mesher_floor -- ../shared/meshes/spot.obj 256
//! ```

use nsdf_mesh::metrics::{compare_sampled, zero_set, Reference, SampledMesh, ZERO_SET_TOLERANCE};
use nsdf_mesh::surface::{extract, MeshField, Params};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(path), Some(Ok(resolution))) = (args.first(), args.get(1).map(|r| r.parse())) else {
        eprintln!("usage: mesher_floor MESH RESOLUTION");
        std::process::exit(2);
    };
    let loaded = nsdf_mesh::load(std::path::Path::new(path)).unwrap_or_else(|e| {
        eprintln!("{path}: {e}");
        std::process::exit(1)
    });
    let r = Reference::new(loaded.mesh, 100_000, 0);
    let field = MeshField::new(&r.mesh);
    let params = Params {
        resolution,
        bounds: r.cube(),
        lipschitz: Some(1.0),
        dense: false,
    };
    let Some((mesh, cell)) = extract(&field, &params).ok().and_then(|x| {
        let cell = x.cell_size;
        nsdf_mesh::Mesh::from_soup(x.mesh.positions, x.mesh.triangles)
            .ok()
            .map(|l| (l.mesh, cell))
    }) else {
        eprintln!("{path}: no surface at resolution {resolution}");
        std::process::exit(1)
    };
    let sampled = SampledMesh::new(&mesh, r.samples, 0x0072_6563);
    let tol = (ZERO_SET_TOLERANCE * r.radius) as f32;
    for (what, d) in [
        (
            "mesh",
            compare_sampled(&r.mesh, &r.sdf, &r.surface, &sampled),
        ),
        (
            "zero set",
            zero_set::compare_zero_set(&r, &field, &sampled, cell, tol),
        ),
    ] {
        let d = d.canonical(r.radius);
        println!(
            "{path} at {resolution}³, {what}: Chamfer {:.6}, Hausdorff {:.5} (missed {:.5}, extra {:.5})",
            d.chamfer_l1, d.hausdorff, d.missed, d.extra
        );
    }
}
