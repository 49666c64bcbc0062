//! A mesh measured against a reference mesh with `nsdf compare`'s measurement (the same
//! [`nsdf_mesh::metrics`] code), for reconstructions made by other tools (e.g. screened
//! Poisson in `benches/peers/poisson.py`). Prints one JSON object: canonical units (divided by
//! the reference's bounding radius R) unless the key ends in `_world`.
//!
//! ```text
//! cargo run --release -p nsdf-mesh --example compare_mesh -- REFERENCE.obj CANDIDATE.ply [SAMPLES]
//! ```

use nsdf_mesh::metrics::{measure_mesh, Reference};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(reference), Some(candidate)) = (args.first(), args.get(1)) else {
        eprintln!("usage: compare_mesh REFERENCE CANDIDATE [SAMPLES]");
        std::process::exit(2);
    };
    let samples: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let load = |path: &str| {
        nsdf_mesh::load(std::path::Path::new(path)).unwrap_or_else(|e| {
            eprintln!("{path}: {e}");
            std::process::exit(1)
        })
    };
    let (reference, candidate) = (load(reference), load(candidate));
    let r = Reference::new(reference.mesh, samples, 0);
    let measured = measure_mesh(&candidate.mesh, &r, 0x0064_6563);
    let fields: Vec<String> = measured
        .values(r.radius)
        .iter()
        .filter_map(|(k, v)| v.map(|v| format!("\"{k}\": {v}")))
        .collect();
    println!("{{{}}}", fields.join(", "));
}
