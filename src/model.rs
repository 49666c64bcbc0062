//! The in-memory description of a shape: what the writer takes and the parser gives back.
//!
//! Weights here are always f32 (row-major, one row per output unit). The storage scheme of each
//! layer ([`Scheme`]) says how the writer quantizes them; after parsing, weights hold the
//! dequantized values exactly as the evaluator uses them.

use crate::error::{Error, Result};
use crate::format::limits::*;
use crate::grid::HashGrid;

/// Elementwise nonlinearity after a dense layer.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Activation {
    Identity,
    Relu,
    /// `x` for `x >= 0`, `alpha * x` otherwise.
    LeakyRelu(f32),
    Tanh,
    /// `sin(omega0 * x)` (SIREN).
    Sine(f32),
}

impl Activation {
    /// Applies the activation to one value.
    #[inline(always)]
    pub fn apply(self, x: f32) -> f32 {
        match self {
            Activation::Identity => x,
            Activation::Relu => x.max(0.0),
            Activation::LeakyRelu(a) => {
                if x >= 0.0 {
                    x
                } else {
                    a * x
                }
            }
            Activation::Tanh => x.tanh(),
            Activation::Sine(w) => (w * x).sin(),
        }
    }

    /// Derivative with respect to the pre-activation `x`. At ReLU's kink (x = 0) it is 0.
    #[inline(always)]
    pub fn derivative(self, x: f32) -> f32 {
        match self {
            Activation::Identity => 1.0,
            Activation::Relu => {
                if x > 0.0 {
                    1.0
                } else {
                    0.0
                }
            }
            Activation::LeakyRelu(a) => {
                if x > 0.0 {
                    1.0
                } else {
                    a
                }
            }
            Activation::Tanh => {
                let t = x.tanh();
                1.0 - t * t
            }
            Activation::Sine(w) => w * (w * x).cos(),
        }
    }

    /// An upper bound on |derivative|, used for Lipschitz bounds.
    pub fn lipschitz(self) -> f32 {
        match self {
            Activation::Identity | Activation::Relu | Activation::Tanh => 1.0,
            Activation::LeakyRelu(a) => a.abs().max(1.0),
            Activation::Sine(w) => w.abs(),
        }
    }

    /// Spec code of the activation.
    pub fn code(self) -> u32 {
        match self {
            Activation::Identity => 0,
            Activation::Relu => 1,
            Activation::LeakyRelu(_) => 2,
            Activation::Tanh => 3,
            Activation::Sine(_) => 4,
        }
    }

    /// The activation's parameter as stored (0 when it has none).
    pub fn param(self) -> f32 {
        match self {
            Activation::LeakyRelu(a) => a,
            Activation::Sine(w) => w,
            _ => 0.0,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Activation::Identity => "identity",
            Activation::Relu => "relu",
            Activation::LeakyRelu(_) => "leaky_relu",
            Activation::Tanh => "tanh",
            Activation::Sine(_) => "sine",
        }
    }
}

/// How the 3-D input is turned into the first layer's input vector.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    /// The network sees `(x, y, z)`.
    None,
    /// `(x, y, z)` followed, for k in 0..frequencies, by
    /// `sin(2^k π x), sin(2^k π y), sin(2^k π z), cos(2^k π x), cos(2^k π y), cos(2^k π z)`.
    Fourier { frequencies: u32 },
    /// `(x, y, z)` followed by the `features` values of a multiresolution hash grid
    /// ([`HashGrid`](crate::HashGrid), held in [`Model::grid`]): levels × features per level.
    HashGrid { features: u32 },
}

impl Encoding {
    /// Length of the encoded input vector.
    pub fn output_dim(self) -> usize {
        match self {
            Encoding::None => 3,
            Encoding::Fourier { frequencies } => 3 + 6 * frequencies as usize,
            Encoding::HashGrid { features } => 3 + features as usize,
        }
    }

    pub fn code(self) -> u32 {
        match self {
            Encoding::None => 0,
            Encoding::Fourier { .. } => 1,
            Encoding::HashGrid { .. } => 2,
        }
    }

    pub fn param(self) -> u32 {
        match self {
            Encoding::None => 0,
            Encoding::Fourier { frequencies } => frequencies,
            Encoding::HashGrid { features } => features,
        }
    }
}

/// How a layer's weights (and, for int4, its biases) are stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scheme {
    F32,
    F16,
    /// Symmetric int8 with one f32 scale per output row: `w = q * scale`, `scale = max|row| / 127`.
    Int8,
    /// Symmetric int4 with one f16 scale per output row (`scale = max|row| / 7`), f16 biases and
    /// two weights per byte (format 1.1): half the bytes of int8 per weight and per row.
    Int4,
    /// Int8 weights with int4's f16 scale and f16 biases (format 1.3, "int8h"): 4 bytes per
    /// row instead of 8, the same weights to within the f16 rounding of the scale.
    Int8Half,
}

