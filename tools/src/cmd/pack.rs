//! `nsdf pack`: a mesh (or a directory or manifest of meshes) in, `.nsdf` files out.
//! The pipeline lives in `nsdf_train::pack`; this file is the command line around it.

use super::{CmdResult, Failure};
use crate::progress::{self, Bar, INTERRUPTED_EXIT};
use nsdf::{Activation, Scheme};
use nsdf_mesh::Format;
use nsdf_train::pack::batch::{self, Shard, ShardSpec};
use nsdf_train::pack::summary::{Row, Status};
use nsdf_train::pack::{self as packing, Options, PackError};
use nsdf_train::{FitConfig, InputEncoding, Recipe};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

/// Train a compact neural SDF of a mesh or point cloud and write it as a .nsdf file.
///
/// Reads OBJ, PLY, STL and glTF/GLB meshes, and point clouds (PLY with vertices only, .xyz,
/// .pts; normals optional), which train with the sal recipe. The mesh is normalised by its minimal enclosing sphere
/// and the inverse is stored, so the file answers in the mesh's own units. The stored
/// (quantized) model is measured on held-out points and the figures go into the file.
/// Same input, seed and thread count give a byte-identical file.
///
/// Given a directory (its .obj/.ply/.stl/.gltf/.glb/.xyz/.pts files, sorted) or a manifest (one mesh
/// path per line), packs every mesh into --out-dir, skipping outputs that already exist and
/// are valid, and writes summary-I-of-N.csv and .json there.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// A mesh file, a directory of meshes, or a manifest listing one mesh per line.
    pub input: PathBuf,
    /// Output file (one mesh only; default: the mesh's path with the extension .nsdf).
    #[arg(short, long, conflicts_with = "out_dir")]
    pub output: Option<PathBuf>,
    /// Output directory: one <mesh stem>.nsdf per mesh, and the batch summaries.
    #[arg(long)]
    pub out_dir: Option<PathBuf>,
    /// Pack only meshes k with k mod N = I, e.g. 0/4; `auto` takes I and N from a Slurm job
    /// array (SLURM_ARRAY_TASK_ID, _MIN, _COUNT), `auto/N` takes I from SLURM_ARRAY_TASK_ID or
    /// a Kubernetes Indexed Job's JOB_COMPLETION_INDEX. See docs/cluster.md.
    #[arg(long, value_name = "I/N|auto[/N]")]
    pub shard: Option<ShardSpec>,
    /// Merge the summary-I-of-N files of every shard in the directory INPUT into summary.csv
    /// and summary.json there, and say which shards or meshes are missing.
    #[arg(long, conflicts_with_all = ["output", "out_dir", "shard", "render"])]
    pub summarize: bool,
    /// Weight storage: int8h (format 1.3: int8 weights with f16 scales and biases; as accurate
    /// as int8 in 9% fewer bytes), int8 (format 1.0, f32 scales and biases), int4 (format 1.1:
    /// hidden layers in int4 with f16 scales and biases, the first and last layer int8; half the
    /// bytes of int8, less accurate per byte on the meshes measured so far), f16 or f32.
    #[arg(long, default_value = "int8h", value_parser = parse_scheme)]
    pub quant: Scheme,
    /// The most bytes the file may have, e.g. 4k, 8k, 16k or 1m (k = 1024, m = 1024k): the
    /// largest of the ladder 4x16, 4x32, 6x32, 6x48, 6x64, 8x64, then hash grids of 2^12,
    /// 2^13 and 2^14 entries a level (260k, 504k, 961k; format 1.2) whose file (metadata included)
    /// fits (rungs chosen by measurement, see crates/train/src/lib.rs). A network is then
    /// widened while its file fits (up to 64 units; 8k gives 6x34 for the shared meshes, 16k
    /// 6x52). Replaces --layers and --width. A network has sine units unless --activation says
    /// otherwise (see --activation) and trains 300 epochs (150 for sine networks over 40 units
    /// wide, as at 16k), grids 3, unless --epochs says otherwise. Where that gives a 6-layer
    /// sine network (8k), a 9-layer one of the same budget (9x27) trains too, and the one whose
    /// surface lies closer to the mesh at its farthest (held-out Hausdorff distance) is kept:
    /// 3.5-5.5 minutes at 8k on 2 cores.
    /// Grids join the ladder for the davies recipe with relu units only. Without --budget,
    /// --layers, --width or --encoding, the file fits in 8k, trained for the default pack's
    /// time (sine units 45 epochs, relu 60).
    #[arg(long, value_name = "BYTES", value_parser = parse_bytes, conflicts_with_all = ["layers", "width"])]
    pub budget: Option<usize>,
    /// Input encoding: none (Davies), fourier:F (F frequencies, 1-16) or
    /// hashgrid[:levels=16,features=2,table=14,base=16,finest=1024] (format 1.2: a
    /// multiresolution hash grid of f16 features, table = log2 entries per level, in front of
    /// 2 hidden layers of 32; about 1 MB with the defaults, trains 3 epochs: 3x lower surface
    /// error than the default network in about the same time, at 90x the bytes).
    /// [default: none]
    #[arg(long, value_parser = parse_encoding, conflicts_with = "budget")]
    pub encoding: Option<InputEncoding>,
    /// Hidden layers [default: what fits the default budget (8k); 8 with --width; 2 with a
    /// hash grid].
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=packing::MAX_LAYERS as i64))]
    pub layers: Option<u16>,
    /// Units per hidden layer [default: what fits the default budget (8k); 32 with --layers or
    /// --encoding].
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=packing::MAX_WIDTH as i64))]
    pub width: Option<u16>,
    /// Hidden activation: relu, tanh, leaky-relu[:ALPHA] (default 0.01), sine[:OMEGA0] (default
    /// 30). [default: sine where a budget (--budget, or the default 8k) chooses a network for a
    /// mesh with the davies recipe: 20-32% lower Chamfer distance than relu at 8k and 16k on
    /// the organic shared meshes, normals 1.3-1.9x closer, the field far from the surface about
    /// twice as far off; at 16k relu measured better on three CAD meshes (fandisk, torus,
    /// wingnut); relu otherwise]
    #[arg(long)]
    pub activation: Option<Activation>,
    /// Training recipe: davies (L1 on the mesh's signed distances; the default for meshes),
    /// curriculum (Sergeev et al.: clamped L1 with the curriculum of their Table 2), siren
    /// (sine units trained from oriented surface points with SIREN's loss, no distances), sal
    /// (sign-agnostic learning from unsigned distances, starting from a sphere; the default for
    /// point clouds, and for a mesh whose orientation cannot be trusted) or sald (sal plus the
    /// derivative term: as accurate on the clouds measured, 3x the training time).
    #[arg(long, value_parser = parse_recipe)]
    pub recipe: Option<Recipe>,
    /// Training samples (points with exact distances).
    #[arg(long, default_value_t = FitConfig::default().samples as u64, value_parser = clap::value_parser!(u64).range(1..=1 << 28))]
    pub samples: u64,
    /// Training epochs [default: 60; the default pack's sine network 45; with --budget 300 for a
    /// network (150 for a sine network over 40 units wide), 3 for a hash grid; the siren
    /// recipe: 10].
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=packing::MAX_EPOCHS as u64))]
    pub epochs: Option<u64>,
    /// Stop training after this many seconds even if epochs remain (the file then depends on
    /// the machine's speed and is not reproducible).
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds)]
    pub time_budget: Option<Duration>,
    /// Random seed.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Threads for everything (default: all cores). The file depends on it.
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub threads: Option<u16>,
    /// Held-out points of each kind (surface, near, uniform) for the stored accuracy figures.
    #[arg(long, default_value_t = 100_000, value_parser = clap::value_parser!(u64).range(100..=10_000_000))]
    pub probe: u64,
    /// Also render the packed shape beside the mesh (left: mesh, right: network) to this PNG,
    /// 768x384 (one mesh only; a point cloud's network alone, 384x384).
    #[arg(long, value_name = "PNG")]
    pub render: Option<PathBuf>,
    /// Write the file even when the trained network's sign agrees with the mesh's at under 75%
    /// of near-surface points or its F1 score there is under 0.25 (an inside-out, untrained or
    /// surfaceless result, refused by default); its stored statistics say how bad it is.
    #[arg(long)]
    pub keep_inaccurate: bool,
    /// Print nothing but errors (no bar, no warnings, no summary).
    #[arg(short, long)]
    pub quiet: bool,
}

