//! Keras HDF5 weight files (`model.save_weights`, or the `model_weights` group of a whole-model
//! save), read with the pure-Rust `hdf5-pure` (no libhdf5 to install).
//!
//! Layout: the root (or `model_weights`) has an attribute `layer_names`; each layer is a group
//! whose attribute `weight_names` lists its datasets, e.g. `dense/kernel:0` (shape `(in, out)`:
//! Keras computes `y = x·W + b`) and `dense/bias:0`, stored at `<layer>/<weight name>`.
//!
//! Weight files carry no activations. They come from the architecture JSON (`model.to_json()`,
//! Davies et al.'s `neuralGeomKey.json`), from the `model_config` attribute of a whole-model
//! save, or, failing both, from Davies et al.'s convention: ReLU hidden layers, tanh output.

use super::{check_finite, check_size, transpose, ImportError, Imported, Result};
use hdf5_pure::{AttrValue, DType, File};
use nsdf::Activation;
use serde_json::Value as Json;
use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// One layer of the architecture: its name and, for `Dense`, its activation.
#[derive(Clone, Debug, PartialEq)]
pub struct ArchLayer {
    pub name: String,
    /// `None` for layers without weights that do nothing at inference (InputLayer, Dropout).
    pub dense: Option<Activation>,
}

/// Reads a Keras weight file. `arch` is the architecture JSON, if the user gave one.
pub fn read(bytes: Vec<u8>, arch: Option<&Json>) -> Result<Vec<Imported>> {
    if !hdf5_pure::is_hdf5_bytes(&bytes) {
        return Err(ImportError::new(
            "not an HDF5 file (no HDF5 signature at offset 0, 512, 1024, ...)",
        ));
    }
    // The reader is meant to fail cleanly on malformed files; if it panics anyway on a hostile
    // one, that is still a bad file to the user, not a crash.
    let read = catch_unwind(AssertUnwindSafe(|| read_file(bytes)));
    let (weights, config) = read.unwrap_or_else(|_| {
        Err(ImportError::new(
            "the HDF5 reader failed on malformed data (truncated or corrupt file?)",
        ))
    })?;
    let arch = match (arch, config) {
        (Some(json), _) => parse_arch(json)?,
        (None, Some(text)) => {
            let json = serde_json::from_str(&text).map_err(|e| {
                ImportError::new(format!("attribute 'model_config' is not JSON: {e}"))
            })?;
            parse_arch(&json)?
        }
        (None, None) => davies_arch(&weights),
    };
    assemble(weights, &arch)
}

/// A layer's tensors as read from the file.
struct Weights {
    layer: String,
    /// Dataset path and `(in, out)` kernel.
    kernel: Option<(String, Vec<u64>, Vec<f32>)>,
    /// Dataset path and bias.
    bias: Option<(String, Vec<f32>)>,
}

