//! The quantization rules and error bounds of spec section "Quantization": per weight (int4, int8,
//! int8h and f16), and for the whole network (`nsdf::testing::quant::deviation_bound`, checked on random Davies
//! networks against f64 and against every backend).

use nsdf::testing::quant::{
    dequantize_f16, dequantize_i8, deviation_bound, deviation_estimate, quantize_f16,
    quantize_row_i4, quantize_row_i8, quantize_row_i8h,
};
use nsdf::{Backend, Scheme, Shape};
use nsdf_testing::{as_stored, davies, reference_distance, Rng};
use proptest::prelude::*;

/// Int8 error per weight after f32 rounding, in units of the scale (spec: 1/2 + 2⁻¹⁵).
const INT8_STEP_FRACTION: f32 = 0.5 + 1.0 / 32768.0;

/// Spec section "Quantization error bounds": the first-order estimate times this factor bounds
/// the deviation (checked here on random Davies networks).
const ESTIMATE_FACTOR: f64 = 1.0;

/// Spec section "Quantization error bounds": the largest |d_int8 − d_f32| and |d_f16 − d_f32|
/// over random He-initialized Davies networks (world units, distance_scale 2), with margin.
const DAVIES_INT8_DEVIATION: f64 = 0.15;
const DAVIES_F16_DEVIATION: f64 = 0.0075;
const DAVIES_INT4_DEVIATION: f64 = 2.0;

proptest! {
    // Failing cases print their seed; integration tests have no lib.rs for proptest to persist them beside.
    #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn int8_rows_quantize_as_specified(row in prop::collection::vec(-1e30f32..1e30, 1..40), exp in -100i32..100) {
        let row: Vec<f32> = row.iter().map(|w| w * 2f32.powi(exp) * 1e-30).collect();
        let mut q = vec![0i8; row.len()];
        let s = quantize_row_i8(&row, &mut q);
        let max = row.iter().fold(0.0f32, |m, w| m.max(w.abs()));
        prop_assert_eq!(s, max / 127.0);
        prop_assert!(q.iter().all(|&q| q != -128));
        if s.is_normal() {
            prop_assert!(q.iter().any(|&q| q.unsigned_abs() == 127), "the largest weight maps to ±127");
            for (&w, &q) in row.iter().zip(&q) {
                let err = (dequantize_i8(q, s) - w).abs();
                prop_assert!(err <= s * INT8_STEP_FRACTION, "{w}: q {q} scale {s} error {err}");
                // Round half to even, on the f32 quotient.
                prop_assert_eq!(q as f32, (w / s).round_ties_even());
            }
        }
    }

    /// int4 and int8h: symmetric levels with the scale `f16(max|row| / levels)`.
    #[test]
    fn f16_scaled_rows_quantize_as_specified(
        row in prop::collection::vec(-1e3f32..1e3, 1..40),
        exp in -12i32..8,
        int8h in any::<bool>(),
    ) {
        let row: Vec<f32> = row.iter().map(|w| w * 2f32.powi(exp)).collect();
        let mut q = vec![0i8; row.len()];
        let (bits, levels) = if int8h {
            (quantize_row_i8h(&row, &mut q), 127.0)
        } else {
            (quantize_row_i4(&row, &mut q), 7.0)
        };
        let max = row.iter().fold(0.0f32, |m, w| m.max(w.abs()));
        // The scale is the f32 quotient rounded to f16.
        prop_assert_eq!(bits, quantize_f16(max / levels));
        let s = dequantize_f16(bits);
        prop_assert!(q.iter().all(|&q| (q as f32).abs() <= levels));
        if s.is_normal() {
            // Half a step, plus what the largest weight loses when the f16 scale rounded down.
            let clamp = (max - levels * s).max(0.0);
            for (&w, &q) in row.iter().zip(&q) {
                let err = (dequantize_i8(q, s) - w).abs();
                prop_assert!(err <= s * INT8_STEP_FRACTION + clamp, "{w}: q {q} scale {s} error {err}");
                prop_assert_eq!(q as f32, (w / s).round_ties_even().clamp(-levels, levels));
            }
            // f16 rounds to 11 significant bits, or to 2^-24 below its smallest normal (6.1e-5),
            // where rows whose largest weight is under `levels` × 6.1e-5 get their scale.
            let rounding = (s * 2f32.powi(-11)).max(2f32.powi(-25));
            prop_assert!(clamp <= levels * rounding * 1.001, "f16 scale rounding {clamp} vs {s}");
        }
    }

    #[test]
    fn f16_rounds_to_nearest_within_its_bound(w in -65504f32..=65504.0) {
        let back = dequantize_f16(quantize_f16(w));
        prop_assert!((back - w).abs() <= (w.abs() * 2f32.powi(-11)).max(2f32.powi(-25)), "{w} -> {back}");
        // Widening is exact, so a stored value survives a second round trip unchanged.
        prop_assert_eq!(dequantize_f16(quantize_f16(back)), back);
    }
}

