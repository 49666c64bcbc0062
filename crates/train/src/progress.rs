//! Progress reports, so a front end (the `nsdf pack` bar) can show phase, loss, rate and ETA,
//! and stop the work early. The library itself never draws anything.

use std::ops::ControlFlow;
use std::time::Duration;

/// What the trainer is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Phase {
    /// Drawing training points and their exact distances.
    Sampling,
    /// Fitting the network in f32.
    Train,
    /// Fine-tuning with the weights seen as stored (int8 or f16).
    Quantize,
}

impl Phase {
    pub fn name(self) -> &'static str {
        match self {
            Phase::Sampling => "sampling",
            Phase::Train => "train",
            Phase::Quantize => "quantize",
        }
    }
}

/// One progress report.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Progress {
    pub phase: Phase,
    /// Fraction of the whole training done, in [0, 1] (of the steps, or of the time budget).
    pub fraction: f32,
    /// Epochs done so far (fractional) and planned.
    pub epoch: f32,
    pub epochs: usize,
    /// Optimizer steps done and planned.
    pub step: usize,
    pub steps: usize,
    /// Mean training loss since the previous report (training-frame units); NaN before any step.
    pub loss: f64,
    pub learning_rate: f32,
    /// Training samples processed per second since the previous report.
    pub samples_per_second: f64,
    /// Time since training started.
    pub elapsed: Duration,
}

/// Receives progress; returning `ControlFlow::Break(())` stops the work (e.g. on Ctrl-C).
/// `Send` because training runs on its own thread pool.
pub type Callback<'a> = &'a mut (dyn FnMut(&Progress) -> ControlFlow<()> + Send);

/// A callback that ignores everything.
pub fn silent(_: &Progress) -> ControlFlow<()> {
    ControlFlow::Continue(())
}
