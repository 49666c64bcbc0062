//! Conformance of every evaluation backend: one macro, [`conformance_tests!`], instantiated once
//! per backend (the scalar one included), checks distances, gradients, single points, batch sizes
//! around the SIMD block (64 points) and multi-threaded batches, on Davies' network in each
//! storage scheme, odd widths, the Fourier encoding and every activation, against an f64
//! reference run on the stored weights (`reference` below: forward and reverse mode, independent
//! of `nsdf::eval`, and checked against the evaluator in `tests/common`). Some results must be
//! bit-identical, not just close: a threaded batch and a one-thread batch, a point wherever it
//! falls in a batch, the distances of a gradient batch and of a distance batch, and `gradient`'s
//! distance and `distance`.
//!
//! # Tolerance
//! A value passes when `|got - want| <= RTOL * (|want| + typical)`, where `typical` is the RMS of
//! the reference values over the test's points (for gradients, of the gradient norms), and
//! `RTOL = 1e-4`. Backends evaluate in f32 (unit roundoff 6e-8) and legitimately differ from the
//! exact result and from each other by rounding: fused multiply-adds versus separate multiply and
//! add, sums split or reordered for SIMD (per layer relative errors of about √width · 6e-8, up
//! to ~1e-6 for width 300), and a few ulp from the vectorized tanh/sin/exp. Over 9 layers this
//! stays one to two orders of magnitude below 1e-4, while an indexing, tail or activation bug
//! gives errors of the size of the values themselves. The `typical` term is the absolute part:
//! near a zero crossing the relative error of a sum is unbounded, but its absolute error scales
//! with the magnitudes summed, not with the result. Measured: the worst error of any backend
//! (the scalar one included) is 0.06 of the allowed for distances and 0.15 for gradients.
//!
//! Far from the shape (points 1,000 units away are included) the network sums large terms to a
//! small result, and no f32 evaluation can be more exact than the terms' size: the allowed error
//! gets `MAG_TOL * magnitude` added, where `magnitude` is `|distance_scale| · Σ|w·x| + |b|` of the
//! last layer at that point and `MAG_TOL = 1e-5` (about 170 unit roundoffs). Such points are used
//! only for networks whose f32 evaluation is well conditioned there: sines of large arguments
//! (Fourier encoding, sine activation) are not.
//!
//! Gradients are not compared at the rare points where a ReLU-type pre-activation lies within
//! rounding of its kink (the derivative jumps there, and either side is right); the tests assert
//! such points are rare.

mod common;
use common::*;
use nsdf::{Activation, Backend, Encoding, Model, Scheme, Shape};

/// Relative tolerance; see the module documentation.
const RTOL: f64 = 1e-4;
/// Tolerance relative to the magnitude of the last layer's terms; see the module documentation.
const MAG_TOL: f64 = 1e-5;
/// A ReLU-type pre-activation within this fraction of its terms' magnitude of zero is "at the
/// kink": f32 rounding (a few hundred unit roundoffs at most over the layers) could flip it.
const KINK_MARGIN: f64 = 2e-5;

/// Batch sizes: empty, single, below, at and above one 64-point SIMD block, and many blocks.
const BATCH_SIZES: [usize; 7] = [0, 1, 7, 63, 64, 65, 1000];

/// A network to test and whether far-away points are well conditioned for it.
struct Case {
    name: String,
    model: Model,
    far_points: bool,
}

