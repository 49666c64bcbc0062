//! The AVX-512F backend (x86_64). Batches run blocks of 64 points through 4-row × 4-vector
//! register tiles; single points put 16 neurons in a vector. The kernels are shared with the AVX2
//! backend (`eval::simd`); this module supplies the instructions, and `simd_entry_points!` the
//! entry points, each compiled with AVX-512F enabled and called only after run-time detection.

use crate::eval::simd::Simd;
use std::arch::x86_64::*;

/// Vectors of points per register tile: 4 × 16 lanes = the 64-point block in one tile.
const TILE_VECTORS: usize = 4;

crate::eval::simd::simd_entry_points!(Avx512, "avx512f,avx2,fma", TILE_VECTORS);

/// Whether this CPU can run the backend.
pub fn is_available() -> bool {
    is_x86_feature_detected!("avx512f")
        && is_x86_feature_detected!("avx2")
        && is_x86_feature_detected!("fma")
}

/// Proof that the CPU supports AVX-512F (plus AVX2 and FMA, which every such CPU has).
#[derive(Clone, Copy, Debug)]
pub struct Avx512(());

impl Avx512 {
    /// The token, or `None` when the CPU lacks the instructions.
    pub fn new() -> Option<Avx512> {
        is_available().then_some(Avx512(()))
    }

    /// The token without the check, for hot paths that already checked.
    ///
    /// # Safety
    /// The CPU must support AVX-512F, AVX2 and FMA.
    #[inline(always)]
    pub unsafe fn new_unchecked() -> Avx512 {
        Avx512(())
    }

    /// The token; panics on a CPU without AVX-512F ([`crate::eval::Backend::detect`] never picks
    /// this backend there, and `Shape::with_backend` refuses it).
    fn get() -> Avx512 {
        Avx512::new().expect("the avx512 backend needs a CPU with AVX-512F, AVX2 and FMA")
    }
}

#[inline(always)]
fn mask(n: usize) -> __mmask16 {
    ((1u32 << n) - 1) as __mmask16
}

// SAFETY (every `unsafe` block below): an `Avx512` value exists only when the CPU supports
// AVX-512F, and the pointer functions pass on their callers' guarantees.
impl Simd for Avx512 {
    type V = __m512;
    type M = __mmask16;
    const LANES: usize = 16;
    const REGISTERS: usize = 32;

