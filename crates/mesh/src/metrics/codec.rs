//! How people ship triangle meshes, for the equal-bytes baselines of `nsdf compare`: each
//! [`Codec`] encodes a mesh, counts its bytes, and decodes it again, so the baseline is measured
//! as a receiver would get it (quantized positions included).
//!
//! - [`Codec::RawF32`]: float32 positions + u16/u32 indices, no header (the old baseline, kept
//!   and labelled as such: nobody ships meshes this way).
//! - [`Codec::Meshopt`]: what gltfpack does: positions quantized to `bits` per axis over the
//!   bounding box, vertex cache and fetch order optimised, meshoptimizer's vertex and index
//!   codecs (`EXT_meshopt_compression`), then zstd -19 over the result when that is smaller (the
//!   codec is designed to be followed by a general-purpose compressor); plus a 32-byte header
//!   (bounding box, counts).
//! - [`Codec::Draco`]: Google Draco with `bits` position quantization at compression level 7
//!   (Draco's default and what glTF pipelines ship), through Debian's `draco_encoder` and
//!   `draco_decoder` (package `draco`). Without them the codec reports an error naming the
//!   package instead of a number.

use super::sizes::{binary_ply, raw_bytes};
use crate::io::{load_bytes, Format};
use crate::Mesh;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A mesh encoding measured by its bytes and by what decodes from them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Codec {
    RawF32,
    Meshopt { bits: u32 },
    Draco { bits: u32, level: u32 },
}

/// A mesh as the receiver decodes it, and the bytes that carried it.
#[derive(Clone, Debug)]
pub struct Encoded {
    pub bytes: u64,
    pub decoded: Mesh,
}

/// Header bytes counted for the meshopt encoding: bounding-box minimum and extent (6 × f32)
/// and the vertex and index counts (2 × u32).
const MESHOPT_HEADER: u64 = 32;

impl Codec {
    /// The baselines `nsdf compare` reports, strongest last.
    pub const BASELINES: [Codec; 4] = [
        Codec::RawF32,
        Codec::Meshopt { bits: 14 },
        Codec::Draco { bits: 14, level: 7 },
        Codec::Draco { bits: 11, level: 7 },
    ];

    /// A short name for column keys: `f32`, `meshopt14`, `draco11`.
    pub fn key(&self) -> String {
        match self {
            Codec::RawF32 => "f32".into(),
            Codec::Meshopt { bits } => format!("meshopt{bits}"),
            Codec::Draco { bits, .. } => format!("draco{bits}"),
        }
    }

    /// What the bytes are, in words for reports.
    pub fn describe(&self) -> String {
        match self {
            Codec::RawF32 => "float32 xyz + u16/u32 indices, no header, no compression".into(),
            Codec::Meshopt { bits } => format!(
                "meshoptimizer codec: {bits}-bit positions, vertex cache/fetch order, encoded vertex and index buffers, then zstd -19 when smaller, 32-byte header"
            ),
            Codec::Draco { bits, level } => {
                format!("Draco: {bits}-bit positions, compression level {level}")
            }
        }
    }

    /// Encodes and decodes `mesh`.
    pub fn encode(&self, mesh: &Mesh) -> Result<Encoded, String> {
        match *self {
            Codec::RawF32 => Ok(Encoded {
                bytes: raw_bytes(mesh.positions.len(), mesh.triangles.len()),
                decoded: mesh.clone(),
            }),
            Codec::Meshopt { bits } => meshopt_encode(mesh, bits),
            Codec::Draco { bits, level } => draco_encode(mesh, bits, level),
        }
    }

    /// Whether this codec can run here (Draco needs its command-line tools).
    pub fn available(&self) -> Result<(), String> {
        match self {
            Codec::Draco { .. } => ["draco_encoder", "draco_decoder"]
                .iter()
                .try_for_each(|tool| {
                    if on_path(tool) {
                        Ok(())
                    } else {
                        Err(format!(
                            "{tool} not found on PATH (Debian/Ubuntu: apt install draco)"
                        ))
                    }
                }),
            _ => Ok(()),
        }
    }
}

fn on_path(tool: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(tool).is_file()))
}

/// Positions quantized to `bits` over the bounding box, as the decoder reconstructs them.
fn quantize(mesh: &Mesh, bits: u32) -> (Vec<[u16; 4]>, [f32; 3], [f32; 3]) {
    let (lo, hi) = mesh.bounds();
    let levels = ((1u32 << bits) - 1) as f32;
    let extent: [f32; 3] = std::array::from_fn(|a| (hi[a] - lo[a]).max(f32::MIN_POSITIVE));
    let q = mesh
        .positions
        .iter()
        .map(|p| {
            let c = |a: usize| {
                ((p[a] - lo[a]) / extent[a] * levels)
                    .round()
                    .clamp(0.0, levels)
            };
            [c(0) as u16, c(1) as u16, c(2) as u16, 0]
        })
        .collect();
    (q, lo, extent)
}

