//! The evaluator's form of a model: f32 weights laid out for the kernels, built once at load.

use crate::grid::HashGrid;
use crate::model::{Activation, Encoding, Model, Transform};

/// One dense layer, f32, in both layouts the kernels need.
#[derive(Clone, Debug)]
pub struct Dense {
    pub inputs: usize,
    pub outputs: usize,
    pub activation: Activation,
    /// Row-major `outputs × inputs` (row = output unit).
    pub w: Vec<f32>,
    /// Transposed: row-major `inputs × outputs` (row = input unit).
    pub wt: Vec<f32>,
    pub b: Vec<f32>,
}

/// A hash grid ready to evaluate: its features, where each level starts, and each feature's
/// range over the whole table (for bounds over boxes too large to visit).
#[derive(Clone, Debug)]
pub struct PreparedGrid {
    pub grid: HashGrid,
    pub offsets: Vec<usize>,
    pub ranges: Vec<[f32; 2]>,
    /// For an f16 grid with an even feature count: the values as stored, two f16 per word
    /// (features `2m` low, `2m + 1` high), so one 32-bit gather fetches two features from half
    /// the memory. Word `w` of a level starts at `offsets[l] / 2`.
    pub halves: Option<Vec<u32>>,
}

impl PreparedGrid {
    pub fn new(grid: &HashGrid) -> PreparedGrid {
        let offsets = grid.offsets();
        let halves =
            (grid.scheme == crate::Scheme::F16 && grid.features.is_multiple_of(2)).then(|| {
                grid.values
                    .chunks_exact(2)
                    .map(|p| {
                        let h = |v: f32| crate::quant::quantize_f16(v) as u32;
                        h(p[0]) | h(p[1]) << 16
                    })
                    .collect()
            });
        PreparedGrid {
            ranges: grid.ranges(&offsets),
            offsets,
            grid: grid.clone(),
            halves,
        }
    }

    /// Writes the grid features at network-frame `q` into `out[k · stride]`.
    #[inline(always)]
    pub fn encode(&self, q: [f32; 3], out: &mut [f32], stride: usize) {
        self.grid.encode(&self.offsets, q, out, stride)
    }

    /// `Σ_k g[k · stride] · ∂(feature k)/∂q`.
    #[inline(always)]
    pub fn backward(&self, q: [f32; 3], g: &[f32], stride: usize) -> [f32; 3] {
        self.grid.backward(&self.offsets, q, g, stride)
    }
}

/// A network ready to evaluate: encoding, dense layers and world transform.
#[derive(Clone, Debug)]
pub struct Network {
    pub encoding: Encoding,
    /// The hash grid, for [`Encoding::HashGrid`].
    pub grid: Option<PreparedGrid>,
    pub layers: Vec<Dense>,
    pub transform: Transform,
    /// Widest layer input or output, for scratch buffers.
    pub max_width: usize,
}

impl Network {
    /// Builds from a model whose shape has been checked (by the parser or `Model::check`).
    pub fn new(model: &Model) -> Network {
        let layers: Vec<Dense> = model
            .layers
            .iter()
            .map(|l| {
                let mut wt = vec![0.0; l.weights.len()];
                for o in 0..l.outputs {
                    for i in 0..l.inputs {
                        wt[i * l.outputs + o] = l.weights[o * l.inputs + i];
                    }
                }
                Dense {
                    inputs: l.inputs,
                    outputs: l.outputs,
                    activation: l.activation,
                    w: l.weights.clone(),
                    wt,
                    b: l.bias.clone(),
                }
            })
            .collect();
        let max_width = layers
            .iter()
            .map(|l| l.inputs.max(l.outputs))
            .max()
            .unwrap_or(1)
            .max(model.encoding.output_dim());
        Network {
            encoding: model.encoding,
            grid: model.grid.as_ref().map(PreparedGrid::new),
            layers,
            transform: model.transform,
            max_width,
        }
    }