fn parse_recipe(s: &str) -> Result<Recipe, String> {
    s.parse()
}

fn parse_encoding(s: &str) -> Result<InputEncoding, String> {
    s.parse()
}

fn parse_scheme(s: &str) -> Result<Scheme, String> {
    s.parse()
}

/// `10720`, `8k` or `8K` (k = 1024), `1m` or `1M` (m = 1024k).
pub fn parse_bytes(s: &str) -> Result<usize, String> {
    let t = s.trim();
    let (digits, unit) = if let Some(d) = t.strip_suffix(['k', 'K']) {
        (d, 1 << 10)
    } else if let Some(d) = t.strip_suffix(['m', 'M']) {
        (d, 1 << 20)
    } else {
        (t, 1)
    };
    match digits
        .parse::<usize>()
        .ok()
        .and_then(|n| n.checked_mul(unit))
    {
        Some(n) if n > 0 && n <= 1 << 30 => Ok(n),
        _ => Err(format!(
            "'{s}' is not a size in bytes from 1 to 1G: expected e.g. 10720, 8k or 1m"
        )),
    }
}

fn parse_seconds(s: &str) -> Result<Duration, String> {
    match s.parse::<f64>() {
        Ok(x) if x.is_finite() && x > 0.0 && x < 1e9 => Ok(Duration::from_secs_f64(x)),
        _ => Err(format!("'{s}' is not a positive number of seconds")),
    }
}

