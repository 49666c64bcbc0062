//! Losses on the network's gradient with respect to its *input* (SALD's derivative term):
//! the gradient ∇ₓf by forward-mode tangents, and the backward pass of a loss on it into the
//! parameters (second-order backpropagation).
//!
//! For ReLU hidden layers the derivative of each unit is a constant mask almost everywhere, so
//! ∇ₓf = τ'(z_L) · W_L D_{L−1} W_{L−1} ⋯ D_0 W_0 (τ the output activation, D_l the masks of
//! the forward pass). The tangents along x, y and z run as one "tangent network" over 3 × the
//! chunk (feature-major, direction-major within a feature: column `k·c + t` is sample `t`,
//! direction `k`), with the same weights, no biases and the forward pass's masks, through the
//! same kernels. Its backward pass adds `∂loss/∂W` to the gradient of the ordinary backward
//! pass; the output activation's curvature τ'' feeds the ordinary pass through `∂loss/∂f`.
//! Checked against finite differences in the tests below.

use nsdf::{Activation, Encoding};

use super::kernels::{Epilogue, Kernel};
use super::mlp::{Mlp, Prepared, Workspace};

/// Why a network's input gradient cannot be trained here.
pub fn unsupported(net: &Mlp) -> Option<String> {
    if net.encoding != Encoding::None {
        return Some("input-gradient losses need raw coordinates (encoding none)".into());
    }
    let last = net.layers.len().checked_sub(1)?;
    for (l, s) in net.layers.iter().enumerate() {
        let ok = if l == last {
            matches!(s.activation, Activation::Tanh | Activation::Identity)
        } else {
            matches!(s.activation, Activation::Relu | Activation::Sine(_))
        };
        if !ok {
            return Some(format!(
                "input-gradient losses support ReLU or sine hidden layers and a tanh or identity output, not {} in layer {l}",
                s.activation.name()
            ));
        }
    }
    None
}

/// Scratch for the tangent passes of one chunk.
#[derive(Clone, Debug)]
pub struct Tangents {
    c: usize,
    /// Per hidden layer: tangents of its outputs, `outputs × 3c`.
    t: Vec<Vec<f32>>,
    /// Per sine layer: tangents of its pre-activations (`outputs × 3c`; empty for ReLU).
    pre: Vec<Vec<f32>>,
    /// Per hidden layer, `outputs × 3c`: σ'(z) for each direction (ReLU: the outputs, a mask).
    slope: Vec<Vec<f32>>,
    /// Per sine layer: σ''(z), `outputs × c` (empty for ReLU).
    curve: Vec<Vec<f32>>,
    /// Per hidden layer, after [`backward`]: what the loss sends to ∂loss/∂z through σ''
    /// (`outputs × c`; empty for ReLU), for [`super::mlp::backward_with`].
    pub extra: Vec<Vec<f32>>,
    /// ∂z_L/∂x_k per sample, `3c`.
    u: Vec<f32>,
    delta: [Vec<f32>; 2],
    dw: Vec<f32>,
    db: Vec<f32>,
}

impl Tangents {
    pub fn new(net: &Mlp, ws: &Workspace) -> Tangents {
        let c = ws.chunk();
        let hidden = &net.layers[..net.layers.len() - 1];
        let width = net
            .layers
            .iter()
            .map(|l| l.inputs.max(l.outputs))
            .max()
            .unwrap_or(1);
        let weights = net
            .layers
            .iter()
            .map(|l| l.inputs * l.outputs)
            .max()
            .unwrap_or(1);
        let sine = |l: &super::mlp::LayerShape, n: usize| {
            if matches!(l.activation, Activation::Sine(_)) {
                vec![0.0; l.outputs * n]
            } else {
                Vec::new()
            }
        };
        Tangents {
            c,
            t: hidden
                .iter()
                .map(|l| vec![0.0; l.outputs * 3 * c])
                .collect(),
            pre: hidden.iter().map(|l| sine(l, 3 * c)).collect(),
            slope: hidden
                .iter()
                .map(|l| vec![0.0; l.outputs * 3 * c])
                .collect(),
            curve: hidden.iter().map(|l| sine(l, c)).collect(),
            extra: hidden.iter().map(|l| sine(l, c)).collect(),
            u: vec![0.0; 3 * c],
            delta: [vec![0.0; width * 3 * c], vec![0.0; width * 3 * c]],
            dw: vec![0.0; weights],
            db: vec![0.0; width],
        }
    }

    /// `∂z_L/∂x_k` of sample `t` (valid after [`forward`]).
    pub fn u(&self, t: usize, k: usize) -> f32 {
        self.u[k * self.c + t]
    }
}

