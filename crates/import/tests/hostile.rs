//! Hostile safetensors and Keras HDF5 files, one test per error: each is refused with an error
//! naming the tensor and the problem, before any buffer is sized from the bad field.

mod support;

use hdf5_pure::{AttrValue, FileBuilder};
use nsdf_import::{describe, keras, safetensors as st, ImportError};
use support::*;

fn read_st(bytes: &[u8], desc: &str) -> Result<Vec<nsdf_import::Imported>, ImportError> {
    st::read(bytes, &describe::from_json(desc).unwrap())
}

fn expect_err<T: std::fmt::Debug>(r: Result<T, ImportError>, want: &str) {
    let e = r.unwrap_err();
    assert!(e.0.contains(want), "expected '{want}' in: {e}");
}

const ONE_LAYER: &str = r#"{"layers":[{"weight":"w","bias":null,"activation":"tanh"}]}"#;

/// The known bug: a weight `(10^12, 0)` holds no values, so its data is empty and the file tiny,
/// but a bias-less layer used to be given 10^12 zero biases (a 4 TB allocation: abort).
#[test]
fn safetensors_zero_dimension_beside_a_huge_one() {
    let bytes = safetensors_file(&[("w".into(), vec![1_000_000_000_000, 0], vec![])]);
    assert!(bytes.len() < 300, "{} bytes", bytes.len());
    expect_err(
        read_st(&bytes, ONE_LAYER),
        "w: 1000000000000 outputs; a dense layer has 1 to 4096",
    );
    let bytes = safetensors_file(&[("w".into(), vec![0, 1_000_000_000_000], vec![])]);
    expect_err(read_st(&bytes, ONE_LAYER), "w: 0 outputs");
}

#[test]
fn safetensors_zero_inputs() {
    let bytes = safetensors_file(&[("w".into(), vec![1, 0], vec![])]);
    expect_err(
        read_st(&bytes, ONE_LAYER),
        "w: 0 inputs; a dense layer has 1 to 4096",
    );
}

#[test]
fn safetensors_wider_than_the_format() {
    let bytes = safetensors_file(&[("w".into(), vec![1, 5000], vec![0.5; 5000])]);
    expect_err(read_st(&bytes, ONE_LAYER), "w: 5000 inputs");
}

#[test]
fn safetensors_weight_not_2d() {
    let bytes = safetensors_file(&[("w".into(), vec![2, 2, 2], vec![0.5; 8])]);
    expect_err(
        read_st(&bytes, ONE_LAYER),
        "w: a linear layer's weight must be 2-D",
    );
}

#[test]
fn safetensors_bias_shape_mismatch() {
    let bytes = safetensors_file(&[
        ("w".into(), vec![4, 3], vec![0.5; 12]),
        ("b".into(), vec![5], vec![0.5; 5]),
    ]);
    let desc = r#"{"layers":[{"weight":"w","bias":"b","activation":"tanh"}]}"#;
    expect_err(
        read_st(&bytes, desc),
        "b: shape mismatch: [5], but w has 4 outputs",
    );
}

/// One tensor named by every layer would let a small file fill 64 layers.
#[test]
fn safetensors_tensor_named_by_two_layers() {
    let bytes = safetensors_file(&[("w".into(), vec![3, 3], vec![0.5; 9])]);
    let desc =
        r#"{"layers":[{"weight":"w","activation":"relu"},{"weight":"w","activation":"tanh"}]}"#;
    expect_err(
        read_st(&bytes, desc),
        "tensor 'w' is named by layers 0 and 1 of the description",
    );
}

#[test]
fn safetensors_unsupported_dtype() {
    let data = [0u8; 12];
    let v = safetensors::tensor::TensorView::new(safetensors::Dtype::I32, vec![1, 3], &data);
    let bytes = safetensors::serialize([("w".to_string(), v.unwrap())], None).unwrap();
    expect_err(read_st(&bytes, ONE_LAYER), "w: dtype I32");
}

#[test]
fn safetensors_missing_tensor_lists_a_few_names() {
    let tensors: Vec<_> = (0..100)
        .map(|i| (format!("t{i:03}"), vec![1], vec![0.5]))
        .collect();
    let bytes = safetensors_file(&tensors);
    let e = read_st(&bytes, ONE_LAYER).unwrap_err();
    assert!(
        e.0.starts_with("missing tensor 'w' (the file has: t000, t001"),
        "{e}"
    );
    assert!(e.0.ends_with("... (100 in all))"), "{e}");
}

#[test]
fn safetensors_truncated_header() {
    let bytes = state_dict(&[3, 4, 1]);
    expect_err(
        read_st(&bytes[..20], &layers_json(2)),
        "not a readable safetensors file",
    );
}

