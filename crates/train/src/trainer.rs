//! The training loop: mini-batch Adam on the L1 loss, with a learning-rate schedule, an epoch
//! count and an optional time budget, and quantization-aware steps at the end.
//!
//! Each mini-batch is cut into fixed chunks of samples; the chunks run in parallel on the
//! current rayon pool, each writing its own gradient, and the chunk gradients are summed in
//! chunk order. So the same seed gives bit-identical weights whatever the thread count (on the
//! same CPU kernel); only a time budget that cuts training short makes runs differ.

use std::ops::ControlFlow;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use nsdf::Scheme;
use rayon::prelude::*;

use super::adam::{Adam, AdamConfig, SparseAdam};
use super::input_gradient::{self, GradientLoss, Tangents};
use super::kernels::Kernel;
use super::loss::Loss;
use super::mlp::{backward, backward_with, forward, grid_gradient, Mlp, Prepared, Workspace};
use super::progress::{Callback, Progress};
use super::quantize::{layer_schemes, Qat, QatMethod};
use super::rng::Rng;
use super::sampling::Samples;
use super::schedule::Schedule;

/// Training settings. [`TrainConfig::default`] holds the defaults chosen by measurement
/// (`examples/train_bench.rs`).
#[derive(Clone, Debug)]
pub struct TrainConfig {
    pub epochs: usize,
    pub batch: usize,
    /// Peak learning rate.
    pub learning_rate: f32,
    /// Peak learning rate of a hash grid's features (same schedule), and their Adam settings:
    /// instant-NGP's 1e-2, β2 0.99, ε 1e-15.
    pub grid_learning_rate: f32,
    pub grid_adam: AdamConfig,
    pub schedule: Schedule,
    pub loss: Loss,
    /// A loss on the network's input gradient (SALD's derivative term, SIREN's eikonal and
    /// normal terms; [`input_gradient`]); needs samples with gradients.
    pub gradient_loss: Option<GradientLoss>,
    pub adam: AdamConfig,
    /// Seed of the sample order (initialisation has its own, see `Mlp::initialize`).
    pub seed: u64,
    /// Stop after this long even if epochs remain; the schedule then follows the clock.
    pub time_budget: Option<Duration>,
    /// How the weights will be stored. For int8 and f16 the last `qat_fraction` of training
    /// adapts the network to that precision, by `qat_method` (see `quantize`).
    pub scheme: Scheme,
    pub qat_fraction: f32,
    pub qat_method: QatMethod,
    /// Progress fractions at which [`train_with`]'s hook may replace some samples (hard-example
    /// resampling; empty: never).
    pub resample_at: Vec<f32>,
    /// Int4 rows are clipped at this many times their RMS before rounding
    /// ([`quantize::stored_weights`](super::quantize::stored_weights)); infinity: at their max.
    pub int4_clip: f32,
    /// Samples per unit of parallel work (rounded up to a multiple of 16).
    pub chunk: usize,
    pub kernel: Kernel,
    /// Report progress every this many steps (and at the end of every epoch).
    pub report_every: usize,
}

impl Default for TrainConfig {
    fn default() -> TrainConfig {
        TrainConfig {
            epochs: 60,
            batch: 1024,
            learning_rate: 5e-3,
            grid_learning_rate: 1e-2,
            grid_adam: AdamConfig {
                beta1: 0.9,
                beta2: 0.99,
                epsilon: 1e-15,
            },
            schedule: Schedule::Cosine {
                warmup: 0.02,
                floor: 0.01,
            },
            loss: Loss::L1,
            gradient_loss: None,
            adam: AdamConfig::default(),
            seed: 0,
            time_budget: None,
            scheme: Scheme::Int8Half,
            qat_fraction: 0.1,
            qat_method: QatMethod::Progressive,
            int4_clip: 3.0,
            resample_at: Vec::new(),
            chunk: 256,
            kernel: Kernel::detect(),
            report_every: 50,
        }
    }
}

/// What a training run did.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    pub steps: usize,
    /// Epochs completed (fractional when a time budget stopped training mid-epoch).
    pub epochs: f32,
    /// Mean loss over the last epoch (or the part of it that ran).
    pub final_loss: f64,
    pub elapsed: Duration,
    pub samples_per_second: f64,
    /// Whether the time budget ended training before the planned epochs.
    pub stopped_by_budget: bool,
}

