//! `nsdf compare`: how much a `.nsdf` file lost against its mesh, and how that compares with
//! what people ship at the same number of bytes: the mesh decimated (QEM) and encoded with
//! Draco (11 and 14 bits), meshoptimizer's codec, or raw float32; and a baked distance grid
//! (8 and 16 bits, trilinear). The network's field is measured twice: as it is, and made exact
//! (the distance to its own zero set, [`Redistanced`]), which is what `nsdf bake --exact` bakes.
//! Definitions: `docs/metrics.md` and [`nsdf_mesh::metrics`].

use super::{open_shape, CmdResult, Failure};
use nsdf_mesh;
use nsdf_mesh::metrics::codec::Codec;
use nsdf_mesh::metrics::decimate::decimate_to_bytes;
use nsdf_mesh::metrics::grid::Grid;
use nsdf_mesh::metrics::sizes::{binary_ply, zstd_size, ZSTD_LEVEL};
use nsdf_mesh::metrics::{
    field_accuracy, measure_mesh, measure_shape, normal_error, Measured, Reference, METRIC_KEYS,
};
use nsdf_mesh::surface::{Field, Params, Redistanced};
use serde_json::{json, Map, Value};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Compare a network with its mesh: sizes, accuracy, and the equal-bytes baselines (the mesh
/// decimated and encoded with Draco 11/14-bit, meshoptimizer, raw float32; distance grids).
///
/// Single form: `nsdf compare MESH FILE.nsdf`. Batch form: `nsdf compare --dir MESHES
/// --nsdf-dir NETWORKS`, pairing files by stem (bunny.obj with bunny.nsdf), one row per mesh.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The reference mesh (.obj, .ply, .stl, .gltf, .glb).
    #[arg(required_unless_present = "dir", conflicts_with = "dir")]
    pub mesh: Option<PathBuf>,
    /// The .nsdf file to measure.
    #[arg(required_unless_present = "dir")]
    pub file: Option<PathBuf>,
    /// Batch form: a folder of meshes.
    #[arg(long, requires = "nsdf_dir")]
    pub dir: Option<PathBuf>,
    /// Batch form: the folder holding STEM.nsdf for each mesh STEM.* in --dir.
    #[arg(long, requires = "dir")]
    pub nsdf_dir: Option<PathBuf>,
    /// Print JSON (an object; an array in the batch form).
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// Print CSV (a header line, then one line per mesh).
    #[arg(long)]
    pub csv: bool,
    /// Marching-cubes cells along the bounding cube's side for the network's mesh (which finds
    /// the zero set that the surface figures measure, and is measured itself as "MC mesh").
    #[arg(short, long, default_value_t = 128, value_parser = clap::value_parser!(u32).range(2..=1024))]
    pub resolution: u32,
    /// Points per sample set (surface, near, uniform, and each side of Chamfer).
    #[arg(short, long, default_value_t = 100_000, value_parser = clap::value_parser!(u32).range(100..=10_000_000))]
    pub samples: u32,
    /// Seed of every point set (same seed, same numbers).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// No progress lines on stderr.
    #[arg(short, long)]
    pub quiet: bool,
}

/// One report row: ordered (column, value) pairs, shared by the table, CSV and JSON outputs.
type Row = Vec<(String, Value)>;

/// Table labels of the metric columns ([`METRIC_KEYS`], same order) reported for the network
/// (`net_`) and each baseline (`f32_`, `meshopt14_`, `draco14_`, `draco11_`, `grid8_`,
/// `grid16_`). Grids have no mesh, so no mesh metrics; meshes have no gradient, so no normal
/// error.
const LABELS: [&str; METRIC_KEYS.len()] = [
    "bytes",
    "mean |d| on surface, world",
    "max |d| on surface, world",
    "mean |d| on surface / R",
    "max |d| on surface / R",
    "mean |f-d| near (band) / R",
    "mean |f-d| in cube / R",
    "normal error, degrees",
    "sign agreement near (σ=0.01R)",
    "F1 near",
    "sign agreement in cube",
    "F1 in cube",
    "volumetric IoU (cube)",
    "Chamfer L1 / R",
    "Chamfer L2 / R²",
    "Hausdorff / R",
    "Hausdorff mesh→surface / R",
    "Hausdorff surface→mesh / R",
    "EMD / R (1000 samples)",
    "Chamfer L1, world",
    "Hausdorff, world",
    "normal consistency",
    "triangles",
    "Chamfer L1 / R, MC mesh",
    "Hausdorff / R, MC mesh",
];

