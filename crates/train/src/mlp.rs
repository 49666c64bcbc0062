//! The network being trained: its parameters in one flat vector (what Adam updates), and the
//! forward and backward passes over one chunk of samples.
//!
//! Parameter layout, layer after layer: weights (row-major `outputs × inputs`, as in
//! [`nsdf::Layer`]) then biases. Activations are feature-major per chunk (see `kernels`).

use nsdf::{Activation, Encoding, HashGrid, Model};

use super::kernels::{Epilogue, Kernel, LANES};
use super::rng::Rng;

/// One dense layer's shape.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LayerShape {
    pub inputs: usize,
    pub outputs: usize,
    pub activation: Activation,
    /// Index of the first weight in the parameter vector; biases follow the weights.
    pub offset: usize,
}

impl LayerShape {
    fn weight_range(&self) -> std::ops::Range<usize> {
        self.offset..self.offset + self.inputs * self.outputs
    }
    fn bias_range(&self) -> std::ops::Range<usize> {
        let b = self.offset + self.inputs * self.outputs;
        b..b + self.outputs
    }
}

/// How the weights start. Measured on bunny_hr (40 epochs, defaults otherwise), surface error:
/// Glorot 0.00118, Torch 0.00187; geometric was no better than Glorot at width 32 (the sphere
/// it starts from is only rough for narrow layers, see its test).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Init {
    /// Glorot-uniform weights and zero biases: Keras' default, which Davies et al. used.
    Glorot,
    /// PyTorch's `nn.Linear` default: weights and biases uniform in ±1/√inputs.
    Torch,
    /// Geometric initialisation (Atzmon & Lipman, SAL): the network starts close to the signed
    /// distance of a sphere of this radius.
    Geometric { radius: f32 },
    /// SIREN's initialisation (Sitzmann et al. 2020, section 3.2) for `sin(ω0·z)` units: the
    /// first layer uniform in ±1/inputs, later ones in ±√(6/inputs)/ω0, so every layer's
    /// pre-activations stay spread over a few periods whatever the depth (Glorot's weights,
    /// multiplied by ω0 = 30, saturate into noise). Biases as PyTorch's default.
    Siren { omega0: f32 },
}

impl Init {
    /// The initialisation a network of hidden activation `a` trains from: SIREN's for sine
    /// units, Glorot's otherwise.
    pub fn for_activation(a: Activation) -> Init {
        match a {
            Activation::Sine(omega0) => Init::Siren { omega0 },
            _ => Init::Glorot,
        }
    }
}

/// A hash-grid encoding being trained: its features (what sparse Adam updates, apart from the
/// dense parameters) and where each level starts in them.
#[derive(Clone, Debug, PartialEq)]
pub struct Grid {
    pub grid: HashGrid,
    pub offsets: Vec<usize>,
}

/// A multilayer perceptron with a scalar output, behind its input encoding.
#[derive(Clone, Debug, PartialEq)]
pub struct Mlp {
    pub encoding: Encoding,
    pub layers: Vec<LayerShape>,
    pub params: Vec<f32>,
    /// The hash grid, for [`Encoding::HashGrid`].
    pub grid: Option<Grid>,
}

impl Mlp {
    /// The network of `model` (architecture and weights as they are in memory).
    pub fn from_model(model: &Model) -> Mlp {
        let mut layers = Vec::with_capacity(model.layers.len());
        let mut params = Vec::with_capacity(model.parameter_count());
        for l in &model.layers {
            layers.push(LayerShape {
                inputs: l.inputs,
                outputs: l.outputs,
                activation: l.activation,
                offset: params.len(),
            });
            params.extend_from_slice(&l.weights);
            params.extend_from_slice(&l.bias);
        }
        Mlp {
            encoding: model.encoding,
            layers,
            params,
            grid: model.grid.as_ref().map(|g| Grid {
                offsets: g.offsets(),
                grid: g.clone(),
            }),
        }
    }

