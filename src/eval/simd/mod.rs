//! The kernels shared by the SIMD backends (`avx2`, `avx512`), written once against the [`Simd`]
//! trait and instantiated per instruction set.
//!
//! Batches (`batch.rs`) run each layer as a small GEMM over a block of points, points in vector
//! lanes (`gemm.rs`); single points (`single.rs`) put neurons in lanes instead. `math.rs` holds
//! the vectorized activations and the sine/cosine of the Fourier encoding.
//!
//! Everything here is `#[inline(always)]`: it only becomes machine code inside the backends'
//! `#[target_feature]` entry points, so the intrinsics inline into code compiled for that
//! instruction set.

pub mod batch;
mod bound;
mod gemm;
mod math;
mod scratch;
pub mod single;

/// A SIMD instruction set, as a zero-sized token. A value of an implementing type may only exist
/// when the CPU supports the instruction set (each backend's constructor checks), which is what
/// makes the safe methods sound.
pub trait Simd: Copy {
    /// A vector of `LANES` f32.
    type V: Copy;
    /// A lane mask, the result of comparisons.
    type M: Copy;
    const LANES: usize;
    /// Vector registers, which bound how many accumulators a kernel can keep.
    const REGISTERS: usize;

    fn splat(self, x: f32) -> Self::V;
    fn add(self, a: Self::V, b: Self::V) -> Self::V;
    fn sub(self, a: Self::V, b: Self::V) -> Self::V;
    fn mul(self, a: Self::V, b: Self::V) -> Self::V;
    fn div(self, a: Self::V, b: Self::V) -> Self::V;
    /// `a * b + c` with one rounding.
    fn fmadd(self, a: Self::V, b: Self::V, c: Self::V) -> Self::V;
    /// `c - a * b` with one rounding.
    fn fnmadd(self, a: Self::V, b: Self::V, c: Self::V) -> Self::V;
    /// The larger of `a` and `b`; `b` where either is NaN (the x86 rule, which `min` shares):
    /// `max(x, 0)` maps NaN to 0 as `f32::max` does, `max(0, x)` keeps it.
    fn max(self, a: Self::V, b: Self::V) -> Self::V;
    fn min(self, a: Self::V, b: Self::V) -> Self::V;
    fn abs(self, a: Self::V) -> Self::V;
    /// `a` with its sign bit flipped where `sign` has its sign bit set.
    fn xor_sign(self, a: Self::V, sign: Self::V) -> Self::V;
    /// Rounds to the nearest integer (ties to even).
    fn round(self, a: Self::V) -> Self::V;
    /// `2^n` for integral `n` in [-126, 127].
    fn pow2(self, n: Self::V) -> Self::V;
    /// Lanes whose value, an integer, has bit `bit` set.
    fn bit_set(self, n: Self::V, bit: u32) -> Self::M;
    fn gt(self, a: Self::V, b: Self::V) -> Self::M;
    fn ge(self, a: Self::V, b: Self::V) -> Self::M;
    /// `m ? a : b` per lane.
    fn select(self, m: Self::M, a: Self::V, b: Self::V) -> Self::V;
    fn any(self, m: Self::M) -> bool;
    fn reduce_add(self, a: Self::V) -> f32;

    /// Loads `LANES` floats.
    ///
    /// # Safety
    /// `p..p + LANES` must be readable.
    unsafe fn load(self, p: *const f32) -> Self::V;
    /// # Safety
    /// `p..p + LANES` must be writable.
    unsafe fn store(self, p: *mut f32, v: Self::V);
    /// Loads the first `n < LANES` floats, zero in the other lanes; reads nothing past `p + n`.
    ///
    /// # Safety
    /// `p..p + n` must be readable.
    unsafe fn load_partial(self, p: *const f32, n: usize) -> Self::V;
    /// Stores the first `n < LANES` lanes; writes nothing past `p + n`.
    ///
    /// # Safety
    /// `p..p + n` must be writable.
    unsafe fn store_partial(self, p: *mut f32, v: Self::V, n: usize);
    /// Loads `LANES` consecutive points and returns their x, y and z in three vectors.
    ///
    /// # Safety
    /// `p..p + LANES` must be readable.
    unsafe fn load_xyz(self, p: *const [f32; 3]) -> [Self::V; 3];

    #[inline(always)]
    fn zero(self) -> Self::V {
        self.splat(0.0)
    }

    /// The sign bit (-0.0) where the integer `n` has bit `bit` set, else +0.0.
    #[inline(always)]
    fn sign_if_bit(self, n: Self::V, bit: u32) -> Self::V {
        self.select(self.bit_set(n, bit), self.splat(-0.0), self.zero())
    }

    /// Applies `f` to each lane (the scalar fallback for rare inputs).
    #[inline(always)]
    fn map_lanes(self, v: Self::V, f: impl Fn(f32) -> f32) -> Self::V {
        let mut buf = [0.0f32; 16];
        debug_assert!(Self::LANES <= 16);
        // SAFETY: `buf` holds 16 ≥ LANES floats.
        unsafe {
            self.store(buf.as_mut_ptr(), v);
            buf[..Self::LANES].iter_mut().for_each(|x| *x = f(*x));
            self.load(buf.as_ptr())
        }
    }
}
