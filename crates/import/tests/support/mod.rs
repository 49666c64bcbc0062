//! Fixtures shared by the import crate's tests: small valid networks as Keras HDF5 and as
//! safetensors, and the Davies et al. networks in ../shared when present.
#![allow(dead_code)]

use hdf5_pure::{AttrValue, FileBuilder};
use std::path::{Path, PathBuf};

/// Dense layer sizes of a Davies et al. network: 3 → 32 × 8 → 1.
pub const DAVIES_SIZES: [usize; 10] = [3, 32, 32, 32, 32, 32, 32, 32, 32, 1];

/// Deterministic weights in [-0.5, 0.5).
pub fn values(seed: u64, n: usize) -> Vec<f32> {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 40) as f32 / (1u64 << 24) as f32 - 0.5
        })
        .collect()
}

/// A Keras `save_weights` file for a chain of `sizes`: root attribute `layer_names`, per layer a
/// group with `weight_names` and datasets `<layer>/<layer>/kernel:0` `(in, out)` and `bias:0`.
pub fn keras_h5(sizes: &[usize]) -> Vec<u8> {
    let mut fb = FileBuilder::new();
    let names: Vec<String> = (0..sizes.len() - 1)
        .map(|i| match i {
            0 => "dense".to_string(),
            _ => format!("dense_{i}"),
        })
        .collect();
    fb.set_attr("layer_names", AttrValue::AsciiStringArray(names.clone()));
    for (i, (w, name)) in sizes.windows(2).zip(&names).enumerate() {
        let mut g = fb.create_group(name);
        g.set_attr(
            "weight_names",
            AttrValue::AsciiStringArray(vec![format!("{name}/kernel:0"), format!("{name}/bias:0")]),
        );
        let mut inner = g.create_group(name);
        inner
            .create_dataset("kernel:0")
            .with_f32_data(&values(i as u64, w[0] * w[1]))
            .with_shape(&[w[0] as u64, w[1] as u64]);
        inner
            .create_dataset("bias:0")
            .with_f32_data(&values(100 + i as u64, w[1]))
            .with_shape(&[w[1] as u64]);
        g.add_group(inner.finish());
        fb.add_group(g.finish());
    }
    fb.finish().unwrap()
}

/// A whole-model save (`model.save("m.h5")`) of the same network: the architecture JSON in the
/// root attribute `model_config`, the weights under the group `model_weights`.
pub fn whole_model_h5(sizes: &[usize]) -> Vec<u8> {
    let layers: Vec<String> = (0..sizes.len() - 1)
        .map(|i| {
            let name = if i == 0 {
                "dense".to_string()
            } else {
                format!("dense_{i}")
            };
            let act = if i + 2 == sizes.len() { "tanh" } else { "relu" };
            format!(r#"{{"class_name":"Dense","config":{{"name":"{name}","activation":"{act}"}}}}"#)
        })
        .collect();
    let config = format!(
        r#"{{"class_name":"Sequential","config":{{"layers":[{}]}}}}"#,
        layers.join(",")
    );
    let weights = hdf5_pure::File::from_bytes(keras_h5(sizes)).unwrap();
    let mut fb = FileBuilder::new();
    fb.set_attr("model_config", AttrValue::String(config));
    let mut group = fb.create_group("model_weights");
    let names = weights.root().attrs().unwrap()["layer_names"].clone();
    group.set_attr("layer_names", names);
    for (i, w) in sizes.windows(2).enumerate() {
        let name = if i == 0 {
            "dense".to_string()
        } else {
            format!("dense_{i}")
        };
        let mut g = group.create_group(&name);
        g.set_attr(
            "weight_names",
            AttrValue::AsciiStringArray(vec![format!("{name}/kernel:0"), format!("{name}/bias:0")]),
        );
        let mut inner = g.create_group(&name);
        inner
            .create_dataset("kernel:0")
            .with_f32_data(&values(i as u64, w[0] * w[1]))
            .with_shape(&[w[0] as u64, w[1] as u64]);
        inner
            .create_dataset("bias:0")
            .with_f32_data(&values(100 + i as u64, w[1]))
            .with_shape(&[w[1] as u64]);
        g.add_group(inner.finish());
        group.add_group(g.finish());
    }
    fb.add_group(group.finish());
    fb.finish().unwrap()
}

/// A safetensors file holding `tensors` (name, shape, f32 values).
pub fn safetensors_file(tensors: &[(String, Vec<usize>, Vec<f32>)]) -> Vec<u8> {
    let bytes: Vec<Vec<u8>> = tensors
        .iter()
        .map(|t| t.2.iter().flat_map(|x| x.to_le_bytes()).collect())
        .collect();
    let views: Vec<(String, safetensors::tensor::TensorView<'_>)> = tensors
        .iter()
        .zip(&bytes)
        .map(|((n, shape, _), data)| {
            let v =
                safetensors::tensor::TensorView::new(safetensors::Dtype::F32, shape.clone(), data);
            (n.clone(), v.unwrap())
        })
        .collect();
    safetensors::serialize(views, None).unwrap()
}

/// A PyTorch state_dict for a chain of `sizes`: `net.<2i>.weight` `(out, in)`, `net.<2i>.bias`.
pub fn state_dict(sizes: &[usize]) -> Vec<u8> {
    let mut tensors = Vec::new();
    for (i, w) in sizes.windows(2).enumerate() {
        tensors.push((
            format!("net.{}.weight", 2 * i),
            vec![w[1], w[0]],
            values(i as u64, w[0] * w[1]),
        ));
        tensors.push((
            format!("net.{}.bias", 2 * i),
            vec![w[1]],
            values(100 + i as u64, w[1]),
        ));
    }
    safetensors_file(&tensors)
}

/// The layer description of [`state_dict`]: ReLU hidden layers, tanh output.
pub fn layers_json(layers: usize) -> String {
    let list: Vec<String> = (0..layers)
        .map(|i| {
            let act = if i + 1 == layers { "tanh" } else { "relu" };
            format!(
                r#"{{"weight":"net.{0}.weight","bias":"net.{0}.bias","activation":"{act}"}}"#,
                2 * i
            )
        })
        .collect();
    format!(r#"{{"encoding":"none","layers":[{}]}}"#, list.join(","))
}

/// The Davies et al. networks (`*.h5` in ../shared/davies-networks), or `None` with a visible
/// SKIP line when they are absent.
pub fn davies_files() -> Option<Vec<PathBuf>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/davies-networks");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        eprintln!(
            "SKIP: {} not present; Davies networks not checked",
            dir.display()
        );
        return None;
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "h5"))
        .collect();
    files.sort();
    Some(files)
}