/// The output activation's first derivative and its second over its first, at output `a`.
pub fn output_slopes(act: Activation, a: f32) -> (f32, f32) {
    match act {
        Activation::Tanh => (1.0 - a * a, -2.0 * a),
        _ => (1.0, 0.0),
    }
}

/// Tangent pass after [`super::mlp::forward`] on the same workspace: afterwards
/// `∇ₓf = τ'(z_L) · (u(t, 0), u(t, 1), u(t, 2))` ([`output_slopes`]).
pub fn forward(net: &Mlp, weights: &Prepared, ws: &Workspace, tg: &mut Tangents, kernel: Kernel) {
    let c = tg.c;
    let c3 = 3 * c;
    let last = net.layers.len() - 1;
    for l in 0..last {
        let s = &net.layers[l];
        let sine = match s.activation {
            Activation::Sine(w) => Some(w),
            _ => None,
        };
        // σ' per direction (ReLU: the outputs serve as the mask), and σ'' for sine units.
        let slope = &mut tg.slope[l];
        match sine {
            None => {
                let a = ws.activations(l);
                for o in 0..s.outputs {
                    for k in 0..3 {
                        slope[o * c3 + k * c..o * c3 + (k + 1) * c]
                            .copy_from_slice(&a[o * c..(o + 1) * c]);
                    }
                }
            }
            Some(w) => {
                let z = ws.pre_activations(l);
                for o in 0..s.outputs {
                    for t in 0..c {
                        let (sin, cos) = (w * z[o * c + t]).sin_cos();
                        tg.curve[l][o * c + t] = -w * w * sin;
                        for k in 0..3 {
                            slope[o * c3 + k * c + t] = w * cos;
                        }
                    }
                }
            }
        }
        // Tangents of the pre-activations: W_0's column k for input direction k, else W_l t.
        let (done, rest) = tg.t.split_at_mut(l);
        let out = if sine.is_some() {
            &mut tg.pre[l]
        } else {
            &mut rest[0]
        };
        if l == 0 {
            let w = &weights.weights[0];
            for o in 0..s.outputs {
                for k in 0..3 {
                    out[o * c3 + k * c..o * c3 + (k + 1) * c].fill(w[o * s.inputs + k]);
                }
            }
            if sine.is_none() {
                out.iter_mut().zip(slope.iter()).for_each(|(x, &m)| {
                    if m <= 0.0 {
                        *x = 0.0
                    }
                });
            }
        } else {
            let epilogue = match sine {
                None => Epilogue::MaskPositive(slope),
                Some(_) => Epilogue::Store,
            };
            kernel.matmul(
                &weights.weights[l],
                None,
                &done[l - 1],
                out,
                s.outputs,
                s.inputs,
                c3,
                epilogue,
            );
        }
        if sine.is_some() {
            for ((t, &p), &m) in rest[0].iter_mut().zip(&tg.pre[l]).zip(slope.iter()) {
                *t = p * m;
            }
        }
    }
    let out = &net.layers[last];
    if last == 0 {
        // No hidden layer: ∂z/∂x_k is the output row's weight k for every sample.
        for k in 0..3 {
            tg.u[k * c..(k + 1) * c].fill(weights.weights[0][k]);
        }
    } else {
        kernel.matmul(
            &weights.weights[last],
            None,
            &tg.t[last - 1],
            &mut tg.u,
            1,
            out.inputs,
            c3,
            Epilogue::Store,
        );
    }
    // Padding samples: zero tangents (their masks are those of zero inputs, not zero).
    for k in 0..3 {
        tg.u[k * c + ws.valid()..(k + 1) * c].fill(0.0);
    }
}

