//! Writes seed inputs for the import and point-input fuzz targets (`fuzz/seed.sh` runs it):
//! `cargo run -p nsdf-import --example fuzz_seeds -- fuzz/corpus`. The Davies et al. networks
//! are copied by seed.sh itself when present.

#[path = "../tests/support/mod.rs"]
mod support;

use std::path::Path;
use support::*;

fn write(dir: &Path, target: &str, name: &str, bytes: &[u8]) {
    let d = dir.join(target);
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(d.join(name), bytes).unwrap();
}

/// An `import_safetensors` input: mode byte, then (mode 2) the description's length and text,
/// then the safetensors file.
fn st_input(mode: u8, desc: Option<&str>, file: &[u8]) -> Vec<u8> {
    let mut b = vec![mode];
    if let Some(d) = desc {
        b.extend((d.len() as u16).to_le_bytes());
        b.extend(d.as_bytes());
    }
    b.extend(file);
    b
}

fn main() {
    let dir = std::env::args()
        .nth(1)
        .expect("usage: fuzz_seeds CORPUS_DIR");
    let dir = Path::new(&dir);
    let davies = state_dict(&DAVIES_SIZES);
    let small = state_dict(&[3, 8, 1]);
    let zero = safetensors_file(&[("net.0.weight".into(), vec![1_000_000_000_000, 0], vec![])]);
    let t = "import_safetensors";
    write(dir, t, "davies-fixed", &st_input(0, None, &davies));
    write(dir, t, "davies-activations", &st_input(1, None, &davies));
    write(
        dir,
        t,
        "davies-json",
        &st_input(2, Some(&layers_json(9)), &davies),
    );
    write(
        dir,
        t,
        "small-json",
        &st_input(2, Some(&layers_json(2)), &small),
    );
    let no_bias = r#"{"layers":[{"weight":"net.0.weight","bias":null,"activation":"tanh"}]}"#;
    write(dir, t, "zero-dimension", &st_input(2, Some(no_bias), &zero));

    let t = "import_keras";
    write(dir, t, "3-8-1.h5", &keras_h5(&[3, 8, 1]));
    write(dir, t, "3-5-7-1.h5", &keras_h5(&[3, 5, 7, 1]));
    write(
        dir,
        t,
        "whole-model-3-8-8-1.h5",
        &whole_model_h5(&[3, 8, 8, 1]),
    );

    let t = "eval_points_text";
    write(
        dir,
        t,
        "points.txt",
        b"# x y z\n0 0 0\n0.5, -0.25, 1e-3\n\n1\t2\t3 # c\r\n",
    );
    write(dir, t, "bad-line.txt", b"1 2 3\n4 5\n");
    let t = "eval_points_binary";
    let pts: Vec<u8> = [0.0f32, 0.5, -1.0, 1e-3, 2.0, -0.25]
        .iter()
        .flat_map(|x| x.to_le_bytes())
        .collect();
    write(dir, t, "two-points.f32", &pts);
    write(dir, t, "13-bytes.f32", &[0; 13]);
    println!("seeded {} with import and point inputs", dir.display());
}