fn meshopt_encode(mesh: &Mesh, bits: u32) -> Result<Encoded, String> {
    if !(1..=16).contains(&bits) {
        return Err(format!("meshopt: {bits}-bit positions (1 to 16 supported)"));
    }
    let (quantized, lo, extent) = quantize(mesh, bits);
    let indices: Vec<u32> = mesh.triangles.iter().flatten().copied().collect();
    let mut indices = meshopt::optimize_vertex_cache(&indices, quantized.len());
    let vertices = meshopt::optimize_vertex_fetch(&mut indices, &quantized);
    let err = |e: meshopt::Error| format!("meshopt: {e:?}");
    let vbuf = meshopt::encode_vertex_buffer(&vertices).map_err(err)?;
    let ibuf = meshopt::encode_index_buffer(&indices, vertices.len()).map_err(err)?;
    let mut payload = vbuf;
    payload.extend_from_slice(&ibuf);
    let compressed = zstd::bulk::compress(&payload, super::sizes::ZSTD_LEVEL)
        .map_err(|e| format!("zstd: {e}"))?;
    let bytes = MESHOPT_HEADER + payload.len().min(compressed.len()) as u64;

    // What the receiver reconstructs: dequantized positions in the optimised order.
    let levels = ((1u32 << bits) - 1) as f32;
    let positions = vertices
        .iter()
        .map(|q| std::array::from_fn(|a| lo[a] + q[a] as f32 / levels * extent[a]))
        .collect();
    let triangles = indices
        .chunks_exact(3)
        .map(|t| [t[0], t[1], t[2]])
        .collect();
    let decoded = Mesh::from_soup(positions, triangles)
        .map_err(|e| format!("meshopt: decoded mesh unusable: {e}"))?
        .mesh;
    Ok(Encoded { bytes, decoded })
}

/// A scratch folder removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Result<Scratch, String> {
        use std::sync::atomic::{AtomicU64, Ordering};
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let dir = std::env::temp_dir().join(format!(
            "nsdf-draco-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        Ok(Scratch(dir))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn run(tool: &str, args: &[&Path], flags: &[String]) -> Result<(), String> {
    let mut cmd = Command::new(tool);
    cmd.arg("-i")
        .arg(args[0])
        .arg("-o")
        .arg(args[1])
        .args(flags);
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run {tool}: {e} (Debian/Ubuntu: apt install draco)"))?;
    if !out.status.success() {
        return Err(format!(
            "{tool} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(())
}

fn draco_encode(mesh: &Mesh, bits: u32, level: u32) -> Result<Encoded, String> {
    Codec::Draco { bits, level }.available()?;
    let dir = Scratch::new()?;
    let (ply, drc, back) = (
        dir.0.join("in.ply"),
        dir.0.join("mesh.drc"),
        dir.0.join("out.ply"),
    );
    std::fs::write(&ply, binary_ply(mesh)).map_err(|e| format!("{}: {e}", ply.display()))?;
    run(
        "draco_encoder",
        &[&ply, &drc],
        &[
            "-qp".into(),
            bits.to_string(),
            "-cl".into(),
            level.to_string(),
        ],
    )?;
    let bytes = std::fs::metadata(&drc)
        .map_err(|e| format!("{}: {e}", drc.display()))?
        .len();
    run("draco_decoder", &[&drc, &back], &[])?;
    let decoded = std::fs::read(&back).map_err(|e| format!("{}: {e}", back.display()))?;
    let decoded = load_bytes(&decoded, Format::Ply)
        .map_err(|e| format!("draco: decoded mesh unusable: {e}"))?
        .mesh;
    Ok(Encoded { bytes, decoded })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::decimate::tests::uv_sphere;

    #[test]
    fn raw_is_the_mesh_itself() {
        let m = uv_sphere(8);
        let e = Codec::RawF32.encode(&m).unwrap();
        assert_eq!(e.decoded, m);
        assert_eq!(e.bytes, raw_bytes(m.positions.len(), m.triangles.len()));
    }

    #[test]
    fn meshopt_decodes_within_its_quantization_step_and_is_smaller() {
        let m = uv_sphere(24);
        let e = Codec::Meshopt { bits: 14 }.encode(&m).unwrap();
        assert_eq!(e.decoded.triangles.len(), m.triangles.len());
        assert!(
            e.bytes < raw_bytes(m.positions.len(), m.triangles.len()) / 2,
            "{}",
            e.bytes
        );
        // Every decoded vertex is within half a step (2 / (2^14 - 1) / 2 per axis) of a source
        // vertex.
        let step = 2.0 / ((1 << 14) - 1) as f32;
        for p in &e.decoded.positions {
            let near = m
                .positions
                .iter()
                .any(|q| (0..3).all(|a| (p[a] - q[a]).abs() <= 0.51 * step));
            assert!(near, "{p:?}");
        }
    }

    #[test]
    fn draco_round_trips_where_installed() {
        let codec = Codec::Draco { bits: 11, level: 7 };
        if let Err(why) = codec.available() {
            // CI installs draco (.ci/run): there a missing tool is a failure, not a skip.
            assert!(std::env::var_os("CI").is_none(), "{why}");
            eprintln!("SKIP: draco round trip: {why}");
            return;
        }
        let m = uv_sphere(24);
        let e = codec.encode(&m).unwrap();
        assert_eq!(e.decoded.triangles.len(), m.triangles.len());
        assert!(
            e.bytes < raw_bytes(m.positions.len(), m.triangles.len()) / 3,
            "{}",
            e.bytes
        );
        let step = 2.0 / ((1 << 11) - 1) as f32;
        let (lo, hi) = e.decoded.bounds();
        assert!((0..3).all(|a| (lo[a] + 1.0).abs() < step && (hi[a] - 1.0).abs() < step));
    }
}
