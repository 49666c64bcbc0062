//! PyTorch safetensors import (`nsdf_import::safetensors`) and its layer description
//! (`nsdf_import::describe`). The first byte picks how the description is made:
//!
//! - `0 mod 3`: fixed, the 9 layers `net.0` … `net.16` of a Davies-sized state_dict; the rest of
//!   the input is the safetensors file;
//! - `1 mod 3`: `describe::from_activations("relu*8,tanh")` over the file's tensor names;
//! - `2 mod 3`: bytes 1–2 are a little-endian length `n`, the next `n` bytes the description JSON
//!   (`describe::from_json`), the rest the safetensors file.
//!
//! Whatever reads must build a model or fail with a message; memory must stay within the bounds
//! the modules state (48 × the file + 64 KiB; 64 × the description + 16 KiB).
#![no_main]

#[path = "import_support/counting.rs"]
mod counting;

use libfuzzer_sys::fuzz_target;
use nsdf_import::{describe, safetensors as st, Frame, Provenance};

#[global_allocator]
static ALLOCATOR: counting::Counting = counting::Counting;

fn davies_description() -> String {
    let list: Vec<String> = (0..9)
        .map(|i| {
            let act = if i == 8 { "tanh" } else { "relu" };
            format!(
                r#"{{"weight":"net.{0}.weight","bias":"net.{0}.bias","activation":"{act}"}}"#,
                2 * i
            )
        })
        .collect();
    format!(r#"{{"encoding":"none","layers":[{}]}}"#, list.join(","))
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let (desc, file) = match mode % 3 {
        0 => (describe::from_json(&davies_description()), rest),
        1 => {
            let (used, names) = counting::requested(|| st::tensor_names(rest));
            assert!(
                used <= 48 * rest.len() + (64 << 10),
                "tensor_names: {used} bytes"
            );
            let Ok(names) = names else { return };
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            (
                describe::from_activations("relu*8,tanh", nsdf::Encoding::None, &names),
                rest,
            )
        }
        _ => {
            let Some((len, rest)) = rest.split_first_chunk::<2>() else {
                return;
            };
            let n = (u16::from_le_bytes(*len) as usize).min(rest.len());
            let (text, file) = rest.split_at(n);
            let text = String::from_utf8_lossy(text);
            let (used, desc) = counting::requested(|| describe::from_json(&text));
            assert!(
                used <= 64 * text.len() + (16 << 10),
                "from_json: {used} bytes"
            );
            (desc, file)
        }
    };
    let Ok(desc) = desc else { return };
    let (used, layers) = counting::requested(|| st::read(file, &desc));
    let limit = 48 * file.len() + (64 << 10);
    assert!(
        used <= limit,
        "safetensors::read requested {used} bytes, limit {limit}"
    );
    let layers = match layers {
        Ok(layers) => layers,
        Err(e) => {
            assert!(!e.0.is_empty());
            return;
        }
    };
    for l in &layers {
        assert_eq!(l.weights.len(), l.inputs * l.outputs, "{}", l.name);
        assert_eq!(l.bias.len(), l.outputs, "{}", l.name);
        assert!(l.weights.iter().chain(&l.bias).all(|x| x.is_finite()));
    }
    let frame = Frame {
        center: [0.0; 3],
        radius: None,
        network_radius: 1.0,
        flip_sign: false,
    };
    let provenance = Provenance::new("safetensors", "fuzz".into(), "fuzz".into(), file);
    let _ = nsdf_import::build_model(
        desc.encoding,
        layers,
        &frame,
        &provenance,
        nsdf::Scheme::F32,
    );
});
