//! Weight quantization, defined exactly so every reader dequantizes to the same bits.
//!
//! - f16: IEEE 754 binary16, rounded to nearest-even from f32; dequantization is exact.
//! - int8: per output row `scale = max|w| / 127` (an f32 division), `q = round_half_even(w / scale)`
//!   clamped to [-127, 127] (0 for an all-zero row); dequantized `w' = q as f32 * scale`
//!   (one f32 multiply). The error per weight is at most `scale / 2`.

use half::f16;

/// Quantizes one row to int8; returns its scale.
pub fn quantize_row_i8(row: &[f32], out: &mut [i8]) -> f32 {
    let max = row.iter().fold(0.0f32, |m, w| m.max(w.abs()));
    let scale = max / 127.0;
    for (q, &w) in out.iter_mut().zip(row) {
        *q = if scale > 0.0 { (w / scale).round_ties_even().clamp(-127.0, 127.0) as i8 } else { 0 };
    }
    scale
}

/// Dequantizes one int8 weight.
#[inline(always)]
pub fn dequantize_i8(q: i8, scale: f32) -> f32 {
    q as f32 * scale
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

/// Returns `weights` as they read back after quantizing a `rows × cols` matrix with `scheme`.
pub fn round_trip(weights: &[f32], cols: usize, scheme: crate::Scheme) -> Vec<f32> {
    match scheme {
        crate::Scheme::F32 => weights.to_vec(),
        crate::Scheme::F16 => weights.iter().map(|&w| dequantize_f16(quantize_f16(w))).collect(),
        crate::Scheme::Int8 => {
            let mut out = Vec::with_capacity(weights.len());
            let mut q = vec![0i8; cols];
            for row in weights.chunks(cols.max(1)) {
                let s = quantize_row_i8(row, &mut q[..row.len()]);
                out.extend(q[..row.len()].iter().map(|&q| dequantize_i8(q, s)));
            }
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int8_error_is_at_most_half_a_step() {
        let row: Vec<f32> = (0..32).map(|i| ((i * 37 % 17) as f32 - 8.0) * 0.013).collect();
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
    fn zero_row_has_zero_scale() {
        let mut q = [1i8; 4];
        assert_eq!(quantize_row_i8(&[0.0; 4], &mut q), 0.0);
        assert_eq!(q, [0; 4]);
    }

    #[test]
    fn f16_round_trip_is_nearest() {
        for w in [0.1f32, -3.75, 1e-5, 65504.0, 0.333_333] {
            let back = dequantize_f16(quantize_f16(w));
            assert!((back - w).abs() <= w.abs() * 2f32.powi(-11) + 6e-8, "{w} -> {back}");
        }
    }
}