fn cases() -> Vec<Case> {
    let case = |name: String, model: Model, far_points| Case {
        name,
        model,
        far_points,
    };
    let mut v = Vec::new();
    for scheme in [Scheme::F32, Scheme::F16, Scheme::Int8] {
        v.push(case(
            format!("davies {}", scheme.name()),
            davies(11, scheme),
            true,
        ));
    }
    let (relu, tanh) = (Activation::Relu, Activation::Tanh);
    for w in [1usize, 3, 5, 17, 33, 100, 300] {
        // Two hidden layers of the width, one for the widest (it dominates the test's time).
        let hidden = if w < 300 { vec![w, w] } else { vec![w] };
        let m = random_model(
            20 + w as u64,
            Encoding::None,
            &hidden,
            relu,
            tanh,
            Scheme::F32,
        );
        v.push(case(format!("width {w}"), m, true));
    }
    let mixed = random_model(
        3,
        Encoding::None,
        &[17, 300, 5, 33, 64],
        relu,
        Activation::Identity,
        Scheme::F32,
    );
    v.push(case("mixed widths".into(), mixed, true));
    for (frequencies, width) in [(1, 19), (4, 32), (6, 65)] {
        let m = random_model(
            40,
            Encoding::Fourier { frequencies },
            &[width, width],
            relu,
            tanh,
            Scheme::F32,
        );
        v.push(case(
            format!("fourier {frequencies} width {width}"),
            m,
            false,
        ));
    }
    let activations = [
        Activation::Identity,
        Activation::Relu,
        Activation::LeakyRelu(0.1),
        Activation::Tanh,
        Activation::Sine(2.0),
    ];
    for act in activations {
        let m = random_model(50, Encoding::None, &[32, 17, 32], act, act, Scheme::F32);
        let far = !matches!(act, Activation::Sine(_));
        v.push(case(format!("activation {act:?}"), m, far));
    }
    v
}

/// `n` points: uniform over and around the test models' bounds, and every 17th one far away
/// (1,000 units) where the case allows.
fn points(case: &Case, n: usize, seed: u64) -> Vec<[f32; 3]> {
    let mut rng = Rng(seed);
    (0..n)
        .map(|i| {
            let p = rng.point(2.5);
            if case.far_points && i % 17 == 16 {
                p.map(|x| x * 400.0)
            } else {
                p
            }
        })
        .collect()
}

fn shape(case: &Case, backend: Backend, threads: usize) -> Shape {
    Shape::from_model(case.model.clone())
        .unwrap()
        .with_backend(backend)
        .unwrap()
        .with_threads(threads)
}

fn rms(values: impl Iterator<Item = f64>) -> f64 {
    let (sum, n) = values.fold((0.0, 0usize), |(s, n), v| (s + v * v, n + 1));
    if n == 0 {
        0.0
    } else {
        (sum / n as f64).sqrt()
    }
}

/// Checks `got` against `want` with the documented tolerance (`magnitude` as documented, 0 for
/// gradients); returns the error relative to the allowed one (≤ 1 passes).
fn check(what: impl Fn() -> String, got: f64, want: f64, typical: f64, magnitude: f64) -> f64 {
    let allowed = RTOL * (want.abs() + typical) + MAG_TOL * magnitude + f64::MIN_POSITIVE;
    let ratio = (got - want).abs() / allowed;
    assert!(
        got.is_finite() && ratio <= 1.0,
        "{}: got {got}, want {want} (allowed ±{allowed:.3e})",
        what()
    );
    ratio
}

/// The f64 reference at one point, on the stored weights, independent of `nsdf::eval`.
struct Reference {
    distance: f64,
    gradient: [f64; 3],
    /// `|distance_scale| · (|b| + Σ|w·x|)` of the last layer.
    magnitude: f64,
    /// The smallest |pre-activation| / (|b| + Σ|w·x|) over ReLU-type units.
    kink: f64,
}

