//! The metadata `nsdf pack` writes: where the shape came from and how it was trained.
//!
//! Nothing that changes from run to run goes in by default (no creation time, no training
//! seconds), so the same input, seed and thread count give a byte-identical file. The
//! creation time is written only when `SOURCE_DATE_EPOCH` asks for one (reproducible-builds
//! convention); training seconds only under `--time-budget`, whose output varies anyway.

use super::Options;
use crate::Report;
use nsdf::{Model, Value};
use sha2::{Digest, Sha256};
use std::path::Path;

/// Fills `model`'s metadata (keys sorted, as the format requires).
pub fn describe(
    model: &mut Model,
    input: &Path,
    source: &[u8],
    triangles: usize,
    opts: &Options,
    report: &Report,
) {
    let file_name = input
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let t = &opts.fit.train;
    let mut set = |k: &str, v: Value| model.set_meta(k, v);
    set("nsdf.name", Value::String(identifier(input)));
    set("nsdf.source.name", Value::String(file_name));
    set("nsdf.source.sha256", Value::String(sha256_hex(source)));
    set("nsdf.source.triangles", Value::Int(triangles as i64));
    set("nsdf.creator", Value::String("nsdf pack".into()));
    set(
        "nsdf.creator.version",
        Value::String(env!("CARGO_PKG_VERSION").into()),
    );
    set("nsdf.train.recipe", Value::String(recipe(opts)));
    set("nsdf.train.seed", Value::Int(t.seed as i64));
    set("nsdf.train.samples", Value::Int(opts.fit.samples as i64));
    let epochs = if report.stopped_by_budget {
        report.epochs.round() as i64
    } else {
        t.epochs as i64
    };
    set("nsdf.train.epochs", Value::Int(epochs));
    if t.time_budget.is_some() {
        set(
            "nsdf.train.seconds",
            Value::Float(report.elapsed.as_secs_f64()),
        );
    }
    if let Some(epoch) = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
    {
        set("nsdf.created", Value::Int(epoch));
    }
    model.metadata.sort_by(|a, b| a.0.cmp(&b.0));
}

/// The training settings as compact JSON, enough to repeat the run.
fn recipe(opts: &Options) -> String {
    let f = &opts.fit;
    let t = &f.train;
    let mut recipe = serde_json::json!({
        "recipe": f.recipe.name(),
        "layers": f.arch.layers,
        "width": f.arch.width,
        "activation": f.arch.activation.name(),
        "quant": t.scheme.name(),
        "samples": f.samples,
        "sampling": format!("{:?}", f.sampling),
        "init": format!("{:?}", f.init),
        "epochs": t.epochs,
        "batch": t.batch,
        "learning_rate": short(t.learning_rate),
        "schedule": format!("{:?}", t.schedule),
        "loss": format!("{:?}", t.loss),
        "qat_fraction": short(t.qat_fraction),
        "qat_method": format!("{:?}", t.qat_method),
        "resample_at": t.resample_at.iter().map(|&x| short(x)).collect::<Vec<_>>(),
        "resample_fraction": f.hard_examples.map(|h| short(h.fraction)),
        "threads": opts.threads,
    });
    if t.scheme == nsdf::Scheme::Int4 {
        recipe["int4_clip"] = short(t.int4_clip).into();
    }
    if let Some(g) = f.arch.grid {
        recipe["encoding"] = crate::InputEncoding::HashGrid(g).name().into();
        recipe["grid_learning_rate"] = short(t.grid_learning_rate).into();
    } else if f.arch.encoding != nsdf::Encoding::None {
        recipe["encoding"] = crate::InputEncoding::Plain(f.arch.encoding).name().into();
    }
    recipe.to_string()
}

/// An f32 as the f64 with the same shortest decimal form (0.005, not 0.004999999888241291).
fn short(x: f32) -> f64 {
    x.to_string().parse().unwrap_or(x as f64)
}

/// The file stem as an identifier (`[A-Za-z0-9_]`, not starting with a digit), for code
/// generators that name the shape after it.
pub fn identifier(input: &Path) -> String {
    let stem = input
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut id: String = stem
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    if id.is_empty() || id.starts_with(|c: char| c.is_ascii_digit()) {
        id.insert(0, '_');
    }
    id
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_safe_names() {
        assert_eq!(identifier(Path::new("dir/bunny_hr.obj")), "bunny_hr");
        assert_eq!(identifier(Path::new("3d-model.v2.ply")), "_3d_model_v2");
    }

    #[test]
    fn sha256_matches_the_standard_vector() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
