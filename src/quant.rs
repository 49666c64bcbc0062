//! Weight quantization, defined exactly so every reader dequantizes to the same bits.
//!
//! - f16: IEEE 754 binary16, rounded to nearest-even from f32; dequantization is exact.
//! - int8: per output row `scale = max|w| / 127` (an f32 division), `q = round_half_even(w / scale)`
//!   clamped to [-127, 127] (0 for an all-zero row); dequantized `w' = q as f32 * scale`
//!   (one f32 multiply). The error per weight is at most `scale / 2` in exact arithmetic and
//!   `scale × (1/2 + 2⁻¹⁵)` after f32 rounding (for a normal `scale`).
//! - int4 (format 1.1): per output row `scale = f16(max|w| / 7)` (the f32 quotient rounded to
//!   f16), `q = round_half_even(w / scale)` clamped to [-7, 7]; `w' = q as f32 * scale`. Scales
//!   and biases are f16 so a row's overhead is 4 bytes, not 8: at 32 inputs that is the
//!   difference between 20 and 24 bytes per row.
//! - int8h (format 1.3): int8 rows with int4's f16 scale, `scale = f16(max|w| / 127)`, and f16
//!   biases: at 32 inputs a row is 36 bytes instead of 40.
//!
//! [`deviation_bound`] turns per-weight errors into a bound on how far the quantized network's
//! output can be from the original's at a point (spec section "Quantization error bounds").

use crate::model::{Activation, Encoding, Model};
use half::f16;

/// Quantizes one row to int8; returns its scale.
pub fn quantize_row_i8(row: &[f32], out: &mut [i8]) -> f32 {
    let max = row.iter().fold(0.0f32, |m, w| m.max(w.abs()));
    let scale = max / 127.0;
    for (q, &w) in out.iter_mut().zip(row) {
        *q = if scale > 0.0 {
            (w / scale).round_ties_even().clamp(-127.0, 127.0) as i8
        } else {
            0
        };
    }
    scale
}

/// Dequantizes one int8 or int4 weight.
#[inline(always)]
pub fn dequantize_i8(q: i8, scale: f32) -> f32 {
    q as f32 * scale
}

/// Quantizes one row to int4 (values in -7..=7, one per element); returns its f16 scale's bits.
pub fn quantize_row_i4(row: &[f32], out: &mut [i8]) -> u16 {
    quantize_row_f16_scale(row, out, 7.0)
}

/// Quantizes one row to int8 with an f16 scale (int8h); returns the scale's bits.
pub fn quantize_row_i8h(row: &[f32], out: &mut [i8]) -> u16 {
    quantize_row_f16_scale(row, out, 127.0)
}

/// Symmetric quantization to `-levels..=levels` with the scale `f16(max|w| / levels)`.
fn quantize_row_f16_scale(row: &[f32], out: &mut [i8], levels: f32) -> u16 {
    let max = row.iter().fold(0.0f32, |m, w| m.max(w.abs()));
    let bits = quantize_f16(max / levels);
    let scale = dequantize_f16(bits);
    for (q, &w) in out.iter_mut().zip(row) {
        *q = if scale > 0.0 {
            (w / scale).round_ties_even().clamp(-levels, levels) as i8
        } else {
            0
        };
    }
    bits
}

/// Rounds to f16 (nearest-even), as stored.
pub fn quantize_f16(w: f32) -> u16 {
    f16::from_f32(w).to_bits()
}

/// Widens a stored f16 to f32 (exact).
#[inline(always)]
pub fn dequantize_f16(bits: u16) -> f32 {
    f16::from_bits(bits).to_f32()
}

/// Widens little-endian f16 values (`raw.len() / 2` of them) to f32, exactly; with F16C where the
/// CPU has it.
pub fn dequantize_f16_slice(raw: &[u8]) -> Vec<f32> {
    use half::slice::HalfFloatSliceExt;
    let halves: Vec<f16> = raw
        .chunks_exact(2)
        .map(|c| f16::from_bits(u16::from_le_bytes([c[0], c[1]])))
        .collect();
    let mut out = vec![0.0f32; halves.len()];
    halves.convert_to_f32_slice(&mut out);
    out
}

/// Returns `weights` as they read back after quantizing a `rows × cols` matrix with `scheme`.
pub fn round_trip(weights: &[f32], cols: usize, scheme: crate::Scheme) -> Vec<f32> {
    match scheme {
        crate::Scheme::F32 => weights.to_vec(),
        crate::Scheme::F16 => weights
            .iter()
            .map(|&w| dequantize_f16(quantize_f16(w)))
            .collect(),
        crate::Scheme::Int8 => {
            let mut out = Vec::with_capacity(weights.len());
            let mut q = vec![0i8; cols];
            for row in weights.chunks(cols.max(1)) {
                let s = quantize_row_i8(row, &mut q[..row.len()]);
                out.extend(q[..row.len()].iter().map(|&q| dequantize_i8(q, s)));
            }
            out
        }
        crate::Scheme::Int4 | crate::Scheme::Int8Half => {
            let quantize = match scheme {
                crate::Scheme::Int4 => quantize_row_i4,
                _ => quantize_row_i8h,
            };
            let mut out = Vec::with_capacity(weights.len());
            let mut q = vec![0i8; cols];
            for row in weights.chunks(cols.max(1)) {
                let s = dequantize_f16(quantize(row, &mut q[..row.len()]));
                out.extend(q[..row.len()].iter().map(|&q| dequantize_i8(q, s)));
            }
            out
        }
    }
}

