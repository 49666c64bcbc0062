use nsdf::{Scheme, Shape};
use nsdf_testing::*;

#[test]
fn write_parse_evaluate_round_trip() {
    for scheme in [Scheme::F32, Scheme::F16, Scheme::Int8, Scheme::Int8Half] {
        let m = davies(7, scheme);
        let bytes = nsdf::to_bytes(&m).unwrap();
        let shape = Shape::from_bytes(&bytes).unwrap();
        let stored = as_stored(&m);
        assert_eq!(shape.model(), &stored, "{scheme:?}");
        let mut rng = Rng(1);
        for _ in 0..100 {
            let p = rng.point(2.0);
            let want = reference_distance(&stored, p);
            let got = shape.distance(p);
            assert!(
                (got as f64 - want).abs() < 1e-5,
                "{scheme:?} {p:?}: {got} vs {want}"
            );
            let (d, g) = shape.gradient(p);
            assert_eq!(d, got);
            let h = 1e-6;
            for a in 0..3 {
                let (mut p1, mut p0) = (p.map(|x| x as f64), p.map(|x| x as f64));
                p1[a] += h;
                p0[a] -= h;
                let fd = (reference_distance64(&stored, p1) - reference_distance64(&stored, p0))
                    / (2.0 * h);
                assert!(
                    (g[a] as f64 - fd).abs() < 1e-3 * (1.0 + fd.abs()),
                    "grad {a}: {} vs {fd}",
                    g[a]
                );
            }
        }
        println!("{scheme:?}: {} bytes", bytes.len());
    }
}
