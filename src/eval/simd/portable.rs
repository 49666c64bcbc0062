//! [`Portable`]: the [`Simd`] operations on plain arrays, for every target. The compiler
//! vectorizes what it can for the baseline target; the exactly rounded operations return the
//! same bits as the x86 tokens (including their NaN and signed-zero rules for `min` and `max`).

use super::Simd;

/// `N` lanes as a plain `[f32; N]`; constructible everywhere (`Portable::<8>`).
#[derive(Clone, Copy, Debug, Default)]
pub struct Portable<const N: usize>;

impl<const N: usize> Portable<N> {
    #[inline(always)]
    fn map2(a: [f32; N], b: [f32; N], f: impl Fn(f32, f32) -> f32) -> [f32; N] {
        std::array::from_fn(|i| f(a[i], b[i]))
    }

    #[inline(always)]
    fn cmp(a: [f32; N], b: [f32; N], f: impl Fn(f32, f32) -> bool) -> [bool; N] {
        std::array::from_fn(|i| f(a[i], b[i]))
    }
}

/// The integer `cvtps2dq` gives (round to nearest even; out of range: `i32::MIN`).
#[inline(always)]
fn to_i32(x: f32) -> i32 {
    let r = x.round_ties_even();
    if (-2_147_483_648.0..2_147_483_648.0).contains(&r) {
        r as i32
    } else {
        i32::MIN
    }
}

impl<const N: usize> Simd for Portable<N> {
    type V = [f32; N];
    type M = [bool; N];
    const LANES: usize = N;
    const REGISTERS: usize = 16;

