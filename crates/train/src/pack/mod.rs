//! `nsdf pack`'s pipeline for one mesh: load, normalise, train, quantize, verify the stored
//! model, write. The command line and the batch driver ([`batch`]) call [`pack_file`]. Nothing
//! here prints: progress, warnings and cancellation go through an [`Event`] callback (the
//! command line draws its bar from it and answers `Break` after Ctrl-C), errors are
//! [`PackError`]s and mesh warnings come back as data in [`Packed`].
//!
//! - `batch.rs`: directories, manifests, shards, skip-if-done; `summary.rs`: the per-mesh
//!   CSV/JSON; `meta.rs`: the file's metadata.

pub mod batch;
mod choose;
pub mod meta;
mod stray;
pub mod summary;

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::mesh_target::UnsignedMesh;
use crate::metrics::NEAR_SIGMA;
use crate::sampling::{jitter, uniform_points};
use crate::target::SHAPE_RADIUS;
use crate::{
    self as train, Accuracy, CloudTarget, FitConfig, MeshTarget, Phase, Probe, Recipe, Target,
};
use nsdf::{Activation, Shape, Transform};
use nsdf_mesh;
use nsdf_mesh::{MeshError, Warning};

/// How to pack: the trainer's configuration plus the verification settings.
#[derive(Clone, Debug)]
pub struct Options {
    pub fit: FitConfig,
    /// Held-out probe points of each kind (surface, near, uniform) for the statistics.
    pub probe: usize,
    /// Threads for everything (0: all cores).
    pub threads: usize,
    /// Write the file even when its sign agreement is under [`MIN_SIGN_AGREEMENT`] (to inspect
    /// a failed recipe, or for tests of the plumbing that train for seconds).
    pub keep_inaccurate: bool,
    /// The most bytes the file may have (`--budget`); the architecture is chosen from it
    /// beforehand ([`crate::Arch::for_budget`]) and a file over it is refused, not written.
    pub budget: Option<usize>,
    /// Epochs asked for (`--epochs`). `fit` holds them already; under a budget they replace
    /// the chosen architecture's own ([`BUDGET_EPOCHS`] for a network, a hash grid's 3).
    pub epochs: Option<usize>,
    /// Hidden units asked for (`--activation`). `fit` holds them already; where none were
    /// asked for and a budget chooses a network for a mesh, it has [`BUDGET_ACTIVATION`].
    pub activation: Option<Activation>,
    /// `budget` is [`DEFAULT_BUDGET`], not asked for ([`Options::with_default_budget`]): the
    /// network trains for the default pack's time, not for [`BUDGET_EPOCHS`].
    pub default_budget: bool,
}

/// Wall time of each phase.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Timings {
    /// Reading, checking and normalising the mesh, and building its distance structure.
    pub load: Duration,
    /// Drawing training points with exact distances.
    pub sampling: Duration,
    /// Training in f32.
    pub train: Duration,
    /// Quantization-aware fine-tuning.
    pub quantize: Duration,
    /// Measuring the stored model and writing the file.
    pub verify: Duration,
}

impl Timings {
    pub fn total(&self) -> Duration {
        self.load + self.sampling + self.train + self.quantize + self.verify
    }
}

/// What packing one mesh produced.
#[derive(Clone, Debug)]
pub struct Packed {
    pub output: PathBuf,
    pub bytes: usize,
    /// The mesh's triangles (0 for a point cloud).
    pub triangles: usize,
    /// The point cloud's points (0 for a mesh); its accuracy figures are against the cloud
    /// ([`CloudTarget::accuracy`]).
    pub points: usize,
    pub timings: Timings,
    /// Accuracy of the stored model, canonical units.
    pub accuracy: Accuracy,
    /// What the mesh checks found (also sent as [`Event::Warning`] as soon as known).
    pub warnings: Vec<Warning>,
}

