//! `nsdf import`: networks trained elsewhere, turned into `.nsdf` models.
//!
//! - `keras.rs`: Keras HDF5 weight files (Davies et al.'s released Thingi10k networks).
//! - `safetensors.rs`: PyTorch `state_dict`s saved as safetensors.
//! - `describe.rs`: the layer description a safetensors file needs (it holds only tensors).
//! - this file: what both share: checking the layer chain, the frame, provenance and the
//!   deviation report for quantized output.
//!
//! Every reader returns [`Imported`] layers; nothing is written until the whole network has been
//! read and checked, and the writer is `nsdf::write_atomic`, so bad input never leaves a file.

pub mod describe;
pub mod keras;
pub mod safetensors;

use nsdf::{Activation, Encoding, Layer, Model, Scheme, Shape, Transform, Value};
use sha2::{Digest, Sha256};
use std::fmt;

/// Why an import failed; the message names the tensor, attribute or field at fault.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportError(pub String);

impl ImportError {
    pub fn new(message: impl Into<String>) -> ImportError {
        ImportError(message.into())
    }
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ImportError {}

pub type Result<T> = std::result::Result<T, ImportError>;

/// One dense layer as read from a foreign file, weights already in nsdf's row-major
/// `outputs × inputs` order. `name` is the weight tensor's name, used in every error about it.
#[derive(Clone, Debug, PartialEq)]
pub struct Imported {
    pub name: String,
    pub inputs: usize,
    pub outputs: usize,
    pub activation: Activation,
    pub weights: Vec<f32>,
    pub bias: Vec<f32>,
}

/// The most values one tensor may hold, and all tensors of one network together: the format's
/// parameter limit. Checked on declared shapes before anything is read, so a hostile header
/// cannot make a reader allocate gigabytes.
pub const MAX_TENSOR_VALUES: u64 = nsdf::limits::MAX_PARAMETERS;

/// Most entries a Keras `layer_names` attribute may list (Dense layers and those without
/// weights, such as InputLayer and Dropout): four per Dense layer the format allows.
pub const MAX_LISTED_LAYERS: usize = 4 * nsdf::limits::MAX_LAYERS as usize;

/// Longest architecture JSON read from a Keras file's `model_config` attribute, in bytes (a
/// Keras MLP's is a few kilobytes).
pub const MAX_CONFIG_LEN: usize = 1 << 20;

/// Checks that `shape` is small enough to read; `what` names the tensor.
pub fn check_size(what: &str, shape: &[u64]) -> Result<usize> {
    let count = shape
        .iter()
        .try_fold(1u64, |n, &d| n.checked_mul(d))
        .filter(|&n| n <= MAX_TENSOR_VALUES);
    count.map(|n| n as usize).ok_or_else(|| {
        ImportError::new(format!(
            "{what}: shape {shape:?} holds more than {MAX_TENSOR_VALUES} values"
        ))
    })
}

/// Checks one side of a dense layer (`inputs` or `outputs`) before anything is allocated from
/// it: at least 1 (a zero dimension would let the other one be anything) and at most the
/// format's width limit.
pub fn check_width(what: &str, side: &str, n: u64) -> Result<usize> {
    let max = nsdf::limits::MAX_WIDTH;
    if n == 0 || n > max as u64 {
        return Err(ImportError::new(format!(
            "{what}: {n} {side}; a dense layer has 1 to {max}"
        )));
    }
    Ok(n as usize)
}

/// Adds a layer's parameters to a running total, failing once it passes the format's limit.
pub fn add_parameters(total: &mut u64, what: &str, inputs: usize, outputs: usize) -> Result<()> {
    // inputs, outputs <= MAX_WIDTH (checked), so this cannot overflow.
    *total += (inputs as u64 + 1) * outputs as u64;
    if *total > MAX_TENSOR_VALUES {
        return Err(ImportError::new(format!(
            "{what}: the network has more than {MAX_TENSOR_VALUES} parameters (the format's limit)"
        )));
    }
    Ok(())
}

/// Fails on the first NaN or infinity in a tensor, naming it and the element.
pub fn check_finite(what: &str, values: &[f32]) -> Result<()> {
    match values.iter().position(|x| !x.is_finite()) {
        Some(i) => Err(ImportError::new(format!(
            "{what}: element {i} is {} (weights must be finite)",
            values[i]
        ))),
        None => Ok(()),
    }
}

/// Transposes a Keras-style `(in, out)` kernel into nsdf's row-major `out × in`.
pub fn transpose(kernel: &[f32], inputs: usize, outputs: usize) -> Vec<f32> {
    let mut w = vec![0.0; kernel.len()];
    for i in 0..inputs {
        for o in 0..outputs {
            w[o * inputs + i] = kernel[i * outputs + o];
        }
    }
    w
}

/// Where the network's frame sits in the world, and its sign convention.
///
/// Networks are trained on a normalised shape (Davies et al.: centred on the minimal enclosing
/// ball, scaled to radius 0.9). Given the original mesh's ball (`center`, `radius`), the file
/// answers in the mesh's own units; without it the world frame is the network frame.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Frame {
    /// Centre of the shape's minimal enclosing ball, world units.
    pub center: [f32; 3],
    /// Radius of that ball in world units; `None`: the world frame is the network frame.
    pub radius: Option<f32>,
    /// Radius the ball was scaled to for training (0.9 for Davies et al.).
    pub network_radius: f32,
    /// The network is positive inside (nsdf is negative inside): negate its output.
    pub flip_sign: bool,
}

