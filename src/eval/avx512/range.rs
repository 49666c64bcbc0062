//! Avx512 entry point for box bounds: the scalar reference's body with the register-tiled
//! kernels of `simd::bound`.

use super::Avx512;
use crate::eval::scalar::range::{bounds_inline, LinearBound};
use crate::eval::Network;

/// Linear bounds of the distance over world boxes. Panics if the CPU lacks the instructions.
pub fn bounds(net: &Network, boxes: &[[[f32; 3]; 2]], out: &mut [LinearBound]) {
    let s = Avx512::get();
    // SAFETY: the token proves the CPU has the features the callee is compiled for.
    unsafe { bounds_avx512(s, net, boxes, out) }
}

#[target_feature(enable = "avx512f,avx2,fma")]
unsafe fn bounds_avx512(
    s: Avx512,
    net: &Network,
    boxes: &[[[f32; 3]; 2]],
    out: &mut [LinearBound],
) {
    bounds_inline(s, net, boxes, out)
}