/// What [`pack_file`] reports while it works. The callback answers `Break` to stop (Ctrl-C);
/// nothing is written then and the result is [`PackError::Cancelled`].
#[derive(Debug)]
pub enum Event<'a> {
    /// A mesh of a batch starts; `label` names it and its place in the batch.
    Start { label: &'a str },
    /// A phase starts: `load`, then the trainer's phases, then `verify`.
    Phase(&'static str),
    /// A report from the trainer (phase, fraction done, loss, rate).
    Training(&'a train::Progress),
    /// A problem found in the mesh, sent before training so the user can stop and fix it.
    Warning {
        input: &'a Path,
        warning: &'a Warning,
    },
    /// The network is unusable and is trained again ([`retrain_message`] says how and why).
    Retrain { input: &'a Path, retry: Retry },
    /// A second network of the same bytes trains, or one of the two is kept
    /// ([`choice_message`]).
    Choice { input: &'a Path, choice: Choice },
}

/// Two networks of the same bytes, one kept (`pack/choose.rs`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Choice {
    /// `rival` trains after `first`.
    Training {
        first: crate::Arch,
        rival: crate::Arch,
    },
    /// `kept` is the one with the lower held-out Hausdorff distance (per R; `None` where a
    /// network is unusable or has no surface).
    Kept {
        kept: crate::Arch,
        hausdorff: Option<f64>,
        other: crate::Arch,
        other_hausdorff: Option<f64>,
    },
}

/// What the command line and Python say on [`Event::Choice`].
pub fn choice_message(choice: Choice) -> String {
    let name = |a: crate::Arch| format!("{}×{} {}", a.layers, a.width, a.activation.name());
    let figure = |h: Option<f64>| h.map_or("not measured".into(), |h| format!("{h:.4} R"));
    match choice {
        Choice::Training { first, rival } => format!(
            "training a {} network in the same budget too; of it and the {} network, the \
             one whose surface lies closer to the mesh at its farthest (held-out Hausdorff \
             distance) is kept",
            name(rival),
            name(first)
        ),
        Choice::Kept {
            kept,
            hausdorff,
            other,
            other_hausdorff,
        } => format!(
            "kept the {} network: held-out Hausdorff distance {} against {} for {}",
            name(kept),
            figure(hausdorff),
            figure(other_hausdorff),
            name(other)
        ),
    }
}

/// How an unusable network is trained again, once each.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Retry {
    /// It trained to no surface: again at this learning rate ([`retry_learning_rate`]).
    LearningRate(f32),
    /// Its sine units were nsdf's choice ([`BUDGET_ACTIVATION`]) and it would be refused: again
    /// with ReLU units, the choice before them.
    Relu,
}

/// What the command line and Python say on [`Event::Retrain`].
pub fn retrain_message(retry: Retry) -> String {
    match retry {
        Retry::LearningRate(rate) => format!(
            "the network trained to no surface; training again at half the learning rate \
             ({rate})"
        ),
        Retry::Relu => {
            "the sine network is not a usable distance field; training again with ReLU units".into()
        }
    }
}

/// The progress callback of [`pack_file`] and [`batch::run`].
pub type Events<'a> = dyn FnMut(Event<'_>) -> ControlFlow<()> + Send + 'a;

/// Why a mesh was not packed. Every variant names the file it is about.
#[derive(Debug)]
pub enum PackError {
    /// The progress callback asked to stop; nothing was written.
    Cancelled,
    /// The mesh could not be read or used.
    Mesh { input: PathBuf, source: MeshError },
    /// The trainer failed (bad configuration, threads).
    Train {
        input: PathBuf,
        source: train::FitError,
    },
    /// The model could not be encoded, or the output not written.
    Output { path: PathBuf, source: nsdf::Error },
    /// The trained network's sign disagrees with the mesh's at too many near-surface points
    /// (an inside-out or chance result); nothing was written.
    Inaccurate {
        input: PathBuf,
        accuracy: Box<Accuracy>,
    },
    /// The file would be larger than `--budget` (metadata longer than the allowance kept for it).
    OverBudget {
        input: PathBuf,
        bytes: usize,
        budget: usize,
    },
    /// The thread pool could not be started.
    Threads(String),
}

/// Below this share of near-surface probe points on the right side, a packed network is
/// refused rather than written: chance is 0.5, an inside-out result near 0, and default packs
/// of the 11 shared meshes measure 0.909 (boot) to 0.996 (cube).
pub const MIN_SIGN_AGREEMENT: f64 = 0.75;

/// Below this F1 score of the inside near the surface, a packed network is refused too: a thin
/// shape (the sword) has most near-surface points outside, so a network with no surface at all
/// (a constant) still agrees in sign at 77%, but its F1 is 0.
pub const MIN_F1_NEAR: f64 = 0.25;
/// The farthest a network's surface may lie from the mesh, canonical units (a tenth of the
/// radius). Default packs of the shared meshes measure 0.003 (cube) to 0.039 (armadillo, its
/// worst facets); a stray surface in empty space measures more (bunny_hr with 2^11 hash-grid
/// entries a level: 0.265).
pub const MAX_STRAY_SURFACE: f64 = 0.1;

/// What `pack` accepts for hidden layers, units per layer and epochs: one set of limits for the
/// command line and the Python package.
pub const MAX_LAYERS: usize = 64;
pub const MAX_WIDTH: usize = 1024;
pub const MAX_EPOCHS: usize = 100_000;
/// Epochs of a `--budget` network when none are given: a budget asks for the most accurate
/// file of its size, and training longer is the largest lever measured. bunny_hr, int8 6×32
/// ReLU at 8,160 bytes with resampling, Chamfer L1 / Hausdorff per R: 60 epochs 0.00120 /
/// 0.0141, 150 epochs 0.00097 / 0.0096. Sine units at 8 kB (6×34), 150 → 300 epochs, zero-set
/// figures: Chamfer 2–13% lower on five organic meshes (spot +5%), Hausdorff 6–23% lower on
/// all six (bunny_hr 0.00067 / 0.0068 → 0.00058 / 0.0052, skull 0.00057 / 0.0225 → 0.00053 /
/// 0.0182); twice the packing time (2–3 minutes on 2 cores). But see [`WIDE_SINE_EPOCHS`].
pub const BUDGET_EPOCHS: usize = 300;

/// Epochs of a `--budget` network of sine units wider than [`WIDE_SINE_WIDTH`]: at 300 epochs
/// the 16 kB 6×52 networks got worse (spot, Chamfer L1 0.00012 → 0.00039 R) or collapsed
/// (bunny_hr, which fell back to ReLU units), where 150 trained well.
pub const WIDE_SINE_EPOCHS: usize = 150;
/// The widest sine network that trains [`BUDGET_EPOCHS`] (34 was measured to gain, 52 to lose).
pub const WIDE_SINE_WIDTH: usize = 40;

/// Epochs of a `--budget` network of architecture `arch` ([`BUDGET_EPOCHS`] or
/// [`WIDE_SINE_EPOCHS`]).
pub fn budget_epochs(arch: &crate::Arch) -> usize {
    if matches!(arch.activation, Activation::Sine(_)) && arch.width > WIDE_SINE_WIDTH {
        WIDE_SINE_EPOCHS
    } else {
        BUDGET_EPOCHS
    }
}

/// The budget of a pack that leaves the architecture to nsdf (no layers, width, input encoding
/// or budget given), trained for the recipe's own epochs so a default pack keeps its time.
/// 8 KiB is the fidelity issue's first mark, where `--budget` packs beat Draco-11's Chamfer
/// distance on all six organic meshes, and there the ladder's 6×35 is as accurate as Davies'
/// 8×32 in 13% fewer bytes (60 epochs, Chamfer L1 / R at 8,160 against 9,376 bytes: armadillo
/// 0.00145 / 0.00147, bunny_hr 0.00102 / 0.00098, skull 0.00087 / 0.00085, spot 0.00049 /
/// 0.00053).
pub const DEFAULT_BUDGET: usize = 8 * 1024;

/// Hidden units of a network that a budget chooses for a mesh (Davies' recipe, no input
/// encoding) when none are asked for: sine units (ω0 30, [`FitConfig::with_activation`]).
/// At 8 kB (150 epochs, `benches/rd_sweep.sh`, Chamfer L1 / Hausdorff per R, ReLU → sine):
/// armadillo 0.00123 / 0.0417 → 0.00091 / 0.0084, boot 0.00157 / 0.0287 → 0.00125 / 0.0235,
/// bunny_hr 0.00096 / 0.0076 → 0.00068 / 0.0066, scorpion 0.00116 / 0.0150 → 0.00092 /
/// 0.0138, skull 0.00074 / 0.0168 → 0.00059 / 0.0213, spot 0.00039 / 0.0062 → 0.00028 /
/// 0.0068; normals 1.3–1.9× closer. At 16 kB Chamfer falls 22–32% on the same six (armadillo
/// 0.00074 → 0.00054, spot 0.00031 → 0.00024), but rises on three CAD meshes (fandisk 0.00021
/// → 0.00049, 0.00025 with seed 1; torus 0.00025 → 0.00055; wingnut 0.00023 → 0.00028): wide
/// sine networks vary more between runs there. The cost: the field in the bounding cube is
/// about twice as far off (mean |f − d| 0.0049–0.0084 → 0.0104–0.0158 R), batch evaluation is
/// 0.68× as fast (bunny_hr, one AVX-512 thread), meshing 1.7× slower (block bounds are looser:
/// `nsdf mesh -r 256`, 0.50–0.54 s against 0.88–0.89 s).
pub const BUDGET_ACTIVATION: Activation = Activation::Sine(30.0);

/// Epochs of the default pack's sine network: sine units train at about 0.76× ReLU's rate, and
/// 45 epochs keep the default pack's time (bunny_hr, 2 busy cores: ReLU 60 epochs 34.2 s, sine
/// 60 epochs 44.7 s; idle, alternating: sine 45 epochs 17.7 and 16.9 s, ReLU 60 19.3 and
/// 19.3 s), still ahead of ReLU's 60 (Chamfer L1 / R, 8,160 bytes: bunny_hr 0.00102 → 0.00084
/// at 7,776 bytes, spot 0.00049 → 0.00029; 60 sine epochs 0.00076, 0.00023).
pub const DEFAULT_SINE_EPOCHS: usize = 45;

impl Options {
    /// These options with [`DEFAULT_BUDGET`] where no budget is set and `architecture_given`
    /// is false, keeping `fit`'s epochs (not [`BUDGET_EPOCHS`]; [`DEFAULT_SINE_EPOCHS`] for
    /// sine units) unless epochs were asked for.
    pub fn with_default_budget(mut self, architecture_given: bool) -> Options {
        if self.budget.is_none() && !architecture_given {
            self.budget = Some(DEFAULT_BUDGET);
            self.default_budget = true;
        }
        self
    }
}

impl std::fmt::Display for PackError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PackError::Cancelled => f.write_str("cancelled"),
            PackError::Mesh { input, source } => match source {
                // These name the path already.
                MeshError::Io { .. } | MeshError::UnknownFormat { .. } => write!(f, "{source}"),
                _ => write!(f, "{}: {source}", input.display()),
            },
            PackError::Train { input, source } => write!(f, "{}: {source}", input.display()),
            PackError::Output { path, source } => write!(f, "{}: {source}", path.display()),
            PackError::Inaccurate { input, accuracy } => write!(
                f,
                "{}: the trained network is not a usable distance field, so nothing was \
                 written: its sign agrees with the mesh's at {:.1}% of near-surface points \
                 (chance is 50%; a file needs at least {:.0}%), its F1 score of the inside near \
                 the surface is {:.3} (a file needs {MIN_F1_NEAR}; a network with no surface \
                 scores 0), surface error {:.4}, and its surface reaches {} from the mesh (a \
                 file needs at most {MAX_STRAY_SURFACE}; more is surface where there is none), in \
                 canonical units. Look at the mesh warnings above, change the training options \
                 (--activation, --epochs, --layers, --width, --encoding), or pass \
                 --keep-inaccurate to write it anyway",
                input.display(),
                100.0 * accuracy.sign_near,
                100.0 * MIN_SIGN_AGREEMENT,
                accuracy.f1_near,
                accuracy.surface_mean,
                accuracy
                    .surface_far
                    .map_or("an unmeasured distance".into(), |f| format!("{f:.3}"))
            ),
            PackError::OverBudget {
                input,
                bytes,
                budget,
            } => write!(
                f,
                "{}: a budget of {budget} bytes is too small: the smallest network's file \
                 (with this mesh's metadata) would have {bytes} bytes; nothing was written",
                input.display()
            ),
            PackError::Threads(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for PackError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            PackError::Mesh { source, .. } => Some(source),
            PackError::Train { source, .. } => Some(source),
            PackError::Output { source, .. } => Some(source),
            PackError::Cancelled
            | PackError::Threads(_)
            | PackError::Inaccurate { .. }
            | PackError::OverBudget { .. } => None,
        }
    }
}

