//! The hostile-input oracle, what must hold for any bytes at all: [`check_bytes`] is run on
//! hostile files by `tests/hostile.rs` and by the fuzz target (`fuzz/fuzz_targets/parse.rs`).
//!
//! When must an evaluation be finite? A file may hold finite weights so large that f32
//! arithmetic overflows (a valid file: the spec bounds shapes, not magnitudes), so "the result is
//! finite" is only an honest assertion where overflow is impossible. [`magnitude_bound`] gives,
//! in f64, an upper bound on every intermediate |value| an f32 evaluation of distance and gradient
//! at `p` can produce; below [`SAFE`] the result must be finite.

use nsdf::{Activation, Backend, Encoding, Model, Scheme, Severity, Shape};

/// What [`check_bytes`] found.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Rejected(&'static str),
    /// Parsed; evaluation was asserted finite at this many probe points.
    Parsed {
        asserted: usize,
    },
}

/// Parses, validates and (if it parsed) re-writes and evaluates `bytes`, asserting that
/// - `parse` fails iff `validate` reports an error, and with the same first code and offset;
/// - a parsed model can be written again, and the rewrite parses (to the same model, when no
///   layer is int8 or int4: the writer re-derives their scales from each row's largest weight);
/// - evaluation is finite wherever overflow is impossible.
pub fn check_bytes(bytes: &[u8]) -> Outcome {
    let all: Vec<Backend> = Backend::ALL
        .iter()
        .copied()
        .filter(|b| b.is_available())
        .collect();
    check_bytes_on(bytes, &all)
}

/// [`check_bytes`], evaluating with the given backends only.
pub fn check_bytes_on(bytes: &[u8], backends: &[Backend]) -> Outcome {
    // `Shape::from_bytes` is `parse` plus the evaluator's layout.
    let shape = Shape::from_bytes(bytes);
    let issues = nsdf::validate(bytes);
    let first_error = issues.iter().find(|i| i.severity == Severity::Error);
    let shape = match (shape, first_error) {
        (Err(e), Some(i)) => {
            assert_eq!(
                (e.code(), e.offset()),
                (i.code, i.offset),
                "parse and validate disagree: {e} / {}",
                i.message
            );
            return Outcome::Rejected(e.code());
        }
        (Err(e), None) => panic!("parse fails ({e}) but validate reports no error"),
        (Ok(_), Some(i)) => panic!("parse succeeds but validate reports {}", i.message),
        (Ok(shape), None) => shape,
    };
    // `to_bytes` parses its output before returning it.
    let model = shape.model();
    let rewritten =
        nsdf::to_bytes(model).unwrap_or_else(|e| panic!("a parsed model must write: {e}"));
    // The writer re-derives int8, int8h and int4 scales from each row's largest weight: a file whose
    // rows do not reach ±127 (±7) is valid but rewrites to other scales (found by fuzzing an
    // int4 file), and int8 may move a scale by one ulp (spec "Quantization").
    if model
        .layers
        .iter()
        .all(|l| matches!(l.scheme, Scheme::F32 | Scheme::F16))
    {
        assert_eq!(
            &nsdf::parse(&rewritten).unwrap().model,
            model,
            "rewriting changed the model"
        );
    }
    Outcome::Parsed {
        asserted: check_evaluation(&shape, backends),
    }
}

/// Far below f32::MAX (3.4e38), leaving room for rounding growth in sums of up to 4096 terms
/// over up to 64 layers.
pub const SAFE: f64 = 1e30;

/// Largest |slope| of an activation.
fn slope(a: Activation) -> f64 {
    match a {
        Activation::Identity | Activation::Relu | Activation::Tanh => 1.0,
        Activation::LeakyRelu(s) => (s as f64).abs().max(1.0),
        Activation::Sine(w) => (w as f64).abs(),
    }
}

