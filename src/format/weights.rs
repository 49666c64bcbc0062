//! `WGHT`: each layer's bias, scales and weight matrix in its storage scheme.
//!
//! ```text
//! 0   u32 layer_count                    equals ARCH's
//! 4   u32 scheme[layer_count]            0 f32, 1 f16, 2 int8 per row, 3 int4 per row (1.1),
//!                                        4 int8h: int8 per row, f16 scale and bias (1.3)
//!     zero padding to a multiple of 16
//! then one block per layer, each starting 16-byte aligned (relative to the chunk):
//!     bias[outputs]                      f32; f16 for int4 and int8h
//!     scale[outputs]                     int8: f32; int4 and int8h: f16
//!     weights[outputs × inputs]          row-major; f32, f16 (binary16) or i8 (-127..=127);
//!                                        int4: -7..=7, two per byte (even index in the low
//!                                        nibble), each row padded to a whole byte
//!     zero padding to a multiple of 16
//! ```
//! The chunk ends at the end of the last block's padding.

use super::arch::LayerShape;
use super::bytes::Bytes;
use crate::error::{Error, Result};
use crate::model::{Layer, Scheme};
use crate::quant;

pub(crate) fn align16(n: usize) -> usize {
    (n + 15) & !15
}

fn header_len(layers: usize) -> usize {
    align16(4 + 4 * layers)
}

/// Bytes of one int4 row: two weights per byte, padded to a whole byte.
fn int4_row(inputs: usize) -> usize {
    inputs.div_ceil(2)
}

/// Byte length of one layer's block, padding included.
fn block_len(l: &LayerShape, scheme: Scheme) -> usize {
    let (o, n) = (l.outputs, l.inputs * l.outputs);
    align16(match scheme {
        Scheme::F32 => 4 * o + 4 * n,
        Scheme::F16 => 4 * o + 2 * n,
        Scheme::Int8 => 8 * o + n,
        Scheme::Int4 => 4 * o + o * int4_row(l.inputs),
        Scheme::Int8Half => 4 * o + n,
    })
}

fn scheme(b: &Bytes, at: usize) -> Result<Scheme> {
    match b.u32(at)? {
        0 => Ok(Scheme::F32),
        1 => Ok(Scheme::F16),
        2 => Ok(Scheme::Int8),
        3 => Ok(Scheme::Int4),
        4 => Ok(Scheme::Int8Half),
        v => Err(Error::UnknownValue {
            offset: b.offset(at),
            what: "weight scheme",
            value: v,
        }),
    }
}