pub fn run(args: Args) -> CmdResult {
    let pairs = match (&args.dir, &args.nsdf_dir, &args.mesh, &args.file) {
        (Some(dir), Some(nsdf_dir), _, _) => batch_pairs(dir, nsdf_dir)?,
        (_, _, Some(mesh), Some(file)) => vec![(mesh.clone(), file.clone())],
        _ => {
            return Err(Failure::new(
                "give MESH and FILE.nsdf, or --dir and --nsdf-dir",
            ))
        }
    };
    let mut rows = Vec::new();
    let mut failed = 0;
    for (mesh, file) in &pairs {
        match compare_one(mesh, file, &args) {
            Ok(row) => rows.push(row),
            // A batch goes on past a broken pair; a single comparison just fails.
            Err(Failure::Error(msg)) if args.dir.is_some() => {
                eprintln!("nsdf: {msg}");
                failed += 1;
            }
            Err(e) => return Err(e),
        }
    }
    let batch = args.dir.is_some();
    let report = if args.json {
        let objects: Vec<Value> = rows.iter().map(to_object).collect();
        let v = if batch {
            Value::Array(objects)
        } else {
            objects.into_iter().next().unwrap_or(Value::Null)
        };
        format!("{}\n", serde_json::to_string_pretty(&v).unwrap_or_default())
    } else if args.csv {
        csv(&rows)
    } else if batch {
        batch_table(&rows)
    } else {
        rows.first().map(single_table).unwrap_or_default()
    };
    super::print(&report)?;
    if failed > 0 {
        return Err(Failure::new(format_args!(
            "{failed} of {} comparisons failed",
            pairs.len()
        )));
    }
    Ok(ExitCode::SUCCESS)
}

/// (mesh, STEM.nsdf) for every mesh file in `dir` that has a network in `nsdf_dir`, by name.
fn batch_pairs(dir: &Path, nsdf_dir: &Path) -> Result<Vec<(PathBuf, PathBuf)>, Failure> {
    let entries = std::fs::read_dir(dir).map_err(|e| Failure::file(dir, e))?;
    let mut meshes: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && nsdf_mesh::Format::from_path(p).is_some())
        .collect();
    meshes.sort();
    let mut pairs = Vec::new();
    for m in meshes {
        let Some(stem) = m.file_stem() else { continue };
        let n = nsdf_dir.join(stem).with_extension("nsdf");
        if n.is_file() {
            pairs.push((m, n));
        } else {
            eprintln!(
                "nsdf compare: {}: no {} (skipped)",
                m.display(),
                n.display()
            );
        }
    }
    if pairs.is_empty() {
        return Err(Failure::new(format_args!(
            "no mesh in {} has a matching STEM.nsdf in {}",
            dir.display(),
            nsdf_dir.display()
        )));
    }
    Ok(pairs)
}

fn file_len(path: &Path) -> Result<u64, Failure> {
    std::fs::metadata(path)
        .map(|m| m.len())
        .map_err(|e| Failure::file(path, e))
}