    /// Upper bound on |∇distance| in world units, from the weights alone: the product over layers
    /// of the spectral norm (estimated from above by `sqrt(‖W‖₁ ‖W‖∞)`) times the activation's
    /// Lipschitz constant. Guaranteed, but usually loose; prefer the measured bound in `STAT`.
    pub fn lipschitz_bound(&self) -> f32 {
        let mut k = match self.encoding {
            Encoding::None => 1.0f64,
            // Each sin/cos pair at frequency 2^j π contributes (2^j π)² to ‖J‖²; plus the identity.
            Encoding::Fourier { frequencies } => (1.0
                + (0..frequencies)
                    .map(|j| (std::f64::consts::PI * 2f64.powi(j as i32)).powi(2))
                    .sum::<f64>())
            .sqrt(),
            // Along axis a, feature (l, f) changes at most by its range across a cell of width
            // 2/N_l: slope ≤ (N_l / 2) · range, on each of the three axes.
            Encoding::HashGrid { .. } => {
                let g = self
                    .grid
                    .as_ref()
                    .expect("a hash-grid network has its grid");
                let f = g.grid.features;
                let sum: f64 = g
                    .ranges
                    .iter()
                    .enumerate()
                    .map(|(k, r)| {
                        let n = g.grid.resolutions[k / f] as f64;
                        3.0 * (0.5 * n * (r[1] - r[0]) as f64).powi(2)
                    })
                    .sum();
                (1.0 + sum).sqrt()
            }
        };
        for l in &self.layers {
            let rows = (0..l.outputs)
                .map(|o| {
                    l.w[o * l.inputs..(o + 1) * l.inputs]
                        .iter()
                        .map(|w| w.abs() as f64)
                        .sum::<f64>()
                })
                .fold(0.0, f64::max);
            let cols = (0..l.inputs)
                .map(|i| {
                    l.wt[i * l.outputs..(i + 1) * l.outputs]
                        .iter()
                        .map(|w| w.abs() as f64)
                        .sum::<f64>()
                })
                .fold(0.0, f64::max);
            k *= (rows * cols).sqrt() * l.activation.lipschitz() as f64;
        }
        let t = &self.transform;
        (k * (t.scale as f64) * (t.distance_scale.abs() as f64)) as f32
    }
}

/// Writes the encoding of network-frame point `p` into `out[..encoding.output_dim()]`.
#[inline]
pub fn encode(net: &Network, p: [f32; 3], out: &mut [f32]) {
    out[..3].copy_from_slice(&p);
    if let Some(g) = &net.grid {
        g.encode(p, &mut out[3..], 1);
    }
    if let Encoding::Fourier { frequencies } = net.encoding {
        for k in 0..frequencies as usize {
            let f = std::f32::consts::PI * (1u32 << k) as f32;
            for a in 0..3 {
                let (s, c) = (f * p[a]).sin_cos();
                out[3 + 6 * k + a] = s;
                out[6 + 6 * k + a] = c;
            }
        }
    }
}

/// Chain rule through the encoding: given ∂f/∂(encoded input), returns ∂f/∂p (network frame).
#[inline]
pub fn encode_backward(net: &Network, p: [f32; 3], g_enc: &[f32]) -> [f32; 3] {
    let mut g = [g_enc[0], g_enc[1], g_enc[2]];
    if let Some(grid) = &net.grid {
        let d = grid.backward(p, &g_enc[3..], 1);
        for a in 0..3 {
            g[a] += d[a];
        }
    }
    if let Encoding::Fourier { frequencies } = net.encoding {
        for k in 0..frequencies as usize {
            let f = std::f32::consts::PI * (1u32 << k) as f32;
            for a in 0..3 {
                let (s, c) = (f * p[a]).sin_cos();
                g[a] += f * (c * g_enc[3 + 6 * k + a] - s * g_enc[6 + 6 * k + a]);
            }
        }
    }
    g
}