/// Training was stopped by the progress callback.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cancelled;

impl std::fmt::Display for Cancelled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("training was cancelled")
    }
}

impl std::error::Error for Cancelled {}

/// Per-thread scratch memory.
struct Scratch {
    ws: Workspace,
    points: Vec<[f32; 3]>,
    targets: Vec<f32>,
    d_output: Vec<f32>,
    /// The input-gradient passes (only with a gradient loss).
    tangents: Option<Tangents>,
    u_bar: Vec<f32>,
    /// The tangent pass's part of the gradient.
    second: Vec<f32>,
}

/// The samples as the steps read them.
struct SampleTable {
    /// Point and distance side by side: one cache line per random access instead of two.
    values: Vec<[f32; 4]>,
    /// The distance's gradients (for a gradient loss; else empty).
    gradients: Vec<[f32; 3]>,
}

impl SampleTable {
    fn new(s: &Samples) -> SampleTable {
        SampleTable {
            values: s
                .points
                .iter()
                .zip(&s.distances)
                .map(|(p, &d)| [p[0], p[1], p[2], d])
                .collect(),
            gradients: s.gradients.clone(),
        }
    }
}

/// Computes mini-batch gradients: chunks in parallel, then a fixed-order sum.
struct Gradients {
    chunk: usize,
    /// Per thread of the pool (indexed by rayon's thread index).
    scratch: Vec<Mutex<Scratch>>,
    chunk_grads: Vec<Vec<f32>>,
    /// Per chunk, the hash grid's sparse gradient (empty without a grid).
    chunk_grid: Vec<Vec<(u32, f32)>>,
    chunk_loss: Vec<f64>,
    /// The batch gradient (mean over the batch).
    grad: Vec<f32>,
}

impl Gradients {
    fn new(net: &Mlp, chunk: usize, batch: usize, derivatives: bool) -> Gradients {
        let chunk = Workspace::new(net, chunk).chunk();
        let scratch = (0..rayon::current_num_threads())
            .map(|_| {
                let ws = Workspace::new(net, chunk);
                let tangents = derivatives.then(|| Tangents::new(net, &ws));
                Mutex::new(Scratch {
                    ws,
                    points: Vec::with_capacity(chunk),
                    targets: Vec::with_capacity(chunk),
                    d_output: vec![0.0; chunk],
                    tangents,
                    u_bar: vec![0.0; if derivatives { 3 * chunk } else { 0 }],
                    second: vec![0.0; if derivatives { net.params.len() } else { 0 }],
                })
            })
            .collect();
        let chunks = batch.div_ceil(chunk);
        Gradients {
            chunk,
            scratch,
            chunk_grads: vec![vec![0.0; net.params.len()]; chunks],
            chunk_grid: vec![Vec::new(); chunks],
            chunk_loss: vec![0.0; chunks],
            grad: vec![0.0; net.params.len()],
        }
    }

    /// The hash grid's sparse gradient of the last [`Self::compute`] over `batch` samples, one
    /// part per chunk, in chunk order (so the sum is the same whatever thread ran which chunk).
    fn grid_parts(&self, batch: usize) -> &[Vec<(u32, f32)>] {
        &self.chunk_grid[..batch.div_ceil(self.chunk)]
    }

