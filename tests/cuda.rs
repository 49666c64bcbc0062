//! The CUDA backend (`--features cuda`): the embedded PTX is fresh, the GPU results match the
//! scalar reference, and a machine without a driver or GPU gets an error, not a panic.
//!
//! GPU tests print `SKIP: ...` to stderr and check nothing where the feature is off or there is
//! no CUDA driver or device (CI never has one); `tests/cuda_kernel_host.rs` checks the same kernel
//! math compiled for the CPU everywhere.

use nsdf_testing::skip;

fn fnv1a64(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// kernel.ptx records the hash of the kernel.cu it was generated from (build_ptx.py).
#[test]
fn embedded_ptx_was_generated_from_this_kernel_source() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/eval/cuda");
    let source = std::fs::read(dir.join("kernel.cu")).unwrap();
    let ptx = std::fs::read_to_string(dir.join("kernel.ptx")).unwrap();
    let want = format!("// kernel.cu fnv1a64 {:016x}", fnv1a64(&source));
    assert_eq!(
        ptx.lines().next(),
        Some(want.as_str()),
        "kernel.ptx is stale: regenerate it with src/eval/cuda/build_ptx.py"
    );
    assert!(ptx.contains(".version 7.8") && ptx.contains(".target sm_70"));
}

#[cfg(not(feature = "cuda"))]
#[test]
fn gpu_matches_scalar_reference() {
    skip("built without the cuda feature (cargo test --features cuda); GPU not tested");
}

#[cfg(feature = "cuda")]
mod gpu {
    use super::skip;
    use nsdf::cuda::{CudaDevice, CudaShape};
    use nsdf::{Activation, Backend, Encoding, HashGrid, Model, Scheme, Shape};
    use nsdf_testing::models::random_grid_model;
    use nsdf_testing::{davies, random_model, Rng};

    /// The device, or None after a SKIP message; the error itself must be a clean one.
    fn device() -> Option<CudaDevice> {
        match CudaDevice::new(0) {
            Ok(d) => Some(d),
            Err(e) => {
                assert_eq!(e.code(), "NSDF-E102", "{e}");
                skip(&format!("no CUDA driver/device ({e}); GPU not tested"));
                None
            }
        }
    }

    #[test]
    fn no_driver_or_device_is_an_error_not_a_panic() {
        match CudaDevice::new(0) {
            Ok(d) => skip(&format!(
                "a GPU is present ({}); error path not tested",
                d.name()
            )),
            Err(e) => {
                let msg = e.to_string();
                assert_eq!(e.code(), "NSDF-E102", "{msg}");
                let named = ["no CUDA driver", "no CUDA device", "CUDA_ERROR_"];
                assert!(named.iter().any(|n| msg.contains(n)), "{msg}");
            }
        }
        // A GPU number that cannot exist is an error wherever the driver loads.
        if CudaDevice::driver_present() {
            let e = CudaDevice::new(1 << 20).unwrap_err();
            assert_eq!(e.code(), "NSDF-E102", "{e}");
        }
    }

    fn cases() -> Vec<(String, Model)> {
        let (relu, tanh) = (Activation::Relu, Activation::Tanh);
        let mut v = Vec::new();
        for scheme in [Scheme::F32, Scheme::F16, Scheme::Int8, Scheme::Int8Half] {
            v.push((format!("davies {}", scheme.name()), davies(11, scheme)));
        }
        for w in [1usize, 3, 17, 33, 64] {
            let m = random_model(
                20 + w as u64,
                Encoding::None,
                &[w, w],
                relu,
                tanh,
                Scheme::F32,
            );
            v.push((format!("width {w}"), m));
        }
        for (frequencies, width) in [(1, 19), (4, 32)] {
            let enc = Encoding::Fourier { frequencies };
            let m = random_model(40, enc, &[width, width], relu, tanh, Scheme::F32);
            v.push((format!("fourier {frequencies}"), m));
        }
        // Hash grids: dense and hashed levels, f32 and f16 features, up to 63 inputs.
        for (levels, features, hidden, scheme) in [
            (4, 2, vec![16], Scheme::F32),
            (8, 4, vec![32, 32], Scheme::F16),
            (15, 4, vec![64, 64], Scheme::F32),
        ] {
            let m = random_grid_model(60 + levels as u64, levels, features, &hidden, relu, scheme);
            v.push((format!("hash grid {levels}x{features}"), m));
        }
        for act in [
            Activation::Identity,
            Activation::LeakyRelu(0.1),
            Activation::Tanh,
            Activation::Sine(2.0),
        ] {
            let m = random_model(51, Encoding::None, &[32, 32, 32], act, act, Scheme::F32);
            v.push((format!("fast {act:?}"), m));
            let m = random_model(50, Encoding::None, &[32, 17, 32], act, act, Scheme::F32);
            v.push((format!("generic {act:?}"), m));
        }
        v
    }

