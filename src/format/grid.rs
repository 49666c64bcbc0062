//! `GRID` (format 1.2): a hash-grid encoding's shape and features (spec §3.6).
//!
//! ```text
//! 0   u32 levels L                 1..=32
//! 4   u32 features F               1, 2, 4 or 8; L·F equals ARCH's encoding_param
//! 8   u32 log2_table               4..=24
//! 12  u32 scheme                   0 f32, 1 f16
//! 16  u32 resolution[L]            cells per axis, 1..=2^20
//!     zero padding to H = align(16 + 4L, 16)
//! H   the levels' features, level after level: min((N_l + 1)³, 2^log2_table) entries of F
//!     values each, in the scheme
//! ```
//! The chunk ends with the last value.

use super::bytes::Bytes;
use super::limits::*;
use super::weights::{align16, floats, halves};
use crate::error::{Error, Result};
use crate::grid::{level_entries, HashGrid};
use crate::model::Scheme;
use crate::quant;

/// Parses the chunk for an `ARCH` that declared `features` grid values (`L·F`).
pub fn parse(b: Bytes, features: u32) -> Result<HashGrid> {
    let levels = b.count(0, "hash-grid level count", 1..=MAX_GRID_LEVELS)?;
    let per_level = b.u32(4)?;
    if ![1, 2, 4, 8].contains(&per_level) {
        return Err(Error::LimitExceeded {
            offset: b.offset(4),
            what: "hash-grid features per level (1, 2, 4 or 8)",
            value: per_level as u64,
            limit: 8,
        });
    }
    if levels * per_level != features {
        return Err(Error::arch(
            b.offset(0),
            format!(
                "GRID has {levels} levels of {per_level} features, ARCH declares {features} grid features"
            ),
        ));
    }
    let log2_table = b.count(
        8,
        "hash-grid log2 table size (4..=24)",
        MIN_GRID_LOG2_TABLE..=MAX_GRID_LOG2_TABLE,
    )?;
    let scheme = match b.u32(12)? {
        0 => Scheme::F32,
        1 => Scheme::F16,
        v => {
            return Err(Error::UnknownValue {
                offset: b.offset(12),
                what: "grid scheme",
                value: v,
            })
        }
    };
    let mut resolutions = Vec::with_capacity(levels as usize);
    let mut count: u64 = 0;
    for l in 0..levels as usize {
        let at = 16 + 4 * l;
        let n = b.count(at, "hash-grid resolution", 1..=MAX_GRID_RESOLUTION)?;
        count += (level_entries(n, log2_table) * per_level as usize) as u64;
        if count > MAX_GRID_VALUES {
            return Err(Error::LimitExceeded {
                offset: b.offset(at),
                what: "hash-grid values",
                value: count,
                limit: MAX_GRID_VALUES,
            });
        }
        resolutions.push(n);
    }
    let header = header_len(levels as usize);
    let pad = 16 + 4 * levels as usize;
    b.zeros(pad, header - pad, "GRID header padding")?;
    let size = if scheme == Scheme::F16 { 2 } else { 4 };
    let expected = header as u64 + count * size;
    if b.data.len() as u64 != expected {
        return Err(Error::ChunkLength {
            tag: super::TAG_GRID,
            offset: b.base,
            expected,
            found: b.data.len() as u64,
        });
    }
    let values = match scheme {
        Scheme::F16 => halves(&b, header, count as usize, "f16 grid feature")?,
        _ => floats(&b, header, count as usize, "grid feature")?,
    };
    Ok(HashGrid {
        features: per_level as usize,
        log2_table,
        resolutions,
        scheme,
        values,
    })
}

fn header_len(levels: usize) -> usize {
    align16(16 + 4 * levels)
}

pub fn write(out: &mut Vec<u8>, g: &HashGrid) {
    let start = out.len();
    for v in [
        g.levels() as u32,
        g.features as u32,
        g.log2_table,
        g.scheme.code(),
    ] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    for &n in &g.resolutions {
        out.extend_from_slice(&n.to_le_bytes());
    }
    out.resize(start + header_len(g.levels()), 0);
    for &v in &g.values {
        match g.scheme {
            Scheme::F16 => out.extend_from_slice(&quant::quantize_f16(v).to_le_bytes()),
            _ => out.extend_from_slice(&v.to_le_bytes()),
        }
    }
}