#[test]
fn description_with_too_many_layers() {
    let layers: Vec<String> = (0..65)
        .map(|i| format!(r#"{{"weight":"w{i}","activation":"relu"}}"#))
        .collect();
    let json = format!(r#"{{"layers":[{}]}}"#, layers.join(","));
    expect_err(
        describe::from_json(&json),
        "layer description: 65 layers; the format allows at most 64",
    );
}

#[test]
fn description_too_long() {
    let json = format!(r#"{{"layers":[], "pad": "{}"}}"#, "x".repeat(2 << 20));
    expect_err(describe::from_json(&json), "at most 1048576 are read");
}

#[test]
fn activations_over_the_layer_limit() {
    expect_err(
        describe::from_activations("relu*64,relu*64", nsdf::Encoding::None, &[]),
        "--activations lists more than 64 layers",
    );
}

/// A Keras file whose kernel dimensions are patched: `from` → `to` in the dataspace.
fn patched_h5(from: &[u64], to: &[u64]) -> Vec<u8> {
    let mut bytes = keras_h5(&[3, 5, 7, 1]);
    patch(&mut bytes, &dims(from), &dims(to));
    bytes
}

/// A 2048 × 2048 kernel declared in a file of a few kilobytes: 16 MiB it cannot hold.
#[test]
fn keras_dataspace_larger_than_the_file() {
    let bytes = patched_h5(&[5, 7], &[2048, 2048]);
    expect_err(
        keras::read(bytes, None),
        "dense_1/dense_1/kernel:0: declares more data (4194304 values of 4 bytes) than the",
    );
}

#[test]
fn keras_dataspace_over_the_parameter_limit() {
    let bytes = patched_h5(&[5, 7], &[4096, 4096]);
    expect_err(
        keras::read(bytes, None),
        "dense_1/dense_1/kernel:0: the network has more than 16777216 parameters",
    );
}

#[test]
fn keras_dataspace_with_a_huge_dimension() {
    let bytes = patched_h5(&[5, 7], &[u64::MAX / 3, 7]);
    expect_err(
        keras::read(bytes, None),
        "dense_1/dense_1/kernel:0: 6148914691236517205 inputs; a dense layer has 1 to 4096",
    );
}

#[test]
fn keras_dataspace_with_a_zero_dimension() {
    let bytes = patched_h5(&[5, 7], &[0, 7]);
    expect_err(
        keras::read(bytes, None),
        "dense_1/dense_1/kernel:0: 0 inputs",
    );
}

/// A file with a single layer group holding `datasets` (name, shape, data, deflate).
fn one_layer_h5(weight_names: &[&str], datasets: &[(&str, Vec<u64>, Vec<f32>, bool)]) -> Vec<u8> {
    let mut fb = FileBuilder::new();
    fb.set_attr(
        "layer_names",
        AttrValue::AsciiStringArray(vec!["dense".into()]),
    );
    let mut g = fb.create_group("dense");
    g.set_attr(
        "weight_names",
        AttrValue::AsciiStringArray(weight_names.iter().map(|s| s.to_string()).collect()),
    );
    let mut inner = g.create_group("dense");
    for (name, shape, data, deflate) in datasets {
        let d = inner.create_dataset(name);
        d.with_f32_data(data).with_shape(shape);
        if *deflate {
            d.with_chunks(shape).with_deflate(9);
        }
    }
    g.add_group(inner.finish());
    fb.add_group(g.finish());
    fb.finish().unwrap()
}

/// 16 MiB of zeros deflate to a few kilobytes: weights that would inflate beyond the file.
#[test]
fn keras_compressed_beyond_the_file() {
    let bytes = one_layer_h5(
        &["dense/kernel:0"],
        &[("kernel:0", vec![2048, 2048], vec![0.0; 2048 * 2048], true)],
    );
    assert!(bytes.len() < 1 << 20, "{} bytes", bytes.len());
    expect_err(
        keras::read(bytes, None),
        "dense/dense/kernel:0: declares more data (4194304 values of 4 bytes, chunks of 16777216 bytes) than the",
    );
}

#[test]
fn keras_second_kernel() {
    let bytes = one_layer_h5(
        &["dense/kernel:0", "dense/kernel:1"],
        &[("kernel:0", vec![3, 1], vec![0.5; 3], false)],
    );
    expect_err(
        keras::read(bytes, None),
        "layer 'dense': weight_names lists a second kernel ('dense/kernel:1')",
    );
}

#[test]
fn keras_bias_mismatch_is_found_before_reading() {
    let bytes = one_layer_h5(
        &["dense/kernel:0", "dense/bias:0"],
        &[
            ("kernel:0", vec![3, 1], vec![0.5; 3], false),
            ("bias:0", vec![2], vec![0.5; 2], false),
        ],
    );
    expect_err(
        keras::read(bytes, None),
        "dense/dense/bias:0: shape mismatch: 2 values for a kernel with 1 outputs",
    );
}

#[test]
fn keras_too_many_layer_names() {
    let mut fb = FileBuilder::new();
    let names = (0..257).map(|i| format!("l{i}")).collect();
    fb.set_attr("layer_names", AttrValue::AsciiStringArray(names));
    let bytes = fb.finish().unwrap();
    expect_err(
        keras::read(bytes, None),
        "attribute 'layer_names' lists 257 layers; at most 256 are read",
    );
}

#[test]
fn keras_model_config_too_long() {
    let mut fb = FileBuilder::new();
    fb.set_attr("model_config", AttrValue::String("x".repeat((1 << 20) + 1)));
    let mut w = fb.create_group("model_weights");
    w.set_attr("layer_names", AttrValue::AsciiStringArray(vec![]));
    fb.add_group(w.finish());
    let bytes = fb.finish().unwrap();
    expect_err(
        keras::read(bytes, None),
        "attribute 'model_config': 1048577 bytes of JSON; at most 1048576 are read",
    );
}

#[test]
fn parameter_limit_counts_the_whole_network() {
    let mut total = 0;
    nsdf_import::add_parameters(&mut total, "a", 4096, 2048).unwrap();
    nsdf_import::add_parameters(&mut total, "b", 2048, 4096).unwrap_err();
}
