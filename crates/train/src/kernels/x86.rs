//! The AVX-512 and AVX2+FMA instantiations of the generic kernels, on the runtime's tokens. Each
//! entry point carries its `target_feature`, so the generic code inlined into it is compiled for
//! that instruction set; the token argument proves the CPU has it.

use nsdf::simd::{Avx2, Avx512};

use nsdf::Activation;

use super::simd;
use super::Epilogue;

/// # Safety
/// Arguments as `Kernel::matmul` asserts.
#[target_feature(enable = "avx512f,avx2,fma")]
#[allow(clippy::too_many_arguments)]
pub(super) unsafe fn matmul_avx512(
    s: Avx512,
    w: &[f32],
    bias: Option<&[f32]>,
    x: &[f32],
    y: &mut [f32],
    rows: usize,
    k: usize,
    c: usize,
    epilogue: Epilogue,
) {
    simd::matmul::<Avx512, 4, 4>(s, w, bias, x, y, rows, k, c, epilogue)
}

/// # Safety
/// Arguments as `Kernel::weight_grad` asserts.
#[target_feature(enable = "avx512f,avx2,fma")]
#[allow(clippy::too_many_arguments)]
pub(super) unsafe fn weight_grad_avx512(
    s: Avx512,
    dz: &[f32],
    x: &[f32],
    dw: &mut [f32],
    db: &mut [f32],
    rows: usize,
    k: usize,
    c: usize,
) {
    simd::weight_grad::<Avx512, 4, 4>(s, dz, x, dw, db, rows, k, c)
}

/// # Safety
/// Arguments as `Kernel::matmul` asserts.
#[target_feature(enable = "avx2,fma")]
#[allow(clippy::too_many_arguments)]
pub(super) unsafe fn matmul_avx2(
    s: Avx2,
    w: &[f32],
    bias: Option<&[f32]>,
    x: &[f32],
    y: &mut [f32],
    rows: usize,
    k: usize,
    c: usize,
    epilogue: Epilogue,
) {
    simd::matmul::<Avx2, 4, 2>(s, w, bias, x, y, rows, k, c, epilogue)
}

/// # Safety
/// Arguments as `Kernel::weight_grad` asserts.
#[target_feature(enable = "avx2,fma")]
#[allow(clippy::too_many_arguments)]
pub(super) unsafe fn weight_grad_avx2(
    s: Avx2,
    dz: &[f32],
    x: &[f32],
    dw: &mut [f32],
    db: &mut [f32],
    rows: usize,
    k: usize,
    c: usize,
) {
    simd::weight_grad::<Avx2, 2, 4>(s, dz, x, dw, db, rows, k, c)
}

/// # Safety
/// Arguments as `Kernel::activate` asserts.
#[target_feature(enable = "avx512f,avx2,fma")]
pub(super) unsafe fn activate_avx512(s: Avx512, act: Activation, z: &[f32], out: &mut [f32]) {
    simd::activate(s, act, z, out)
}

/// # Safety
/// Arguments as `Kernel::times_derivative` asserts.
#[target_feature(enable = "avx512f,avx2,fma")]
pub(super) unsafe fn times_derivative_avx512(s: Avx512, act: Activation, z: &[f32], d: &mut [f32]) {
    simd::times_derivative(s, act, z, d)
}

/// # Safety
/// Arguments as `Kernel::activate` asserts.
#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn activate_avx2(s: Avx2, act: Activation, z: &[f32], out: &mut [f32]) {
    simd::activate(s, act, z, out)
}

/// # Safety
/// Arguments as `Kernel::times_derivative` asserts.
#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn times_derivative_avx2(s: Avx2, act: Activation, z: &[f32], d: &mut [f32]) {
    simd::times_derivative(s, act, z, d)
}
