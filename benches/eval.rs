//! Evaluation speed of every backend this CPU runs, on Davies' 8 × 32 network (f32): batch
//! distances and batch gradients over 1M points uniform in [-1, 1]³ on 1 and 2 threads, and
//! single-point `distance` / `gradient` latency.
//!
//! `cargo bench --bench eval` (add `-- distances` etc. to filter). Kept quick: batches take 5
//! samples of one call; the scalar backend, ~50× slower, gets 64k points instead of 1M (divan
//! reports items/s, so the rates compare). The side-by-side comparison with PyTorch and
//! onnxruntime is `benches/peers/run.sh`.

use divan::{black_box, counter::ItemsCount, Bencher};
use nsdf::{Backend, Model, Shape};
use nsdf_testing::Rng;

fn main() {
    divan::main();
}

/// The backends this CPU runs, scalar first.
fn backends() -> Vec<Backend> {
    Backend::ALL
        .iter()
        .copied()
        .filter(|b| b.is_available())
        .collect()
}

/// Points per batch call.
fn batch_len(backend: Backend) -> usize {
    if backend == Backend::Scalar {
        1 << 16
    } else {
        1_000_000
    }
}

/// Davies' network with He-uniform random weights (speed does not depend on their values).
fn davies(backend: Backend, threads: usize) -> Shape {
    let mut rng = Rng(0x6e73_6466);
    let mut m = Model::davies();
    for l in &mut m.layers {
        let s = (6.0 / l.inputs as f32).sqrt();
        l.weights.iter_mut().for_each(|w| *w = rng.uniform(-s, s));
        l.bias.iter_mut().for_each(|b| *b = rng.uniform(-0.1, 0.1));
    }
    Shape::from_model(m)
        .unwrap()
        .with_backend(backend)
        .unwrap()
        .with_threads(threads)
}

fn points(n: usize) -> Vec<[f32; 3]> {
    let mut rng = Rng(1);
    (0..n)
        .map(|_| [(); 3].map(|_| rng.uniform(-1.0, 1.0)))
        .collect()
}

#[divan::bench(args = backends(), consts = [1, 2], sample_count = 5, sample_size = 1)]
fn distances<const THREADS: usize>(bencher: Bencher, backend: Backend) {
    let shape = davies(backend, THREADS);
    let pts = points(batch_len(backend));
    let mut out = vec![0.0; pts.len()];
    bencher
        .counter(ItemsCount::new(pts.len()))
        .bench_local(|| shape.distances(black_box(&pts), &mut out));
}

#[divan::bench(args = backends(), consts = [1, 2], sample_count = 5, sample_size = 1)]
fn gradients<const THREADS: usize>(bencher: Bencher, backend: Backend) {
    let shape = davies(backend, THREADS);
    let pts = points(batch_len(backend));
    let (mut dist, mut grad) = (vec![0.0; pts.len()], vec![[0.0; 3]; pts.len()]);
    bencher
        .counter(ItemsCount::new(pts.len()))
        .bench_local(|| shape.gradients(black_box(&pts), &mut dist, &mut grad));
}

#[divan::bench(args = backends())]
fn distance(bencher: Bencher, backend: Backend) {
    let shape = davies(backend, 1);
    let pts = points(1024);
    let mut i = 0;
    bencher.bench_local(|| {
        i = (i + 1) % pts.len();
        shape.distance(black_box(pts[i]))
    });
}

#[divan::bench(args = backends())]
fn gradient(bencher: Bencher, backend: Backend) {
    let shape = davies(backend, 1);
    let pts = points(1024);
    let mut i = 0;
    bencher.bench_local(|| {
        i = (i + 1) % pts.len();
        shape.gradient(black_box(pts[i]))
    });
}