impl Frame {
    /// The world → network transform. Bounds are the world image of the network's domain
    /// [-1, 1]³, where the network was trained and queried.
    pub fn transform(&self) -> Result<Transform> {
        // `half` (world units per network unit) is computed directly, not as 1 / scale, so
        // round numbers stay round in the bounds and distance scale.
        let (scale, half, center) = match self.radius {
            None => (1.0, 1.0, [0.0; 3]),
            Some(r) => (
                self.network_radius / r,
                r / self.network_radius,
                self.center,
            ),
        };
        let ok = |x: f32| x.is_finite() && x > 0.0;
        if !ok(self.network_radius) || !ok(scale) || !ok(half) {
            return Err(ImportError::new(
                "--radius and --network-radius must be positive and give a finite scale",
            ));
        }
        if center.iter().any(|c| !c.is_finite()) {
            return Err(ImportError::new("--center must be finite"));
        }
        let sign = if self.flip_sign { -1.0 } else { 1.0 };
        Ok(Transform {
            scale,
            // `0.0 -` so a zero centre gives +0, not -0.
            translation: center.map(|c| 0.0 - scale * c),
            distance_scale: sign * half,
            bounds: [center.map(|c| c - half), center.map(|c| c + half)],
        })
    }
}

/// Where a network came from, for the file's metadata.
#[derive(Clone, Debug)]
pub struct Provenance {
    /// `keras-hdf5` or `safetensors`.
    pub format: &'static str,
    /// File name of the imported network.
    pub file_name: String,
    /// Shape identifier (`nsdf.name`).
    pub name: String,
    /// The imported file's bytes, hashed into `nsdf.source.sha256`.
    pub sha256: String,
    /// How the frame and sign were set, in words.
    pub frame: String,
}

