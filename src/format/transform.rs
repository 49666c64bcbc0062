//! `XFRM`: the world → network similarity and the world bounding box.
//!
//! ```text
//! 0   f32 scale            > 0        p_net = scale * p_world + translation
//! 4   f32 translation[3]
//! 16  f32 distance_scale   != 0       distance_world = distance_scale * f(p_net)
//! 20  f32 bounds_min[3]
//! 32  f32 bounds_max[3]               >= bounds_min per axis
//! 44  u32 reserved         = 0
//! ```

use super::bytes::Bytes;
use crate::error::{Error, Result};
use crate::model::Transform;

pub const LEN: usize = 48;

pub fn parse(b: Bytes) -> Result<Transform> {
    if b.data.len() != LEN {
        return Err(Error::ChunkLength {
            tag: super::TAG_XFRM,
            offset: b.base,
            expected: LEN as u64,
            found: b.data.len() as u64,
        });
    }
    let scale = b.f32(0, "transform scale")?;
    if scale <= 0.0 {
        return Err(Error::BadFloat {
            offset: b.offset(0),
            what: "transform scale",
            value: scale,
        });
    }
    let v3 = |at: usize, what| -> Result<[f32; 3]> {
        Ok([b.f32(at, what)?, b.f32(at + 4, what)?, b.f32(at + 8, what)?])
    };
    let translation = v3(4, "transform translation")?;
    let distance_scale = b.f32(16, "distance scale")?;
    if distance_scale == 0.0 {
        return Err(Error::BadFloat {
            offset: b.offset(16),
            what: "distance scale",
            value: 0.0,
        });
    }
    let min = v3(20, "bounds minimum")?;
    let max = v3(32, "bounds maximum")?;
    for i in 0..3 {
        if min[i] > max[i] {
            let offset = b.offset(32 + 4 * i);
            return Err(Error::BadFloat {
                offset,
                what: "bounds maximum (below minimum)",
                value: max[i],
            });
        }
    }
    b.zero32(44, "XFRM reserved field")?;
    Ok(Transform {
        scale,
        translation,
        distance_scale,
        bounds: [min, max],
    })
}

pub fn write(out: &mut Vec<u8>, t: &Transform) {
    let floats = [t.scale]
        .into_iter()
        .chain(t.translation)
        .chain([t.distance_scale])
        .chain(t.bounds[0])
        .chain(t.bounds[1]);
    for x in floats {
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.extend_from_slice(&0u32.to_le_bytes());
}
