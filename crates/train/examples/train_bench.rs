//! Measurements behind the trainer's defaults (release build; numbers are noisy on a shared
//! machine: repeat and take the best, and note the load, which every line prints).
//!
//! ```text
//! # milliseconds per Adam step (batch 2048, Davies 8 × 32 network) per kernel, 1 and 2
//! # threads; "cpu" is CPU time per step, which other processes on the cores do not inflate
//! cargo run --release -p nsdf-train --example train_bench -- step
//! # accuracy after a time budget on an analytic shape (sphere, torus, box)
//! cargo run --release -p nsdf-train --example train_bench -- fit --shape torus --seconds 10
//! # the defaults on a mesh, as `nsdf pack` would train it (fixed epochs: --seconds 0)
//! cargo run --release -p nsdf-train --example train_bench -- fit \
//!     --mesh ../shared/meshes/bunny_hr.obj --seconds 0
//! # one change at a time, e.g. Davies et al.'s recipe
//! cargo run --release -p nsdf-train --example train_bench -- fit --seconds 0 --epochs 40 \
//!     --mesh ../shared/meshes/bunny_hr.obj --sampling davies --schedule constant --lr 1e-3 \
//!     --batch 2048 --qat 0
//! ```
//!
//! `fit` prints one line of settings and times (load, sampling with exact distances, training),
//! then the accuracy of the f32 master weights and of the weights as stored (int8 by default),
//! on 100k held-out points of each kind (definitions in `nsdf_train::metrics`). The
//! table in `nsdf_train`'s documentation was measured this way.

use std::ops::ControlFlow;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand, ValueEnum};
use nsdf::Scheme;

use nsdf_train::analytic::{Cuboid, Sphere, Torus};
use nsdf_train::mlp::Prepared;
use nsdf_train::quantize::QatMethod;
use nsdf_train::{
    fit, trainer, Arch, CloudTarget, FitConfig, Init, Kernel, Loss, MeshTarget, Probe, Progress,
    Samples, Sampling, Schedule, Target, TrainConfig,
};

#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Time per optimizer step for every kernel, on 1 and 2 threads.
    Step {
        #[arg(long, default_value_t = 2048)]
        batch: usize,
        /// Steps per measurement.
        #[arg(long, default_value_t = 300)]
        steps: usize,
        /// Measurements per setting (the best is reported).
        #[arg(long, default_value_t = 3)]
        repeat: usize,
        #[arg(long, default_value_t = 256)]
        chunk: usize,
        /// Only this kernel (default: all).
        #[arg(long)]
        kernel: Option<String>,
        /// Thread counts to measure.
        #[arg(long, num_args = 1.., default_values_t = [1, 2])]
        threads: Vec<usize>,
    },
    /// Train on an analytic shape or a mesh and report accuracy.
    Fit(Box<FitArgs>),
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum ShapeName {
    Sphere,
    Torus,
    Box,
}

#[derive(Clone, Copy, ValueEnum, PartialEq)]
enum SamplingName {
    Near,
    Davies,
}

#[derive(Clone, Copy, ValueEnum)]
enum ScheduleName {
    Cosine,
    Constant,
}

#[derive(Clone, Copy, ValueEnum)]
enum InitName {
    Geometric,
    Glorot,
    Torch,
}

