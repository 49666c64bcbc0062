//! `nsdf render`: sphere-traced pictures of a shape.

use super::device::{Device, Evaluator, Placement};
use super::mesh::parse_bounds;
use super::{open_shape, CmdResult, Failure};
use nsdf::Shape;
use nsdf_mesh::surface::{padded, MeshField};
use nsdf_render::{render, shade, trace, Options, View};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

/// Render a shape to PNG by sphere tracing, shaded with the network's analytic normals.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The .nsdf file.
    pub file: PathBuf,
    /// Output PNG (with --turntable N: frames are NAME_000.png, NAME_001.png, ...).
    #[arg(short, long)]
    pub output: PathBuf,
    /// Image size, WxH.
    #[arg(long, default_value = "1024x1024", value_parser = parse_size)]
    pub size: (u32, u32),
    /// Camera azimuth and elevation in degrees, `az,el`.
    #[arg(long, default_value = "30,20", value_parser = parse_view, allow_hyphen_values = true)]
    pub view: (f32, f32),
    /// Vertical field of view, degrees.
    #[arg(long, default_value_t = 30.0)]
    pub fov: f32,
    /// Render N frames around the vertical axis, starting at the given azimuth.
    #[arg(long)]
    pub turntable: Option<u32>,
    /// World box to render, `minx,miny,minz,maxx,maxy,maxz` (default: the file's bounds).
    #[arg(long, value_parser = parse_bounds, allow_hyphen_values = true)]
    pub bounds: Option<[[f32; 3]; 2]>,
    /// Gradient bound for the safe step (default: the file's stored bound).
    #[arg(long)]
    pub bound: Option<f32>,
    /// Put a render of this mesh (ray-cast through its exact distance) beside the network's.
    #[arg(long, value_name = "MESH")]
    pub compare: Option<PathBuf>,
    /// Colour the surface by its distance to this mesh (blue: on it, yellow: 1% of the
    /// bounding-box diagonal or more away).
    #[arg(long, value_name = "MESH")]
    pub error_map: Option<PathBuf>,
    #[command(flatten)]
    pub placement: Placement,
    /// Print nothing but errors.
    #[arg(short, long)]
    pub quiet: bool,
}

fn parse_size(s: &str) -> Result<(u32, u32), String> {
    let (w, h) = s
        .split_once(['x', 'X'])
        .ok_or("expected WxH, e.g. 1024x768")?;
    let n = |x: &str| {
        x.trim()
            .parse::<u32>()
            .map_err(|_| format!("'{x}' is not a whole number"))
    };
    Ok((n(w)?, n(h)?))
}

fn parse_view(s: &str) -> Result<(f32, f32), String> {
    let (a, e) = s
        .split_once(',')
        .ok_or("expected az,el in degrees, e.g. 30,20")?;
    let n = |x: &str| {
        x.trim()
            .parse::<f32>()
            .map_err(|_| format!("'{x}' is not a number"))
    };
    Ok((n(a)?, n(e)?))
}

/// `shape.png`, frame 3 → `shape_003.png`.
fn frame_path(path: &Path, i: u32) -> PathBuf {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().into_owned())
        .unwrap_or_else(|| "png".into());
    path.with_file_name(format!("{stem}_{i:03}.{ext}"))
}

