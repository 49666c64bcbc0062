//! Reading and writing `.nsdf` files: parse + validate of the int8 Davies file with metadata
//! (issue goal: ≤ 20 µs), `Shape::from_bytes` (parse plus the evaluator's weight layout), and
//! `to_bytes`. Inputs are the test vectors of `spec/vectors/valid/`.
//!
//! ```text
//! cargo bench --bench parse
//! ```

use divan::{black_box, Bencher};

fn main() {
    divan::main();
}

const FILES: &[&str] = &["davies-int8", "davies-f16", "davies-f32"];

fn file(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/spec/vectors/valid/{name}.nsdf",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// `nsdf::parse`: every check of the spec, checksums and dequantization included.
#[divan::bench(args = FILES)]
fn parse(b: Bencher, name: &str) {
    let bytes = file(name);
    b.counter(divan::counter::BytesCount::of_slice(&bytes))
        .bench(|| nsdf::parse(black_box(&bytes)).unwrap());
}

/// `nsdf::validate`: the same reading plus warnings, collecting every issue.
#[divan::bench(args = FILES)]
fn validate(b: Bencher, name: &str) {
    let bytes = file(name);
    b.bench(|| nsdf::validate(black_box(&bytes)));
}

/// `Shape::from_bytes`: parse, then lay the weights out for the kernels.
#[divan::bench(args = FILES)]
fn shape_from_bytes(b: Bencher, name: &str) {
    let bytes = file(name);
    b.bench(|| nsdf::Shape::from_bytes(black_box(&bytes)).unwrap());
}

/// `to_bytes`: quantize, lay out, checksum, and parse the result back (the writer's guarantee).
#[divan::bench(args = FILES)]
fn to_bytes(b: Bencher, name: &str) {
    let model = nsdf::parse(&file(name)).unwrap().model;
    b.bench(|| nsdf::to_bytes(black_box(&model)).unwrap());
}

/// CRC-32C over a whole file, the floor under `parse`.
#[divan::bench(args = FILES)]
fn crc32c(b: Bencher, name: &str) {
    let bytes = file(name);
    b.counter(divan::counter::BytesCount::of_slice(&bytes))
        .bench(|| nsdf::testing::crc32c(black_box(&bytes)));
}
