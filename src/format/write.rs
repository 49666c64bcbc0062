//! The writer: one canonical byte layout per model, so identical input gives identical bytes.

use super::arch::LayerShape;
use super::*;
use std::io::Write;
use std::path::Path;

/// A chunk before layout: tag, directory flags, contents.
pub type RawChunk = (Tag, u32, Vec<u8>);

/// Serializes a model. Chunks are written in the order ARCH, WGHT, XFRM, META, STAT (META only
/// when there is metadata, STAT only when there are statistics); ARCH, WGHT and XFRM carry the
/// REQUIRED flag.
///
/// The result is parsed back before it is returned, so `to_bytes` never hands out a file that
/// [`parse`] would reject (a model outside the limits, a zero sine frequency, an int8 row whose
/// scale overflows): those are [`Error::InvalidModel`].
pub fn to_bytes(model: &Model) -> Result<Vec<u8>> {
    let out = assemble(&chunks(model)?);
    if out.len() as u64 > limits::MAX_FILE_LEN {
        return Err(Error::InvalidModel {
            reason: "the file would exceed the 256 MiB limit".into(),
        });
    }
    parse(&out).map_err(|e| Error::InvalidModel {
        reason: format!("the written file would not parse: {e}"),
    })?;
    Ok(out)
}

/// The chunks [`to_bytes`] lays out, in order.
pub(crate) fn chunks(model: &Model) -> Result<Vec<RawChunk>> {
    model.check()?;
    for (i, l) in model.layers.iter().enumerate() {
        let beyond_f16 = |v: &[f32]| v.iter().any(|w| w.abs() > 65504.0);
        let f16_weights = match l.scheme {
            crate::Scheme::F16 => beyond_f16(&l.weights),
            // The f16 scale is max|row| / 7 (int4) or / 127 (int8h).
            crate::Scheme::Int4 => l.weights.iter().any(|w| w.abs() / 7.0 > 65504.0),
            crate::Scheme::Int8Half => l.weights.iter().any(|w| w.abs() / 127.0 > 65504.0),
            _ => false,
        };
        if f16_weights || (l.scheme.half_rows() && beyond_f16(&l.bias)) {
            return Err(Error::InvalidModel {
                reason: format!(
                    "layer {i}: a weight or bias beyond the f16 range of its {} storage",
                    l.scheme.name()
                ),
            });
        }
    }
    // Lengths are stored as u16/u32: check them before writing, so none can wrap.
    for (k, v) in &model.metadata {
        if !meta::valid_key(k.as_bytes()) {
            return Err(Error::InvalidModel {
                reason: format!("metadata key '{k:.40}' must be 1-255 bytes of [a-z0-9._-] starting with a letter"),
            });
        }
        if let crate::Value::String(s) = v {
            if s.len() as u64 > limits::MAX_METADATA_LEN {
                return Err(Error::InvalidModel {
                    reason: format!("metadata value of '{k}' is over 1 MiB"),
                });
            }
        }
    }
    meta::check(&model.metadata)?;
    if let Some(s) = &model.stats {
        stats::check(s)?;
    }
    let shapes: Vec<LayerShape> = model
        .layers
        .iter()
        .map(|l| LayerShape {
            inputs: l.inputs,
            outputs: l.outputs,
            activation: l.activation,
        })
        .collect();
    let mut chunks: Vec<RawChunk> = Vec::new();
    let mut buf = Vec::new();
    arch::write(&mut buf, model.encoding, &shapes);
    chunks.push((TAG_ARCH, FLAG_REQUIRED, std::mem::take(&mut buf)));
    weights::write(&mut buf, &model.layers);
    chunks.push((TAG_WGHT, FLAG_REQUIRED, std::mem::take(&mut buf)));
    transform::write(&mut buf, &model.transform);
    chunks.push((TAG_XFRM, FLAG_REQUIRED, std::mem::take(&mut buf)));
    if let Some(g) = &model.grid {
        grid::write(&mut buf, g);
        chunks.push((TAG_GRID, FLAG_REQUIRED, std::mem::take(&mut buf)));
    }
    if !model.metadata.is_empty() {
        meta::write(&mut buf, &model.metadata);
        chunks.push((TAG_META, 0, std::mem::take(&mut buf)));
    }
    if let Some(s) = &model.stats {
        stats::write(&mut buf, s);
        chunks.push((TAG_STAT, 0, std::mem::take(&mut buf)));
    }
    Ok(chunks)
}

