//! AVX-512 distance entry points.

use super::{Avx512, TILE_VECTORS};
use crate::eval::simd::{batch, single};
use crate::eval::Network;

/// Distances at many world points. Panics if the CPU lacks AVX-512F.
pub fn distances(net: &Network, points: &[[f32; 3]], out: &mut [f32]) {
    let s = Avx512::get();
    // SAFETY: the token proves the CPU has the features the callee is compiled for.
    unsafe { distances_avx512(s, net, points, out) }
}

/// Distance at one world point. Panics if the CPU lacks AVX-512F.
pub fn distance(net: &Network, p: [f32; 3]) -> f32 {
    let s = Avx512::get();
    // SAFETY: as above.
    unsafe { distance_avx512(s, net, p) }
}

#[target_feature(enable = "avx512f,avx2,fma")]
unsafe fn distances_avx512(s: Avx512, net: &Network, points: &[[f32; 3]], out: &mut [f32]) {
    batch::distances::<Avx512, TILE_VECTORS>(s, net, points, out)
}

#[target_feature(enable = "avx512f,avx2,fma")]
unsafe fn distance_avx512(s: Avx512, net: &Network, p: [f32; 3]) -> f32 {
    single::distance(s, net, p)
}
