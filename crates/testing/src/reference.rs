//! The f64 reference evaluator, written from the spec alone (no `nsdf::eval`): distance and
//! reverse-mode gradient of a model at a point. The expected outputs of the test vectors, the
//! conformance tests of every backend and the round-trip tests compare against it, so they check
//! the runtime rather than echo it. It evaluates the weights it is given: for what a file
//! stores, pass [`crate::as_stored`] of a model or a parsed model.

use nsdf::{Activation, Encoding, Model};

/// Distance, world-space gradient, and how close the point is to a kink.
pub struct Eval {
    pub distance: f64,
    pub gradient: [f64; 3],
    /// Smallest |pre-activation| of a ReLU or leaky-ReLU unit: near 0, a tiny rounding
    /// difference flips the unit and the gradient jumps, so vector points keep away from it.
    pub kink_margin: f64,
    /// The same relative to the unit's terms: the smallest |z| / (|b| + Σ|w·x|) over ReLU-type
    /// units (infinite without any). f32 rounding can flip a unit when this is within a few
    /// hundred unit roundoffs.
    pub kink: f64,
    /// `|distance_scale| · (|b| + Σ|w·x|)` of the output unit: the size of the terms the last
    /// sum adds up, which bounds how exact any f32 evaluation of the distance can be.
    pub magnitude: f64,
}

fn act(a: Activation, z: f64) -> f64 {
    match a {
        Activation::Identity => z,
        Activation::Relu => z.max(0.0),
        Activation::LeakyRelu(s) => {
            if z >= 0.0 {
                z
            } else {
                s as f64 * z
            }
        }
        Activation::Tanh => z.tanh(),
        Activation::Sine(w) => (w as f64 * z).sin(),
    }
}

fn slope(a: Activation, z: f64) -> f64 {
    match a {
        Activation::Identity => 1.0,
        Activation::Relu => (z > 0.0) as u8 as f64,
        Activation::LeakyRelu(s) => {
            if z > 0.0 {
                1.0
            } else {
                s as f64
            }
        }
        Activation::Tanh => 1.0 - z.tanh().powi(2),
        Activation::Sine(w) => w as f64 * (w as f64 * z).cos(),
    }
}

/// One level's cell around a point, in f64: corner values, trilinear weights and their
/// derivatives along each axis (times `slope`, `∂s/∂q`).
struct GridCell {
    values: [[f64; 8]; 8],
    weight: [f64; 8],
    dweight: [[f64; 8]; 3],
    slope: [f64; 3],
    /// Distance from the point to the nearest face of its cell, in network units.
    face_margin: f64,
}

/// The cells of every level at network-frame `q` (spec §3.6 in exact arithmetic; the vertex
/// indexing is integer, [`nsdf::grid::vertex_index`]).
fn grid_cells(g: &nsdf::HashGrid, q: [f64; 3]) -> Vec<GridCell> {
    let offsets = g.offsets();
    (0..g.levels())
        .map(|l| {
            let n = g.resolutions[l];
            let table = &g.values[offsets[l]..offsets[l + 1]];
            let entries = table.len() / g.features;
            let mut i = [0u32; 3];
            let mut w = [0.0f64; 3];
            let mut slope = [0.0; 3];
            let mut face_margin = f64::INFINITY;
            for a in 0..3 {
                let s = ((q[a] + 1.0) * 0.5).clamp(0.0, 1.0) * n as f64;
                i[a] = (s.floor() as u32).min(n - 1);
                w[a] = s - i[a] as f64;
                if q[a] > -1.0 && q[a] < 1.0 {
                    slope[a] = 0.5 * n as f64;
                    face_margin = face_margin.min(w[a].min(1.0 - w[a]) * 2.0 / n as f64);
                }
            }
            let mut cell = GridCell {
                values: [[0.0; 8]; 8],
                weight: [0.0; 8],
                dweight: [[0.0; 8]; 3],
                slope,
                face_margin,
            };
            for c in 0..8 {
                let bit = |a: usize| c >> a & 1 == 1;
                let v = [0, 1, 2].map(|a| i[a] + bit(a) as u32);
                let e = nsdf::grid::vertex_index(n, entries, v) as usize * g.features;
                for k in 0..g.features {
                    cell.values[c][k] = table[e + k] as f64;
                }
                let t = |a: usize| if bit(a) { w[a] } else { 1.0 - w[a] };
                let sign = |a: usize| if bit(a) { 1.0 } else { -1.0 };
                cell.weight[c] = t(0) * t(1) * t(2);
                cell.dweight[0][c] = sign(0) * t(1) * t(2);
                cell.dweight[1][c] = sign(1) * t(0) * t(2);
                cell.dweight[2][c] = sign(2) * t(0) * t(1);
            }
            cell
        })
        .collect()
}

