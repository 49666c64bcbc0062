//! `nsdf info FILE [--json]`: what a `.nsdf` file holds, from architecture to stored accuracy.

use super::text::{group, json_f32, vec3, Table};
use super::{open_shape, print, CmdResult};
use nsdf::{Activation, Encoding, Model, Shape, Value};
use serde_json::json;
use std::path::PathBuf;
use std::process::ExitCode;

/// Describe a .nsdf file: architecture, quantization, chunks, transform, metadata, accuracy.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The .nsdf file.
    pub file: PathBuf,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args) -> CmdResult {
    let shape = open_shape(&args.file)?;
    let report = match args.json {
        true => format!("{:#}\n", to_json(&args.file, &shape)),
        false => to_text(&args.file, &shape),
    };
    print(&report)?;
    Ok(ExitCode::SUCCESS)
}

/// `relu`, `leaky_relu(0.01)`, `sine(30)`.
fn activation(a: Activation) -> String {
    match a {
        Activation::LeakyRelu(p) | Activation::Sine(p) => format!("{}({p})", a.name()),
        _ => a.name().to_string(),
    }
}

fn encoding(m: &Model) -> String {
    match (m.encoding, &m.grid) {
        (Encoding::Fourier { frequencies }, _) => format!("fourier, {frequencies} frequencies"),
        (Encoding::HashGrid { .. }, Some(g)) => format!(
            "hash grid, {} levels × {} features, resolution {}–{}, table 2^{}, {} values ({})",
            g.levels(),
            g.features,
            g.resolutions[0],
            g.resolutions[g.levels() - 1],
            g.log2_table,
            g.values.len(),
            g.scheme.name()
        ),
        _ => "none".into(),
    }
}

fn value_type(v: &Value) -> &'static str {
    match v {
        Value::String(_) => "string",
        Value::Int(_) => "int",
        Value::Float(_) => "float",
    }
}

/// Metadata values as text; strings are quoted and escaped so a hostile file cannot send
/// control characters to the terminal.
fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => format!("{s:?}"),
        other => other.to_string(),
    }
}

fn to_text(path: &std::path::Path, shape: &Shape) -> String {
    let model = shape.model();
    let (major, minor) = shape.version();
    let mut out = String::new();
    let mut head = Table::new(0, &[]);
    head.row(vec!["file".into(), path.display().to_string()]);
    head.row(vec!["format".into(), format!("nsdf {major}.{minor}")]);
    head.row(vec![
        "size".into(),
        format!("{} bytes", group(shape.file_len())),
    ]);
    out += &head.render();

    out += "\narchitecture\n";
    let mut arch = Table::new(2, &[]);
    let features = model.encoding.output_dim();
    arch.row(vec![
        "encoding".into(),
        format!("{} ({features} features from x, y, z)", encoding(model)),
    ]);
    arch.row(vec![
        "layers".into(),
        format!("{} dense", model.layers.len()),
    ]);
    arch.row(vec![
        "parameters".into(),
        group(model.parameter_count() as u64),
    ]);
    out += &arch.render();
    out.push('\n');
    let mut layers = Table::new(
        2,
        &[
            ">layer",
            ">in",
            ">out",
            "activation",
            "weights",
            ">parameters",
        ],
    );
    for (i, l) in model.layers.iter().enumerate() {
        layers.row(vec![
            i.to_string(),
            l.inputs.to_string(),
            l.outputs.to_string(),
            activation(l.activation),
            l.scheme.name().into(),
            group((l.inputs * l.outputs + l.outputs) as u64),
        ]);
    }
    out += &layers.render();

    out += "\nchunks\n";
    let mut chunks = Table::new(2, &["tag", ">offset", ">length", "flags", "crc32c"]);
    for c in shape.chunks() {
        let flags = match c.required() {
            true => format!("0x{:x} required", c.flags),
            false => format!("0x{:x}", c.flags),
        };
        let row = vec![
            c.tag.to_string(),
            c.offset.to_string(),
            c.length.to_string(),
            flags,
            format!("{:08x}", c.crc),
        ];
        chunks.row(row);
    }
    out += &chunks.render();

    let t = shape.transform();
    out += "\ntransform (network point = scale * world point + translation)\n";
    let mut xf = Table::new(2, &[]);
    xf.row(vec!["scale".into(), t.scale.to_string()]);
    xf.row(vec!["translation".into(), vec3(t.translation)]);
    xf.row(vec!["distance scale".into(), t.distance_scale.to_string()]);
    xf.row(vec![
        "world bounds".into(),
        format!("{} to {}", vec3(t.bounds[0]), vec3(t.bounds[1])),
    ]);
    out += &xf.render();

    out += &format!("\nmetadata ({} keys)\n", model.metadata.len());
    let mut meta = Table::new(2, &[]);
    for (k, v) in &model.metadata {
        meta.row(vec![k.clone(), value_type(v).into(), value_text(v)]);
    }
    out += &meta.render();

    out += "\naccuracy (STAT, world units)\n";
    let mut acc = Table::new(2, &[]);
    match shape.stats() {
        None => acc.row(vec!["none stored".into()]),
        Some(s) => {
            let fields = [
                ("surface mean |error|", s.surface_mean_error.to_string()),
                ("surface max |error|", s.surface_max_error.to_string()),
                (
                    "near-surface sign agreement",
                    s.near_sign_agreement.to_string(),
                ),
                ("near-surface sigma", s.near_sigma.to_string()),
                ("volume sign agreement", s.volume_sign_agreement.to_string()),
                ("gradient bound", s.gradient_bound.to_string()),
                ("surface samples", group(s.surface_samples as u64)),
                ("volume samples", group(s.volume_samples as u64)),
            ];
            for (name, value) in fields {
                acc.row(vec![name.into(), value]);
            }
        }
    }
    acc.row(vec![
        "lipschitz bound (from weights)".into(),
        shape.network().lipschitz_bound().to_string(),
    ]);
    out += &acc.render();
    out
}

