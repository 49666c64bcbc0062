//! `nsdf eval FILE`: signed distances (and gradients) at points read from a file or stdin.
//!
//! Text input is `x y z` per line (spaces, tabs or commas between numbers; blank lines and `#`
//! comments skipped). Binary input is little-endian float32 triples. Text output uses f32's
//! shortest round-trip form, so reading it back gives the exact f32 the runtime computed.

use super::{backend_parser, open_shape, BackendChoice, CmdResult, Failure};
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
        true => parse_binary(&bytes),
        false => parse_text(&bytes),
    }
    .map_err(|e| Failure::new(format_args!("{name}: {e}")))?;

    let mut dist = vec![0.0f32; points.len()];
    let mut grad = Vec::new();
    if args.gradient {
        grad = vec![[0.0f32; 3]; points.len()];
        shape.gradients(&points, &mut dist, &mut grad);
    } else {
        shape.distances(&points, &mut dist);
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

/// Parses `x y z` lines. Errors name the 1-based line.
pub fn parse_text(bytes: &[u8]) -> Result<Vec<[f32; 3]>, String> {
    let mut points = Vec::new();
    for (i, line) in bytes.split(|&b| b == b'\n').enumerate() {
        let n = i + 1;
        let line = std::str::from_utf8(line)
            .map_err(|_| format!("line {n}: not UTF-8 text (binary input needs --binary-in)"))?;
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let fields: Vec<&str> = line
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|f| !f.is_empty())
            .collect();
        if fields.len() != 3 {
            return Err(format!(
                "line {n}: expected 3 numbers (x y z), found {}",
                fields.len()
            ));
        }
        let mut p = [0.0f32; 3];
        for (slot, field) in p.iter_mut().zip(&fields) {
            let v: f32 = field
                .parse()
                .map_err(|_| format!("line {n}: '{}' is not a number", field.escape_debug()))?;
            if !v.is_finite() {
                return Err(format!(
                    "line {n}: coordinate '{field}' is not a finite float32"
                ));
            }
            *slot = v;
        }
        points.push(p);
    }
    Ok(points)
}

/// Parses little-endian float32 triples.
pub fn parse_binary(bytes: &[u8]) -> Result<Vec<[f32; 3]>, String> {
    if bytes.len() / 12 * 12 != bytes.len() {
        return Err(format!(
            "binary input is {} bytes, not a multiple of 12 (3 little-endian float32 per point)",
            bytes.len()
        ));
    }
    let mut points = Vec::with_capacity(bytes.len() / 12);
    for (i, chunk) in bytes.chunks_exact(12).enumerate() {
        let f = |k: usize| f32::from_le_bytes([chunk[k], chunk[k + 1], chunk[k + 2], chunk[k + 3]]);
        let p = [f(0), f(4), f(8)];
        if p.iter().any(|v| !v.is_finite()) {
            return Err(format!(
                "point {i} (byte offset {}) has a non-finite coordinate",
                i * 12
            ));
        }
        points.push(p);
    }
    Ok(points)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_accepts_spaces_commas_comments() {
        let pts = parse_text(b"# header\n1 2 3\n\n 4,5,6 # trailing\r\n7\t8 ,9\n").unwrap();
        assert_eq!(pts, vec![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]);
    }

    #[test]
    fn text_errors_name_the_line() {
        assert_eq!(
            parse_text(b"1 2 3\n1 2\n").unwrap_err(),
            "line 2: expected 3 numbers (x y z), found 2"
        );
        assert_eq!(
            parse_text(b"\n\n1 x 3\n").unwrap_err(),
            "line 3: 'x' is not a number"
        );
        assert_eq!(
            parse_text(b"1 2 inf\n").unwrap_err(),
            "line 1: coordinate 'inf' is not a finite float32"
        );
        assert!(parse_text(b"1 2 NaN\n").unwrap_err().starts_with("line 1:"));
    }

    #[test]
    fn binary_must_be_whole_triples() {
        assert!(parse_binary(&[0; 13]).unwrap_err().contains("13 bytes"));
        let mut b = 1.5f32.to_le_bytes().repeat(3);
        assert_eq!(parse_binary(&b).unwrap(), vec![[1.5; 3]]);
        b[8..].copy_from_slice(&f32::NAN.to_le_bytes());
        assert!(parse_binary(&b).unwrap_err().contains("point 0"));
    }
}
