//! Timing for `nsdf bench` (CPU and CUDA alike): seeded benchmark points, timed rounds, and
//! the median/best statistic both report.

use std::time::{Duration, Instant};

/// Seed of the benchmark points ("nsdf" in ASCII).
pub const SEED: u64 = 0x6e73_6466;

/// Shortest time one timed round of a fast operation (parse, single point) runs, so the clock's
/// resolution does not matter.
pub const MIN_ROUND: Duration = Duration::from_millis(20);

/// Median and best of a set of timed runs, as rates or durations.
#[derive(Clone, Copy, Debug)]
pub struct Stat {
    pub median: f64,
    pub best: f64,
}

impl Stat {
    /// From samples where larger is better (rates).
    pub fn of_rates(mut v: Vec<f64>) -> Stat {
        v.sort_by(f64::total_cmp);
        Stat {
            median: median(&v),
            best: v.last().copied().unwrap_or(0.0),
        }
    }

    /// From samples where smaller is better (latencies).
    pub fn of_times(mut v: Vec<f64>) -> Stat {
        v.sort_by(f64::total_cmp);
        Stat {
            median: median(&v),
            best: v.first().copied().unwrap_or(0.0),
        }
    }
}

pub fn median(sorted: &[f64]) -> f64 {
    match sorted.len() {
        0 => 0.0,
        n if n % 2 == 1 => sorted[n / 2],
        n => 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]),
    }
}

/// Points uniform in `bounds` from [`SEED`] (SplitMix64; 24-bit uniforms).
pub fn random_points(bounds: [[f32; 3]; 2], n: usize) -> Vec<[f32; 3]> {
    let mut rng = nsdf_mesh::sample::Rng::new(SEED);
    let mut uniform = || (rng.next_u64() >> 40) as f32 / (1u64 << 24) as f32;
    let [lo, hi] = bounds;
    (0..n)
        .map(|_| std::array::from_fn(|a| lo[a] + (hi[a] - lo[a]) * uniform()))
        .collect()
}

/// Runs `f` once to warm up, then `repeat` times; each run's seconds.
pub fn timed(repeat: usize, mut f: impl FnMut()) -> Vec<f64> {
    f();
    (0..repeat)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64()
        })
        .collect()
}

/// Nanoseconds per call of an operation `f` performs `calls` times per invocation: each of
/// `repeat` rounds invokes `f` until [`MIN_ROUND`] has passed.
pub fn per_call(repeat: usize, calls: usize, mut f: impl FnMut()) -> Stat {
    f();
    let rounds = (0..repeat).map(|_| {
        let t = Instant::now();
        let mut done = 0usize;
        while t.elapsed() < MIN_ROUND {
            f();
            done += calls;
        }
        t.elapsed().as_secs_f64() * 1e9 / done as f64
    });
    Stat::of_times(rounds.collect())
}

/// What to measure, shared by the CPU and CUDA benchmarks.
pub struct Workload<'a> {
    pub file: &'a std::path::Path,
    pub points: u64,
    pub repeat: u64,
    pub json: bool,
}