/// The JSON form. Keys are stable: scripts read them.
fn to_json(path: &std::path::Path, shape: &Shape) -> serde_json::Value {
    let model = shape.model();
    let (major, minor) = shape.version();
    let layers: Vec<_> = model
        .layers
        .iter()
        .map(|l| {
            let param = match l.activation {
                Activation::LeakyRelu(p) | Activation::Sine(p) => json_f32(p),
                _ => serde_json::Value::Null,
            };
            json!({
                "inputs": l.inputs,
                "outputs": l.outputs,
                "activation": l.activation.name(),
                "activation_param": param,
                "weights": l.scheme.name(),
                "parameters": l.inputs * l.outputs + l.outputs,
            })
        })
        .collect();
    let chunks: Vec<_> = shape
        .chunks()
        .iter()
        .map(|c| {
            json!({
                "tag": c.tag.to_string(),
                "offset": c.offset,
                "length": c.length,
                "flags": c.flags,
                "required": c.required(),
                "crc32c": c.crc,
            })
        })
        .collect();
    let t = shape.transform();
    let metadata: serde_json::Map<_, _> = model
        .metadata
        .iter()
        .map(|(k, v)| {
            let value = match v {
                Value::String(s) => json!(s),
                Value::Int(i) => json!(i),
                Value::Float(x) => super::text::json_f64(*x),
            };
            (k.clone(), json!({ "type": value_type(v), "value": value }))
        })
        .collect();
    let stats = shape.stats().map(|s| {
        json!({
            "surface_mean_error": json_f32(s.surface_mean_error),
            "surface_max_error": json_f32(s.surface_max_error),
            "near_sign_agreement": json_f32(s.near_sign_agreement),
            "near_sigma": json_f32(s.near_sigma),
            "volume_sign_agreement": json_f32(s.volume_sign_agreement),
            "gradient_bound": json_f32(s.gradient_bound),
            "surface_samples": s.surface_samples,
            "volume_samples": s.volume_samples,
        })
    });
    json!({
        "file": path.display().to_string(),
        "version": format!("{major}.{minor}"),
        "file_size": shape.file_len(),
        "architecture": {
            "encoding": match model.encoding {
                Encoding::None => json!({ "type": "none", "features": 3 }),
                Encoding::Fourier { frequencies } => json!({
                    "type": "fourier",
                    "frequencies": frequencies,
                    "features": model.encoding.output_dim(),
                }),
                Encoding::HashGrid { .. } => {
                    let g = model.grid.as_ref();
                    json!({
                        "type": "hashgrid",
                        "features": model.encoding.output_dim(),
                        "levels": g.map(|g| g.levels()),
                        "features_per_level": g.map(|g| g.features),
                        "log2_table": g.map(|g| g.log2_table),
                        "resolutions": g.map(|g| g.resolutions.clone()),
                        "scheme": g.map(|g| g.scheme.name()),
                        "values": g.map(|g| g.values.len()),
                    })
                }
            },
            "parameters": model.parameter_count(),
            "layers": layers,
        },
        "chunks": chunks,
        "transform": {
            "scale": json_f32(t.scale),
            "translation": t.translation.map(json_f32),
            "distance_scale": json_f32(t.distance_scale),
            "bounds": { "min": t.bounds[0].map(json_f32), "max": t.bounds[1].map(json_f32) },
        },
        "metadata": metadata,
        "stats": stats,
        "lipschitz_bound": json_f32(shape.network().lipschitz_bound()),
    })
}