/// The lowest minor version whose features the chunks use (spec §2.3): 3 when a layer is
/// int8h, 2 with a `GRID` chunk, 1 when a layer is int4, 0 otherwise.
fn minor_version(chunks: &[RawChunk]) -> u16 {
    let schemes: Vec<u32> = match chunks.iter().find(|c| c.0 == TAG_WGHT) {
        Some((_, _, w)) => {
            let word = |at: usize| {
                w.get(at..at + 4)
                    .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            };
            let layers = word(0).unwrap_or(0) as usize;
            (0..layers).map_while(|i| word(4 + 4 * i)).collect()
        }
        None => Vec::new(),
    };
    if schemes.contains(&crate::Scheme::Int8Half.code()) {
        3
    } else if chunks.iter().any(|c| c.0 == TAG_GRID) {
        2
    } else {
        schemes.contains(&crate::Scheme::Int4.code()).into()
    }
}

/// Lays out header, directory and chunks, and fills in every checksum. The minor version is the
/// lowest that defines what the chunks use.
pub(crate) fn assemble(chunks: &[RawChunk]) -> Vec<u8> {
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
    out[10..12].copy_from_slice(&minor_version(chunks).to_le_bytes());
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

/// Recomputes the header checksum after the header or directory changed. Does nothing on a
/// buffer too short to hold a header.
pub(crate) fn reseal(out: &mut [u8]) {
    if out.len() < HEADER_LEN {
        return;
    }
    let count = u32::from_le_bytes([out[24], out[25], out[26], out[27]]) as usize;
    let dir_end = HEADER_LEN
        .saturating_add(DIR_ENTRY_LEN.saturating_mul(count))
        .min(out.len());
    let crc = crc::crc32c_append(
        crc::crc32c(&out[..HEADER_CRC_AT]),
        &out[HEADER_LEN..dir_end],
    );
    out[HEADER_CRC_AT..HEADER_LEN].copy_from_slice(&crc.to_le_bytes());
}

/// Reads a whole `.nsdf` file into memory, refusing files longer than the format's limit before
/// reading them (a clear [`Error::LimitExceeded`] instead of an unbounded allocation). The bytes
/// still have to go through [`crate::parse`]; [`crate::Shape::open`] memory-maps instead.
pub fn read(path: &Path) -> Result<Vec<u8>> {
    let io = |source| Error::Io {
        path: path.display().to_string(),
        source,
    };
    let len = std::fs::metadata(path).map_err(io)?.len();
    let limit = super::limits::MAX_FILE_LEN;
    if len > limit {
        return Err(Error::LimitExceeded {
            offset: 0,
            what: "file length",
            value: len,
            limit,
        });
    }
    std::fs::read(path).map_err(io)
}

/// Writes `bytes` to `path` through a temporary file in the same directory, synced and then
/// renamed over `path`, so a crash or a full disk never leaves a half-written file behind. The
/// temporary file is created fresh (never an existing file or link followed) and removed on
/// failure.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut f = AtomicFile::create(path)?;
    f.write_all(bytes).map_err(|e| Error::io(path, e))?;
    f.commit()
}

/// A file written in pieces that appears at its path whole or not at all (what
/// [`write_atomic`] does for bytes already in memory, for outputs too large to hold: baked
/// volumes). Writes go to a fresh temporary file beside `path`; [`AtomicFile::commit`] syncs
/// and renames it over `path`; dropping it uncommitted (an error, Ctrl-C) removes it.
pub struct AtomicFile {
    path: std::path::PathBuf,
    tmp: std::path::PathBuf,
    file: Option<std::io::BufWriter<std::fs::File>>,
}

impl AtomicFile {
    pub fn create(path: &Path) -> Result<AtomicFile> {
        static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let name = path.file_name().ok_or_else(|| {
            Error::io(
                path,
                std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a file path"),
            )
        })?;
        let dir = parent_dir(path);
        loop {
            let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let mut tmp_name = std::ffi::OsString::from(".");
            tmp_name.push(name);
            tmp_name.push(format!(".{}-{n}.tmp", std::process::id()));
            let tmp = dir.join(tmp_name);
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&tmp)
            {
                Ok(f) => {
                    return Ok(AtomicFile {
                        path: path.to_path_buf(),
                        tmp,
                        file: Some(std::io::BufWriter::new(f)),
                    })
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(Error::io(path, e)),
            }
        }
    }

    /// Flushes, syncs and renames the file into place.
    pub fn commit(mut self) -> Result<()> {
        let Some(f) = self.file.take() else {
            return Ok(());
        };
        let result = (|| {
            let f = f.into_inner().map_err(|e| e.into_error())?;
            f.sync_all()?;
            drop(f);
            std::fs::rename(&self.tmp, &self.path)
        })();
        if let Err(e) = result {
            let _ = std::fs::remove_file(&self.tmp);
            return Err(Error::io(&self.path, e));
        }
        // Make the rename itself durable; not every platform can open a directory, so best
        // effort.
        if let Ok(d) = std::fs::File::open(parent_dir(&self.path)) {
            let _ = d.sync_all();
        }
        Ok(())
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match &mut self.file {
            Some(f) => f.write(buf),
            None => Err(std::io::ErrorKind::BrokenPipe.into()),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match &mut self.file {
            Some(f) => f.flush(),
            None => Ok(()),
        }
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}