/// Adds `∂loss/∂params` to `grad` given `u_bar` = ∂loss/∂u (`3c`, direction-major, zero for
/// padding samples), and fills [`Tangents::extra`]. Biases get nothing here: they do not move
/// the gradient except through sine units' curvature, which reaches them through `extra` in
/// [`super::mlp::backward_with`] (run it after this, then add this `grad`).
pub fn backward(
    net: &Mlp,
    weights: &Prepared,
    tg: &mut Tangents,
    u_bar: &[f32],
    grad: &mut [f32],
    kernel: Kernel,
) {
    let c = tg.c;
    let c3 = 3 * c;
    let last = net.layers.len() - 1;
    let Tangents {
        t,
        pre,
        slope,
        curve,
        extra,
        delta,
        dw,
        db,
        ..
    } = tg;
    let [cur, prev] = delta;
    cur[..c3].copy_from_slice(&u_bar[..c3]);
    for l in (0..=last).rev() {
        let s = &net.layers[l];
        let n = s.inputs * s.outputs;
        let g = &mut grad[s.offset..s.offset + n];
        if l == 0 {
            // Input direction k is the unit vector e_k: ∂/∂W_0[o][k] = Σ_t δ[o][k·c + t].
            for o in 0..s.outputs {
                for k in 0..3 {
                    let sum: f32 = cur[o * c3 + k * c..o * c3 + (k + 1) * c].iter().sum();
                    g[o * s.inputs + k] += sum;
                }
            }
            break;
        }
        kernel.weight_grad(
            cur,
            &t[l - 1],
            &mut dw[..n],
            &mut db[..s.outputs],
            s.outputs,
            s.inputs,
            c3,
        );
        g.iter_mut().zip(&dw[..n]).for_each(|(g, d)| *g += d);
        // t̄ = Wᵀ δ. ReLU: δ below is t̄ masked. Sine: the curvature term Σ_k σ''(z)·s_k·t̄_k
        // goes to the primal pass, and δ below is σ'(z)·t̄.
        let below = l - 1;
        let sine = !curve[below].is_empty();
        let epilogue = if sine {
            Epilogue::Store
        } else {
            Epilogue::MaskPositive(&slope[below])
        };
        kernel.matmul(
            &weights.transposed[l],
            None,
            cur,
            prev,
            s.inputs,
            s.outputs,
            c3,
            epilogue,
        );
        if sine {
            for o in 0..s.inputs {
                for tt in 0..c {
                    let sum: f32 = (0..3)
                        .map(|k| pre[below][o * c3 + k * c + tt] * prev[o * c3 + k * c + tt])
                        .sum();
                    extra[below][o * c + tt] = curve[below][o * c + tt] * sum;
                }
            }
            let m = s.inputs * c3;
            prev[..m]
                .iter_mut()
                .zip(&slope[below][..m])
                .for_each(|(d, &m)| *d *= m);
        }
        std::mem::swap(cur, prev);
    }
}

/// A loss on the network's input gradient, per sample (second-order training).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum GradientLoss {
    /// SALD's derivative term: `λ · min(|∇f − n|, |∇f + n|)` where the sample has a target
    /// direction `n` ([`sign_agnostic`]); samples without one (zero) are skipped.
    SignAgnostic(f32),
    /// SIREN's: `eikonal · ||∇f| − 1|` on every sample, plus `normal · (1 − cos(∇f, n))` on
    /// surface samples (distance 0, `n` their normal).
    Siren { eikonal: f32, normal: f32 },
}

impl GradientLoss {
    /// Value and ∂/∂g at one sample of gradient `g`, target direction `n` (zero: none) and
    /// target distance `d`.
    pub fn eval(self, g: [f32; 3], n: [f32; 3], d: f32) -> (f32, [f32; 3]) {
        match self {
            GradientLoss::SignAgnostic(lambda) => {
                if n == [0.0; 3] {
                    return (0.0, [0.0; 3]);
                }
                let (e, dg) = sign_agnostic(g, n);
                (lambda * e, dg.map(|x| lambda * x))
            }
            GradientLoss::Siren { eikonal, normal } => {
                let len = (g[0] * g[0] + g[1] * g[1] + g[2] * g[2]).sqrt();
                if len == 0.0 {
                    return (eikonal, [0.0; 3]);
                }
                let e = len - 1.0;
                let s = if e > 0.0 {
                    1.0
                } else if e < 0.0 {
                    -1.0
                } else {
                    0.0
                };
                let mut value = eikonal * e.abs();
                let mut dg = g.map(|x| eikonal * s * x / len);
                if d == 0.0 && n != [0.0; 3] {
                    // 1 − g·n/|g| (n is unit): ∂/∂g = −(n − (g·n) g/|g|²)/|g|.
                    let dot = g[0] * n[0] + g[1] * n[1] + g[2] * n[2];
                    value += normal * (1.0 - dot / len);
                    for k in 0..3 {
                        dg[k] -= normal * (n[k] - dot * g[k] / (len * len)) / len;
                    }
                }
                (value, dg)
            }
        }
    }
}

