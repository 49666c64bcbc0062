//! `META`: typed key/value pairs.
//!
//! ```text
//! 0   u32 entry_count                 <= MAX_METADATA_ENTRIES
//! 4   entries, packed, keys strictly ascending (bytewise):
//!     u16 key_len (1..=255), u8 type (0 string, 1 i64, 2 f64), u8 reserved = 0, u32 value_len
//!     key bytes    [a-z0-9._-], starting with a letter
//!     value bytes  string: UTF-8; i64: 8 bytes LE; f64: 8 bytes LE, finite
//! ```
//! Keys beginning `nsdf.` are reserved for this spec ([`RESERVED_KEYS`]); all others belong to
//! vendors and should be namespaced (`acme.lod_bias`).

use super::bytes::Bytes;
use super::limits::*;
use crate::error::{Error, Result};
use crate::model::Value;

/// Reserved keys of version 1.0 and the type each must have (0 string, 1 int, 2 float).
pub const RESERVED_KEYS: &[(&str, u8, &str)] = &[
    (
        "nsdf.name",
        0,
        "short name of the shape (an identifier, used for generated code)",
    ),
    ("nsdf.source.name", 0, "file name of the source mesh"),
    (
        "nsdf.source.sha256",
        0,
        "SHA-256 of the source mesh file, lowercase hex",
    ),
    (
        "nsdf.source.triangles",
        1,
        "triangle count of the source mesh",
    ),
    ("nsdf.creator", 0, "program that wrote the file"),
    ("nsdf.creator.version", 0, "its version"),
    (
        "nsdf.created",
        1,
        "creation time, Unix seconds (omit for reproducible builds)",
    ),
    ("nsdf.train.recipe", 0, "training recipe, free text or JSON"),
    ("nsdf.train.seed", 1, "random seed"),
    ("nsdf.train.samples", 1, "training sample count"),
    ("nsdf.train.epochs", 1, "training epochs"),
    ("nsdf.train.seconds", 2, "training wall time"),
];

pub const ENTRY_HEADER_LEN: usize = 8;

/// Whether a key is spelled as the spec requires.
pub fn valid_key(k: &[u8]) -> bool {
    !k.is_empty()
        && k.len() <= MAX_KEY_LEN as usize
        && k[0].is_ascii_lowercase()
        && k.iter()
            .all(|&c| c.is_ascii_lowercase() || c.is_ascii_digit() || b"._-".contains(&c))
}

/// The type a reserved key must have, or `None` for keys this version does not reserve.
pub fn reserved_type(key: &str) -> Option<u8> {
    RESERVED_KEYS
        .iter()
        .find(|(k, _, _)| *k == key)
        .map(|(_, t, _)| *t)
}

pub fn parse(b: Bytes) -> Result<Vec<(String, Value)>> {
    if b.data.len() as u64 > MAX_METADATA_LEN {
        return Err(Error::LimitExceeded {
            offset: b.base,
            what: "metadata length",
            value: b.data.len() as u64,
            limit: MAX_METADATA_LEN,
        });
    }
    let count = b.u32(0)?;
    if count > MAX_METADATA_ENTRIES {
        return Err(Error::LimitExceeded {
            offset: b.offset(0),
            what: "metadata entry count",
            value: count as u64,
            limit: MAX_METADATA_ENTRIES as u64,
        });
    }
    // Each entry takes at least 9 bytes, so a count the chunk cannot hold fails before allocating.
    let min_len = 4 + count as usize * (ENTRY_HEADER_LEN + 1);
    if b.data.len() < min_len {
        return Err(Error::Metadata {
            offset: b.offset(0),
            reason: format!("{count} entries cannot fit in {} bytes", b.data.len()),
        });
    }
    let mut entries: Vec<(String, Value)> = Vec::with_capacity(count as usize);
    let mut at = 4;
    for _ in 0..count {
        let key_len = b.u16(at)? as usize;
        let ty = b.u8(at + 2)?;
        if b.u8(at + 3)? != 0 {
            return Err(Error::NonZeroReserved {
                offset: b.offset(at + 3),
                what: "metadata entry reserved byte",
            });
        }
        let value_len = b.u32(at + 4)? as usize;
        let key_at = at + ENTRY_HEADER_LEN;
        let key = b.slice(key_at, key_len)?;
        if !valid_key(key) {
            return Err(Error::meta(
                b.offset(key_at),
                "key must be 1-255 bytes of [a-z0-9._-] starting with a letter",
            ));
        }
        // valid_key admits ASCII only.
        let key = String::from_utf8_lossy(key).into_owned();
        if let Some((prev, _)) = entries.last() {
            if prev.as_str() >= key.as_str() {
                return Err(Error::meta(
                    b.offset(key_at),
                    format!("key '{key}' is out of order or repeated"),
                ));
            }
        }
        let val_at = key_at + key_len;
        let raw = b.slice(val_at, value_len)?;
        let value = match ty {
            0 => match std::str::from_utf8(raw) {
                Ok(s) => Value::String(s.to_owned()),
                Err(_) => {
                    return Err(Error::meta(
                        b.offset(val_at),
                        format!("value of '{key}' is not UTF-8"),
                    ))
                }
            },
            1 | 2 if value_len != 8 => {
                return Err(Error::meta(
                    b.offset(at + 4),
                    format!("numeric value of '{key}' must be 8 bytes"),
                ))
            }
            1 => Value::Int(b.u64(val_at)? as i64),
            2 => {
                let x = f64::from_le_bytes(b.array(val_at)?);
                if !x.is_finite() {
                    return Err(Error::BadFloat {
                        offset: b.offset(val_at),
                        what: "metadata float",
                        value: x as f32,
                    });
                }
                Value::Float(x)
            }
            v => {
                return Err(Error::UnknownValue {
                    offset: b.offset(at + 2),
                    what: "metadata type",
                    value: v as u32,
                })
            }
        };
        if let Some(t) = reserved_type(&key) {
            if t != ty {
                return Err(Error::meta(
                    b.offset(at + 2),
                    format!("reserved key '{key}' has the wrong type"),
                ));
            }
        }
        entries.push((key, value));
        at = val_at + value_len;
    }
    if at != b.data.len() {
        return Err(Error::ChunkLength {
            tag: super::TAG_META,
            offset: b.base,
            expected: at as u64,
            found: b.data.len() as u64,
        });
    }
    Ok(entries)
}

/// Writes entries sorted by key; the caller has checked them with [`check`].
pub fn write(out: &mut Vec<u8>, entries: &[(String, Value)]) {
    let mut sorted: Vec<&(String, Value)> = entries.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    out.extend_from_slice(&(sorted.len() as u32).to_le_bytes());
    for (k, v) in sorted {
        let bytes: Vec<u8> = match v {
            Value::String(s) => s.as_bytes().to_vec(),
            Value::Int(i) => i.to_le_bytes().to_vec(),
            Value::Float(x) => x.to_le_bytes().to_vec(),
        };
        out.extend_from_slice(&(k.len() as u16).to_le_bytes());
        out.push(v.type_code());
        out.push(0);
        out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
        out.extend_from_slice(k.as_bytes());
        out.extend_from_slice(&bytes);
    }
}

/// Checks entries against the rules `parse` enforces, so the writer never emits a bad file.
pub fn check(entries: &[(String, Value)]) -> Result<()> {
    let mut buf = Vec::new();
    write(&mut buf, entries);
    parse(Bytes::new(&buf, 0))
        .map(|_| ())
        .map_err(|e| Error::InvalidModel {
            reason: format!("metadata: {e}"),
        })
}