    /// Writes this network's weights into `model`, which must have the same architecture.
    pub fn store_into(&self, model: &mut Model) {
        assert_eq!(
            model.layers.len(),
            self.layers.len(),
            "architecture mismatch"
        );
        for (l, s) in model.layers.iter_mut().zip(&self.layers) {
            assert_eq!(
                (l.inputs, l.outputs),
                (s.inputs, s.outputs),
                "architecture mismatch"
            );
            l.weights.copy_from_slice(&self.params[s.weight_range()]);
            l.bias.copy_from_slice(&self.params[s.bias_range()]);
        }
        if let (Some(g), Some(m)) = (&self.grid, &mut model.grid) {
            m.values.copy_from_slice(&g.grid.values);
        }
    }

    pub fn weights(&self, layer: usize) -> &[f32] {
        &self.params[self.layers[layer].weight_range()]
    }

    pub fn bias(&self, layer: usize) -> &[f32] {
        &self.params[self.layers[layer].bias_range()]
    }

    /// Width of the widest layer input or output (for scratch buffers).
    fn max_width(&self) -> usize {
        self.layers
            .iter()
            .map(|l| l.inputs.max(l.outputs))
            .max()
            .unwrap_or(1)
    }

    /// Sets the weights as `init` says, drawing from `seed`.
    pub fn initialize(&mut self, init: Init, seed: u64) {
        let mut rng = Rng::new(seed);
        let last = self.layers.len() - 1;
        for (index, s) in self.layers.clone().iter().enumerate() {
            let (n_in, n_out) = (s.inputs as f32, s.outputs as f32);
            let w = &mut self.params[s.weight_range()];
            match init {
                Init::Glorot => {
                    let limit = (6.0 / (n_in + n_out)).sqrt();
                    w.iter_mut().for_each(|w| *w = rng.uniform(-limit, limit));
                }
                Init::Torch => {
                    let limit = 1.0 / n_in.sqrt();
                    w.iter_mut().for_each(|w| *w = rng.uniform(-limit, limit));
                }
                Init::Siren { .. } if index == 0 => {
                    let limit = 1.0 / n_in;
                    w.iter_mut().for_each(|w| *w = rng.uniform(-limit, limit));
                }
                Init::Siren { omega0 } => {
                    let limit = (6.0 / n_in).sqrt() / omega0;
                    w.iter_mut().for_each(|w| *w = rng.uniform(-limit, limit));
                }
                Init::Geometric { .. } if index == last => {
                    let mean = std::f32::consts::PI.sqrt() / n_in.sqrt();
                    w.iter_mut().for_each(|w| *w = mean + 1e-4 * rng.normal());
                }
                Init::Geometric { .. } => {
                    let std = std::f32::consts::SQRT_2 / n_out.sqrt();
                    w.iter_mut().for_each(|w| *w = std * rng.normal());
                    if index == 0 && s.inputs > 3 {
                        // Encoded features start switched off, so the sphere survives them.
                        for row in w.chunks_mut(s.inputs) {
                            row[3..].fill(0.0);
                        }
                    }
                }
            }
            if index == 0 {
                if let Some(g) = &mut self.grid {
                    // instant-NGP's start: features near zero, so the grid begins as a small
                    // perturbation the network learns to use.
                    g.grid
                        .values
                        .iter_mut()
                        .for_each(|v| *v = rng.uniform(-1e-4, 1e-4));
                }
            }
            let b = &mut self.params[s.bias_range()];
            match init {
                Init::Torch | Init::Siren { .. } => {
                    let limit = 1.0 / n_in.sqrt();
                    b.iter_mut().for_each(|b| *b = rng.uniform(-limit, limit));
                }
                Init::Geometric { radius } if index == last => b.fill(-radius),
                _ => b.fill(0.0),
            }
        }
    }
}

