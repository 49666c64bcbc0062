//! STL, binary and ASCII. STL is a triangle soup (three positions per facet); the loader's
//! weld turns it into an indexed mesh. Facet normals are ignored: orientation comes from the
//! vertex order, as in every other format.
//!
//! **Memory bound.** Binary: the triangle count in the header is checked against the file length
//! (84 + 50 bytes per triangle must be present) before anything is reserved, so each 50-byte
//! record becomes 36 bytes of positions and 12 of indices. ASCII: every position comes from a
//! `vertex x y z` line of at least 13 bytes, and a facet of k vertices fans into k − 2
//! triangles, so a triangle costs at least 13 bytes of input and about 400 bytes in the
//! loader's checks (`io/mod.rs`). Loading allocates at most **32 × the file length + 64 KiB**
//! (the soup before welding included; `tests/alloc_bound.rs`; measured at most 12×).

use crate::error::MeshError;
use crate::io::Raw;

pub(crate) fn read(bytes: &[u8]) -> Result<Raw, MeshError> {
    // A binary file whose size matches its triangle count is binary even when its 80-byte
    // header starts with "solid" (many exporters write that).
    if let Some(n) = binary_count(bytes) {
        if 84 + 50 * n as u64 == bytes.len() as u64 {
            return read_binary(bytes, n);
        }
    }
    if bytes.trim_ascii_start().starts_with(b"solid") {
        return read_ascii(bytes);
    }
    match binary_count(bytes) {
        Some(n) if 84 + 50 * n as u64 <= bytes.len() as u64 => read_binary(bytes, n),
        Some(n) => Err(MeshError::parse(
            "STL",
            "byte 80",
            format!(
                "binary header announces {n} triangles ({} bytes) but the file has {} bytes",
                84 + 50 * n as u64,
                bytes.len()
            ),
        )),
        None => Err(MeshError::parse(
            "STL",
            "",
            format!(
                "{} bytes: too short for binary STL and not ASCII (\"solid ...\")",
                bytes.len()
            ),
        )),
    }
}

fn binary_count(bytes: &[u8]) -> Option<u32> {
    let b = bytes.get(80..84)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

fn read_binary(bytes: &[u8], n: u32) -> Result<Raw, MeshError> {
    let n = n as usize; // the caller checked that 84 + 50 n bytes are present
    if 3 * n > u32::MAX as usize {
        return Err(MeshError::parse(
            "STL",
            "byte 80",
            format!("{n} triangles: too many"),
        ));
    }
    let mut positions = Vec::with_capacity(3 * n);
    for rec in bytes[84..84 + 50 * n].chunks_exact(50) {
        for v in 0..3 {
            let at = 12 + 12 * v;
            let f = |k: usize| {
                let s = &rec[at + 4 * k..at + 4 * k + 4];
                f32::from_le_bytes([s[0], s[1], s[2], s[3]])
            };
            positions.push([f(0), f(1), f(2)]);
        }
    }
    Ok(soup(positions))
}

fn read_ascii(bytes: &[u8]) -> Result<Raw, MeshError> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        MeshError::parse(
            "STL",
            format!("byte {}", e.valid_up_to()),
            "ASCII STL is not valid text",
        )
    })?;
    let mut positions = Vec::new();
    let mut triangles = Vec::new();
    let mut polygon: Vec<[f32; 3]> = Vec::new();
    for (no, line) in text.lines().enumerate() {
        let mut words = line.split_whitespace();
        match words.next() {
            Some("vertex") => {
                let mut v = [0f32; 3];
                for x in &mut v {
                    *x = words.next().and_then(|w| w.parse().ok()).ok_or_else(|| {
                        MeshError::parse(
                            "STL",
                            format!("line {}", no + 1),
                            "expected `vertex x y z`",
                        )
                    })?;
                }
                polygon.push(v);
            }
            Some("endloop") => {
                if polygon.len() < 3 {
                    return Err(MeshError::parse(
                        "STL",
                        format!("line {}", no + 1),
                        format!("facet with {} vertices", polygon.len()),
                    ));
                }
                // Fan-triangulate (facets are triangles in practice).
                if positions.len() + polygon.len() > u32::MAX as usize {
                    return Err(MeshError::limit(
                        "STL",
                        "more than 2^32 vertices",
                        u32::MAX as u64,
                    ));
                }
                let base = positions.len() as u32;
                positions.append(&mut polygon);
                let k = positions.len() as u32 - base;
                for i in 1..k - 1 {
                    triangles.push([base, base + i, base + i + 1]);
                }
            }
            _ => {}
        }
    }
    if !polygon.is_empty() {
        return Err(MeshError::parse(
            "STL",
            "end",
            "last facet has no `endloop`",
        ));
    }
    Ok(Raw {
        positions,
        triangles,
        normals: Vec::new(),
    })
}

fn soup(positions: Vec<[f32; 3]>) -> Raw {
    let triangles = (0..positions.len() as u32 / 3)
        .map(|t| [3 * t, 3 * t + 1, 3 * t + 2])
        .collect();
    Raw {
        positions,
        triangles,
        normals: Vec::new(),
    }
}
