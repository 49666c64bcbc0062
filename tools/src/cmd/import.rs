//! `nsdf import`: a network trained elsewhere (Keras HDF5, PyTorch safetensors) in, `.nsdf` out.
//! The readers live in `nsdf_import`; this file is the command line around them.

use super::{print, CmdResult, Failure};
use nsdf::{Encoding, Scheme};
use nsdf_import::{self, describe, keras, Deviation, Frame, Provenance};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Import a network trained elsewhere as a .nsdf file.
///
/// Keras HDF5 weight files (Davies et al.'s Thingi10k networks; activations from --arch, the
/// file's model_config, or their convention: ReLU hidden, tanh output) and PyTorch state_dicts
/// saved as safetensors (described by --layers JSON or --activations). The stored model is
/// compared with the original on a grid and the deviation printed. See docs/import.md.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The network: .h5/.hdf5 (Keras) or .safetensors (PyTorch).
    pub input: PathBuf,
    /// Output file (default: the input's path with the extension .nsdf).
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// Input format (default: from the extension).
    #[arg(long, value_enum)]
    pub format: Option<SourceFormat>,
    /// Keras: the architecture JSON (model.to_json(), e.g. Davies et al.'s neuralGeomKey.json).
    #[arg(long, value_name = "JSON")]
    pub arch: Option<PathBuf>,
    /// Safetensors: JSON naming each layer's tensors and activation (see docs/import.md).
    #[arg(long, value_name = "JSON", conflicts_with = "activations")]
    pub layers: Option<PathBuf>,
    /// Safetensors: activations in order, e.g. relu*8,tanh; tensors are found as <prefix>.weight.
    #[arg(long, value_name = "LIST")]
    pub activations: Option<String>,
    /// Safetensors with --activations: input encoding, none or fourier:K.
    #[arg(long, default_value = "none", requires = "activations")]
    pub encoding: String,
    /// Weight storage: f32, f16, int8h (format 1.3), int8 or int4 (format 1.1).
    #[arg(long, default_value = "f32", value_parser = parse_scheme)]
    pub quant: Scheme,
    /// Centre of the original mesh's minimal enclosing ball, world units (with --radius).
    #[arg(long, value_name = "X,Y,Z", value_parser = parse_point, requires = "radius", allow_hyphen_values = true)]
    pub center: Option<[f32; 3]>,
    /// Radius of the original mesh's minimal enclosing ball: the file then answers in the
    /// mesh's units. Without it the world frame is the network frame.
    #[arg(long, value_parser = parse_positive)]
    pub radius: Option<f32>,
    /// Radius the ball was scaled to for training (default 0.9 for Keras, Davies et al.'s
    /// normalisation; 1 for safetensors).
    #[arg(long, value_parser = parse_positive, requires = "radius")]
    pub network_radius: Option<f32>,
    /// The network is positive inside: negate it (nsdf is negative inside).
    #[arg(long)]
    pub flip_sign: bool,
    /// Grid nodes per axis for the deviation report.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u32).range(2..=512))]
    pub grid: u32,
    /// Print nothing but errors.
    #[arg(short, long)]
    pub quiet: bool,
}

/// The kinds of file `nsdf import` reads.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceFormat {
    Keras,
    Safetensors,
}

impl SourceFormat {
    fn from_path(path: &Path) -> Option<SourceFormat> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "h5" | "hdf5" | "keras" => Some(SourceFormat::Keras),
            "safetensors" => Some(SourceFormat::Safetensors),
            _ => None,
        }
    }
}

fn parse_scheme(s: &str) -> Result<Scheme, String> {
    s.parse()
}

fn parse_positive(s: &str) -> Result<f32, String> {
    match s.parse::<f32>() {
        Ok(x) if x.is_finite() && x > 0.0 => Ok(x),
        _ => Err(format!("'{s}' is not a positive number")),
    }
}

fn parse_point(s: &str) -> Result<[f32; 3], String> {
    let v: Vec<f32> = s
        .split(',')
        .map(|c| c.trim().parse::<f32>().ok().filter(|x| x.is_finite()))
        .collect::<Option<_>>()
        .ok_or_else(|| format!("'{s}' is not three numbers X,Y,Z"))?;
    v.try_into()
        .map_err(|_| format!("'{s}' is not three numbers X,Y,Z"))
}

