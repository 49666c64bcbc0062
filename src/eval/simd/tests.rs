//! Every token this CPU runs against [`Portable`] of the same width: bit-identical lanes for the
//! exactly rounded operations (what `nsdf-mesh`'s kernels rely on), close sums for the rest.

use super::{Portable, Simd};
use crate::eval::{avx2::Avx2, avx512::Avx512};

/// Inputs with the awkward cases: NaN, signed zeros, infinities, tiny and huge values.
fn inputs<const N: usize>() -> ([f32; N], [f32; N]) {
    let a = [
        1.0,
        -2.0,
        f32::NAN,
        0.0,
        -0.0,
        3.5,
        f32::INFINITY,
        1e-30,
        -7.25,
        0.5,
        -0.0,
        f32::NEG_INFINITY,
        2.0,
        1e30,
        -1e-3,
        4.0,
    ];
    let b = [
        0.5,
        -2.0,
        1.0,
        f32::NAN,
        0.0,
        7.0,
        -1.0,
        1e30,
        -7.25,
        -0.5,
        0.0,
        3.0,
        f32::NAN,
        -1e30,
        1e-3,
        -4.0,
    ];
    (
        std::array::from_fn(|i| a[i % 16]),
        std::array::from_fn(|i| b[i % 16]),
    )
}

fn check<S: Simd, const N: usize>(s: S) {
    assert_eq!(S::LANES, N);
    let p = Portable::<N>;
    let (a, b) = inputs::<N>();
    let to = |v: S::V| -> [f32; N] {
        let mut out = [0.0; N];
        // SAFETY: `out` holds N = LANES floats.
        unsafe { s.store(out.as_mut_ptr(), v) };
        out
    };
    // SAFETY: `a` and `b` hold N = LANES floats.
    let (va, vb) = unsafe { (s.load(a.as_ptr()), s.load(b.as_ptr())) };
    let same = |name: &str, x: [f32; N], y: [f32; N]| {
        // NaN payloads and signs differ between hardware and constant folding (release builds
        // fold the portable side): any NaN matches any NaN, everything else bit for bit.
        let ok = x
            .iter()
            .zip(&y)
            .all(|(u, v)| u.to_bits() == v.to_bits() || (u.is_nan() && v.is_nan()));
        assert!(ok, "{name}: {x:?} vs portable {y:?}");
    };
    same("add", to(s.add(va, vb)), p.add(a, b));
    same("sub", to(s.sub(va, vb)), p.sub(a, b));
    same("mul", to(s.mul(va, vb)), p.mul(a, b));
    same("div", to(s.div(va, vb)), p.div(a, b));
    same("min", to(s.min(va, vb)), p.min(a, b));
    same("max", to(s.max(va, vb)), p.max(a, b));
    same("abs", to(s.abs(va)), p.abs(a));
    same("sqrt", to(s.sqrt(va)), p.sqrt(a));
    same("xor_sign", to(s.xor_sign(va, vb)), p.xor_sign(a, b));
    same(
        "round",
        to(s.round(s.mul(va, s.splat(0.75)))),
        p.round(p.mul(a, p.splat(0.75))),
    );
    let n: [f32; N] = std::array::from_fn(|i| (i as f32) * 9.0 - 60.0);
    // SAFETY: `n` holds N floats.
    let vn = unsafe { s.load(n.as_ptr()) };
    same("pow2", to(s.pow2(vn)), p.pow2(n));
    for bit in [0, 1, 3] {
        assert_eq!(
            s.bits(s.bit_set(vn, bit)),
            p.bits(p.bit_set(n, bit)),
            "bit_set"
        );
    }
    for (name, x, y) in [
        ("gt", s.bits(s.gt(va, vb)), p.bits(p.gt(a, b))),
        ("ge", s.bits(s.ge(va, vb)), p.bits(p.ge(a, b))),
        ("lt", s.bits(s.lt(va, vb)), p.bits(p.lt(a, b))),
        ("le", s.bits(s.le(va, vb)), p.bits(p.le(a, b))),
        ("eq", s.bits(s.eq(va, vb)), p.bits(p.eq(a, b))),
        (
            "and",
            s.bits(s.and(s.ge(va, vb), s.le(va, vb))),
            p.bits(p.and(p.ge(a, b), p.le(a, b))),
        ),
    ] {
        assert_eq!(x, y, "{name}");
    }
    assert_eq!(s.any(s.gt(va, vb)), p.any(p.gt(a, b)));
    assert!(!s.any(s.gt(va, s.splat(f32::INFINITY))));
    same(
        "select",
        to(s.select(s.ge(va, vb), va, vb)),
        p.select(p.ge(a, b), a, b),
    );
    same("keep", to(s.keep(s.lt(va, vb), va)), p.keep(p.lt(a, b), a));
    let c: [f32; N] = std::array::from_fn(|i| ((i * 7) % 11) as f32 - 4.5);
    // SAFETY: `c` holds N floats.
    let vc = unsafe { s.load(c.as_ptr()) };
    assert_eq!(s.hmin(vc), p.hmin(c));
    assert_eq!(p.hmin(c), -4.5);
    assert_eq!(s.reduce_add(vc), p.reduce_add(c));
    // Small integers: every summation order is exact.
    let rows: Vec<[f32; N]> = (0..N)
        .map(|r| std::array::from_fn(|i| ((r * 31 + i * 7) % 13) as f32))
        .collect();
    // SAFETY: each row holds N floats.
    let vrows: Vec<S::V> = rows.iter().map(|r| unsafe { s.load(r.as_ptr()) }).collect();
    same("sums", to(s.sums(&vrows)), p.sums(&rows));
    let want: [f32; N] = std::array::from_fn(|j| rows[j].iter().sum());
    same("sums (definition)", p.sums(&rows), want);
}

#[test]
fn tokens_agree_with_portable() {
    check::<_, 8>(Portable::<8>);
    check::<_, 16>(Portable::<16>);
    if let Some(s) = Avx2::new() {
        check::<_, 8>(s);
    }
    if let Some(s) = Avx512::new() {
        check::<_, 16>(s);
    }
}

#[test]
fn portable_definitions() {
    let p = Portable::<8>;
    let (a, b) = inputs::<8>();
    assert_eq!(p.bits(p.le(a, b)), 0b1011_0010);
    assert_eq!(p.hmin([3.0, -1.0, 2.0, 0.5, 9.0, -4.0, 7.0, 1.0]), -4.0);
    assert_eq!(
        p.pow2([-126.0, 0.0, 3.0, 127.0, 1.0, 2.0, -1.0, 10.0])[..4],
        [f32::MIN_POSITIVE, 1.0, 8.0, 2f32.powi(127)]
    );
    assert_eq!(
        p.round([0.5, 1.5, 2.5, -0.5, -1.5, 0.49, 3.7, -3.7]),
        [0.0, 2.0, 2.0, -0.0, -2.0, 0.0, 4.0, -4.0]
    );
}
