//! The one error type of the runtime.
//!
//! Every variant has a stable code (`NSDF-Exxx`, listed in `spec/nsdf-v1.md`) and, where the
//! problem sits in the file, the byte offset of the offending field. Codes never change meaning
//! once released; new problems get new codes.

use std::fmt;

/// A four-character chunk tag, printed as text when it is printable ASCII.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tag(pub [u8; 4]);

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.iter().all(|b| b.is_ascii_graphic()) {
            // Printable ASCII is valid UTF-8.
            f.write_str(std::str::from_utf8(&self.0).unwrap_or("????"))
        } else {
            write!(f, "0x{:08x}", u32::from_be_bytes(self.0))
        }
    }
}

impl fmt::Debug for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Tag({self})")
    }
}

/// Why a file was rejected (or, for [`Error::Io`], could not be read at all).
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The file, or the chunk being read, ends before a structure that must be there; `len` is
    /// the offset at which the data ends.
    Truncated { offset: u64, needed: u64, len: u64 },
    /// The first eight bytes are not the nsdf signature at all.
    BadMagic,
    /// The signature is there but mangled the way text-mode transfers mangle it
    /// (CR/LF translation, 7-bit stripping, Ctrl-Z truncation).
    TransferCorruption { what: &'static str },
    /// A major version this reader does not implement.
    UnsupportedVersion { major: u16, minor: u16 },
    /// The length recorded in the header differs from the real length.
    LengthMismatch { recorded: u64, actual: u64 },
    /// A field that must be zero (reserved, padding, unknown flag bit) is not.
    NonZeroReserved { offset: u64, what: &'static str },
    /// The header and directory checksum does not match.
    HeaderChecksum { stored: u32, computed: u32 },
    /// A chunk's checksum does not match its bytes.
    ChunkChecksum {
        tag: Tag,
        offset: u64,
        stored: u32,
        computed: u32,
    },
    /// A limit of the spec (section "Limits") is exceeded.
    LimitExceeded {
        offset: u64,
        what: &'static str,
        value: u64,
        limit: u64,
    },
    /// A chunk is not where the canonical layout puts it (alignment, order, overlap, gaps).
    ChunkLayout {
        tag: Tag,
        offset: u64,
        expected: u64,
    },
    /// Bytes after the last chunk.
    TrailingBytes { offset: u64 },
    /// A chunk tag appears twice.
    DuplicateChunk { tag: Tag, offset: u64 },
    /// A chunk the file cannot do without is missing.
    MissingChunk { tag: Tag },
    /// A chunk flagged REQUIRED that this reader does not know.
    UnknownRequiredChunk { tag: Tag, offset: u64 },
    /// A chunk's length differs from what its contents imply.
    ChunkLength {
        tag: Tag,
        offset: u64,
        expected: u64,
        found: u64,
    },
    /// An enumerated field holds a value the spec does not define.
    UnknownValue {
        offset: u64,
        what: &'static str,
        value: u32,
    },
    /// The layer list is inconsistent (input/output widths do not chain, wrong input or output dimension).
    Architecture { offset: u64, reason: String },
    /// A float that must be finite (or positive, or in range) is not.
    BadFloat {
        offset: u64,
        what: &'static str,
        value: f32,
    },
    /// The metadata chunk is malformed.
    Metadata { offset: u64, reason: String },
    /// Opening, mapping or writing a file failed.
    Io {
        path: String,
        source: std::io::Error,
    },
    /// A model handed to the writer is inconsistent (not a file problem).
    InvalidModel { reason: String },
    /// GPU evaluation is unavailable or failed: no driver, no device, out of memory, a model the
    /// GPU kernels do not support, a build without the `cuda` feature (not a file problem).
    Device { reason: String },
}

/// How serious a problem is; only errors make a file unreadable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        })
    }
}

