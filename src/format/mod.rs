//! The `.nsdf` v1 container: header, chunk directory, and the chunks (normative spec:
//! `spec/nsdf-v1.md`).
//!
//! ```text
//! 0   [u8; 8] magic        89 4E 53 44 46 0D 0A 1A   ("\x89NSDF\r\n\x1a")
//! 8   u16 major = 1, u16 minor
//! 12  u32 flags = 0
//! 16  u64 file_length
//! 24  u32 chunk_count      1..=64
//! 28  [u8; 32] reserved = 0
//! 60  u32 header_crc       CRC-32C of bytes 0..60 followed by the directory
//! 64  directory: chunk_count × { [u8;4] tag, u32 flags, u64 offset, u64 length, u32 crc32c, u32 reserved }
//!     chunks, each at the next 64-byte boundary after the previous one, zero padding between
//! ```
//!
//! [`parse`] stops at the first error; [`validate`] goes on where it safely can and reports
//! every problem with its severity.

mod arch;
mod bytes;
pub mod crc;
mod grid;
pub mod limits;
mod meta;
mod stats;
#[doc(hidden)]
pub mod testing;
mod transform;
mod weights;
mod write;

use meta::reserved_type;
pub use write::{read, to_bytes, write_atomic, AtomicFile};

use crate::error::{Error, Result, Severity, Tag};
use crate::model::Model;
use bytes::Bytes;
use limits::*;

pub const MAGIC: [u8; 8] = [0x89, b'N', b'S', b'D', b'F', b'\r', b'\n', 0x1A];
pub const VERSION_MAJOR: u16 = 1;
/// The newest minor version this reader implements (1.1 adds the int4 weight scheme, 1.2 the
/// hash-grid encoding and its `GRID` chunk, 1.3 the int8h weight scheme).
pub const VERSION_MINOR: u16 = 3;
pub const HEADER_LEN: usize = 64;
pub const DIR_ENTRY_LEN: usize = 32;
pub const CHUNK_ALIGN: u64 = 64;
/// Offset of the header checksum.
pub const HEADER_CRC_AT: usize = 60;

pub const TAG_ARCH: Tag = Tag(*b"ARCH");
pub const TAG_WGHT: Tag = Tag(*b"WGHT");
pub const TAG_XFRM: Tag = Tag(*b"XFRM");
pub const TAG_META: Tag = Tag(*b"META");
pub const TAG_STAT: Tag = Tag(*b"STAT");
pub const TAG_GRID: Tag = Tag(*b"GRID");

/// The chunks this version defines (`GRID` since 1.2).
pub const KNOWN_TAGS: [Tag; 6] = [TAG_ARCH, TAG_WGHT, TAG_XFRM, TAG_META, TAG_STAT, TAG_GRID];

/// Directory flag: a reader that does not know this chunk must reject the file.
pub const FLAG_REQUIRED: u32 = 1;

/// One entry of the chunk directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChunkInfo {
    pub tag: Tag,
    pub flags: u32,
    pub offset: u64,
    pub length: u64,
    pub crc: u32,
}

impl ChunkInfo {
    pub fn required(&self) -> bool {
        self.flags & FLAG_REQUIRED != 0
    }
}

/// A parsed file: its version, its directory and the model it holds.
#[derive(Clone, Debug, PartialEq)]
pub struct Parsed {
    pub version: (u16, u16),
    pub chunks: Vec<ChunkInfo>,
    pub model: Model,
}

/// One finding of [`validate`].
#[derive(Clone, Debug, PartialEq)]
pub struct Issue {
    pub severity: Severity,
    /// Stable code: `NSDF-Exxx` for errors (see [`Error::code`]), `NSDF-Wxxx` for warnings,
    /// `NSDF-Ixxx` for information.
    pub code: &'static str,
    pub offset: Option<u64>,
    pub message: String,
}

impl Issue {
    fn from_error(e: &Error) -> Issue {
        Issue {
            severity: Severity::Error,
            code: e.code(),
            offset: e.offset(),
            message: e.message(),
        }
    }