impl Args {
    fn options(&self) -> Options {
        let mut fit = FitConfig::for_activation(self.activation.unwrap_or(Activation::Relu));
        if let Some(recipe) = self.recipe {
            fit = fit.with_recipe(recipe);
        }
        match self.encoding {
            Some(InputEncoding::Plain(e)) => fit.arch.encoding = e,
            Some(InputEncoding::HashGrid(g)) => fit = fit.with_grid(g),
            None => {}
        }
        if let Some(layers) = self.layers {
            fit.arch.layers = layers as usize;
        }
        if let Some(width) = self.width {
            fit.arch.width = width as usize;
        }
        fit.samples = self.samples as usize;
        if let Some(e) = self.epochs {
            fit.train.epochs = e as usize;
        }
        fit.train.time_budget = self.time_budget;
        fit.train.seed = self.seed;
        fit = fit.with_scheme(self.quant);
        Options {
            fit,
            probe: self.probe as usize,
            threads: self.threads.map_or(0, |t| t as usize),
            keep_inaccurate: self.keep_inaccurate,
            budget: self.budget,
            epochs: self.epochs.map(|e| e as usize),
            activation: self.activation,
            default_budget: false,
        }
        .with_default_budget(
            self.layers.is_some() || self.width.is_some() || self.encoding.is_some(),
        )
    }
}

pub fn run(args: Args) -> CmdResult {
    let single = args.input.is_file() && Format::from_path(&args.input).is_some();
    let missing = !args.input.exists();
    if missing {
        return Err(Failure::file(&args.input, "no such file or directory"));
    }
    if args.summarize {
        return summarize(&args.input, args.quiet);
    }
    progress::catch_interrupts();
    let opts = args.options();
    let bar = Bar::new(args.quiet);
    if single && args.shard.is_none() {
        let output = match (&args.output, &args.out_dir) {
            (Some(o), _) => o.clone(),
            (None, Some(dir)) => dir.join(packing::output_name(&args.input)),
            (None, None) => args.input.with_extension("nsdf"),
        };
        return run_one(&args, &output, &opts, &bar);
    }
    if args.output.is_some() || args.render.is_some() {
        return Err(Failure::new(
            "-o and --render name one output file: use --out-dir with a directory or manifest of meshes",
        ));
    }
    let Some(out_dir) = &args.out_dir else {
        return Err(Failure::file(
            &args.input,
            "not a mesh or point-cloud file (.obj, .ply, .stl, .gltf, .glb, .xyz, .pts): a directory or manifest needs --out-dir",
        ));
    };
    run_batch(&args, out_dir, &opts, &bar)
}