/// Weights as the passes use them: possibly fake-quantized, with transposes for the backward
/// pass. Built once per optimizer step and shared by all chunks.
#[derive(Clone, Debug)]
pub struct Prepared {
    /// Per layer, `outputs × inputs`.
    pub weights: Vec<Vec<f32>>,
    /// Per layer, `inputs × outputs`.
    pub transposed: Vec<Vec<f32>>,
}

impl Prepared {
    /// `transform(index, layer, weights)` gives the weights the passes see (identity for plain
    /// f32).
    pub fn new(net: &Mlp, transform: impl Fn(usize, &LayerShape, &[f32]) -> Vec<f32>) -> Prepared {
        let weights: Vec<Vec<f32>> = net
            .layers
            .iter()
            .enumerate()
            .map(|(i, s)| transform(i, s, net.weights(i)))
            .collect();
        let transposed = net
            .layers
            .iter()
            .zip(&weights)
            .map(|(s, w)| {
                let mut t = vec![0.0; w.len()];
                for o in 0..s.outputs {
                    for i in 0..s.inputs {
                        t[i * s.outputs + o] = w[o * s.inputs + i];
                    }
                }
                t
            })
            .collect();
        Prepared {
            weights,
            transposed,
        }
    }

    /// The weights exactly as stored in `net`.
    pub fn plain(net: &Mlp) -> Prepared {
        Prepared::new(net, |_, _, w| w.to_vec())
    }
}

/// Scratch memory for one chunk of `chunk` samples (a multiple of 16).
#[derive(Clone, Debug)]
pub struct Workspace {
    chunk: usize,
    /// Samples loaded into `input` (the rest of the chunk is zero padding).
    valid: usize,
    /// Encoded inputs, `input_dim × chunk`.
    input: Vec<f32>,
    /// Per layer: pre-activations, kept only where the derivative needs them.
    z: Vec<Vec<f32>>,
    /// Per layer: outputs.
    a: Vec<Vec<f32>>,
    /// Two gradient buffers the backward pass alternates between.
    delta: [Vec<f32>; 2],
    /// ∂loss/∂(encoded input), `input_dim × chunk`: kept only for a hash grid, whose features
    /// are trained through it.
    d_input: Vec<f32>,
}

/// tanh by a rational approximation (Eigen's `generic_fast_tanh_float`, within 5e-7), which
/// the compiler vectorises; libm's `tanhf` cost 4 % of a training step on the output layer alone.
#[inline(always)]
fn fast_tanh(x: f32) -> f32 {
    const CLAMP: f32 = 7.905_311;
    const A: [f32; 7] = [
        4.893_524_6e-3,
        6.372_619e-4,
        1.485_722_4e-5,
        5.122_297e-8,
        -8.604_672e-11,
        2.000_188e-13,
        -2.760_768_5e-16,
    ];
    const B: [f32; 4] = [4.893_525e-3, 2.268_434_7e-3, 1.185_347_1e-4, 1.198_258_4e-6];
    let x = x.clamp(-CLAMP, CLAMP);
    let x2 = x * x;
    let mut p = A[6];
    for &a in A[..6].iter().rev() {
        p = p * x2 + a;
    }
    let q = ((B[3] * x2 + B[2]) * x2 + B[1]) * x2 + B[0];
    let t = x * p / q;
    if x.abs() < 4e-4 {
        x
    } else {
        t
    }
}

/// `act` applied to `z`, with the fast tanh.
#[inline(always)]
fn activate(act: Activation, z: f32) -> f32 {
    match act {
        Activation::Tanh => fast_tanh(z),
        other => other.apply(z),
    }
}

/// Whether a layer's backward pass needs its pre-activations (ReLU's needs only its output).
fn keeps_z(a: Activation) -> bool {
    !matches!(
        a,
        Activation::Relu | Activation::Identity | Activation::Tanh
    )
}

