//! The CUDA kernels' per-point math (`src/eval/cuda/kernel.cu`), compiled for the CPU with the
//! system C++ compiler and compared with the scalar reference. This is the conformance check that
//! runs without a GPU (CI never has one): the same source, the same packed weights
//! (`nsdf::cuda::blob`), only the compiler differs. `tests/cuda.rs` runs the real kernels
//! where a GPU exists. Skips with a message where there is no `c++`.
//!
//! The fast distance kernel evaluates two points per thread (`NSDF_FAST_POINTS`): `host_check`
//! gives it two different points at a time (consecutive points of the batch), and both results
//! are compared with the scalar backend.

use nsdf::cuda::blob;
use nsdf::{Activation, Backend, Encoding, HashGrid, Model, Scheme, Shape};
use nsdf_testing::models::random_grid_model;
use nsdf_testing::{davies, random_model, skip, Rng};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Relative tolerance, as in tests/conformance.rs: f32 rounding differs between compilers (FMA
/// contraction, libm), an indexing or activation bug gives errors the size of the values.
const RTOL: f64 = 1e-4;

/// Builds host_check once per test run; None (after a SKIP message) without a C++ compiler.
fn host_check() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cuda_host_check");
    std::fs::create_dir_all(&dir).unwrap();
    let exe = dir.join(format!("host_check_{}", std::process::id()));
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/eval/cuda/host_check.cpp");
    let status = Command::new("c++")
        .args(["-std=c++14", "-O1", "-Wall", "-Wno-unknown-pragmas", "-o"])
        .arg(&exe)
        .arg(&src)
        .status();
    match status {
        Ok(s) if s.success() => Some(exe),
        Ok(s) => panic!("compiling {} failed: {s}", src.display()),
        Err(e) => {
            skip(&format!(
                "no C++ compiler (c++: {e}); CUDA kernel math not checked"
            ));
            None
        }
    }
}

/// Per point: generic distance, fast distance, generic gradient (distance, x, y, z), fast
/// gradient (distance, x, y, z); the fast ones NaN when not run.
fn run(
    exe: &Path,
    model: &Model,
    points: &[[f32; 3]],
    fast: bool,
    fast_gradient: bool,
) -> Vec<[f32; 10]> {
    let shape = Shape::from_model(model.clone()).unwrap();
    let words = blob::pack(shape.network()).unwrap();
    let dir = exe.parent().unwrap();
    let tag = format!("{}_{:p}", std::process::id(), points.as_ptr());
    let (b, p, o) = (
        dir.join(format!("{tag}.blob")),
        dir.join(format!("{tag}.points")),
        dir.join(format!("{tag}.out")),
    );
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    std::fs::write(&b, bytes).unwrap();
    let bytes: Vec<u8> = points
        .iter()
        .flatten()
        .flat_map(|x| x.to_le_bytes())
        .collect();
    std::fs::write(&p, bytes).unwrap();
    let status = Command::new(exe)
        .args([&b, &p, &o])
        .arg(if fast { "1" } else { "0" })
        .arg(if fast_gradient { "1" } else { "0" })
        .status()
        .unwrap();
    assert!(status.success(), "host_check failed: {status}");
    let out = std::fs::read(&o).unwrap();
    for f in [b, p, o] {
        let _ = std::fs::remove_file(f);
    }
    out.chunks_exact(40)
        .map(|c| {
            std::array::from_fn(|i| f32::from_le_bytes(c[4 * i..4 * i + 4].try_into().unwrap()))
        })
        .collect()
}

fn rms(v: impl Iterator<Item = f64>) -> f64 {
    let (s, n) = v.fold((0.0, 0usize), |(s, n), x| (s + x * x, n + 1));
    (s / n.max(1) as f64).sqrt()
}