    fn close(got: f32, want: f32, typical: f64) -> bool {
        (got as f64 - want as f64).abs() <= 1e-4 * (want.abs() as f64 + typical)
    }

    #[test]
    fn gpu_matches_scalar_reference() {
        let Some(dev) = device() else { return };
        for (name, model) in cases() {
            let cpu = Shape::from_model(model)
                .unwrap()
                .with_backend(Backend::Scalar)
                .unwrap();
            let gpu = CudaShape::new(&dev, &cpu).unwrap();
            if name.starts_with("davies") {
                assert!(
                    gpu.uses_fast_kernel() && gpu.uses_fast_gradient_kernel(),
                    "{gpu:?}"
                );
            }
            if name.starts_with("hash grid") {
                assert!(
                    !gpu.uses_fast_kernel() && !gpu.uses_fast_gradient_kernel(),
                    "{gpu:?}"
                );
            }
            // Batch sizes around a block (128 threads x 2 points) and a multi-wave one.
            for n in [0usize, 1, 7, 255, 256, 257, 100_000] {
                let mut rng = Rng(n as u64);
                let pts: Vec<[f32; 3]> = (0..n).map(|_| rng.point(2.5)).collect();
                let (mut d, mut g) = (vec![0.0; n], vec![[0.0; 3]; n]);
                cpu.gradients(&pts, &mut d, &mut g);
                let (mut gd, mut gg, mut gdist) =
                    (vec![f32::NAN; n], vec![[f32::NAN; 3]; n], vec![f32::NAN; n]);
                gpu.distances(&pts, &mut gdist).unwrap();
                gpu.gradients(&pts, &mut gd, &mut gg).unwrap();
                let typical =
                    (d.iter().map(|x| (*x as f64).powi(2)).sum::<f64>() / n.max(1) as f64).sqrt();
                let gt = (g.iter().flatten().map(|x| (*x as f64).powi(2)).sum::<f64>()
                    / n.max(1) as f64)
                    .sqrt();
                let mut misses = 0;
                for i in 0..n {
                    assert!(
                        close(gdist[i], d[i], typical),
                        "{name} n={n}: distance #{i}: {} vs {}",
                        gdist[i],
                        d[i]
                    );
                    assert!(
                        close(gd[i], d[i], typical),
                        "{name} n={n}: gradient distance #{i}"
                    );
                    if (0..3).any(|a| !close(gg[i][a], g[i][a], gt)) {
                        misses += 1; // a ReLU kink rounded to the other side
                    }
                }
                assert!(
                    misses <= n / 100 + 1,
                    "{name} n={n}: {misses} gradients differ"
                );
            }
            println!("{name}: GPU matches the scalar backend ({gpu:?})");
        }
    }

    #[test]
    fn device_buffers_and_bad_lengths() {
        let Some(dev) = device() else { return };
        let cpu = Shape::from_model(davies(3, Scheme::F32)).unwrap();
        let gpu = dev.load(&cpu).unwrap();
        let mut rng = Rng(5);
        let pts: Vec<[f32; 3]> = (0..1000).map(|_| rng.point(1.5)).collect();
        let p = dev.upload_points(&pts).unwrap();
        let mut out = dev.alloc(pts.len()).unwrap();
        gpu.distances_device(&p, &mut out).unwrap();
        let mut got = vec![0.0; pts.len()];
        dev.download(&out, &mut got).unwrap();
        let mut host = vec![0.0; pts.len()];
        gpu.distances(&pts, &mut host).unwrap();
        assert_eq!(got, host);
        let mut short = dev.alloc(10).unwrap();
        let e = gpu.distances_device(&p, &mut short).unwrap_err();
        assert!(e.to_string().contains("need an output of 1000"), "{e}");
        assert!(gpu.distances(&pts, &mut host[..5]).is_err());
    }

    #[test]
    fn unsupported_models_are_refused() {
        let Some(dev) = device() else { return };
        let m = random_model(
            1,
            Encoding::None,
            &[100],
            Activation::Relu,
            Activation::Tanh,
            Scheme::F32,
        );
        let e = CudaShape::new(&dev, &Shape::from_model(m).unwrap()).unwrap_err();
        assert!(e.to_string().contains("100 wide"), "{e}");
        // 16 levels x 4 features + 3 coordinates: 67 inputs.
        let grid = HashGrid::zeros(4, 8, vec![4; 16], Scheme::F32);
        let m = Model::with_grid(grid, &[16], Activation::Relu, Activation::Tanh);
        let e = CudaShape::new(&dev, &Shape::from_model(m).unwrap()).unwrap_err();
        assert!(
            e.to_string().contains("hash-grid encoding is 67 wide"),
            "{e}"
        );
    }
}
