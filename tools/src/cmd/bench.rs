//! `nsdf bench FILE`: evaluation speed of a shape on this machine, in a form peer scripts
//! (`benches/peers/`) can put side by side with other runtimes.
//!
//! Points are uniform in the shape's world bounds from a fixed seed, so runs are comparable.
//! Every measurement is warmed up, then repeated; the median is the headline figure (peers report
//! medians too) and the best run is reported alongside.

use super::device::Device;
use super::text::{group, json_f64, rate, Table};
#[cfg(feature = "cuda")]
use super::timing::Workload;
use super::timing::{per_call, random_points, timed, Stat};
use super::{
    available_backends, backend_parser, print, read_nsdf, BackendChoice, CmdResult, Failure,
};
use nsdf::Shape;
use serde_json::json;
use std::hint::black_box;
use std::path::PathBuf;
use std::process::ExitCode;

/// Measure evaluation speed: batch distance and gradient throughput, single-point latency,
/// parse time.
#[derive(clap::Args, Debug)]
#[command(after_help = "JSON output (--json), one object with stable keys:
  file                         path as given
  file_size                    bytes
  backend                      backend used (e.g. scalar, avx2, avx512)
  available_backends           backends this CPU can run
  threads                      threads for the batch calls
  points                       points per batch
  repeat                       timed runs per measurement (after one warm-up)
  distance_points_per_s        batch distance throughput, median run
  distance_points_per_s_best   batch distance throughput, best run
  gradient_points_per_s        batch distance+gradient throughput, median run
  gradient_points_per_s_best   batch distance+gradient throughput, best run
  gradient_cost_ratio          distance_points_per_s / gradient_points_per_s
  single_point_ns              Shape::distance latency, median, nanoseconds
  single_gradient_ns           Shape::gradient latency, median, nanoseconds
  parse_us                     nsdf::parse (parse + validate) of the file, median, microseconds
  load_us                      Shape::from_bytes (parse + evaluator set-up), median, microseconds")]
pub struct Args {
    /// The .nsdf file.
    pub file: PathBuf,
    /// Points per batch (uniform in the shape's world bounds, fixed seed).
    #[arg(long, default_value_t = 1_000_000, value_parser = clap::value_parser!(u64).range(1..=100_000_000))]
    pub points: u64,
    /// Threads for the batch calls [default: all cores].
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=4096))]
    pub threads: Option<u64>,
    /// Evaluation backend.
    #[arg(long, default_value = "auto", value_parser = backend_parser())]
    pub backend: BackendChoice,
    /// Timed runs per measurement, after one warm-up run.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=1000))]
    pub repeat: u64,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Where to evaluate: cpu, or cuda (GPU 0; needs a build with --features cuda; reports
    /// device-resident and host-to-result throughput, see `bench_cuda`).
    #[arg(long, value_enum, default_value_t = Device::Cpu)]
    pub device: Device,
}

struct Results {
    file_size: usize,
    distance: Stat,
    gradient: Stat,
    single_ns: Stat,
    single_gradient_ns: Stat,
    parse_us: Stat,
    load_us: Stat,
}

