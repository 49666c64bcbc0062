//! `nsdf bake` end to end: the texels read back with third-party parsers equal `nsdf eval` at
//! the texel centres the sidecar describes; bad arguments and files fail naming the problem
//! and leave nothing behind.

use nsdf_testing::TempDir;
use std::path::Path;
use std::process::{Command, Output};

const SHAPE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../spec/vectors/valid/davies-int8.nsdf"
);

fn nsdf(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nsdf"))
        .args(args)
        .output()
        .unwrap()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Texel centres from the sidecar alone, x fastest.
fn centres(json: &serde_json::Value) -> Vec<[f32; 3]> {
    let dims: Vec<usize> = json["dimensions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_u64().unwrap() as usize)
        .collect();
    let min: Vec<f64> = json["box_min"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect();
    let h = json["texel_size"].as_f64().unwrap();
    let mut out = Vec::new();
    for k in 0..dims[2] {
        for j in 0..dims[1] {
            for i in 0..dims[0] {
                let ijk = [i, j, k];
                out.push([0, 1, 2].map(|a| (min[a] + (ijk[a] as f64 + 0.5) * h) as f32));
            }
        }
    }
    out
}

/// The f32 texels of a KTX2 file, read with the `ktx2` crate.
fn ktx2_f32_texels(path: &Path) -> Vec<f32> {
    let bytes = std::fs::read(path).unwrap();
    let r = ktx2::Reader::new(&bytes[..]).unwrap();
    let texels = r
        .levels()
        .next()
        .unwrap()
        .data
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
        .collect();
    texels
}

/// `nsdf eval --binary-in --binary-out` at `points`.
fn eval(dir: &Path, points: &[[f32; 3]]) -> Vec<f32> {
    let input = dir.join("points.f32");
    let output = dir.join("values.f32");
    let bytes: Vec<u8> = points
        .iter()
        .flatten()
        .flat_map(|x| x.to_le_bytes())
        .collect();
    std::fs::write(&input, bytes).unwrap();
    let o = nsdf(&[
        "eval",
        SHAPE,
        "-i",
        s(&input),
        "-o",
        s(&output),
        "--binary-out",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let values = std::fs::read(&output).unwrap();
    std::fs::remove_file(&input).unwrap();
    std::fs::remove_file(&output).unwrap();
    values
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
        .collect()
}

#[test]
fn texels_equal_nsdf_eval_at_the_centres_the_sidecar_gives() {
    let d = TempDir::new("bake-eval");
    let out = d.join("shape.ktx2");
    let o = nsdf(&["bake", SHAPE, "-o", s(&out), "-r", "24", "--texel", "f32"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let report = String::from_utf8_lossy(&o.stdout);
    assert!(
        report.contains("f32 texels") && report.contains("shape.json"),
        "{report}"
    );
    assert_eq!(d.entries(), ["shape.json", "shape.ktx2"]);
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("shape.json")).unwrap()).unwrap();
    assert_eq!(json["format"], "VK_FORMAT_R32_SFLOAT");
    assert_eq!(json["sign"], "negative inside");
    assert!(json["distance"]
        .as_str()
        .unwrap()
        .starts_with("the network's value"));
    assert_eq!(json["source"], "davies-int8.nsdf");
    assert_eq!(json["texture"], "shape.ktx2");
    let texels = ktx2_f32_texels(&out);
    let want = eval(d.path(), &centres(&json));
    assert_eq!(texels.len(), want.len());
    // The sidecar's decimal corners give the same f32 centres up to rounding of the last bit:
    // allow a texel's gradient times that.
    let worst = texels
        .iter()
        .zip(&want)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    assert!(worst < 1e-5, "largest difference from nsdf eval: {worst}");
    // The box contains the file's bounds with the margin.
    let info = nsdf(&["info", SHAPE, "--json"]);
    let info: serde_json::Value = serde_json::from_slice(&info.stdout).unwrap();
    let bounds = &info["transform"]["bounds"];
    for a in 0..3 {
        assert!(json["box_min"][a].as_f64().unwrap() < bounds["min"][a].as_f64().unwrap());
        assert!(json["box_max"][a].as_f64().unwrap() > bounds["max"][a].as_f64().unwrap());
    }
}

#[test]
fn exact_texels_keep_the_networks_sign_and_are_a_distance() {
    let d = TempDir::new("bake-exact");
    let out = d.join("exact.ktx2");
    let o = nsdf(&[
        "bake",
        SHAPE,
        "-o",
        s(&out),
        "-r",
        "24",
        "--texel",
        "f32",
        "--exact",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("zero set at 256³"), "{}", stderr(&o));
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("exact.json")).unwrap()).unwrap();
    let texels = ktx2_f32_texels(&out);
    let want = eval(d.path(), &centres(&json));
    assert!(json["distance"].as_str().unwrap().starts_with("exact"));
    let h = json["texel_size"].as_f64().unwrap() as f32;
    for (t, w) in texels.iter().zip(&want) {
        assert!(t.is_finite());
        if w.abs() > 0.01 * h {
            assert_eq!(t.signum(), w.signum(), "{t} where the network is {w}");
        }
    }
    // A distance function changes by at most the step between neighbouring texels (where
    // both are on one side: across the surface the sign is the network's). The network's own
    // texels here change by up to 1.93 steps.
    let dims: Vec<usize> = (0..3)
        .map(|a| json["dimensions"][a].as_u64().unwrap() as usize)
        .collect();
    let at = |i: usize, j: usize, k: usize| texels[i + dims[0] * (j + dims[1] * k)];
    let mut pairs = 0;
    for k in 0..dims[2] {
        for j in 0..dims[1] {
            for i in 1..dims[0] {
                let (a, b) = (at(i - 1, j, k), at(i, j, k));
                if a.signum() == b.signum() {
                    assert!((a - b).abs() <= h * 1.001, "{a} then {b}, {h} apart");
                    pairs += 1;
                }
            }
        }
    }
    assert!(pairs > texels.len() / 2);
}

#[test]
fn a_narrow_band_clamps_and_dds_parses() {
    let d = TempDir::new("bake-band");
    let out = d.join("band.dds");
    let o = nsdf(&["bake", SHAPE, "-o", s(&out), "-r", "40", "--band", "0.05"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let dds = ddsfile::Dds::read(&std::fs::read(&out).unwrap()[..]).unwrap();
    assert_eq!(dds.get_dxgi_format(), Some(ddsfile::DxgiFormat::R16_Float));
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("band.json")).unwrap()).unwrap();
    assert_eq!(json["band"], 0.05f32 as f64);
    let want = eval(d.path(), &centres(&json));
    let band = half::f16::from_f32(0.05).to_f32();
    for (b, w) in dds.get_data(0).unwrap().chunks_exact(2).zip(&want) {
        let got = half::f16::from_le_bytes(b.try_into().unwrap()).to_f32();
        let w = half::f16::from_f32(w.clamp(-0.05, 0.05)).to_f32();
        assert!((got - w).abs() <= 1e-3 * band, "{got} vs {w}");
    }
}

#[test]
fn bad_arguments_and_files_fail_naming_the_problem_and_write_nothing() {
    let d = TempDir::new("bake-bad");
    let out = |name: &str| d.join(name).to_str().unwrap().to_string();
    let cases: [(&[&str], &str); 5] = [
        (&["bake", SHAPE, "-o", &out("x.png")], ".ktx2, .dds or .raw"),
        (
            &["bake", SHAPE, "-o", &out("x.ktx2"), "-r", "1"],
            "resolution",
        ),
        (
            &["bake", SHAPE, "-o", &out("x.ktx2"), "-r", "5000"],
            "resolution",
        ),
        (
            &["bake", SHAPE, "-o", &out("x.ktx2"), "--margin=-1"],
            "margin",
        ),
        (
            &["bake", SHAPE, "-o", &out("missing/dir/x.ktx2")],
            "missing/dir/x.ktx2",
        ),
    ];
    for (args, needle) in cases {
        let o = nsdf(args);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(needle), "{args:?}: {}", stderr(&o));
    }
    // Usage errors (clap): exit 2.
    for band in ["-1", "0", "nan", "wide"] {
        let o = nsdf(&["bake", SHAPE, "-o", &out("x.ktx2"), "--band", band]);
        assert_eq!(o.status.code(), Some(2), "{band}: {}", stderr(&o));
        assert!(stderr(&o).contains("positive width"), "{}", stderr(&o));
    }
    // A truncated shape: the runtime's error code, and no output.
    let bytes = std::fs::read(SHAPE).unwrap();
    let cut = d.join("cut.nsdf");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let o = nsdf(&["bake", s(&cut), "-o", &out("x.ktx2")]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("NSDF-E"), "{}", stderr(&o));
    assert_eq!(d.entries(), ["cut.nsdf"]);
}