    fn note(severity: Severity, code: &'static str, offset: Option<u64>, message: String) -> Issue {
        Issue {
            severity,
            code,
            offset,
            message,
        }
    }
}

/// Rounds up to the chunk alignment.
pub fn align64(n: u64) -> u64 {
    n.div_ceil(CHUNK_ALIGN) * CHUNK_ALIGN
}

/// Parses and validates a whole file. Never panics, whatever the bytes; allocates at most a small
/// multiple of `bytes.len()`.
pub fn parse(bytes: &[u8]) -> Result<Parsed> {
    Reader { issues: None }.read(bytes)
}

/// Checks a file and reports every problem found (errors, warnings and notes), in file order
/// where possible. The file is readable by [`parse`] iff no issue has severity `Error`.
pub fn validate(bytes: &[u8]) -> Vec<Issue> {
    let mut issues = Vec::new();
    let result = Reader {
        issues: Some(&mut issues),
    }
    .read(bytes);
    match result {
        Err(e) => issues.push(Issue::from_error(&e)),
        Ok(p) => warnings(&p, &mut issues),
    }
    issues
}

/// Non-fatal findings on a file that parsed.
fn warnings(p: &Parsed, issues: &mut Vec<Issue>) {
    if p.version.1 > VERSION_MINOR {
        issues.push(Issue::note(
            Severity::Warning,
            "NSDF-W001",
            Some(10),
            format!(
                "minor version {}.{} is newer than this reader's 1.{VERSION_MINOR}; newer optional parts are skipped",
                p.version.0, p.version.1
            ),
        ));
    }
    let has = |t: Tag| p.chunks.iter().any(|c| c.tag == t);
    if !has(TAG_STAT) {
        issues.push(Issue::note(
            Severity::Warning,
            "NSDF-W002",
            None,
            "no STAT chunk: accuracy and gradient bound unknown (renderers must estimate a safe step)".into(),
        ));
    }
    let meta_at = p
        .chunks
        .iter()
        .find(|c| c.tag == TAG_META)
        .map(|c| c.offset);
    for (k, _) in &p.model.metadata {
        if k.starts_with("nsdf.") && reserved_type(k).is_none() {
            issues.push(Issue::note(
                Severity::Warning,
                "NSDF-W003",
                meta_at,
                format!("metadata key '{k}' is in the reserved nsdf.* namespace but not defined by version 1.0"),
            ));
        }
    }
    for c in &p.chunks {
        // An unknown REQUIRED chunk is an error (E014), reported already.
        if !c.required() && !KNOWN_TAGS.contains(&c.tag) {
            issues.push(Issue::note(
                Severity::Info,
                "NSDF-I001",
                Some(c.offset),
                format!(
                    "unknown optional chunk {} ({} bytes) skipped",
                    c.tag, c.length
                ),
            ));
        }
    }
}

/// The one parser behind [`parse`] and [`validate`]. With `issues` set, errors that leave the rest
/// of the file readable (checksums, one bad chunk) are recorded and reading goes on.
struct Reader<'i> {
    issues: Option<&'i mut Vec<Issue>>,
}