/// Forward, then reverse-mode gradient, in f64 (plain index loops: tests run unoptimized).
fn reference(m: &Model, p: [f32; 3]) -> Reference {
    let t = &m.transform;
    let q: Vec<f64> = (0..3)
        .map(|i| t.scale as f64 * p[i] as f64 + t.translation[i] as f64)
        .collect();
    let mut x = q.clone();
    let freqs = match m.encoding {
        Encoding::Fourier { frequencies } => frequencies as usize,
        Encoding::None => 0,
    };
    for k in 0..freqs {
        let f = std::f64::consts::PI * 2f64.powi(k as i32);
        x.extend(q.iter().map(|v| (f * v).sin()));
        x.extend(q.iter().map(|v| (f * v).cos()));
    }
    let enc = x.clone();
    let mut derivs = Vec::with_capacity(m.layers.len());
    let (mut kink, mut magnitude) = (f64::INFINITY, 0.0);
    for l in &m.layers {
        let (mut y, mut d) = (vec![0.0; l.outputs], vec![0.0; l.outputs]);
        for o in 0..l.outputs {
            let row = &l.weights[o * l.inputs..(o + 1) * l.inputs];
            let (mut z, mut scale) = (l.bias[o] as f64, l.bias[o].abs() as f64);
            for i in 0..l.inputs {
                let term = row[i] as f64 * x[i];
                z += term;
                scale += term.abs();
            }
            magnitude = scale;
            (y[o], d[o]) = match l.activation {
                Activation::Identity => (z, 1.0),
                Activation::Relu => (z.max(0.0), if z > 0.0 { 1.0 } else { 0.0 }),
                Activation::LeakyRelu(a) => {
                    let a = a as f64;
                    (
                        if z >= 0.0 { z } else { a * z },
                        if z > 0.0 { 1.0 } else { a },
                    )
                }
                Activation::Tanh => (z.tanh(), 1.0 - z.tanh() * z.tanh()),
                Activation::Sine(w) => ((w as f64 * z).sin(), w as f64 * (w as f64 * z).cos()),
            };
            if matches!(l.activation, Activation::Relu | Activation::LeakyRelu(_)) && scale > 0.0 {
                kink = kink.min(z.abs() / scale);
            }
        }
        derivs.push(d);
        x = y;
    }
    // g = ∂f/∂(output of the current layer), walking back with Wᵀ.
    let mut g = vec![1.0f64];
    for (l, d) in m.layers.iter().zip(&derivs).rev() {
        let mut below = vec![0.0; l.inputs];
        for o in 0..l.outputs {
            let gz = g[o] * d[o];
            let row = &l.weights[o * l.inputs..(o + 1) * l.inputs];
            for i in 0..l.inputs {
                below[i] += row[i] as f64 * gz;
            }
        }
        g = below;
    }
    let mut gq = [g[0], g[1], g[2]];
    for k in 0..freqs {
        let f = std::f64::consts::PI * 2f64.powi(k as i32);
        for (a, gq) in gq.iter_mut().enumerate() {
            let (s, c) = (enc[3 + 6 * k + a], enc[6 + 6 * k + a]);
            *gq += f * (c * g[3 + 6 * k + a] - s * g[6 + 6 * k + a]);
        }
    }
    let ds = t.distance_scale as f64;
    let s = ds * t.scale as f64;
    Reference {
        distance: ds * x[0],
        gradient: gq.map(|g| s * g),
        magnitude: ds.abs() * magnitude,
        kink,
    }
}

fn references(m: &Model, pts: &[[f32; 3]]) -> Vec<Reference> {
    pts.iter().map(|p| reference(m, *p)).collect()
}

/// Compares distances with the reference; returns the worst error as a fraction of the allowed.
fn check_distances(what: &str, pts: &[[f32; 3]], want: &[Reference], got: &[f32]) -> f64 {
    let typical = rms(want.iter().map(|r| r.distance));
    let mut worst: f64 = 0.0;
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        let label = || format!("{what}: distance at {:?} (#{i})", pts[i]);
        worst = worst.max(check(label, *g as f64, w.distance, typical, w.magnitude));
    }
    worst
}

/// Compares gradients with the reference; a point that fails within rounding of a ReLU kink is
/// skipped instead (the tests assert few are). Returns the worst error as a fraction of the
/// allowed.
fn check_gradients(what: &str, pts: &[[f32; 3]], want: &[Reference], got: &[[f32; 3]]) -> f64 {
    let norm = |g: &[f64; 3]| (g[0] * g[0] + g[1] * g[1] + g[2] * g[2]).sqrt();
    let typical = rms(want.iter().map(|r| norm(&r.gradient)));
    let mut worst: f64 = 0.0;
    let mut skipped = 0;
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        let scale = typical + norm(&w.gradient);
        let close = (0..3)
            .all(|a| (g[a] as f64 - w.gradient[a]).abs() <= RTOL * (w.gradient[a].abs() + scale));
        if !close && w.kink < KINK_MARGIN {
            skipped += 1;
            continue;
        }
        for (a, (&got, &want)) in g.iter().zip(&w.gradient).enumerate() {
            let label = || format!("{what}: gradient[{a}] at {:?} (#{i})", pts[i]);
            worst = worst.max(check(label, got as f64, want, scale, 0.0));
        }
    }
    assert!(
        skipped <= (pts.len() / 20).max(2),
        "{what}: {skipped} of {} points at a ReLU kink",
        pts.len()
    );
    worst
}