fn compare_one(mesh_path: &Path, nsdf_path: &Path, args: &Args) -> Result<Row, Failure> {
    let name = mesh_path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let start = std::time::Instant::now();
    let progress = |phase: &str| {
        if !args.quiet {
            eprintln!(
                "nsdf compare: {name}: {:6.2} s  {phase}",
                start.elapsed().as_secs_f64()
            );
        }
    };
    progress("loading");
    let loaded = nsdf_mesh::load(mesh_path).map_err(|e| Failure::file(mesh_path, e))?;
    let shape = open_shape(nsdf_path)?;
    let nsdf_bytes = file_len(nsdf_path)?;
    let mesh_bytes = file_len(mesh_path)?;
    let ply = binary_ply(&loaded.mesh);
    let zstd_bytes = zstd_size(&ply).map_err(Failure::new)?;
    let (vertices, triangles) = (loaded.mesh.positions.len(), loaded.mesh.triangles.len());
    let n = args.samples as usize;

    progress("sampling and exact distances");
    let r = Reference::new(loaded.mesh, n, args.seed);
    progress("network: point sets, normals, marching cubes against the reference");
    let mut net_side = measure_shape(&shape, &r, args.resolution as usize, args.seed)
        .map_err(|e| Failure::file(nsdf_path, e))?;
    net_side.bytes = Some(nsdf_bytes);

    let ratio = |a: u64| json!(a as f64 / nsdf_bytes.max(1) as f64);
    let mut row: Row = [
        ("mesh", json!(mesh_path.display().to_string())),
        ("nsdf", json!(nsdf_path.display().to_string())),
        ("vertices", json!(vertices)),
        ("mesh_triangles", json!(triangles)),
        ("radius", json!(r.radius)),
        ("resolution", json!(args.resolution)),
        ("samples", json!(n)),
        ("seed", json!(args.seed)),
        ("bytes_mesh_file", json!(mesh_bytes)),
        ("bytes_ply", json!(ply.len())),
        ("bytes_ply_zstd", json!(zstd_bytes)),
        ("bytes_nsdf", json!(nsdf_bytes)),
        ("ratio_mesh_file", ratio(mesh_bytes)),
        ("ratio_ply", ratio(ply.len() as u64)),
        ("ratio_ply_zstd", ratio(zstd_bytes)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    push_metrics(&mut row, "net", &net_side, r.radius);

    progress("network re-distanced: exact distances to its zero set");
    let params = Params {
        resolution: args.resolution as usize,
        bounds: r.cube(),
        lipschitz: None,
        dense: false,
    };
    let exact_side = match Redistanced::new(&shape, &params) {
        Ok(exact) => Measured {
            bytes: Some(nsdf_bytes),
            acc: Some(field_accuracy(&r, |p, o| exact.distances(p, o))),
            normals: Some(normal_error(&r, |p, g| {
                let mut d = vec![0.0; p.len()];
                exact.gradients(p, &mut d, g)
            })),
            triangles: Some(exact.mesh().triangles.len()),
            ..Measured::default()
        },
        Err(_) => Measured::default(),
    };
    push_metrics(&mut row, "exact", &exact_side, r.radius);

    for codec in Codec::BASELINES {
        let key = codec.key();
        progress(&format!("{key}: decimating to the same bytes"));
        let (status, side) = match decimate_to_bytes(&r.mesh, nsdf_bytes, codec) {
            Err(e) => (format!("not measured: {e}"), Measured::default()),
            Ok(dec) => {
                let status = match (&dec.mesh, dec.fits) {
                    (Some(_), true) => format!("fits in {} of {nsdf_bytes} bytes", dec.bytes),
                    (Some(_), false) => format!(
                        "budget not reached: smallest decimation is {} bytes",
                        dec.bytes
                    ),
                    (None, _) => "budget not reached: no usable decimation".to_string(),
                };
                let side = match &dec.mesh {
                    Some(m) => Measured {
                        bytes: Some(dec.bytes),
                        ..measure_mesh(m, &r, args.seed ^ 0x0064_6563)
                    },
                    None => Measured::default(),
                };
                (status, side)
            }
        };
        row.push((format!("{key}_encoding"), json!(codec.describe())));
        row.push((format!("{key}_status"), json!(status)));
        push_metrics(&mut row, &key, &side, r.radius);
    }

    for bits in GRID_BITS {
        let key = format!("grid{bits}");
        progress(&format!("{key}: baking a distance grid of the same bytes"));
        let side = match Grid::bake(&r.sdf, r.cube(), nsdf_bytes, bits) {
            Some(g) => {
                row.push((format!("{key}_samples"), json!(g.n)));
                Measured {
                    bytes: Some(g.bytes),
                    acc: Some(field_accuracy(&r, |p, o| g.distances(p, o))),
                    dist: None,
                    mesh: None,
                    normals: Some(normal_error(&r, |p, out| {
                        for (o, p) in out.iter_mut().zip(p) {
                            *o = g.gradient(*p);
                        }
                    })),
                    triangles: None,
                }
            }
            None => {
                row.push((format!("{key}_samples"), Value::Null));
                Measured::default()
            }
        };
        push_metrics(&mut row, &key, &side, r.radius);
    }
    progress("done");
    Ok(row)
}

/// Texel sizes of the distance-grid baselines.
const GRID_BITS: [u32; 2] = [8, 16];

/// The sides in report order: column prefix and table heading.
fn sides() -> Vec<(String, String)> {
    let mut v = vec![
        ("net".to_string(), "network".to_string()),
        ("exact".to_string(), "net re-dist.".to_string()),
    ];
    for c in Codec::BASELINES {
        let heading = match c {
            Codec::RawF32 => "QEM+f32".to_string(),
            Codec::Meshopt { bits } => format!("QEM+mopt{bits}"),
            Codec::Draco { bits, .. } => format!("QEM+draco{bits}"),
        };
        v.push((c.key(), heading));
    }
    for bits in GRID_BITS {
        v.push((format!("grid{bits}"), format!("grid {bits}-bit")));
    }
    v
}

/// Appends the [`METRIC_KEYS`] columns for one side; missing figures are null.
fn push_metrics(row: &mut Row, side: &str, m: &Measured, r: f64) {
    for (key, v) in m.values(r) {
        let value = match v {
            None => Value::Null,
            Some(x) if key == "triangles" || key == "bytes" => json!(x as u64),
            Some(x) => json!(x),
        };
        row.push((column(side, key), value));
    }
}

/// The column of metric `key` for `side` (`net`, `draco11`, `grid16`, ...).
fn column(side: &str, key: &str) -> String {
    format!("{side}_{key}")
}

fn to_object(row: &Row) -> Value {
    Value::Object(
        row.iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect::<Map<_, _>>(),
    )
}

fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) if s.contains([',', '"', '\n']) => {
            format!("\"{}\"", s.replace('"', "\"\""))
        }
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn csv(rows: &[Row]) -> String {
    let mut out = String::new();
    if let Some(first) = rows.first() {
        let header: Vec<&str> = first.iter().map(|(k, _)| k.as_str()).collect();
        let _ = writeln!(out, "{}", header.join(","));
    }
    for row in rows {
        let cells: Vec<String> = row.iter().map(|(_, v)| cell(v)).collect();
        let _ = writeln!(out, "{}", cells.join(","));
    }
    out
}

fn get<'a>(row: &'a Row, key: &str) -> &'a Value {
    row.iter()
        .find(|(k, _)| k == key)
        .map_or(&Value::Null, |(_, v)| v)
}

