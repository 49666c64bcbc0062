//! End-to-end tests of the `nsdf` binary on files written here with the runtime's API.

use nsdf::{Activation, Encoding, Model, Scheme, Shape};
use nsdf_testing::{davies, Rng};
use nsdf_tools::cmd::text::group;
use serde_json::Value as Json;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// A fresh, empty directory for one test, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(test: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("nsdf-cli-{}-{test}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    /// Writes `bytes` to `name` and returns its path as a string for the command line.
    fn write(&self, name: &str, bytes: &[u8]) -> String {
        let p = self.path(name);
        std::fs::write(&p, bytes).unwrap();
        p.to_str().unwrap().to_string()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `nsdf args...` with `stdin` as standard input.
fn nsdf(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_nsdf"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    let stdin = stdin.to_vec();
    // Feed stdin from a thread so a command that writes before reading everything cannot deadlock.
    let feeder = std::thread::spawn(move || {
        let _ = input.write_all(&stdin);
    });
    let out = child.wait_with_output().unwrap();
    feeder.join().unwrap();
    out
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

/// Asserts a clean failure: the exit status, and at most a short message without a panic.
fn assert_fails(o: &Output, code: i32) -> String {
    let err = stderr(o);
    assert_eq!(
        o.status.code(),
        Some(code),
        "stdout: {}\nstderr: {err}",
        stdout(o)
    );
    assert!(
        !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
        "{err}"
    );
    err
}

fn json(o: &Output) -> Json {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(o)))
}

fn f32_of(v: &Json) -> f32 {
    v.as_f64().unwrap() as f32
}

/// A valid int8 Davies file in `dir`, its path and bytes.
fn davies_file(dir: &TempDir, seed: u64) -> (String, Vec<u8>) {
    let bytes = nsdf::to_bytes(&davies(seed, Scheme::Int8)).unwrap();
    (dir.write("davies.nsdf", &bytes), bytes)
}

#[test]
fn info_text_reports_architecture_chunks_transform_metadata_accuracy() {
    let dir = TempDir::new("info_text");
    let (file, bytes) = davies_file(&dir, 3);
    let o = nsdf(&["info", &file], b"");
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    let shape = Shape::from_bytes(&bytes).unwrap();
    for want in [
        "nsdf 1.0".to_string(),
        format!("{} bytes", group(bytes.len() as u64)),
        "parameters  7,553".into(),
        "9 dense".into(),
        "tanh".into(),
        "int8".into(),
        "ARCH".into(),
        "WGHT".into(),
        "XFRM".into(),
        "META".into(),
        "STAT".into(),
        "required".into(),
        "[0.1, -0.2, 0.05]".into(),
        "[-2.2, -1.6, -2.1] to [1.8, 2.4, 1.9]".into(),
        "nsdf.train.seed".into(),
        "\"test\"".into(),
        "gradient bound".into(),
        shape.network().lipschitz_bound().to_string(),
    ] {
        assert!(text.contains(&want), "missing {want:?} in\n{text}");
    }
    // One row per layer: index, in, out.
    assert_eq!(
        text.lines().filter(|l| l.contains(" relu ")).count(),
        8,
        "{text}"
    );

    let mut no_stats = davies(3, Scheme::F16);
    no_stats.stats = None;
    let file = dir.write("nostat.nsdf", &nsdf::to_bytes(&no_stats).unwrap());
    let text = stdout(&nsdf(&["info", &file], b""));
    assert!(
        text.contains("none stored") && text.contains("f16"),
        "{text}"
    );
}