impl Reader<'_> {
    /// Records a recoverable error, or returns it when not collecting.
    fn soft(&mut self, e: Error) -> Result<()> {
        match &mut self.issues {
            Some(v) => {
                v.push(Issue::from_error(&e));
                Ok(())
            }
            None => Err(e),
        }
    }

    fn read(mut self, bytes: &[u8]) -> Result<Parsed> {
        let (version, dir) = self.header(bytes)?;
        let file = Bytes::new(bytes, 0);
        let mut chunks = Vec::with_capacity(dir.len());
        let dir_end = HEADER_LEN + DIR_ENTRY_LEN * dir.len();
        let mut expected = align64(dir_end as u64);
        // No checksum covers padding, so it must be zero: here, between directory and first chunk.
        file.zeros(dir_end, expected as usize - dir_end, "directory padding")?;
        for (i, c) in dir.iter().enumerate() {
            let entry_at = (HEADER_LEN + DIR_ENTRY_LEN * i) as u64;
            if c.offset != expected {
                return Err(Error::ChunkLayout {
                    tag: c.tag,
                    offset: c.offset,
                    expected,
                });
            }
            let end = c
                .offset
                .checked_add(c.length)
                .filter(|&e| e <= bytes.len() as u64);
            let Some(end) = end else {
                return Err(Error::Truncated {
                    offset: c.offset,
                    needed: c.length,
                    len: bytes.len() as u64,
                });
            };
            if chunks.iter().any(|d: &ChunkInfo| d.tag == c.tag) {
                self.soft(Error::DuplicateChunk {
                    tag: c.tag,
                    offset: entry_at,
                })?;
            }
            let data = &bytes[c.offset as usize..end as usize];
            let computed = crc::crc32c(data);
            if computed != c.crc && !cfg!(fuzzing) {
                self.soft(Error::ChunkChecksum {
                    tag: c.tag,
                    offset: c.offset,
                    stored: c.crc,
                    computed,
                })?;
            }
            let next = if i + 1 < dir.len() { align64(end) } else { end };
            if next > bytes.len() as u64 {
                return Err(Error::Truncated {
                    offset: end,
                    needed: next - end,
                    len: bytes.len() as u64,
                });
            }
            file.zeros(end as usize, (next - end) as usize, "chunk padding")?;
            if c.required() && !KNOWN_TAGS.contains(&c.tag) {
                self.soft(Error::UnknownRequiredChunk {
                    tag: c.tag,
                    offset: entry_at,
                })?;
            }
            chunks.push(*c);
            expected = next;
        }
        if expected != bytes.len() as u64 {
            return Err(Error::TrailingBytes { offset: expected });
        }
        let model = self.chunks(bytes, &chunks)?;
        Ok(Parsed {
            version,
            chunks,
            model,
        })
    }

    /// Checks the fixed header and reads the directory.
    fn header(&mut self, bytes: &[u8]) -> Result<((u16, u16), Vec<ChunkInfo>)> {
        check_magic(bytes)?;
        let b = Bytes::new(bytes, 0);
        if bytes.len() < HEADER_LEN {
            b.slice(0, HEADER_LEN)?;
        }
        let major = b.u16(8)?;
        let minor = b.u16(10)?;
        if major != VERSION_MAJOR {
            return Err(Error::UnsupportedVersion { major, minor });
        }
        b.zero32(12, "header flags")?;
        let recorded = b.u64(16)?;
        if recorded > MAX_FILE_LEN {
            return Err(Error::LimitExceeded {
                offset: 16,
                what: "file length",
                value: recorded,
                limit: MAX_FILE_LEN,
            });
        }
        if recorded != bytes.len() as u64 {
            return Err(Error::LengthMismatch {
                recorded,
                actual: bytes.len() as u64,
            });
        }
        let count = b.u32(24)?;
        if count == 0 || count > MAX_CHUNKS {
            return Err(Error::LimitExceeded {
                offset: 24,
                what: "chunk count",
                value: count as u64,
                limit: MAX_CHUNKS as u64,
            });
        }
        b.zeros(28, 32, "header reserved bytes")?;
        let dir_len = DIR_ENTRY_LEN * count as usize;
        let dir_bytes = b.slice(HEADER_LEN, dir_len)?;
        let stored = b.u32(HEADER_CRC_AT)?;
        let computed = crc::crc32c_append(crc::crc32c(&bytes[..HEADER_CRC_AT]), dir_bytes);
        if stored != computed && !cfg!(fuzzing) {
            self.soft(Error::HeaderChecksum { stored, computed })?;
        }
        let mut dir = Vec::with_capacity(count as usize);
        for i in 0..count as usize {
            let at = HEADER_LEN + DIR_ENTRY_LEN * i;
            let flags = b.u32(at + 4)?;
            if flags & !FLAG_REQUIRED != 0 {
                return Err(Error::NonZeroReserved {
                    offset: (at + 4) as u64,
                    what: "unknown chunk flag bits",
                });
            }
            b.zero32(at + 28, "directory entry reserved field")?;
            dir.push(ChunkInfo {
                tag: Tag(b.array(at)?),
                flags,
                offset: b.u64(at + 8)?,
                length: b.u64(at + 16)?,
                crc: b.u32(at + 24)?,
            });
        }
        Ok(((major, minor), dir))
    }

    /// Decodes the known chunks into a model. Every chunk is tried, so `validate` reports a
    /// problem in each.
    fn chunks(&mut self, bytes: &[u8], chunks: &[ChunkInfo]) -> Result<Model> {
        let find = |tag: Tag| -> Result<Bytes> {
            chunks
                .iter()
                .find(|c| c.tag == tag)
                .map(|c| {
                    Bytes::new(
                        &bytes[c.offset as usize..(c.offset + c.length) as usize],
                        c.offset,
                    )
                })
                .ok_or(Error::MissingChunk { tag })
        };
        let optional = |tag: Tag| chunks.iter().any(|c| c.tag == tag);
        let mut errors = Vec::new();
        let arch = keep(&mut errors, find(TAG_ARCH).and_then(arch::parse));
        let layers = match &arch {
            Some(a) => keep(
                &mut errors,
                find(TAG_WGHT).and_then(|b| weights::parse(b, &a.layers)),
            ),
            None => None,
        };
        let transform = keep(&mut errors, find(TAG_XFRM).and_then(transform::parse));
        let grid = match (&arch, optional(TAG_GRID)) {
            (Some(a), present) => match a.encoding {
                crate::Encoding::HashGrid { features } => keep(
                    &mut errors,
                    find(TAG_GRID)
                        .and_then(|b| grid::parse(b, features))
                        .map(Some),
                ),
                _ if present => keep(
                    &mut errors,
                    find(TAG_GRID).and_then(|b| {
                        Err(Error::arch(
                            b.base,
                            "a GRID chunk, but ARCH's encoding is not a hash grid",
                        ))
                    }),
                ),
                _ => Some(None),
            },
            (None, _) => None,
        };
        let metadata = match optional(TAG_META) {
            true => keep(&mut errors, find(TAG_META).and_then(meta::parse)),
            false => Some(Vec::new()),
        };
        let stats = match optional(TAG_STAT) {
            true => keep(&mut errors, find(TAG_STAT).and_then(stats::parse).map(Some)),
            false => Some(None),
        };
        if let (Some(a), Some(layers), Some(grid), Some(transform), Some(metadata), Some(stats)) =
            (arch, layers, grid, transform, metadata, stats)
        {
            return Ok(Model {
                encoding: a.encoding,
                layers,
                grid,
                transform,
                metadata,
                stats,
            });
        }
        // Strict mode returns the first error; collecting mode records all but the last.
        let last = errors.pop();
        for e in errors {
            self.soft(e)?;
        }
        Err(last.unwrap_or(Error::MissingChunk { tag: TAG_ARCH }))
    }
}

