//! Eight-lane f32 vectors for the distance kernels, as a trait with a portable implementation
//! (`[f32; 8]`) and an AVX2 one. The kernels in `wide.rs` are written once against [`Lanes`]
//! and compiled inside `#[target_feature]` entry points, so the intrinsics inline there.
//!
//! Only operations that round identically everywhere are offered (no fused multiply-add), so
//! every implementation returns bit-identical distances.

/// Lanes per vector.
pub const W: usize = 8;

/// An instruction set as a zero-sized token; a value exists only where the CPU supports it.
pub trait Lanes: Copy {
    type V: Copy;
    type M: Copy;
    fn load(self, a: &[f32; W]) -> Self::V;
    fn store(self, v: Self::V, out: &mut [f32; W]);
    fn splat(self, x: f32) -> Self::V;
    fn add(self, a: Self::V, b: Self::V) -> Self::V;
    fn sub(self, a: Self::V, b: Self::V) -> Self::V;
    fn mul(self, a: Self::V, b: Self::V) -> Self::V;
    fn div(self, a: Self::V, b: Self::V) -> Self::V;
    fn sqrt(self, a: Self::V) -> Self::V;
    /// `a < b ? a : b` per lane (the second operand when either is NaN).
    fn min(self, a: Self::V, b: Self::V) -> Self::V;
    /// `a > b ? a : b` per lane (the second operand when either is NaN).
    fn max(self, a: Self::V, b: Self::V) -> Self::V;
    /// `|a|` (clears the sign bit).
    fn abs(self, a: Self::V) -> Self::V;
    /// `a >= b` (false for NaN).
    fn ge(self, a: Self::V, b: Self::V) -> Self::M;
    /// `a <= b` (false for NaN).
    fn le(self, a: Self::V, b: Self::V) -> Self::M;
    /// `a < b` (false for NaN).
    fn lt(self, a: Self::V, b: Self::V) -> Self::M;
    fn and(self, a: Self::M, b: Self::M) -> Self::M;
    /// `m ? a : b` per lane.
    fn select(self, m: Self::M, a: Self::V, b: Self::V) -> Self::V;
    /// Bit i set when lane i of `m` is.
    fn bits(self, m: Self::M) -> u32;
    /// Smallest lane (for NaN-free input).
    fn hmin(self, v: Self::V) -> f32;
    /// Bit i set when lane i equals `x`.
    fn eq_bits(self, v: Self::V, x: f32) -> u32;

    #[inline(always)]
    fn dot(self, a: [Self::V; 3], b: [Self::V; 3]) -> Self::V {
        self.add(
            self.add(self.mul(a[0], b[0]), self.mul(a[1], b[1])),
            self.mul(a[2], b[2]),
        )
    }
}

/// Portable lanes: plain arrays (the compiler vectorizes what it can for the baseline target).
#[derive(Clone, Copy)]
pub struct Portable;

impl Lanes for Portable {
    type V = [f32; W];
    type M = [bool; W];
    #[inline(always)]
    fn load(self, a: &[f32; W]) -> [f32; W] {
        *a
    }
    #[inline(always)]
    fn store(self, v: [f32; W], out: &mut [f32; W]) {
        *out = v;
    }
    #[inline(always)]
    fn splat(self, x: f32) -> [f32; W] {
        [x; W]
    }
    #[inline(always)]
    fn add(self, a: [f32; W], b: [f32; W]) -> [f32; W] {
        std::array::from_fn(|i| a[i] + b[i])
    }
    #[inline(always)]
    fn sub(self, a: [f32; W], b: [f32; W]) -> [f32; W] {
        std::array::from_fn(|i| a[i] - b[i])
    }
    #[inline(always)]
    fn mul(self, a: [f32; W], b: [f32; W]) -> [f32; W] {
        std::array::from_fn(|i| a[i] * b[i])
    }
    #[inline(always)]
    fn div(self, a: [f32; W], b: [f32; W]) -> [f32; W] {
        std::array::from_fn(|i| a[i] / b[i])
    }
    #[inline(always)]
    fn sqrt(self, a: [f32; W]) -> [f32; W] {
        a.map(f32::sqrt)
    }
    #[inline(always)]
    fn min(self, a: [f32; W], b: [f32; W]) -> [f32; W] {
        std::array::from_fn(|i| if a[i] < b[i] { a[i] } else { b[i] })
    }
    #[inline(always)]
    fn max(self, a: [f32; W], b: [f32; W]) -> [f32; W] {
        std::array::from_fn(|i| if a[i] > b[i] { a[i] } else { b[i] })
    }
    #[inline(always)]
    fn abs(self, a: [f32; W]) -> [f32; W] {
        a.map(f32::abs)
    }
    #[inline(always)]
    fn ge(self, a: [f32; W], b: [f32; W]) -> [bool; W] {
        std::array::from_fn(|i| a[i] >= b[i])
    }
    #[inline(always)]
    fn le(self, a: [f32; W], b: [f32; W]) -> [bool; W] {
        std::array::from_fn(|i| a[i] <= b[i])
    }
    #[inline(always)]
    fn lt(self, a: [f32; W], b: [f32; W]) -> [bool; W] {
        std::array::from_fn(|i| a[i] < b[i])
    }
    #[inline(always)]
    fn and(self, a: [bool; W], b: [bool; W]) -> [bool; W] {
        std::array::from_fn(|i| a[i] & b[i])
    }
    #[inline(always)]
    fn select(self, m: [bool; W], a: [f32; W], b: [f32; W]) -> [f32; W] {
        std::array::from_fn(|i| if m[i] { a[i] } else { b[i] })
    }
    #[inline(always)]
    fn bits(self, m: [bool; W]) -> u32 {
        m.iter()
            .enumerate()
            .fold(0, |acc, (i, &b)| acc | ((b as u32) << i))
    }
    #[inline(always)]
    fn hmin(self, v: [f32; W]) -> f32 {
        v.iter().fold(v[0], |m, &x| if x < m { x } else { m })
    }
    #[inline(always)]
    fn eq_bits(self, v: [f32; W], x: f32) -> u32 {
        v.iter()
            .enumerate()
            .fold(0, |acc, (i, &y)| acc | (((y == x) as u32) << i))
    }
}