pub fn run(args: Args) -> CmdResult {
    let shape = open_shape(&args.file)?;
    let bounds = args.bounds.unwrap_or_else(|| padded(shape.bounds(), 0.0));
    let field = args.placement.evaluator(shape)?;
    let frames = args.turntable.unwrap_or(1);
    if frames == 0 || frames > 3600 {
        return Err(Failure::new(
            "--turntable must be between 1 and 3600 frames",
        ));
    }
    let load = |path: &Path| {
        nsdf_mesh::load(path)
            .map(|l| MeshField::new(&l.mesh))
            .map_err(|e| Failure::new(e.to_string()))
    };
    let reference = args.compare.as_deref().map(load).transpose()?;
    let error_mesh = args.error_map.as_deref().map(load).transpose()?;
    let diagonal = (0..3)
        .map(|a| (bounds[1][a] - bounds[0][a]).powi(2))
        .sum::<f32>()
        .sqrt();
    let error_scale = 0.01 * diagonal.max(1e-6);
    let heat = |pts: &[[f32; 3]]| -> Vec<[f32; 3]> {
        let mut d = vec![0.0; pts.len()];
        if let Some(m) = &error_mesh {
            m.sdf.unsigned_distances(pts, &mut d);
        }
        d.iter().map(|d| shade::heat(d / error_scale)).collect()
    };
    let opts = Options {
        lipschitz: args.bound,
        colouring: error_mesh.as_ref().map(|_| &heat as trace::Colouring),
        ..Options::default()
    };
    for i in 0..frames {
        let view = View {
            width: args.size.0,
            height: args.size.1,
            azimuth: args.view.0 + 360.0 * i as f32 / frames as f32,
            elevation: args.view.1,
            fov: args.fov,
        };
        let start = Instant::now();
        let r = render(&field, bounds, &view, &opts).map_err(Failure::new)?;
        let image = match &reference {
            Some(mesh) => {
                let m = render(mesh, bounds, &view, &Options::default()).map_err(Failure::new)?;
                m.image.beside(&r.image)
            }
            None => r.image,
        };
        let took = start.elapsed();
        let path = if args.turntable.is_some() {
            frame_path(&args.output, i)
        } else {
            args.output.clone()
        };
        let png = image.to_png().map_err(Failure::new)?;
        nsdf::write_atomic(&path, &png).map_err(|e| Failure::new(e.to_string()))?;
        if !args.quiet {
            super::print(&format!(
                "{}: {}x{}, {} surface pixels, {:.1} M evaluations, {:.3} s{}\n",
                path.display(),
                image.width,
                image.height,
                r.hits,
                r.evaluations as f64 * 1e-6,
                took.as_secs_f64(),
                match (&reference, &error_mesh) {
                    (Some(_), _) => " (left: mesh, right: network)".to_string(),
                    (_, Some(_)) =>
                        format!(" (error map: blue 0, yellow >= {error_scale:.4} world units)"),
                    _ => String::new(),
                }
            ))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The shape beside a ray-cast of `mesh` (left: mesh, right: network) from the default view,
/// written atomically to `png`; `size` is the whole picture's. Returns a line for the user.
pub fn beside_mesh(
    shape: Shape,
    mesh: &Path,
    png: &Path,
    size: (u32, u32),
) -> Result<String, Failure> {
    let loaded = nsdf_mesh::load_input(mesh).map_err(|e| Failure::new(e.to_string()))?;
    let bounds = padded(shape.bounds(), 0.0);
    let view = View {
        width: (size.0 / 2).max(1),
        height: size.1,
        azimuth: 30.0,
        elevation: 20.0,
        fov: 30.0,
    };
    let network = render(
        &Evaluator::new(shape, Device::Cpu)?,
        bounds,
        &view,
        &Options::default(),
    )
    .map_err(Failure::new)?;
    // A point cloud has no surface to trace: the picture is the network alone.
    let (image, what) = match &loaded {
        nsdf_mesh::Input::Mesh(l) => {
            let reference = render(&MeshField::new(&l.mesh), bounds, &view, &Options::default())
                .map_err(Failure::new)?;
            (
                reference.image.beside(&network.image),
                "left: mesh, right: network",
            )
        }
        nsdf_mesh::Input::Points(_) => (network.image, "the network; its input is a point cloud"),
    };
    let bytes = image.to_png().map_err(Failure::new)?;
    nsdf::write_atomic(png, &bytes).map_err(|e| Failure::file(png, e))?;
    Ok(format!(
        "{}: {}x{} ({what})",
        png.display(),
        image.width,
        image.height
    ))
}