/// Runs `f` on a rayon pool of `threads` threads (0: all cores), so every parallel step of
/// packing (distances, sampling, training, verification) uses the same, chosen count.
pub fn with_threads<T: Send>(threads: usize, f: impl FnOnce() -> T + Send) -> Result<T, PackError> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| PackError::Threads(format!("cannot start {threads} threads: {e}")))?;
    Ok(pool.install(f))
}

/// Packs the mesh at `input` into `output` (written atomically). Call inside [`with_threads`].
pub fn pack_file(
    input: &Path,
    output: &Path,
    opts: &Options,
    events: &mut Events<'_>,
) -> Result<Packed, PackError> {
    let output_error = |source| PackError::Output {
        path: output.to_path_buf(),
        source,
    };
    let _ = events(Event::Phase("load"));
    let started = Instant::now();
    let (loaded, source) = load_input_file(input)?;
    let load_time = started.elapsed();
    let (bytes, mut packed) = match loaded {
        nsdf_mesh::Input::Mesh(mesh) => pack_mesh(mesh, input, &source, opts, events)?,
        nsdf_mesh::Input::Points(cloud) => pack_points(&cloud, input, &source, opts, events)?,
    };
    packed.timings.load += load_time;
    if events(Event::Phase("write")).is_break() {
        return Err(PackError::Cancelled);
    }
    let started = Instant::now();
    nsdf::write_atomic(output, &bytes).map_err(output_error)?;
    packed.timings.verify += started.elapsed();
    packed.output = output.to_path_buf();
    Ok(packed)
}

/// Reads and checks the mesh or point cloud at `input`; returns it with the file's bytes (for
/// its hash).
pub fn load_input_file(input: &Path) -> Result<(nsdf_mesh::Input, Vec<u8>), PackError> {
    let mesh_error = |source| PackError::Mesh {
        input: input.to_path_buf(),
        source,
    };
    let format = nsdf_mesh::Format::from_path(input).ok_or_else(|| {
        mesh_error(MeshError::UnknownFormat {
            path: input.to_path_buf(),
        })
    })?;
    if format == nsdf_mesh::Format::Gltf {
        let (mesh, source) = load_file(input)?;
        return Ok((nsdf_mesh::Input::Mesh(mesh), source));
    }
    let source = std::fs::read(input).map_err(|source| {
        mesh_error(MeshError::Io {
            path: input.to_path_buf(),
            source,
        })
    })?;
    let loaded = nsdf_mesh::load_input_bytes(&source, format).map_err(mesh_error)?;
    Ok((loaded, source))
}