/// Parses and dequantizes every layer. Sizes come from the already-validated `ARCH`, so the
/// allocation is bounded by the parameter limit and checked against the chunk length first.
pub fn parse(b: Bytes, shapes: &[LayerShape]) -> Result<Vec<Layer>> {
    let count = b.u32(0)?;
    if count as usize != shapes.len() {
        return Err(Error::arch(
            b.offset(0),
            format!("WGHT has {count} layers, ARCH declares {}", shapes.len()),
        ));
    }
    let mut schemes = Vec::with_capacity(shapes.len());
    let mut expected = header_len(shapes.len());
    for (i, l) in shapes.iter().enumerate() {
        let s = scheme(&b, 4 + 4 * i)?;
        expected += block_len(l, s);
        schemes.push(s);
    }
    let pad_start = 4 + 4 * shapes.len();
    b.zeros(
        pad_start,
        header_len(shapes.len()) - pad_start,
        "WGHT header padding",
    )?;
    if b.data.len() != expected {
        return Err(Error::ChunkLength {
            tag: super::TAG_WGHT,
            offset: b.base,
            expected: expected as u64,
            found: b.data.len() as u64,
        });
    }
    let mut at = header_len(shapes.len());
    let mut layers = Vec::with_capacity(shapes.len());
    for (l, &s) in shapes.iter().zip(&schemes) {
        let start = at;
        let n = l.inputs * l.outputs;
        let bias = if s.half_rows() {
            let v = halves(&b, at, l.outputs, "f16 bias")?;
            at += 2 * l.outputs;
            v
        } else {
            let v = floats(&b, at, l.outputs, "bias")?;
            at += 4 * l.outputs;
            v
        };
        let weights = match s {
            Scheme::F32 => {
                let v = floats(&b, at, n, "weight")?;
                at += 4 * n;
                v
            }
            Scheme::F16 => {
                let v = halves(&b, at, n, "f16 weight")?;
                at += 2 * n;
                v
            }
            Scheme::Int8 => {
                let scales = floats(&b, at, l.outputs, "int8 scale")?;
                for (k, &sc) in scales.iter().enumerate() {
                    // A scale whose 127-multiple overflows would dequantize to infinity.
                    if sc < 0.0 || !quant::dequantize_i8(127, sc).is_finite() {
                        let offset = b.offset(at + 4 * k);
                        return Err(Error::BadFloat {
                            offset,
                            what: "int8 scale",
                            value: sc,
                        });
                    }
                }
                at += 4 * l.outputs;
                let w = int8_rows(&b, at, l.inputs, &scales)?;
                at += n;
                w
            }
            Scheme::Int8Half => {
                let scales = half_scales(&b, at, l.outputs, "int8h scale")?;
                at += 2 * l.outputs;
                let w = int8_rows(&b, at, l.inputs, &scales)?;
                at += n;
                w
            }
            Scheme::Int4 => {
                let scales = half_scales(&b, at, l.outputs, "int4 scale")?;
                at += 2 * l.outputs;
                let w = int4_rows(&b, at, l.inputs, &scales)?;
                at += l.outputs * int4_row(l.inputs);
                w
            }
        };
        let end = start + block_len(l, s);
        b.zeros(at, end - at, "WGHT block padding")?;
        at = end;
        layers.push(Layer {
            inputs: l.inputs,
            outputs: l.outputs,
            activation: l.activation,
            weights,
            bias,
            scheme: s,
        });
    }
    Ok(layers)
}

/// `n` f16 row scales (int4, int8h): finite like every f16 (`E018`), and not negative.
fn half_scales(b: &Bytes, at: usize, n: usize, what: &'static str) -> Result<Vec<f32>> {
    let scales = halves(b, at, n, what)?;
    match scales.iter().position(|&sc| sc < 0.0) {
        Some(k) => Err(Error::BadFloat {
            offset: b.offset(at + 2 * k),
            what,
            value: scales[k],
        }),
        None => Ok(scales),
    }
}

/// Dequantizes `scales.len()` int8 rows of `inputs` weights starting at `at`; `-128` is `E016`.
fn int8_rows(b: &Bytes, at: usize, inputs: usize, scales: &[f32]) -> Result<Vec<f32>> {
    let raw = b.slice(at, inputs * scales.len())?;
    if let Some(k) = raw.iter().position(|&q| q == 0x80) {
        return Err(Error::UnknownValue {
            offset: b.offset(at + k),
            what: "int8 weight",
            value: 0x80,
        });
    }
    let mut w = Vec::with_capacity(raw.len());
    for (row, &sc) in raw.chunks_exact(inputs.max(1)).zip(scales) {
        w.extend(row.iter().map(|&q| quant::dequantize_i8(q as i8, sc)));
    }
    Ok(w)
}

/// Dequantizes `scales.len()` int4 rows of `inputs` weights starting at `at`.
fn int4_rows(b: &Bytes, at: usize, inputs: usize, scales: &[f32]) -> Result<Vec<f32>> {
    let row_len = int4_row(inputs);
    let raw = b.slice(at, row_len * scales.len())?;
    let mut w = Vec::with_capacity(inputs * scales.len());
    for (r, (row, &sc)) in raw.chunks_exact(row_len.max(1)).zip(scales).enumerate() {
        for i in 0..inputs {
            let nibble = (row[i / 2] >> (4 * (i % 2))) & 0xf;
            if nibble == 0x8 {
                return Err(Error::UnknownValue {
                    offset: b.offset(at + r * row_len + i / 2),
                    what: "int4 weight",
                    value: 0x8,
                });
            }
            // Sign-extend the 4-bit two's complement value.
            let q = ((nibble << 4) as i8) >> 4;
            w.push(quant::dequantize_i8(q, sc));
        }
        if inputs % 2 == 1 && row[row_len - 1] >> 4 != 0 {
            return Err(Error::NonZeroReserved {
                offset: b.offset(at + r * row_len + row_len - 1),
                what: "int4 row padding",
            });
        }
    }
    Ok(w)
}

