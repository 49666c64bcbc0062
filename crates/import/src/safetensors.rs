//! PyTorch `state_dict`s saved as safetensors (`safetensors.torch.save_file`).
//!
//! `nn.Linear` stores `weight` as `(out, in)`, already nsdf's row-major order, and `bias` as
//! `(out,)`. Tensors may be float32, float16, bfloat16 or float64; all become f32 (float64 values
//! beyond f32's range are an error, not an infinity).

use super::describe::Description;
use super::{check_finite, check_size, ImportError, Imported, Result};
use safetensors::{Dtype, SafeTensors};

/// The tensor names in a safetensors file, for `--activations` to find layers by name.
pub fn tensor_names(bytes: &[u8]) -> Result<Vec<String>> {
    let file = open(bytes)?;
    let mut names: Vec<String> = file.names().into_iter().map(String::from).collect();
    names.sort();
    Ok(names)
}

/// Reads the layers `desc` names from the file.
pub fn read(bytes: &[u8], desc: &Description) -> Result<Vec<Imported>> {
    let file = open(bytes)?;
    let mut layers = Vec::with_capacity(desc.layers.len());
    for spec in &desc.layers {
        let (shape, weights) = tensor(&file, &spec.weight)?;
        let [outputs, inputs] = shape[..] else {
            return Err(ImportError::new(format!(
                "{}: a linear layer's weight must be 2-D (out, in), found shape {shape:?}",
                spec.weight
            )));
        };
        let bias = match &spec.bias {
            None => vec![0.0; outputs],
            Some(name) => {
                let (shape, bias) = tensor(&file, name)?;
                if shape != [outputs] {
                    return Err(ImportError::new(format!(
                        "{name}: shape mismatch: {shape:?}, but {} has {outputs} outputs",
                        spec.weight
                    )));
                }
                bias
            }
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

fn open(bytes: &[u8]) -> Result<SafeTensors<'_>> {
    SafeTensors::deserialize(bytes)
        .map_err(|e| ImportError::new(format!("not a readable safetensors file: {e}")))
}

/// One tensor as f32, with its shape. Missing tensors are named along with what the file has.
fn tensor(file: &SafeTensors<'_>, name: &str) -> Result<(Vec<usize>, Vec<f32>)> {
    let view = file.tensor(name).map_err(|_| {
        let mut have = file.names();
        have.sort();
        ImportError::new(format!(
            "missing tensor '{name}' (the file has: {})",
            have.join(", ")
        ))
    })?;
    let shape = view.shape().to_vec();
    let dims: Vec<u64> = shape.iter().map(|&d| d as u64).collect();
    check_size(name, &dims)?;
    let data = view.data();
    let values: Vec<f32> = match view.dtype() {
        Dtype::F32 => data
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect(),
        Dtype::F16 => data
            .chunks_exact(2)
            .map(|b| half::f16::from_le_bytes([b[0], b[1]]).to_f32())
            .collect(),
        Dtype::BF16 => data
            .chunks_exact(2)
            .map(|b| half::bf16::from_le_bytes([b[0], b[1]]).to_f32())
            .collect(),
        Dtype::F64 => {
            let wide: Vec<f64> = data
                .chunks_exact(8)
                .map(|b| f64::from_le_bytes(b.try_into().unwrap_or([0; 8])))
                .collect();
            if let Some(i) = wide
                .iter()
                .position(|x| x.is_finite() && x.abs() > f32::MAX as f64)
            {
                return Err(ImportError::new(format!(
                    "{name}: element {i} ({}) is beyond float32's range",
                    wide[i]
                )));
            }
            wide.into_iter().map(|x| x as f32).collect()
        }
        other => {
            return Err(ImportError::new(format!(
                "{name}: dtype {other:?}; expected F32, F16, BF16 or F64"
            )))
        }
    };
    check_finite(name, &values)?;
    Ok((shape, values))
}
