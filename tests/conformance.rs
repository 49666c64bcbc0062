//! Conformance of every evaluation backend: one macro, [`conformance_tests!`], instantiated once
//! per backend (the scalar one included, and the CUDA one with `--features cuda`), checks
//! distances, gradients, single points, batch sizes around the SIMD block (64 points) and
//! multi-threaded batches, on Davies' network in each storage scheme, odd widths, the Fourier
//! and hash-grid encodings and every activation, against the f64 reference evaluator run on the stored weights
//! (`nsdf_testing::reference`: forward and reverse mode, written from the spec, independent of
//! `nsdf::eval`; its gradient is checked against finite differences below). Some results must be
//! bit-identical, not just close: a threaded batch and a one-thread batch, a point wherever it
//! falls in a batch, the distances of a gradient batch and of a distance batch, and `gradient`'s
//! distance and `distance` (on the CPU; the GPU's distance and gradient kernels are different
//! code, so there they are only held to the tolerance).
//!
//! # CUDA
//! The `cuda` instance runs the batch and single-point tests on GPU 0 through `CudaShape` (a
//! single point is a batch of one). Without a driver or device (or without `--features cuda`)
//! every test prints `SKIP: ...` to stderr and checks nothing. Cases wider than the kernels
//! support (`nsdf::cuda` takes layers up to 64 wide) must be refused with that reason and
//! are left out; box bounds and threading are CPU features and are tested on the CPU instances
//! only.
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