/// SALD's sign-agnostic loss on a gradient `g` against a unit target direction `n`:
/// `min(|g − n|, |g + n|)`, and its derivative with respect to `g`.
pub fn sign_agnostic(g: [f32; 3], n: [f32; 3]) -> (f32, [f32; 3]) {
    let minus = [g[0] - n[0], g[1] - n[1], g[2] - n[2]];
    let plus = [g[0] + n[0], g[1] + n[1], g[2] + n[2]];
    let len = |v: [f32; 3]| (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
    let (lm, lp) = (len(minus), len(plus));
    let (e, v) = if lm <= lp { (lm, minus) } else { (lp, plus) };
    if e > 0.0 {
        (e, v.map(|x| x / e))
    } else {
        (0.0, [0.0; 3])
    }
}

#[cfg(test)]
mod tests {
    use super::super::mlp::forward as primal_forward;
    use super::super::mlp::{backward_with as primal_backward_with, Init};
    use super::super::rng::Rng;
    use super::*;
    use nsdf::Model;

    fn net(hidden: Activation, output: Activation, seed: u64) -> Mlp {
        let model = Model::zeros(Encoding::None, &[12, 9, 7], hidden, output);
        let mut net = Mlp::from_model(&model);
        net.initialize(Init::Geometric { radius: 0.4 }, seed);
        // Random biases too, so masks differ between samples.
        let mut rng = Rng::new(seed + 10);
        for s in net.layers.clone() {
            let b = s.offset + s.inputs * s.outputs;
            for p in &mut net.params[b..b + s.outputs] {
                *p = rng.uniform(-0.3, 0.3);
            }
        }
        net
    }

    #[test]
    fn gradient_losses_match_finite_differences() {
        let n = [0.6f32, 0.0, 0.8];
        let losses = [
            GradientLoss::SignAgnostic(0.1),
            GradientLoss::Siren {
                eikonal: 50.0,
                normal: 100.0,
            },
        ];
        for loss in losses {
            for (g, d) in [
                ([0.3f32, -0.4, 1.1], 0.0f32),
                ([-0.9, 0.2, 0.1], 0.3),
                ([2.0, 0.5, -0.3], 0.0),
            ] {
                let (_, dg) = loss.eval(g, n, d);
                for k in 0..3 {
                    let h = 1e-3;
                    let (mut up, mut down) = (g, g);
                    up[k] += h;
                    down[k] -= h;
                    let numeric = (loss.eval(up, n, d).0 - loss.eval(down, n, d).0) / (2.0 * h);
                    assert!(
                        (dg[k] - numeric).abs() < 2e-2 * (1.0 + numeric.abs()),
                        "{loss:?} {g:?} {k}: {} vs {numeric}",
                        dg[k]
                    );
                }
            }
        }
        // SIREN: the normal term only on surface samples; a unit gradient along n costs nothing.
        let siren = losses[1];
        assert!(siren.eval(n, n, 0.0).0.abs() < 1e-5);
        assert!((siren.eval([0.0, 0.0, 2.0], n, 0.5).0 - 50.0).abs() < 1e-4);
        // SALD: no direction, no loss.
        assert_eq!(
            losses[0].eval([1.0, 2.0, 3.0], [0.0; 3], 0.1),
            (0.0, [0.0; 3])
        );
    }

    /// Per sample: the network's value and input gradient, straight from the f64 definition.
    fn value_and_gradient(net: &Mlp, params: &[f64], p: [f32; 3]) -> (f64, [f64; 3]) {
        let mut x: Vec<f64> = p.iter().map(|&v| v as f64).collect();
        // Jacobian of the current layer's output with respect to the input, row per unit.
        let mut jac: Vec<[f64; 3]> = (0..3)
            .map(|k| {
                let mut e = [0.0; 3];
                e[k] = 1.0;
                e
            })
            .collect();
        for s in &net.layers {
            let w = &params[s.offset..s.offset + s.inputs * s.outputs];
            let b = &params[s.offset + s.inputs * s.outputs..][..s.outputs];
            let mut nx = Vec::with_capacity(s.outputs);
            let mut nj = Vec::with_capacity(s.outputs);
            for o in 0..s.outputs {
                let z = b[o]
                    + (0..s.inputs)
                        .map(|i| w[o * s.inputs + i] * x[i])
                        .sum::<f64>();
                let dz: [f64; 3] =
                    [0, 1, 2].map(|k| (0..s.inputs).map(|i| w[o * s.inputs + i] * jac[i][k]).sum());
                let (a, slope) = match s.activation {
                    Activation::Relu => (z.max(0.0), (z > 0.0) as u8 as f64),
                    Activation::Tanh => (z.tanh(), 1.0 - z.tanh().powi(2)),
                    Activation::Sine(w) => {
                        let w = w as f64;
                        ((w * z).sin(), w * (w * z).cos())
                    }
                    _ => (z, 1.0),
                };
                nx.push(a);
                nj.push(dz.map(|d| d * slope));
            }
            x = nx;
            jac = nj;
        }
        (x[0], jac[0])
    }

    /// Σ_t sign_agnostic(∇f(p_t), n_t) in f64.
    fn objective(net: &Mlp, params: &[f64], pts: &[[f32; 3]], normals: &[[f32; 3]]) -> f64 {
        pts.iter()
            .zip(normals)
            .map(|(&p, n)| {
                let (_, g) = value_and_gradient(net, params, p);
                let d = |s: f64| {
                    (0..3)
                        .map(|k| (g[k] - s * n[k] as f64).powi(2))
                        .sum::<f64>()
                        .sqrt()
                };
                d(1.0).min(d(-1.0))
            })
            .sum()
    }

    /// The tangent pass gives the input gradient, and the backward pass of the SALD term the
    /// parameters' gradient, both against finite differences of an f64 evaluation, on every
    /// kernel, for ReLU and sine hidden layers and tanh and identity outputs.
    #[test]
    fn second_order_backward_matches_finite_differences() {
        let cases = [
            (Activation::Relu, Activation::Tanh),
            (Activation::Relu, Activation::Identity),
            (Activation::Sine(3.0), Activation::Identity),
            (Activation::Sine(2.0), Activation::Tanh),
        ];
        for (case, (hidden, output)) in cases.into_iter().enumerate() {
            let net = net(hidden, output, case as u64);
            assert!(unsupported(&net).is_none());
            let mut rng = Rng::new(3);
            let pts: Vec<[f32; 3]> = (0..21).map(|_| rng.in_cube(1.0)).collect();
            let normals: Vec<[f32; 3]> = (0..21).map(|_| rng.direction()).collect();
            let p64: Vec<f64> = net.params.iter().map(|&p| p as f64).collect();
            let h = 1e-6;
            let numeric: Vec<f64> = (0..p64.len())
                .map(|j| {
                    let (mut up, mut down) = (p64.clone(), p64.clone());
                    up[j] += h;
                    down[j] -= h;
                    (objective(&net, &up, &pts, &normals) - objective(&net, &down, &pts, &normals))
                        / (2.0 * h)
                })
                .collect();
            for kernel in Kernel::available() {
                let prepared = Prepared::plain(&net);
                let mut ws = Workspace::new(&net, 32);
                ws.load(&net, &pts);
                primal_forward(&net, &prepared, &mut ws, kernel);
                let mut tg = Tangents::new(&net, &ws);
                forward(&net, &prepared, &ws, &mut tg, kernel);
                let c = ws.chunk();
                let mut u_bar = vec![0.0; 3 * c];
                let mut d_output = vec![0.0; c];
                for (t, p) in pts.iter().enumerate() {
                    let a = ws.output()[t];
                    let (slope, curve) = output_slopes(output, a);
                    let g = [0, 1, 2].map(|k| slope * tg.u(t, k));
                    let (_, exact) = value_and_gradient(&net, &p64, *p);
                    // f32 sums of terms as large as the gradient itself (sine units reach |∇f|
                    // of 30 here): relative to its norm.
                    let norm = exact.iter().map(|e| e * e).sum::<f64>().sqrt();
                    for k in 0..3 {
                        assert!(
                            (g[k] as f64 - exact[k]).abs() < 1e-4 + 1e-5 * norm,
                            "{kernel}: ∇f {g:?} vs {exact:?}"
                        );
                    }
                    let (_, dg) = sign_agnostic(g, normals[t]);
                    for k in 0..3 {
                        u_bar[k * c + t] = dg[k] * slope;
                        // τ'' reaches the ordinary pass as ∂loss/∂f = Σ_k G_k u_k τ''/τ'.
                        d_output[t] += dg[k] * tg.u(t, k) * curve;
                    }
                }
                // Tangent backward first (it fills the curvature terms), then the ordinary one.
                let mut second = vec![0.0; net.params.len()];
                backward(&net, &prepared, &mut tg, &u_bar, &mut second, kernel);
                let mut grad = vec![f32::NAN; net.params.len()];
                primal_backward_with(
                    &net,
                    &prepared,
                    &mut ws,
                    &d_output,
                    Some(&tg.extra),
                    &mut grad,
                    kernel,
                );
                grad.iter_mut().zip(&second).for_each(|(g, s)| *g += s);
                for (j, (&g, &n)) in grad.iter().zip(&numeric).enumerate() {
                    let tol = 2e-3 * (1.0 + n.abs());
                    assert!(
                        (g as f64 - n).abs() <= tol,
                        "{hidden:?}/{output:?} ({kernel}): parameter {j}: second-order backward {g}, finite difference {n}"
                    );
                }
            }
        }
    }
}
