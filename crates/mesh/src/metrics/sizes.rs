//! Byte sizes a mesh is compared by: a plain binary PLY, the same zstd-compressed, and the
//! raw encoding the equal-bytes baseline is held to.

use crate::Mesh;
use std::fmt::Write as _;

/// zstd level for the compressed-PLY size (the strongest regular level).
pub const ZSTD_LEVEL: i32 = 19;

/// The mesh as a binary little-endian PLY: float32 x y z per vertex, and per face a uchar
/// count (3) followed by three uint32 indices. No normals or other attributes.
pub fn binary_ply(mesh: &Mesh) -> Vec<u8> {
    let mut header = String::new();
    let _ = write!(
        header,
        "ply\nformat binary_little_endian 1.0\nelement vertex {}\nproperty float x\nproperty float y\nproperty float z\nelement face {}\nproperty list uchar uint vertex_indices\nend_header\n",
        mesh.positions.len(),
        mesh.triangles.len()
    );
    let mut out =
        Vec::with_capacity(header.len() + 12 * mesh.positions.len() + 13 * mesh.triangles.len());
    out.extend_from_slice(header.as_bytes());
    for p in &mesh.positions {
        for x in p {
            out.extend_from_slice(&x.to_le_bytes());
        }
    }
    for t in &mesh.triangles {
        out.push(3);
        for i in t {
            out.extend_from_slice(&i.to_le_bytes());
        }
    }
    out
}

/// Size of `bytes` compressed with zstd at [`ZSTD_LEVEL`].
pub fn zstd_size(bytes: &[u8]) -> Result<u64, String> {
    zstd::bulk::compress(bytes, ZSTD_LEVEL)
        .map(|c| c.len() as u64)
        .map_err(|e| format!("zstd compression failed: {e}"))
}

/// How the equal-bytes baseline's mesh is counted, in words for the report.
pub const RAW_ENCODING: &str =
    "float32 xyz per vertex + 3 indices per triangle, u16 if under 65536 vertices else u32, no header";

/// Bytes of `vertices` and `triangles` under [`RAW_ENCODING`].
pub fn raw_bytes(vertices: usize, triangles: usize) -> u64 {
    let index = if vertices < 65536 { 2 } else { 4 };
    12 * vertices as u64 + 3 * index * triangles as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ply_and_raw_sizes_by_hand() {
        let m = Mesh {
            positions: vec![[0.0; 3], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
            triangles: vec![[0, 2, 1], [0, 1, 3], [0, 3, 2], [1, 2, 3]],
        };
        let ply = binary_ply(&m);
        let header = ply.windows(11).position(|w| w == b"end_header\n").unwrap() + 11;
        assert_eq!(ply.len() - header, 4 * 12 + 4 * 13);
        assert_eq!(raw_bytes(4, 4), 4 * 12 + 4 * 6);
        assert_eq!(raw_bytes(70000, 10), 70000 * 12 + 10 * 12);
        assert!(zstd_size(&ply).unwrap() > 0);
    }
}