pub fn run(args: Args) -> CmdResult {
    let bytes = read_nsdf(&args.file).map_err(|e| Failure::nsdf(&args.file, &e))?;
    let mut shape = Shape::from_bytes(&bytes).map_err(|e| Failure::nsdf(&args.file, &e))?;
    shape = args.backend.apply(shape)?;
    if args.device == Device::Cuda {
        #[cfg(feature = "cuda")]
        return super::bench_cuda::run(
            &Workload {
                file: &args.file,
                points: args.points,
                repeat: args.repeat,
                json: args.json,
            },
            &shape,
        );
        #[cfg(not(feature = "cuda"))]
        return Err(Failure::new(format_args!(
            "--device cuda: {}",
            super::device::NO_CUDA
        )));
    }
    if let Some(t) = args.threads {
        shape = shape.with_threads(t as usize);
    }
    let repeat = args.repeat as usize;
    let points = random_points(shape.bounds(), args.points as usize);
    let mut dist = vec![0.0f32; points.len()];
    let mut grad = vec![[0.0f32; 3]; points.len()];
    let n = points.len() as f64;

    let rates = |seconds: Vec<f64>| Stat::of_rates(seconds.into_iter().map(|s| n / s).collect());
    let distance = rates(timed(repeat, || shape.distances(&points, &mut dist)));
    let gradient = rates(timed(repeat, || {
        shape.gradients(&points, &mut dist, &mut grad)
    }));
    let few = &points[..points.len().min(4096)];
    let single_ns = per_call(repeat, few.len(), || {
        for p in few {
            black_box(shape.distance(black_box(*p)));
        }
    });
    let single_gradient_ns = per_call(repeat, few.len(), || {
        for p in few {
            black_box(shape.gradient(black_box(*p)));
        }
    });
    let parse_us = per_call(repeat, 1, || {
        let _ = black_box(nsdf::parse(black_box(&bytes)));
    });
    let load_us = per_call(repeat, 1, || {
        let _ = black_box(Shape::from_bytes(black_box(&bytes)));
    });
    let us = |s: Stat| Stat {
        median: s.median / 1e3,
        best: s.best / 1e3,
    };
    let r = Results {
        file_size: bytes.len(),
        distance,
        gradient,
        single_ns,
        single_gradient_ns,
        parse_us: us(parse_us),
        load_us: us(load_us),
    };
    let report = match args.json {
        true => format!("{:#}\n", to_json(&args, &shape, &r)),
        false => to_text(&args, &shape, &r),
    };
    print(&report)?;
    Ok(ExitCode::SUCCESS)
}

fn to_text(args: &Args, shape: &Shape, r: &Results) -> String {
    let mut out = format!(
        "nsdf bench {}: backend {} (available: {}), {} threads, {} points uniform in the world bounds, {} runs\n\n",
        args.file.display(),
        shape.backend().name(),
        available_backends().join(", "),
        shape.threads(),
        group(args.points),
        args.repeat
    );
    let mut t = Table::new(2, &["", ">median", ">best"]);
    type Show = fn(f64) -> String;
    let ns: Show = |x| format!("{x:.0} ns");
    let us: Show = |x| format!("{x:.2} µs");
    let rows: [(&str, Stat, Show); 6] = [
        ("batch distance", r.distance, rate),
        ("batch gradient", r.gradient, rate),
        ("single distance", r.single_ns, ns),
        ("single gradient", r.single_gradient_ns, ns),
        ("parse + validate", r.parse_us, us),
        ("load (parse + set-up)", r.load_us, us),
    ];
    for (label, stat, show) in rows {
        t.row(vec![label.into(), show(stat.median), show(stat.best)]);
    }
    out += &t.render();
    out += &format!(
        "\n  gradient costs {:.2}x a distance; file {} bytes\n",
        r.distance.median / r.gradient.median,
        group(r.file_size as u64)
    );
    out
}

fn to_json(args: &Args, shape: &Shape, r: &Results) -> serde_json::Value {
    json!({
        "file": args.file.display().to_string(),
        "file_size": r.file_size,
        "backend": shape.backend().name(),
        "available_backends": available_backends(),
        "threads": shape.threads(),
        "points": args.points,
        "repeat": args.repeat,
        "distance_points_per_s": json_f64(r.distance.median),
        "distance_points_per_s_best": json_f64(r.distance.best),
        "gradient_points_per_s": json_f64(r.gradient.median),
        "gradient_points_per_s_best": json_f64(r.gradient.best),
        "gradient_cost_ratio": json_f64(r.distance.median / r.gradient.median),
        "single_point_ns": json_f64(r.single_ns.median),
        "single_gradient_ns": json_f64(r.single_gradient_ns.median),
        "parse_us": json_f64(r.parse_us.median),
        "load_us": json_f64(r.load_us.median),
    })
}
