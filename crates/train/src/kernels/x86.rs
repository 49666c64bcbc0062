//! AVX-512 and AVX2+FMA instantiations of the generic kernels. Each entry point carries its
//! `target_feature`, so the generic code inlined into it is compiled for that instruction set.

use std::arch::x86_64::*;

use super::simd::{self, Simd};
use super::Epilogue;

#[derive(Clone, Copy)]
pub(super) struct Avx512;

// SAFETY: only called from the `avx512f` entry points below.
unsafe impl Simd for Avx512 {
    type V = __m512;
    const LANES: usize = 16;
    #[inline(always)]
    unsafe fn zero() -> __m512 {
        _mm512_setzero_ps()
    }
    #[inline(always)]
    unsafe fn splat(x: f32) -> __m512 {
        _mm512_set1_ps(x)
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> __m512 {
        _mm512_loadu_ps(p)
    }
    #[inline(always)]
    unsafe fn store(p: *mut f32, v: __m512) {
        _mm512_storeu_ps(p, v)
    }
    #[inline(always)]
    unsafe fn fma(a: __m512, b: __m512, c: __m512) -> __m512 {
        _mm512_fmadd_ps(a, b, c)
    }
    #[inline(always)]
    unsafe fn add(a: __m512, b: __m512) -> __m512 {
        _mm512_add_ps(a, b)
    }
    #[inline(always)]
    unsafe fn max0(a: __m512) -> __m512 {
        _mm512_max_ps(a, _mm512_setzero_ps())
    }
    #[inline(always)]
    unsafe fn keep_positive(a: __m512, mask: __m512) -> __m512 {
        let k = _mm512_cmp_ps_mask::<_CMP_GT_OQ>(mask, _mm512_setzero_ps());
        _mm512_maskz_mov_ps(k, a)
    }
    #[inline(always)]
    unsafe fn sum(a: __m512) -> f32 {
        _mm512_reduce_add_ps(a)
    }
    #[inline(always)]
    unsafe fn sums(acc: *const __m512) -> __m512 {
        // Four halving levels: 256-bit halves, 128-bit quarters, then pairs and singles within
        // 128-bit lanes. Lane j then holds the sum of input SIGMA[j]; SIGMA is its own inverse,
        // so reading the inputs through it puts the sum of input j in lane j.
        const SIGMA: [usize; 16] = [0, 2, 1, 3, 8, 10, 9, 11, 4, 6, 5, 7, 12, 14, 13, 15];
        let a = |q: usize| *acc.add(SIGMA[q]);
        let mut t = [_mm512_setzero_ps(); 8];
        for (i, t) in t.iter_mut().enumerate() {
            let (x, y) = (a(i), a(i + 8));
            *t = _mm512_add_ps(
                _mm512_shuffle_f32x4::<0x44>(x, y),
                _mm512_shuffle_f32x4::<0xEE>(x, y),
            );
        }
        let mut u = [_mm512_setzero_ps(); 4];
        for (i, u) in u.iter_mut().enumerate() {
            let (x, y) = (t[i], t[i + 4]);
            *u = _mm512_add_ps(
                _mm512_shuffle_f32x4::<0x88>(x, y),
                _mm512_shuffle_f32x4::<0xDD>(x, y),
            );
        }
        let mut v = [_mm512_setzero_ps(); 2];
        for (i, v) in v.iter_mut().enumerate() {
            let (x, y) = (u[i], u[i + 2]);
            *v = _mm512_add_ps(
                _mm512_shuffle_ps::<0x44>(x, y),
                _mm512_shuffle_ps::<0xEE>(x, y),
            );
        }
        _mm512_add_ps(
            _mm512_shuffle_ps::<0x88>(v[0], v[1]),
            _mm512_shuffle_ps::<0xDD>(v[0], v[1]),
        )
    }
}

#[derive(Clone, Copy)]
pub(super) struct Avx2;

// SAFETY: only called from the `avx2,fma` entry points below.
unsafe impl Simd for Avx2 {
    type V = __m256;
    const LANES: usize = 8;
    #[inline(always)]
    unsafe fn zero() -> __m256 {
        _mm256_setzero_ps()
    }
    #[inline(always)]
    unsafe fn splat(x: f32) -> __m256 {
        _mm256_set1_ps(x)
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> __m256 {
        _mm256_loadu_ps(p)
    }
    #[inline(always)]
    unsafe fn store(p: *mut f32, v: __m256) {
        _mm256_storeu_ps(p, v)
    }
    #[inline(always)]
    unsafe fn fma(a: __m256, b: __m256, c: __m256) -> __m256 {
        _mm256_fmadd_ps(a, b, c)
    }
    #[inline(always)]
    unsafe fn add(a: __m256, b: __m256) -> __m256 {
        _mm256_add_ps(a, b)
    }
    #[inline(always)]
    unsafe fn max0(a: __m256) -> __m256 {
        _mm256_max_ps(a, _mm256_setzero_ps())
    }
    #[inline(always)]
    unsafe fn keep_positive(a: __m256, mask: __m256) -> __m256 {
        _mm256_and_ps(a, _mm256_cmp_ps::<_CMP_GT_OQ>(mask, _mm256_setzero_ps()))
    }
    #[inline(always)]
    unsafe fn sum(a: __m256) -> f32 {
        let s = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps::<1>(a));
        let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
        let s = _mm_add_ss(s, _mm_movehdup_ps(s));
        _mm_cvtss_f32(s)
    }
    #[inline(always)]
    unsafe fn sums(acc: *const __m256) -> __m256 {
        // As for AVX-512, with three levels: 128-bit halves, pairs, singles.
        const SIGMA: [usize; 8] = [0, 2, 1, 3, 4, 6, 5, 7];
        let a = |q: usize| *acc.add(SIGMA[q]);
        let mut t = [_mm256_setzero_ps(); 4];
        for (i, t) in t.iter_mut().enumerate() {
            let (x, y) = (a(i), a(i + 4));
            *t = _mm256_add_ps(
                _mm256_permute2f128_ps::<0x20>(x, y),
                _mm256_permute2f128_ps::<0x31>(x, y),
            );
        }
        let mut u = [_mm256_setzero_ps(); 2];
        for (i, u) in u.iter_mut().enumerate() {
            let (x, y) = (t[i], t[i + 2]);
            *u = _mm256_add_ps(
                _mm256_shuffle_ps::<0x44>(x, y),
                _mm256_shuffle_ps::<0xEE>(x, y),
            );
        }
        _mm256_add_ps(
            _mm256_shuffle_ps::<0x88>(u[0], u[1]),
            _mm256_shuffle_ps::<0xDD>(u[0], u[1]),
        )
    }
}

/// # Safety
/// Needs AVX-512F; arguments as `Kernel::matmul` asserts.
#[target_feature(enable = "avx512f")]
#[allow(clippy::too_many_arguments)]
pub(super) unsafe fn matmul_avx512(
    w: &[f32],
    bias: Option<&[f32]>,
    x: &[f32],
    y: &mut [f32],
    rows: usize,
    k: usize,
    c: usize,
    epilogue: Epilogue,
) {
    simd::matmul::<Avx512, 4, 4>(w, bias, x, y, rows, k, c, epilogue)
}

/// # Safety
/// Needs AVX-512F; arguments as `Kernel::weight_grad` asserts.
#[target_feature(enable = "avx512f")]
pub(super) unsafe fn weight_grad_avx512(
    dz: &[f32],
    x: &[f32],
    dw: &mut [f32],
    db: &mut [f32],
    rows: usize,
    k: usize,
    c: usize,
) {
    simd::weight_grad::<Avx512, 4, 4>(dz, x, dw, db, rows, k, c)
}

/// # Safety
/// Needs AVX2 and FMA; arguments as `Kernel::matmul` asserts.
#[target_feature(enable = "avx2,fma")]
#[allow(clippy::too_many_arguments)]
pub(super) unsafe fn matmul_avx2(
    w: &[f32],
    bias: Option<&[f32]>,
    x: &[f32],
    y: &mut [f32],
    rows: usize,
    k: usize,
    c: usize,
    epilogue: Epilogue,
) {
    simd::matmul::<Avx2, 4, 2>(w, bias, x, y, rows, k, c, epilogue)
}

/// # Safety
/// Needs AVX2 and FMA; arguments as `Kernel::weight_grad` asserts.
#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn weight_grad_avx2(
    dz: &[f32],
    x: &[f32],
    dw: &mut [f32],
    db: &mut [f32],
    rows: usize,
    k: usize,
    c: usize,
) {
    simd::weight_grad::<Avx2, 2, 4>(dz, x, dw, db, rows, k, c)
}
