//! `nsdf bench --device cuda`: GPU throughput, measured two ways and reported separately:
//! - device-resident: points already on the GPU, results left there (the kernel alone);
//! - host-to-result: host points in, host results out (copies included), what a caller with data
//!   in RAM gets.
//!
//! Each figure is the median (and best) of `--repeat` timed runs after a warm-up, timed with the
//! host clock around a stream synchronize. Also printed: the arithmetic rate the distance kernel
//! reaches (2 FLOP per weight per point) as a fraction of the GPU's FP32 peak.

use super::text::{group, json_f64, rate, Table};
use super::timing::{random_points, timed, Stat, Workload};
use super::{print, CmdResult, Failure};
use nsdf::cuda::{cudarc, CudaDevice, CudaShape};
use nsdf::Shape;
use serde_json::json;
use std::process::ExitCode;

fn gpu_err(e: nsdf::Error) -> Failure {
    Failure::new(format_args!("--device cuda: {e}"))
}

/// FP32 lanes per SM by compute capability (CUDA programming guide, "Arithmetic Instructions").
fn fp32_lanes(major: i32, minor: i32) -> u32 {
    match (major, minor) {
        (8, 0) | (6, 0) | (7, _) => 64,
        _ => 128,
    }
}

/// Peak FP32 FLOP/s (an FMA counted as 2) from the SM count and the boost clock.
fn fp32_peak(dev: &CudaDevice) -> Option<f64> {
    use cudarc::driver::sys::CUdevice_attribute as A;
    let ctx = dev.context();
    let sms = ctx
        .attribute(A::CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT)
        .ok()?;
    let khz = ctx.attribute(A::CU_DEVICE_ATTRIBUTE_CLOCK_RATE).ok()?;
    let (major, minor) = ctx.compute_capability().ok()?;
    Some(sms as f64 * fp32_lanes(major, minor) as f64 * 2.0 * khz as f64 * 1e3)
}

pub fn run(args: &Workload, shape: &Shape) -> CmdResult {
    let dev = CudaDevice::new(0).map_err(gpu_err)?;
    let gpu = CudaShape::new(&dev, shape).map_err(gpu_err)?;
    let repeat = args.repeat as usize;
    let points = random_points(shape.bounds(), args.points as usize);
    let n = points.len();
    let rates = |s: Vec<f64>| Stat::of_rates(s.into_iter().map(|s| n as f64 / s).collect());

    // Device-resident.
    let p = dev.upload_points(&points).map_err(gpu_err)?;
    let mut d = dev.alloc(n).map_err(gpu_err)?;
    let mut g = dev.alloc(3 * n).map_err(gpu_err)?;
    let mut failure = None;
    let mut run = |f: &mut dyn FnMut() -> nsdf::Result<()>| {
        timed(repeat, || {
            if let Err(e) = f().and_then(|_| dev.synchronize()) {
                failure.get_or_insert(e);
            }
        })
    };
    let distance = rates(run(&mut || gpu.distances_device(&p, &mut d)));
    let gradient = rates(run(&mut || gpu.gradients_device(&p, &mut d, &mut g)));
    // Host-to-result.
    let (mut hd, mut hg) = (vec![0.0f32; n], vec![[0.0f32; 3]; n]);
    let host_distance = rates(run(&mut || gpu.distances(&points, &mut hd)));
    let host_gradient = rates(run(&mut || gpu.gradients(&points, &mut hd, &mut hg)));
    if let Some(e) = failure {
        return Err(gpu_err(e));
    }
    // Spot check against the CPU, so a broken kernel cannot post a fast number.
    let mut want = vec![0.0f32; 1000.min(n)];
    shape.distances(&points[..want.len()], &mut want);
    let mut got = vec![0.0f32; want.len()];
    gpu.distances(&points[..want.len()], &mut got)
        .map_err(gpu_err)?;
    let worst = want
        .iter()
        .zip(&got)
        .map(|(w, g)| (w - g).abs() / (w.abs() + 1e-3))
        .fold(0.0f32, f32::max);

    let flop = 2.0
        * shape
            .network()
            .layers
            .iter()
            .map(|l| (l.inputs * l.outputs) as f64)
            .sum::<f64>();
    let peak = fp32_peak(&dev);
    let fraction = peak.map(|p| distance.median * flop / p);
    let kernel = if gpu.uses_fast_kernel() {
        "fast (8x32 register kernel)"
    } else {
        "generic"
    };
    if args.json {
        let v = json!({
            "file": args.file.display().to_string(),
            "device": "cuda",
            "gpu": dev.name(),
            "kernel": kernel,
            "points": args.points,
            "repeat": args.repeat,
            "distance_points_per_s": json_f64(distance.median),
            "distance_points_per_s_best": json_f64(distance.best),
            "gradient_points_per_s": json_f64(gradient.median),
            "gradient_points_per_s_best": json_f64(gradient.best),
            "host_distance_points_per_s": json_f64(host_distance.median),
            "host_gradient_points_per_s": json_f64(host_gradient.median),
            "flop_per_point": flop,
            "fp32_peak_flops": peak.map(json_f64),
            "fraction_of_fp32_peak": fraction.map(json_f64),
            "max_relative_difference_vs_cpu": worst,
        });
        print(&format!("{v:#}\n"))?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut out = format!(
        "nsdf bench {}: cuda on {}, {} kernel, {} points uniform in the world bounds, {} runs\n\n",
        args.file.display(),
        dev.name(),
        kernel,
        group(args.points),
        args.repeat
    );
    let mut t = Table::new(2, &["", ">median", ">best"]);
    for (name, s) in [
        ("distance, device-resident", distance),
        ("gradient, device-resident", gradient),
        ("distance, host-to-result", host_distance),
        ("gradient, host-to-result", host_gradient),
    ] {
        t.row(vec![name.into(), rate(s.median), rate(s.best)]);
    }
    out += &t.render();
    out += &format!(
        "\n  {flop:.0} FLOP per point: {:.1} TFLOP/s device-resident{}\n  largest relative difference from the CPU on 1,000 points: {worst:.2e}\n",
        distance.median * flop * 1e-12,
        match (peak, fraction) {
            (Some(p), Some(f)) => format!(
                " = {:.0}% of the FP32 peak ({:.1} TFLOP/s)",
                100.0 * f,
                p * 1e-12
            ),
            _ => String::new(),
        }
    );
    print(&out)?;
    Ok(ExitCode::SUCCESS)
}