/// An upper bound, in exact arithmetic, on `|f_b(p) − f_a(p)|` where `f_a`, `f_b` are the world
/// distances of two models that differ only in their weights and biases (typically the original
/// f32 model and its quantized, as-stored form). Returns infinity if the architectures, encodings
/// or transforms differ.
///
/// Walks `a` forward in f64 keeping an elementwise bound `e` on `|x_b − x_a|`:
/// `|z_b − z_a| ≤ |W_b| e + |W_b − W_a| |x_a| + |b_b − b_a|` (because
/// `W_b x_b − W_a x_a = W_b (x_b − x_a) + (W_b − W_a) x_a`), and then
/// `|σ(z_b) − σ(z_a)| ≤ |z_b − z_a| · sup |σ'|` over the interval the two pre-activations can span.
/// The bound is rigorous for exact evaluation of both models; an f32 evaluator adds its own
/// rounding (spec section "Evaluation").
pub fn deviation_bound(a: &Model, b: &Model, p: [f32; 3]) -> f64 {
    let same_shape = a.encoding == b.encoding
        && a.transform == b.transform
        && a.layers.len() == b.layers.len()
        && a.layers.iter().zip(&b.layers).all(|(x, y)| {
            x.inputs == y.inputs
                && x.outputs == y.outputs
                && x.activation == y.activation
                && x.weights.len() == y.weights.len()
                && x.bias.len() == y.bias.len()
                && x.weights.len() == x.inputs * x.outputs
                && x.bias.len() == x.outputs
        });
    if !same_shape {
        return f64::INFINITY;
    }
    let t = &a.transform;
    let q: Vec<f64> = (0..3)
        .map(|i| t.scale as f64 * p[i] as f64 + t.translation[i] as f64)
        .collect();
    let mut x = q.clone();
    if let Encoding::Fourier { frequencies } = a.encoding {
        for k in 0..frequencies {
            let f = std::f64::consts::PI * 2f64.powi(k as i32);
            x.extend(q.iter().map(|v| (f * v).sin()));
            x.extend(q.iter().map(|v| (f * v).cos()));
        }
    }
    let mut e = vec![0.0f64; x.len()];
    for (la, lb) in a.layers.iter().zip(&b.layers) {
        let mut x_next = Vec::with_capacity(la.outputs);
        let mut e_next = Vec::with_capacity(la.outputs);
        for o in 0..la.outputs {
            let (ra, rb) = (la.row(o), lb.row(o));
            let mut z = la.bias[o] as f64;
            let mut ez = (lb.bias[o] as f64 - la.bias[o] as f64).abs();
            for i in 0..la.inputs {
                z += ra[i] as f64 * x[i];
                ez +=
                    (rb[i] as f64).abs() * e[i] + (rb[i] as f64 - ra[i] as f64).abs() * x[i].abs();
            }
            x_next.push(apply64(la.activation, z));
            e_next.push(ez * slope_bound(la.activation, z, ez));
        }
        x = x_next;
        e = e_next;
    }
    (t.distance_scale as f64).abs() * e[0]
}

/// The first-order estimate of `|f_b(p) − f_a(p)|`: each weight and bias error times the
/// sensitivity of the output to it at `p`,
/// `|distance_scale| · Σ_k Σ_o |∂f/∂z_k,o| · (Σ_i |ΔW_k,oi| · |x_k−1,i| + |Δb_k,o|)`,
/// with `x`, `z` and `∂f/∂z` those of `a` (in f64). Ignores second-order terms and units that
/// flip across a ReLU kink, so it is an estimate, not a guarantee; on random Davies networks
/// the tests check `|Δf| ≤` this (spec section "Quantization error bounds"). Returns
/// infinity if the architectures, encodings or transforms differ.
pub fn deviation_estimate(a: &Model, b: &Model, p: [f32; 3]) -> f64 {
    if deviation_bound(a, b, p).is_infinite() {
        return f64::INFINITY;
    }
    let t = &a.transform;
    let q: Vec<f64> = (0..3)
        .map(|i| t.scale as f64 * p[i] as f64 + t.translation[i] as f64)
        .collect();
    let mut x = q.clone();
    if let Encoding::Fourier { frequencies } = a.encoding {
        for k in 0..frequencies {
            let f = std::f64::consts::PI * 2f64.powi(k as i32);
            x.extend(q.iter().map(|v| (f * v).sin()));
            x.extend(q.iter().map(|v| (f * v).cos()));
        }
    }
    // Forward through `a`, keeping each layer's input and pre-activation.
    let mut inputs = Vec::with_capacity(a.layers.len());
    let mut pre = Vec::with_capacity(a.layers.len());
    for l in &a.layers {
        let z: Vec<f64> = (0..l.outputs)
            .map(|o| {
                l.bias[o] as f64
                    + l.row(o)
                        .iter()
                        .zip(&x)
                        .map(|(&w, &v)| w as f64 * v)
                        .sum::<f64>()
            })
            .collect();
        let next = z.iter().map(|&z| apply64(l.activation, z)).collect();
        inputs.push(std::mem::replace(&mut x, next));
        pre.push(z);
    }
    // Backward: g = ∂f/∂(layer output); the sensitivity to z is g · σ'(z).
    let mut g = vec![1.0f64];
    let mut total = 0.0;
    for (k, (la, lb)) in a.layers.iter().zip(&b.layers).enumerate().rev() {
        let gz: Vec<f64> = g
            .iter()
            .zip(&pre[k])
            .map(|(g, &z)| g * slope64(la.activation, z))
            .collect();
        for (o, g) in gz.iter().enumerate() {
            let dw: f64 = la
                .row(o)
                .iter()
                .zip(lb.row(o))
                .zip(&inputs[k])
                .map(|((&a, &b), x)| (b as f64 - a as f64).abs() * x.abs())
                .sum();
            total += g.abs() * (dw + (lb.bias[o] as f64 - la.bias[o] as f64).abs());
        }
        g = (0..la.inputs)
            .map(|i| (0..la.outputs).map(|o| la.row(o)[i] as f64 * gz[o]).sum())
            .collect();
    }
    (t.distance_scale as f64).abs() * total
}

