//! Ground-truth signed distance throughput and exactness on a real mesh, printed as one JSON
//! object. `benches/peers/gt_run.sh` runs it beside pysdf and prints the table.
//!
//! ```text
//! cargo run --release -p nsdf-mesh --example gt_bench -- --mesh ../shared/meshes/skull.obj \
//!     --points 1000000 --threads 2 --repeat 3 [--queries uniform|near] [--write-points F] \
//!     [--write-distances F] [--check 1000]
//! ```
//!
//! Queries are drawn in Davies' training frame (mesh scaled so its minimal enclosing sphere
//! has radius 0.9 at the origin): `uniform` in [-1, 1]^3, `near` = surface samples plus
//! N(0, 0.01²) offsets. They are mapped back to mesh units, where everything is computed, so
//! `--write-points` gives a peer exactly the same queries. Times cover queries only (the
//! build is reported separately); the best of `--repeat` runs counts.
//!
//! Checks on `--check` random queries: the distance against a brute-force minimum over all
//! triangles, and the sign against the exact winding number (f64 sum of all solid angles).

use nsdf_mesh::distance::{triangle, winding};
use nsdf_mesh::sample::{sample_surface, Rng};
use nsdf_mesh::sphere::min_enclosing_sphere;
use nsdf_mesh::{load, Sdf, SdfOptions, SignMethod};
use rayon::prelude::*;
use std::path::PathBuf;
use std::time::Instant;

struct Args {
    mesh: PathBuf,
    points: usize,
    threads: usize,
    repeat: usize,
    near: bool,
    check: usize,
    seed: u64,
    write_points: Option<PathBuf>,
    write_distances: Option<PathBuf>,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        mesh: PathBuf::from("../shared/meshes/skull.obj"),
        points: 1_000_000,
        threads: 2,
        repeat: 3,
        near: false,
        check: 1000,
        seed: 1,
        write_points: None,
        write_distances: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut val = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        let num = |s: String| s.parse::<usize>().map_err(|e| format!("{s}: {e}"));
        match flag.as_str() {
            "--mesh" => a.mesh = val()?.into(),
            "--points" => a.points = num(val()?)?,
            "--threads" => a.threads = num(val()?)?,
            "--repeat" => a.repeat = num(val()?)?.max(1),
            "--check" => a.check = num(val()?)?,
            "--seed" => a.seed = num(val()?)? as u64,
            "--queries" => {
                a.near = match val()?.as_str() {
                    "uniform" => false,
                    "near" => true,
                    q => return Err(format!("--queries {q}: expected uniform or near")),
                }
            }
            "--write-points" => a.write_points = Some(val()?.into()),
            "--write-distances" => a.write_distances = Some(val()?.into()),
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    Ok(a)
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("gt_bench: {e}");
            std::process::exit(2);
        }
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads)
        .build()
        .expect("thread pool");
    pool.install(|| run(&args));
}

