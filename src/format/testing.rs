//! Building blocks for deliberately odd files: the test vectors, the hostile-input tests and the
//! fuzz seeds use them to make files no writer would. Not part of the stable API.

use super::*;

pub use super::write::RawChunk;

/// The chunks `to_bytes` would write for `model`, before layout.
pub fn model_chunks(model: &Model) -> Result<Vec<RawChunk>> {
    write::chunks(model)
}

/// Lays out `chunks` as a version 1.0 file with correct checksums (any tags, flags, contents).
pub fn assemble(chunks: &[RawChunk]) -> Vec<u8> {
    write::assemble(chunks)
}

/// Recomputes the header checksum (after editing the header or directory).
pub fn reseal(bytes: &mut [u8]) {
    write::reseal(bytes)
}

/// Recomputes every chunk checksum whose directory entry points inside the file, then the
/// header checksum: after an edit, the file fails (if at all) for the edit itself.
pub fn reseal_all(bytes: &mut [u8]) {
    if bytes.len() < HEADER_LEN {
        return;
    }
    let count = u32::from_le_bytes([bytes[24], bytes[25], bytes[26], bytes[27]]) as usize;
    for i in 0..count.min(MAX_CHUNKS as usize) {
        let e = HEADER_LEN + DIR_ENTRY_LEN * i;
        if e + DIR_ENTRY_LEN > bytes.len() {
            break;
        }
        let field =
            |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap_or([0xff; 8]));
        let (off, len) = (field(e + 8), field(e + 16));
        let end = off
            .checked_add(len)
            .filter(|&end| end <= bytes.len() as u64);
        if let Some(end) = end {
            let crc = crc::crc32c(&bytes[off as usize..end as usize]);
            bytes[e + 24..e + 28].copy_from_slice(&crc.to_le_bytes());
        }
    }
    reseal(bytes);
}

/// Sets the version fields and reseals the header.
pub fn set_version(bytes: &mut [u8], major: u16, minor: u16) {
    bytes[8..10].copy_from_slice(&major.to_le_bytes());
    bytes[10..12].copy_from_slice(&minor.to_le_bytes());
    reseal(bytes);
}
