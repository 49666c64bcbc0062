//! Any bytes as glTF, twice: as they are (JSON `.gltf`, or `.glb` when they start with `glTF`),
//! and wrapped in a GLB container whose JSON chunk is the bytes up to the first NUL and whose
//! binary chunk is the rest, so mutations reach the accessor reads with a real binary buffer.
//! `nsdf_mesh::load_bytes` must return an error or a mesh whose positions are finite and whose
//! indices are in range; never panic, never allocate without bound.
#![no_main]

mod mesh_common;

use libfuzzer_sys::fuzz_target;
use nsdf_mesh::Format;

fuzz_target!(|data: &[u8]| {
    mesh_common::check(data, Format::Gltf);
    mesh_common::check(&glb(data), Format::Gltf);
});

fn glb(data: &[u8]) -> Vec<u8> {
    let cut = data.iter().position(|&b| b == 0).unwrap_or(data.len());
    let (json, bin) = (&data[..cut], data.get(cut + 1..).unwrap_or(&[]));
    let pad = |n: usize| n.div_ceil(4) * 4;
    let total = 12
        + 8
        + pad(json.len())
        + if bin.is_empty() {
            0
        } else {
            8 + pad(bin.len())
        };
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(b"glTF");
    out.extend_from_slice(&2u32.to_le_bytes());
    out.extend_from_slice(&(total as u32).to_le_bytes());
    out.extend_from_slice(&(pad(json.len()) as u32).to_le_bytes());
    out.extend_from_slice(b"JSON");
    out.extend_from_slice(json);
    out.resize(20 + pad(json.len()), b' ');
    if !bin.is_empty() {
        out.extend_from_slice(&(pad(bin.len()) as u32).to_le_bytes());
        out.extend_from_slice(b"BIN\0");
        out.extend_from_slice(bin);
        out.resize(total, 0);
    }
    out
}
