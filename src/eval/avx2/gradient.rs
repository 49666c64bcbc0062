//! AVX2 gradient entry points.

use super::{Avx2, TILE_VECTORS};
use crate::eval::simd::{batch, single};
use crate::eval::Network;

/// Distances and world-space gradients at many points. Panics if the CPU lacks AVX2 and FMA.
pub fn gradients(net: &Network, points: &[[f32; 3]], dist: &mut [f32], grad: &mut [[f32; 3]]) {
    let s = Avx2::get();
    // SAFETY: the token proves the CPU has the features the callee is compiled for.
    unsafe { gradients_avx2(s, net, points, dist, grad) }
}

/// Distance and world-space gradient at one point. Panics if the CPU lacks AVX2 and FMA.
pub fn gradient(net: &Network, p: [f32; 3]) -> (f32, [f32; 3]) {
    let s = Avx2::get();
    // SAFETY: as above.
    unsafe { gradient_avx2(s, net, p) }
}

#[target_feature(enable = "avx2,fma")]
unsafe fn gradients_avx2(
    s: Avx2,
    net: &Network,
    points: &[[f32; 3]],
    dist: &mut [f32],
    grad: &mut [[f32; 3]],
) {
    batch::gradients::<Avx2, TILE_VECTORS>(s, net, points, dist, grad)
}

#[target_feature(enable = "avx2,fma")]
unsafe fn gradient_avx2(s: Avx2, net: &Network, p: [f32; 3]) -> (f32, [f32; 3]) {
    single::gradient(s, net, p)
}
