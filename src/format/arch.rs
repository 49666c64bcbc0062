//! `ARCH`: input encoding and the list of dense layers.
//!
//! ```text
//! 0   u32 input_dim        must be 3
//! 4   u32 encoding         0 none, 1 Fourier features, 2 hash grid (1.2)
//! 8   u32 encoding_param   Fourier: frequency count 1..=16; hash grid: its feature count
//!                          (levels × features per level, 1..=256, the levels in `GRID`); none: 0
//! 12  u32 layer_count      1..=MAX_LAYERS
//! 16  layer_count × { u32 inputs, u32 outputs, u32 activation, f32 activation_param }
//! ```

use super::bytes::Bytes;
use super::limits::*;
use crate::error::{Error, Result};
use crate::model::{Activation, Encoding};

/// A layer's shape as declared in `ARCH` (weights come from `WGHT`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LayerShape {
    pub inputs: usize,
    pub outputs: usize,
    pub activation: Activation,
}

/// The parsed `ARCH` chunk.
#[derive(Clone, Debug, PartialEq)]
pub struct Arch {
    pub encoding: Encoding,
    pub layers: Vec<LayerShape>,
}

pub const HEADER_LEN: usize = 16;
pub const LAYER_LEN: usize = 16;

pub fn parse(b: Bytes) -> Result<Arch> {
    let input_dim = b.u32(0)?;
    if input_dim != 3 {
        return Err(Error::arch(
            b.offset(0),
            format!("input dimension is {input_dim}, must be 3"),
        ));
    }
    let encoding = match b.u32(4)? {
        0 => {
            b.zero32(8, "encoding parameter of 'none'")?;
            Encoding::None
        }
        1 => Encoding::Fourier {
            frequencies: b.count(8, "Fourier frequency count", 1..=MAX_FOURIER_FREQUENCIES)?,
        },
        2 => Encoding::HashGrid {
            features: b.count(8, "hash-grid feature count", 1..=MAX_GRID_LEVELS * 8)?,
        },
        v => {
            return Err(Error::UnknownValue {
                offset: b.offset(4),
                what: "input encoding",
                value: v,
            })
        }
    };
    let count = b.u32(12)?;
    if count == 0 || count > MAX_LAYERS {
        return Err(Error::LimitExceeded {
            offset: b.offset(12),
            what: "layer count",
            value: count as u64,
            limit: MAX_LAYERS as u64,
        });
    }
    let expected = (HEADER_LEN + LAYER_LEN * count as usize) as u64;
    if b.data.len() as u64 != expected {
        return Err(Error::ChunkLength {
            tag: super::TAG_ARCH,
            offset: b.base,
            expected,
            found: b.data.len() as u64,
        });
    }
    let mut layers = Vec::with_capacity(count as usize);
    let mut width = encoding.output_dim();
    let mut params: u64 = 0;
    for i in 0..count as usize {
        let at = HEADER_LEN + LAYER_LEN * i;
        let inputs = b.u32(at)?;
        let outputs = b.u32(at + 4)?;
        for (v, off) in [(inputs, at), (outputs, at + 4)] {
            if v == 0 || v > MAX_WIDTH {
                return Err(Error::LimitExceeded {
                    offset: b.offset(off),
                    what: "layer width",
                    value: v as u64,
                    limit: MAX_WIDTH as u64,
                });
            }
        }
        if inputs as usize != width {
            return Err(Error::arch(
                b.offset(at),
                format!("layer {i} takes {inputs} inputs but receives {width}"),
            ));
        }
        let activation = activation(&b, at + 8)?;
        params += inputs as u64 * outputs as u64 + outputs as u64;
        if params > MAX_PARAMETERS {
            return Err(Error::LimitExceeded {
                offset: b.offset(at),
                what: "parameter count",
                value: params,
                limit: MAX_PARAMETERS,
            });
        }
        width = outputs as usize;
        layers.push(LayerShape {
            inputs: inputs as usize,
            outputs: width,
            activation,
        });
    }
    if width != 1 {
        let at = HEADER_LEN + LAYER_LEN * (count as usize - 1) + 4;
        return Err(Error::arch(
            b.offset(at),
            format!("the last layer has {width} outputs, must be 1"),
        ));
    }
    Ok(Arch { encoding, layers })
}

fn activation(b: &Bytes, at: usize) -> Result<Activation> {
    let code = b.u32(at)?;
    let param = b.f32(at + 4, "activation parameter")?;
    let param_must_be_zero = |a: Activation| {
        if param.to_bits() != 0 {
            Err(Error::NonZeroReserved {
                offset: b.offset(at + 4),
                what: "activation parameter",
            })
        } else {
            Ok(a)
        }
    };
    match code {
        0 => param_must_be_zero(Activation::Identity),
        1 => param_must_be_zero(Activation::Relu),
        2 => Ok(Activation::LeakyRelu(param)),
        3 => param_must_be_zero(Activation::Tanh),
        4 if param != 0.0 => Ok(Activation::Sine(param)),
        4 => Err(Error::BadFloat {
            offset: b.offset(at + 4),
            what: "sine frequency",
            value: param,
        }),
        v => Err(Error::UnknownValue {
            offset: b.offset(at),
            what: "activation",
            value: v,
        }),
    }
}

pub fn write(out: &mut Vec<u8>, encoding: Encoding, layers: &[LayerShape]) {
    out.extend_from_slice(&3u32.to_le_bytes());
    out.extend_from_slice(&encoding.code().to_le_bytes());
    out.extend_from_slice(&encoding.param().to_le_bytes());
    out.extend_from_slice(&(layers.len() as u32).to_le_bytes());
    for l in layers {
        out.extend_from_slice(&(l.inputs as u32).to_le_bytes());
        out.extend_from_slice(&(l.outputs as u32).to_le_bytes());
        out.extend_from_slice(&l.activation.code().to_le_bytes());
        out.extend_from_slice(&l.activation.param().to_le_bytes());
    }
}