/// `n` little-endian f16 values widened to f32; infinity and NaN are `E018`.
pub(crate) fn halves(b: &Bytes, at: usize, n: usize, what: &'static str) -> Result<Vec<f32>> {
    let raw = b.slice(at, 2 * n)?;
    // All-ones exponent: infinity or NaN.
    let bad = raw
        .chunks_exact(2)
        .position(|c| u16::from_le_bytes([c[0], c[1]]) & 0x7c00 == 0x7c00);
    if let Some(k) = bad {
        let v = quant::dequantize_f16(u16::from_le_bytes([raw[2 * k], raw[2 * k + 1]]));
        return Err(Error::BadFloat {
            offset: b.offset(at + 2 * k),
            what,
            value: v,
        });
    }
    Ok(quant::dequantize_f16_slice(raw))
}

pub(crate) fn floats(b: &Bytes, at: usize, n: usize, what: &'static str) -> Result<Vec<f32>> {
    let raw = b.slice(at, 4 * n)?;
    let v: Vec<f32> = raw
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    if let Some(k) = v.iter().position(|x| !x.is_finite()) {
        return Err(Error::BadFloat {
            offset: b.offset(at + 4 * k),
            what,
            value: v[k],
        });
    }
    Ok(v)
}

pub fn write(out: &mut Vec<u8>, layers: &[Layer]) {
    let start = out.len();
    out.extend_from_slice(&(layers.len() as u32).to_le_bytes());
    for l in layers {
        out.extend_from_slice(&l.scheme.code().to_le_bytes());
    }
    pad16(out, start);
    for l in layers {
        if l.scheme.half_rows() {
            for &b in &l.bias {
                out.extend_from_slice(&quant::quantize_f16(b).to_le_bytes());
            }
        } else {
            for b in &l.bias {
                out.extend_from_slice(&b.to_le_bytes());
            }
        }
        match l.scheme {
            Scheme::F32 => l
                .weights
                .iter()
                .for_each(|w| out.extend_from_slice(&w.to_le_bytes())),
            Scheme::F16 => l
                .weights
                .iter()
                .for_each(|&w| out.extend_from_slice(&quant::quantize_f16(w).to_le_bytes())),
            Scheme::Int8 => {
                let mut q = vec![0i8; l.weights.len()];
                let mut scales = Vec::with_capacity(l.outputs);
                for (row, qrow) in l.weights.chunks(l.inputs).zip(q.chunks_mut(l.inputs)) {
                    scales.push(quant::quantize_row_i8(row, qrow));
                }
                scales
                    .iter()
                    .for_each(|s| out.extend_from_slice(&s.to_le_bytes()));
                out.extend(q.iter().map(|&q| q as u8));
            }
            Scheme::Int4 => {
                let mut q = vec![0i8; l.inputs];
                let mut rows = Vec::with_capacity(l.outputs * int4_row(l.inputs));
                for row in l.weights.chunks(l.inputs.max(1)) {
                    let scale = quant::quantize_row_i4(row, &mut q);
                    out.extend_from_slice(&scale.to_le_bytes());
                    rows.extend(q.chunks(2).map(|p| {
                        let hi = p.get(1).copied().unwrap_or(0);
                        (p[0] as u8 & 0xf) | ((hi as u8 & 0xf) << 4)
                    }));
                }
                out.extend_from_slice(&rows);
            }
            Scheme::Int8Half => {
                let mut q = vec![0i8; l.weights.len()];
                for (row, qrow) in l.weights.chunks(l.inputs).zip(q.chunks_mut(l.inputs)) {
                    let scale = quant::quantize_row_i8h(row, qrow);
                    out.extend_from_slice(&scale.to_le_bytes());
                }
                out.extend(q.iter().map(|&q| q as u8));
            }
        }
        pad16(out, start);
    }
}

fn pad16(out: &mut Vec<u8>, start: usize) {
    out.resize(start + align16(out.len() - start), 0);
}