#[derive(clap::Args)]
struct FitArgs {
    #[arg(long, value_enum, default_value = "torus")]
    shape: ShapeName,
    /// Fit this mesh instead of an analytic shape (normalised like Davies et al.: minimal
    /// enclosing sphere mapped to radius 0.9), e.g. ../shared/meshes/bunny_hr.obj.
    #[arg(long)]
    mesh: Option<std::path::PathBuf>,
    /// Train on this point cloud (PLY, .xyz, .pts) with the sald recipe, and measure against
    /// --mesh (the shape it was sampled from).
    #[arg(long, requires = "mesh")]
    cloud: Option<std::path::PathBuf>,
    /// Training recipe (davies, sal, sald, curriculum).
    #[arg(long)]
    recipe: Option<nsdf_train::Recipe>,
    /// Weight of SALD's derivative term (0: off).
    #[arg(long)]
    gradient_weight: Option<f32>,
    /// Training time budget; 0 trains for exactly --epochs.
    #[arg(long, default_value_t = 10.0)]
    seconds: f64,
    #[arg(long)]
    epochs: Option<usize>,
    #[arg(long)]
    samples: Option<usize>,
    #[arg(long, value_enum)]
    sampling: Option<SamplingName>,
    /// Near-surface: fraction at the fine scale, at the coarse scale (rest uniform).
    #[arg(long, num_args = 2)]
    fractions: Option<Vec<f32>>,
    /// Near-surface: the two standard deviations (training frame).
    #[arg(long, num_args = 2)]
    sigmas: Option<Vec<f32>>,
    #[arg(long)]
    batch: Option<usize>,
    #[arg(long)]
    lr: Option<f32>,
    #[arg(long, value_enum)]
    schedule: Option<ScheduleName>,
    /// Cosine floor, as a fraction of the peak rate.
    #[arg(long)]
    floor: Option<f32>,
    #[arg(long, value_enum)]
    init: Option<InitName>,
    #[arg(long)]
    radius: Option<f32>,
    /// Clamp the L1 loss at this distance.
    #[arg(long)]
    clamp: Option<f32>,
    /// Fraction of training that is quantization-aware.
    #[arg(long)]
    qat: Option<f32>,
    /// Quantization-aware method: progressive or ste.
    #[arg(long)]
    qat_method: Option<String>,
    /// Clip int4 rows at this many times their RMS (inf: at their max).
    #[arg(long)]
    int4_clip: Option<f32>,
    /// Hard-example resampling at these progress fractions (e.g. 0.3 0.5 0.7; none: off).
    #[arg(long, num_args = 0..)]
    resample_at: Option<Vec<f32>>,
    /// Share of the samples each resampling replaces.
    #[arg(long, default_value_t = 0.2)]
    resample_fraction: f32,
    /// Share of the resampling candidates off the surface, and their offset scale.
    #[arg(long, num_args = 2)]
    resample_off: Option<Vec<f32>>,
    #[arg(long, default_value = "int8")]
    quant: Scheme,
    #[arg(long)]
    layers: Option<usize>,
    #[arg(long)]
    width: Option<usize>,
    /// Hidden activation (relu, tanh, leaky-relu[:ALPHA], sine[:OMEGA0]); the initialisation
    /// follows it unless --init is given.
    #[arg(long)]
    activation: Option<nsdf::Activation>,
    #[arg(long, default_value_t = 2)]
    threads: usize,
    #[arg(long, default_value_t = 0)]
    seed: u64,
    #[arg(long)]
    kernel: Option<String>,
    /// Held-out probe points of each kind.
    #[arg(long, default_value_t = 100_000)]
    probe: usize,
    /// Print the loss every this many steps.
    #[arg(long)]
    trace: Option<usize>,
}

fn main() {
    let cli = Cli::parse();
    match cli.command {
        Command::Step {
            batch,
            steps,
            repeat,
            chunk,
            kernel,
            threads,
        } => step(batch, steps, repeat, chunk, kernel.as_deref(), &threads),
        Command::Fit(args) => run_fit(&args),
    }
}

/// CPU time of this process so far (user + system), from /proc; robust to other processes
/// competing for the cores, which wall time is not.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
    let rest = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<f64> = rest
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|x| x.parse().ok())
        .collect();
    f.iter().sum::<f64>() / 100.0
}

fn load() -> String {
    std::fs::read_to_string("/proc/loadavg").map_or("?".into(), |s| {
        s.split_whitespace().next().unwrap_or("?").into()
    })
}

/// Milliseconds per Adam step on random points around a sphere.
fn step(
    batch: usize,
    steps: usize,
    repeat: usize,
    chunk: usize,
    only: Option<&str>,
    thread_counts: &[usize],
) {
    println!("# ms per Adam step, Davies 8x32, batch {batch}, chunk {chunk}, best of {repeat} x {steps} steps");
    let sphere = Sphere::default();
    let samples = Samples::label(
        &sphere,
        nsdf_train::sampling::uniform_points(batch * steps, 1),
    );
    for kernel in Kernel::available()
        .into_iter()
        .filter(|k| only.is_none_or(|o| o == k.name()))
    {
        for &threads in thread_counts {
            if kernel == Kernel::SCALAR && threads == 2 {
                continue;
            }
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("threads");
            let config = TrainConfig {
                epochs: 1,
                batch,
                kernel,
                chunk,
                ..TrainConfig::default()
            };
            let (mut best, mut best_cpu) = (f64::INFINITY, f64::INFINITY);
            let n = if kernel == Kernel::SCALAR { 1 } else { repeat };
            for _ in 0..n {
                let mut net = nsdf_train::Mlp::from_model(&Arch::DAVIES.model());
                net.initialize(Init::Glorot, 1);
                let (t, cpu) = (Instant::now(), cpu_seconds());
                pool.install(|| {
                    trainer::train(&mut net, &samples, &config, &mut |_: &Progress| {
                        ControlFlow::Continue(())
                    })
                })
                .expect("not cancelled");
                best = best.min(t.elapsed().as_secs_f64() * 1e3 / steps as f64);
                best_cpu = best_cpu.min((cpu_seconds() - cpu) * 1e3 / steps as f64);
            }
            println!(
                "kernel {:7} threads {threads}: {best:7.3} ms/step  {:6.2} M samples/s  (cpu {best_cpu:.3} ms/step, load {})",
                kernel.name(),
                batch as f64 / best / 1e3,
                load()
            );
        }
    }
}