/// Derivative of `act` at pre-activation `z` whose output is `a`.
#[inline(always)]
fn derivative(act: Activation, z: f32, a: f32) -> f32 {
    match act {
        Activation::Relu => (a > 0.0) as u32 as f32,
        Activation::Identity => 1.0,
        Activation::Tanh => 1.0 - a * a,
        other => other.derivative(z),
    }
}

impl Workspace {
    /// Scratch for `net` in chunks of `chunk` samples (rounded up to a multiple of 16).
    pub fn new(net: &Mlp, chunk: usize) -> Workspace {
        let chunk = chunk.max(1).next_multiple_of(LANES);
        let buf = |n: usize| vec![0.0f32; n * chunk];
        Workspace {
            chunk,
            valid: 0,
            input: buf(net.encoding.output_dim()),
            z: net
                .layers
                .iter()
                .map(|l| {
                    if keeps_z(l.activation) {
                        buf(l.outputs)
                    } else {
                        Vec::new()
                    }
                })
                .collect(),
            a: net.layers.iter().map(|l| buf(l.outputs)).collect(),
            delta: [buf(net.max_width()), buf(net.max_width())],
            d_input: if net.grid.is_some() {
                buf(net.encoding.output_dim())
            } else {
                Vec::new()
            },
        }
    }

    pub fn chunk(&self) -> usize {
        self.chunk
    }

    /// Loads up to `chunk` points (encoded as `net`'s encoding says); the rest of the chunk is
    /// zeroed.
    pub fn load(&mut self, net: &Mlp, points: &[[f32; 3]]) {
        let encoding = net.encoding;
        let c = self.chunk;
        assert!(points.len() <= c, "more points than the chunk holds");
        self.valid = points.len();
        for row in self.input.chunks_mut(c) {
            row[points.len()..].fill(0.0);
        }
        for (j, row) in self.input.chunks_mut(c).take(3).enumerate() {
            for (v, p) in row.iter_mut().zip(points) {
                *v = p[j];
            }
        }
        if let Some(g) = &net.grid {
            // Rows 3.. from rows 0..3, all points of the chunk at once.
            let (xyz, features) = self.input.split_at_mut(3 * c);
            let n = points.len();
            let q = [&xyz[..n], &xyz[c..c + n], &xyz[2 * c..2 * c + n]];
            g.grid.encode_rows(&g.offsets, q, features, c);
        }
        if let Encoding::Fourier { frequencies } = encoding {
            for f in 0..frequencies as usize {
                let w = std::f32::consts::PI * (1u32 << f.min(31)) as f32;
                for (t, p) in points.iter().enumerate() {
                    for (j, &x) in p.iter().enumerate() {
                        let (s, co) = (w * x).sin_cos();
                        self.input[(3 + 6 * f + j) * c + t] = s;
                        self.input[(6 + 6 * f + j) * c + t] = co;
                    }
                }
            }
        }
    }

    /// Network outputs of the loaded points (valid after [`forward`]).
    pub fn output(&self) -> &[f32] {
        &self.a[self.a.len() - 1][..self.valid]
    }

    /// Number of points loaded.
    pub fn valid(&self) -> usize {
        self.valid
    }

    /// Outputs of layer `l` (`outputs × chunk`, valid after [`forward`]).
    pub fn activations(&self, l: usize) -> &[f32] {
        &self.a[l]
    }

    /// Pre-activations of layer `l` where its activation needs them kept (sine units), else
    /// empty.
    pub fn pre_activations(&self, l: usize) -> &[f32] {
        &self.z[l]
    }
}