/// A number for the table: 5 significant-looking digits, small values in scientific form.
fn num(v: &Value) -> String {
    match v.as_f64() {
        None => "-".to_string(),
        Some(x) if v.is_u64() => format!("{x}"),
        Some(x) if x != 0.0 && x.abs() < 1e-3 => format!("{x:.3e}"),
        Some(x) => format!("{x:.5}"),
    }
}

/// A string value as it is (no CSV quoting).
fn text(v: &Value) -> &str {
    v.as_str().unwrap_or("")
}

fn single_table(row: &Row) -> String {
    let mut s = String::new();
    let g = |k| get(row, k);
    let _ = writeln!(
        s,
        "mesh  {} ({} vertices, {} triangles, bounding-sphere radius R = {})",
        text(g("mesh")),
        num(g("vertices")),
        num(g("mesh_triangles")),
        num(g("radius"))
    );
    let _ = writeln!(s, "nsdf  {}\n", text(g("nsdf")));
    let _ = writeln!(s, "sizes (ratio = size / .nsdf size)");
    for (label, bytes, ratio) in [
        ("mesh file", "bytes_mesh_file", "ratio_mesh_file"),
        (
            "binary PLY (f32 xyz, u32 indices)",
            "bytes_ply",
            "ratio_ply",
        ),
        ("PLY + zstd -19", "bytes_ply_zstd", "ratio_ply_zstd"),
    ] {
        let _ = writeln!(
            s,
            "  {label:<36} {:>12} B  {:>9.1}×",
            num(g(bytes)),
            g(ratio).as_f64().unwrap_or(0.0)
        );
    }
    let _ = writeln!(s, "  {:<36} {:>12} B\n", ".nsdf", num(g("bytes_nsdf")));
    let _ = writeln!(s, "equal-bytes baselines (each at most the .nsdf's bytes):");
    for c in Codec::BASELINES {
        let key = c.key();
        let _ = writeln!(
            s,
            "  QEM + {key:<10} {}\n  {:<16} {}",
            text(get(row, &format!("{key}_status"))),
            "",
            text(get(row, &format!("{key}_encoding")))
        );
    }
    for bits in GRID_BITS {
        let _ = writeln!(
            s,
            "  grid {bits}-bit     {}³ samples over the bounding cube, trilinear",
            num(get(row, &format!("grid{bits}_samples")))
        );
    }
    let _ = writeln!(
        s,
        "network surface: its zero set, found by marching cubes at {}³ over the bounding cube \
         (centre ± R/0.9) and reached by Newton steps; \"MC mesh\": that mesh itself. {} \
         samples per set, seed {}; Hausdorff: each side's largest distance, searched for \
         around its worst samples (docs/metrics.md). \"net re-dist.\": the network's field made \
         exact, the distance to that zero set signed by the network (its surface is the \
         network's)\n",
        num(g("resolution")),
        num(g("samples")),
        num(g("seed"))
    );
    let sides = sides();
    let mut header = format!("  {:<30}", "metric");
    for (_, heading) in &sides {
        let _ = write!(header, " {heading:>12}");
    }
    let _ = writeln!(s, "{header}");
    for (key, label) in METRIC_KEYS.into_iter().zip(LABELS) {
        let mut line = format!("  {label:<30}");
        for (side, _) in &sides {
            let _ = write!(line, " {:>12}", num(get(row, &column(side, key))));
        }
        let _ = writeln!(s, "{line}");
    }
    s
}