fn slope64(act: Activation, z: f64) -> f64 {
    match act {
        Activation::Identity => 1.0,
        Activation::Relu => (z > 0.0) as u8 as f64,
        Activation::LeakyRelu(a) => {
            if z > 0.0 {
                1.0
            } else {
                a as f64
            }
        }
        Activation::Tanh => 1.0 - z.tanh().powi(2),
        Activation::Sine(w) => w as f64 * (w as f64 * z).cos(),
    }
}

fn apply64(act: Activation, z: f64) -> f64 {
    match act {
        Activation::Identity => z,
        Activation::Relu => z.max(0.0),
        Activation::LeakyRelu(a) => {
            if z >= 0.0 {
                z
            } else {
                a as f64 * z
            }
        }
        Activation::Tanh => z.tanh(),
        Activation::Sine(w) => (w as f64 * z).sin(),
    }
}

/// `sup |σ'(u)|` over `u ∈ [z − r, z + r]`.
fn slope_bound(act: Activation, z: f64, r: f64) -> f64 {
    match act {
        Activation::Identity => 1.0,
        Activation::Relu if z + r <= 0.0 => 0.0,
        Activation::Relu => 1.0,
        Activation::LeakyRelu(_) if z - r >= 0.0 => 1.0,
        Activation::LeakyRelu(a) if z + r <= 0.0 => (a as f64).abs(),
        Activation::LeakyRelu(a) => (a as f64).abs().max(1.0),
        Activation::Tanh => {
            let d = (z.abs() - r).max(0.0);
            1.0 - d.tanh().powi(2)
        }
        Activation::Sine(w) => (w as f64).abs(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int8_error_is_at_most_half_a_step() {
        let row: Vec<f32> = (0..32)
            .map(|i| ((i * 37 % 17) as f32 - 8.0) * 0.013)
            .collect();
        let mut q = [0i8; 32];
        let s = quantize_row_i8(&row, &mut q);
        assert_eq!(s, row.iter().fold(0.0f32, |m, w| m.max(w.abs())) / 127.0);
        for (&w, &q) in row.iter().zip(&q) {
            assert!((dequantize_i8(q, s) - w).abs() <= s * 0.5 + f32::EPSILON * w.abs());
            assert!(q != -128);
        }
        // The largest magnitude maps to ±127 exactly.
        assert!(q.iter().any(|&q| q.unsigned_abs() == 127));
    }

    #[test]
    fn slice_widening_equals_the_scalar_one_for_every_f16() {
        let raw: Vec<u8> = (0..=u16::MAX).flat_map(|b| b.to_le_bytes()).collect();
        let wide = dequantize_f16_slice(&raw);
        for (bits, w) in (0..=u16::MAX).zip(wide) {
            let one = dequantize_f16(bits);
            assert!(
                w.to_bits() == one.to_bits() || (w.is_nan() && one.is_nan()),
                "{bits:#06x}"
            );
        }
    }

    #[test]
    fn zero_row_has_zero_scale() {
        let mut q = [1i8; 4];
        assert_eq!(quantize_row_i8(&[0.0; 4], &mut q), 0.0);
        assert_eq!(q, [0; 4]);
    }

    #[test]
    fn f16_round_trip_is_nearest() {
        for w in [0.1f32, -3.75, 1e-5, 65504.0, 0.333_333] {
            let back = dequantize_f16(quantize_f16(w));
            assert!(
                (back - w).abs() <= w.abs() * 2f32.powi(-11) + 6e-8,
                "{w} -> {back}"
            );
        }
    }
}