impl Provenance {
    pub fn new(format: &'static str, file_name: String, name: String, bytes: &[u8]) -> Self {
        let sha256 = Sha256::digest(bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Provenance {
            format,
            file_name,
            name,
            sha256,
            frame: String::new(),
        }
    }
}

/// Checks the layer chain (`encoding → … → 1`) and builds the model to write.
///
/// Errors name the tensor whose shape breaks the chain.
pub fn build_model(
    encoding: Encoding,
    layers: Vec<Imported>,
    frame: &Frame,
    provenance: &Provenance,
    scheme: Scheme,
) -> Result<Model> {
    if layers.is_empty() {
        return Err(ImportError::new("the network has no dense layers"));
    }
    if layers.len() > nsdf::limits::MAX_LAYERS as usize {
        return Err(ImportError::new(format!(
            "{} layers; the format allows at most {}",
            layers.len(),
            nsdf::limits::MAX_LAYERS
        )));
    }
    let mut inputs = encoding.output_dim();
    for (i, l) in layers.iter().enumerate() {
        if l.inputs != inputs {
            let from = if i == 0 {
                format!("the {}-value input", encoding.output_dim())
            } else {
                format!("'{}' gives {inputs}", layers[i - 1].name)
            };
            return Err(ImportError::new(format!(
                "{}: shape mismatch: takes {} inputs but {from}",
                l.name, l.inputs
            )));
        }
        if l.outputs as u64 > nsdf::limits::MAX_WIDTH as u64 {
            return Err(ImportError::new(format!(
                "{}: {} outputs; the format allows at most {}",
                l.name,
                l.outputs,
                nsdf::limits::MAX_WIDTH
            )));
        }
        inputs = l.outputs;
    }
    let last = layers.last().map(|l| l.name.clone()).unwrap_or_default();
    if inputs != 1 {
        return Err(ImportError::new(format!(
            "{last}: the last layer has {inputs} outputs; a distance function has 1"
        )));
    }
    let mut model = Model {
        encoding,
        layers: layers
            .into_iter()
            .map(|l| Layer {
                inputs: l.inputs,
                outputs: l.outputs,
                activation: l.activation,
                weights: l.weights,
                bias: l.bias,
                scheme,
            })
            .collect(),
        grid: None,
        transform: frame.transform()?,
        metadata: Vec::new(),
        stats: None,
    };
    let p = provenance;
    let mut set = |k: &str, v: &str| model.set_meta(k, Value::String(v.into()));
    set("nsdf.name", &p.name);
    set("nsdf.source.name", &p.file_name);
    set("nsdf.source.sha256", &p.sha256);
    set("nsdf.creator", "nsdf import");
    set("nsdf.creator.version", env!("CARGO_PKG_VERSION"));
    set("import.format", p.format);
    set("import.frame", &p.frame);
    model.metadata.sort_by(|a, b| a.0.cmp(&b.0));
    model
        .check()
        .map_err(|e| ImportError::new(format!("the imported model is not valid: {e}")))?;
    Ok(model)
}

/// How far the stored (quantized) model is from the original network, on a grid.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Deviation {
    pub points: usize,
    /// Max and mean |stored − original|, world units.
    pub max: f64,
    pub mean: f64,
    /// Points where the two disagree on inside (< 0) versus outside.
    pub sign_flips: usize,
}

/// Compares `stored` (a written `.nsdf`, as bytes) with `original` evaluated in f32 on the
/// `n`³ grid of nodes spanning the model's bounds.
pub fn deviation(original: &Model, stored: &[u8], n: usize) -> Result<Deviation> {
    let reference = Shape::from_model(original.clone().with_scheme(Scheme::F32))
        .map_err(|e| ImportError::new(e.to_string()))?;
    let stored = Shape::from_bytes(stored).map_err(|e| ImportError::new(e.to_string()))?;
    let points = grid(original.transform.bounds, n);
    let mut a = vec![0.0; points.len()];
    let mut b = vec![0.0; points.len()];
    reference.distances(&points, &mut a);
    stored.distances(&points, &mut b);
    let mut max: f64 = 0.0;
    let mut sum = 0.0;
    let mut sign_flips = 0;
    for (&x, &y) in a.iter().zip(&b) {
        let d = (x as f64 - y as f64).abs();
        max = max.max(d);
        sum += d;
        sign_flips += usize::from((x < 0.0) != (y < 0.0));
    }
    Ok(Deviation {
        points: points.len(),
        max,
        mean: sum / points.len().max(1) as f64,
        sign_flips,
    })
}

/// The `n`³ nodes of a regular grid over `bounds` (corners included).
pub fn grid(bounds: [[f32; 3]; 2], n: usize) -> Vec<[f32; 3]> {
    let n = n.max(2);
    let at = |axis: usize, i: usize| {
        let t = i as f32 / (n - 1) as f32;
        bounds[0][axis] + t * (bounds[1][axis] - bounds[0][axis])
    };
    let mut points = Vec::with_capacity(n * n * n);
    for k in 0..n {
        for j in 0..n {
            for i in 0..n {
                points.push([at(0, i), at(1, j), at(2, k)]);
            }
        }
    }
    points
}