    /// Fills `self.grad` (and a hash grid's sparse gradient per chunk, [`Self::grid_parts`]) for
    /// the samples `batch` (indices into `packed`) and returns the summed loss.
    fn compute(
        &mut self,
        net: &Mlp,
        weights: &Prepared,
        packed: &SampleTable,
        batch: &[u32],
        config: &TrainConfig,
        fraction: f32,
    ) -> f64 {
        let scale = 1.0 / batch.len() as f32;
        let step_loss = config.loss.at(fraction);
        let scratch = &self.scratch;
        self.chunk_grads
            .par_iter_mut()
            .zip(self.chunk_grid.par_iter_mut())
            .zip(self.chunk_loss.par_iter_mut())
            .zip(batch.par_chunks(self.chunk))
            .for_each(|(((grad, grid), loss), indices)| {
                let slot = rayon::current_thread_index().unwrap_or(0) % scratch.len();
                let mut guard = scratch[slot].lock().unwrap_or_else(|e| e.into_inner());
                let Scratch {
                    ws,
                    points,
                    targets,
                    d_output,
                    tangents,
                    u_bar,
                    second,
                } = &mut *guard;
                points.clear();
                targets.clear();
                for &i in indices {
                    let s = packed.values[i as usize];
                    points.push([s[0], s[1], s[2]]);
                    targets.push(s[3]);
                }
                ws.load(net, points);
                forward(net, weights, ws, config.kernel);
                *loss = step_loss.batch(ws.output(), targets, scale, d_output);
                let (Some(tg), Some(gradient_loss)) = (tangents, config.gradient_loss) else {
                    backward(net, weights, ws, d_output, grad, config.kernel);
                    grid.clear();
                    grid_gradient(net, ws, grid);
                    return;
                };
                // The loss on ∇f: the tangent pass, the loss per sample, then the tangent
                // backward pass (into `second`, filling the sine curvature terms) before the
                // ordinary one (see input_gradient).
                input_gradient::forward(net, weights, ws, tg, config.kernel);
                let c = ws.chunk();
                let out_act = net.layers[net.layers.len() - 1].activation;
                u_bar.fill(0.0);
                for (t, &i) in indices.iter().enumerate() {
                    let (slope, curve) = input_gradient::output_slopes(out_act, ws.output()[t]);
                    let g = [0, 1, 2].map(|k| slope * tg.u(t, k));
                    let (e, dg) = gradient_loss.eval(g, packed.gradients[i as usize], targets[t]);
                    *loss += e as f64;
                    for k in 0..3 {
                        let w = scale * dg[k];
                        u_bar[k * c + t] = w * slope;
                        d_output[t] += w * tg.u(t, k) * curve;
                    }
                }
                second.fill(0.0);
                input_gradient::backward(net, weights, tg, u_bar, second, config.kernel);
                backward_with(
                    net,
                    weights,
                    ws,
                    d_output,
                    Some(&tg.extra),
                    grad,
                    config.kernel,
                );
                grad.iter_mut()
                    .zip(second.iter())
                    .for_each(|(g, s)| *g += s);
            });
        // Chunk 0 + chunk 1 + ...: the same order whatever thread ran which chunk.
        let used = batch.len().div_ceil(self.chunk);
        self.grad.copy_from_slice(&self.chunk_grads[0]);
        for g in &self.chunk_grads[1..used] {
            self.grad.iter_mut().zip(g).for_each(|(a, b)| *a += b);
        }
        self.chunk_loss[..used].iter().sum()
    }
}

/// Trains `net` on `samples` in place. Runs on the current rayon pool.
pub fn train(
    net: &mut Mlp,
    samples: &Samples,
    config: &TrainConfig,
    progress: Callback,
) -> Result<Report, Cancelled> {
    let mut samples = samples.clone();
    train_with(net, &mut samples, config, progress, &mut |_, _| {})
}

/// A hook that may rewrite the training samples (same count) given the network so far.
pub type Resample<'a> = &'a mut dyn FnMut(&Mlp, &mut Samples);