fn run_one(args: &Args, output: &Path, opts: &Options, bar: &Bar) -> CmdResult {
    bar.start(&args.input.file_name().unwrap_or_default().to_string_lossy());
    let result = packing::with_threads(opts.threads, || {
        packing::pack_file(&args.input, output, opts, &mut |e| bar.on_event(e))
    })
    .and_then(|r| r);
    bar.finish();
    match result {
        Ok(p) => {
            if !args.quiet {
                super::print(&format!("{}\n", packing::summary_line(&p)))?;
            }
            if let Some(png) = &args.render {
                let shape = super::open_shape(output)?;
                let line = super::render::beside_mesh(shape, &args.input, png, (768, 384))?;
                if !args.quiet {
                    super::print(&format!("{line}\n"))?;
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(PackError::Cancelled) => interrupted(),
        Err(e) => Err(Failure::new(e)),
    }
}

fn run_batch(args: &Args, out_dir: &Path, opts: &Options, bar: &Bar) -> CmdResult {
    let inputs = batch::list_inputs(&args.input).map_err(Failure::new)?;
    std::fs::create_dir_all(out_dir).map_err(|e| Failure::file(out_dir, e))?;
    let shard = match &args.shard {
        Some(spec) => spec.resolve().map_err(Failure::new)?,
        None => Shard::ALL,
    };
    let quiet = args.quiet;
    let mut report = |row: &Row| {
        if quiet {
            return;
        }
        match &row.status {
            Status::Packed(p) => bar.println(&packing::summary_line(p)),
            Status::Skipped { .. } => bar.println(&format!("{}: already done, skipped", row.name)),
            Status::Failed(e) => bar.println(&format!("nsdf: {e}")),
        }
    };
    let done = packing::with_threads(opts.threads, || {
        batch::run(
            &inputs,
            out_dir,
            shard,
            opts,
            &mut |e| bar.on_event(e),
            &mut report,
        )
    })
    .map_err(Failure::new)?;
    bar.finish();
    let written = batch::write_summaries(out_dir, shard, &done.rows).map_err(Failure::new)?;
    if !quiet {
        super::print(&format!(
            "{} meshes in shard {}/{}: {} packed, {} skipped, {} failed; summary {}\n",
            done.rows.len(),
            shard.index,
            shard.count,
            done.rows
                .iter()
                .filter(|r| matches!(r.status, Status::Packed(_)))
                .count(),
            done.rows
                .iter()
                .filter(|r| matches!(r.status, Status::Skipped { .. }))
                .count(),
            done.failures(),
            written[0].display()
        ))?;
    }
    if done.cancelled {
        return interrupted();
    }
    if done.failures() > 0 {
        return Err(Failure::new(format_args!(
            "{} of {} meshes failed (see {})",
            done.failures(),
            done.rows.len(),
            written[0].display()
        )));
    }
    Ok(ExitCode::SUCCESS)
}

fn summarize(dir: &Path, quiet: bool) -> CmdResult {
    let (merged, written) = batch::merge_summaries(dir).map_err(Failure::new)?;
    let count = |status: &str| {
        merged
            .rows
            .iter()
            .filter(|r| r.get("status").and_then(|s| s.as_str()) == Some(status))
            .count()
    };
    if !quiet {
        super::print(&format!(
            "{} meshes from {} shard(s): {} packed, {} skipped (packed by an earlier run), {} failed; {} and {}\n",
            merged.rows.len(),
            merged.shards,
            count("packed"),
            count("skipped"),
            count("failed"),
            written[0].display(),
            written[1].display()
        ))?;
    }
    if !merged.problems.is_empty() {
        return Err(Failure::new(format_args!(
            "the summary is incomplete: {}",
            merged.problems.join("; ")
        )));
    }
    if count("failed") > 0 {
        return Err(Failure::new(format_args!(
            "{} meshes failed (see {})",
            count("failed"),
            written[0].display()
        )));
    }
    Ok(ExitCode::SUCCESS)
}

fn interrupted() -> CmdResult {
    eprintln!("nsdf: interrupted; no output written");
    Ok(ExitCode::from(INTERRUPTED_EXIT))
}