#[test]
fn an_all_zero_row_has_scale_zero_and_reads_back_zero() {
    let mut q = [5i8; 8];
    assert_eq!(
        quantize_row_i8(&[0.0, -0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], &mut q),
        0.0
    );
    assert_eq!(q, [0; 8]);
}

/// The network-level bound holds in exact (f64) arithmetic and, with the evaluator tolerance,
/// for every backend's f32 arithmetic; the measured deviations stay under the spec's figures.
#[test]
fn quantized_networks_stay_within_the_deviation_bound() {
    let backends: Vec<Backend> = Backend::ALL
        .iter()
        .copied()
        .filter(|b| b.is_available())
        .collect();
    for scheme in [Scheme::Int4, Scheme::Int8, Scheme::Int8Half, Scheme::F16] {
        let (mut worst, mut worst_bound, mut tightness, mut vs_estimate) =
            (0.0f64, 0.0f64, 0.0f64, 0.0f64);
        for seed in 0..16 {
            let original = davies(seed, Scheme::F32);
            let quantized = davies(seed, scheme);
            let stored = as_stored(&quantized);
            let stored_shapes: Vec<Shape> = backends
                .iter()
                .map(|&b| {
                    Shape::from_bytes(&nsdf::to_bytes(&quantized).unwrap())
                        .unwrap()
                        .with_backend(b)
                        .unwrap()
                })
                .collect();
            let exact = Shape::from_bytes(&nsdf::to_bytes(&original).unwrap()).unwrap();
            let mut rng = Rng(seed ^ 0xabc);
            for _ in 0..128 {
                let p = rng.point(2.5);
                let bound = deviation_bound(&original, &stored, p);
                let (d0, d1) = (
                    reference_distance(&original, p),
                    reference_distance(&stored, p),
                );
                let dev = (d1 - d0).abs();
                assert!(
                    dev <= bound * (1.0 + 1e-9) + 1e-12,
                    "{scheme:?} seed {seed} {p:?}: {dev} > bound {bound}"
                );
                for s in &stored_shapes {
                    let got = (s.distance(p) as f64 - exact.distance(p) as f64).abs();
                    assert!(
                        got <= bound + 1e-5,
                        "{scheme:?} {}: {got} > {bound} + 1e-5",
                        s.backend().name()
                    );
                }
                let estimate = deviation_estimate(&original, &stored, p);
                assert!(
                    dev <= ESTIMATE_FACTOR * estimate + 1e-12,
                    "{scheme:?} seed {seed} {p:?}: {dev} > {ESTIMATE_FACTOR} × estimate {estimate}"
                );
                vs_estimate = vs_estimate.max(dev / estimate.max(1e-30));
                worst = worst.max(dev);
                worst_bound = worst_bound.max(bound);
                tightness = tightness.max(dev / bound.max(1e-30));
            }
        }
        println!(
            "{scheme:?}: max |Δd| {worst:.3e}, max bound {worst_bound:.3e}, max |Δd|/bound {tightness:.2e}, max |Δd|/estimate {vs_estimate:.3}"
        );
        let limit = match scheme {
            Scheme::Int4 => DAVIES_INT4_DEVIATION,
            Scheme::Int8 | Scheme::Int8Half => DAVIES_INT8_DEVIATION,
            _ => DAVIES_F16_DEVIATION,
        };
        assert!(
            worst <= limit,
            "{scheme:?}: deviation {worst} over the spec's {limit}"
        );
    }
}

/// A model with other weights, a different architecture or transform has no bound.
#[test]
fn the_bound_needs_the_same_architecture() {
    let a = davies(1, Scheme::F32);
    assert_eq!(deviation_bound(&a, &a, [0.1, 0.2, 0.3]), 0.0);
    let mut b = a.clone();
    b.transform.scale = 0.25;
    assert_eq!(deviation_bound(&a, &b, [0.0; 3]), f64::INFINITY);
    let c = nsdf::Model::zeros(
        nsdf::Encoding::None,
        &[32; 7],
        nsdf::Activation::Relu,
        nsdf::Activation::Tanh,
    );
    assert_eq!(deviation_bound(&a, &c, [0.0; 3]), f64::INFINITY);
}
