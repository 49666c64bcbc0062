//! `nsdf eval FILE`: signed distances (and gradients) at points read from a file or stdin.
//!
//! Text input is `x y z` per line (spaces, tabs or commas between numbers; blank lines and `#`
//! comments skipped). Binary input is little-endian float32 triples. The parsers, and the
//! memory they may use, are in `points.rs`. Text output uses f32's shortest round-trip form, so
//! reading it back gives the exact f32 the runtime computed.

use super::{backend_parser, open_shape, BackendChoice, CmdResult, Failure};
use nsdf_mesh::surface::redistance::{self, RESOLUTION};
use nsdf_mesh::surface::{Field, Redistanced};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Evaluate signed distances (negative inside) at points.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Text output: one line per point, `d` or, with --gradient, `d gx gy gz`. \
Binary output (--binary-out): little-endian float32, 1 or 4 values per point."
)]
pub struct Args {
    /// The .nsdf file.
    pub file: PathBuf,
    /// Points to evaluate: `x y z` text lines, or binary float32 triples (--binary-in, or a
    /// .f32/.bin extension). `-` or absent: standard input.
    #[arg(short, long, value_name = "POINTS")]
    pub input: Option<PathBuf>,
    /// Where to write the results (written atomically). `-` or absent: standard output.
    #[arg(short, long, value_name = "OUT")]
    pub output: Option<PathBuf>,
    /// Also write the gradient: `d gx gy gz` per point.
    #[arg(long)]
    pub gradient: bool,
    /// Read the points as little-endian float32 triples.
    #[arg(long)]
    pub binary_in: bool,
    /// Write little-endian float32 values instead of text.
    #[arg(long)]
    pub binary_out: bool,
    /// Exact distances: the distance to the network's zero set (marching cubes at 256³ over the
    /// file's bounds, about 2 s before the first point), signed by the network, instead of the
    /// network's own value, which far from its surface is only roughly a distance.
    #[arg(long)]
    pub exact: bool,
    /// Evaluation backend.
    #[arg(long, default_value = "auto", value_parser = backend_parser())]
    pub backend: BackendChoice,
}

pub fn run(args: Args) -> CmdResult {
    let shape = args.backend.apply(open_shape(&args.file)?)?;
    let input = args.input.as_deref().filter(|p| *p != Path::new("-"));
    let name = input.map_or("<stdin>".to_string(), |p| p.display().to_string());
    let bytes = match input {
        Some(p) => std::fs::read(p).map_err(|e| Failure::file(p, e))?,
        None => {
            let mut b = Vec::new();
            io::stdin()
                .lock()
                .read_to_end(&mut b)
                .map_err(|e| Failure::new(format_args!("{name}: {e}")))?;
            b
        }
    };
    let binary = args.binary_in || input.is_some_and(is_binary_name);
    let points = match binary {
        true => crate::points::parse_binary(&bytes),
        false => crate::points::parse_text(&bytes),
    }
    .map_err(|e| Failure::new(format_args!("{name}: {e}")))?;

    let exact = match args.exact {
        true => Some(
            Redistanced::new(&shape, &redistance::params(shape.bounds(), RESOLUTION))
                .map_err(|e| Failure::file(&args.file, e))?,
        ),
        false => None,
    };
    let field: &dyn Field = match &exact {
        Some(e) => e,
        None => &shape,
    };
    let mut dist = vec![0.0f32; points.len()];
    let mut grad = Vec::new();
    if args.gradient {
        grad = vec![[0.0f32; 3]; points.len()];
        field.gradients(&points, &mut dist, &mut grad);
    } else {
        field.distances(&points, &mut dist);
    }

    let output = args.output.as_deref().filter(|p| *p != Path::new("-"));
    match output {
        Some(path) => {
            let mut buf = Vec::new();
            write_results(&mut buf, &dist, &grad, args.binary_out)
                .map_err(|e| Failure::file(path, e))?;
            nsdf::write_atomic(path, &buf).map_err(|e| match e {
                nsdf::Error::Io { source, .. } => {
                    Failure::file(path, format_args!("cannot write: {source}"))
                }
                other => Failure::nsdf(path, &other),
            })?;
        }
        None => {
            let mut out = io::BufWriter::with_capacity(1 << 16, io::stdout().lock());
            write_results(&mut out, &dist, &grad, args.binary_out)
                .and_then(|()| out.flush())
                .map_err(Failure::stdout)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Inputs named `*.f32` or `*.bin` are binary without `--binary-in`.
fn is_binary_name(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("f32") || e.eq_ignore_ascii_case("bin"))
}

/// Writes one record per point: `d`, or `d gx gy gz` when `grad` is not empty.
fn write_results(
    w: &mut impl Write,
    dist: &[f32],
    grad: &[[f32; 3]],
    binary: bool,
) -> io::Result<()> {
    for (i, d) in dist.iter().enumerate() {
        let g = grad.get(i);
        match (binary, g) {
            (true, None) => w.write_all(&d.to_le_bytes())?,
            (true, Some(g)) => {
                for v in [*d, g[0], g[1], g[2]] {
                    w.write_all(&v.to_le_bytes())?;
                }
            }
            (false, None) => writeln!(w, "{d}")?,
            (false, Some(g)) => writeln!(w, "{d} {} {} {}", g[0], g[1], g[2])?,
        }
    }
    Ok(())
}