/// Forward pass over the loaded chunk; [`Workspace::output`] then holds the network's values.
pub fn forward(net: &Mlp, weights: &Prepared, ws: &mut Workspace, kernel: Kernel) {
    let c = ws.chunk;
    for (l, s) in net.layers.iter().enumerate() {
        let (done, rest) = ws.a.split_at_mut(l);
        let x: &[f32] = if l == 0 { &ws.input } else { &done[l - 1] };
        let a = &mut rest[0];
        let (w, b) = (&weights.weights[l], net.bias(l));
        match s.activation {
            Activation::Relu => {
                kernel.matmul(w, Some(b), x, a, s.outputs, s.inputs, c, Epilogue::Relu)
            }
            Activation::Identity => {
                kernel.matmul(w, Some(b), x, a, s.outputs, s.inputs, c, Epilogue::Store)
            }
            act => {
                let z = if keeps_z(act) { &mut ws.z[l] } else { &mut *a };
                kernel.matmul(w, Some(b), x, z, s.outputs, s.inputs, c, Epilogue::Store);
                if keeps_z(act) {
                    kernel.activate(act, &ws.z[l], a);
                } else {
                    a.iter_mut().for_each(|v| *v = activate(act, *v));
                }
            }
        }
    }
}

/// Backward pass: given `d_output[t]` = ∂loss/∂(network output) for each loaded sample, writes
/// ∂loss/∂params into `grad` (laid out like `net.params`, overwritten). Call after [`forward`].
pub fn backward(
    net: &Mlp,
    weights: &Prepared,
    ws: &mut Workspace,
    d_output: &[f32],
    grad: &mut [f32],
    kernel: Kernel,
) {
    backward_with(net, weights, ws, d_output, None, grad, kernel)
}

/// [`backward`], adding `extra[l]` (`outputs × chunk`, per hidden layer) to ∂loss/∂z of hidden
/// layer `l`: the terms a loss on the input gradient sends through the curvature of sine units
/// ([`super::input_gradient`]).
pub fn backward_with(
    net: &Mlp,
    weights: &Prepared,
    ws: &mut Workspace,
    d_output: &[f32],
    extra: Option<&[Vec<f32>]>,
    grad: &mut [f32],
    kernel: Kernel,
) {
    let c = ws.chunk;
    let last = net.layers.len() - 1;
    let out = &net.layers[last];
    assert_eq!(out.outputs, 1, "the network must have one output");
    assert!(d_output.len() >= ws.valid && grad.len() == net.params.len());
    let [cur, prev] = &mut ws.delta;
    // Gradient at the output layer's pre-activation; padding samples contribute nothing.
    cur[..c].fill(0.0);
    let a_out = &ws.a[last];
    for t in 0..ws.valid {
        let z = if keeps_z(out.activation) {
            ws.z[last][t]
        } else {
            0.0
        };
        cur[t] = d_output[t] * derivative(out.activation, z, a_out[t]);
    }
    for l in (0..=last).rev() {
        let s = &net.layers[l];
        let x: &[f32] = if l == 0 { &ws.input } else { &ws.a[l - 1] };
        let (dw, db) = grad[s.offset..s.bias_range().end].split_at_mut(s.inputs * s.outputs);
        kernel.weight_grad(cur, x, dw, db, s.outputs, s.inputs, c);
        if l == 0 {
            if net.grid.is_some() {
                let wt = &weights.transposed[0];
                let d = &mut ws.d_input;
                kernel.matmul(wt, None, cur, d, s.inputs, s.outputs, c, Epilogue::Store);
            }
            break;
        }
        // ∂loss/∂a[l-1] = Wᵀ · δ, times the derivative of layer l-1's activation.
        let below = net.layers[l - 1].activation;
        let wt = &weights.transposed[l];
        match below {
            Activation::Relu => kernel.matmul(
                wt,
                None,
                cur,
                prev,
                s.inputs,
                s.outputs,
                c,
                Epilogue::MaskPositive(&ws.a[l - 1]),
            ),
            act => {
                kernel.matmul(wt, None, cur, prev, s.inputs, s.outputs, c, Epilogue::Store);
                if act != Activation::Identity {
                    let n = s.inputs * c;
                    let zs: &[f32] = if keeps_z(act) {
                        &ws.z[l - 1]
                    } else {
                        &ws.a[l - 1]
                    };
                    if keeps_z(act) {
                        kernel.times_derivative(act, &zs[..n], &mut prev[..n]);
                    } else {
                        for ((d, &z), &a) in prev[..n].iter_mut().zip(zs).zip(&ws.a[l - 1][..n]) {
                            *d *= derivative(act, z, a);
                        }
                    }
                }
            }
        }
        if let Some(e) = extra.and_then(|e| e.get(l - 1)).filter(|e| !e.is_empty()) {
            let n = s.inputs * c;
            prev[..n].iter_mut().zip(&e[..n]).for_each(|(d, e)| *d += e);
        }
        std::mem::swap(cur, prev);
    }
}

