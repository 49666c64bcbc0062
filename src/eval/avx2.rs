//! The AVX2 + FMA backend (x86_64), for CPUs without AVX-512. Batches run blocks of 64 points
//! through 4-row × 2-vector register tiles (16 registers: 8 accumulators, 2 activations, one
//! broadcast weight, the rest for the epilogue); single points put 8 neurons in a vector. The
//! kernels are shared with the AVX-512 backend (`eval::simd`); this module supplies the
//! instructions, and `simd_entry_points!` the entry points, each compiled with AVX2 and FMA
//! enabled and called only after run-time detection.

use crate::eval::simd::Simd;
use std::arch::x86_64::*;

/// Vectors of points per register tile (2 × 8 lanes); a 64-point block is 4 tiles wide.
const TILE_VECTORS: usize = 2;

crate::eval::simd::simd_entry_points!(Avx2, "avx2,fma", TILE_VECTORS);

/// Whether this CPU can run the backend.
pub fn is_available() -> bool {
    is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma")
}

/// Proof that the CPU supports AVX2 and FMA.
#[derive(Clone, Copy, Debug)]
pub struct Avx2(());

impl Avx2 {
    /// The token, or `None` when the CPU lacks the instructions.
    pub fn new() -> Option<Avx2> {
        is_available().then_some(Avx2(()))
    }

    /// The token without the check, for hot paths that already checked.
    ///
    /// # Safety
    /// The CPU must support AVX2 and FMA.
    #[inline(always)]
    pub unsafe fn new_unchecked() -> Avx2 {
        Avx2(())
    }

    /// The token; panics on a CPU without AVX2 and FMA ([`crate::eval::Backend::detect`] never
    /// picks this backend there, and `Shape::with_backend` refuses it).
    fn get() -> Avx2 {
        Avx2::new().expect("the avx2 backend needs a CPU with AVX2 and FMA")
    }
}

/// Lanes `< n` all ones, for masked loads and stores.
#[inline(always)]
unsafe fn mask(n: usize) -> __m256i {
    _mm256_cmpgt_epi32(
        _mm256_set1_epi32(n as i32),
        _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
    )
}

// SAFETY (every `unsafe` block below): an `Avx2` value exists only when the CPU supports AVX2
// and FMA, and the pointer functions pass on their callers' guarantees.
impl Simd for Avx2 {
    type V = __m256;
    type M = __m256;
    const LANES: usize = 8;
    const REGISTERS: usize = 16;