/// Reads every layer's weights (in `layer_names` order) and the `model_config` attribute, if any.
fn read_file(bytes: Vec<u8>) -> Result<(Vec<Weights>, Option<String>)> {
    let h5 = |what: &str, e: hdf5_pure::Error| ImportError::new(format!("{what}: {e}"));
    let file = File::from_bytes(bytes).map_err(|e| h5("not a readable HDF5 file", e))?;
    let root_attrs = file
        .root()
        .attrs()
        .map_err(|e| h5("reading the root group's attributes", e))?;
    let config = root_attrs.get("model_config").and_then(string);
    let groups = file
        .root()
        .groups()
        .map_err(|e| h5("listing the root group", e))?;
    // A whole-model save keeps the weights under `model_weights`.
    let (prefix, attrs) = if groups.iter().any(|g| g == "model_weights") {
        let g = file
            .group("model_weights")
            .map_err(|e| h5("group 'model_weights'", e))?;
        let attrs = g
            .attrs()
            .map_err(|e| h5("group 'model_weights' attributes", e))?;
        ("model_weights/", attrs)
    } else {
        ("", root_attrs)
    };
    let names = attrs.get("layer_names").and_then(strings).ok_or_else(|| {
        ImportError::new(format!(
            "attribute 'layer_names' missing from group '/{prefix}': not a Keras weight file"
        ))
    })?;
    let mut layers = Vec::with_capacity(names.len());
    for layer in names {
        let group = file
            .group(&format!("{prefix}{layer}"))
            .map_err(|e| h5(&format!("layer group '{prefix}{layer}'"), e))?;
        let attrs = group
            .attrs()
            .map_err(|e| h5(&format!("layer '{layer}' attributes"), e))?;
        let weight_names = attrs.get("weight_names").and_then(strings).ok_or_else(|| {
            ImportError::new(format!(
                "layer '{layer}': attribute 'weight_names' is missing"
            ))
        })?;
        let mut w = Weights {
            layer: layer.clone(),
            kernel: None,
            bias: None,
        };
        for name in weight_names {
            let path = format!("{prefix}{layer}/{name}");
            let leaf = name.rsplit('/').next().unwrap_or(&name);
            let kind = leaf.split(':').next().unwrap_or(leaf);
            let (shape, values) = read_dataset(&file, &path)?;
            match kind {
                "kernel" if w.kernel.is_none() && shape.len() == 2 => {
                    w.kernel = Some((path, shape, values))
                }
                "kernel" => {
                    return Err(ImportError::new(format!(
                        "{path}: a dense kernel must be 2-D (in, out), found shape {shape:?}"
                    )))
                }
                "bias" if w.bias.is_none() && shape.len() == 1 => w.bias = Some((path, values)),
                "bias" => {
                    return Err(ImportError::new(format!(
                        "{path}: a bias must be 1-D, found shape {shape:?}"
                    )))
                }
                _ => {
                    return Err(ImportError::new(format!(
                        "layer '{layer}': unsupported layer: weight '{name}' is not a dense \
                         kernel or bias (only Dense layers can be imported)"
                    )))
                }
            }
        }
        layers.push(w);
    }
    Ok((layers, config))
}

/// Reads a float dataset, checking its size before reading and its values after.
fn read_dataset(file: &File, path: &str) -> Result<(Vec<u64>, Vec<f32>)> {
    let h5 = |e: hdf5_pure::Error| ImportError::new(format!("{path}: {e}"));
    let ds = file.dataset(path).map_err(|e| {
        ImportError::new(format!(
            "missing tensor {path} (listed in weight_names): {e}"
        ))
    })?;
    let shape = ds.shape().map_err(h5)?;
    let count = check_size(path, &shape)?;
    match ds.dtype().map_err(h5)? {
        DType::F32 | DType::F64 => {}
        other => {
            return Err(ImportError::new(format!(
                "{path}: datatype {other:?}; expected float32 or float64"
            )))
        }
    }
    let values: Vec<f32> = ds.read().map_err(h5)?;
    if values.len() != count {
        return Err(ImportError::new(format!(
            "{path}: read {} values but its shape {shape:?} holds {count}",
            values.len()
        )));
    }
    check_finite(path, &values)?;
    Ok((shape, values))
}

/// An attribute's value as a list of strings (Keras writes fixed-length byte strings).
fn strings(value: &AttrValue) -> Option<Vec<String>> {
    match value {
        AttrValue::StringArray(v)
        | AttrValue::AsciiStringArray(v)
        | AttrValue::VarLenAsciiCharArray(v)
        | AttrValue::VarLenStringArray(v)
        | AttrValue::VarLenAsciiStringArray(v) => Some(v.clone()),
        AttrValue::StringArraySized { values, .. }
        | AttrValue::AsciiStringArraySized { values, .. } => Some(values.clone()),
        // h5py stores an empty list as an empty float array.
        AttrValue::F32Array(v) if v.is_empty() => Some(Vec::new()),
        AttrValue::F64Array(v) if v.is_empty() => Some(Vec::new()),
        other => string(other).map(|s| vec![s]),
    }
}

fn string(value: &AttrValue) -> Option<String> {
    value.as_str().map(str::to_string)
}

/// Davies et al.'s convention for files without an architecture: every layer with weights is
/// Dense, ReLU except the last, which is tanh.
fn davies_arch(weights: &[Weights]) -> Vec<ArchLayer> {
    let dense: Vec<&Weights> = weights.iter().filter(|w| w.kernel.is_some()).collect();
    dense
        .iter()
        .enumerate()
        .map(|(i, w)| ArchLayer {
            name: w.layer.clone(),
            dense: Some(if i + 1 == dense.len() {
                Activation::Tanh
            } else {
                Activation::Relu
            }),
        })
        .collect()
}

