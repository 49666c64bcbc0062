//! Evaluation speed of every backend on Davies' network, in one process, and the benchmark model
//! for the peer comparison (`benches/peers/run.sh`).
//!
//! ```text
//! cargo run --release --example bench_eval -- --write davies.nsdf   # write the model, exit
//! cargo run --release --example bench_eval -- [--points N] [--repeat R] [--backend B] [--threads T] [--json]
//! ```
//!
//! The model is Davies' 3 → 8 × 32 ReLU → 1 tanh with seeded He-uniform random weights, f32,
//! identity transform, so world points in [-1, 1]³ are network inputs in [-1, 1]³ exactly as the
//! peers see them. (Speed does not depend on the weights' values.) Without `--write` it times,
//! for each backend this CPU runs and for 1 and 2 threads, batch distances and batch gradients
//! over N uniform points (default 1,000,000; best and median of R runs after a warm-up), and
//! single-point `distance`/`gradient` latency. `--backend` and `--threads` restrict the runs to
//! one backend and one thread count.

use nsdf::{Backend, Model, Shape};
use nsdf_testing::Rng;
use std::hint::black_box;
use std::time::Instant;

/// Davies' network with He-uniform weights from a fixed seed.
fn model() -> Model {
    let mut rng = Rng(0x6e73_6466);
    let mut m = Model::davies();
    for l in &mut m.layers {
        let s = (6.0 / l.inputs as f32).sqrt();
        l.weights.iter_mut().for_each(|w| *w = rng.uniform(-s, s));
        l.bias.iter_mut().for_each(|b| *b = rng.uniform(-0.1, 0.1));
    }
    m
}

struct Options {
    write: Option<String>,
    points: usize,
    repeat: usize,
    backend: Option<Backend>,
    threads: Option<usize>,
    json: bool,
}

fn options() -> Result<Options, String> {
    let mut o = Options {
        write: None,
        points: 1_000_000,
        repeat: 5,
        backend: None,
        threads: None,
        json: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match a.as_str() {
            "--write" => o.write = Some(value("--write")?),
            "--points" => {
                o.points = value("--points")?
                    .parse()
                    .map_err(|e| format!("--points: {e}"))?
            }
            "--repeat" => {
                o.repeat = value("--repeat")?
                    .parse()
                    .map_err(|e| format!("--repeat: {e}"))?
            }
            "--backend" => o.backend = Some(value("--backend")?.parse()?),
            "--threads" => o.threads = Some(value("--threads")?.parse().map_err(|e| format!("--threads: {e}"))?),
            "--json" => o.json = true,
            _ => return Err(format!(
                "unknown argument '{a}' (expected --write FILE, --points N, --repeat R, --backend B, --threads T, --json)"
            )),
        }
    }
    if o.repeat == 0 || o.points == 0 {
        return Err("--points and --repeat must be at least 1".into());
    }
    Ok(o)
}

/// Best and median of `repeat` timed runs (after one warm-up), in seconds.
fn time(repeat: usize, mut f: impl FnMut()) -> (f64, f64) {
    f();
    let mut t: Vec<f64> = (0..repeat)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64()
        })
        .collect();
    t.sort_by(f64::total_cmp);
    (t[0], t[t.len() / 2])
}

/// Mean latency of `f` over enough calls to take about 50 ms, best of 5 rounds, in ns.
fn latency(mut f: impl FnMut(usize)) -> f64 {
    let mut calls = 1000;
    loop {
        let start = Instant::now();
        (0..calls).for_each(&mut f);
        if start.elapsed().as_secs_f64() > 0.05 {
            break;
        }
        calls *= 2;
    }
    (0..5)
        .map(|_| {
            let start = Instant::now();
            (0..calls).for_each(&mut f);
            start.elapsed().as_secs_f64() * 1e9 / calls as f64
        })
        .fold(f64::INFINITY, f64::min)
}

fn main() -> Result<(), String> {
    let o = options()?;
    let model = model();
    let bytes = nsdf::to_bytes(&model).map_err(|e| e.to_string())?;
    if let Some(path) = &o.write {
        nsdf::write_atomic(std::path::Path::new(path), &bytes).map_err(|e| e.to_string())?;
        println!(
            "wrote {path} ({} bytes, {} parameters)",
            bytes.len(),
            model.parameter_count()
        );
        return Ok(());
    }
    let shape = Shape::from_bytes(&bytes).map_err(|e| e.to_string())?;
    let mut rng = Rng(1);
    let pts: Vec<[f32; 3]> = (0..o.points)
        .map(|_| [(); 3].map(|_| rng.uniform(-1.0, 1.0)))
        .collect();
    let (mut dist, mut grad) = (vec![0.0f32; o.points], vec![[0.0f32; 3]; o.points]);
    if !o.json {
        println!(
            "{} points, best (median) of {} runs; M points/s",
            o.points, o.repeat
        );
        println!(
            "{:<8} {:>7} {:>16} {:>16} {:>10} {:>10} {:>10}",
            "backend", "threads", "distance", "gradient", "grad cost", "single ns", "sgrad ns"
        );
    }
    let backends = Backend::ALL
        .iter()
        .copied()
        .filter(|&b| b.is_available() && o.backend.is_none_or(|o| o == b));
    for b in backends {
        for threads in o.threads.map_or(vec![1, 2], |t| vec![t]) {
            let s = shape
                .clone()
                .with_backend(b)
                .map_err(|e| e.to_string())?
                .with_threads(threads);
            let (d_best, d_med) = time(o.repeat, || s.distances(black_box(&pts), &mut dist));
            let (g_best, g_med) = time(o.repeat, || {
                s.gradients(black_box(&pts), &mut dist, &mut grad)
            });
            let single = latency(|i| {
                black_box(s.distance(black_box(pts[i % pts.len()])));
            });
            let single_grad = latency(|i| {
                black_box(s.gradient(black_box(pts[i % pts.len()])));
            });
            let mps = |t: f64| o.points as f64 / t / 1e6;
            if o.json {
                println!(
                    "{{\"backend\":\"{}\",\"threads\":{threads},\"points\":{},\"distance_mpts_best\":{:.3},\"distance_mpts_median\":{:.3},\"gradient_mpts_best\":{:.3},\"gradient_mpts_median\":{:.3},\"gradient_cost_ratio\":{:.3},\"single_point_ns\":{:.1},\"single_gradient_ns\":{:.1}}}",
                    b.name(), o.points, mps(d_best), mps(d_med), mps(g_best), mps(g_med), g_best / d_best, single, single_grad
                );
            } else {
                println!(
                    "{:<8} {threads:>7} {:>7.2} ({:>6.2}) {:>7.2} ({:>6.2}) {:>9.2}x {:>10.1} {:>10.1}",
                    b.name(), mps(d_best), mps(d_med), mps(g_best), mps(g_med), g_best / d_best, single, single_grad
                );
            }
        }
    }
    Ok(())
}