/// Reads and checks the mesh at `input`; returns it with the file's bytes (for its hash).
pub fn load_file(input: &Path) -> Result<(nsdf_mesh::Loaded, Vec<u8>), PackError> {
    let mesh_error = |source| PackError::Mesh {
        input: input.to_path_buf(),
        source,
    };
    let source = std::fs::read(input).map_err(|source| {
        mesh_error(MeshError::Io {
            path: input.to_path_buf(),
            source,
        })
    })?;
    let format = nsdf_mesh::Format::from_path(input).ok_or_else(|| {
        mesh_error(MeshError::UnknownFormat {
            path: input.to_path_buf(),
        })
    })?;
    let loaded = if format == nsdf_mesh::Format::Gltf {
        // glTF may refer to buffer files next to it, which only the path-based loader finds.
        nsdf_mesh::load(input)
    } else {
        nsdf_mesh::load_bytes(&source, format)
    }
    .map_err(mesh_error)?;
    Ok((loaded, source))
}

/// Packs a mesh already in memory (a file's, or one built with [`nsdf_mesh::Mesh::from_soup`])
/// into `.nsdf` bytes: train, quantize, verify, refuse an inaccurate result. `input` names the
/// mesh in errors and in the file's metadata, `source` is what its SHA-256 is taken of. The
/// returned [`Packed`] has an empty `output` (nothing is written here). Call inside
/// [`with_threads`].
pub fn pack_mesh(
    loaded: nsdf_mesh::Loaded,
    input: &Path,
    source: &[u8],
    opts_in: &Options,
    events: &mut Events<'_>,
) -> Result<(Vec<u8>, Packed), PackError> {
    let mut timings = Timings::default();
    let started = Instant::now();
    // Said now, not after a minute of training on a mesh the user may want to fix first.
    let mut stop = ControlFlow::Continue(());
    for warning in &loaded.warnings {
        if events(Event::Warning { input, warning }).is_break() {
            stop = ControlFlow::Break(());
        }
    }
    let warnings = loaded.warnings;
    let triangles = loaded.mesh.triangles.len();
    let opts = &Options {
        fit: budgeted(opts_in, input, source, triangles)?,
        ..opts_in.clone()
    };
    let rival = choose::rival(opts_in, &opts.fit, input, source, triangles)?;
    // The held-out samples that choose between the two, drawn while the mesh is at hand.
    let reference = rival
        .as_ref()
        .map(|_| choose::reference(loaded.mesh.clone(), opts.fit.train.seed));
    let (lo, hi) = loaded.mesh.bounds();
    let target = MeshTarget::new(loaded.mesh);
    timings.load = started.elapsed();
    if stop.is_break() {
        return Err(PackError::Cancelled);
    }

    let unsigned = UnsignedMesh(&target);
    let job = Job {
        training: match opts.fit.recipe {
            Recipe::Sal | Recipe::Sald => &unsigned,
            Recipe::Davies | Recipe::Curriculum | Recipe::Siren => &target,
        },
        target: &target,
        frame: Frame {
            scale: target.scale,
            offset: target.offset,
        },
        bounds: [lo, hi],
        src: Source {
            path: input,
            bytes: source,
            triangles,
        },
    };
    // Sine units nsdf chose fall back to ReLU units where they give an unusable network.
    let chosen_sine = opts_in.activation.is_none() && opts.fit.arch.activation == BUDGET_ACTIVATION;
    let relu = (chosen_sine && !opts.keep_inaccurate).then(|| relu_units(opts_in));
    let first = train_verified(&job, opts.clone(), relu, true, events, &mut timings)?;
    let kept = match (rival, reference) {
        (Some(fit), Some(reference)) => {
            let training = Choice::Training {
                first: first.opts.fit.arch,
                rival: fit.arch,
            };
            if events(Event::Choice {
                input,
                choice: training,
            })
            .is_break()
            {
                return Err(PackError::Cancelled);
            }
            let opts = Options {
                fit,
                ..opts.clone()
            };
            // Trained once: an unusable rival is not kept, so it needs no retry (nor the room
            // in its metadata for the learning rate one would record).
            let second = train_verified(&job, opts, None, false, events, &mut timings)?;
            let started = Instant::now();
            let measure = |t: &Trained| {
                (!unusable(&t.accuracy))
                    .then(|| choose::hausdorff(&t.shape, &reference))
                    .flatten()
            };
            let (h1, h2) = (measure(&first), measure(&second));
            timings.verify += started.elapsed();
            let (kept, other) = if choose::rival_is_better(h1, h2) {
                ((second, h2), (first, h1))
            } else {
                ((first, h1), (second, h2))
            };
            let choice = Choice::Kept {
                kept: kept.0.opts.fit.arch,
                hausdorff: kept.1,
                other: other.0.opts.fit.arch,
                other_hausdorff: other.1,
            };
            if events(Event::Choice { input, choice }).is_break() {
                return Err(PackError::Cancelled);
            }
            kept.0
        }
        _ => first,
    };
    let Trained {
        mut model,
        accuracy,
        gradient_bound,
        opts,
        ..
    } = kept;
    if !opts.keep_inaccurate && unusable(&accuracy) {
        return Err(PackError::Inaccurate {
            input: input.to_path_buf(),
            accuracy: Box::new(accuracy),
        });
    }
    let started = Instant::now();
    let samples = u32::try_from(opts.probe).unwrap_or(u32::MAX);
    let stats = accuracy.to_stats(target.world_radius as f32, samples, gradient_bound);
    let bytes = encode(&mut model, Some(stats), &opts, input)?;
    timings.verify += started.elapsed();

    let packed = Packed {
        output: PathBuf::new(),
        bytes: bytes.len(),
        triangles,
        points: 0,
        timings,
        accuracy,
        warnings,
    };
    Ok((bytes, packed))
}

/// What every training of one mesh shares.
struct Job<'a> {
    /// What the network learns (the mesh, or its unsigned distance for the sign-agnostic
    /// recipes).
    training: &'a dyn Target,
    /// The mesh it is verified against.
    target: &'a MeshTarget,
    frame: Frame,
    bounds: [[f32; 3]; 2],
    src: Source<'a>,
}

/// A trained, placed and verified network, not yet encoded with its statistics.
struct Trained {
    model: nsdf::Model,
    shape: Shape,
    accuracy: Accuracy,
    gradient_bound: f32,
    /// What it was trained with (after any retry).
    opts: Options,
}