impl Error {
    /// The stable code of this error, as listed in the spec.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Truncated { .. } => "NSDF-E001",
            Error::BadMagic => "NSDF-E002",
            Error::TransferCorruption { .. } => "NSDF-E003",
            Error::UnsupportedVersion { .. } => "NSDF-E004",
            Error::LengthMismatch { .. } => "NSDF-E005",
            Error::NonZeroReserved { .. } => "NSDF-E006",
            Error::HeaderChecksum { .. } => "NSDF-E007",
            Error::ChunkChecksum { .. } => "NSDF-E008",
            Error::LimitExceeded { .. } => "NSDF-E009",
            Error::ChunkLayout { .. } => "NSDF-E010",
            Error::TrailingBytes { .. } => "NSDF-E011",
            Error::DuplicateChunk { .. } => "NSDF-E012",
            Error::MissingChunk { .. } => "NSDF-E013",
            Error::UnknownRequiredChunk { .. } => "NSDF-E014",
            Error::ChunkLength { .. } => "NSDF-E015",
            Error::UnknownValue { .. } => "NSDF-E016",
            Error::Architecture { .. } => "NSDF-E017",
            Error::BadFloat { .. } => "NSDF-E018",
            Error::Metadata { .. } => "NSDF-E019",
            Error::Io { .. } => "NSDF-E100",
            Error::InvalidModel { .. } => "NSDF-E101",
            Error::Device { .. } => "NSDF-E102",
        }
    }

    /// The byte offset in the file where the problem was found, when it has one.
    pub fn offset(&self) -> Option<u64> {
        match self {
            Error::Truncated { offset, .. }
            | Error::NonZeroReserved { offset, .. }
            | Error::ChunkChecksum { offset, .. }
            | Error::LimitExceeded { offset, .. }
            | Error::ChunkLayout { offset, .. }
            | Error::TrailingBytes { offset }
            | Error::DuplicateChunk { offset, .. }
            | Error::UnknownRequiredChunk { offset, .. }
            | Error::ChunkLength { offset, .. }
            | Error::UnknownValue { offset, .. }
            | Error::Architecture { offset, .. }
            | Error::BadFloat { offset, .. }
            | Error::Metadata { offset, .. } => Some(*offset),
            Error::BadMagic | Error::TransferCorruption { .. } => Some(0),
            Error::UnsupportedVersion { .. } => Some(8),
            Error::LengthMismatch { .. } => Some(16),
            Error::HeaderChecksum { .. } => Some(60),
            Error::MissingChunk { .. }
            | Error::Io { .. }
            | Error::InvalidModel { .. }
            | Error::Device { .. } => None,
        }
    }

    pub(crate) fn arch(offset: u64, reason: impl Into<String>) -> Error {
        Error::Architecture {
            offset,
            reason: reason.into(),
        }
    }

    pub(crate) fn meta(offset: u64, reason: impl Into<String>) -> Error {
        Error::Metadata {
            offset,
            reason: reason.into(),
        }
    }

    pub(crate) fn io(path: &std::path::Path, source: std::io::Error) -> Error {
        Error::Io {
            path: path.display().to_string(),
            source,
        }
    }
}

impl fmt::Display for Error {
    /// `NSDF-Exxx: message`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code(), Message(self))
    }
}

impl Error {
    /// The description alone, without the code (reports print the code in its own column).
    pub fn message(&self) -> String {
        Message(self).to_string()
    }
}

/// Displays an error's description without its code.
struct Message<'a>(&'a Error);

impl fmt::Display for Message<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Error::Truncated { offset, needed, len } => write!(
                f,
                "truncated: {needed} bytes needed at offset {offset}, but the data ends at offset {len}"
            ),
            Error::BadMagic => f.write_str("not an nsdf file (bad signature)"),
            Error::TransferCorruption { what } => {
                write!(f, "nsdf signature damaged in transfer ({what}); re-copy the file in binary mode")
            }
            Error::UnsupportedVersion { major, minor } => write!(
                f,
                "format version {major}.{minor} is not supported (this reader reads major version 1)"
            ),
            Error::LengthMismatch { recorded, actual } => write!(
                f,
                "header records a file length of {recorded} bytes but the file has {actual}"
            ),
            Error::NonZeroReserved { offset, what } => {
                write!(f, "{what} at offset {offset} must be zero")
            }
            Error::HeaderChecksum { stored, computed } => write!(
                f,
                "header checksum mismatch (stored 0x{stored:08x}, computed 0x{computed:08x})"
            ),
            Error::ChunkChecksum { tag, offset, stored, computed } => write!(
                f,
                "chunk {tag} at offset {offset}: checksum mismatch (stored 0x{stored:08x}, computed 0x{computed:08x})"
            ),
            Error::LimitExceeded { offset, what, value, limit } => write!(
                f,
                "{what} is {value} at offset {offset}, over the limit of {limit}"
            ),
            Error::ChunkLayout { tag, offset, expected } => write!(
                f,
                "chunk {tag} starts at offset {offset}, but the layout puts it at {expected}"
            ),
            Error::TrailingBytes { offset } => {
                write!(f, "unexpected bytes after the last chunk, from offset {offset}")
            }
            Error::DuplicateChunk { tag, offset } => {
                write!(f, "chunk {tag} appears twice (second at directory offset {offset})")
            }
            Error::MissingChunk { tag } => write!(f, "required chunk {tag} is missing"),
            Error::UnknownRequiredChunk { tag, offset } => write!(
                f,
                "chunk {tag} (directory offset {offset}) is marked required but this reader does not know it"
            ),
            Error::ChunkLength { tag, offset, expected, found } => write!(
                f,
                "chunk {tag} at offset {offset} is {found} bytes long, expected {expected}"
            ),
            Error::UnknownValue { offset, what, value } => {
                write!(f, "unknown {what} {value} at offset {offset}")
            }
            Error::Architecture { offset, reason } => {
                write!(f, "bad architecture at offset {offset}: {reason}")
            }
            Error::BadFloat { offset, what, value } => {
                write!(f, "{what} at offset {offset} is {value}, which is not allowed")
            }
            Error::Metadata { offset, reason } => {
                write!(f, "bad metadata at offset {offset}: {reason}")
            }
            Error::Io { path, source } => write!(f, "{path}: {source}"),
            Error::InvalidModel { reason } => write!(f, "invalid model: {reason}"),
            Error::Device { reason } => write!(f, "GPU: {reason}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