    #[inline(always)]
    fn splat(self, x: f32) -> __m512 {
        unsafe { _mm512_set1_ps(x) }
    }
    #[inline(always)]
    fn add(self, a: __m512, b: __m512) -> __m512 {
        unsafe { _mm512_add_ps(a, b) }
    }
    #[inline(always)]
    fn sub(self, a: __m512, b: __m512) -> __m512 {
        unsafe { _mm512_sub_ps(a, b) }
    }
    #[inline(always)]
    fn mul(self, a: __m512, b: __m512) -> __m512 {
        unsafe { _mm512_mul_ps(a, b) }
    }
    #[inline(always)]
    fn div(self, a: __m512, b: __m512) -> __m512 {
        unsafe { _mm512_div_ps(a, b) }
    }
    #[inline(always)]
    fn fmadd(self, a: __m512, b: __m512, c: __m512) -> __m512 {
        unsafe { _mm512_fmadd_ps(a, b, c) }
    }
    #[inline(always)]
    fn fnmadd(self, a: __m512, b: __m512, c: __m512) -> __m512 {
        unsafe { _mm512_fnmadd_ps(a, b, c) }
    }
    #[inline(always)]
    fn max(self, a: __m512, b: __m512) -> __m512 {
        unsafe { _mm512_max_ps(a, b) }
    }
    #[inline(always)]
    fn min(self, a: __m512, b: __m512) -> __m512 {
        unsafe { _mm512_min_ps(a, b) }
    }
    #[inline(always)]
    fn abs(self, a: __m512) -> __m512 {
        unsafe { _mm512_abs_ps(a) }
    }
    #[inline(always)]
    fn sqrt(self, a: __m512) -> __m512 {
        unsafe { _mm512_sqrt_ps(a) }
    }
    #[inline(always)]
    fn xor_sign(self, a: __m512, sign: __m512) -> __m512 {
        unsafe {
            let sign = _mm512_and_si512(_mm512_castps_si512(sign), _mm512_set1_epi32(i32::MIN));
            _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(a), sign))
        }
    }
    #[inline(always)]
    fn round(self, a: __m512) -> __m512 {
        unsafe { _mm512_roundscale_ps::<{ _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC }>(a) }
    }
    #[inline(always)]
    fn pow2(self, n: __m512) -> __m512 {
        unsafe {
            let e = _mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127));
            _mm512_castsi512_ps(_mm512_slli_epi32::<23>(e))
        }
    }
    #[inline(always)]
    fn bit_set(self, n: __m512, bit: u32) -> __mmask16 {
        unsafe { _mm512_test_epi32_mask(_mm512_cvtps_epi32(n), _mm512_set1_epi32(1 << bit)) }
    }
    #[inline(always)]
    fn gt(self, a: __m512, b: __m512) -> __mmask16 {
        unsafe { _mm512_cmp_ps_mask::<_CMP_GT_OQ>(a, b) }
    }
    #[inline(always)]
    fn ge(self, a: __m512, b: __m512) -> __mmask16 {
        unsafe { _mm512_cmp_ps_mask::<_CMP_GE_OQ>(a, b) }
    }
    #[inline(always)]
    fn lt(self, a: __m512, b: __m512) -> __mmask16 {
        unsafe { _mm512_cmp_ps_mask::<_CMP_LT_OQ>(a, b) }
    }
    #[inline(always)]
    fn le(self, a: __m512, b: __m512) -> __mmask16 {
        unsafe { _mm512_cmp_ps_mask::<_CMP_LE_OQ>(a, b) }
    }
    #[inline(always)]
    fn eq(self, a: __m512, b: __m512) -> __mmask16 {
        unsafe { _mm512_cmp_ps_mask::<_CMP_EQ_OQ>(a, b) }
    }
    #[inline(always)]
    fn and(self, a: __mmask16, b: __mmask16) -> __mmask16 {
        a & b
    }
    #[inline(always)]
    fn select(self, m: __mmask16, a: __m512, b: __m512) -> __m512 {
        unsafe { _mm512_mask_blend_ps(m, b, a) }
    }
    #[inline(always)]
    fn keep(self, m: __mmask16, a: __m512) -> __m512 {
        unsafe { _mm512_maskz_mov_ps(m, a) }
    }
    #[inline(always)]
    fn any(self, m: __mmask16) -> bool {
        m != 0
    }
    #[inline(always)]
    fn bits(self, m: __mmask16) -> u32 {
        m as u32
    }
    #[inline(always)]
    fn reduce_add(self, a: __m512) -> f32 {
        unsafe { _mm512_reduce_add_ps(a) }
    }
    #[inline(always)]
    fn hmin(self, a: __m512) -> f32 {
        unsafe { _mm512_reduce_min_ps(a) }
    }
    #[inline(always)]
    fn sums(self, acc: &[__m512]) -> __m512 {
        // Four halving levels: 256-bit halves, 128-bit quarters, then pairs and singles within
        // 128-bit lanes. Lane j then holds the sum of input SIGMA[j]; SIGMA is its own inverse,
        // so reading the inputs through it puts the sum of input j in lane j.
        const SIGMA: [usize; 16] = [0, 2, 1, 3, 8, 10, 9, 11, 4, 6, 5, 7, 12, 14, 13, 15];
        let acc: &[__m512; 16] = acc.try_into().expect("sums: needs LANES vectors");
        unsafe {
            let a = |q: usize| acc[SIGMA[q]];
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
    #[inline(always)]
    unsafe fn load(self, p: *const f32) -> __m512 {
        _mm512_loadu_ps(p)
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f32, v: __m512) {
        _mm512_storeu_ps(p, v)
    }
    #[inline(always)]
    unsafe fn load_partial(self, p: *const f32, n: usize) -> __m512 {
        _mm512_maskz_loadu_ps(mask(n), p)
    }
    #[inline(always)]
    unsafe fn store_partial(self, p: *mut f32, v: __m512, n: usize) {
        _mm512_mask_storeu_ps(p, mask(n), v)
    }
    const NATIVE_HALF_GATHER: bool = true;
    #[inline(always)]
    unsafe fn gather_halves(self, base: *const u32, index: *const u32) -> [__m512; 2] {
        let words =
            _mm512_i32gather_epi32::<4>(_mm512_loadu_si512(index as *const _), base as *const _);
        let lo = _mm512_cvtph_ps(_mm512_cvtepi32_epi16(words));
        let hi = _mm512_cvtph_ps(_mm512_cvtepi32_epi16(_mm512_srli_epi32::<16>(words)));
        [lo, hi]
    }
    #[inline(always)]
    unsafe fn gather(self, base: *const f32, index: *const u32) -> __m512 {
        _mm512_i32gather_ps::<4>(_mm512_loadu_si512(index as *const _), base as *const _)
    }
    #[inline(always)]
    unsafe fn load_xyz(self, p: *const [f32; 3]) -> [__m512; 3] {
        let idx = _mm512_setr_epi32(0, 3, 6, 9, 12, 15, 18, 21, 24, 27, 30, 33, 36, 39, 42, 45);
        let p = p.cast::<f32>();
        [
            _mm512_i32gather_ps::<4>(idx, p),
            _mm512_i32gather_ps::<4>(idx, p.add(1)),
            _mm512_i32gather_ps::<4>(idx, p.add(2)),
        ]
    }
}
