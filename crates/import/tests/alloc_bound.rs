//! Memory stays bounded on any input: a counting global allocator (this test binary only)
//! measures every byte the readers request, and the total must stay under
//! `FACTOR × input length + CONSTANT` for valid networks, for hostile files that declare huge
//! shapes, and for every strict prefix of a valid file (which must also fail with an error,
//! not a panic). The bound is the one `spec/threat-model.md` ("Importers and point input") and
//! the reader modules state.

mod support;

use nsdf_import::{describe, keras, safetensors as st, ImportError};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use support::*;

/// `keras::read`: the HDF5 reader's own structures (object headers, B-trees, heaps, attribute
/// values), the weights as f32 and their transposes, and the `model_config` JSON tree.
const KERAS_FACTOR: usize = 64;
const KERAS_CONSTANT: usize = 4 << 20;
/// `safetensors::read` (the description already parsed): the header's JSON and the weights as
/// f32 (f16 doubles).
const ST_FACTOR: usize = 48;
const ST_CONSTANT: usize = 64 << 10;
/// `describe::from_json`: the JSON tree of the description.
const DESC_FACTOR: usize = 64;
const DESC_CONSTANT: usize = 16 << 10;

struct Counting;

thread_local! {
    /// Bytes requested on this thread (tests run on several threads; each counts its own).
    static REQUESTED: Cell<usize> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        REQUESTED.with(|r| r.set(r.get().saturating_add(layout.size())));
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        REQUESTED.with(|r| {
            r.set(
                r.get()
                    .saturating_add(new_size.saturating_sub(layout.size())),
            )
        });
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Bytes requested while running `f`.
fn requested<T>(f: impl FnOnce() -> T) -> (usize, T) {
    let before = REQUESTED.with(|r| r.get());
    let out = f();
    (REQUESTED.with(|r| r.get()) - before, out)
}

/// Reads a Keras file under the bound; returns the result for the caller's checks.
fn keras_within_bound(name: &str, bytes: &[u8], print: bool) -> Result<usize, ImportError> {
    let copy = bytes.to_vec();
    let (used, r) = requested(|| keras::read(copy, None));
    let limit = KERAS_FACTOR * bytes.len() + KERAS_CONSTANT;
    if print {
        println!(
            "keras {name:36} {:>8} B  requested {used:>9} B ({:.1}×)  {}",
            bytes.len(),
            used as f64 / bytes.len().max(1) as f64,
            r.as_ref()
                .map_or_else(|e| e.0.clone(), |l| format!("{} layers", l.len()))
        );
    }
    assert!(
        used <= limit,
        "{name}: keras::read requested {used} bytes, limit {limit}"
    );
    if let Err(e) = &r {
        assert!(
            !e.0.contains("the HDF5 reader failed"),
            "{name}: the HDF5 reader panicked"
        );
    }
    r.map(|l| l.len())
}

fn st_within_bound(
    name: &str,
    bytes: &[u8],
    desc: &str,
    print: bool,
) -> Result<usize, ImportError> {
    let desc = describe::from_json(desc).unwrap();
    let (used, r) = requested(|| st::read(bytes, &desc));
    let (names_used, _) = requested(|| st::tensor_names(bytes));
    let limit = ST_FACTOR * bytes.len() + ST_CONSTANT;
    if print {
        println!(
            "safetensors {name:30} {:>8} B  requested {used:>9} B ({:.1}×), names {names_used} B  {}",
            bytes.len(),
            used as f64 / bytes.len().max(1) as f64,
            r.as_ref().map_or_else(|e| e.0.clone(), |l| format!("{} layers", l.len()))
        );
    }
    assert!(
        used <= limit,
        "{name}: safetensors::read requested {used} bytes, limit {limit}"
    );
    assert!(
        names_used <= limit,
        "{name}: tensor_names requested {names_used} bytes, limit {limit}"
    );
    r.map(|l| l.len())
}

#[test]
fn valid_keras_files() {
    keras_within_bound("3-8-1", &keras_h5(&[3, 8, 1]), true).unwrap();
    keras_within_bound("davies-sized", &keras_h5(&DAVIES_SIZES), true).unwrap();
    keras_within_bound("3-512-512-1", &keras_h5(&[3, 512, 512, 1]), true).unwrap();
    let Some(files) = davies_files() else { return };
    for f in files {
        let bytes = std::fs::read(&f).unwrap();
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        assert_eq!(keras_within_bound(&name, &bytes, true).unwrap(), 9);
    }
}

#[test]
fn hostile_keras_files() {
    let cases: [(&str, &[u64], &[u64]); 4] = [
        ("dataspace 2048 x 2048", &[5, 7], &[2048, 2048]),
        ("dataspace 4096 x 4096", &[5, 7], &[4096, 4096]),
        ("dataspace 2^62 x 7", &[5, 7], &[1 << 62, 7]),
        ("dataspace 0 x 7", &[5, 7], &[0, 7]),
    ];
    for (name, from, to) in cases {
        let mut bytes = keras_h5(&[3, 5, 7, 1]);
        patch(&mut bytes, &dims(from), &dims(to));
        keras_within_bound(name, &bytes, true).unwrap_err();
    }
}

/// A whole-model save whose `model_config` is the densest JSON up to the 1 MiB limit.
#[test]
fn keras_model_config_json() {
    for (name, config) in [
        (
            "config of 500,000 numbers",
            format!("[{}0]", "0,".repeat(500_000)),
        ),
        (
            "config of 300,000 arrays",
            format!("[{}[]]", "[],".repeat(300_000)),
        ),
    ] {
        let mut fb = hdf5_pure::FileBuilder::new();
        fb.set_attr("model_config", hdf5_pure::AttrValue::String(config));
        let mut w = fb.create_group("model_weights");
        w.set_attr(
            "layer_names",
            hdf5_pure::AttrValue::AsciiStringArray(vec![]),
        );
        fb.add_group(w.finish());
        keras_within_bound(name, &fb.finish().unwrap(), true).unwrap_err();
    }
}

#[test]
fn valid_safetensors_files() {
    let sizes = [3, 64, 64, 64, 1];
    let bytes = state_dict(&sizes);
    assert_eq!(
        st_within_bound("3-64-64-64-1", &bytes, &layers_json(4), true),
        Ok(4)
    );
    let bytes = state_dict(&DAVIES_SIZES);
    assert_eq!(
        st_within_bound("davies-sized", &bytes, &layers_json(9), true),
        Ok(9)
    );
}

#[test]
fn hostile_safetensors_files() {
    let one = r#"{"layers":[{"weight":"w","bias":null,"activation":"tanh"}]}"#;
    let zero = safetensors_file(&[("w".into(), vec![1_000_000_000_000, 0], vec![])]);
    st_within_bound("zero x 10^12", &zero, one, true).unwrap_err();
    let flipped = safetensors_file(&[("w".into(), vec![0, 1_000_000_000_000], vec![])]);
    st_within_bound("10^12 x zero", &flipped, one, true).unwrap_err();
    // 64 layers all naming one 64 × 64 weight: 64× the tensor if it were read each time.
    let shared = safetensors_file(&[("w".into(), vec![64, 64], vec![0.5; 4096])]);
    let layers: Vec<&str> = vec![r#"{"weight":"w","activation":"relu"}"#; 64];
    let desc = format!(r#"{{"layers":[{}]}}"#, layers.join(","));
    st_within_bound("one tensor, 64 layers", &shared, &desc, true).unwrap_err();
    // A header naming 10,000 empty tensors, none of them the one described.
    let many: Vec<_> = (0..10_000)
        .map(|i| (format!("t{i}"), vec![0], vec![]))
        .collect();
    st_within_bound("10,000 names", &safetensors_file(&many), one, true).unwrap_err();
    // Dense headers written by hand: shortest names, scalar shapes, many dimensions, metadata.
    let header = |entries: &str| {
        let mut h = format!("{{{entries}}}").into_bytes();
        while h.len() % 8 != 0 {
            h.push(b' ');
        }
        let mut bytes = (h.len() as u64).to_le_bytes().to_vec();
        bytes.extend(h);
        bytes
    };
    let scalars: Vec<String> = (0..15_000)
        .map(|i| format!(r#""{i:x}":{{"dtype":"F32","shape":[],"data_offsets":[0,0]}}"#))
        .collect();
    let b = header(&scalars.join(","));
    st_within_bound("15,000 scalar entries", &b, one, true).unwrap_err();
    let dims = format!(
        r#""w":{{"dtype":"F32","shape":[{}1],"data_offsets":[0,4]}}"#,
        "1,".repeat(300_000)
    );
    st_within_bound("600,000-dim shape", &header(&dims), one, true).unwrap_err();
    let meta: Vec<String> = (0..60_000).map(|i| format!(r#""{i:x}":"""#)).collect();
    let meta = format!(r#""__metadata__":{{{}}}"#, meta.join(","));
    st_within_bound("60,000 metadata entries", &header(&meta), one, true).unwrap_err();
    let big = format!(r#""__metadata__":{{"a":"{}"}}"#, "x".repeat(2 << 20));
    st_within_bound("2 MiB header", &header(&big), one, true).unwrap_err();
}

#[test]
fn descriptions() {
    let check = |name: &str, text: &str| {
        let (used, r) = requested(|| describe::from_json(text));
        let limit = DESC_FACTOR * text.len() + DESC_CONSTANT;
        println!(
            "description {name:24} {:>8} B  requested {used:>9} B ({:.1}×)",
            text.len(),
            used as f64 / text.len() as f64
        );
        assert!(
            used <= limit,
            "{name}: requested {used} bytes, limit {limit}"
        );
        r
    };
    check("64 layers", &layers_json(64)).unwrap();
    // The densest JSON: one-byte values, each a tree node.
    let numbers = format!(r#"{{"layers":[{}0]}}"#, "0,".repeat(500_000));
    check("500,000 numbers", &numbers).unwrap_err();
    let arrays = format!(r#"{{"layers":[{}[]]}}"#, "[],".repeat(300_000));
    check("300,000 arrays", &arrays).unwrap_err();
    let objects = format!(r#"{{"layers":[{}{{}}]}}"#, "{},".repeat(300_000));
    check("300,000 objects", &objects).unwrap_err();
}

/// Every strict prefix of a valid file is refused with an error (no panic) within the bound.
#[test]
fn every_strict_prefix_of_a_safetensors_file_fails_cleanly() {
    let bytes = state_dict(&DAVIES_SIZES);
    let desc = layers_json(9);
    for len in 0..bytes.len() {
        st_within_bound(&format!("prefix {len}"), &bytes[..len], &desc, false).unwrap_err();
    }
    println!("{} prefixes refused", bytes.len());
}

#[test]
fn every_strict_prefix_of_a_keras_file_fails_cleanly() {
    let bytes = keras_h5(&DAVIES_SIZES);
    for len in 0..bytes.len() {
        keras_within_bound(&format!("prefix {len}"), &bytes[..len], false).unwrap_err();
    }
    println!("{} prefixes refused", bytes.len());
}

#[test]
fn every_strict_prefix_of_a_davies_file_fails_cleanly() {
    let Some(files) = davies_files() else { return };
    let bytes = std::fs::read(&files[0]).unwrap();
    for len in 0..bytes.len() {
        keras_within_bound(&format!("prefix {len}"), &bytes[..len], false).unwrap_err();
    }
    println!("{} prefixes refused", bytes.len());
}

/// An input the `import_keras` fuzz target found (fuzz/README.md): 1,163 bytes over which
/// hdf5-pure requests 4.7 MB reading the root group's attributes before failing with an EOF
/// error. Not fixed (it is inside hdf5-pure, before any field the importer sees); this test
/// keeps the clean failure and prints the measurement instead of asserting the bound.
#[test]
fn keras_fuzz_regression_over_the_bound() {
    let bytes = include_bytes!("data/fuzz-keras-alloc-1.h5");
    let (used, r) = requested(|| keras::read(bytes.to_vec(), None));
    let e = r.unwrap_err();
    println!(
        "fuzz-keras-alloc-1: {} bytes, requested {used} B: {e}",
        bytes.len()
    );
    assert!(e.0.contains("reading the root group's attributes"), "{e}");
    assert!(used < 64 << 20, "{used}");
}
