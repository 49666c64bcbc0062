//! `nsdf mesh`: a watertight, oriented triangle mesh of a shape's zero level set.

use super::device::Placement;
use super::{open_shape, CmdResult, Failure};
use nsdf_mesh::io::write::{self, MeshFormat};
use nsdf_mesh::surface::{extract, padded, Params};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

/// Extract a mesh with sparse marching cubes (cost follows the surface, not the volume).
///
/// Vertices lie on grid edges; normals come from the network's analytic gradient; output is in
/// the shape's world units. Cells where the field may cross zero are found with the gradient
/// bound stored in the file (STAT), so empty space is skipped safely.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The .nsdf file.
    pub file: PathBuf,
    /// Output mesh: .obj, .ply (binary) or .stl (binary).
    #[arg(short, long)]
    pub output: PathBuf,
    /// Grid cells along the longest side of the bounds.
    #[arg(short, long, default_value_t = 256)]
    pub resolution: usize,
    /// World box to mesh, `minx,miny,minz,maxx,maxy,maxz` (default: the file's bounds plus 2%).
    #[arg(long, value_parser = parse_bounds, allow_hyphen_values = true)]
    pub bounds: Option<[[f32; 3]; 2]>,
    /// Gradient bound for skipping empty space (default: the file's stored bound).
    #[arg(long)]
    pub bound: Option<f32>,
    /// Evaluate every cell instead of skipping empty space.
    #[arg(long)]
    pub dense: bool,
    #[command(flatten)]
    pub placement: Placement,
    /// Print nothing but errors.
    #[arg(short, long)]
    pub quiet: bool,
}

pub fn parse_bounds(s: &str) -> Result<[[f32; 3]; 2], String> {
    let v: Vec<f32> = s
        .split(',')
        .map(|x| {
            x.trim()
                .parse::<f32>()
                .map_err(|_| format!("'{x}' is not a number"))
        })
        .collect::<Result<_, _>>()?;
    if v.len() != 6 || v.iter().any(|x| !x.is_finite()) {
        return Err("expected six finite numbers: minx,miny,minz,maxx,maxy,maxz".into());
    }
    if (0..3).any(|a| v[a] >= v[a + 3]) {
        return Err("each min must be below its max".into());
    }
    Ok([[v[0], v[1], v[2]], [v[3], v[4], v[5]]])
}

pub fn run(args: Args) -> CmdResult {
    let format = MeshFormat::from_path(&args.output).map_err(Failure::new)?;
    let shape = open_shape(&args.file)?;
    let params = Params {
        resolution: args.resolution,
        bounds: args.bounds.unwrap_or_else(|| padded(shape.bounds(), 0.02)),
        lipschitz: args.bound,
        dense: args.dense,
    };
    let start = Instant::now();
    let field = args.placement.evaluator(shape)?;
    let x = extract(&field, &params).map_err(Failure::new)?;
    let extracted = start.elapsed();
    if x.mesh.triangles.is_empty() {
        return Err(Failure::file(
            &args.file,
            "the surface does not cross the bounds: no triangles (check --bounds)",
        ));
    }
    let bytes = write::to_bytes(&x.mesh, format);
    nsdf::write_atomic(&args.output, &bytes).map_err(|e| Failure::new(e.to_string()))?;
    if !args.quiet {
        super::print(&format!(
            "{}: {} vertices, {} triangles, grid {}x{}x{} (cell {:.4}), {:.0}% of blocks evaluated, {:.2} M evaluations, {:.3} s\n",
            args.output.display(),
            x.mesh.positions.len(),
            x.mesh.triangles.len(),
            x.dims[0],
            x.dims[1],
            x.dims[2],
            x.cell_size,
            100.0 * x.blocks as f64 / x.blocks_total.max(1) as f64,
            x.evaluations as f64 * 1e-6,
            extracted.as_secs_f64()
        ))?;
    }
    Ok(ExitCode::SUCCESS)
}