/// [`train`], calling `resample` at the first epoch boundary past each of
/// `config.resample_at`.
pub fn train_with(
    net: &mut Mlp,
    samples: &mut Samples,
    config: &TrainConfig,
    progress: Callback,
    resample: Resample,
) -> Result<Report, Cancelled> {
    let n = samples.len();
    let batch = config.batch.max(1).min(n.max(1));
    let steps_per_epoch = n.div_ceil(batch);
    let total_steps = steps_per_epoch * config.epochs;
    let start = Instant::now();
    let mut report = Report {
        steps: 0,
        epochs: 0.0,
        final_loss: f64::NAN,
        elapsed: Duration::ZERO,
        samples_per_second: 0.0,
        stopped_by_budget: false,
    };
    if total_steps == 0 {
        return Ok(report);
    }

    let derivatives = config.gradient_loss.is_some();
    assert!(
        !derivatives || samples.gradients.len() == n,
        "a gradient loss needs samples with gradients"
    );
    let mut gradients = Gradients::new(net, config.chunk, batch, derivatives);
    let mut adam = Adam::new(net.params.len(), config.adam);
    let mut grid_adam = net
        .grid
        .as_ref()
        .map(|g| SparseAdam::new(g.grid.values.len(), config.grid_adam));
    let activations: Vec<_> = net.layers.iter().map(|l| l.activation).collect();
    let schemes = layer_schemes(config.scheme, &activations);
    let mut qat = Qat::new(
        schemes,
        config.int4_clip,
        config.qat_method,
        config.qat_fraction,
    );
    let mut order: Vec<u32> = (0..n as u32).collect();
    let mut packed = SampleTable::new(samples);
    // Resampling points already passed (the list is taken as a set of fractions).
    let mut resampled = 0;
    let budget = config.time_budget.map(|b| b.as_secs_f64().max(1e-3));
    // Loss sum, samples and start time since the last report; the same for the epoch.
    let mut since_report = (0.0f64, 0usize, Instant::now());
    let mut epoch_loss = (0.0f64, 0usize);
    let mut step = 0;
    let mut fraction = 0.0f32;

    'epochs: for epoch in 0..config.epochs {
        let due = config
            .resample_at
            .iter()
            .filter(|&&f| f <= fraction)
            .count();
        if due > resampled {
            resampled = due;
            resample(net, samples);
            assert_eq!(samples.len(), n, "resampling must keep the sample count");
            packed = SampleTable::new(samples);
        }
        Rng::stream(config.seed, epoch as u64).shuffle(&mut order);
        epoch_loss = (0.0, 0);
        for batch_indices in order.chunks(batch) {
            let phase = qat.phase(fraction);
            let lr = config.schedule.rate(config.learning_rate, fraction);
            let weights = qat.prepare(net, fraction);
            let loss = gradients.compute(net, &weights, &packed, batch_indices, config, fraction);
            adam.step(&mut net.params, &gradients.grad, lr);
            if let (Some(g), Some(a)) = (&mut net.grid, &mut grid_adam) {
                for part in gradients.grid_parts(batch_indices.len()) {
                    a.accumulate(part);
                }
                let grid_lr = config.schedule.rate(config.grid_learning_rate, fraction);
                a.step(&mut g.grid.values, grid_lr);
            }
            qat.after_step(net);

            step += 1;
            epoch_loss = (epoch_loss.0 + loss, epoch_loss.1 + batch_indices.len());
            since_report = (
                since_report.0 + loss,
                since_report.1 + batch_indices.len(),
                since_report.2,
            );
            let elapsed = start.elapsed();
            let by_time = budget.map_or(0.0, |b| (elapsed.as_secs_f64() / b) as f32);
            fraction = (step as f32 / total_steps as f32).max(by_time).min(1.0);
            report.epochs = epoch as f32 + epoch_loss.1 as f32 / n as f32;
            let out_of_time = by_time >= 1.0 && step < total_steps;
            if step % config.report_every.max(1) == 0 || epoch_loss.1 == n || out_of_time {
                let seconds = since_report.2.elapsed().as_secs_f64().max(1e-9);
                let update = Progress {
                    phase,
                    fraction,
                    epoch: report.epochs,
                    epochs: config.epochs,
                    step,
                    steps: total_steps,
                    loss: since_report.0 / since_report.1.max(1) as f64,
                    learning_rate: lr,
                    samples_per_second: since_report.1 as f64 / seconds,
                    elapsed,
                };
                since_report = (0.0, 0, Instant::now());
                if progress(&update) == ControlFlow::Break(()) {
                    return Err(Cancelled);
                }
            }
            if out_of_time {
                report.stopped_by_budget = true;
                break 'epochs;
            }
        }
    }
    qat.finish(net);
    report.steps = step;
    report.final_loss = epoch_loss.0 / epoch_loss.1.max(1) as f64;
    report.elapsed = start.elapsed();
    report.samples_per_second =
        report.epochs as f64 * n as f64 / report.elapsed.as_secs_f64().max(1e-9);
    Ok(report)
}

/// Network values at `points` (training frame), computed in parallel chunks on the current
/// rayon pool, with the weights as `prepared` gives them.
pub fn evaluate(
    net: &Mlp,
    prepared: &Prepared,
    points: &[[f32; 3]],
    out: &mut [f32],
    kernel: Kernel,
) {
    assert_eq!(points.len(), out.len());
    const CHUNK: usize = 1024;
    out.par_chunks_mut(CHUNK)
        .zip(points.par_chunks(CHUNK))
        .for_each_init(
            || Workspace::new(net, CHUNK),
            |ws, (out, pts)| {
                ws.load(net, pts);
                forward(net, prepared, ws, kernel);
                out.copy_from_slice(ws.output());
            },
        );
}
