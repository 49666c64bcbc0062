//! Vectorized activations and their derivatives, and sine/cosine for the Fourier encoding.
//!
//! The polynomials are Cephes' single-precision ones (Moshier), accurate to a few ulp over the
//! ranges used; arguments where the argument reduction would lose accuracy fall back to the
//! standard library per lane, so results stay within the conformance tolerance everywhere.

use super::Simd;
use crate::model::Activation;

/// Beyond this |x| the three-part π/2 reduction in [`sin_cos`] loses accuracy.
const SIN_COS_LIMIT: f32 = 8192.0;

/// `e^x`, for `x` clamped to the range where the f32 result is finite and normal; NaN stays NaN.
#[inline(always)]
pub fn exp<S: Simd>(s: S, x: S::V) -> S::V {
    // NaN in the second operand passes through min and max (see `Simd::max`).
    let x = s.min(s.splat(88.3), s.max(s.splat(-87.3), x));
    let n = s.round(s.mul(x, s.splat(std::f32::consts::LOG2_E)));
    // x - n ln2, with ln2 split in two so n * hi is exact.
    let r = s.fnmadd(n, s.splat(0.693_359_4), x);
    let r = s.fnmadd(n, s.splat(-2.121_944_4e-4), r);
    let mut p = s.splat(1.987_569_1e-4);
    for c in [
        1.398_199_9e-3,
        8.333_452e-3,
        4.166_579_6e-2,
        1.666_666_5e-1,
        0.5,
    ] {
        p = s.fmadd(p, r, s.splat(c));
    }
    let e = s.add(s.fmadd(p, s.mul(r, r), r), s.splat(1.0));
    s.mul(e, s.pow2(n))
}

/// `tanh(x)`: an odd polynomial near 0 (where `1 - 2/(e^2x + 1)` would cancel), else through exp.
#[inline(always)]
pub fn tanh<S: Simd>(s: S, x: S::V) -> S::V {
    let a = s.abs(x);
    let z = s.mul(x, x);
    let mut p = s.splat(-5.704_988_7e-3);
    for c in [
        2.063_908_8e-2,
        -5.373_971_6e-2,
        1.333_144_2e-1,
        -3.333_328e-1,
    ] {
        p = s.fmadd(p, z, s.splat(c));
    }
    let small = s.fmadd(s.mul(p, z), x, x);
    // tanh(9) rounds to 1 in f32; clamping keeps exp finite (and lets NaN through).
    let e = exp(s, s.mul(s.min(s.splat(9.0), a), s.splat(2.0)));
    let large = s.sub(s.splat(1.0), s.div(s.splat(2.0), s.add(e, s.splat(1.0))));
    let large = s.xor_sign(large, x);
    s.select(s.gt(s.splat(0.625), a), small, large)
}

/// `(sin x, cos x)`.
#[inline(always)]
pub fn sin_cos<S: Simd>(s: S, x: S::V) -> (S::V, S::V) {
    if s.any(s.gt(s.abs(x), s.splat(SIN_COS_LIMIT))) {
        return (s.map_lanes(x, f32::sin), s.map_lanes(x, f32::cos));
    }
    // Quadrant q and remainder r = x - q π/2 in [-π/4, π/4], π/2 in three parts.
    let q = s.round(s.mul(x, s.splat(std::f32::consts::FRAC_2_PI)));
    let r = s.fnmadd(q, s.splat(1.570_312_5), x);
    let r = s.fnmadd(q, s.splat(4.837_513e-4), r);
    let r = s.fnmadd(q, s.splat(7.549_79e-8), r);
    let z = s.mul(r, r);
    let mut ps = s.splat(-1.951_529_6e-4);
    ps = s.fmadd(ps, z, s.splat(8.332_161e-3));
    ps = s.fmadd(ps, z, s.splat(-1.666_665_5e-1));
    let sin_r = s.fmadd(s.mul(ps, z), r, r);
    let mut pc = s.splat(2.443_315_7e-5);
    pc = s.fmadd(pc, z, s.splat(-1.388_731_6e-3));
    pc = s.fmadd(pc, z, s.splat(4.166_664_6e-2));
    let cos_r = s.fmadd(pc, s.mul(z, z), s.fnmadd(s.splat(0.5), z, s.splat(1.0)));
    // Odd quadrants swap sin and cos; sin flips sign in quadrants 2, 3; cos in 1, 2.
    let swap = s.bit_set(q, 0);
    let (sin_x, cos_x) = (s.select(swap, cos_r, sin_r), s.select(swap, sin_r, cos_r));
    let sin_x = s.xor_sign(sin_x, s.sign_if_bit(q, 1));
    let cos_x = s.xor_sign(cos_x, s.sign_if_bit(s.add(q, s.splat(1.0)), 1));
    (sin_x, cos_x)
}

/// The activation applied to pre-activations `x`.
#[inline(always)]
pub fn apply<S: Simd>(s: S, act: Activation, x: S::V) -> S::V {
    match act {
        Activation::Identity => x,
        Activation::Relu => s.max(x, s.zero()),
        Activation::LeakyRelu(a) => s.select(s.ge(x, s.zero()), x, s.mul(x, s.splat(a))),
        Activation::Tanh => tanh(s, x),
        Activation::Sine(w) => sin_cos(s, s.mul(x, s.splat(w))).0,
    }
}

/// The activation and its derivative at pre-activations `x` (as `Activation::derivative`: 0 at
/// ReLU's kink).
#[inline(always)]
pub fn apply_with_derivative<S: Simd>(s: S, act: Activation, x: S::V) -> (S::V, S::V) {
    let one = s.splat(1.0);
    match act {
        Activation::Identity => (x, one),
        Activation::Relu => (
            s.max(x, s.zero()),
            s.select(s.gt(x, s.zero()), one, s.zero()),
        ),
        Activation::LeakyRelu(a) => {
            let y = s.select(s.ge(x, s.zero()), x, s.mul(x, s.splat(a)));
            (y, s.select(s.gt(x, s.zero()), one, s.splat(a)))
        }
        Activation::Tanh => {
            let t = tanh(s, x);
            (t, s.fnmadd(t, t, one))
        }
        Activation::Sine(w) => {
            let (sin, cos) = sin_cos(s, s.mul(x, s.splat(w)));
            (sin, s.mul(cos, s.splat(w)))
        }
    }
}
