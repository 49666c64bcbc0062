//! [`CudaDevice`] (a GPU with the kernels loaded) and [`CudaShape`] (a shape's weights on it).
//!
//! Every failure is an [`Error::Device`] with a message naming the problem: no driver, no device,
//! out of device memory, a model the kernels do not run. Nothing here panics on a machine without
//! a GPU: the driver library is probed before cudarc touches it (cudarc panics otherwise).

use super::blob;
use crate::error::{Error, Result};
use crate::shape::Shape;
use cudarc::driver::{
    sys, CudaContext, CudaFunction, CudaSlice, CudaStream, DriverError, LaunchConfig, PushKernelArg,
};
use std::sync::Arc;

/// The kernels as PTX for compute_70 (ISA 7.8), JIT-compiled by the driver for the GPU at hand.
const PTX: &str = include_str!("kernel.ptx");
/// Their source, compiled with NVRTC where the driver rejects the PTX (and NVRTC is installed).
const SOURCE: &str = include_str!("kernel.cu");
/// Threads per block: the fast kernel uses 162 registers per thread, so 3 blocks of 128 fit an
/// SM's 64 K registers (docs/cuda.md).
const BLOCK: u32 = 128;
/// Points per thread of the fast kernel (`NSDF_FAST_POINTS`).
const FAST_POINTS: u64 = 2;

fn device_error(reason: impl Into<String>) -> Error {
    Error::Device {
        reason: reason.into(),
    }
}

/// A driver error while doing `what`, with the driver's own name and description.
fn driver(what: &str, e: DriverError) -> Error {
    let name = e
        .error_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|_| format!("{:?}", e.0));
    let text = e
        .error_string()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let hint = match e.0 {
        sys::CUresult::CUDA_ERROR_OUT_OF_MEMORY => " (out of device memory: use smaller batches)",
        sys::CUresult::CUDA_ERROR_NO_DEVICE => " (no CUDA-capable GPU found)",
        sys::CUresult::CUDA_ERROR_UNSUPPORTED_PTX_VERSION => {
            " (the NVIDIA driver is too old for this PTX)"
        }
        _ => "",
    };
    device_error(format!("{what}: {name}: {text}{hint}"))
}

struct Kernels {
    distance_fast: CudaFunction,
    distance_generic: CudaFunction,
    gradient_fast: CudaFunction,
    gradient_generic: CudaFunction,
}

struct Inner {
    ctx: Arc<CudaContext>,
    stream: Arc<CudaStream>,
    kernels: Kernels,
    name: String,
    sms: u32,
}

/// One GPU with the nsdf kernels loaded, and the stream all its work goes to (in order). Cheap to
/// clone; shapes loaded on it share it.
#[derive(Clone)]
pub struct CudaDevice {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for CudaDevice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CudaDevice({})", self.inner.name)
    }
}

impl CudaDevice {
    /// Whether an NVIDIA driver library can be loaded at all (cheap; says nothing about devices).
    pub fn driver_present() -> bool {
        // SAFETY: only tries to dlopen libcuda / nvcuda.
        unsafe { sys::is_culib_present() }
    }

    /// Opens GPU number `ordinal` (0 is the first) and loads the kernels.
    pub fn new(ordinal: usize) -> Result<CudaDevice> {
        if !Self::driver_present() {
            return Err(device_error(
                "no CUDA driver: libcuda could not be loaded (GPU evaluation needs the NVIDIA \
                 driver; the CUDA toolkit is not needed)",
            ));
        }
        cudarc::driver::result::init().map_err(|e| driver("initializing CUDA", e))?;
        let count = CudaContext::device_count().map_err(|e| driver("counting GPUs", e))?;
        if count <= 0 {
            return Err(device_error("no CUDA device: the driver reports no GPU"));
        }
        if ordinal >= count as usize {
            return Err(device_error(format!(
                "GPU {ordinal} does not exist ({count} found, numbered from 0)"
            )));
        }
        let ctx = CudaContext::new(ordinal).map_err(|e| driver("creating a context", e))?;
        let name = ctx.name().unwrap_or_else(|_| "unknown GPU".into());
        let sms = ctx
            .attribute(sys::CUdevice_attribute::CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT)
            .map_err(|e| driver("querying the GPU", e))?
            .max(1) as u32;
        let module = match ctx.load_module(cudarc::nvrtc::Ptx::from_src(PTX)) {
            Ok(m) => m,
            Err(ptx_error) => {
                let ptx = compile_with_nvrtc().map_err(|why| {
                    device_error(format!(
                        "the driver cannot load the embedded kernels ({}), and {why}",
                        driver("loading PTX", ptx_error)
                    ))
                })?;
                ctx.load_module(ptx)
                    .map_err(|e| driver("loading NVRTC-compiled kernels", e))?
            }
        };
        let function = |name: &str| {
            module
                .load_function(name)
                .map_err(|e| driver(&format!("finding kernel {name}"), e))
        };
        let kernels = Kernels {
            distance_fast: function("nsdf_distance_fast")?,
            distance_generic: function("nsdf_distance_generic")?,
            gradient_fast: function("nsdf_gradient_fast")?,
            gradient_generic: function("nsdf_gradient_generic")?,
        };
        let stream = ctx.default_stream();
        Ok(CudaDevice {
            inner: Arc::new(Inner {
                ctx,
                stream,
                kernels,
                name,
                sms,
            }),
        })
    }