    #[inline(always)]
    fn splat(self, x: f32) -> __m256 {
        unsafe { _mm256_set1_ps(x) }
    }
    #[inline(always)]
    fn add(self, a: __m256, b: __m256) -> __m256 {
        unsafe { _mm256_add_ps(a, b) }
    }
    #[inline(always)]
    fn sub(self, a: __m256, b: __m256) -> __m256 {
        unsafe { _mm256_sub_ps(a, b) }
    }
    #[inline(always)]
    fn mul(self, a: __m256, b: __m256) -> __m256 {
        unsafe { _mm256_mul_ps(a, b) }
    }
    #[inline(always)]
    fn div(self, a: __m256, b: __m256) -> __m256 {
        unsafe { _mm256_div_ps(a, b) }
    }
    #[inline(always)]
    fn fmadd(self, a: __m256, b: __m256, c: __m256) -> __m256 {
        unsafe { _mm256_fmadd_ps(a, b, c) }
    }
    #[inline(always)]
    fn fnmadd(self, a: __m256, b: __m256, c: __m256) -> __m256 {
        unsafe { _mm256_fnmadd_ps(a, b, c) }
    }
    #[inline(always)]
    fn max(self, a: __m256, b: __m256) -> __m256 {
        unsafe { _mm256_max_ps(a, b) }
    }
    #[inline(always)]
    fn min(self, a: __m256, b: __m256) -> __m256 {
        unsafe { _mm256_min_ps(a, b) }
    }
    #[inline(always)]
    fn abs(self, a: __m256) -> __m256 {
        unsafe { _mm256_andnot_ps(_mm256_set1_ps(-0.0), a) }
    }
    #[inline(always)]
    fn sqrt(self, a: __m256) -> __m256 {
        unsafe { _mm256_sqrt_ps(a) }
    }
    #[inline(always)]
    fn xor_sign(self, a: __m256, sign: __m256) -> __m256 {
        unsafe { _mm256_xor_ps(a, _mm256_and_ps(sign, _mm256_set1_ps(-0.0))) }
    }
    #[inline(always)]
    fn round(self, a: __m256) -> __m256 {
        unsafe { _mm256_round_ps::<{ _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC }>(a) }
    }
    #[inline(always)]
    fn pow2(self, n: __m256) -> __m256 {
        unsafe {
            let e = _mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127));
            _mm256_castsi256_ps(_mm256_slli_epi32::<23>(e))
        }
    }
    #[inline(always)]
    fn bit_set(self, n: __m256, bit: u32) -> __m256 {
        unsafe {
            let b = _mm256_set1_epi32(1 << bit);
            let set = _mm256_and_si256(_mm256_cvtps_epi32(n), b);
            _mm256_castsi256_ps(_mm256_cmpeq_epi32(set, b))
        }
    }
    #[inline(always)]
    fn gt(self, a: __m256, b: __m256) -> __m256 {
        unsafe { _mm256_cmp_ps::<_CMP_GT_OQ>(a, b) }
    }
    #[inline(always)]
    fn ge(self, a: __m256, b: __m256) -> __m256 {
        unsafe { _mm256_cmp_ps::<_CMP_GE_OQ>(a, b) }
    }
    #[inline(always)]
    fn lt(self, a: __m256, b: __m256) -> __m256 {
        unsafe { _mm256_cmp_ps::<_CMP_LT_OQ>(a, b) }
    }
    #[inline(always)]
    fn le(self, a: __m256, b: __m256) -> __m256 {
        unsafe { _mm256_cmp_ps::<_CMP_LE_OQ>(a, b) }
    }
    #[inline(always)]
    fn eq(self, a: __m256, b: __m256) -> __m256 {
        unsafe { _mm256_cmp_ps::<_CMP_EQ_OQ>(a, b) }
    }
    #[inline(always)]
    fn and(self, a: __m256, b: __m256) -> __m256 {
        unsafe { _mm256_and_ps(a, b) }
    }
    #[inline(always)]
    fn select(self, m: __m256, a: __m256, b: __m256) -> __m256 {
        unsafe { _mm256_blendv_ps(b, a, m) }
    }
    #[inline(always)]
    fn keep(self, m: __m256, a: __m256) -> __m256 {
        unsafe { _mm256_and_ps(a, m) }
    }
    #[inline(always)]
    fn any(self, m: __m256) -> bool {
        unsafe { _mm256_movemask_ps(m) != 0 }
    }
    #[inline(always)]
    fn bits(self, m: __m256) -> u32 {
        unsafe { _mm256_movemask_ps(m) as u32 }
    }
    #[inline(always)]
    fn reduce_add(self, a: __m256) -> f32 {
        unsafe {
            let s = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps::<1>(a));
            let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
            _mm_cvtss_f32(_mm_add_ss(s, _mm_shuffle_ps::<1>(s, s)))
        }
    }
    #[inline(always)]
    fn hmin(self, v: __m256) -> f32 {
        unsafe {
            let h = _mm256_permute2f128_ps::<1>(v, v);
            let m = _mm256_min_ps(h, v);
            let m = _mm256_min_ps(_mm256_permute_ps::<0b01_00_11_10>(m), m);
            let m = _mm256_min_ps(_mm256_permute_ps::<0b10_11_00_01>(m), m);
            _mm256_cvtss_f32(m)
        }
    }
    #[inline(always)]
    fn sums(self, acc: &[__m256]) -> __m256 {
        // Three halving levels: 128-bit halves, pairs, singles. Lane j then holds the sum of
        // input SIGMA[j]; SIGMA is its own inverse, so reading the inputs through it puts the
        // sum of input j in lane j.
        const SIGMA: [usize; 8] = [0, 2, 1, 3, 4, 6, 5, 7];
        let acc: &[__m256; 8] = acc.try_into().expect("sums: needs LANES vectors");
        unsafe {
            let a = |q: usize| acc[SIGMA[q]];
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
    #[inline(always)]
    unsafe fn load(self, p: *const f32) -> __m256 {
        _mm256_loadu_ps(p)
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f32, v: __m256) {
        _mm256_storeu_ps(p, v)
    }
    #[inline(always)]
    unsafe fn load_partial(self, p: *const f32, n: usize) -> __m256 {
        _mm256_maskload_ps(p, mask(n))
    }
    #[inline(always)]
    unsafe fn store_partial(self, p: *mut f32, v: __m256, n: usize) {
        _mm256_maskstore_ps(p, mask(n), v)
    }
    #[inline(always)]
    unsafe fn gather(self, base: *const f32, index: *const u32) -> __m256 {
        _mm256_i32gather_ps::<4>(base, _mm256_loadu_si256(index as *const __m256i))
    }
    #[inline(always)]
    unsafe fn load_xyz(self, p: *const [f32; 3]) -> [__m256; 3] {
        let idx = _mm256_setr_epi32(0, 3, 6, 9, 12, 15, 18, 21);
        let p = p.cast::<f32>();
        [
            _mm256_i32gather_ps::<4>(p, idx),
            _mm256_i32gather_ps::<4>(p.add(1), idx),
            _mm256_i32gather_ps::<4>(p.add(2), idx),
        ]
    }
}