    #[inline(always)]
    fn splat(self, x: f32) -> [f32; N] {
        [x; N]
    }
    #[inline(always)]
    fn add(self, a: [f32; N], b: [f32; N]) -> [f32; N] {
        Self::map2(a, b, |x, y| x + y)
    }
    #[inline(always)]
    fn sub(self, a: [f32; N], b: [f32; N]) -> [f32; N] {
        Self::map2(a, b, |x, y| x - y)
    }
    #[inline(always)]
    fn mul(self, a: [f32; N], b: [f32; N]) -> [f32; N] {
        Self::map2(a, b, |x, y| x * y)
    }
    #[inline(always)]
    fn div(self, a: [f32; N], b: [f32; N]) -> [f32; N] {
        Self::map2(a, b, |x, y| x / y)
    }
    #[inline(always)]
    fn fmadd(self, a: [f32; N], b: [f32; N], c: [f32; N]) -> [f32; N] {
        std::array::from_fn(|i| a[i].mul_add(b[i], c[i]))
    }
    #[inline(always)]
    fn fnmadd(self, a: [f32; N], b: [f32; N], c: [f32; N]) -> [f32; N] {
        std::array::from_fn(|i| (-a[i]).mul_add(b[i], c[i]))
    }
    #[inline(always)]
    fn max(self, a: [f32; N], b: [f32; N]) -> [f32; N] {
        Self::map2(a, b, |x, y| if x > y { x } else { y })
    }
    #[inline(always)]
    fn min(self, a: [f32; N], b: [f32; N]) -> [f32; N] {
        Self::map2(a, b, |x, y| if x < y { x } else { y })
    }
    #[inline(always)]
    fn abs(self, a: [f32; N]) -> [f32; N] {
        a.map(f32::abs)
    }
    #[inline(always)]
    fn sqrt(self, a: [f32; N]) -> [f32; N] {
        a.map(f32::sqrt)
    }
    #[inline(always)]
    fn xor_sign(self, a: [f32; N], sign: [f32; N]) -> [f32; N] {
        Self::map2(a, sign, |x, s| {
            f32::from_bits(x.to_bits() ^ (s.to_bits() & 0x8000_0000))
        })
    }
    #[inline(always)]
    fn round(self, a: [f32; N]) -> [f32; N] {
        a.map(f32::round_ties_even)
    }
    #[inline(always)]
    fn pow2(self, n: [f32; N]) -> [f32; N] {
        n.map(|x| f32::from_bits((to_i32(x).wrapping_add(127) as u32) << 23))
    }
    #[inline(always)]
    fn bit_set(self, n: [f32; N], bit: u32) -> [bool; N] {
        n.map(|x| to_i32(x) & (1 << bit) != 0)
    }
    #[inline(always)]
    fn gt(self, a: [f32; N], b: [f32; N]) -> [bool; N] {
        Self::cmp(a, b, |x, y| x > y)
    }
    #[inline(always)]
    fn ge(self, a: [f32; N], b: [f32; N]) -> [bool; N] {
        Self::cmp(a, b, |x, y| x >= y)
    }
    #[inline(always)]
    fn lt(self, a: [f32; N], b: [f32; N]) -> [bool; N] {
        Self::cmp(a, b, |x, y| x < y)
    }
    #[inline(always)]
    fn le(self, a: [f32; N], b: [f32; N]) -> [bool; N] {
        Self::cmp(a, b, |x, y| x <= y)
    }
    #[inline(always)]
    fn eq(self, a: [f32; N], b: [f32; N]) -> [bool; N] {
        Self::cmp(a, b, |x, y| x == y)
    }
    #[inline(always)]
    fn and(self, a: [bool; N], b: [bool; N]) -> [bool; N] {
        std::array::from_fn(|i| a[i] & b[i])
    }
    #[inline(always)]
    fn select(self, m: [bool; N], a: [f32; N], b: [f32; N]) -> [f32; N] {
        std::array::from_fn(|i| if m[i] { a[i] } else { b[i] })
    }
    #[inline(always)]
    fn keep(self, m: [bool; N], a: [f32; N]) -> [f32; N] {
        std::array::from_fn(|i| if m[i] { a[i] } else { 0.0 })
    }
    #[inline(always)]
    fn any(self, m: [bool; N]) -> bool {
        m.iter().any(|&b| b)
    }
    #[inline(always)]
    fn bits(self, m: [bool; N]) -> u32 {
        m.iter()
            .enumerate()
            .fold(0, |acc, (i, &b)| acc | ((b as u32) << i))
    }
    #[inline(always)]
    fn reduce_add(self, a: [f32; N]) -> f32 {
        a.iter().sum()
    }
    #[inline(always)]
    fn hmin(self, a: [f32; N]) -> f32 {
        a.iter().fold(a[0], |m, &x| if x < m { x } else { m })
    }
    #[inline(always)]
    fn sums(self, acc: &[[f32; N]]) -> [f32; N] {
        assert_eq!(acc.len(), N, "sums: needs LANES vectors");
        std::array::from_fn(|j| self.reduce_add(acc[j]))
    }
    #[inline(always)]
    unsafe fn load(self, p: *const f32) -> [f32; N] {
        p.cast::<[f32; N]>().read_unaligned()
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f32, v: [f32; N]) {
        p.cast::<[f32; N]>().write_unaligned(v)
    }
    #[inline(always)]
    unsafe fn load_partial(self, p: *const f32, n: usize) -> [f32; N] {
        std::array::from_fn(|i| {
            if i < n {
                p.add(i).read_unaligned()
            } else {
                0.0
            }
        })
    }
    #[inline(always)]
    unsafe fn store_partial(self, p: *mut f32, v: [f32; N], n: usize) {
        for (i, &x) in v.iter().enumerate().take(n) {
            p.add(i).write_unaligned(x);
        }
    }
    #[inline(always)]
    unsafe fn load_xyz(self, p: *const [f32; 3]) -> [[f32; N]; 3] {
        let pts: [[f32; 3]; N] = std::array::from_fn(|i| p.add(i).read_unaligned());
        [0, 1, 2].map(|k| std::array::from_fn(|i| pts[i][k]))
    }
}