pub fn run(args: Args) -> CmdResult {
    let input = &args.input;
    let format = match args.format.or_else(|| SourceFormat::from_path(input)) {
        Some(f) => f,
        None => {
            return Err(Failure::file(
                input,
                "unknown network format: use --format keras or --format safetensors",
            ))
        }
    };
    match format {
        SourceFormat::Keras if args.layers.is_some() || args.activations.is_some() => {
            return Err(Failure::new(
                "--layers and --activations describe safetensors files; Keras uses --arch",
            ))
        }
        SourceFormat::Safetensors if args.arch.is_some() => {
            return Err(Failure::new(
                "--arch is the Keras architecture; safetensors files use --layers or --activations",
            ))
        }
        SourceFormat::Safetensors if args.layers.is_none() && args.activations.is_none() => {
            return Err(Failure::new(
                "a safetensors file holds only tensors: describe the layers with --layers JSON \
                 or --activations (e.g. relu*8,tanh)",
            ))
        }
        _ => {}
    }
    let bytes = read_input(input)?;
    let frame = Frame {
        center: args.center.unwrap_or([0.0; 3]),
        radius: args.radius,
        network_radius: args.network_radius.unwrap_or(match format {
            SourceFormat::Keras => 0.9,
            SourceFormat::Safetensors => 1.0,
        }),
        flip_sign: args.flip_sign,
    };
    let bad = |e: nsdf_import::ImportError| Failure::file(input, e);
    let (encoding, layers, kind) = match format {
        SourceFormat::Keras => {
            let arch = match &args.arch {
                Some(p) => Some(read_json(p)?),
                None => None,
            };
            let layers = keras::read(bytes.clone(), arch.as_ref()).map_err(bad)?;
            (Encoding::None, layers, "keras-hdf5")
        }
        SourceFormat::Safetensors => {
            let desc = match (&args.layers, &args.activations) {
                (Some(p), _) => {
                    let text = std::fs::read_to_string(p).map_err(|e| Failure::file(p, e))?;
                    describe::from_json(&text).map_err(|e| Failure::file(p, e))?
                }
                (None, Some(acts)) => {
                    let encoding =
                        describe::parse_encoding(&args.encoding).map_err(Failure::new)?;
                    let names = nsdf_import::safetensors::tensor_names(&bytes).map_err(bad)?;
                    let names: Vec<&str> = names.iter().map(String::as_str).collect();
                    describe::from_activations(acts, encoding, &names).map_err(bad)?
                }
                (None, None) => return Err(Failure::new("--layers or --activations is required")),
            };
            let layers = nsdf_import::safetensors::read(&bytes, &desc).map_err(bad)?;
            (desc.encoding, layers, "safetensors")
        }
    };
    let mut provenance = Provenance::new(
        kind,
        file_name(input),
        nsdf_train::pack::meta::identifier(input),
        &bytes,
    );
    provenance.frame = frame_text(&frame, format);
    let original = nsdf_import::build_model(encoding, layers, &frame, &provenance, Scheme::F32)
        .map_err(bad)?;
    let stored = original.clone().with_scheme(args.quant);
    let out_bytes = nsdf::to_bytes(&stored).map_err(|e| Failure::file(input, e))?;
    let dev = nsdf_import::deviation(&original, &out_bytes, args.grid as usize).map_err(bad)?;
    let output = args
        .output
        .clone()
        .unwrap_or_else(|| input.with_extension("nsdf"));
    nsdf::write_atomic(&output, &out_bytes).map_err(|e| Failure::nsdf(&output, &e))?;
    if !args.quiet {
        print(&report(&output, &stored, out_bytes.len(), &dev, args.grid))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Reads the input, refusing files over the format's size limit before reading them.
fn read_input(path: &Path) -> Result<Vec<u8>, Failure> {
    let len = std::fs::metadata(path)
        .map_err(|e| Failure::file(path, e))?
        .len();
    let limit = nsdf::limits::MAX_FILE_LEN;
    if len > limit {
        return Err(Failure::file(
            path,
            format_args!("{len} bytes; networks over {limit} bytes are not imported"),
        ));
    }
    std::fs::read(path).map_err(|e| Failure::file(path, e))
}

fn read_json(path: &Path) -> Result<serde_json::Value, Failure> {
    let text = std::fs::read_to_string(path).map_err(|e| Failure::file(path, e))?;
    serde_json::from_str(&text).map_err(|e| Failure::file(path, format_args!("not JSON: {e}")))
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The frame in words, for the `import.frame` metadata entry.
fn frame_text(frame: &Frame, format: SourceFormat) -> String {
    let network = match format {
        SourceFormat::Keras => {
            "Davies et al. frame (minimal enclosing ball scaled to radius 0.9, queries in [-1,1]^3)"
        }
        SourceFormat::Safetensors => "network frame",
    };
    let world = match frame.radius {
        None => "world = network frame".to_string(),
        Some(r) => format!(
            "world ball centre {:?} radius {r} mapped to network radius {}",
            frame.center, frame.network_radius
        ),
    };
    let sign = if frame.flip_sign {
        "sign flipped (network positive inside)"
    } else {
        "negative inside"
    };
    format!("{network}; {world}; {sign}")
}

fn report(output: &Path, model: &nsdf::Model, bytes: usize, dev: &Deviation, n: u32) -> String {
    let scheme = model.layers.first().map_or("f32", |l| l.scheme.name());
    format!(
        "wrote {}: {} layers, {} parameters, {scheme}, {bytes} bytes\n\
         stored vs original on a {n}^3 grid: max |d| {:.3e}, mean |d| {:.3e}, sign flips {} of {}\n",
        output.display(),
        model.layers.len(),
        model.parameter_count(),
        dev.max,
        dev.mean,
        dev.sign_flips,
        dev.points,
    )
}