#[cfg(target_arch = "x86_64")]
pub use avx2::Avx2;

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::{Lanes, W};
    use std::arch::x86_64::*;

    /// AVX2 lanes. Exists only on CPUs with AVX2 and FMA ([`Avx2::new`]).
    #[derive(Clone, Copy)]
    pub struct Avx2(());

    impl Avx2 {
        /// The token, when the CPU has AVX2 and FMA (the kernels are compiled with both).
        pub fn new() -> Option<Avx2> {
            (is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma"))
                .then_some(Avx2(()))
        }

        /// # Safety
        /// The CPU must support AVX2 and FMA.
        #[inline(always)]
        pub unsafe fn new_unchecked() -> Avx2 {
            Avx2(())
        }
    }

    // SAFETY (every `unsafe` block below): an `Avx2` value exists only on CPUs with AVX2, and
    // loads and stores touch exactly one `[f32; 8]` through a reference.
    impl Lanes for Avx2 {
        type V = __m256;
        type M = __m256;
        #[inline(always)]
        fn load(self, a: &[f32; W]) -> __m256 {
            unsafe { _mm256_loadu_ps(a.as_ptr()) }
        }
        #[inline(always)]
        fn store(self, v: __m256, out: &mut [f32; W]) {
            unsafe { _mm256_storeu_ps(out.as_mut_ptr(), v) }
        }
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
        fn sqrt(self, a: __m256) -> __m256 {
            unsafe { _mm256_sqrt_ps(a) }
        }
        #[inline(always)]
        fn min(self, a: __m256, b: __m256) -> __m256 {
            unsafe { _mm256_min_ps(a, b) }
        }
        #[inline(always)]
        fn max(self, a: __m256, b: __m256) -> __m256 {
            unsafe { _mm256_max_ps(a, b) }
        }
        #[inline(always)]
        fn abs(self, a: __m256) -> __m256 {
            unsafe { _mm256_andnot_ps(_mm256_set1_ps(-0.0), a) }
        }
        #[inline(always)]
        fn ge(self, a: __m256, b: __m256) -> __m256 {
            unsafe { _mm256_cmp_ps::<_CMP_GE_OQ>(a, b) }
        }
        #[inline(always)]
        fn le(self, a: __m256, b: __m256) -> __m256 {
            unsafe { _mm256_cmp_ps::<_CMP_LE_OQ>(a, b) }
        }
        #[inline(always)]
        fn lt(self, a: __m256, b: __m256) -> __m256 {
            unsafe { _mm256_cmp_ps::<_CMP_LT_OQ>(a, b) }
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
        fn bits(self, m: __m256) -> u32 {
            unsafe { _mm256_movemask_ps(m) as u32 }
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
        fn eq_bits(self, v: __m256, x: f32) -> u32 {
            unsafe { _mm256_movemask_ps(_mm256_cmp_ps::<_CMP_EQ_OQ>(v, _mm256_set1_ps(x))) as u32 }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every operation of every implementation this CPU runs agrees with `Portable`.
    #[test]
    fn implementations_agree() {
        let a = [1.0, -2.0, f32::NAN, 0.0, -0.0, 3.5, f32::INFINITY, 1e-30];
        let b = [0.5, -2.0, 1.0, f32::NAN, 0.0, 7.0, -1.0, 1e30];
        let p = Portable;
        #[cfg(target_arch = "x86_64")]
        if let Some(s) = Avx2::new() {
            let to =
                |v: std::arch::x86_64::__m256| -> [f32; W] { unsafe { std::mem::transmute(v) } };
            let (va, vb) = (s.load(&a), s.load(&b));
            let same = |x: [f32; W], y: [f32; W]| {
                x.iter().zip(&y).all(|(u, v)| u.to_bits() == v.to_bits())
            };
            assert!(same(to(s.add(va, vb)), p.add(a, b)));
            assert!(same(to(s.mul(va, vb)), p.mul(a, b)));
            assert!(same(to(s.min(va, vb)), p.min(a, b)));
            assert!(same(to(s.max(va, vb)), p.max(a, b)));
            assert!(same(to(s.abs(va)), p.abs(a)));
            assert!(same(to(s.div(va, vb)), p.div(a, b)));
            assert!(same(to(s.sqrt(va)), p.sqrt(a)));
            assert_eq!(s.bits(s.lt(va, vb)), p.bits(p.lt(a, b)));
            assert_eq!(s.bits(s.ge(va, vb)), p.bits(p.ge(a, b)));
            assert_eq!(s.bits(s.le(va, vb)), p.bits(p.le(a, b)));
            let c = [3.0, -1.0, 2.0, 0.5, 9.0, -4.0, 7.0, 1.0];
            assert_eq!(s.hmin(s.load(&c)), p.hmin(c));
            assert_eq!(s.eq_bits(va, -2.0), p.eq_bits(a, -2.0));
            let m = s.ge(va, vb);
            assert!(same(to(s.select(m, va, vb)), p.select(p.ge(a, b), a, b)));
        }
        assert_eq!(p.hmin(a), -2.0);
        assert_eq!(p.bits(p.le(a, b)), 0b1011_0010);
        assert_eq!(p.hmin([3.0, -1.0, 2.0, 0.5, 9.0, -4.0, 7.0, 1.0]), -4.0);
    }
}