/// Points sampled per box by the bound test: the 8 corners, the centre and random interior points.
const RANGE_SAMPLES: usize = 40;

/// Boxes from a thousandth of a unit to larger than the bounds, at random places (far away too
/// where the case allows), and `RANGE_SAMPLES` points in each.
fn range_boxes(case: &Case) -> (Vec<[[f32; 3]; 2]>, Vec<[f32; 3]>) {
    let mut rng = Rng(1234);
    let (mut boxes, mut samples) = (Vec::new(), Vec::new());
    for size in [1e-3f32, 0.03, 0.3, 3.0] {
        for k in 0..20 {
            let far = case.far_points && k % 10 == 9;
            let c = rng.point(2.5).map(|x| if far { x * 400.0 } else { x });
            let half = [0, 1, 2].map(|_| 0.5 * size * rng.uniform(0.2, 1.0));
            let bx = [
                [0, 1, 2].map(|a| c[a] - half[a]),
                [0, 1, 2].map(|a| c[a] + half[a]),
            ];
            boxes.push(bx);
            for j in 0..RANGE_SAMPLES {
                samples.push(match j {
                    0..8 => [0, 1, 2].map(|a| bx[(j >> a) & 1][a]),
                    8 => c,
                    _ => [0, 1, 2].map(|a| rng.uniform(bx[0][a], bx[1][a])),
                });
            }
        }
    }
    (boxes, samples)
}