pub fn magnitude_bound(m: &Model, p: [f32; 3]) -> f64 {
    let t = &m.transform;
    let mut big = 0.0f64;
    let mut see = |v: f64| big = big.max(v);
    let q: Vec<f64> = (0..3)
        .map(|i| {
            let s = (t.scale as f64 * p[i] as f64).abs();
            see(s);
            s + (t.translation[i] as f64).abs()
        })
        .collect();
    q.iter().for_each(|&v| see(v));
    let mut x = q.clone();
    if let Encoding::Fourier { frequencies } = m.encoding {
        for k in 0..frequencies {
            let f = std::f64::consts::PI * 2f64.powi(k as i32);
            q.iter().for_each(|&v| see(f * v));
            x.extend([1.0; 6]);
        }
    }
    // Grid features are convex combinations of a level's values: at most its largest |value|;
    // their slope along an axis at most (N/2) · 4 · that (four corner pairs differ).
    let grid_most: Vec<(f64, f64)> = match &m.grid {
        Some(g) => {
            let offsets = g.offsets();
            (0..g.levels())
                .flat_map(|l| {
                    let most = g.values[offsets[l]..offsets[l + 1]]
                        .iter()
                        .fold(0.0f64, |a, &v| a.max((v as f64).abs()));
                    let n = g.resolutions[l] as f64;
                    see(n);
                    std::iter::repeat_n((most, 2.0 * n * most), g.features)
                })
                .collect()
        }
        None => Vec::new(),
    };
    x.extend(grid_most.iter().map(|&(most, _)| most));
    // Forward: |z| ≤ |b| + Σ|w||x|, |σ(z)| ≤ slope·|z| (σ(0) = 0 for every activation) or 1.
    for l in &m.layers {
        x = (0..l.outputs)
            .map(|o| {
                let row = &l.weights[o * l.inputs..(o + 1) * l.inputs];
                let z = (l.bias[o] as f64).abs()
                    + row
                        .iter()
                        .zip(&x)
                        .map(|(w, v)| (*w as f64).abs() * v)
                        .sum::<f64>();
                see(z);
                see(z * slope(l.activation));
                match l.activation {
                    Activation::Tanh | Activation::Sine(_) => 1.0,
                    a => z * slope(a),
                }
            })
            .collect();
    }
    see((t.distance_scale as f64).abs() * x[0]);
    // Backward: |∂f/∂x_i| ≤ Σ_o |w_oi| · slope · |∂f/∂y_o|.
    let mut g = vec![1.0f64];
    for l in m.layers.iter().rev() {
        let gz: Vec<f64> = g.iter().map(|g| g * slope(l.activation)).collect();
        gz.iter().for_each(|&v| see(v));
        g = (0..l.inputs)
            .map(|i| {
                (0..l.outputs)
                    .map(|o| (l.weights[o * l.inputs + i] as f64).abs() * gz[o])
                    .sum()
            })
            .collect();
        g.iter().for_each(|&v| see(v));
    }
    let mut gq = g[..3].iter().fold(0.0f64, |a, &b| a.max(b));
    for (k, &(_, slope)) in grid_most.iter().enumerate() {
        see(g[3 + k] * slope);
        gq += g[3 + k] * slope;
    }
    if let Encoding::Fourier { frequencies } = m.encoding {
        for k in 0..frequencies as usize {
            let f = std::f64::consts::PI * 2f64.powi(k as i32);
            let most = g[3 + 6 * k..9 + 6 * k]
                .iter()
                .fold(0.0f64, |a, &b| a.max(b));
            gq += 2.0 * f * most;
        }
    }
    see(gq);
    let s = (t.distance_scale as f64 * t.scale as f64).abs();
    see(s);
    see(s * gq);
    big
}

/// Points to probe a parsed shape at: the origin, the centre and two corners of its bounds.
pub fn probe_points(m: &Model) -> Vec<[f32; 3]> {
    let [lo, hi] = m.transform.bounds;
    vec![
        [0.0; 3],
        std::array::from_fn(|a| lo[a] * 0.5 + hi[a] * 0.5),
        lo,
        [lo[0], hi[1], hi[2]],
    ]
}

/// Evaluates `shape` at its probe points (distance, gradient, batches) with each of `backends`;
/// asserts the results are finite wherever [`magnitude_bound`] says overflow is impossible.
/// Returns how many evaluations were asserted.
pub fn check_evaluation(shape: &Shape, backends: &[Backend]) -> usize {
    let pts = probe_points(shape.model());
    let safe: Vec<bool> = pts
        .iter()
        .map(|&p| magnitude_bound(shape.model(), p) < SAFE)
        .collect();
    let mut asserted = 0;
    for &backend in backends {
        let shape = shape.clone().with_backend(backend).unwrap();
        let mut dist = vec![0.0; pts.len()];
        let mut bd = vec![0.0; pts.len()];
        let mut bg = vec![[0.0; 3]; pts.len()];
        shape.distances(&pts, &mut dist);
        shape.gradients(&pts, &mut bd, &mut bg);
        for (k, &p) in pts.iter().enumerate() {
            let d = shape.distance(p);
            let (gd, g) = shape.gradient(p);
            if safe[k] {
                let all = [
                    d, gd, dist[k], bd[k], g[0], g[1], g[2], bg[k][0], bg[k][1], bg[k][2],
                ];
                assert!(
                    all.iter().all(|v| v.is_finite()),
                    "{}: non-finite evaluation at {p:?}: {all:?}",
                    backend.name()
                );
                asserted += 1;
            }
        }
    }
    asserted
}
