//! `nsdf shader FILE --lang glsl|hlsl|wgsl`: the shape as a shader function with inlined weights.

use super::{open_shape, print, CmdResult, Failure};
use nsdf_shader::{self, Lang};
use std::path::PathBuf;
use std::process::ExitCode;

/// Emit `nsdf_<name>(p)` (signed distance) and `nsdf_<name>_gradient(p)` as shader source, weights
/// inlined as f32 constants, ready to paste into a sphere tracer.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The .nsdf file.
    pub file: PathBuf,
    /// Shading language.
    #[arg(long, value_enum)]
    pub lang: Lang,
    /// Name in the emitted identifiers, `nsdf_<name>` (default: the file name, made an
    /// identifier). Letters, digits and single underscores.
    #[arg(long)]
    pub name: Option<String>,
    /// Write the source here instead of standard output.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
}

pub fn run(args: Args) -> CmdResult {
    let name = match args.name {
        Some(n) => n,
        None => default_name(&args.file)?,
    };
    nsdf_shader::check_name(&name).map_err(Failure::new)?;
    let shape = open_shape(&args.file)?;
    let source = nsdf_shader::generate(&shape, args.lang, &name)
        .map_err(|e| Failure::file(&args.file, e))?;
    match &args.output {
        Some(path) => {
            nsdf::write_atomic(path, source.as_bytes()).map_err(|e| Failure::new(e.to_string()))?
        }
        None => print(&source)?,
    }
    Ok(ExitCode::SUCCESS)
}

/// `models/bunny-lod2.nsdf` → `bunny_lod2`.
fn default_name(file: &std::path::Path) -> Result<String, Failure> {
    let stem = file.file_stem().unwrap_or_default().to_string_lossy();
    nsdf_shader::sanitize_name(&stem).ok_or_else(|| {
        Failure::file(
            file,
            "cannot make a shader name from this file name; pass --name",
        )
    })
}