/// Prints a line to the real stderr: the test harness captures `eprintln!`, so a skip would
/// otherwise go unseen.
fn notice(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// Instantiates the conformance tests for one backend in a module named `$name`. On a CPU
/// without the backend every test prints `SKIPPED: <backend> not supported on this CPU` to
/// stderr (shown by `cargo test`) and passes without checking anything; otherwise it must pass.
macro_rules! conformance_tests {
    ($name:ident, $backend:expr) => {
        mod $name {
            use super::*;

            fn backend() -> Option<Backend> {
                let b: Backend = $backend;
                if b.is_available() {
                    Some(b)
                } else {
                    notice(&format!("SKIPPED: {} not supported on this CPU", b.name()));
                    None
                }
            }

            #[test]
            fn batch_distances_match_reference() {
                let Some(b) = backend() else { return };
                let mut worst: f64 = 0.0;
                for case in cases() {
                    let shape = shape(&case, b, 1);
                    for n in BATCH_SIZES {
                        let pts = points(&case, n, n as u64);
                        let mut got = vec![f32::NAN; n];
                        shape.distances(&pts, &mut got);
                        let what = format!("{} {} n={n}", b.name(), case.name);
                        worst = worst.max(check_distances(
                            &what,
                            &pts,
                            &references(shape.model(), &pts),
                            &got,
                        ));
                        // A point's result does not depend on where it falls in a SIMD block.
                        if n > 3 {
                            let mut shifted = vec![f32::NAN; n - 3];
                            shape.distances(&pts[3..], &mut shifted);
                            assert_eq!(
                                shifted,
                                got[3..],
                                "{what}: results depend on the position in the batch"
                            );
                        }
                    }
                }
                println!(
                    "{}: worst batch distance error {worst:.3} of the tolerance",
                    b.name()
                );
            }

            #[test]
            fn batch_gradients_match_reference() {
                let Some(b) = backend() else { return };
                let mut worst: f64 = 0.0;
                for case in cases() {
                    let shape = shape(&case, b, 1);
                    for n in BATCH_SIZES {
                        let pts = points(&case, n, 100 + n as u64);
                        let (mut dist, mut grad) = (vec![f32::NAN; n], vec![[f32::NAN; 3]; n]);
                        shape.gradients(&pts, &mut dist, &mut grad);
                        let what = format!("{} {} n={n}", b.name(), case.name);
                        let want = references(shape.model(), &pts);
                        check_distances(&what, &pts, &want, &dist);
                        worst = worst.max(check_gradients(&what, &pts, &want, &grad));
                        // The distances of a gradient batch are those of a distance batch.
                        let mut plain = vec![f32::NAN; n];
                        shape.distances(&pts, &mut plain);
                        assert_eq!(
                            dist, plain,
                            "{what}: gradients' distances differ from distances"
                        );
                    }
                }
                println!(
                    "{}: worst batch gradient error {worst:.3} of the tolerance",
                    b.name()
                );
            }

            #[test]
            fn single_points_match_reference() {
                let Some(b) = backend() else { return };
                for case in cases() {
                    let shape = shape(&case, b, 1);
                    let pts = points(&case, 200, 7);
                    let dist: Vec<f32> = pts.iter().map(|p| shape.distance(*p)).collect();
                    let (gd, grad): (Vec<f32>, Vec<[f32; 3]>) =
                        pts.iter().map(|p| shape.gradient(*p)).unzip();
                    let what = format!("{} {} single", b.name(), case.name);
                    let want = references(shape.model(), &pts);
                    check_distances(&what, &pts, &want, &dist);
                    check_gradients(&what, &pts, &want, &grad);
                    assert_eq!(
                        gd, dist,
                        "{what}: gradient()'s distance differs from distance()"
                    );
                }
            }

            #[test]
            fn box_bounds_contain_every_sample() {
                let Some(b) = backend() else { return };
                for case in cases() {
                    let shape = shape(&case, b, 2);
                    let (boxes, samples) = range_boxes(&case);
                    let mut got = vec![nsdf::LinearBound::UNBOUNDED; boxes.len()];
                    shape.distance_bounds(&boxes, &mut got);
                    // The SIMD backends fuse multiply-adds: close to the reference, not equal.
                    let mut want = vec![nsdf::LinearBound::UNBOUNDED; boxes.len()];
                    nsdf::eval::scalar::bounds(shape.network(), &boxes, &mut want);
                    for (g, w) in got.iter().zip(&want) {
                        let tol = 1e-3 * (w.error + w.value.abs()) + 1e-6;
                        let close = (g.value - w.value).abs() <= tol
                            && (g.error - w.error).abs() <= tol
                            && (0..3).all(|a| (g.slope[a] - w.slope[a]).abs() <= 1e-3 * (1.0 + w.slope[a].abs()) + tol);
                        assert!(close || g == w, "{} {}: bound {g:?} far from the reference {w:?}", b.name(), case.name);
                    }
                    let mut d = vec![f32::NAN; samples.len()];
                    shape.distances(&samples, &mut d);
                    let pts = samples.chunks_exact(RANGE_SAMPLES);
                    for (i, ((bound, d), p)) in got.iter().zip(d.chunks_exact(RANGE_SAMPLES)).zip(pts).enumerate() {
                        let r = bound.range(boxes[i]);
                        for (j, (&d, p)) in d.iter().zip(p).enumerate() {
                            // The plane itself, then the interval over the box, contain it.
                            let plane: f32 = bound.value
                                + (0..3).map(|a| bound.slope[a] * (p[a] - bound.centre[a])).sum::<f32>();
                            let off = (d - plane).abs();
                            assert!(
                                off <= bound.error * (1.0 + 1e-5) + 1e-6 * plane.abs() && r.lo <= d && d <= r.hi,
                                "{} {}: box {i} {:?}: sample {j} distance {d}: {off} off the plane, bound {bound:?}, range {r:?}",
                                b.name(),
                                case.name,
                                boxes[i]
                            );
                        }
                    }
                }
            }

            #[test]
            fn threaded_batches_equal_one_thread() {
                let Some(b) = backend() else { return };
                // Large enough to be split over 2 threads (16k points per thread at least).
                let n = 33_000;
                // A small network: the work here is in the splitting, not the layers.
                let relu = Activation::Relu;
                let model = random_model(
                    60,
                    Encoding::Fourier { frequencies: 2 },
                    &[16, 5],
                    relu,
                    Activation::Tanh,
                    Scheme::F32,
                );
                for case in [Case {
                    name: "small fourier".into(),
                    model,
                    far_points: false,
                }] {
                    let (one, many) = (shape(&case, b, 1), shape(&case, b, 2));
                    let pts = points(&case, n, 99);
                    let (mut d1, mut d3) = (vec![f32::NAN; n], vec![f32::NAN; n]);
                    one.distances(&pts, &mut d1);
                    many.distances(&pts, &mut d3);
                    assert_eq!(
                        d1,
                        d3,
                        "{} {}: threaded distances differ",
                        b.name(),
                        case.name
                    );
                    let (mut gd1, mut g1) = (vec![f32::NAN; n], vec![[f32::NAN; 3]; n]);
                    let (mut gd3, mut g3) = (vec![f32::NAN; n], vec![[f32::NAN; 3]; n]);
                    one.gradients(&pts, &mut gd1, &mut g1);
                    many.gradients(&pts, &mut gd3, &mut g3);
                    assert_eq!(
                        (gd1, g1),
                        (gd3, g3),
                        "{} {}: threaded gradients differ",
                        b.name(),
                        case.name
                    );
                    // And the threaded results are right: check every 97th point.
                    let idx: Vec<usize> = (0..n).step_by(97).collect();
                    let sub: Vec<[f32; 3]> = idx.iter().map(|&i| pts[i]).collect();
                    let got: Vec<f32> = idx.iter().map(|&i| d3[i]).collect();
                    let what = format!("{} {} threaded", b.name(), case.name);
                    check_distances(&what, &sub, &references(many.model(), &sub), &got);
                }
            }
        }
    };
}

conformance_tests!(scalar, Backend::Scalar);
conformance_tests!(avx2, Backend::Avx2);
conformance_tests!(avx512, Backend::Avx512);

/// This file's f64 reference agrees with the independent one in `tests/common`.
#[test]
fn reference_agrees_with_common() {
    for case in cases() {
        let shape = Shape::from_model(case.model.clone()).unwrap();
        let pts = points(&case, 50, 5);
        for (p, r) in pts.iter().zip(references(shape.model(), &pts)) {
            let want = reference_distance(shape.model(), *p);
            assert!(
                (r.distance - want).abs() <= 1e-12 * (1.0 + r.magnitude),
                "{} at {p:?}",
                case.name
            );
        }
    }
}

/// Every backend this build knows is tested above; a new one must be added here.
#[test]
fn every_backend_is_instantiated() {
    let tested = ["scalar", "avx2", "avx512"];
    for b in Backend::ALL {
        assert!(
            tested.contains(&b.name()),
            "backend {} has no conformance_tests! instance",
            b.name()
        );
    }
}

/// On boxes small enough that no ReLU changes sign, the network is affine there: the bound's
/// plane must be the tangent plane (slope = gradient) with an error far below the box's range
/// of distances (what is left is the rounding allowance), not a global bound times the box size.
#[test]
fn box_bounds_are_tight_where_the_network_is_affine() {
    let shape = Shape::from_model(davies(11, Scheme::F32)).unwrap();
    let mut rng = Rng(77);
    let (mut tight, total) = (0, 500);
    for _ in 0..total {
        let c = rng.point(2.0);
        let h = [1e-3f32, 2e-3, 3e-3];
        let bx = [
            [0, 1, 2].map(|a| c[a] - h[a]),
            [0, 1, 2].map(|a| c[a] + h[a]),
        ];
        let mut b = [nsdf::LinearBound::UNBOUNDED];
        shape.distance_bounds(&[bx], &mut b);
        let (d, g) = shape.gradient(c);
        let r = b[0].range(bx);
        assert!(r.lo <= d && d <= r.hi);
        let exact: f32 = (0..3).map(|a| g[a].abs() * h[a]).sum();
        let slope_err = (0..3)
            .map(|a| (b[0].slope[a] - g[a]).abs())
            .fold(0.0, f32::max);
        if slope_err <= 1e-3 * (1.0 + g.iter().map(|x| x.abs()).sum::<f32>())
            && b[0].error <= 0.1 * exact
        {
            tight += 1;
        }
    }
    println!("{tight} of {total} small boxes bounded by their tangent plane");
    assert!(tight * 10 >= total * 6, "only {tight} of {total} tight");
}
