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
//!
//! Hostile files: before a dataset is read its shape must be a dense kernel `(in, out)` or bias
//! `(out,)` with sides 1 to `MAX_WIDTH`, the network within the format's parameter limit, its
//! element type float32 or float64, its layout compact, contiguous or chunked, and the bytes it
//! declares (elements × element size, and a chunk's elements × element size), summed over every
//! dataset read, at most the file's length: uncompressed weights always fit, so a small file
//! cannot ask for large buffers (compressed weights that would inflate beyond the file's size
//! are refused). `layer_names` may list at most [`MAX_LISTED_LAYERS`](super::MAX_LISTED_LAYERS)
//! layers and `model_config` hold at most [`MAX_CONFIG_LEN`](super::MAX_CONFIG_LEN) bytes.
//! `hdf5-pure` checks its own header fields against the file (it sizes no buffer from a count
//! it has not compared with the bytes that hold it, and bounds decompression by the chunk size).
//!
//! Memory bound: at most 64 × the file length + 4 MiB is requested in all (measured by
//! `tests/alloc_bound.rs` under a counting allocator: 3.8× for the Davies networks, 46× for a
//! `model_config` of 300,000 empty JSON arrays, the densest JSON).

use super::{
    add_parameters, check_finite, check_size, check_width, transpose, ImportError, Imported,
    Result, MAX_CONFIG_LEN, MAX_LISTED_LAYERS,
};
use hdf5_pure::{AttrValue, DType, File, Layout};
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
            if text.len() > MAX_CONFIG_LEN {
                return Err(ImportError::new(format!(
                    "attribute 'model_config': {} bytes of JSON; at most {MAX_CONFIG_LEN} are \
                     read (give the architecture with --arch)",
                    text.len()
                )));
            }
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
    if names.len() > MAX_LISTED_LAYERS {
        return Err(ImportError::new(format!(
            "attribute 'layer_names' lists {} layers; at most {MAX_LISTED_LAYERS} are read",
            names.len()
        )));
    }
    let mut budget = Budget {
        file_len: file.as_bytes().len() as u64,
        declared: 0,
        parameters: 0,
    };
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
        // Which weight is which, before any is read: a Dense layer has one kernel and at most
        // one bias.
        let mut kernel = None;
        let mut bias = None;
        for name in weight_names {
            let path = format!("{prefix}{layer}/{name}");
            let leaf = name.rsplit('/').next().unwrap_or(&name);
            let slot = match leaf.split(':').next().unwrap_or(leaf) {
                "kernel" => &mut kernel,
                "bias" => &mut bias,
                _ => {
                    // A listed tensor that is absent is reported as such (opening it reads no
                    // data).
                    dataset(&file, &path)?;
                    return Err(ImportError::new(format!(
                        "layer '{layer}': unsupported layer: weight '{name}' is not a dense \
                         kernel or bias (only Dense layers can be imported)"
                    )));
                }
            };
            if slot.is_some() {
                return Err(ImportError::new(format!(
                    "layer '{layer}': weight_names lists a second {} ('{name}')",
                    leaf.split(':').next().unwrap_or(leaf)
                )));
            }
            *slot = Some(path);
        }
        let mut w = Weights {
            layer: layer.clone(),
            kernel: None,
            bias: None,
        };
        let mut outputs = None;
        if let Some(path) = kernel {
            let ds = dataset(&file, &path)?;
            let shape = ds.shape().map_err(|e| h5(&path, e))?;
            let [i, o] = shape[..] else {
                return Err(ImportError::new(format!(
                    "{path}: a dense kernel must be 2-D (in, out), found shape {shape:?}"
                )));
            };
            let inputs = check_width(&path, "inputs", i)?;
            let out = check_width(&path, "outputs", o)?;
            add_parameters(&mut budget.parameters, &path, inputs, out)?;
            let values = read_dataset(&ds, &path, &shape, &mut budget)?;
            outputs = Some(out);
            w.kernel = Some((path, shape, values));
        }
        if let Some(path) = bias {
            let ds = dataset(&file, &path)?;
            let shape = ds.shape().map_err(|e| h5(&path, e))?;
            let [n] = shape[..] else {
                return Err(ImportError::new(format!(
                    "{path}: a bias must be 1-D, found shape {shape:?}"
                )));
            };
            match outputs {
                Some(o) if o as u64 != n => {
                    return Err(ImportError::new(format!(
                        "{path}: shape mismatch: {n} values for a kernel with {o} outputs"
                    )))
                }
                Some(_) => {}
                // A bias without a kernel is refused when layers are assembled; read it only
                // if its size is one a layer may have.
                None => {
                    check_width(&path, "values", n)?;
                }
            }
            let values = read_dataset(&ds, &path, &shape, &mut budget)?;
            w.bias = Some((path, values));
        }
        layers.push(w);
    }
    Ok((layers, config))
}

/// What the datasets read so far declare, against what the file can hold.
struct Budget {
    file_len: u64,
    /// Bytes declared by the datasets read so far (elements × element size).
    declared: u64,
    /// Parameters of the kernels read so far.
    parameters: u64,
}

fn dataset(file: &File, path: &str) -> Result<hdf5_pure::Dataset> {
    file.dataset(path).map_err(|e| {
        ImportError::new(format!(
            "missing tensor {path} (listed in weight_names): {e}"
        ))
    })
}

/// Reads a float dataset whose shape the caller has checked, checking its storage against the
/// file before reading and its values after.
fn read_dataset(
    ds: &hdf5_pure::Dataset,
    path: &str,
    shape: &[u64],
    budget: &mut Budget,
) -> Result<Vec<f32>> {
    let h5 = |e: hdf5_pure::Error| ImportError::new(format!("{path}: {e}"));
    let count = check_size(path, shape)?;
    match ds.dtype().map_err(h5)? {
        DType::F32 | DType::F64 => {}
        other => {
            return Err(ImportError::new(format!(
                "{path}: datatype {other:?}; expected float32 or float64"
            )))
        }
    }
    let size = ds.element_size().map_err(h5)?;
    let declared = (count as u64).checked_mul(size);
    let chunk = match ds.layout().map_err(h5)? {
        Layout::Compact { .. } | Layout::Contiguous { .. } => Some(0),
        Layout::Chunked { chunk_shape, .. } => {
            chunk_shape.iter().try_fold(size, |n, &d| n.checked_mul(d))
        }
        other => {
            return Err(ImportError::new(format!(
                "{path}: storage layout {other:?}; expected compact, contiguous or chunked"
            )))
        }
    };
    let total = declared.and_then(|d| d.checked_add(budget.declared));
    let fits = |n: Option<u64>| n.filter(|&n| n <= budget.file_len);
    let (Some(total), Some(_)) = (fits(total), fits(chunk)) else {
        return Err(ImportError::new(format!(
            "{path}: declares more data ({count} values of {size} bytes{}) than the {}-byte file \
             holds{}",
            match chunk {
                Some(c) if c > 0 => format!(", chunks of {c} bytes"),
                None => ", chunks of more than 2^64 bytes".to_string(),
                _ => String::new(),
            },
            budget.file_len,
            if budget.declared > 0 {
                format!(
                    " beside the {} bytes of the datasets before it",
                    budget.declared
                )
            } else {
                String::new()
            }
        )));
    };
    budget.declared = total;
    let values: Vec<f32> = ds.read().map_err(h5)?;
    if values.len() != count {
        return Err(ImportError::new(format!(
            "{path}: read {} values but its shape {shape:?} holds {count}",
            values.len()
        )));
    }
    check_finite(path, &values)?;
    Ok(values)
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