/// Compares one model's host-compiled kernel results with the scalar backend.
fn check_model(exe: &Path, name: &str, model: &Model, expect_fast: bool) {
    let shape = Shape::from_model(model.clone())
        .unwrap()
        .with_backend(Backend::Scalar)
        .unwrap();
    let words = blob::pack(shape.network()).unwrap();
    let fast = blob::fits_fast_kernel(shape.network(), &words);
    let fast_gradient = blob::fits_fast_gradient(shape.network(), &words);
    assert_eq!(fast, expect_fast, "{name}: fast-kernel eligibility");
    let mut rng = Rng(7);
    // An odd count: the last pair of the fast kernel wraps around to the first point.
    let points: Vec<[f32; 3]> = (0..501).map(|_| rng.point(2.5)).collect();
    let n = points.len();
    // host_check pairs consecutive points in the fast kernel's two slots: they must differ.
    assert!(points.windows(2).all(|w| w[0] != w[1]) && points[n - 1] != points[0]);
    let (mut dist, mut grad) = (vec![0.0; n], vec![[0.0; 3]; n]);
    shape.gradients(&points, &mut dist, &mut grad);
    let got = run(exe, model, &points, fast, fast_gradient);
    assert_eq!(got.len(), n);
    let typical = rms(dist.iter().map(|&d| d as f64));
    let gnorm = |g: &[f32; 3]| (g.iter().map(|x| (*x as f64).powi(2)).sum::<f64>()).sqrt();
    let gtypical = rms(grad.iter().map(gnorm));
    let mut gradient_misses = 0;
    for i in 0..n {
        let want = dist[i] as f64;
        let allowed = RTOL * (want.abs() + typical) + 1e-30;
        let r = &got[i];
        let mut kernels = vec![("generic", r[0]), ("gradient", r[2])];
        if fast {
            kernels.push(("fast", r[1]));
        }
        if fast_gradient {
            kernels.push(("fast gradient", r[6]));
        }
        for (which, g) in kernels {
            assert!(
                (g as f64 - want).abs() <= allowed,
                "{name}: {which} distance at {:?}: got {g}, want {want}",
                points[i]
            );
        }
        // The gradient jumps at a ReLU kink: a pre-activation within rounding of 0 may round to
        // either side on the two compilers, so allow a few points to differ.
        let scale = RTOL * (gnorm(&grad[i]) + gtypical);
        let differs =
            |at: usize| (0..3).any(|a| (r[at + a] as f64 - grad[i][a] as f64).abs() > scale);
        if differs(3) || (fast_gradient && differs(7)) {
            gradient_misses += 1;
        }
    }
    assert!(
        gradient_misses <= n / 100,
        "{name}: {gradient_misses} of {n} gradients differ from the scalar backend"
    );
    println!(
        "{name}: {n} points match (fast distance: {fast}, fast gradient: {fast_gradient}, \
         gradient misses {gradient_misses})"
    );
}

#[test]
fn host_compiled_kernels_match_scalar_reference() {
    let Some(exe) = host_check() else { return };
    for scheme in [Scheme::F32, Scheme::F16, Scheme::Int8, Scheme::Int8Half] {
        check_model(
            &exe,
            &format!("davies {}", scheme.name()),
            &davies(11, scheme),
            true,
        );
    }
    let (relu, tanh) = (Activation::Relu, Activation::Tanh);
    for w in [1usize, 3, 17, 33, 64] {
        let m = random_model(
            20 + w as u64,
            Encoding::None,
            &[w, w],
            relu,
            tanh,
            Scheme::F32,
        );
        check_model(&exe, &format!("width {w}"), &m, false);
    }
    for (frequencies, width) in [(1, 19), (4, 32), (10, 64)] {
        let enc = Encoding::Fourier { frequencies };
        let m = random_model(40, enc, &[width, width], relu, tanh, Scheme::F32);
        check_model(
            &exe,
            &format!("fourier {frequencies} width {width}"),
            &m,
            false,
        );
    }
    // Hash grids (resolutions 2..24, 2^9-entry table: the coarse levels dense, the fine ones
    // hashed), f32 and f16 features, 1 to 8 features per level, up to the 64-wide limit (15 x 4
    // + 3 = 63 inputs); the points reach outside the grid's [-1, 1]^3, where it clamps.
    for (levels, features, hidden, scheme) in [
        (1, 1, vec![4], Scheme::F32),
        (4, 2, vec![16], Scheme::F32),
        (8, 4, vec![32, 32], Scheme::F16),
        (3, 8, vec![5, 7], Scheme::F16),
        (15, 4, vec![64, 64], Scheme::F32),
    ] {
        let m = random_grid_model(60 + levels as u64, levels, features, &hidden, relu, scheme);
        let name = format!("hash grid {levels}x{features} {}", scheme.name());
        check_model(&exe, &name, &m, false);
    }
    let m = random_grid_model(70, 6, 2, &[24, 24], Activation::Sine(2.0), Scheme::F32);
    check_model(&exe, "hash grid sine", &m, false);
    // The dense/hashed boundary: 8^3 vertices exactly fill a 2^9-entry table (dense), 9^3 do not
    // (hashed), and a single cell (N = 1).
    let mut m = random_grid_model(71, 3, 2, &[16], relu, Scheme::F32);
    let mut grid = HashGrid::zeros(2, 9, vec![7, 8, 1], Scheme::F32);
    let mut rng = Rng(72);
    grid.values
        .iter_mut()
        .for_each(|v| *v = rng.uniform(-0.5, 0.5));
    assert_eq!((grid.entries(0), grid.entries(1)), (512, 512));
    m.grid = Some(grid);
    check_model(&exe, "hash grid table boundary", &m, false);
    let acts = [
        Activation::Identity,
        Activation::Relu,
        Activation::LeakyRelu(0.1),
        Activation::Tanh,
        Activation::Sine(2.0),
    ];
    for act in acts {
        let m = random_model(50, Encoding::None, &[32, 17, 32], act, act, Scheme::F32);
        check_model(&exe, &format!("activation {act:?}"), &m, false);
        // Every activation through the fast path too (hidden layers all 32 wide).
        let m = random_model(51, Encoding::None, &[32, 32, 32], act, act, Scheme::F32);
        check_model(&exe, &format!("fast activation {act:?}"), &m, true);
    }
    let _ = std::fs::remove_file(&exe);
}