impl Scheme {
    pub fn code(self) -> u32 {
        match self {
            Scheme::F32 => 0,
            Scheme::F16 => 1,
            Scheme::Int8 => 2,
            Scheme::Int4 => 3,
            Scheme::Int8Half => 4,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Scheme::F32 => "f32",
            Scheme::F16 => "f16",
            Scheme::Int8 => "int8",
            Scheme::Int4 => "int4",
            Scheme::Int8Half => "int8h",
        }
    }

    /// Whether biases and scales are stored as f16 (int4 and int8h) rather than f32.
    pub fn half_rows(self) -> bool {
        matches!(self, Scheme::Int4 | Scheme::Int8Half)
    }

    /// `weights`, a row-major matrix of `cols` columns, as a file with this scheme stores them
    /// and [`parse`](crate::parse) reads them back (f32 unchanged, f16 rounded, int8 and int4
    /// with one scale per row): what quantization-aware training trains against.
    pub fn round_trip(self, weights: &[f32], cols: usize) -> Vec<f32> {
        crate::quant::round_trip(weights, cols, self)
    }

    /// A bias as the file stores it: f16-rounded for int4 and int8h, unchanged otherwise.
    pub fn stored_bias(self, bias: f32) -> f32 {
        if self.half_rows() {
            crate::quant::dequantize_f16(crate::quant::quantize_f16(bias))
        } else {
            bias
        }
    }
}

/// `relu`, `tanh`, `identity` (or `linear`), `leaky-relu[:ALPHA]` (default 0.01) and
/// `sine[:OMEGA0]` (default 30, SIREN's): the names the tools and importers accept.
impl std::str::FromStr for Activation {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (name, param) = match s.split_once(':') {
            Some((n, p)) => {
                let v: f32 = p
                    .parse()
                    .ok()
                    .filter(|v: &f32| v.is_finite() && *v > 0.0)
                    .ok_or_else(|| format!("activation '{s}': '{p}' is not a positive number"))?;
                (n, Some(v))
            }
            None => (s, None),
        };
        match (name, param) {
            ("relu", None) => Ok(Activation::Relu),
            ("tanh", None) => Ok(Activation::Tanh),
            ("identity" | "linear", None) => Ok(Activation::Identity),
            ("leaky-relu", a) => Ok(Activation::LeakyRelu(a.unwrap_or(0.01))),
            ("sine", w) => Ok(Activation::Sine(w.unwrap_or(30.0))),
            _ => Err(format!(
                "unknown activation '{s}' (expected relu, tanh, identity, leaky-relu[:ALPHA] or sine[:OMEGA0])"
            )),
        }
    }
}

impl std::str::FromStr for Scheme {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "f32" => Ok(Scheme::F32),
            "f16" => Ok(Scheme::F16),
            "int8" | "i8" => Ok(Scheme::Int8),
            "int4" | "i4" => Ok(Scheme::Int4),
            "int8h" => Ok(Scheme::Int8Half),
            _ => Err(format!(
                "unknown quantization '{s}' (expected int4, int8h, int8, f16 or f32)"
            )),
        }
    }
}

/// One dense layer: `y = activation(W x + b)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Layer {
    pub inputs: usize,
    pub outputs: usize,
    pub activation: Activation,
    /// Row-major `outputs × inputs`.
    pub weights: Vec<f32>,
    pub bias: Vec<f32>,
    pub scheme: Scheme,
}

impl Layer {
    /// A layer with all weights and biases zero.
    pub fn zeros(inputs: usize, outputs: usize, activation: Activation) -> Layer {
        Layer {
            inputs,
            outputs,
            activation,
            weights: vec![0.0; inputs * outputs],
            bias: vec![0.0; outputs],
            scheme: Scheme::F32,
        }
    }

    pub fn row(&self, o: usize) -> &[f32] {
        &self.weights[o * self.inputs..(o + 1) * self.inputs]
    }
}

/// World → network similarity: `p_net = scale * p_world + translation`, and
/// `distance_world = distance_scale * f(p_net)`.
///
/// `distance_scale` is normally `1 / scale`; a negative value flips a network trained with the
/// opposite sign convention (positive inside) to the nsdf one (negative inside).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Transform {
    pub scale: f32,
    pub translation: [f32; 3],
    pub distance_scale: f32,
    /// World-space bounding box of the shape: `[min, max]`.
    pub bounds: [[f32; 3]; 2],
}

impl Transform {
    /// The identity transform with the canonical network domain [-1, 1]³ as bounds.
    pub const IDENTITY: Transform = Transform {
        scale: 1.0,
        translation: [0.0; 3],
        distance_scale: 1.0,
        bounds: [[-1.0; 3], [1.0; 3]],
    };