fn run(args: &Args) {
    let t = Instant::now();
    let loaded = match load(&args.mesh) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("gt_bench: {e}");
            std::process::exit(1);
        }
    };
    let load_s = t.elapsed().as_secs_f64();
    let mesh = loaded.mesh;

    // Queries in the training frame, mapped back to mesh units.
    let sphere = min_enclosing_sphere(&mesh.positions);
    let to_mesh = |p: [f64; 3]| -> [f32; 3] {
        let k = sphere.radius / 0.9;
        [0, 1, 2].map(|i| (p[i] * k + sphere.center[i]) as f32)
    };
    let mut rng = Rng::new(args.seed);
    let points: Vec<[f32; 3]> = if args.near {
        let s = sample_surface(&mesh, args.points, args.seed);
        let sigma = 0.01 * sphere.radius / 0.9; // 0.01 canonical, in mesh units
        s.points
            .iter()
            .map(|p| {
                let g = [gauss(&mut rng), gauss(&mut rng), gauss(&mut rng)];
                [0, 1, 2].map(|i| p[i] + (g[i] * sigma) as f32)
            })
            .collect()
    } else {
        (0..args.points)
            .map(|_| to_mesh([0, 1, 2].map(|_| rng.next_f64() * 2.0 - 1.0)))
            .collect()
    };

    let t = Instant::now();
    let sdf = Sdf::new(&mesh);
    let build_s = t.elapsed().as_secs_f64();
    let fast = Sdf::with_options(
        &mesh,
        SdfOptions {
            sign: SignMethod::FastWinding,
            ..Default::default()
        },
    );

    let mut out = vec![0f32; points.len()];
    // Best wall time and best process CPU time (user + system, all threads) over the repeats.
    let best = |f: &dyn Fn(&mut [f32])| -> (f64, f64) {
        let mut buf = vec![0f32; points.len()];
        (0..args.repeat)
            .map(|_| {
                let (t, c) = (Instant::now(), cpu_seconds());
                f(&mut buf);
                (t.elapsed().as_secs_f64(), cpu_seconds() - c)
            })
            .fold((f64::INFINITY, f64::INFINITY), |a, b| {
                (a.0.min(b.0), a.1.min(b.1))
            })
    };
    let (signed_s, signed_cpu_s) = best(&|o| sdf.signed_distances(&points, o));
    let (unsigned_s, _) = best(&|o| sdf.unsigned_distances(&points, o));
    let (fast_s, _) = best(&|o| fast.signed_distances(&points, o));
    sdf.signed_distances(&points, &mut out);
    let mut out_fast = vec![0f32; points.len()];
    fast.signed_distances(&points, &mut out_fast);

    // Exactness and sign checks on a random subset.
    let n_check = args.check.min(points.len());
    let subset: Vec<usize> = (0..n_check)
        .map(|_| (rng.next_u64() % points.len() as u64) as usize)
        .collect();
    let checks: Vec<(f32, bool, bool, bool)> = subset
        .par_iter()
        .map(|&i| {
            let q = points[i];
            let brute = mesh
                .triangles
                .iter()
                .map(|t| {
                    let [a, b, c] = t.map(|v| mesh.positions[v as usize]);
                    triangle::distance2(q, a, b, c)
                })
                .fold(f32::INFINITY, f32::min)
                .sqrt();
            let w = winding::exact(&mesh, q);
            let inside = w > 0.5;
            // Within 1e-4 of a half-integer the exact sum itself is not a reliable reference.
            let clear = (w - w.floor() - 0.5).abs() > 1e-4;
            (
                (out[i].abs() - brute).abs(),
                (out[i] < 0.0) == inside || !clear,
                (out_fast[i] < 0.0) == inside || !clear,
                clear,
            )
        })
        .collect();
    let max_err = checks.iter().map(|c| c.0).fold(0f32, f32::max);
    let sign_bad = checks.iter().filter(|c| !c.1).count();
    let sign_bad_fast = checks.iter().filter(|c| !c.2).count();
    let unclear = checks.iter().filter(|c| !c.3).count();

    if let Some(p) = &args.write_points {
        write_f32(p, points.iter().flatten());
    }
    if let Some(p) = &args.write_distances {
        write_f32(p, out.iter());
    }
    let n = points.len() as f64;
    let inside = out.iter().filter(|d| **d < 0.0).count();
    println!(
        "{{\"tool\": \"nsdf\", \"mesh\": {:?}, \"triangles\": {}, \"queries\": \"{}\", \"points\": {}, \
         \"threads\": {}, \"closed\": {}, \"warnings\": {}, \"load_s\": {:.4}, \"build_s\": {:.4}, \
         \"signed_s\": {:.4}, \"signed_cpu_s\": {:.3}, \"signed_mqps\": {:.3}, \"unsigned_mqps\": {:.3}, \
         \"fast_winding_mqps\": {:.3}, \"inside_fraction\": {:.4}, \"check_points\": {}, \
         \"max_abs_err_vs_brute\": {:e}, \"sign_disagreements_vs_exact_winding\": {}, \
         \"sign_disagreements_fast_winding\": {}, \"ambiguous_winding\": {}, \"bvh_depth\": {}, \"loadavg1\": {}}}",
        args.mesh.display().to_string(),
        mesh.triangles.len(),
        if args.near { "near" } else { "uniform" },
        points.len(),
        args.threads,
        sdf.is_closed(),
        loaded.warnings.len(),
        load_s,
        build_s,
        signed_s,
        signed_cpu_s,
        n / signed_s / 1e6,
        n / unsigned_s / 1e6,
        n / fast_s / 1e6,
        inside as f64 / n,
        n_check,
        max_err,
        sign_bad,
        sign_bad_fast,
        unclear,
        sdf.bvh().depth(),
        std::fs::read_to_string("/proc/loadavg").ok().and_then(|l| l.split(' ').next().map(str::to_owned)).unwrap_or("null".into()),
    );
}

/// CPU seconds used by this process so far (Linux `/proc/self/stat`, 10 ms ticks); 0 elsewhere.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
    let rest = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<f64> = rest
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|x| x.parse().ok())
        .collect();
    f.iter().sum::<f64>() / 100.0
}

fn gauss(rng: &mut Rng) -> f64 {
    // Box–Muller; 1 − u keeps the logarithm finite.
    let u = 1.0 - rng.next_f64();
    let v = rng.next_f64();
    (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
}

fn write_f32<'a>(path: &PathBuf, values: impl Iterator<Item = &'a f32>) {
    let bytes: Vec<u8> = values.flat_map(|v| v.to_le_bytes()).collect();
    if let Err(e) = std::fs::write(path, bytes) {
        eprintln!("gt_bench: cannot write {}: {e}", path.display());
        std::process::exit(1);
    }
}