/// Parses a Keras architecture (`model.to_json()`): a `Sequential` (or functional model) whose
/// `config.layers` are Dense, InputLayer or Dropout.
pub fn parse_arch(json: &Json) -> Result<Vec<ArchLayer>> {
    let layers = json
        .pointer("/config/layers")
        // Keras before 2.2 wrote a Sequential's layers as `config` itself.
        .or_else(|| json.get("config").filter(|c| c.is_array()))
        .or_else(|| json.get("layers"))
        .and_then(Json::as_array)
        .ok_or_else(|| {
            ImportError::new("architecture JSON: field 'config.layers' (an array) is missing")
        })?;
    let mut out = Vec::with_capacity(layers.len());
    for (i, layer) in layers.iter().enumerate() {
        let class = layer
            .get("class_name")
            .and_then(Json::as_str)
            .ok_or_else(|| {
                ImportError::new(format!(
                    "architecture JSON: layers[{i}].class_name is missing"
                ))
            })?;
        let config = layer.get("config");
        let name = config
            .and_then(|c| c.get("name"))
            .or_else(|| layer.get("name"))
            .and_then(Json::as_str)
            .ok_or_else(|| {
                ImportError::new(format!(
                    "architecture JSON: layers[{i}].config.name is missing"
                ))
            })?
            .to_string();
        let dense = match class {
            "InputLayer" | "Dropout" => None,
            "Dense" => {
                let act = config
                    .and_then(|c| c.get("activation"))
                    .and_then(Json::as_str)
                    .unwrap_or("linear");
                Some(activation(act).ok_or_else(|| {
                    ImportError::new(format!(
                        "layer '{name}': unsupported activation '{act}' (expected relu, tanh or \
                         linear)"
                    ))
                })?)
            }
            other => {
                return Err(ImportError::new(format!(
                    "layer '{name}': unsupported layer class '{other}' (only Dense, InputLayer \
                     and Dropout can be imported)"
                )))
            }
        };
        out.push(ArchLayer { name, dense });
    }
    Ok(out)
}

fn activation(name: &str) -> Option<Activation> {
    match name {
        "relu" => Some(Activation::Relu),
        "tanh" => Some(Activation::Tanh),
        "linear" => Some(Activation::Identity),
        _ => None,
    }
}

/// Pairs the architecture's Dense layers with the file's weights, by layer name.
fn assemble(weights: Vec<Weights>, arch: &[ArchLayer]) -> Result<Vec<Imported>> {
    let mut by_name: HashMap<String, Weights> =
        weights.into_iter().map(|w| (w.layer.clone(), w)).collect();
    let mut out = Vec::new();
    for a in arch {
        let w = by_name.remove(&a.name);
        let Some(activation) = a.dense else {
            if let Some(w) = w.filter(|w| w.kernel.is_some() || w.bias.is_some()) {
                return Err(ImportError::new(format!(
                    "layer '{}': has weights in the file but no Dense layer of that name in \
                     the architecture",
                    w.layer
                )));
            }
            continue;
        };
        let w = w.ok_or_else(|| {
            ImportError::new(format!(
                "layer '{}': in the architecture but missing from the weight file",
                a.name
            ))
        })?;
        let (kernel_path, shape, kernel) = w.kernel.ok_or_else(|| {
            ImportError::new(format!(
                "missing tensor {}/kernel:0 (layer '{}')",
                a.name, a.name
            ))
        })?;
        let (inputs, outputs) = (shape[0] as usize, shape[1] as usize);
        let bias = match w.bias {
            Some((path, b)) if b.len() != outputs => {
                return Err(ImportError::new(format!(
                    "{path}: shape mismatch: {} values for a kernel with {outputs} outputs",
                    b.len()
                )))
            }
            Some((_, b)) => b,
            None => vec![0.0; outputs],
        };
        out.push(Imported {
            name: kernel_path,
            inputs,
            outputs,
            activation,
            weights: transpose(&kernel, inputs, outputs),
            bias,
        });
    }
    if let Some(extra) = by_name.values().find(|w| w.kernel.is_some()) {
        return Err(ImportError::new(format!(
            "layer '{}': has weights in the file but is not in the architecture",
            extra.layer
        )));
    }
    Ok(out)
}
