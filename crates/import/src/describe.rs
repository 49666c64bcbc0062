//! The layer description a safetensors file needs: which tensors form which dense layer, and
//! each layer's activation (a `state_dict` holds tensors only).
//!
//! Either a JSON file (`--layers layers.json`):
//!
//! ```json
//! { "encoding": "none",
//!   "layers": [ { "weight": "layers.0.weight", "bias": "layers.0.bias", "activation": "relu" },
//!               { "weight": "layers.1.weight", "bias": "layers.1.bias", "activation": "tanh" } ] }
//! ```
//!
//! or just the activations on the command line (`--activations relu*8,tanh`), with the tensors
//! found by name: every 2-D `<prefix>.weight` in natural order of `<prefix>` (`net.2` before
//! `net.10`), each with `<prefix>.bias` if there is one.

use super::{ImportError, Result};
use nsdf::{Activation, Encoding};
use serde_json::Value as Json;

/// One dense layer: its tensor names and activation.
#[derive(Clone, Debug, PartialEq)]
pub struct LayerSpec {
    /// PyTorch `nn.Linear.weight`, shape `(out, in)`.
    pub weight: String,
    /// `nn.Linear.bias`, shape `(out,)`; `None` for a layer without bias.
    pub bias: Option<String>,
    pub activation: Activation,
}

/// A network description.
#[derive(Clone, Debug, PartialEq)]
pub struct Description {
    pub encoding: Encoding,
    pub layers: Vec<LayerSpec>,
}

/// Longest layer description accepted, in bytes (one for 64 layers is a few kilobytes).
pub const MAX_DESCRIPTION_LEN: usize = 1 << 20;

/// Parses the JSON description. Unknown fields are errors, so a typo is not silently ignored.
///
/// Memory: the text is refused over [`MAX_DESCRIPTION_LEN`] bytes and the layer list over the
/// format's `MAX_LAYERS` before a layer is built; the JSON tree itself costs a small multiple of
/// the text.
pub fn from_json(text: &str) -> Result<Description> {
    if text.len() > MAX_DESCRIPTION_LEN {
        return Err(ImportError::new(format!(
            "layer description: {} bytes; at most {MAX_DESCRIPTION_LEN} are read",
            text.len()
        )));
    }
    let json: Json = serde_json::from_str(text)
        .map_err(|e| ImportError::new(format!("layer description is not JSON: {e}")))?;
    let top = json
        .as_object()
        .ok_or_else(|| ImportError::new("layer description: expected a JSON object"))?;
    if let Some(k) = top
        .keys()
        .find(|k| !["encoding", "layers"].contains(&k.as_str()))
    {
        return Err(ImportError::new(format!(
            "layer description: unknown field '{k}' (expected encoding, layers)"
        )));
    }
    let encoding =
        match top.get("encoding") {
            None => Encoding::None,
            Some(Json::String(s)) => parse_encoding(s)?,
            Some(_) => return Err(ImportError::new(
                "layer description: 'encoding' must be a string such as \"none\" or \"fourier:6\"",
            )),
        };
    let list = top.get("layers").and_then(Json::as_array).ok_or_else(|| {
        ImportError::new("layer description: field 'layers' (an array) is missing")
    })?;
    let max_layers = nsdf::limits::MAX_LAYERS as usize;
    if list.len() > max_layers {
        return Err(ImportError::new(format!(
            "layer description: {} layers; the format allows at most {max_layers}",
            list.len()
        )));
    }
    let mut layers = Vec::with_capacity(list.len());
    for (i, l) in list.iter().enumerate() {
        let field = |f: &str| format!("layer description: layers[{i}].{f}");
        let obj = l.as_object().ok_or_else(|| {
            ImportError::new(format!("layer description: layers[{i}] is not an object"))
        })?;
        if let Some(k) = obj
            .keys()
            .find(|k| !["weight", "bias", "activation"].contains(&k.as_str()))
        {
            return Err(ImportError::new(format!(
                "{}: unknown field (expected weight, bias, activation)",
                field(k)
            )));
        }
        let weight = obj
            .get("weight")
            .and_then(Json::as_str)
            .ok_or_else(|| {
                ImportError::new(format!("{} (a tensor name) is missing", field("weight")))
            })?
            .to_string();
        let bias = match obj.get("bias") {
            None | Some(Json::Null) => None,
            Some(Json::String(s)) => Some(s.clone()),
            Some(_) => {
                return Err(ImportError::new(format!(
                    "{} must be a tensor name or null",
                    field("bias")
                )))
            }
        };
        let act = obj
            .get("activation")
            .and_then(Json::as_str)
            .ok_or_else(|| ImportError::new(format!("{} is missing", field("activation"))))?;
        let activation = act
            .parse::<Activation>()
            .map_err(|e| ImportError::new(format!("{}: {e}", field("activation"))))?;
        layers.push(LayerSpec {
            weight,
            bias,
            activation,
        });
    }
    Ok(Description { encoding, layers })
}