#[test]
fn info_json_matches_the_file() {
    let dir = TempDir::new("info_json");
    let (file, bytes) = davies_file(&dir, 5);
    let o = nsdf(&["info", "--json", &file], b"");
    assert!(o.status.success(), "{}", stderr(&o));
    let j = json(&o);
    let parsed = nsdf::parse(&bytes).unwrap();
    let shape = Shape::from_bytes(&bytes).unwrap();

    assert_eq!(j["version"], "1.0");
    assert_eq!(j["file_size"], bytes.len() as u64);
    let arch = &j["architecture"];
    assert_eq!(arch["parameters"], 7553);
    assert_eq!(arch["encoding"]["type"], "none");
    let layers = arch["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 9);
    for (l, want) in layers.iter().zip(&parsed.model.layers) {
        assert_eq!(l["inputs"], want.inputs as u64);
        assert_eq!(l["outputs"], want.outputs as u64);
        assert_eq!(l["activation"], want.activation.name());
        assert_eq!(l["weights"], "int8");
    }
    let chunks = j["chunks"].as_array().unwrap();
    assert_eq!(chunks.len(), parsed.chunks.len());
    for (c, want) in chunks.iter().zip(&parsed.chunks) {
        assert_eq!(c["tag"], want.tag.to_string());
        assert_eq!(c["offset"], want.offset);
        assert_eq!(c["length"], want.length);
        assert_eq!(c["flags"], want.flags);
        assert_eq!(c["required"], want.required());
    }
    let t = &j["transform"];
    assert_eq!(f32_of(&t["scale"]), 0.5);
    assert_eq!(f32_of(&t["translation"][1]), -0.2);
    assert_eq!(f32_of(&t["distance_scale"]), 2.0);
    assert_eq!(f32_of(&t["bounds"]["max"][2]), 1.9);
    assert_eq!(j["metadata"]["nsdf.train.seed"]["type"], "int");
    assert_eq!(j["metadata"]["nsdf.train.seed"]["value"], 5);
    assert_eq!(j["metadata"]["nsdf.name"]["value"], "test");
    assert_eq!(f32_of(&j["stats"]["gradient_bound"]), 1.5);
    assert_eq!(j["stats"]["surface_samples"], 100_000);
    assert_eq!(
        f32_of(&j["lipschitz_bound"]),
        shape.network().lipschitz_bound()
    );

    // Another architecture: Fourier features, leaky ReLU with its parameter, f16 weights.
    let encoding = Encoding::Fourier { frequencies: 4 };
    let mut m = Model::zeros(
        encoding,
        &[16, 8],
        Activation::LeakyRelu(0.01),
        Activation::Identity,
    )
    .with_scheme(Scheme::F16);
    m.layers[2].bias[0] = 0.5;
    let file = dir.write("fourier.nsdf", &nsdf::to_bytes(&m).unwrap());
    let o = nsdf(&["info", "--json", &file], b"");
    assert!(o.status.success(), "{}", stderr(&o));
    let j = json(&o);
    let arch = &j["architecture"];
    assert_eq!(arch["encoding"]["type"], "fourier");
    assert_eq!(arch["encoding"]["frequencies"], 4);
    assert_eq!(arch["encoding"]["features"], 27);
    assert_eq!(arch["parameters"], m.parameter_count() as u64);
    assert_eq!(arch["layers"][0]["inputs"], 27);
    assert_eq!(arch["layers"][0]["activation"], "leaky_relu");
    assert_eq!(f32_of(&arch["layers"][0]["activation_param"]), 0.01);
    assert_eq!(arch["layers"][2]["activation"], "identity");
    assert!(arch["layers"][2]["activation_param"].is_null());
    assert_eq!(arch["layers"][1]["weights"], "f16");
    assert!(j["stats"].is_null());
    assert_eq!(j["metadata"].as_object().unwrap().len(), 0);
    let text = stdout(&nsdf(&["info", &file], b""));
    assert!(
        text.contains("fourier, 4 frequencies (27 features") && text.contains("leaky_relu(0.01)"),
        "{text}"
    );
}

#[test]
fn validate_passes_valid_files_and_reports_corruption() {
    let dir = TempDir::new("validate");
    let (good, bytes) = davies_file(&dir, 7);
    let o = nsdf(&["validate", &good], b"");
    assert!(o.status.success(), "{}", stdout(&o));
    assert!(stdout(&o).contains("valid"));

    // A flipped weight byte: the WGHT checksum no longer matches.
    let wght = nsdf::parse(&bytes)
        .unwrap()
        .chunks
        .into_iter()
        .find(|c| c.tag.to_string() == "WGHT")
        .unwrap();
    let mut flipped = bytes.clone();
    flipped[(wght.offset + wght.length / 2) as usize] ^= 0x40;
    let flipped = dir.write("flipped.nsdf", &flipped);
    let o = nsdf(&["validate", &flipped], b"");
    assert_fails(&o, 1);
    let text = stdout(&o);
    assert!(
        text.contains("NSDF-E008") && text.contains(&format!("@{}", wght.offset)),
        "{text}"
    );

    let truncated = dir.write("truncated.nsdf", &bytes[..bytes.len() - 100]);
    let o = nsdf(&["validate", &truncated], b"");
    assert_fails(&o, 1);
    assert!(stdout(&o).contains("NSDF-E005"), "{}", stdout(&o));

    // Several files at once; one bad file fails the run, and JSON lists them all.
    let missing = dir.path("missing.nsdf");
    let o = nsdf(
        &[
            "validate",
            "--json",
            &good,
            &flipped,
            &truncated,
            missing.to_str().unwrap(),
        ],
        b"",
    );
    assert_fails(&o, 1);
    let j = json(&o);
    let files = j.as_array().unwrap();
    assert_eq!(files.len(), 4);
    assert_eq!(files[0]["valid"], true);
    assert_eq!(files[0]["issues"].as_array().unwrap().len(), 0);
    let codes: Vec<_> = files[1..]
        .iter()
        .map(|f| f["issues"][0]["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["NSDF-E008", "NSDF-E005", "NSDF-E100"]);
    assert!(files[1..]
        .iter()
        .all(|f| f["valid"] == false && f["issues"][0]["severity"] == "error"));
    assert_eq!(files[1]["issues"][0]["offset"], wght.offset);
    assert!(files[3]["issues"][0]["offset"].is_null());

    // Warnings alone pass.
    let mut no_stats = davies(7, Scheme::F32);
    no_stats.stats = None;
    let no_stats = dir.write("nostat.nsdf", &nsdf::to_bytes(&no_stats).unwrap());
    let o = nsdf(&["validate", &no_stats], b"");
    assert!(o.status.success(), "{}", stdout(&o));
    assert!(stdout(&o).contains("NSDF-W002"), "{}", stdout(&o));
}

/// Random points and the distances/gradients the runtime gives in a batch (what `eval` calls).
fn points_and_truth(bytes: &[u8], n: usize) -> (Vec<[f32; 3]>, Vec<f32>, Vec<[f32; 3]>) {
    let shape = Shape::from_bytes(bytes).unwrap();
    let mut rng = Rng(11);
    let points: Vec<_> = (0..n).map(|_| rng.point(2.5)).collect();
    let mut dist = vec![0.0; n];
    let mut grad = vec![[0.0; 3]; n];
    shape.gradients(&points, &mut dist, &mut grad);
    let mut only = vec![0.0; n];
    shape.distances(&points, &mut only);
    assert_eq!(only, dist);
    for (p, d) in points.iter().zip(&dist) {
        assert!((shape.distance(*p) - d).abs() <= 1e-5 * (1.0 + d.abs()));
    }
    (points, dist, grad)
}

#[test]
fn eval_text_round_trips_exactly() {
    let dir = TempDir::new("eval_text");
    let (file, bytes) = davies_file(&dir, 13);
    let (points, dist, grad) = points_and_truth(&bytes, 500);
    let mut text = String::from("# x y z\n\n");
    for (i, p) in points.iter().enumerate() {
        // Mix the accepted separators.
        match i % 3 {
            0 => text += &format!("{} {} {}\n", p[0], p[1], p[2]),
            1 => text += &format!("{},{}, {}  # comment\n", p[0], p[1], p[2]),
            _ => text += &format!("\t{}\t{}\t{}\r\n", p[0], p[1], p[2]),
        }
    }

    let o = nsdf(&["eval", &file], text.as_bytes());
    assert!(o.status.success(), "{}", stderr(&o));
    let got: Vec<f32> = stdout(&o).lines().map(|l| l.parse().unwrap()).collect();
    assert_eq!(got, dist);

    let input = dir.write("points.txt", text.as_bytes());
    let out = dir.path("out.txt");
    let o = nsdf(
        &[
            "eval",
            &file,
            "-i",
            &input,
            "-o",
            out.to_str().unwrap(),
            "--gradient",
        ],
        b"",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(o.stdout.is_empty());
    let lines: Vec<Vec<f32>> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(|l| l.split(' ').map(|v| v.parse().unwrap()).collect())
        .collect();
    assert_eq!(lines.len(), points.len());
    for ((l, d), g) in lines.iter().zip(&dist).zip(&grad) {
        assert_eq!(l, &[*d, g[0], g[1], g[2]]);
    }
}

#[test]
fn eval_exact_gives_distances_to_the_zero_set_outside_too() {
    let file = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../spec/vectors/valid/davies-int8.nsdf"
    );
    let points = b"5 0 0\n6 0 0\n";
    let values = |args: &[&str]| -> Vec<Vec<f32>> {
        let o = nsdf(args, points);
        assert!(o.status.success(), "{}", stderr(&o));
        stdout(&o)
            .lines()
            .map(|l| l.split(' ').map(|v| v.parse().unwrap()).collect())
            .collect()
    };
    // At x = 5, 3.2 units beyond its bounds (x ≤ 1.8), the network says "inside", and not by a
    // distance.
    let raw = values(&["eval", file, "--gradient"]);
    assert!(raw[0][0] < 0.0 && raw[1][0] < 0.0, "{raw:?}");
    // Re-distanced: outside, one unit farther one unit along, pointing away.
    let exact = values(&["eval", file, "--gradient", "--exact"]);
    assert!(exact[0][0] > 3.0, "{exact:?}");
    assert!((exact[1][0] - exact[0][0] - 1.0).abs() < 1e-3, "{exact:?}");
    assert!(exact[0][1] > 0.99, "{exact:?}");
}

#[test]
fn eval_binary_round_trips_exactly() {
    let dir = TempDir::new("eval_binary");
    let (file, bytes) = davies_file(&dir, 17);
    let (points, dist, grad) = points_and_truth(&bytes, 300);
    let raw: Vec<u8> = points
        .iter()
        .flatten()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    let floats = |b: &[u8]| -> Vec<f32> {
        b.chunks_exact(4)
            .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
            .collect()
    };

    // By flag, from stdin.
    let o = nsdf(&["eval", &file, "--binary-in", "--binary-out"], &raw);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(floats(&o.stdout), dist);

    // By extension, with gradients.
    let input = dir.write("points.f32", &raw);
    let o = nsdf(
        &["eval", &file, "-i", &input, "--binary-out", "--gradient"],
        b"",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let want: Vec<f32> = dist
        .iter()
        .zip(&grad)
        .flat_map(|(d, g)| [*d, g[0], g[1], g[2]])
        .collect();
    assert_eq!(floats(&o.stdout), want);

    // Binary in, text out.
    let o = nsdf(&["eval", &file, "-i", &input], b"");
    let got: Vec<f32> = stdout(&o).lines().map(|l| l.parse().unwrap()).collect();
    assert_eq!(got, dist);
}

#[test]
fn eval_rejects_malformed_points_with_the_line() {
    let dir = TempDir::new("eval_errors");
    let (file, _) = davies_file(&dir, 19);
    let cases: [(&[u8], &str); 5] = [
        (
            b"1 2 3\n# c\n4 5\n",
            "line 3: expected 3 numbers (x y z), found 2",
        ),
        (b"1 2 3 4\n", "line 1: expected 3 numbers (x y z), found 4"),
        (b"\n1 2 3\n1 two 3\n", "line 3: 'two' is not a number"),
        (
            b"1 2 3\n0 nan 0\n",
            "line 2: coordinate 'nan' is not a finite float32",
        ),
        (
            b"1 2 1e40\n",
            "line 1: coordinate '1e40' is not a finite float32",
        ),
    ];
    for (input, want) in cases {
        let err = assert_fails(&nsdf(&["eval", &file], input), 1);
        assert_eq!(err.trim_end(), format!("nsdf: <stdin>: {want}"));
    }

    let err = assert_fails(&nsdf(&["eval", &file, "--binary-in"], &[0u8; 25]), 1);
    assert!(err.contains("25 bytes, not a multiple of 12"), "{err}");
    let mut raw = [0u8; 24];
    raw[16..20].copy_from_slice(&f32::INFINITY.to_le_bytes());
    let err = assert_fails(&nsdf(&["eval", &file, "--binary-in"], &raw), 1);
    assert!(err.contains("point 1 (byte offset 12)"), "{err}");

    // A failed run leaves no output file behind.
    let out = dir.path("never.txt");
    assert_fails(
        &nsdf(&["eval", &file, "-o", out.to_str().unwrap()], b"1 2\n"),
        1,
    );
    assert!(!out.exists());
    let missing = dir.path("missing.txt");
    let err = assert_fails(
        &nsdf(&["eval", &file, "-i", missing.to_str().unwrap()], b""),
        1,
    );
    assert!(
        err.starts_with("nsdf: ") && err.contains("missing.txt"),
        "{err}"
    );
}

#[test]
fn eval_stops_quietly_when_the_reader_goes_away() {
    let dir = TempDir::new("eval_pipe");
    let (file, _) = davies_file(&dir, 23);
    let mut rng = Rng(1);
    let points: Vec<u8> = (0..100_000)
        .flat_map(|_| rng.point(2.0))
        .flat_map(|v| v.to_le_bytes())
        .collect();
    let input = dir.write("many.f32", &points);
    let mut child = Command::new(env!("CARGO_BIN_EXE_nsdf"))
        .args(["eval", &file, "-i", &input])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Like `| head -c 16`: read a little, then close the pipe.
    let mut first = [0u8; 16];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    let o = child.wait_with_output().unwrap();
    let err = stderr(&o);
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        o.status.code().is_some(),
        "killed by a signal: {:?}",
        o.status
    );
}

#[test]
fn bench_json_has_positive_rates() {
    let dir = TempDir::new("bench");
    let (file, bytes) = davies_file(&dir, 29);
    let o = nsdf(
        &[
            "bench",
            &file,
            "--points",
            "300",
            "--threads",
            "2",
            "--repeat",
            "2",
            "--json",
        ],
        b"",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let j = json(&o);
    assert_eq!(j["file"], file.as_str());
    assert_eq!(j["file_size"], bytes.len() as u64);
    assert_eq!(j["points"], 300);
    assert_eq!(j["threads"], 2);
    assert_eq!(j["repeat"], 2);
    let backend = j["backend"].as_str().unwrap();
    assert!(
        nsdf::Backend::ALL.iter().any(|b| b.name() == backend),
        "{backend}"
    );
    assert_eq!(backend, nsdf::Backend::detect().name());
    for key in [
        "distance_points_per_s",
        "distance_points_per_s_best",
        "gradient_points_per_s",
        "gradient_points_per_s_best",
        "gradient_cost_ratio",
        "single_point_ns",
        "single_gradient_ns",
        "parse_us",
        "load_us",
    ] {
        let v = j[key]
            .as_f64()
            .unwrap_or_else(|| panic!("{key} missing in {j}"));
        assert!(v > 0.0 && v.is_finite(), "{key} = {v}");
    }
    assert!(j["distance_points_per_s_best"].as_f64() >= j["distance_points_per_s"].as_f64());

    // Every backend by name: the ones this CPU runs work, the others fail cleanly.
    for b in nsdf::Backend::ALL {
        let o = nsdf(
            &[
                "bench",
                &file,
                "--points",
                "50",
                "--repeat",
                "1",
                "--backend",
                b.name(),
            ],
            b"",
        );
        match b.is_available() {
            true => assert!(
                o.status.success() && stdout(&o).contains(b.name()),
                "{}",
                stderr(&o)
            ),
            false => assert!(
                assert_fails(&o, 1).contains("not supported"),
                "{}",
                stderr(&o)
            ),
        }
    }
}

#[test]
fn usage_errors_exit_2() {
    let dir = TempDir::new("usage");
    let (file, _) = davies_file(&dir, 31);
    for args in [
        vec![],
        vec!["frobnicate"],
        vec!["info"],
        vec!["info", "--bogus", &file],
        vec!["validate"],
        vec!["bench", &file, "--points", "0"],
        vec!["bench", &file, "--points", "many"],
        vec!["bench", &file, "--threads", "0"],
        vec!["bench", &file, "--backend", "quantum"],
        vec!["eval", &file, "--backend", "quantum"],
    ] {
        let err = assert_fails(&nsdf(&args, b""), 2);
        assert!(
            err.contains("Usage:") || err.contains("--help"),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn unreadable_files_fail_with_one_line() {
    let dir = TempDir::new("unreadable");
    let missing = dir.path("missing.nsdf");
    let missing = missing.to_str().unwrap();
    let not_nsdf = dir.write("text.nsdf", b"hello, world");
    let empty = dir.write("empty.nsdf", b"");
    for cmd in ["info", "eval", "bench"] {
        for (file, code) in [
            (missing, "NSDF-E100"),
            (not_nsdf.as_str(), "NSDF-E002"),
            (empty.as_str(), "NSDF-E001"),
        ] {
            let err = assert_fails(&nsdf(&[cmd, file], b"0 0 0\n"), 1);
            assert_eq!(err.lines().count(), 1, "{cmd} {file}: {err}");
            assert!(
                err.starts_with(&format!("nsdf: {file}: {code}: ")),
                "{cmd}: {err}"
            );
        }
    }
}

#[test]
fn output_file_is_replaced_atomically() {
    let dir = TempDir::new("atomic");
    let (file, _) = davies_file(&dir, 37);
    let out = dir.path("d.txt");
    std::fs::write(&out, "old contents\n").unwrap();
    let o = nsdf(&["eval", &file, "-o", out.to_str().unwrap()], b"0 0 0\n");
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(&out).unwrap();
    assert_eq!(text.lines().count(), 1);
    let d: f32 = text.trim().parse().unwrap();
    let mut want = [0.0];
    Shape::open(Path::new(&file))
        .unwrap()
        .distances(&[[0.0; 3]], &mut want);
    assert_eq!(d, want[0]);
    // Only the output is left: no temporary files.
    let names: Vec<_> = std::fs::read_dir(&dir.0)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}
