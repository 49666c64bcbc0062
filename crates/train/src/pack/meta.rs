//! The metadata `nsdf pack` writes: where the shape came from and how it was trained.
//!
//! Nothing that changes from run to run goes in by default (no creation time, no training
//! seconds), so the same input, seed and thread count give a byte-identical file. The
//! creation time is written only when `SOURCE_DATE_EPOCH` asks for one (reproducible-builds
//! convention); training seconds only under `--time-budget`, whose output varies anyway.

use super::Options;
use crate::{FitConfig, Report};
use nsdf::{Model, Value};
use serde_json::json;
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

/// The training settings as compact JSON: the recipe's name and every setting that differs
/// from what that recipe, activation, encoding and weight scheme default to in this version
/// (`nsdf.creator.version`), which is enough to repeat the run. The default pack writes
/// `{"recipe":"davies"}`; the full list would be 600 bytes, 7% of an 8 kB file.
fn recipe(opts: &Options) -> String {
    let f = &opts.fit;
    let mut defaults = FitConfig::for_activation(f.arch.activation).with_recipe(f.recipe);
    if let Some(g) = f.arch.grid {
        defaults = defaults.with_grid(g);
    }
    defaults.arch.encoding = f.arch.encoding;
    let defaults = settings(&defaults.with_scheme(f.train.scheme), 0);
    let mut recipe = serde_json::Map::new();
    recipe.insert("recipe".into(), f.recipe.name().into());
    for (k, v) in settings(f, opts.threads) {
        if defaults.get(&k) != Some(&v) {
            recipe.insert(k, v);
        }
    }
    serde_json::Value::Object(recipe).to_string()
}

/// Every training setting `recipe` compares, by name.
fn settings(f: &FitConfig, threads: usize) -> serde_json::Map<String, serde_json::Value> {
    let t = &f.train;
    let mut all: serde_json::Map<String, serde_json::Value> = [
        ("layers", json!(f.arch.layers)),
        ("width", json!(f.arch.width)),
        ("activation", json!(f.arch.activation.name())),
        ("output", json!(f.arch.output.name())),
        ("quant", json!(t.scheme.name())),
        ("samples", json!(f.samples)),
        ("sampling", json!(format!("{:?}", f.sampling))),
        ("init", json!(format!("{:?}", f.init))),
        ("epochs", json!(t.epochs)),
        ("batch", json!(t.batch)),
        ("learning_rate", json!(short(t.learning_rate))),
        ("schedule", json!(format!("{:?}", t.schedule))),
        ("loss", json!(format!("{:?}", t.loss))),
        (
            "gradient_loss",
            json!(t.gradient_loss.map(|g| format!("{g:?}"))),
        ),
        ("qat_fraction", json!(short(t.qat_fraction))),
        ("qat_method", json!(format!("{:?}", t.qat_method))),
        (
            "resample_at",
            json!(t.resample_at.iter().map(|&x| short(x)).collect::<Vec<_>>()),
        ),
        (
            "hard_examples",
            json!(f.hard_examples.map(|h| format!("{h:?}"))),
        ),
        ("threads", json!(threads)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    if t.scheme == nsdf::Scheme::Int4 {
        all.insert("int4_clip".into(), short(t.int4_clip).into());
    }
    if let Some(g) = f.arch.grid {
        let name = crate::InputEncoding::HashGrid(g).name();
        all.insert("encoding".into(), name.into());
        all.insert(
            "grid_learning_rate".into(),
            short(t.grid_learning_rate).into(),
        );
    } else if f.arch.encoding != nsdf::Encoding::None {
        let name = crate::InputEncoding::Plain(f.arch.encoding).name();
        all.insert("encoding".into(), name.into());
    }
    all
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

    fn options(fit: FitConfig) -> Options {
        Options {
            fit,
            probe: 1000,
            threads: 0,
            keep_inaccurate: false,
            budget: None,
            epochs: None,
            activation: None,
            default_budget: false,
        }
    }

    #[test]
    fn recipes_record_what_differs_from_the_defaults() {
        assert_eq!(
            recipe(&options(FitConfig::default())),
            r#"{"recipe":"davies"}"#
        );
        let mut fit = FitConfig::default().with_scheme(nsdf::Scheme::Int4);
        fit.arch.layers = 6;
        fit.train.epochs = 150;
        fit.train.learning_rate = 1e-3;
        assert_eq!(
            recipe(&options(fit)),
            r#"{"recipe":"davies","layers":6,"epochs":150,"learning_rate":0.001}"#
        );
        let sald = FitConfig::default().with_recipe(crate::Recipe::Sald);
        assert_eq!(recipe(&options(sald)), r#"{"recipe":"sald"}"#);
        let mut sine = FitConfig::for_activation(nsdf::Activation::Sine(30.0));
        sine.train.seed = 7; // recorded in its own key
        assert_eq!(recipe(&options(sine)), r#"{"recipe":"davies"}"#);
    }

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
