//! The writer: one canonical byte layout per model, so identical input gives identical bytes.

use super::arch::LayerShape;
use super::*;
use std::io::Write;
use std::path::Path;

/// Serializes a model. Chunks are written in the order ARCH, WGHT, XFRM, META, STAT (META only
/// when there is metadata, STAT only when there are statistics); ARCH, WGHT and XFRM carry the
/// REQUIRED flag.
pub fn to_bytes(model: &Model) -> Result<Vec<u8>> {
    model.check()?;
    for (i, l) in model.layers.iter().enumerate() {
        if l.scheme == crate::Scheme::F16 && l.weights.iter().any(|w| w.abs() > 65504.0) {
            return Err(Error::InvalidModel { reason: format!("layer {i}: weight beyond the f16 range") });
        }
    }
    meta::check(&model.metadata)?;
    if let Some(s) = &model.stats {
        stats::check(s)?;
    }
    let shapes: Vec<LayerShape> = model
        .layers
        .iter()
        .map(|l| LayerShape { inputs: l.inputs, outputs: l.outputs, activation: l.activation })
        .collect();
    let mut chunks: Vec<(Tag, u32, Vec<u8>)> = Vec::new();
    let mut buf = Vec::new();
    arch::write(&mut buf, model.encoding, &shapes);
    chunks.push((TAG_ARCH, FLAG_REQUIRED, std::mem::take(&mut buf)));
    weights::write(&mut buf, &model.layers);
    chunks.push((TAG_WGHT, FLAG_REQUIRED, std::mem::take(&mut buf)));
    transform::write(&mut buf, &model.transform);
    chunks.push((TAG_XFRM, FLAG_REQUIRED, std::mem::take(&mut buf)));
    if !model.metadata.is_empty() {
        meta::write(&mut buf, &model.metadata);
        chunks.push((TAG_META, 0, std::mem::take(&mut buf)));
    }
    if let Some(s) = &model.stats {
        stats::write(&mut buf, s);
        chunks.push((TAG_STAT, 0, std::mem::take(&mut buf)));
    }
    let out = assemble(&chunks);
    if out.len() as u64 > limits::MAX_FILE_LEN {
        return Err(Error::InvalidModel { reason: "the file would exceed the 256 MiB limit".into() });
    }
    Ok(out)
}

/// Lays out header, directory and chunks, and fills in every checksum. Public within the crate
/// so tests can build deliberately odd files (unknown chunks, other versions).
pub(crate) fn assemble(chunks: &[(Tag, u32, Vec<u8>)]) -> Vec<u8> {
    let mut offsets = Vec::with_capacity(chunks.len());
    let mut at = align64((HEADER_LEN + DIR_ENTRY_LEN * chunks.len()) as u64);
    for (i, (_, _, data)) in chunks.iter().enumerate() {
        offsets.push(at);
        at += data.len() as u64;
        if i + 1 < chunks.len() {
            at = align64(at);
        }
    }
    let total = at as usize;
    let mut out = vec![0u8; total];
    out[..8].copy_from_slice(&MAGIC);
    out[8..10].copy_from_slice(&VERSION_MAJOR.to_le_bytes());
    out[10..12].copy_from_slice(&VERSION_MINOR.to_le_bytes());
    out[16..24].copy_from_slice(&(total as u64).to_le_bytes());
    out[24..28].copy_from_slice(&(chunks.len() as u32).to_le_bytes());
    for (i, ((tag, flags, data), &off)) in chunks.iter().zip(&offsets).enumerate() {
        let e = HEADER_LEN + DIR_ENTRY_LEN * i;
        out[e..e + 4].copy_from_slice(&tag.0);
        out[e + 4..e + 8].copy_from_slice(&flags.to_le_bytes());
        out[e + 8..e + 16].copy_from_slice(&off.to_le_bytes());
        out[e + 16..e + 24].copy_from_slice(&(data.len() as u64).to_le_bytes());
        out[e + 24..e + 28].copy_from_slice(&crc::crc32c(data).to_le_bytes());
        out[off as usize..off as usize + data.len()].copy_from_slice(data);
    }
    reseal(&mut out);
    out
}

/// Recomputes the header checksum after the header or directory changed.
pub(crate) fn reseal(out: &mut [u8]) {
    let count = u32::from_le_bytes([out[24], out[25], out[26], out[27]]) as usize;
    let dir_end = (HEADER_LEN + DIR_ENTRY_LEN * count).min(out.len());
    let crc = crc::crc32c_append(crc::crc32c(&out[..HEADER_CRC_AT]), &out[HEADER_LEN..dir_end]);
    out[HEADER_CRC_AT..HEADER_LEN].copy_from_slice(&crc.to_le_bytes());
}

/// Writes `bytes` to `path` through a temporary file in the same directory, synced and then
/// renamed over `path`, so a crash or a full disk never leaves a half-written file behind.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path.file_name().ok_or_else(|| {
        Error::io(path, std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a file path"))
    })?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(".{}.tmp", std::process::id()));
    let tmp = dir.join(tmp_name);
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::io(path, e));
    }
    Ok(())
}