fn batch_table(rows: &[Row]) -> String {
    let cols = [
        ("mesh", "mesh"),
        ("tris", "mesh_triangles"),
        ("nsdf B", "bytes_nsdf"),
        ("CD net", "net_chamfer_l1"),
        ("CD dr11", "draco11_chamfer_l1"),
        ("CD dr14", "draco14_chamfer_l1"),
        ("CD mopt", "meshopt14_chamfer_l1"),
        ("CD f32", "f32_chamfer_l1"),
        ("HD net", "net_hausdorff"),
        ("HD dr11", "draco11_hausdorff"),
        ("HD mopt", "meshopt14_hausdorff"),
        ("band net", "net_near_mae_canon"),
        ("band g16", "grid16_near_mae_canon"),
        ("box net", "net_uniform_mae_canon"),
        ("box exact", "exact_uniform_mae_canon"),
        ("box g16", "grid16_uniform_mae_canon"),
        ("F1n net", "net_f1_near"),
        ("F1n dr11", "draco11_f1_near"),
    ];
    let mut s = String::new();
    let header: Vec<String> = cols.iter().map(|(h, _)| format!("{h:>10}")).collect();
    let _ = writeln!(s, "{:<20}{}", "mesh", header[1..].join(" "));
    for row in rows {
        let name = Path::new(get(row, "mesh").as_str().unwrap_or(""))
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let cells: Vec<String> = cols[1..]
            .iter()
            .map(|(_, k)| format!("{:>10}", num(get(row, k))))
            .collect();
        let _ = writeln!(s, "{name:<20}{}", cells.join(" "));
    }
    let _ = writeln!(s, "CD = Chamfer L1 / R, HD = Hausdorff / R, F1n = F1 near the surface; band / box = mean |f-d| / R near the surface / in the bounding cube, exact = the network re-distanced (distance to its zero set); dr11, dr14 = QEM + Draco 11/14-bit, mopt = QEM + meshoptimizer 14-bit (+zstd), f32 = QEM + raw float32, g16 = 16-bit distance grid, each at most the .nsdf's bytes; zstd level {ZSTD_LEVEL}");
    s
}