    /// The GPU's name as the driver reports it (e.g. "NVIDIA H200").
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// The cudarc context, for callers that manage their own device memory.
    pub fn context(&self) -> &Arc<CudaContext> {
        &self.inner.ctx
    }

    /// The stream every call on this device is queued on.
    pub fn stream(&self) -> &Arc<CudaStream> {
        &self.inner.stream
    }

    /// Copies points to the device as `3 * points.len()` floats (x, y, z interleaved).
    pub fn upload_points(&self, points: &[[f32; 3]]) -> Result<CudaSlice<f32>> {
        self.stream()
            .clone_htod(points.as_flattened())
            .map_err(|e| driver("copying points to the GPU", e))
    }

    /// A zeroed device buffer of `len` floats.
    pub fn alloc(&self, len: usize) -> Result<CudaSlice<f32>> {
        self.stream()
            .alloc_zeros::<f32>(len)
            .map_err(|e| driver(&format!("allocating {len} floats on the GPU"), e))
    }

    /// Copies a device buffer back to the host (waits for queued work).
    pub fn download(&self, buf: &CudaSlice<f32>, out: &mut [f32]) -> Result<()> {
        if buf.len() != out.len() {
            return Err(device_error(format!(
                "download: device buffer has {} floats, host slice {}",
                buf.len(),
                out.len()
            )));
        }
        self.stream()
            .memcpy_dtoh(buf, out)
            .map_err(|e| driver("copying results from the GPU", e))
    }

    /// Waits until all queued work is done, reporting any error a kernel raised.
    pub fn synchronize(&self) -> Result<()> {
        self.stream()
            .synchronize()
            .map_err(|e| driver("waiting for the GPU", e))
    }

    /// Uploads a shape's weights.
    pub fn load(&self, shape: &Shape) -> Result<CudaShape> {
        CudaShape::new(self, shape)
    }
}

/// Compiles the kernel source with NVRTC (for drivers that reject the embedded PTX).
fn compile_with_nvrtc() -> std::result::Result<cudarc::nvrtc::Ptx, String> {
    // SAFETY: only tries to dlopen libnvrtc.
    if !unsafe { cudarc::nvrtc::sys::is_culib_present() } {
        return Err("NVRTC (libnvrtc, part of the CUDA toolkit) is not installed".into());
    }
    let opts = cudarc::nvrtc::CompileOptions {
        options: vec!["--std=c++14".into()],
        ..Default::default()
    };
    cudarc::nvrtc::compile_ptx_with_opts(SOURCE, opts)
        .map_err(|e| format!("NVRTC failed to compile the kernels: {e:?}"))
}

/// A shape's network on a GPU. Batch distance and gradient, on host slices (copied each call) or
/// on device buffers (no copies).
pub struct CudaShape {
    device: CudaDevice,
    blob: CudaSlice<u32>,
    words: u32,
    fast: bool,
    fast_gradient: bool,
}

impl std::fmt::Debug for CudaShape {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "CudaShape({}, {} words, {} distance kernel, {} gradient kernel)",
            self.device.name(),
            self.words,
            if self.fast { "fast" } else { "generic" },
            if self.fast_gradient {
                "fast"
            } else {
                "generic"
            }
        )
    }
}

impl CudaShape {
    /// Uploads `shape`'s weights to `device`; errors if the kernels cannot run its architecture.
    pub fn new(device: &CudaDevice, shape: &Shape) -> Result<CudaShape> {
        let net = shape.network();
        let words = blob::pack(net)?;
        let fast = blob::fits_fast_kernel(net, &words);
        let fast_gradient = blob::fits_fast_gradient(net, &words);
        let buf = device
            .stream()
            .clone_htod(&words)
            .map_err(|e| driver("copying weights to the GPU", e))?;
        Ok(CudaShape {
            device: device.clone(),
            blob: buf,
            words: words.len() as u32,
            fast,
            fast_gradient,
        })
    }

    pub fn device(&self) -> &CudaDevice {
        &self.device
    }

    /// Whether distances use the register-resident 8 × 32 kernel (else the generic one).
    pub fn uses_fast_kernel(&self) -> bool {
        self.fast
    }

    /// Whether gradients use the register-resident reverse-mode kernel (else the generic one).
    pub fn uses_fast_gradient_kernel(&self) -> bool {
        self.fast_gradient
    }

    /// Distances at host points; copies in, computes, copies out.
    pub fn distances(&self, points: &[[f32; 3]], out: &mut [f32]) -> Result<()> {
        check_len("distances", points.len(), out.len())?;
        if points.is_empty() {
            return Ok(());
        }
        let p = self.device.upload_points(points)?;
        let mut d = self.device.alloc(points.len())?;
        self.distances_device(&p, &mut d)?;
        self.device.download(&d, out)
    }