/// Trains `opts`' network and verifies it; an unusable one is trained again once each way:
/// with `relu`'s ReLU units where given (sine units nsdf chose), else, with `retry`, at half
/// the learning rate ([`retry_learning_rate`]). The result may still be unusable: the caller
/// decides.
fn train_verified(
    job: &Job<'_>,
    mut opts: Options,
    mut relu: Option<Options>,
    retry: bool,
    events: &mut Events<'_>,
    timings: &mut Timings,
) -> Result<Trained, PackError> {
    let src = &job.src;
    let mut retried = !retry;
    loop {
        let (model, shape, started) = train_and_place(
            job.training,
            &job.frame,
            job.bounds,
            src,
            &opts,
            events,
            timings,
        )?;
        let (accuracy, gradient_bound) = verify(&shape, job.target, &opts);
        timings.verify += started.elapsed();
        let retry = match (
            relu.take_if(|_| unusable(&accuracy)),
            retry_learning_rate(&accuracy, &opts),
        ) {
            (Some(relu), _) => {
                opts = Options {
                    fit: budgeted(&relu, src.path, src.bytes, src.triangles)?,
                    ..relu
                };
                Retry::Relu
            }
            (None, Some(learning_rate)) if !retried => {
                retried = true;
                opts.fit.train.learning_rate = learning_rate;
                Retry::LearningRate(learning_rate)
            }
            _ => {
                return Ok(Trained {
                    model,
                    shape,
                    accuracy,
                    gradient_bound,
                    opts,
                })
            }
        };
        let input = src.path;
        if events(Event::Retrain { input, retry }).is_break() {
            return Err(PackError::Cancelled);
        }
    }
}

/// The learning rate to train again at when a network trained to no surface (F1 of the inside
/// near the surface under [`MIN_F1_NEAR`]: a constant, all outside or all inside), `None`
/// otherwise: half the rate, once ([`pack_mesh`]), for Davies' recipe, without a time budget or
/// `keep_inaccurate` (see `may_retry`). Wide networks at the default rate can collapse so:
/// sword.obj at `--budget 16k` (6×52, 5e-3, 150 epochs) trained to F1 0; at 2.5e-3 to Chamfer
/// L1 0.0032 R, band error 0.0002 R (the 8×44 of an earlier ladder, which did not collapse:
/// 0.0041 R and 0.0010 R).
pub fn retry_learning_rate(accuracy: &Accuracy, opts: &Options) -> Option<f32> {
    let no_surface = accuracy.f1_near.is_nan() || accuracy.f1_near < MIN_F1_NEAR;
    (no_surface && may_retry(opts)).then_some(0.5 * opts.fit.train.learning_rate)
}

/// Whether a network would be refused (without `keep_inaccurate`): its sign near the surface
/// no better than [`MIN_SIGN_AGREEMENT`], no surface ([`MIN_F1_NEAR`]) or surface in empty space
/// ([`MAX_STRAY_SURFACE`]).
fn unusable(a: &Accuracy) -> bool {
    a.sign_near.is_nan()
        || a.sign_near < MIN_SIGN_AGREEMENT
        || a.f1_near.is_nan()
        || a.f1_near < MIN_F1_NEAR
        || a.surface_far.is_some_and(|f| f > MAX_STRAY_SURFACE)
}

/// `opts` asking for ReLU units (the fallback from [`BUDGET_ACTIVATION`]).
fn relu_units(opts: &Options) -> Options {
    Options {
        fit: opts.fit.clone().with_activation(Activation::Relu),
        activation: Some(Activation::Relu),
        ..opts.clone()
    }
}

/// Whether a network with no surface is trained again: Davies' recipe only (the others' rates
/// and losses were tuned apart), not under a time budget (a second run would overrun it), not
/// with `keep_inaccurate` (the file is wanted as trained).
fn may_retry(opts: &Options) -> bool {
    opts.fit.recipe == Recipe::Davies
        && opts.fit.train.time_budget.is_none()
        && !opts.keep_inaccurate
}

/// Packs a point cloud (raw data: no faces, no inside) into `.nsdf` bytes with the
/// sign-agnostic recipe ([`Recipe::Sal`], chosen here when `opts` asks for Davies' default,
/// which needs a mesh). The statistics compare the network with the cloud itself: surface
/// error at its points, and the sign against the cloud's flood-filled occupancy
/// ([`CloudTarget::occupancy`]) where that decides it. A network whose outside is not positive
/// there is refused as inside out. Call inside [`with_threads`].
pub fn pack_points(
    cloud: &nsdf_mesh::PointCloud,
    input: &Path,
    source: &[u8],
    opts: &Options,
    events: &mut Events<'_>,
) -> Result<(Vec<u8>, Packed), PackError> {
    let mut timings = Timings::default();
    let started = Instant::now();
    let fit = match opts.fit.recipe {
        Recipe::Davies => opts.fit.clone().with_recipe(Recipe::Sal),
        _ => opts.fit.clone(),
    };
    let opts = &Options {
        fit,
        ..opts.clone()
    };
    let opts = &Options {
        fit: budgeted(opts, input, source, 0)?,
        ..opts.clone()
    };
    let target = CloudTarget::new(cloud);
    let (lo, hi) = cloud.bounds();
    timings.load = started.elapsed();
    let frame = Frame {
        scale: target.scale,
        offset: target.offset,
    };
    let src = Source {
        path: input,
        bytes: source,
        triangles: 0,
    };
    let (mut model, shape, started) =
        train_and_place(&target, &frame, [lo, hi], &src, opts, events, &mut timings)?;
    let seed = opts.fit.train.seed ^ 0xACC0_5EED_0000_0001;
    let accuracy = target.accuracy(opts.probe, seed, |pts, out| frame.eval(&shape, pts, out));
    // The bound is measured where a mesh's is (surface, near it, the whole cube).
    let mut probe = target.surface_points(2 * opts.probe, seed ^ 0x5EED_0005);
    jitter(
        &mut probe[opts.probe..],
        NEAR_SIGMA * SHAPE_RADIUS,
        seed ^ 0x5EED_0006,
    );
    probe.extend(uniform_points(opts.probe, seed ^ 0x5EED_0007));
    let gradient_bound = gradient_bound(&shape, &frame, &probe);
    if !opts.keep_inaccurate
        && (accuracy.sign_uniform.is_nan() || accuracy.sign_uniform < MIN_SIGN_AGREEMENT)
    {
        return Err(PackError::Inaccurate {
            input: input.to_path_buf(),
            accuracy: Box::new(accuracy),
        });
    }
    let samples = u32::try_from(opts.probe).unwrap_or(u32::MAX);
    // The statistics chunk needs both sign figures: a cloud whose occupancy decides no point
    // near its surface (the fill's margin is wider than the probe's offsets, and an open cloud
    // decides only beyond its ball) gets its figures in the summary only, not in the file.
    let stats = (accuracy.sign_near.is_finite() && accuracy.sign_uniform.is_finite())
        .then(|| accuracy.to_stats(target.world_radius as f32, samples, gradient_bound));
    let bytes = encode(&mut model, stats, opts, input)?;
    timings.verify = started.elapsed();
    let packed = Packed {
        output: PathBuf::new(),
        bytes: bytes.len(),
        triangles: 0,
        points: cloud.positions.len(),
        timings,
        accuracy,
        warnings: Vec::new(),
    };
    Ok((bytes, packed))
}

