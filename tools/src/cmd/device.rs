//! `--device cpu|cuda` for the commands that evaluate many points (bench, mesh, render, bake).
//!
//! [`Evaluator`] is the [`Field`] those commands sample: the CPU [`Shape`], or the same shape on a
//! GPU through `nsdf::cuda` when the binary is built with `--features cuda`.

use super::Failure;
use nsdf::Shape;
use nsdf_mesh::surface::Field;

/// Where batches are evaluated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Device {
    /// The CPU backends (SIMD, multi-threaded).
    Cpu,
    /// An NVIDIA GPU (GPU 0), through the CUDA driver.
    Cuda,
}

/// `--threads` and `--device`, for the commands that sample a shape as a [`Field`].
#[derive(clap::Args, Debug)]
pub struct Placement {
    /// Evaluation threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Where to evaluate the network (cuda needs a build with --features cuda).
    #[arg(long, value_enum, default_value_t = Device::Cpu)]
    pub device: Device,
}

impl Placement {
    /// `shape` on the chosen device with the chosen threads.
    pub fn evaluator(&self, mut shape: Shape) -> Result<Evaluator, Failure> {
        if let Some(t) = self.threads {
            shape = shape.with_threads(t);
        }
        Evaluator::new(shape, self.device)
    }
}

/// The message for `--device cuda` in a build without the feature.
pub const NO_CUDA: &str =
    "built without CUDA support; rebuild with --features cuda (cargo build --release --features cuda)";

/// A shape evaluated on the chosen device. Field queries cannot fail, so a GPU error in the
/// middle of a run is reported once on stderr and the rest of the run falls back to the CPU.
pub struct Evaluator {
    shape: Shape,
    #[cfg(feature = "cuda")]
    gpu: Option<nsdf::cuda::CudaShape>,
    #[cfg(feature = "cuda")]
    failed: std::sync::atomic::AtomicBool,
}

impl Evaluator {
    /// Opens the device (GPU 0 for `Cuda`) and uploads the shape; errors name the problem (no
    /// driver, no GPU, unsupported model, or a build without the feature).
    pub fn new(shape: Shape, device: Device) -> Result<Evaluator, Failure> {
        match device {
            Device::Cpu => Ok(Evaluator {
                shape,
                #[cfg(feature = "cuda")]
                gpu: None,
                #[cfg(feature = "cuda")]
                failed: Default::default(),
            }),
            #[cfg(feature = "cuda")]
            Device::Cuda => {
                let gpu = nsdf::cuda::CudaDevice::new(0)
                    .and_then(|d| d.load(&shape))
                    .map_err(|e| Failure::new(format_args!("--device cuda: {e}")))?;
                Ok(Evaluator {
                    shape,
                    gpu: Some(gpu),
                    failed: Default::default(),
                })
            }
            #[cfg(not(feature = "cuda"))]
            Device::Cuda => Err(Failure::new(format_args!("--device cuda: {NO_CUDA}"))),
        }
    }

    pub fn shape(&self) -> &Shape {
        &self.shape
    }

    /// The GPU shape, when evaluating on one.
    #[cfg(feature = "cuda")]
    pub fn gpu(&self) -> Option<&nsdf::cuda::CudaShape> {
        self.gpu.as_ref()
    }

    /// "cpu (avx512)" or "cuda (NVIDIA H200)".
    pub fn describe(&self) -> String {
        #[cfg(feature = "cuda")]
        if let Some(g) = &self.gpu {
            return format!("cuda ({})", g.device().name());
        }
        format!("cpu ({})", self.shape.backend().name())
    }

    /// Runs `f` on the GPU, if evaluating on one that has not failed; whether it succeeded (the
    /// caller then evaluates on the CPU).
    #[cfg(feature = "cuda")]
    fn on_gpu(&self, f: impl FnOnce(&nsdf::cuda::CudaShape) -> nsdf::Result<()>) -> bool {
        use std::sync::atomic::Ordering;
        let Some(g) = &self.gpu else { return false };
        if self.failed.load(Ordering::Relaxed) {
            return false;
        }
        match f(g) {
            Ok(()) => true,
            Err(e) => {
                if !self.failed.swap(true, Ordering::Relaxed) {
                    eprintln!("nsdf: GPU evaluation failed ({e}); continuing on the CPU");
                }
                false
            }
        }
    }
}

impl Field for Evaluator {
    fn distances(&self, points: &[[f32; 3]], out: &mut [f32]) {
        #[cfg(feature = "cuda")]
        if self.on_gpu(|g| g.distances(points, out)) {
            return;
        }
        self.shape.distances(points, out)
    }

    fn gradients(&self, points: &[[f32; 3]], dist: &mut [f32], grad: &mut [[f32; 3]]) {
        #[cfg(feature = "cuda")]
        if self.on_gpu(|g| g.gradients(points, dist, grad)) {
            return;
        }
        self.shape.gradients(points, dist, grad)
    }

    fn gradient_bound(&self) -> Option<f32> {
        Field::gradient_bound(&self.shape)
    }

    fn bounds(&self, boxes: &[[[f32; 3]; 2]], out: &mut [nsdf::LinearBound]) -> bool {
        Field::bounds(&self.shape, boxes, out)
    }
}
