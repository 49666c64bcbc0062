//! `STAT`: accuracy of the stored (quantized) model, measured when the file was made.
//!
//! ```text
//! 0   f32 surface_mean_error      >= 0, world units
//! 4   f32 surface_max_error       >= surface_mean_error
//! 8   f32 near_sign_agreement     in [0, 1]
//! 12  f32 volume_sign_agreement   in [0, 1]
//! 16  f32 near_sigma              >= 0, world units
//! 20  f32 gradient_bound          > 0
//! 24  u32 surface_samples
//! 28  u32 volume_samples
//! ```

use super::bytes::Bytes;
use crate::error::{Error, Result};
use crate::model::Stats;

pub const LEN: usize = 32;

pub fn parse(b: Bytes) -> Result<Stats> {
    if b.data.len() != LEN {
        return Err(Error::ChunkLength {
            tag: super::TAG_STAT,
            offset: b.base,
            expected: LEN as u64,
            found: b.data.len() as u64,
        });
    }
    let field = |at: usize, what: &'static str, lo: f32, hi: f32| -> Result<f32> {
        let v = b.f32(at, what)?;
        if v < lo || v > hi {
            return Err(Error::BadFloat {
                offset: b.offset(at),
                what,
                value: v,
            });
        }
        Ok(v)
    };
    let surface_mean_error = field(0, "surface mean error", 0.0, f32::MAX)?;
    let surface_max_error = field(4, "surface max error", surface_mean_error, f32::MAX)?;
    let near_sign_agreement = field(8, "near-surface sign agreement", 0.0, 1.0)?;
    let volume_sign_agreement = field(12, "volume sign agreement", 0.0, 1.0)?;
    let near_sigma = field(16, "near-surface sigma", 0.0, f32::MAX)?;
    let gradient_bound = field(20, "gradient bound", f32::MIN_POSITIVE, f32::MAX)?;
    Ok(Stats {
        surface_mean_error,
        surface_max_error,
        near_sign_agreement,
        volume_sign_agreement,
        near_sigma,
        gradient_bound,
        surface_samples: b.u32(24)?,
        volume_samples: b.u32(28)?,
    })
}

/// Checks a `Stats` value against the same rules the reader applies.
pub fn check(s: &Stats) -> Result<()> {
    let mut buf = Vec::with_capacity(LEN);
    write(&mut buf, s);
    parse(Bytes::new(&buf, 0))
        .map(|_| ())
        .map_err(|e| Error::InvalidModel {
            reason: format!("statistics: {e}"),
        })
}

pub fn write(out: &mut Vec<u8>, s: &Stats) {
    for x in [
        s.surface_mean_error,
        s.surface_max_error,
        s.near_sign_agreement,
        s.volume_sign_agreement,
        s.near_sigma,
        s.gradient_bound,
    ] {
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.extend_from_slice(&s.surface_samples.to_le_bytes());
    out.extend_from_slice(&s.volume_samples.to_le_bytes());
}
