//! `nsdf bake`: the distance field as a 3D texture engines import (KTX2, DDS or raw), with a
//! JSON sidecar saying where the box is and how to read it.

use super::device::Placement;
use super::{open_shape, CmdResult, Failure};
use crate::progress;
use nsdf_bake::{bake_file, BakeError, Container, Options, Texel, Volume};
use nsdf_mesh::surface::redistance::{self, RESOLUTION};
use nsdf_mesh::surface::{Field, Redistanced};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

/// Bake the signed distance at texel centres into a volume texture.
///
/// Values are in the shape's world units, negative inside. The box is the file's bounds plus
/// a margin, split into cubic texels; OUT.json beside the texture (and, in KTX2, the key
/// `nsdf.volume`) gives its corners, texel size and layout. Both files are written whole or
/// not at all.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The .nsdf file.
    pub file: PathBuf,
    /// Output volume: .ktx2 (KTX 2.0 3D texture), .dds (DX10 volume texture) or .raw (texels
    /// only, x fastest); the sidecar goes to the same name with .json.
    #[arg(short, long)]
    pub output: PathBuf,
    /// Texels along the longest side of the box (2 to 2048).
    #[arg(short, long, default_value_t = 128)]
    pub resolution: usize,
    /// Texel format: f16 (R16_SFLOAT / R16_FLOAT) or f32.
    #[arg(long, value_enum, default_value_t = TexelArg::F16)]
    pub texel: TexelArg,
    /// Narrow band: clamp distances to ±W world units, skipping blocks proven outside it.
    #[arg(long, value_name = "W", value_parser = parse_band, allow_hyphen_values = true)]
    pub band: Option<f32>,
    /// Exact distances: each texel holds the distance to the network's zero set (found by
    /// marching cubes at the bake's resolution, at least 256, over the volume), signed by the
    /// network. Far from its surface a network's value is only roughly a distance; this
    /// costs a few seconds and some memory before the first texel.
    #[arg(long)]
    pub exact: bool,
    /// Margin around the file's bounds, as a fraction of their longest side.
    #[arg(long, default_value_t = 0.05, allow_hyphen_values = true)]
    pub margin: f32,
    #[command(flatten)]
    pub placement: Placement,
    /// Print nothing but errors.
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum TexelArg {
    F16,
    F32,
}

fn parse_band(s: &str) -> Result<f32, String> {
    match s.parse::<f32>() {
        Ok(w) if w.is_finite() && w > 0.0 => Ok(w),
        _ => Err(format!(
            "'{s}' is not a positive width in world units (e.g. 0.05)"
        )),
    }
}

pub fn run(args: Args) -> CmdResult {
    let container = Container::from_path(&args.output).map_err(Failure::new)?;
    let shape = open_shape(&args.file)?;
    let volume = Volume::around(shape.bounds(), args.resolution, args.margin)
        .map_err(|e| Failure::file(&args.file, e))?;
    let options = Options {
        volume,
        texel: match args.texel {
            TexelArg::F16 => Texel::F16,
            TexelArg::F32 => Texel::F32,
        },
        container,
        band: args.band,
        exact: args.exact,
    };
    // The whole volume: every texel then takes the network's sign (outside the box a
    // re-distanced field is outside).
    let zero_set_params = redistance::params(
        [options.volume.min, options.volume.max()],
        args.resolution.max(RESOLUTION),
    );
    let field = args.placement.evaluator(shape)?;
    let exact = if args.exact {
        if !args.quiet {
            eprintln!(
                "nsdf bake: finding the zero set at {}³ for exact distances",
                zero_set_params.resolution
            );
        }
        let start = Instant::now();
        let exact =
            Redistanced::new(&field, &zero_set_params).map_err(|e| Failure::file(&args.file, e))?;
        if !args.quiet {
            eprintln!(
                "nsdf bake: {} triangles, {:.2} s",
                exact.mesh().triangles.len(),
                start.elapsed().as_secs_f64()
            );
        }
        Some(exact)
    } else {
        None
    };
    let field: &dyn Field = match &exact {
        Some(e) => e,
        None => &field,
    };

    progress::catch_interrupts();
    let bar = progress::count_bar(args.quiet, options.volume.texels(), "baking texels");
    let start = Instant::now();
    let baked = bake_file(
        field,
        &options,
        &file_name(&args.file),
        &args.output,
        &mut |done, _| {
            bar.set_position(done);
            if progress::interrupted() {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        },
    );
    bar.finish_and_clear();
    let (baked, json_path) = baked.map_err(|e| match e {
        BakeError::Cancelled => Failure::new("interrupted: nothing written"),
        BakeError::Io(e) => Failure::file(&args.output, e),
        BakeError::Write(e) => Failure::new(e),
        e => Failure::file(&args.file, e),
    })?;
    if !args.quiet {
        let v = &options.volume;
        super::print(&format!(
            "{}: {}x{}x{} {} texels (side {:.5}), {:.1} MB, distances {:.4} to {:.4}, {:.0}% evaluated, {:.2} s ({:.1} M texels/s); sidecar {}\n",
            args.output.display(),
            v.dims[0],
            v.dims[1],
            v.dims[2],
            options.texel.name(),
            v.texel,
            baked.bytes as f64 / 1e6,
            baked.min,
            baked.max,
            100.0 * baked.evaluated as f64 / baked.texels.max(1) as f64,
            start.elapsed().as_secs_f64(),
            baked.texels as f64 / start.elapsed().as_secs_f64() / 1e6,
            json_path.display()
        ))?;
    }
    Ok(ExitCode::SUCCESS)
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}