    /// Distances and world-space gradients at host points.
    pub fn gradients(
        &self,
        points: &[[f32; 3]],
        dist: &mut [f32],
        grad: &mut [[f32; 3]],
    ) -> Result<()> {
        check_len("gradients", points.len(), dist.len())?;
        check_len("gradients", points.len(), grad.len())?;
        if points.is_empty() {
            return Ok(());
        }
        let p = self.device.upload_points(points)?;
        let mut d = self.device.alloc(points.len())?;
        let mut g = self.device.alloc(3 * points.len())?;
        self.gradients_device(&p, &mut d, &mut g)?;
        self.device.download(&d, dist)?;
        self.device.download(&g, grad.as_flattened_mut())
    }

    /// Distances at device points (`3n` floats, xyz interleaved) into `out` (`n` floats). Queued
    /// on the device's stream: returns before the GPU finishes (see [`CudaDevice::synchronize`]).
    pub fn distances_device(
        &self,
        points: &CudaSlice<f32>,
        out: &mut CudaSlice<f32>,
    ) -> Result<()> {
        let n = device_points("distances_device", points, out.len(), 1)?;
        if n == 0 {
            return Ok(());
        }
        let k = &self.device.inner.kernels;
        let stream = self.device.stream();
        let result = if self.fast {
            let cfg = self.grid(n.div_ceil(FAST_POINTS), 8, 4 * self.words);
            let mut b = stream.launch_builder(&k.distance_fast);
            b.arg(&self.blob)
                .arg(&self.words)
                .arg(points)
                .arg(out)
                .arg(&n);
            // SAFETY: the argument list matches nsdf_distance_fast's signature; buffer lengths were
            // checked above (points 3n, out n) and the blob is the packed network of `words` words.
            unsafe { b.launch(cfg) }
        } else {
            let cfg = self.grid(n, 16, 0);
            let mut b = stream.launch_builder(&k.distance_generic);
            b.arg(&self.blob).arg(points).arg(out).arg(&n);
            // SAFETY: as above, for nsdf_distance_generic.
            unsafe { b.launch(cfg) }
        };
        result
            .map(|_| ())
            .map_err(|e| driver("launching the distance kernel", e))
    }

    /// Distances and gradients (`3n` floats, xyz interleaved) at device points.
    pub fn gradients_device(
        &self,
        points: &CudaSlice<f32>,
        dist: &mut CudaSlice<f32>,
        grad: &mut CudaSlice<f32>,
    ) -> Result<()> {
        let n = device_points("gradients_device", points, dist.len(), 1)?;
        device_points("gradients_device", points, grad.len(), 3)?;
        if n == 0 {
            return Ok(());
        }
        let k = &self.device.inner.kernels;
        let stream = self.device.stream();
        let result = if self.fast_gradient {
            let cfg = self.grid(n, 8, 4 * self.words);
            let mut b = stream.launch_builder(&k.gradient_fast);
            b.arg(&self.blob)
                .arg(&self.words)
                .arg(points)
                .arg(dist)
                .arg(grad)
                .arg(&n);
            // SAFETY: the argument list matches nsdf_gradient_fast's signature; lengths checked
            // (points 3n, dist n, grad 3n); the blob is the packed network of `words` words.
            unsafe { b.launch(cfg) }
        } else {
            let cfg = self.grid(n, 16, 0);
            let mut b = stream.launch_builder(&k.gradient_generic);
            b.arg(&self.blob).arg(points).arg(dist).arg(grad).arg(&n);
            // SAFETY: as above, for nsdf_gradient_generic.
            unsafe { b.launch(cfg) }
        };
        result
            .map(|_| ())
            .map_err(|e| driver("launching the gradient kernel", e))
    }

    /// A grid-stride launch over `threads` threads: enough blocks to fill every SM
    /// `blocks_per_sm` times, fewer for small batches.
    fn grid(&self, threads: u64, blocks_per_sm: u32, shared: u32) -> LaunchConfig {
        let needed = threads.div_ceil(BLOCK as u64);
        let full = (self.device.inner.sms * blocks_per_sm) as u64;
        LaunchConfig {
            grid_dim: (needed.min(full).max(1) as u32, 1, 1),
            block_dim: (BLOCK, 1, 1),
            shared_mem_bytes: shared,
        }
    }
}

fn check_len(what: &str, points: usize, out: usize) -> Result<()> {
    if points == out {
        Ok(())
    } else {
        Err(device_error(format!(
            "{what}: {points} points but an output of {out}"
        )))
    }
}

/// Number of points in a device buffer of xyz triples, checking the output holds `per_point`
/// floats for each.
fn device_points(
    what: &str,
    points: &CudaSlice<f32>,
    out_len: usize,
    per_point: usize,
) -> Result<u64> {
    if !points.len().is_multiple_of(3) {
        return Err(device_error(format!(
            "{what}: the point buffer has {} floats, not a multiple of 3",
            points.len()
        )));
    }
    let n = points.len() / 3;
    if out_len != n * per_point {
        return Err(device_error(format!(
            "{what}: {n} points need an output of {} floats, got {out_len}",
            n * per_point
        )));
    }
    Ok(n as u64)
}
