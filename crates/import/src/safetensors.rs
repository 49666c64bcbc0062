//! PyTorch `state_dict`s saved as safetensors (`safetensors.torch.save_file`).
//!
//! `nn.Linear` stores `weight` as `(out, in)`, already nsdf's row-major order, and `bias` as
//! `(out,)`. Tensors may be float32, float16, bfloat16 or float64; all become f32 (float64 values
//! beyond f32's range are an error, not an infinity).
//!
//! Hostile files: the header is at most [`MAX_HEADER_LEN`] bytes and `SafeTensors::deserialize`
//! checks every tensor's offsets against the file (with checked arithmetic) before anything
//! here runs; [`read`] then checks each shape against the description before reading a value
//! (see there). Memory bound: at most 48 × the file length + 64 KiB is requested in all
//! (measured by `tests/alloc_bound.rs` under a counting allocator: 1.6× for a Davies-sized
//! network, 35× for a header of 600,000 one-digit dimensions, the densest header JSON). The
//! description (`describe::from_json`) is parsed separately: at most 64 × its length + 16 KiB.

use super::describe::Description;
use super::{add_parameters, check_finite, check_width, ImportError, Imported, Result};
use safetensors::tensor::TensorView;
use safetensors::{Dtype, SafeTensors};

/// The tensor names in a safetensors file, for `--activations` to find layers by name.
pub fn tensor_names(bytes: &[u8]) -> Result<Vec<String>> {
    let file = open(bytes)?;
    let mut names: Vec<String> = file.names().into_iter().map(String::from).collect();
    names.sort();
    Ok(names)
}

/// Reads the layers `desc` names from the file.
///
/// Every shape is checked against the description before a value is read or a buffer sized:
/// a weight is 2-D with both sides 1 to `MAX_WIDTH`, a bias has the weight's output count, the
/// network stays within the format's parameter limit, and no tensor serves two layers. Each
/// value read is present in the file (the safetensors header's offsets are checked against the
/// file length by `SafeTensors::deserialize`), so the layers returned hold at most 2 bytes of
/// f32 per byte of tensor data (f16 and bf16 widen to f32), and zero biases for bias-less
/// layers at most as many values as their weights.
pub fn read(bytes: &[u8], desc: &Description) -> Result<Vec<Imported>> {
    let max_layers = nsdf::limits::MAX_LAYERS as usize;
    if desc.layers.len() > max_layers {
        return Err(ImportError::new(format!(
            "the layer description lists {} layers; the format allows at most {max_layers}",
            desc.layers.len()
        )));
    }
    let file = open(bytes)?;
    let mut used: Vec<(&str, usize)> = Vec::new();
    let mut total = 0;
    let mut layers = Vec::with_capacity(desc.layers.len());
    for (i, spec) in desc.layers.iter().enumerate() {
        let names = std::iter::once(&spec.weight).chain(&spec.bias);
        for name in names {
            if let Some(&(_, j)) = used.iter().find(|(n, _)| *n == name) {
                return Err(ImportError::new(format!(
                    "tensor '{name}' is named by layers {j} and {i} of the description; each \
                     tensor belongs to one layer"
                )));
            }
            used.push((name, i));
        }
        let weight = view(&file, &spec.weight)?;
        let [outputs, inputs] = weight.shape()[..] else {
            return Err(ImportError::new(format!(
                "{}: a linear layer's weight must be 2-D (out, in), found shape {:?}",
                spec.weight,
                weight.shape()
            )));
        };
        let outputs = check_width(&spec.weight, "outputs", outputs as u64)?;
        let inputs = check_width(&spec.weight, "inputs", inputs as u64)?;
        let bias = match &spec.bias {
            None => None,
            Some(name) => {
                let bias = view(&file, name)?;
                if bias.shape() != [outputs] {
                    return Err(ImportError::new(format!(
                        "{name}: shape mismatch: {:?}, but {} has {outputs} outputs",
                        bias.shape(),
                        spec.weight
                    )));
                }
                Some((name, bias))
            }
        };
        add_parameters(&mut total, &spec.weight, inputs, outputs)?;
        let weights = values(&spec.weight, &weight, inputs * outputs)?;
        let bias = match bias {
            None => vec![0.0; outputs],
            Some((name, view)) => values(name, &view, outputs)?,
        };
        layers.push(Imported {
            name: spec.weight.clone(),
            inputs,
            outputs,
            activation: spec.activation,
            weights,
            bias,
        });
    }
    Ok(layers)
}

/// Longest safetensors header (the JSON naming the tensors) read, in bytes. A 64-layer
/// network's is about 10 KB; parsing one costs up to about 25 bytes per header byte.
pub const MAX_HEADER_LEN: u64 = 1 << 20;

fn open(bytes: &[u8]) -> Result<SafeTensors<'_>> {
    if let Some(n) = bytes.first_chunk::<8>().map(|n| u64::from_le_bytes(*n)) {
        if n > MAX_HEADER_LEN {
            return Err(ImportError::new(format!(
                "not a readable safetensors file: its header is {n} bytes; at most \
                 {MAX_HEADER_LEN} are read"
            )));
        }
    }
    SafeTensors::deserialize(bytes)
        .map_err(|e| ImportError::new(format!("not a readable safetensors file: {e}")))
}

/// One tensor. Missing tensors are named along with what the file has.
fn view<'a>(file: &SafeTensors<'a>, name: &str) -> Result<TensorView<'a>> {
    file.tensor(name).map_err(|_| {
        let mut have = file.names();
        have.sort();
        let mut list = String::new();
        for (k, n) in have.iter().enumerate() {
            // A hostile header may name thousands of tensors: list the first few.
            if k == 16 {
                list.push_str(&format!(", ... ({} in all)", have.len()));
                break;
            }
            list.push_str(if k == 0 { "" } else { ", " });
            list.push_str(n);
        }
        ImportError::new(format!("missing tensor '{name}' (the file has: {list})"))
    })
}

/// A tensor's `count` values as f32, its shape already checked to hold exactly `count`.
fn values(name: &str, view: &TensorView<'_>, count: usize) -> Result<Vec<f32>> {
    let data = view.data();
    let size = match view.dtype() {
        Dtype::F32 => 4,
        Dtype::F16 | Dtype::BF16 => 2,
        Dtype::F64 => 8,
        other => {
            return Err(ImportError::new(format!(
                "{name}: dtype {other:?}; expected F32, F16, BF16 or F64"
            )))
        }
    };
    // SafeTensors::deserialize checks this; a reader sizing buffers from it checks again.
    if count.checked_mul(size) != Some(data.len()) {
        return Err(ImportError::new(format!(
            "{name}: {} bytes of data for {count} values of {:?}",
            data.len(),
            view.dtype()
        )));
    }
    let mut values = Vec::with_capacity(count);
    match view.dtype() {
        Dtype::F32 => values.extend(
            data.chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])),
        ),
        Dtype::F16 => values.extend(
            data.chunks_exact(2)
                .map(|b| half::f16::from_le_bytes([b[0], b[1]]).to_f32()),
        ),
        Dtype::BF16 => values.extend(
            data.chunks_exact(2)
                .map(|b| half::bf16::from_le_bytes([b[0], b[1]]).to_f32()),
        ),
        _ => {
            for (i, b) in data.chunks_exact(8).enumerate() {
                let x = f64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]);
                if x.is_finite() && x.abs() > f32::MAX as f64 {
                    return Err(ImportError::new(format!(
                        "{name}: element {i} ({x}) is beyond float32's range"
                    )));
                }
                values.push(x as f32);
            }
        }
    }
    check_finite(name, &values)?;
    Ok(values)
}