    /// Maps a world point into the network frame.
    #[inline(always)]
    pub fn to_network(&self, p: [f32; 3]) -> [f32; 3] {
        [
            self.scale * p[0] + self.translation[0],
            self.scale * p[1] + self.translation[1],
            self.scale * p[2] + self.translation[2],
        ]
    }
}

/// A metadata value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    String(String),
    Int(i64),
    Float(f64),
}

impl Value {
    pub fn type_code(&self) -> u8 {
        match self {
            Value::String(_) => 0,
            Value::Int(_) => 1,
            Value::Float(_) => 2,
        }
    }
}

impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::String(s) => write!(f, "{s}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Float(x) => write!(f, "{x}"),
        }
    }
}

/// Accuracy of the stored (quantized) model, measured when the file was made. Distances are in
/// world units.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stats {
    /// Mean |f| over points sampled on the true surface.
    pub surface_mean_error: f32,
    /// Max |f| over those points.
    pub surface_max_error: f32,
    /// Fraction of points near the surface (offset by N(0, near_sigma²)) whose sign is right.
    pub near_sign_agreement: f32,
    /// Fraction of points uniform in the bounding box whose sign is right.
    pub volume_sign_agreement: f32,
    /// Standard deviation of the near-surface offsets, world units.
    pub near_sigma: f32,
    /// Upper bound on |∇distance| (world units per world unit) over the bounding box; a sphere
    /// tracer that steps `distance / gradient_bound` never overshoots.
    pub gradient_bound: f32,
    pub surface_samples: u32,
    pub volume_samples: u32,
}

/// A complete shape: architecture, weights, transform, metadata and optional statistics.
#[derive(Clone, Debug, PartialEq)]
pub struct Model {
    pub encoding: Encoding,
    pub layers: Vec<Layer>,
    /// The hash grid's features, exactly when `encoding` is [`Encoding::HashGrid`].
    pub grid: Option<HashGrid>,
    pub transform: Transform,
    /// Keys sorted and unique once written.
    pub metadata: Vec<(String, Value)>,
    pub stats: Option<Stats>,
}

impl Model {
    /// A model whose weights are all zero (to be filled in by a trainer or importer):
    /// `encoding → hidden[0] → … → 1`, hidden layers with `hidden_activation`, output with
    /// `output_activation`.
    pub fn zeros(
        encoding: Encoding,
        hidden: &[usize],
        hidden_activation: Activation,
        output_activation: Activation,
    ) -> Model {
        let mut layers = Vec::with_capacity(hidden.len() + 1);
        let mut inputs = encoding.output_dim();
        for &w in hidden {
            layers.push(Layer::zeros(inputs, w, hidden_activation));
            inputs = w;
        }
        layers.push(Layer::zeros(inputs, 1, output_activation));
        Model {
            encoding,
            layers,
            grid: None,
            transform: Transform::IDENTITY,
            metadata: Vec::new(),
            stats: None,
        }
    }

    /// Davies et al.'s architecture: 3 → 8 × Dense(32, ReLU) → Dense(1, tanh), 7,553 parameters.
    pub fn davies() -> Model {
        Model::zeros(Encoding::None, &[32; 8], Activation::Relu, Activation::Tanh)
    }

    /// Hash-grid encoding in front of `hidden[0] → … → 1`: a model of zeros with `grid`'s shape.
    pub fn with_grid(
        grid: HashGrid,
        hidden: &[usize],
        hidden_activation: Activation,
        output_activation: Activation,
    ) -> Model {
        let encoding = Encoding::HashGrid {
            features: grid.output_dim() as u32,
        };
        let mut m = Model::zeros(encoding, hidden, hidden_activation, output_activation);
        m.grid = Some(grid);
        m
    }

    /// Weights and biases of the dense layers (a hash grid's features not included).
    pub fn parameter_count(&self) -> usize {
        self.layers
            .iter()
            .map(|l| l.inputs * l.outputs + l.outputs)
            .sum()
    }

    /// Sets every layer's storage scheme.
    pub fn with_scheme(mut self, scheme: Scheme) -> Model {
        for l in &mut self.layers {
            l.scheme = scheme;
        }
        self
    }

    /// This model as a reader of its file sees it: every layer's weights (and int4 biases)
    /// quantized with its scheme and read back.
    pub fn as_stored(&self) -> Model {
        let mut m = self.clone();
        for l in &mut m.layers {
            l.weights = l.scheme.round_trip(&l.weights, l.inputs);
            let scheme = l.scheme;
            l.bias.iter_mut().for_each(|b| *b = scheme.stored_bias(*b));
        }
        if let Some(g) = &mut m.grid {
            g.values = g.scheme.round_trip(&g.values, g.features);
        }
        m
    }