/// What a file is packed from, for its metadata: the path, the bytes hashed, the triangles.
struct Source<'a> {
    path: &'a Path,
    bytes: &'a [u8],
    triangles: usize,
}

/// Trains on `training` and returns the model placed in the world (`frame`, `bounds`) with its
/// metadata, a [`Shape`] of its bytes to verify, and when verification started.
fn train_and_place(
    training: &dyn Target,
    frame: &Frame,
    bounds: [[f32; 3]; 2],
    src: &Source<'_>,
    opts: &Options,
    events: &mut Events<'_>,
    timings: &mut Timings,
) -> Result<(nsdf::Model, Shape, Instant), PackError> {
    let fit = train_model(training, opts, events, timings).map_err(|e| match e {
        train::FitError::Cancelled => PackError::Cancelled,
        source => PackError::Train {
            input: src.path.to_path_buf(),
            source,
        },
    })?;
    if events(Event::Phase("verify")).is_break() {
        return Err(PackError::Cancelled);
    }
    let started = Instant::now();
    let mut model = fit.model;
    model.transform = Transform {
        // p_net = scale · p_world + offset; distances come back divided by the scale.
        scale: frame.scale as f32,
        translation: frame.offset.map(|x| x as f32),
        distance_scale: (1.0 / frame.scale) as f32,
        bounds,
    };
    meta::describe(
        &mut model,
        src.path,
        src.bytes,
        src.triangles,
        opts,
        &fit.report,
    );
    let output_error = |source| PackError::Output {
        path: src.path.to_path_buf(),
        source,
    };
    let unverified = nsdf::to_bytes(&model).map_err(output_error)?;
    let shape = Shape::from_bytes(&unverified)
        .map_err(output_error)?
        .with_threads(rayon::current_num_threads());
    Ok((model, shape, started))
}

/// The file's bytes with `stats`, refused when over `--budget` (`architecture` measured the
/// metadata exactly, so only a bug gets there).
fn encode(
    model: &mut nsdf::Model,
    stats: Option<nsdf::Stats>,
    opts: &Options,
    input: &Path,
) -> Result<Vec<u8>, PackError> {
    model.stats = stats;
    let bytes = nsdf::to_bytes(model).map_err(|source| PackError::Output {
        path: input.to_path_buf(),
        source,
    })?;
    if let Some(budget) = opts.budget.filter(|&b| bytes.len() > b) {
        return Err(PackError::OverBudget {
            input: input.to_path_buf(),
            bytes: bytes.len(),
            budget,
        });
    }
    Ok(bytes)
}

/// The similarity between the world and the training frame: `p_train = scale · p_world + offset`.
struct Frame {
    scale: f64,
    offset: [f64; 3],
}

impl Frame {
    fn to_world(&self, p: &[f32; 3]) -> [f32; 3] {
        [0, 1, 2].map(|i| ((p[i] as f64 - self.offset[i]) / self.scale) as f32)
    }

    /// The shape's distances at training-frame points, in training-frame units.
    fn eval(&self, shape: &Shape, points: &[[f32; 3]], out: &mut [f32]) {
        let world: Vec<[f32; 3]> = points.iter().map(|p| self.to_world(p)).collect();
        shape.distances(&world, out);
        for d in out.iter_mut() {
            *d = (*d as f64 * self.scale) as f32;
        }
    }
}

/// A gradient bound in world units: the largest |∇f| seen at `points` (training frame), times
/// 1.25 for the space between them, and never below 1 (a distance field's gradient has norm 1
/// almost everywhere).
fn gradient_bound(shape: &Shape, frame: &Frame, points: &[[f32; 3]]) -> f32 {
    let world: Vec<[f32; 3]> = points.iter().map(|p| frame.to_world(p)).collect();
    let mut dist = vec![0.0; world.len()];
    let mut grad = vec![[0.0; 3]; world.len()];
    shape.gradients(&world, &mut dist, &mut grad);
    let max = grad
        .iter()
        .map(|g| (g[0] * g[0] + g[1] * g[1] + g[2] * g[2]).sqrt())
        .filter(|g| g.is_finite())
        .fold(0.0f32, f32::max);
    (max * 1.25).max(1.0)
}

/// What to train: `opts.fit`, or under `--budget` that with the largest architecture of the
/// ladder ([`crate::Arch::for_budget`]) whose file, with the metadata and statistics this
/// mesh's file will carry (measured on a stand-in model of each candidate), fits. Hash grids
/// join the ladder for the Davies recipe with ReLU units and no other encoding.
fn budgeted(
    opts: &Options,
    input: &Path,
    source: &[u8],
    triangles: usize,
) -> Result<FitConfig, PackError> {
    let Some(budget) = opts.budget else {
        return Ok(opts.fit.clone());
    };
    let chosen = budget_rung(opts, budget, input, source, triangles)?;
    let units_free = opts.activation.is_none()
        && opts.fit.recipe == Recipe::Davies
        && opts.fit.arch.encoding == nsdf::Encoding::None;
    if !units_free || chosen.arch.grid.is_some() {
        return Ok(chosen);
    }
    // A network: again with sine units, whose longer metadata may take a unit of width.
    let mut sine = Options {
        fit: opts.fit.clone().with_activation(BUDGET_ACTIVATION),
        activation: Some(BUDGET_ACTIVATION),
        ..opts.clone()
    };
    if opts.default_budget {
        sine.fit.train.epochs = DEFAULT_SINE_EPOCHS;
    }
    budget_rung(&sine, budget, input, source, triangles).or(Ok(chosen))
}

/// The fit of the largest rung of `opts`'s ladder whose file fits in `budget`.
fn budget_rung(
    opts: &Options,
    budget: usize,
    input: &Path,
    source: &[u8],
    triangles: usize,
) -> Result<FitConfig, PackError> {
    let arch = opts.fit.arch;
    let grids = opts.fit.recipe == Recipe::Davies
        && arch.activation == nsdf::Activation::Relu
        && arch.encoding == nsdf::Encoding::None
        && arch.grid.is_none();
    let mut failed = None;
    let mut bytes = |a: &crate::Arch| match rung_bytes(opts, *a, input, source, triangles) {
        Ok(n) => n,
        Err(e) => {
            failed.get_or_insert(e);
            usize::MAX
        }
    };
    let chosen = arch.for_budget(budget, grids, &mut bytes);
    // Only for the error: how small the smallest file would be.
    let smallest = match chosen {
        Some(_) => 0,
        None => arch.ladder(grids).next().map_or(0, |a| bytes(&a)),
    };
    if let Some(source) = failed {
        return Err(PackError::Output {
            path: input.to_path_buf(),
            source,
        });
    }
    chosen
        .map(|a| rung(opts, a))
        .ok_or_else(|| PackError::OverBudget {
            input: input.to_path_buf(),
            bytes: smallest,
            budget,
        })
}