/// Replaces the first occurrence of `from` in `bytes` with `to` (same length) and, as the
/// bytes sit in a version-2 object header (`OHDR`, checksummed), recomputes its checksum so the
/// change reaches the checks behind it.
pub fn patch(bytes: &mut [u8], from: &[u8], to: &[u8]) {
    assert_eq!(from.len(), to.len());
    let at = bytes
        .windows(from.len())
        .position(|w| w == from)
        .expect("pattern to patch not found");
    let header = bytes[..at]
        .windows(4)
        .rposition(|w| w == b"OHDR")
        .expect("no OHDR before the patched bytes");
    let flags = bytes[header + 5];
    let mut size_at = header + 6;
    if flags & 0x20 != 0 {
        size_at += 16;
    }
    if flags & 0x10 != 0 {
        size_at += 4;
    }
    let width = 1usize << (flags & 3);
    let mut size = [0u8; 8];
    size[..width].copy_from_slice(&bytes[size_at..size_at + width]);
    let sum_at = size_at + width + u64::from_le_bytes(size) as usize;
    assert!(
        at + to.len() <= sum_at,
        "patched bytes beyond the header chunk"
    );
    let stored = u32::from_le_bytes(bytes[sum_at..sum_at + 4].try_into().unwrap());
    assert_eq!(lookup3(&bytes[header..sum_at]), stored, "checksum layout");
    bytes[at..at + to.len()].copy_from_slice(to);
    let sum = lookup3(&bytes[header..sum_at]);
    bytes[sum_at..sum_at + 4].copy_from_slice(&sum.to_le_bytes());
}

/// Bob Jenkins' lookup3 `hashlittle` with seed 0: HDF5's metadata checksum.
pub fn lookup3(data: &[u8]) -> u32 {
    let mut a = 0xdeadbeefu32.wrapping_add(data.len() as u32);
    let (mut b, mut c) = (a, a);
    let word = |s: &[u8]| {
        s.iter()
            .enumerate()
            .fold(0u32, |w, (i, &x)| w | (x as u32) << (8 * i))
    };
    let mut rest = data;
    while rest.len() > 12 {
        a = a.wrapping_add(word(&rest[0..4]));
        b = b.wrapping_add(word(&rest[4..8]));
        c = c.wrapping_add(word(&rest[8..12]));
        a = a.wrapping_sub(c) ^ c.rotate_left(4);
        c = c.wrapping_add(b);
        b = b.wrapping_sub(a) ^ a.rotate_left(6);
        a = a.wrapping_add(c);
        c = c.wrapping_sub(b) ^ b.rotate_left(8);
        b = b.wrapping_add(a);
        a = a.wrapping_sub(c) ^ c.rotate_left(16);
        c = c.wrapping_add(b);
        b = b.wrapping_sub(a) ^ a.rotate_left(19);
        a = a.wrapping_add(c);
        c = c.wrapping_sub(b) ^ b.rotate_left(4);
        b = b.wrapping_add(a);
        rest = &rest[12..];
    }
    if rest.is_empty() {
        return c;
    }
    let mut tail = [0u8; 12];
    tail[..rest.len()].copy_from_slice(rest);
    a = a.wrapping_add(word(&tail[0..4]));
    b = b.wrapping_add(word(&tail[4..8]));
    c = c.wrapping_add(word(&tail[8..12]));
    c = (c ^ b).wrapping_sub(b.rotate_left(14));
    a = (a ^ c).wrapping_sub(c.rotate_left(11));
    b = (b ^ a).wrapping_sub(a.rotate_left(25));
    c = (c ^ b).wrapping_sub(b.rotate_left(16));
    a = (a ^ c).wrapping_sub(c.rotate_left(4));
    b = (b ^ a).wrapping_sub(a.rotate_left(14));
    (c ^ b).wrapping_sub(b.rotate_left(24))
}

/// Little-endian u64s, concatenated (HDF5 dataspace dimensions).
pub fn dims(d: &[u64]) -> Vec<u8> {
    d.iter().flat_map(|x| x.to_le_bytes()).collect()
}