    /// Looks up a metadata value.
    pub fn meta(&self, key: &str) -> Option<&Value> {
        self.metadata.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// Sets (or replaces) a metadata value.
    pub fn set_meta(&mut self, key: impl Into<String>, value: Value) {
        let key = key.into();
        match self.metadata.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.metadata.push((key, value)),
        }
    }

    /// Checks the invariants the file format needs; the writer calls this.
    pub fn check(&self) -> Result<()> {
        let bad = |reason: String| Err(Error::InvalidModel { reason });
        if self.layers.is_empty() {
            return bad("no layers".into());
        }
        check_grid(self.encoding, self.grid.as_ref())?;
        let mut inputs = self.encoding.output_dim();
        for (i, l) in self.layers.iter().enumerate() {
            if l.inputs != inputs {
                return bad(format!(
                    "layer {i} takes {} inputs, previous gives {inputs}",
                    l.inputs
                ));
            }
            if l.outputs == 0 {
                return bad(format!("layer {i} has no outputs"));
            }
            if l.weights.len() != l.inputs * l.outputs || l.bias.len() != l.outputs {
                return bad(format!(
                    "layer {i}: weight or bias length does not match its shape"
                ));
            }
            if l.weights.iter().chain(&l.bias).any(|x| !x.is_finite()) {
                return bad(format!("layer {i} has a non-finite weight or bias"));
            }
            if !l.activation.param().is_finite() {
                return bad(format!("layer {i}: non-finite activation parameter"));
            }
            inputs = l.outputs;
        }
        if inputs != 1 {
            return bad(format!("the last layer has {inputs} outputs, expected 1"));
        }
        let t = &self.transform;
        let floats = [t.scale, t.distance_scale]
            .into_iter()
            .chain(t.translation)
            .chain(t.bounds.into_iter().flatten());
        if floats.into_iter().any(|x| !x.is_finite()) || t.scale <= 0.0 || t.distance_scale == 0.0 {
            return bad("transform must be finite with scale > 0 and distance_scale != 0".into());
        }
        if (0..3).any(|i| t.bounds[0][i] > t.bounds[1][i]) {
            return bad("bounds min exceeds max".into());
        }
        Ok(())
    }
}

/// A hash grid is present exactly with the hash-grid encoding, its shape within the limits of
/// spec §6 and its features finite.
fn check_grid(encoding: Encoding, grid: Option<&HashGrid>) -> Result<()> {
    let bad = |reason: String| Err(Error::InvalidModel { reason });
    let g = match (encoding, grid) {
        (Encoding::HashGrid { .. }, None) => {
            return bad("a hash-grid encoding without a grid".into())
        }
        (Encoding::HashGrid { features }, Some(g)) if g.output_dim() != features as usize => {
            return bad(format!(
                "the encoding says {features} grid features, the grid has {}",
                g.output_dim()
            ))
        }
        (Encoding::HashGrid { .. }, Some(g)) => g,
        (_, Some(_)) => return bad("a hash grid without the hash-grid encoding".into()),
        (_, None) => return Ok(()),
    };
    if g.resolutions.is_empty() || g.levels() > MAX_GRID_LEVELS as usize {
        return bad(format!("a hash grid needs 1 to {MAX_GRID_LEVELS} levels"));
    }
    if ![1, 2, 4, 8].contains(&g.features) {
        return bad("a hash grid has 1, 2, 4 or 8 features per level".into());
    }
    if !(MIN_GRID_LOG2_TABLE..=MAX_GRID_LOG2_TABLE).contains(&g.log2_table) {
        return bad(format!(
            "hash table size 2^{} is outside 2^{MIN_GRID_LOG2_TABLE}..=2^{MAX_GRID_LOG2_TABLE}",
            g.log2_table
        ));
    }
    if g.resolutions
        .iter()
        .any(|&n| n == 0 || n > MAX_GRID_RESOLUTION)
    {
        return bad(format!(
            "grid resolutions must be 1 to {MAX_GRID_RESOLUTION}"
        ));
    }
    if !matches!(g.scheme, Scheme::F32 | Scheme::F16) {
        return bad("grid features are stored as f32 or f16".into());
    }
    let count = g.offsets()[g.levels()];
    if count as u64 > MAX_GRID_VALUES {
        return bad(format!(
            "{count} grid values, over the limit of {MAX_GRID_VALUES}"
        ));
    }
    if g.values.len() != count {
        return bad(format!(
            "the grid's shape needs {count} values, it has {}",
            g.values.len()
        ));
    }
    if g.values.iter().any(|v| !v.is_finite()) {
        return bad("a grid feature is not finite".into());
    }
    if g.scheme == Scheme::F16 && g.values.iter().any(|v| v.abs() > 65504.0) {
        return bad("a grid feature is beyond the f16 range".into());
    }
    Ok(())
}