/// Frequencies of the Fourier encoding: π·2^k.
fn frequency(k: u32) -> f64 {
    std::f64::consts::PI * 2f64.powi(k as i32)
}

/// Distance and gradient at `p` (world space).
pub fn eval(m: &Model, p: [f32; 3]) -> Eval {
    eval64(m, p.map(|x| x as f64))
}

/// [`eval`] at an f64 point (for finite differences).
pub fn eval64(m: &Model, p: [f64; 3]) -> Eval {
    let t = &m.transform;
    let q: [f64; 3] = std::array::from_fn(|i| t.scale as f64 * p[i] + t.translation[i] as f64);
    let mut x = q.to_vec();
    if let Encoding::Fourier { frequencies } = m.encoding {
        for k in 0..frequencies {
            x.extend(q.iter().map(|v| (frequency(k) * v).sin()));
            x.extend(q.iter().map(|v| (frequency(k) * v).cos()));
        }
    }
    let mut pre = Vec::with_capacity(m.layers.len());
    let (mut kink_margin, mut kink, mut magnitude) = (f64::INFINITY, f64::INFINITY, 0.0);
    let cells: Vec<GridCell> = match &m.grid {
        Some(g) => grid_cells(g, q),
        None => Vec::new(),
    };
    if let Some(g) = &m.grid {
        let f = g.features;
        for c in &cells {
            // A cell face is a kink of the interpolation: the gradient jumps across it.
            kink_margin = kink_margin.min(c.face_margin);
            kink = kink.min(c.face_margin);
            for k in 0..f {
                x.push((0..8).map(|v| c.weight[v] * c.values[v][k]).sum());
            }
        }
    }
    for l in &m.layers {
        let row = |o: usize| &l.weights[o * l.inputs..(o + 1) * l.inputs];
        let z: Vec<f64> = (0..l.outputs)
            .map(|o| {
                l.bias[o] as f64
                    + row(o)
                        .iter()
                        .zip(&x)
                        .map(|(&w, &v)| w as f64 * v)
                        .sum::<f64>()
            })
            .collect();
        // |b| + Σ|w·x|: the size of the terms each unit sums.
        let terms: Vec<f64> = (0..l.outputs)
            .map(|o| {
                (l.bias[o] as f64).abs()
                    + row(o)
                        .iter()
                        .zip(&x)
                        .map(|(&w, &v)| (w as f64 * v).abs())
                        .sum::<f64>()
            })
            .collect();
        if matches!(l.activation, Activation::Relu | Activation::LeakyRelu(_)) {
            kink_margin = z.iter().fold(kink_margin, |m, z| m.min(z.abs()));
            for (z, s) in z.iter().zip(&terms) {
                if *s > 0.0 {
                    kink = kink.min(z.abs() / s);
                }
            }
        }
        magnitude = terms[0];
        x = z.iter().map(|&z| act(l.activation, z)).collect();
        pre.push(z);
    }
    // Reverse mode: g = ∂f/∂(layer output), from the last layer back to the encoded input.
    let mut g = vec![1.0f64];
    for (l, z) in m.layers.iter().zip(&pre).rev() {
        let gz: Vec<f64> = g
            .iter()
            .zip(z)
            .map(|(g, &z)| g * slope(l.activation, z))
            .collect();
        g = (0..l.inputs)
            .map(|i| {
                (0..l.outputs)
                    .map(|o| l.weights[o * l.inputs + i] as f64 * gz[o])
                    .sum()
            })
            .collect();
    }
    let mut gq = [g[0], g[1], g[2]];
    if let Some(grid) = &m.grid {
        let f = grid.features;
        for (l, c) in cells.iter().enumerate() {
            for (a, gq) in gq.iter_mut().enumerate() {
                for k in 0..f {
                    *gq += g[3 + l * f + k]
                        * c.slope[a]
                        * (0..8)
                            .map(|v| c.dweight[a][v] * c.values[v][k])
                            .sum::<f64>();
                }
            }
        }
    }
    if let Encoding::Fourier { frequencies } = m.encoding {
        for k in 0..frequencies as usize {
            let f = frequency(k as u32);
            for a in 0..3 {
                let (s, c) = (f * q[a]).sin_cos();
                gq[a] += f * (c * g[3 + 6 * k + a] - s * g[6 + 6 * k + a]);
            }
        }
    }
    let ds = t.distance_scale as f64;
    Eval {
        distance: ds * x[0],
        gradient: gq.map(|g| ds * t.scale as f64 * g),
        kink_margin,
        kink,
        magnitude: ds.abs() * magnitude,
    }
}

/// The reference distance at `p`.
pub fn reference_distance(m: &Model, p: [f32; 3]) -> f64 {
    eval(m, p).distance
}

/// [`reference_distance`] at an f64 point (for finite differences).
pub fn reference_distance64(m: &Model, p: [f64; 3]) -> f64 {
    eval64(m, p).distance
}