use nsdf::{Activation, Backend, Encoding, Model, Scheme, Shape};
use nsdf_testing::models::random_grid_model;
use nsdf_testing::reference::{eval as reference, eval64, Eval as Reference};
use nsdf_testing::{davies, random_model, skip, Rng};

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
    for scheme in [
        Scheme::F32,
        Scheme::F16,
        Scheme::Int8,
        Scheme::Int4,
        Scheme::Int8Half,
    ] {
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
    for (levels, features, hidden, scheme) in [
        (4, 2, vec![16], Scheme::F32),
        (8, 4, vec![32, 32], Scheme::F16),
        (3, 1, vec![5, 7], Scheme::F16),
    ] {
        let m = random_grid_model(60 + levels as u64, levels, features, &hidden, relu, scheme);
        v.push(case(
            format!("hash grid {levels}×{features} {}", scheme.name()),
            m,
            true,
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

/// What a conformance instance evaluates with: a CPU backend, or the GPU.
#[derive(Clone, Copy)]
enum Target {
    Cpu(Backend),
    Cuda,
}

/// A case's network opened on a [`Target`].
enum Under {
    Cpu(Shape),
    #[cfg(feature = "cuda")]
    Cuda(Shape, nsdf::cuda::CudaShape),
}

/// GPU 0 for the whole test binary, or why there is none.
#[cfg(feature = "cuda")]
fn cuda_device() -> Result<&'static nsdf::cuda::CudaDevice, String> {
    use nsdf::cuda::CudaDevice;
    use std::sync::OnceLock;
    static DEVICE: OnceLock<Result<CudaDevice, String>> = OnceLock::new();
    DEVICE
        .get_or_init(|| {
            CudaDevice::new(0).map_err(|e| {
                assert_eq!(e.code(), "NSDF-E102", "{e}");
                format!("no CUDA driver/device ({e})")
            })
        })
        .as_ref()
        .map_err(Clone::clone)
}

impl Target {
    fn name(self) -> &'static str {
        match self {
            Target::Cpu(b) => b.name(),
            Target::Cuda => "cuda",
        }
    }

    /// Whether this machine runs the target; prints `SKIP: ...` to stderr where it does not.
    fn available(self) -> bool {
        let why = match self {
            Target::Cpu(b) if b.is_available() => return true,
            Target::Cpu(b) => format!("{} not supported on this CPU", b.name()),
            #[cfg(feature = "cuda")]
            Target::Cuda => match cuda_device() {
                Ok(_) => return true,
                Err(e) => format!("cuda conformance: {e}; GPU not tested"),
            },
            #[cfg(not(feature = "cuda"))]
            Target::Cuda => "cuda conformance: built without the cuda feature \
                             (cargo test --features cuda); GPU not tested"
                .to_string(),
        };
        skip(&why);
        false
    }

    /// The case's network on this target, or None where the target cannot hold it (the GPU
    /// kernels refuse layers over 64 wide, with that reason).
    fn open(self, case: &Case, threads: usize) -> Option<Under> {
        let cpu = |b| {
            Shape::from_model(case.model.clone())
                .unwrap()
                .with_backend(b)
                .unwrap()
                .with_threads(threads)
        };
        match self {
            Target::Cpu(b) => Some(Under::Cpu(cpu(b))),
            #[cfg(feature = "cuda")]
            Target::Cuda => {
                let shape = cpu(Backend::Scalar);
                let dev = cuda_device().expect("available() was checked");
                match nsdf::cuda::CudaShape::new(dev, &shape) {
                    Ok(gpu) => Some(Under::Cuda(shape, gpu)),
                    Err(e) => {
                        let msg = e.to_string();
                        assert!(msg.contains("wide"), "{}: {msg}", case.name);
                        None
                    }
                }
            }
            #[cfg(not(feature = "cuda"))]
            Target::Cuda => unreachable!("available() is false"),
        }
    }
}

impl Under {
    fn model(&self) -> &Model {
        match self {
            Under::Cpu(s) => s.model(),
            #[cfg(feature = "cuda")]
            Under::Cuda(s, _) => s.model(),
        }
    }

    /// Whether the distances of `gradient(s)` must equal those of `distance(s)` bit for bit
    /// (one code path on the CPU; two kernels on the GPU).
    fn same_distances(&self) -> bool {
        matches!(self, Under::Cpu(_))
    }

    fn distances(&self, pts: &[[f32; 3]], out: &mut [f32]) {
        match self {
            Under::Cpu(s) => s.distances(pts, out),
            #[cfg(feature = "cuda")]
            Under::Cuda(_, g) => g.distances(pts, out).unwrap(),
        }
    }

    fn gradients(&self, pts: &[[f32; 3]], dist: &mut [f32], grad: &mut [[f32; 3]]) {
        match self {
            Under::Cpu(s) => s.gradients(pts, dist, grad),
            #[cfg(feature = "cuda")]
            Under::Cuda(_, g) => g.gradients(pts, dist, grad).unwrap(),
        }
    }

    fn distance(&self, p: [f32; 3]) -> f32 {
        match self {
            Under::Cpu(s) => s.distance(p),
            #[cfg(feature = "cuda")]
            Under::Cuda(..) => {
                let mut d = [f32::NAN];
                self.distances(&[p], &mut d);
                d[0]
            }
        }
    }

    fn gradient(&self, p: [f32; 3]) -> (f32, [f32; 3]) {
        match self {
            Under::Cpu(s) => s.gradient(p),
            #[cfg(feature = "cuda")]
            Under::Cuda(..) => {
                let (mut d, mut g) = ([f32::NAN], [[f32::NAN; 3]]);
                self.gradients(&[p], &mut d, &mut g);
                (d[0], g[0])
            }
        }
    }
}

/// The cases a target can hold, opened; asserts that the GPU holds at least the Davies and the
/// hash-grid ones (the grid cases are at most 35 wide, within the kernels' 64).
fn opened(target: Target, threads: usize) -> Vec<(Case, Under)> {
    let all = cases();
    let total = all.len();
    let is_grid = |c: &Case| c.name.starts_with("hash grid");
    let grids = all.iter().filter(|c| is_grid(c)).count();
    let v: Vec<(Case, Under)> = all
        .into_iter()
        .filter_map(|c| target.open(&c, threads).map(|u| (c, u)))
        .collect();
    match target {
        Target::Cpu(_) => assert_eq!(v.len(), total),
        Target::Cuda => assert!(
            v.iter()
                .filter(|(c, _)| c.name.starts_with("davies"))
                .count()
                == 3
                && grids > 0
                && v.iter().filter(|(c, _)| is_grid(c)).count() == grids
                && v.len() * 2 > total,
            "the GPU refused too many cases"
        ),
    }
    v
}

/// Instantiates the conformance tests for one target in a module named `$name`: the evaluation
/// tests for every target, and for a CPU backend (`$name, cpu $backend`) also box bounds and
/// threading. Where the target is missing (a CPU without the backend, no GPU) every test prints
/// `SKIP: ...` to stderr (shown by `cargo test`) and passes without checking anything; otherwise
/// it must pass.
macro_rules! conformance_tests {
    ($name:ident, cuda) => {
        mod $name {
            use super::*;

            fn target() -> Option<Target> {
                Some(Target::Cuda).filter(|t| t.available())
            }

            evaluation_tests!();
        }
    };
    ($name:ident, cpu $backend:expr) => {
        mod $name {
            use super::*;

            fn target() -> Option<Target> {
                Some(Target::Cpu($backend)).filter(|t| t.available())
            }

            fn backend() -> Option<Backend> {
                target().map(|_| $backend)
            }

            fn shape(case: &Case, b: Backend, threads: usize) -> Shape {
                match Target::Cpu(b).open(case, threads) {
                    Some(Under::Cpu(s)) => s,
                    _ => unreachable!(),
                }
            }

            evaluation_tests!();
            cpu_tests!();
        }
    };
}

/// Distances, gradients and single points against the reference (any target).
macro_rules! evaluation_tests {
    () => {
        #[test]
        fn batch_distances_match_reference() {
            let Some(t) = target() else { return };
            let mut worst: f64 = 0.0;
            for (case, under) in opened(t, 1) {
                for n in BATCH_SIZES {
                    let pts = points(&case, n, n as u64);
                    let mut got = vec![f32::NAN; n];
                    under.distances(&pts, &mut got);
                    let what = format!("{} {} n={n}", t.name(), case.name);
                    worst = worst.max(check_distances(
                        &what,
                        &pts,
                        &references(under.model(), &pts),
                        &got,
                    ));
                    // A point's result does not depend on where it falls in a SIMD block.
                    if n > 3 {
                        let mut shifted = vec![f32::NAN; n - 3];
                        under.distances(&pts[3..], &mut shifted);
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
                t.name()
            );
        }

        #[test]
        fn batch_gradients_match_reference() {
            let Some(t) = target() else { return };
            let mut worst: f64 = 0.0;
            for (case, under) in opened(t, 1) {
                for n in BATCH_SIZES {
                    let pts = points(&case, n, 100 + n as u64);
                    let (mut dist, mut grad) = (vec![f32::NAN; n], vec![[f32::NAN; 3]; n]);
                    under.gradients(&pts, &mut dist, &mut grad);
                    let what = format!("{} {} n={n}", t.name(), case.name);
                    let want = references(under.model(), &pts);
                    check_distances(&what, &pts, &want, &dist);
                    worst = worst.max(check_gradients(&what, &pts, &want, &grad));
                    // The distances of a gradient batch are those of a distance batch.
                    if under.same_distances() {
                        let mut plain = vec![f32::NAN; n];
                        under.distances(&pts, &mut plain);
                        assert_eq!(
                            dist, plain,
                            "{what}: gradients' distances differ from distances"
                        );
                    }
                }
            }
            println!(
                "{}: worst batch gradient error {worst:.3} of the tolerance",
                t.name()
            );
        }

        #[test]
        fn single_points_match_reference() {
            let Some(t) = target() else { return };
            for (case, under) in opened(t, 1) {
                let pts = points(&case, 200, 7);
                let dist: Vec<f32> = pts.iter().map(|p| under.distance(*p)).collect();
                let (gd, grad): (Vec<f32>, Vec<[f32; 3]>) =
                    pts.iter().map(|p| under.gradient(*p)).unzip();
                let what = format!("{} {} single", t.name(), case.name);
                let want = references(under.model(), &pts);
                check_distances(&what, &pts, &want, &dist);
                check_distances(&what, &pts, &want, &gd);
                check_gradients(&what, &pts, &want, &grad);
                if under.same_distances() {
                    assert_eq!(
                        gd, dist,
                        "{what}: gradient()'s distance differs from distance()"
                    );
                }
            }
        }
    };
}

/// Box bounds and threaded batches (CPU backends).
macro_rules! cpu_tests {
    () => {
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
                    nsdf::Backend::Scalar.bounds(shape.network(), &boxes, &mut want);
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
    };
}

conformance_tests!(scalar, cpu Backend::Scalar);
conformance_tests!(avx2, cpu Backend::Avx2);
conformance_tests!(avx512, cpu Backend::Avx512);
conformance_tests!(cuda, cuda);

/// The reference's reverse-mode gradient agrees with central differences of its own distance
/// (in f64, away from ReLU kinks): the backends' gradients are held to it, so it must be right.
#[test]
fn reference_gradient_matches_finite_differences() {
    let h = 1e-6;
    let mut rng = Rng(5);
    for case in cases() {
        let stored = nsdf_testing::as_stored(&case.model);
        let mut checked = 0;
        for _ in 0..50 {
            let p = rng.point(2.5).map(|x| x as f64);
            let r = eval64(&stored, p);
            if r.kink_margin < 1e-3 {
                continue;
            }
            checked += 1;
            for a in 0..3 {
                let (mut p1, mut p0) = (p, p);
                p1[a] += h;
                p0[a] -= h;
                let fd = (eval64(&stored, p1).distance - eval64(&stored, p0).distance) / (2.0 * h);
                let g = r.gradient[a];
                assert!(
                    (g - fd).abs() <= 1e-5 * (1.0 + g.abs()),
                    "{} at {p:?}: gradient[{a}] {g} vs finite difference {fd}",
                    case.name
                );
            }
        }
        assert!(
            checked >= 25,
            "{}: only {checked} points away from kinks",
            case.name
        );
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
