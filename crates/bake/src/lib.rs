//! Baking a shape into the 3D distance texture engines import (collision, soft shadows, GI and
//! ray marching all sample such volumes), so a `.nsdf` reaches an engine that has never heard
//! of it.
//!
//! The volume is a box of cubic texels around the shape ([`Volume`]); each texel holds the
//! signed distance at its centre, in world units, negative inside, optionally clamped to a
//! narrow band. Texels go out slab by slab (memory stays at a few slices whatever the
//! resolution) into one of the [`Container`]s, with a JSON [`sidecar`] saying where the box
//! is. With a band, blocks that the field's bounds prove to lie wholly outside it are filled
//! without evaluating them (the meshing's culling, `nsdf_mesh::surface::extract`).

pub mod dds;
pub mod ktx2;
mod sample;
mod volume;

pub use volume::{Container, Texel, Volume};

use nsdf_mesh::surface::Field;
use std::fmt;
use std::io::Write;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

/// What to bake.
#[derive(Clone, Debug, PartialEq)]
pub struct Options {
    pub volume: Volume,
    pub texel: Texel,
    pub container: Container,
    /// Clamp distances to `[-band, band]` (world units), and skip blocks proven outside it.
    pub band: Option<f32>,
    /// Whether the field baked is re-distanced (`nsdf_mesh::surface::Redistanced`: the
    /// distance to the network's zero set) rather than the network's own value; the caller
    /// passes that field, and the sidecar says which it is.
    pub exact: bool,
}

/// What a bake did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Baked {
    /// Texels written.
    pub texels: u64,
    /// Of them, evaluated (the others were proven outside the band).
    pub evaluated: u64,
    /// Smallest and largest value written.
    pub min: f32,
    pub max: f32,
    /// Bytes written, headers included.
    pub bytes: u64,
}

#[derive(Debug)]
pub enum BakeError {
    /// Writing the volume failed part-way.
    Io(std::io::Error),
    /// Creating or committing an output file failed (the error names the file).
    Write(nsdf::Error),
    /// A distance does not fit the texel format (half floats stop at 65,504).
    Overflow { value: f32, at: [f32; 3] },
    /// The field gave NaN or infinity.
    NotFinite { at: [f32; 3] },
    /// The progress callback asked to stop.
    Cancelled,
}

impl fmt::Display for BakeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BakeError::Io(e) => write!(f, "writing the volume: {e}"),
            BakeError::Write(e) => write!(f, "{e}"),
            BakeError::Overflow { value, at } => write!(
                f,
                "the distance {value} at {at:?} does not fit a half float (largest 65504): \
                 bake with --texel f32, or a --band"
            ),
            BakeError::NotFinite { at } => write!(f, "the field is not finite at {at:?}"),
            BakeError::Cancelled => write!(f, "cancelled"),
        }
    }
}

impl std::error::Error for BakeError {}

impl From<std::io::Error> for BakeError {
    fn from(e: std::io::Error) -> BakeError {
        BakeError::Io(e)
    }
}

/// Bakes `field` into `out` as `options.container`, whose header embeds `description` where the
/// container has room for it (KTX2's key/value data; pass [`sidecar`]'s text). `progress` sees
/// (texels done, texels in all) after each slab and may stop the bake.
pub fn bake<F: Field + ?Sized>(
    field: &F,
    options: &Options,
    description: &str,
    out: &mut dyn Write,
    progress: &mut dyn FnMut(u64, u64) -> ControlFlow<()>,
) -> Result<Baked, BakeError> {
    let v = &options.volume;
    let header = match options.container {
        Container::Ktx2 => ktx2::header(v, options.texel, description),
        Container::Dds => dds::header(v, options.texel),
        Container::Raw => Vec::new(),
    };
    out.write_all(&header)?;
    let mut baked = Baked {
        min: f32::INFINITY,
        max: f32::NEG_INFINITY,
        bytes: header.len() as u64,
        ..Baked::default()
    };
    let total = v.texels();
    let mut bytes = Vec::new();
    for z0 in (0..v.dims[2]).step_by(sample::BLOCK) {
        let z1 = (z0 + sample::BLOCK).min(v.dims[2]);
        let slab = sample::slab(field, v, z0..z1, options.band);
        baked.evaluated += slab.evaluated;
        bytes.clear();
        for (i, &d) in slab.values.iter().enumerate() {
            let at = || v.texel_centre(v.index_to_ijk(i, z0));
            if !d.is_finite() {
                return Err(BakeError::NotFinite { at: at() });
            }
            if options.texel == Texel::F16 && d.abs() > f32::from(half::f16::MAX) {
                return Err(BakeError::Overflow { value: d, at: at() });
            }
            baked.min = baked.min.min(d);
            baked.max = baked.max.max(d);
            options.texel.push(d, &mut bytes);
        }
        out.write_all(&bytes)?;
        baked.bytes += bytes.len() as u64;
        baked.texels += slab.values.len() as u64;
        if progress(baked.texels, total).is_break() {
            return Err(BakeError::Cancelled);
        }
    }
    out.flush()?;
    Ok(baked)
}

/// [`bake`] into the file `path` and its sidecar beside it (`path` with `.json`), both written
/// whole or not at all: through temporary files, renamed into place only when every texel is
/// written (an error or a cancel leaves neither). `source` names the baked file in the sidecar.
/// Returns what was baked and the sidecar's path.
pub fn bake_file<F: Field + ?Sized>(
    field: &F,
    options: &Options,
    source: &str,
    path: &Path,
    progress: &mut dyn FnMut(u64, u64) -> ControlFlow<()>,
) -> Result<(Baked, PathBuf), BakeError> {
    let json_path = path.with_extension("json");
    let texture = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let description = sidecar(options, source, &texture);
    let mut out = nsdf::AtomicFile::create(path).map_err(BakeError::Write)?;
    let baked = bake(field, options, &description, &mut out, progress)?;
    let mut json = nsdf::AtomicFile::create(&json_path).map_err(BakeError::Write)?;
    json.write_all(description.as_bytes())?;
    out.commit().map_err(BakeError::Write)?;
    json.commit().map_err(BakeError::Write)?;
    Ok((baked, json_path))
}

/// The JSON that says how to place and read the volume: written beside it (`OUT.json`) and,
/// for KTX2, inside it under the key `nsdf.volume`. `source` names the baked file and
/// `texture` the volume's file name.
pub fn sidecar(options: &Options, source: &str, texture: &str) -> String {
    let v = &options.volume;
    let json = serde_json::json!({
        "generator": concat!("nsdf-bake ", env!("CARGO_PKG_VERSION")),
        "source": source,
        "texture": texture,
        "container": options.container.name(),
        "format": options.container.format_name(options.texel),
        "dimensions": v.dims,
        "layout": "x fastest, then y, then z; texel (0,0,0) touches box_min",
        "box_min": v.min,
        "box_max": v.max(),
        "texel_size": v.texel,
        "sample_points": "texel centres: box_min + (index + 0.5) * texel_size",
        "uvw": "(world - box_min) / (box_max - box_min)",
        "units": "world",
        "sign": "negative inside",
        "band": options.band,
        "distance": if options.exact {
            "exact: the distance to the network's zero set, signed by the network"
        } else {
            "the network's value: a distance near the surface, approximate far from it"
        },
    });
    let mut text = serde_json::to_string_pretty(&json).expect("plain JSON values serialize");
    text.push('\n');
    text
}