/// Records a failed chunk and lets the caller continue without it.
fn keep<T>(errors: &mut Vec<Error>, r: Result<T>) -> Option<T> {
    r.map_err(|e| errors.push(e)).ok()
}

/// Distinguishes "not an nsdf file" from "an nsdf file damaged in transfer".
fn check_magic(bytes: &[u8]) -> Result<()> {
    let n = bytes.len().min(MAGIC.len());
    if bytes[..n] == MAGIC[..n] {
        if n < MAGIC.len() {
            return Err(Error::Truncated {
                offset: 0,
                needed: HEADER_LEN as u64,
                len: bytes.len() as u64,
            });
        }
        return Ok(());
    }
    let head = &bytes[..bytes.len().min(9)];
    if head.len() >= 5 && &head[1..5] == b"NSDF" {
        let what = if head[0] == 0x09 {
            "a 7-bit transfer cleared the high bit of byte 0"
        } else if head[5..].starts_with(b"\n\x1a") {
            "CR LF was converted to LF"
        } else if head[5..].starts_with(b"\r\r\n") {
            "LF was converted to CR LF"
        } else if head[0] == b'?' || head[0] == 0xEF {
            "the first byte was replaced by a text encoder"
        } else {
            "bytes 0-7 differ from 89 4E 53 44 46 0D 0A 1A"
        };
        return Err(Error::TransferCorruption { what });
    }
    Err(Error::BadMagic)
}