/// Loads a mesh and normalises it into the training frame, as `nsdf pack` does.
fn load_mesh(path: &std::path::Path) -> MeshTarget {
    let mesh = nsdf_mesh::load(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .mesh;
    MeshTarget::new(mesh)
}

fn run_fit(a: &FitArgs) {
    let loading = Instant::now();
    let (target, name): (Box<dyn Target>, String) = match (&a.mesh, a.shape) {
        (Some(path), _) => (Box::new(load_mesh(path)), path.display().to_string()),
        (None, ShapeName::Sphere) => (Box::new(Sphere::default()), "sphere".into()),
        (None, ShapeName::Torus) => (Box::new(Torus::default()), "torus".into()),
        (None, ShapeName::Box) => (Box::new(Cuboid::default()), "box".into()),
    };
    let cloud = a.cloud.as_ref().map(|path| {
        match nsdf_mesh::load_input(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())) {
            nsdf_mesh::Input::Points(c) => CloudTarget::new(&c),
            nsdf_mesh::Input::Mesh(_) => panic!("{} is a mesh, not a point cloud", path.display()),
        }
    });
    let loading = loading.elapsed();
    let mut config = FitConfig {
        threads: a.threads,
        ..FitConfig::default()
    };
    match (a.recipe, &cloud) {
        (Some(r), _) => config = config.with_recipe(r),
        (None, Some(_)) => config = config.with_recipe(nsdf_train::Recipe::Sal),
        (None, None) => {}
    }
    if let Some(w) = a.gradient_weight {
        config.train.gradient_loss =
            (w > 0.0).then_some(nsdf_train::input_gradient::GradientLoss::SignAgnostic(w));
    }
    config.train.seed = a.seed;
    config = config.with_scheme(a.quant);
    if let Some(h) = &mut config.hard_examples {
        h.fraction = a.resample_fraction;
        if let Some(o) = &a.resample_off {
            (h.off_surface, h.off_sigma) = (o[0], o[1]);
        }
    }
    if let Some(v) = a.samples {
        config.samples = v;
    }
    match a.sampling {
        Some(SamplingName::Davies) => config.sampling = Sampling::DAVIES,
        Some(SamplingName::Near) => config.sampling = Sampling::NEAR_SURFACE,
        None => {}
    }
    if let Sampling::NearSurface { sigmas, fractions } = &mut config.sampling {
        if let Some(f) = &a.fractions {
            *fractions = [f[0], f[1]];
        }
        if let Some(s) = &a.sigmas {
            *sigmas = [s[0], s[1]];
        }
    }
    let t = &mut config.train;
    if a.seconds > 0.0 {
        t.time_budget = Some(Duration::from_secs_f64(a.seconds));
        t.epochs = a.epochs.unwrap_or(100_000);
    } else if let Some(e) = a.epochs {
        t.epochs = e;
    }
    if let Some(v) = a.batch {
        t.batch = v;
    }
    if let Some(v) = a.lr {
        t.learning_rate = v;
    }
    match a.schedule {
        Some(ScheduleName::Constant) => t.schedule = Schedule::Constant,
        Some(ScheduleName::Cosine) => {
            t.schedule = Schedule::Cosine {
                warmup: 0.02,
                floor: a.floor.unwrap_or(0.01),
            }
        }
        None => {
            if let (Schedule::Cosine { floor, .. }, Some(f)) = (&mut t.schedule, a.floor) {
                *floor = f;
            }
        }
    }
    if let Some(c) = a.clamp {
        t.loss = Loss::ClampedL1(c);
    }
    if let Some(q) = a.qat {
        t.qat_fraction = q;
    }
    if let Some(c) = a.int4_clip {
        t.int4_clip = c;
    }
    if let Some(at) = &a.resample_at {
        t.resample_at = at.clone();
    }
    match a.qat_method.as_deref() {
        Some("ste") => t.qat_method = QatMethod::Ste,
        Some("progressive") => t.qat_method = QatMethod::Progressive,
        Some(other) => panic!("unknown quantization-aware method {other}"),
        None => {}
    }
    if let Some(k) = &a.kernel {
        t.kernel = Kernel::by_name(k).expect("kernel not available");
    }
    if let Some(l) = a.layers {
        config.arch.layers = l;
    }
    if let Some(w) = a.width {
        config.arch.width = w;
    }
    if let Some(act) = a.activation {
        let defaults = FitConfig::for_activation(act);
        config.arch.activation = act;
        config.init = defaults.init;
        if a.lr.is_none() {
            config.train.learning_rate = defaults.train.learning_rate;
        }
    }
    match a.init {
        Some(InitName::Glorot) => config.init = Init::Glorot,
        Some(InitName::Torch) => config.init = Init::Torch,
        Some(InitName::Geometric) => {
            config.init = Init::Geometric {
                radius: a.radius.unwrap_or(0.5),
            }
        }
        None => {
            if let (Init::Geometric { radius }, Some(r)) = (&mut config.init, a.radius) {
                *radius = r;
            }
        }
    }

    let trace = a.trace;
    let mut callback = move |p: &Progress| {
        if let Some(every) = trace {
            if p.step.is_multiple_of(every) {
                eprintln!(
                    "{:>8} {:6.2}s epoch {:6.2} {:?} loss {:.6} lr {:.2e} {:.2} M/s",
                    p.step,
                    p.elapsed.as_secs_f64(),
                    p.epoch,
                    p.phase,
                    p.loss,
                    p.learning_rate,
                    p.samples_per_second / 1e6
                );
            }
        }
        ControlFlow::Continue(())
    };
    let load_before = load();
    let training: &dyn Target = match &cloud {
        Some(c) => c,
        None => &*target,
    };
    let fitted = fit(training, &config, &mut callback).expect("fit");
    // A cloud's training frame differs from the mesh's: map probe points (mesh frame) into the
    // cloud's, and distances back.
    let frames = cloud.as_ref().map(|c| {
        let mesh = load_mesh(a.mesh.as_ref().expect("--cloud requires --mesh"));
        (c.scale, c.offset, mesh.scale, mesh.offset)
    });
    let to_net = |p: &[[f32; 3]]| -> Vec<[f32; 3]> {
        match frames {
            Some((sc, oc, sm, om)) => p
                .iter()
                .map(|q| [0, 1, 2].map(|i| (((q[i] as f64 - om[i]) / sm) * sc + oc[i]) as f32))
                .collect(),
            None => p.to_vec(),
        }
    };
    let distance_factor = frames.map_or(1.0, |(sc, _, sm, _)| (sm / sc) as f32);
    let r = &fitted.report;

    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(a.threads)
        .build()
        .expect("threads");
    let (f32_acc, stored_acc) = pool.install(|| {
        let probe = Probe::new(&*target, a.probe, 0xACC0 ^ a.seed);
        let net = nsdf_train::Mlp::from_model(&fitted.model);
        let kernel = Kernel::detect();
        let plain = Prepared::plain(&net);
        let stored_net = nsdf_train::Mlp::from_model(&fitted.model.as_stored());
        let stored = Prepared::plain(&stored_net);
        let eval = |net: &nsdf_train::Mlp, prepared: &Prepared, p: &[[f32; 3]], out: &mut [f32]| {
            trainer::evaluate(net, prepared, &to_net(p), out, kernel);
            out.iter_mut().for_each(|d| *d *= distance_factor);
        };
        (
            probe.measure(|p, out| eval(&net, &plain, p, out)),
            probe.measure(|p, out| eval(&stored_net, &stored, p, out)),
        )
    });
    println!(
        "{} layers {} samples {} {:?} init {:?} batch {} lr {} {:?} loss {:?} qat {} {:?} threads {} seed {} | load {:.2}s sampling {:.2}s train {:.2}s steps {} epochs {:.1} {:.2} M samples/s final loss {:.5} | load {} -> {}",
        name,
        config.arch.layers,
        config.samples,
        config.sampling,
        config.init,
        config.train.batch,
        config.train.learning_rate,
        config.train.schedule,
        config.train.loss,
        config.train.qat_fraction,
        config.train.qat_method,
        a.threads,
        a.seed,
        loading.as_secs_f64(),
        fitted.sampling_time.as_secs_f64(),
        r.elapsed.as_secs_f64(),
        r.steps,
        r.epochs,
        r.samples_per_second / 1e6,
        r.final_loss,
        load_before,
        load()
    );
    println!("  f32:    {f32_acc}");
    println!("  {}:   {stored_acc}", a.quant.name());
}