/// The hash grid's part of the gradient after [`backward`]: `(value index, ∂loss/∂value)` for
/// every corner feature the loaded samples touched, appended to `out` in sample order (the
/// same index may repeat; the optimizer sums them).
pub fn grid_gradient(net: &Mlp, ws: &Workspace, out: &mut Vec<(u32, f32)>) {
    let Some(g) = &net.grid else { return };
    let (c, f) = (ws.chunk, g.grid.features);
    for t in 0..ws.valid {
        let q = [ws.input[t], ws.input[c + t], ws.input[2 * c + t]];
        for (l, &n) in g.grid.resolutions.iter().enumerate() {
            let start = g.offsets[l];
            let cell = nsdf::grid::cell(n, (g.offsets[l + 1] - start) / f, q);
            for k in 0..f {
                let d = ws.d_input[(3 + l * f + k) * c + t];
                if d == 0.0 {
                    continue;
                }
                for (&i, &w) in cell.index.iter().zip(&cell.weight) {
                    out.push(((start + i as usize * f + k) as u32, w * d));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small_net(hidden: Activation, output: Activation, encoding: Encoding, seed: u64) -> Mlp {
        let model = Model::zeros(encoding, &[12, 9, 7], hidden, output);
        let mut net = Mlp::from_model(&model);
        let mut rng = Rng::new(seed);
        net.params
            .iter_mut()
            .for_each(|p| *p = rng.uniform(-0.6, 0.6));
        net
    }

    fn points(n: usize, seed: u64) -> Vec<[f32; 3]> {
        let mut rng = Rng::new(seed);
        (0..n).map(|_| rng.in_cube(1.0)).collect()
    }

    /// Σ_t d_output[t] · f(p_t) in f64, straight from the model's definition.
    fn objective(net: &Mlp, params: &[f64], pts: &[[f32; 3]], d_output: &[f32]) -> f64 {
        let mut total = 0.0;
        for (p, &g) in pts.iter().zip(d_output) {
            let mut x: Vec<f64> = p.iter().map(|&v| v as f64).collect();
            if let Encoding::Fourier { frequencies } = net.encoding {
                for f in 0..frequencies {
                    let w = std::f64::consts::PI * 2f64.powi(f as i32);
                    let q: Vec<f64> = x[..3].to_vec();
                    x.extend(q.iter().map(|v| (w * v).sin()));
                    x.extend(q.iter().map(|v| (w * v).cos()));
                }
            }
            for s in &net.layers {
                let w = &params[s.weight_range()];
                let b = &params[s.bias_range()];
                x = (0..s.outputs)
                    .map(|o| {
                        let z = b[o]
                            + (0..s.inputs)
                                .map(|i| w[o * s.inputs + i] * x[i])
                                .sum::<f64>();
                        match s.activation {
                            Activation::Relu => z.max(0.0),
                            Activation::Identity => z,
                            Activation::Tanh => z.tanh(),
                            Activation::LeakyRelu(a) => {
                                if z >= 0.0 {
                                    z
                                } else {
                                    a as f64 * z
                                }
                            }
                            Activation::Sine(w) => (w as f64 * z).sin(),
                        }
                    })
                    .collect();
            }
            total += g as f64 * x[0];
        }
        total
    }

    /// The hash grid's sparse gradient against central differences of the forward pass, for
    /// features of every level (dense and hashed), through tanh units (smooth, so a step of
    /// 1e-2 is exact to its square).
    #[test]
    fn grid_gradient_matches_finite_differences() {
        let grid = nsdf::HashGrid::geometric(3, 2, 6, 2, 9, nsdf::Scheme::F32);
        let model = Model::with_grid(grid, &[8], Activation::Tanh, Activation::Identity);
        let mut net = Mlp::from_model(&model);
        let mut rng = Rng::new(4);
        net.params
            .iter_mut()
            .for_each(|p| *p = rng.uniform(-0.6, 0.6));
        if let Some(g) = &mut net.grid {
            g.grid
                .values
                .iter_mut()
                .for_each(|v| *v = rng.uniform(-0.5, 0.5));
        }
        let pts = points(40, 9);
        let d_output: Vec<f32> = (0..pts.len()).map(|_| rng.uniform(-1.0, 1.0)).collect();
        let kernel = Kernel::detect();
        let objective = |net: &Mlp| {
            let mut ws = Workspace::new(net, 64);
            ws.load(net, &pts);
            forward(net, &Prepared::plain(net), &mut ws, kernel);
            ws.output()
                .iter()
                .zip(&d_output)
                .map(|(&f, &g)| f as f64 * g as f64)
                .sum::<f64>()
        };
        let mut ws = Workspace::new(&net, 64);
        let prepared = Prepared::plain(&net);
        ws.load(&net, &pts);
        forward(&net, &prepared, &mut ws, kernel);
        let mut grad = vec![0.0; net.params.len()];
        backward(&net, &prepared, &mut ws, &d_output, &mut grad, kernel);
        let mut sparse = Vec::new();
        grid_gradient(&net, &ws, &mut sparse);
        let count = net.grid.as_ref().unwrap().grid.values.len();
        let mut analytic = vec![0.0f64; count];
        for (i, g) in sparse {
            analytic[i as usize] += g as f64;
        }
        let touched = analytic.iter().filter(|g| **g != 0.0).count();
        assert!(
            touched > count / 4,
            "only {touched} of {count} features reached"
        );
        for i in (0..count).step_by(7) {
            let h = 1e-2;
            let nudge = |d: f32| {
                let mut n = net.clone();
                n.grid.as_mut().unwrap().grid.values[i] += d;
                objective(&n)
            };
            let numeric = (nudge(h) - nudge(-h)) / (2.0 * h as f64);
            assert!(
                (analytic[i] - numeric).abs() <= 1e-2 * (1.0 + numeric.abs()),
                "grid value {i}: backward {}, finite difference {numeric}",
                analytic[i]
            );
        }
    }

    /// The backward pass against central finite differences of an f64 evaluation, for every
    /// parameter, every kernel and several activations.
    #[test]
    fn gradient_matches_finite_differences() {
        let cases = [
            (Activation::Relu, Activation::Tanh, Encoding::None),
            (Activation::Tanh, Activation::Identity, Encoding::None),
            (
                Activation::LeakyRelu(0.1),
                Activation::Tanh,
                Encoding::Fourier { frequencies: 2 },
            ),
            (Activation::Sine(3.0), Activation::Identity, Encoding::None),
        ];
        for (case, &(hidden, output, encoding)) in cases.iter().enumerate() {
            let net = small_net(hidden, output, encoding, case as u64);
            let pts = points(21, 100 + case as u64);
            let mut rng = Rng::new(7);
            let d_output: Vec<f32> = (0..pts.len()).map(|_| rng.uniform(-1.0, 1.0)).collect();
            let p64: Vec<f64> = net.params.iter().map(|&p| p as f64).collect();
            let h = 1e-5;
            let numeric: Vec<f64> = (0..p64.len())
                .map(|j| {
                    let (mut up, mut down) = (p64.clone(), p64.clone());
                    up[j] += h;
                    down[j] -= h;
                    (objective(&net, &up, &pts, &d_output)
                        - objective(&net, &down, &pts, &d_output))
                        / (2.0 * h)
                })
                .collect();
            for kernel in Kernel::available() {
                let mut ws = Workspace::new(&net, 32);
                let prepared = Prepared::plain(&net);
                ws.load(&net, &pts);
                forward(&net, &prepared, &mut ws, kernel);
                let mut grad = vec![f32::NAN; net.params.len()];
                backward(&net, &prepared, &mut ws, &d_output, &mut grad, kernel);
                for (j, (&g, &n)) in grad.iter().zip(&numeric).enumerate() {
                    let tol = 2e-3 * (1.0 + n.abs());
                    assert!(
                        (g as f64 - n).abs() <= tol,
                        "case {case} ({kernel}): parameter {j}: backward {g}, finite difference {n}"
                    );
                }
            }
        }
    }

    #[test]
    fn forward_matches_the_runtime() {
        let mut model = Model::davies();
        let mut net = Mlp::from_model(&model);
        net.initialize(Init::Glorot, 3);
        net.store_into(&mut model);
        let shape = nsdf::Shape::from_model(model.clone()).expect("valid model");
        let pts = points(100, 4);
        let mut ws = Workspace::new(&net, 128);
        ws.load(&net, &pts);
        forward(&net, &Prepared::plain(&net), &mut ws, Kernel::detect());
        for (p, &f) in pts.iter().zip(ws.output()) {
            assert!((shape.distance(*p) - f).abs() < 1e-5);
        }
        assert_eq!(Mlp::from_model(&model), net);
    }

    #[test]
    fn fast_tanh_is_within_5e_7() {
        let mut worst = 0.0f32;
        for i in -200_000..=200_000 {
            let x = i as f32 * 5e-5;
            worst = worst.max((fast_tanh(x) - x.tanh()).abs());
        }
        assert!(worst < 5e-7, "max error {worst}");
        assert!((fast_tanh(50.0) - 1.0).abs() < 1e-7 && (fast_tanh(-50.0) + 1.0).abs() < 1e-7);
        assert!(fast_tanh(f32::INFINITY) <= 1.0 && fast_tanh(f32::NEG_INFINITY) >= -1.0);
    }

    /// SAL's geometric initialisation makes the field approximate |x| − r in expectation over
    /// the random weights, exactly so only for wide layers: at width 32 the average radial
    /// profile is about tanh(0.8|x| − r). It must start at tanh(−r), rise steadily and cross zero
    /// near r.
    #[test]
    fn geometric_init_starts_near_a_sphere_on_average() {
        let mut net = Mlp::from_model(&Model::davies());
        let mut rng = Rng::new(2);
        let dirs: Vec<[f32; 3]> = (0..64).map(|_| rng.direction()).collect();
        let radii = [0.0f32, 0.25, 0.5, 0.75, 1.0];
        let seeds = 32;
        let mut mean = [0.0f32; 5];
        for seed in 0..seeds {
            net.initialize(Init::Geometric { radius: 0.5 }, seed);
            for (m, &r) in mean.iter_mut().zip(&radii) {
                let pts: Vec<[f32; 3]> = dirs.iter().map(|d| d.map(|x| x * r)).collect();
                let mut ws = Workspace::new(&net, pts.len());
                ws.load(&net, &pts);
                forward(&net, &Prepared::plain(&net), &mut ws, Kernel::detect());
                *m += ws.output().iter().sum::<f32>() / (pts.len() * seeds as usize) as f32;
            }
        }
        assert!((mean[0] - (-0.5f32).tanh()).abs() < 0.02, "{mean:?}");
        assert!(mean.windows(2).all(|w| w[1] - w[0] > 0.1), "{mean:?}");
        assert!(mean[1] < 0.0 && mean[3] > 0.0, "{mean:?}");
    }
}
