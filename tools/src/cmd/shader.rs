//! `nsdf shader FILE --lang glsl|hlsl|wgsl`: the shape as a shader function with inlined weights
//! (and, for a hash grid, its feature table as a buffer file).

use super::{open_shape, print, CmdResult, Failure};
use nsdf_shader::{self, Lang, TableBinding};
use std::path::PathBuf;
use std::process::ExitCode;

/// Emit `nsdf_<name>(p)` (signed distance) and `nsdf_<name>_gradient(p)` as shader source, weights
/// inlined as f32 constants, ready to paste into a sphere tracer. A hash-grid shape's features
/// are too many to inline: the shader reads them from a storage buffer it declares
/// (`nsdf_<name>_table` at --table-group/--table-binding), and --table writes the bytes to upload
/// into it.
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
    /// Hash-grid shapes (required for them): write the feature table here, little-endian f32
    /// level after level, to upload unchanged into the shader's table buffer.
    #[arg(long, value_name = "FILE")]
    pub table: Option<PathBuf>,
    /// Bind group (WGSL), descriptor set (Vulkan GLSL) or register space (HLSL) of the table.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub table_group: u32,
    /// Binding (WGSL, GLSL) or t register (HLSL) of the table.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub table_binding: u32,
}

pub fn run(args: Args) -> CmdResult {
    let name = match args.name {
        Some(n) => n,
        None => default_name(&args.file)?,
    };
    nsdf_shader::check_name(&name).map_err(Failure::new)?;
    let shape = open_shape(&args.file)?;
    let binding = TableBinding {
        group: args.table_group,
        binding: args.table_binding,
    };
    let source = nsdf_shader::generate(&shape, args.lang, &name, binding)
        .map_err(|e| Failure::file(&args.file, e))?;
    // Both checked before anything is written: a shader without its table is unusable.
    let table = match (nsdf_shader::table_bytes(&shape), &args.table) {
        (Some(bytes), Some(path)) => Some((bytes, path)),
        (None, None) => None,
        (Some(_), None) => {
            return Err(Failure::file(
                &args.file,
                "the shape has a hash grid, whose table the shader reads from a buffer; pass \
                 --table FILE to write it",
            ))
        }
        (None, Some(_)) => {
            return Err(Failure::file(
                &args.file,
                "the shape has no hash grid, so there is no table for --table",
            ))
        }
    };
    if let Some((bytes, path)) = table {
        nsdf::write_atomic(path, &bytes).map_err(|e| Failure::new(e.to_string()))?;
    }
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
