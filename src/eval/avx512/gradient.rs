//! AVX-512 gradient entry points.

use super::{Avx512, TILE_VECTORS};
use crate::eval::simd::{batch, single};
use crate::eval::Network;

/// Distances and world-space gradients at many points. Panics if the CPU lacks AVX-512F.
pub fn gradients(net: &Network, points: &[[f32; 3]], dist: &mut [f32], grad: &mut [[f32; 3]]) {
    let s = Avx512::get();
    // SAFETY: the token proves the CPU has the features the callee is compiled for.
    unsafe { gradients_avx512(s, net, points, dist, grad) }
}

/// Distance and world-space gradient at one point. Panics if the CPU lacks AVX-512F.
pub fn gradient(net: &Network, p: [f32; 3]) -> (f32, [f32; 3]) {
    let s = Avx512::get();
    // SAFETY: as above.
    unsafe { gradient_avx512(s, net, p) }
}

#[target_feature(enable = "avx512f,avx2,fma")]
unsafe fn gradients_avx512(
    s: Avx512,
    net: &Network,
    points: &[[f32; 3]],
    dist: &mut [f32],
    grad: &mut [[f32; 3]],
) {
    batch::gradients::<Avx512, TILE_VECTORS>(s, net, points, dist, grad)
}

#[target_feature(enable = "avx512f,avx2,fma")]
unsafe fn gradient_avx512(s: Avx512, net: &Network, p: [f32; 3]) -> (f32, [f32; 3]) {
    single::gradient(s, net, p)
}