/// Bytes of the file of `arch` trained as [`rung`] sets it, with room in the metadata for the
/// learning rate a retry would record.
fn rung_bytes(
    opts: &Options,
    arch: crate::Arch,
    input: &Path,
    source: &[u8],
    triangles: usize,
) -> Result<usize, nsdf::Error> {
    let mut stand_in = Options {
        fit: rung(opts, arch),
        ..opts.clone()
    };
    if may_retry(&stand_in) {
        stand_in.fit.train.learning_rate *= 0.5;
    }
    file_bytes(&stand_in, input, source, triangles)
}

/// `opts.fit` with `arch`, a rung of the budget ladder: a hash grid trains as
/// [`FitConfig::with_grid`] sets it, a network for [`budget_epochs`], unless `opts.epochs`
/// says otherwise.
fn rung(opts: &Options, arch: crate::Arch) -> FitConfig {
    let mut fit = match arch.grid {
        Some(g) => opts.fit.clone().with_grid(g),
        None => {
            let mut fit = opts.fit.clone();
            fit.arch = arch;
            if !opts.default_budget {
                fit.train.epochs = budget_epochs(&arch);
            }
            fit
        }
    };
    if let Some(e) = opts.epochs {
        fit.train.epochs = e;
    }
    fit
}

/// Bytes of the file `opts` would write for this mesh: a zero model of its architecture with
/// the metadata and statistics `pack` adds.
fn file_bytes(
    opts: &Options,
    input: &Path,
    source: &[u8],
    triangles: usize,
) -> Result<usize, nsdf::Error> {
    let mut model = opts.fit.arch.model_stored_as(opts.fit.train.scheme);
    let report = train::Report {
        steps: 0,
        epochs: opts.fit.train.epochs as f32,
        final_loss: 0.0,
        elapsed: Duration::ZERO,
        samples_per_second: 0.0,
        stopped_by_budget: false,
    };
    meta::describe(&mut model, input, source, triangles, opts, &report);
    model.stats = Some(Accuracy::default().to_stats(1.0, 0, 1.0));
    Ok(nsdf::to_bytes(&model)?.len())
}

/// Samples and trains, recording when the quantization-aware phase starts.
fn train_model(
    target: &dyn Target,
    opts: &Options,
    events: &mut Events<'_>,
    timings: &mut Timings,
) -> Result<train::Fit, train::FitError> {
    let mut quantize_from: Option<Duration> = None;
    let mut callback = |p: &train::Progress| {
        if p.phase == Phase::Quantize && quantize_from.is_none() {
            quantize_from = Some(p.elapsed);
        }
        events(Event::Training(p))
    };
    let config = FitConfig {
        threads: opts.threads,
        ..opts.fit.clone()
    };
    let fit = train::fit(target, &config, &mut callback)?;
    let total = fit.report.elapsed;
    let quantize_from = quantize_from.unwrap_or(total).min(total);
    // Added: a mesh may train more than once (a retry, a rival network).
    timings.sampling += fit.sampling_time;
    timings.train += quantize_from;
    timings.quantize += total - quantize_from;
    Ok(fit)
}

/// Accuracy of the stored model on held-out points (canonical units), and a gradient bound in
/// world units: the largest |∇f| seen at those points, times 1.25 for the space between them.
fn verify(shape: &Shape, target: &MeshTarget, opts: &Options) -> (Accuracy, f32) {
    // Held out: a seed the training samples never use.
    let seed = opts.fit.train.seed ^ 0xACC0_5EED_0000_0001;
    let probe = Probe::new(target, opts.probe, seed);
    let frame = Frame {
        scale: target.scale,
        offset: target.offset,
    };
    // The probe works in the training frame: points in, training-frame distances out.
    let accuracy = Accuracy {
        surface_far: stray::farthest_surface(shape, target, &frame),
        ..probe.measure(|pts, out| frame.eval(shape, pts, out))
    };
    let points: Vec<[f32; 3]> = probe
        .surface
        .iter()
        .chain(&probe.near.points)
        .chain(&probe.uniform.points)
        .copied()
        .collect();
    (accuracy, gradient_bound(shape, &frame, &points))
}

/// The file name for a mesh's output: its stem with the `.nsdf` extension.
pub fn output_name(input: &Path) -> PathBuf {
    let mut name = input
        .file_stem()
        .unwrap_or(input.as_os_str())
        .to_os_string();
    name.push(".nsdf");
    PathBuf::from(name)
}