/// Builds a description from activations alone (`relu*8,tanh`), finding the tensors by name.
pub fn from_activations(spec: &str, encoding: Encoding, names: &[&str]) -> Result<Description> {
    let mut activations = Vec::new();
    for part in spec.split(',').map(str::trim) {
        let (name, count) = match part.rsplit_once('*') {
            Some((a, n)) => {
                let n: usize = n
                    .parse()
                    .ok()
                    .filter(|&n| (1..=64).contains(&n))
                    .ok_or_else(|| {
                        ImportError::new(format!(
                            "--activations: '{part}': repeat count must be 1 to 64"
                        ))
                    })?;
                (a, n)
            }
            None => (part, 1),
        };
        let act = name
            .parse::<Activation>()
            .map_err(|e| ImportError::new(format!("--activations: {e}")))?;
        activations.extend(std::iter::repeat_n(act, count));
        let max_layers = nsdf::limits::MAX_LAYERS as usize;
        if activations.len() > max_layers {
            return Err(ImportError::new(format!(
                "--activations lists more than {max_layers} layers (the format's limit)"
            )));
        }
    }
    let mut prefixes: Vec<&str> = names
        .iter()
        .filter_map(|n| n.strip_suffix(".weight"))
        .collect();
    prefixes.sort_by_key(|p| natural_key(p));
    if prefixes.len() != activations.len() {
        return Err(ImportError::new(format!(
            "--activations lists {} layers but the file has {} '<prefix>.weight' tensors ({})",
            activations.len(),
            prefixes.len(),
            prefixes.join(", ")
        )));
    }
    let layers = prefixes
        .into_iter()
        .zip(activations)
        .map(|(p, activation)| {
            let bias = format!("{p}.bias");
            LayerSpec {
                weight: format!("{p}.weight"),
                bias: names.contains(&bias.as_str()).then_some(bias),
                activation,
            }
        })
        .collect();
    Ok(Description { encoding, layers })
}

/// `none` or `fourier:K` (K frequencies).
pub fn parse_encoding(s: &str) -> Result<Encoding> {
    let max = nsdf::limits::MAX_FOURIER_FREQUENCIES;
    match s.split_once(':') {
        None if s == "none" => Ok(Encoding::None),
        Some(("fourier", k)) => match k.parse::<u32>() {
            Ok(frequencies) if (1..=max).contains(&frequencies) => {
                Ok(Encoding::Fourier { frequencies })
            }
            _ => Err(ImportError::new(format!(
                "encoding '{s}': the frequency count must be 1 to {max}"
            ))),
        },
        _ => Err(ImportError::new(format!(
            "unknown encoding '{s}' (expected none or fourier:K)"
        ))),
    }
}

/// Splits a name into text and number runs so `net.10` sorts after `net.2`.
fn natural_key(s: &str) -> Vec<(String, u64)> {
    let mut key = Vec::new();
    let mut text = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() {
            let mut n = c.to_digit(10).unwrap_or(0) as u64;
            while let Some(d) = chars.peek().and_then(|c| c.to_digit(10)) {
                n = n.saturating_mul(10).saturating_add(d as u64);
                chars.next();
            }
            key.push((std::mem::take(&mut text), n));
        } else {
            text.push(c);
        }
    }
    key.push((text, 0));
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tensors_are_found_in_natural_order() {
        let names = [
            "net.10.weight",
            "net.2.weight",
            "net.2.bias",
            "net.0.weight",
            "net.0.bias",
        ];
        let d = from_activations("relu*2,tanh", Encoding::None, &names).unwrap();
        let w: Vec<&str> = d.layers.iter().map(|l| l.weight.as_str()).collect();
        assert_eq!(w, ["net.0.weight", "net.2.weight", "net.10.weight"]);
        assert_eq!(d.layers[2].bias, None);
        assert_eq!(d.layers[1].bias.as_deref(), Some("net.2.bias"));
        assert_eq!(d.layers[2].activation, Activation::Tanh);
    }

    #[test]
    fn description_typos_are_errors() {
        let e = from_json(r#"{"layers":[{"weight":"a","activaton":"relu"}]}"#).unwrap_err();
        assert!(e.0.contains("layers[0].activaton"), "{e}");
        let e = from_json(r#"{"layers":[{"weight":"a","activation":"gelu"}]}"#).unwrap_err();
        assert!(e.0.contains("gelu"), "{e}");
        let e = from_json(r#"{"encoding":"fourier:99","layers":[]}"#).unwrap_err();
        assert!(e.0.contains("fourier:99"), "{e}");
    }
}