/// One summary line: output, size, time per phase, accuracy.
pub fn summary_line(p: &Packed) -> String {
    let t = &p.timings;
    let a = &p.accuracy;
    let (source, against) = if p.points > 0 {
        (
            format!("{} points", p.points),
            " against the cloud: its points, and its flood-filled occupancy where decided",
        )
    } else {
        (format!("{} triangles", p.triangles), "")
    };
    // Where the network's surface reaches farthest from the mesh (not measured for clouds).
    let farthest = a
        .surface_far
        .map_or(String::new(), |f| format!(" (farthest {f:.4})"));
    format!(
        "{}: {} bytes, {source} | {:.2} s: load {:.2}, sampling {:.2}, train {:.2}, quantize {:.2}, verify {:.2} | surface error {:.5}{farthest}, F1 near {:.4}, F1 uniform {:.4} (canonical units{against})",
        p.output.display(),
        p.bytes,
        t.total().as_secs_f64(),
        t.load.as_secs_f64(),
        t.sampling.as_secs_f64(),
        t.train.as_secs_f64(),
        t.quantize.as_secs_f64(),
        t.verify.as_secs_f64(),
        a.surface_mean,
        a.f1_near,
        a.f1_uniform
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(budget: Option<usize>, epochs: Option<usize>) -> Options {
        Options {
            fit: FitConfig::default(),
            probe: 1000,
            threads: 1,
            keep_inaccurate: false,
            budget,
            epochs,
            activation: None,
            default_budget: false,
        }
    }

    #[test]
    fn the_default_budget_applies_only_where_nothing_chose_the_network() {
        // Nothing given: 8 KiB, marked as the default (the default pack's epochs).
        let o = options(None, None).with_default_budget(false);
        assert_eq!((o.budget, o.default_budget), (Some(DEFAULT_BUDGET), true));
        // Epochs asked for stay.
        let o = options(None, Some(7)).with_default_budget(false);
        assert_eq!((o.budget, o.epochs), (Some(DEFAULT_BUDGET), Some(7)));
        // Layers, width or an encoding given: no budget.
        let o = options(None, None).with_default_budget(true);
        assert_eq!((o.budget, o.default_budget), (None, false));
        // A budget given is kept, with its own epochs.
        let o = options(Some(16 << 10), None).with_default_budget(false);
        assert_eq!((o.budget, o.default_budget), (Some(16 << 10), false));
    }

    #[test]
    fn a_budget_chooses_sine_units_unless_units_were_asked_for() {
        let (input, source) = (Path::new("m.obj"), &b"v 0 0 0\n"[..]);
        let fit = |o: &Options| budgeted(o, input, source, 12).unwrap();
        let units = |f: &FitConfig| (f.arch.activation, f.train.epochs, f.train.learning_rate);
        let sine_lr = FitConfig::for_activation(BUDGET_ACTIVATION)
            .train
            .learning_rate;
        let relu_lr = FitConfig::default().train.learning_rate;
        // `--budget 8k`: sine units for a budget's epochs, at their own learning rate.
        let asked = options(Some(8 << 10), None);
        let f = fit(&asked);
        assert_eq!(units(&f), (BUDGET_ACTIVATION, BUDGET_EPOCHS, sine_lr));
        assert!(f.arch.layers == 6 && f.arch.width > 32, "{:?}", f.arch);
        // `--budget 16k`: wider than WIDE_SINE_WIDTH, so the shorter run.
        let f = fit(&options(Some(16 << 10), None));
        assert!(f.arch.width > WIDE_SINE_WIDTH, "{:?}", f.arch);
        assert_eq!(units(&f), (BUDGET_ACTIVATION, WIDE_SINE_EPOCHS, sine_lr));
        // The default pack: sine units for the default pack's time.
        let default = options(None, None).with_default_budget(false);
        assert_eq!(
            units(&fit(&default)),
            (BUDGET_ACTIVATION, DEFAULT_SINE_EPOCHS, sine_lr)
        );
        // Units asked for are kept (ReLU at the recipe's own epochs in the default pack).
        let relu = |o: &Options| Options {
            activation: Some(Activation::Relu),
            ..o.clone()
        };
        assert_eq!(
            units(&fit(&relu(&asked))),
            (Activation::Relu, BUDGET_EPOCHS, relu_lr)
        );
        let epochs = FitConfig::default().train.epochs;
        assert_eq!(
            units(&fit(&relu(&default))),
            (Activation::Relu, epochs, relu_lr)
        );
        // Another recipe (a point cloud's sal) keeps its ReLU units.
        let mut sal = asked.clone();
        sal.fit = sal.fit.with_recipe(Recipe::Sal);
        assert_eq!(fit(&sal).arch.activation, Activation::Relu);
    }

    #[test]
    fn a_budget_at_the_six_layer_rung_trains_a_deeper_rival_of_the_same_bytes() {
        let (input, source) = (Path::new("m.obj"), &b"v 0 0 0\n"[..]);
        let chosen = |o: &Options| budgeted(o, input, source, 12).unwrap();
        let rival = |o: &Options| choose::rival(o, &chosen(o), input, source, 12).unwrap();
        // `--budget 8k`: 6×34, and 9 layers as wide as fit in the same budget, as long.
        let asked = options(Some(8 << 10), None);
        let (first, deep) = (chosen(&asked), rival(&asked).unwrap());
        assert_eq!((first.arch.layers, first.arch.width), (6, 34));
        assert_eq!(
            (deep.arch.layers, deep.arch.width),
            (choose::DEEP_LAYERS, 27)
        );
        assert_eq!(deep.arch.activation, BUDGET_ACTIVATION);
        assert_eq!(deep.train.epochs, first.train.epochs);
        let sine = Options {
            fit: first.clone(),
            ..asked.clone()
        };
        // Without room for a retry's learning rate: the rival trains once.
        let bytes = |width| {
            let fit = rung(&sine, crate::Arch { width, ..deep.arch });
            let o = Options {
                fit,
                ..sine.clone()
            };
            file_bytes(&o, input, source, 12).unwrap()
        };
        assert!(bytes(27) <= 8 << 10 && bytes(28) > 8 << 10);
        // Epochs asked for apply to both.
        assert_eq!(
            rival(&options(Some(8 << 10), Some(7)))
                .unwrap()
                .train
                .epochs,
            7
        );
        // No rival: at 16 kB (6×52, wider than measured), in the default pack (its time), for
        // units asked for, under a time budget.
        assert!(rival(&options(Some(16 << 10), None)).is_none());
        assert!(rival(&options(None, None).with_default_budget(false)).is_none());
        let relu = Options {
            activation: Some(Activation::Relu),
            ..asked.clone()
        };
        assert!(rival(&relu).is_none());
        let mut timed = asked.clone();
        timed.fit.train.time_budget = Some(Duration::from_secs(30));
        assert!(rival(&timed).is_none());
    }

    #[test]
    fn a_network_with_no_surface_is_retrained_at_half_the_rate() {
        let opts = options(None, None);
        let accuracy = |f1_near| Accuracy {
            surface_mean: 0.01,
            surface_max: 0.1,
            f1_near,
            f1_uniform: 0.0,
            sign_near: 0.77,
            sign_uniform: 0.99,
            mae_near: 0.01,
            mae_uniform: 0.01,
            surface_far: None,
        };
        let half = Some(0.5 * opts.fit.train.learning_rate);
        assert_eq!(retry_learning_rate(&accuracy(0.0), &opts), half);
        assert_eq!(retry_learning_rate(&accuracy(f64::NAN), &opts), half);
        assert_eq!(retry_learning_rate(&accuracy(0.9), &opts), None);
        let mut other = opts.clone();
        other.fit = other.fit.with_recipe(Recipe::Sal);
        assert_eq!(retry_learning_rate(&accuracy(0.0), &other), None);
        let mut timed = opts.clone();
        timed.fit.train.time_budget = Some(Duration::from_secs(30));
        assert_eq!(retry_learning_rate(&accuracy(0.0), &timed), None);
        let kept = Options {
            keep_inaccurate: true,
            ..opts
        };
        assert_eq!(retry_learning_rate(&accuracy(0.0), &kept), None);
    }
}
