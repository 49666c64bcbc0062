//! `nsdf import`: Keras HDF5 and safetensors networks against an f64 evaluation of the original
//! arrays (written here, independently of the importer's layout handling), bad input, and the
//! Davies et al. networks in ../shared when present.

use hdf5_pure::{AttrValue, FileBuilder, GroupBuilder};
use nsdf::Shape;
use nsdf_testing::Rng;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const DAVIES: &str = "../../shared/davies-networks";

/// A fresh, empty directory for one test, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(test: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("nsdf-import-{}-{test}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `nsdf args...`. Imports get an 8³ deviation grid unless the test sets `--grid`: a debug
/// build takes minutes over the default 64³ for all eight Davies networks.
/// Fails the test with the command's stderr unless it succeeded.
fn assert_ok(run: &Output) {
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
}

fn nsdf(args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_nsdf"));
    cmd.args(args);
    if args.first() == Some(&"import") && !args.contains(&"--grid") {
        cmd.args(["--grid", "8"]);
    }
    cmd.output().unwrap()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A dense layer as Keras stores it: kernel `(in, out)` row-major, bias `(out,)`.
#[derive(Clone)]
struct Dense {
    inputs: usize,
    outputs: usize,
    kernel: Vec<f32>,
    bias: Vec<f32>,
}

fn random_dense(rng: &mut Rng, sizes: &[usize]) -> Vec<Dense> {
    sizes
        .windows(2)
        .map(|w| {
            let a = (6.0 / (w[0] + w[1]) as f32).sqrt();
            Dense {
                inputs: w[0],
                outputs: w[1],
                kernel: (0..w[0] * w[1]).map(|_| rng.uniform(-a, a)).collect(),
                bias: (0..w[1]).map(|_| rng.uniform(-0.1, 0.1)).collect(),
            }
        })
        .collect()
}

/// `relu(... relu(x·W0 + b0) ...)` then `tanh(x·Wn + bn)`, in f64.
fn reference(layers: &[Dense], p: [f32; 3]) -> f64 {
    reference_with(layers, p, f64::tanh)
}

/// The same with another output activation.
fn reference_with(layers: &[Dense], p: [f32; 3], output: fn(f64) -> f64) -> f64 {
    let mut x: Vec<f64> = p.iter().map(|&v| v as f64).collect();
    for (i, l) in layers.iter().enumerate() {
        let mut y: Vec<f64> = l.bias.iter().map(|&b| b as f64).collect();
        for (r, &xi) in x.iter().enumerate() {
            for (o, yo) in y.iter_mut().enumerate() {
                *yo += xi * l.kernel[r * l.outputs + o] as f64;
            }
        }
        let last = i + 1 == layers.len();
        x = y
            .into_iter()
            .map(|v| if last { output(v) } else { v.max(0.0) })
            .collect();
    }
    x[0]
}

/// Keras layer names: `dense`, `dense_1`, ...
fn layer_names(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| match i {
            0 => "dense".to_string(),
            _ => format!("dense_{i}"),
        })
        .collect()
}

/// Fills a layer group as Keras does: attribute `weight_names` and the datasets in a subgroup
/// named after the layer. Tensors whose name starts with `absent` are listed but not written.
fn fill_layer(g: &mut GroupBuilder, name: &str, tensors: &[(String, Vec<u64>, Vec<f32>)]) {
    let listed = tensors.iter().map(|t| format!("{name}/{}", t.0)).collect();
    g.set_attr("weight_names", AttrValue::AsciiStringArray(listed));
    let mut inner = g.create_group(name);
    for (t, shape, data) in tensors.iter().filter(|t| !t.0.starts_with("absent")) {
        inner
            .create_dataset(t)
            .with_f32_data(data)
            .with_shape(shape);
    }
    g.add_group(inner.finish());
}

fn tensors(l: &Dense) -> Vec<(String, Vec<u64>, Vec<f32>)> {
    let kernel_shape = vec![l.inputs as u64, l.outputs as u64];
    vec![
        ("kernel:0".to_string(), kernel_shape, l.kernel.clone()),
        ("bias:0".to_string(), vec![l.outputs as u64], l.bias.clone()),
    ]
}

/// A Keras `save_weights` file: root attribute `layer_names`, per layer a group with
/// `weight_names` and the datasets at `<layer>/<layer>/kernel:0` and `bias:0`. `edit` may change
/// layer i's tensors first.
fn keras_h5(
    layers: &[Dense],
    edit: impl Fn(usize, &mut Vec<(String, Vec<u64>, Vec<f32>)>),
) -> Vec<u8> {
    let mut fb = FileBuilder::new();
    let names = layer_names(layers.len());
    fb.set_attr("layer_names", AttrValue::AsciiStringArray(names.clone()));
    fb.set_attr("backend", AttrValue::String("tensorflow".into()));
    for (i, (l, name)) in layers.iter().zip(&names).enumerate() {
        let mut t = tensors(l);
        edit(i, &mut t);
        let mut g = fb.create_group(name);
        fill_layer(&mut g, name, &t);
        fb.add_group(g.finish());
    }
    fb.finish().unwrap()
}

/// A whole-model save (`model.save("m.h5")`): the architecture JSON in the root attribute
/// `model_config`, the weights under the group `model_weights`.
fn whole_model_h5(layers: &[Dense], config: &str) -> Vec<u8> {
    let mut fb = FileBuilder::new();
    fb.set_attr("model_config", AttrValue::String(config.into()));
    let names = layer_names(layers.len());
    let mut weights = fb.create_group("model_weights");
    weights.set_attr("layer_names", AttrValue::AsciiStringArray(names.clone()));
    for (l, name) in layers.iter().zip(&names) {
        let mut g = weights.create_group(name);
        fill_layer(&mut g, name, &tensors(l));
        weights.add_group(g.finish());
    }
    fb.add_group(weights.finish());
    fb.finish().unwrap()
}

fn davies_layers(seed: u64) -> Vec<Dense> {
    let mut sizes = vec![3];
    sizes.extend([32; 8]);
    sizes.push(1);
    random_dense(&mut Rng(seed), &sizes)
}

/// Max |imported − reference| over random points in the network domain.
fn max_error(shape: &Shape, layers: &[Dense], points: usize, seed: u64) -> f64 {
    let mut rng = Rng(seed);
    (0..points)
        .map(|_| {
            let p = rng.point(1.0);
            (shape.distance(p) as f64 - reference(layers, p)).abs()
        })
        .fold(0.0, f64::max)
}

/// f32 evaluation of a 9-layer network with O(1) activations: errors of a few float32 ulps
/// (measured up to 4.5e-7 on the Davies networks), far below what a layout mistake would give.
const F32_ROUNDING: f64 = 2e-6;

#[test]
fn keras_weights_match_the_original_network() {
    let layers = davies_layers(1);
    let dir = TempDir::new("keras");
    let h5 = dir.write("net.h5", &keras_h5(&layers, |_, _| {}));
    let out = dir.path("net.nsdf");
    let run = nsdf(&["import", s(&h5), "-o", s(&out)]);
    assert_ok(&run);
    let shape = Shape::open(&out).unwrap();
    assert_eq!(shape.parameter_count(), 7553);
    let err = max_error(&shape, &layers, 4000, 2);
    assert!(err < F32_ROUNDING, "max |imported - original| = {err}");
    assert_eq!(shape.bounds(), [[-1.0; 3], [1.0; 3]]);
    assert_eq!(
        shape.meta("nsdf.source.name").map(|v| v.to_string()),
        Some("net.h5".into())
    );
    let sha = shape.meta("nsdf.source.sha256").unwrap().to_string();
    assert_eq!(sha.len(), 64);
}

#[test]
fn whole_model_saves_use_their_model_config() {
    // The config makes the last layer linear, not Davies et al.'s tanh: the import must follow it.
    let layers = random_dense(&mut Rng(15), &[3, 16, 16, 1]);
    let dense = |name: &str, act: &str| {
        format!(
            r#"{{"class_name":"Dense","config":{{"name":"{name}","units":16,"activation":"{act}"}}}}"#
        )
    };
    let config = format!(
        r#"{{"class_name":"Sequential","config":{{"layers":[{},{{"class_name":"Dropout","config":{{"name":"dropout"}}}},{},{}]}}}}"#,
        dense("dense", "relu"),
        dense("dense_1", "relu"),
        dense("dense_2", "linear")
    );
    let dir = TempDir::new("whole");
    let h5 = dir.write("model.h5", &whole_model_h5(&layers, &config));
    let out = dir.path("model.nsdf");
    let run = nsdf(&["import", s(&h5), "-o", s(&out)]);
    assert_ok(&run);
    let shape = Shape::open(&out).unwrap();
    let mut rng = Rng(16);
    for _ in 0..1000 {
        let p = rng.point(1.0);
        let want = reference_with(&layers, p, |v| v);
        let got = shape.distance(p) as f64;
        assert!(
            (got - want).abs() < F32_ROUNDING * (1.0 + want.abs()),
            "{got} vs {want}"
        );
    }
}

#[test]
fn frame_options_map_the_world_onto_the_network() {
    let layers = davies_layers(3);
    let dir = TempDir::new("frame");
    let h5 = dir.write("net.h5", &keras_h5(&layers, |_, _| {}));
    let out = dir.path("net.nsdf");
    let args = [
        "import",
        s(&h5),
        "-o",
        s(&out),
        "--center",
        "1,-2,3",
        "--radius",
        "9",
        "--flip-sign",
    ];
    let run = nsdf(&args);
    assert_ok(&run);
    let shape = Shape::open(&out).unwrap();
    // The world ball (centre c, radius 9) is the network's radius-0.9 ball: scale 0.1.
    let mut rng = Rng(4);
    for _ in 0..500 {
        let q = rng.point(1.0);
        let world = [10.0 * q[0] + 1.0, 10.0 * q[1] - 2.0, 10.0 * q[2] + 3.0];
        let expected = -10.0 * reference(&layers, q);
        let got = shape.distance(world) as f64;
        assert!(
            (got - expected).abs() < 10.0 * F32_ROUNDING,
            "{got} vs {expected}"
        );
    }
    let b = shape.bounds();
    assert_eq!(b, [[-9.0, -12.0, -7.0], [11.0, 8.0, 13.0]]);
}

/// Runs `nsdf import` on a bad file: it must fail with a message containing `expect`, exit 1
/// and leave no output file.
fn rejects(dir: &TempDir, name: &str, bytes: &[u8], extra: &[&str], expect: &str) {
    let input = dir.write(name, bytes);
    let out = dir.path("out.nsdf");
    let mut args = vec!["import", s(&input), "-o", s(&out)];
    args.extend_from_slice(extra);
    let run = nsdf(&args);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "{name}: {stderr}");
    assert!(
        stderr.contains(expect),
        "{name}: expected '{expect}' in: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!out.exists(), "{name}: a failed import left an output file");
}

#[test]
fn bad_keras_files_are_clear_errors() {
    let layers = davies_layers(5);
    let dir = TempDir::new("bad-keras");
    let nan = keras_h5(&layers, |i, t| {
        if i == 4 {
            t[0].2[7] = f32::NAN;
        }
    });
    rejects(
        &dir,
        "nan.h5",
        &nan,
        &[],
        "dense_4/dense_4/kernel:0: element 7 is NaN",
    );
    let missing = keras_h5(&layers, |i, t| {
        if i == 2 {
            t[1].0 = "absent_bias:0".into();
        }
    });
    rejects(
        &dir,
        "missing.h5",
        &missing,
        &[],
        "missing tensor dense_2/dense_2/absent_bias:0",
    );
    let unsupported = keras_h5(&layers, |i, t| {
        if i == 3 {
            t.push(("gamma:0".into(), vec![32], vec![1.0; 32]));
        }
    });
    rejects(&dir, "bn.h5", &unsupported, &[], "unsupported layer");
    let mut narrow = layers.clone();
    narrow[5] = random_dense(&mut Rng(6), &[32, 16]).remove(0);
    rejects(
        &dir,
        "mismatch.h5",
        &keras_h5(&narrow, |_, _| {}),
        &[],
        "dense_6/dense_6/kernel:0: shape mismatch: takes 32 inputs but 'dense_5/dense_5/kernel:0' gives 16",
    );
    let good = keras_h5(&layers, |_, _| {});
    rejects(&dir, "cut.h5", &good[..good.len() / 2], &[], "cut.h5");
    rejects(&dir, "text.h5", b"not hdf5 at all", &[], "not an HDF5 file");
    // Architecture JSON with a layer nsdf cannot run.
    let arch = r#"{"class_name":"Sequential","config":{"layers":[
        {"class_name":"Conv2D","config":{"name":"conv","activation":"relu"}}]}}"#;
    let arch_path = dir.write("arch.json", arch.as_bytes());
    rejects(
        &dir,
        "conv.h5",
        &good,
        &["--arch", s(&arch_path)],
        "unsupported layer class 'Conv2D'",
    );
    let arch = r#"{"config":{"layers":[{"class_name":"Dense","config":{"name":"dense","activation":"sigmoid"}}]}}"#;
    let arch_path = dir.write("arch2.json", arch.as_bytes());
    rejects(
        &dir,
        "sig.h5",
        &good,
        &["--arch", s(&arch_path)],
        "unsupported activation 'sigmoid'",
    );
}

/// Every prefix at a stride and random byte flips: errors or valid models, never a panic.
fn survives_damage(bytes: &[u8], stride: usize, flips: usize) -> (usize, usize) {
    let mut rejected = 0;
    let mut tries = 0;
    let mut check = |b: Vec<u8>| {
        tries += 1;
        match nsdf_import::keras::read(b, None) {
            Ok(layers) => {
                let all_finite = layers
                    .iter()
                    .all(|l| l.weights.iter().chain(&l.bias).all(|x| x.is_finite()));
                assert!(all_finite, "accepted non-finite weights");
            }
            Err(e) => {
                assert!(!e.0.is_empty());
                rejected += 1;
            }
        }
    };
    for len in (0..bytes.len()).step_by(stride) {
        check(bytes[..len].to_vec());
    }
    let mut rng = Rng(7);
    for _ in 0..flips {
        let mut b = bytes.to_vec();
        for _ in 0..3 {
            let i = (rng.next_u64() % b.len() as u64) as usize;
            b[i] ^= 1 << (rng.next_u64() % 8);
        }
        check(b);
    }
    (rejected, tries)
}

#[test]
fn damaged_keras_files_never_panic() {
    let bytes = keras_h5(&davies_layers(8), |_, _| {});
    let (rejected, tries) = survives_damage(&bytes, 31, 500);
    // Every proper prefix is missing data, so at least those are rejected.
    assert!(rejected >= bytes.len() / 31, "{rejected} of {tries}");
}

#[test]
fn damaged_davies_files_never_panic() {
    let Some(files) = davies_files() else { return };
    let bytes = std::fs::read(&files[0]).unwrap();
    let (rejected, tries) = survives_damage(&bytes, 37, 1000);
    assert!(rejected >= bytes.len() / 37, "{rejected} of {tries}");
}

fn davies_files() -> Option<Vec<PathBuf>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(DAVIES);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        notice(&format!(
            "SKIP: {} not present; Davies networks not imported",
            dir.display()
        ));
        return None;
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "h5"))
        .collect();
    files.sort();
    Some(files)
}

/// Reads a Davies network's arrays directly (fixed dataset paths), for the reference.
fn davies_arrays(path: &Path) -> Vec<Dense> {
    let file = hdf5_pure::File::open(path).unwrap();
    (0..9)
        .map(|i| {
            let name = if i == 0 {
                "dense".to_string()
            } else {
                format!("dense_{i}")
            };
            let k = file.dataset(&format!("{name}/{name}/kernel:0")).unwrap();
            let shape = k.shape().unwrap();
            let b = file.dataset(&format!("{name}/{name}/bias:0")).unwrap();
            Dense {
                inputs: shape[0] as usize,
                outputs: shape[1] as usize,
                kernel: k.read().unwrap(),
                bias: b.read().unwrap(),
            }
        })
        .collect()
}

#[test]
fn davies_networks_match_the_original() {
    let Some(files) = davies_files() else { return };
    let dir = TempDir::new("davies");
    let arch = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(DAVIES)
        .join("neuralGeomKey.json");
    for file in &files {
        let layers = davies_arrays(file);
        let out = dir.path("net.nsdf");
        let run = nsdf(&["import", s(file), "-o", s(&out), "--arch", s(&arch)]);
        assert!(
            run.status.success(),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
        let shape = Shape::open(&out).unwrap();
        let err = max_error(&shape, &layers, 5_000, 9);
        println!(
            "{}: max |f32 import - f64 original| = {err:.2e}",
            file.display()
        );
        assert!(err < F32_ROUNDING, "{}: {err}", file.display());
    }
}

/// A safetensors file as `torch.save_file(model.state_dict())` writes it: `net.<k>.weight`
/// `(out, in)` and `net.<k>.bias`, Sequential indices skipping the activation modules.
fn state_dict(layers: &[Dense], edit: impl Fn(&str, &mut Vec<usize>, &mut Vec<f32>)) -> Vec<u8> {
    let mut tensors = Vec::new();
    for (i, l) in layers.iter().enumerate() {
        let mut w = vec![0.0; l.kernel.len()];
        for r in 0..l.inputs {
            for o in 0..l.outputs {
                w[o * l.inputs + r] = l.kernel[r * l.outputs + o];
            }
        }
        tensors.push((
            format!("net.{}.weight", 2 * i),
            vec![l.outputs, l.inputs],
            w,
        ));
        tensors.push((
            format!("net.{}.bias", 2 * i),
            vec![l.outputs],
            l.bias.clone(),
        ));
    }
    for (name, shape, data) in &mut tensors {
        edit(name, shape, data);
    }
    let bytes: Vec<(String, Vec<usize>, Vec<u8>)> = tensors
        .into_iter()
        .map(|(n, sh, d)| (n, sh, d.iter().flat_map(|x| x.to_le_bytes()).collect()))
        .collect();
    let views: Vec<(String, safetensors::tensor::TensorView<'_>)> = bytes
        .iter()
        .map(|(n, sh, d)| {
            let v = safetensors::tensor::TensorView::new(safetensors::Dtype::F32, sh.clone(), d);
            (n.clone(), v.unwrap())
        })
        .collect();
    safetensors::serialize(views, None).unwrap()
}

fn layers_json(n: usize) -> String {
    let layers: Vec<String> = (0..n)
        .map(|i| {
            let act = if i + 1 == n { "tanh" } else { "relu" };
            format!(
                r#"{{"weight":"net.{0}.weight","bias":"net.{0}.bias","activation":"{act}"}}"#,
                2 * i
            )
        })
        .collect();
    format!(r#"{{"encoding":"none","layers":[{}]}}"#, layers.join(","))
}

#[test]
fn safetensors_state_dicts_match_the_original_network() {
    let layers = random_dense(&mut Rng(10), &[3, 16, 16, 16, 1]);
    let dir = TempDir::new("safetensors");
    let st = dir.write("net.safetensors", &state_dict(&layers, |_, _, _| {}));
    let desc = dir.write("layers.json", layers_json(4).as_bytes());
    let by_json = dir.path("a.nsdf");
    let by_acts = dir.path("b.nsdf");
    let run = nsdf(&["import", s(&st), "-o", s(&by_json), "--layers", s(&desc)]);
    assert_ok(&run);
    let run = nsdf(&[
        "import",
        s(&st),
        "-o",
        s(&by_acts),
        "--activations",
        "relu*3,tanh",
    ]);
    assert_ok(&run);
    assert_eq!(
        std::fs::read(&by_json).unwrap(),
        std::fs::read(&by_acts).unwrap()
    );
    let shape = Shape::open(&by_json).unwrap();
    let err = max_error(&shape, &layers, 4000, 11);
    assert!(err < F32_ROUNDING, "max |imported - original| = {err}");
}

#[test]
fn bad_safetensors_files_are_clear_errors() {
    let layers = random_dense(&mut Rng(12), &[3, 8, 8, 1]);
    let dir = TempDir::new("bad-safetensors");
    let desc = dir.write("layers.json", layers_json(3).as_bytes());
    let nan = state_dict(&layers, |n, _, d| {
        if n == "net.2.bias" {
            d[3] = f32::NAN
        }
    });
    let d = ["--layers", s(&desc)];
    rejects(
        &dir,
        "nan.safetensors",
        &nan,
        &d,
        "net.2.bias: element 3 is NaN",
    );
    let renamed = state_dict(&layers, |_, _, _| {});
    let bad_desc = dir.write(
        "typo.json",
        layers_json(3)
            .replace("net.4.bias", "net.4.bais")
            .as_bytes(),
    );
    rejects(
        &dir,
        "typo.safetensors",
        &renamed,
        &["--layers", s(&bad_desc)],
        "missing tensor 'net.4.bais'",
    );
    let mut wide = layers.clone();
    wide[1] = random_dense(&mut Rng(13), &[9, 8]).remove(0);
    let wide = state_dict(&wide, |_, _, _| {});
    rejects(
        &dir,
        "wide.safetensors",
        &wide,
        &d,
        "net.2.weight: shape mismatch: takes 9 inputs but 'net.0.weight' gives 8",
    );
    let good = state_dict(&layers, |_, _, _| {});
    rejects(
        &dir,
        "cut.safetensors",
        &good[..good.len() - 5],
        &d,
        "not a readable safetensors file",
    );
    rejects(
        &dir,
        "count.safetensors",
        &good,
        &["--activations", "relu,tanh"],
        "--activations lists 2 layers but the file has 3",
    );
    rejects(&dir, "none.safetensors", &good, &[], "describe the layers");
}

#[test]
fn quantized_import_reports_its_deviation() {
    let layers = davies_layers(14);
    let dir = TempDir::new("quant");
    let h5 = dir.write("net.h5", &keras_h5(&layers, |_, _| {}));
    let out = dir.path("q.nsdf");
    let run = nsdf(&[
        "import",
        s(&h5),
        "-o",
        s(&out),
        "--quant",
        "int8",
        "--grid",
        "16",
    ]);
    assert_ok(&run);
    let stdout = String::from_utf8_lossy(&run.stdout);
    // Recompute the reported max |Δ| on the same 16³ grid against the f64 original.
    let shape = Shape::open(&out).unwrap();
    let grid = nsdf_import::grid([[-1.0; 3], [1.0; 3]], 16);
    let max = grid
        .iter()
        .map(|&p| (shape.distance(p) as f64 - reference(&layers, p)).abs())
        .fold(0.0, f64::max);
    let reported: f64 = stdout
        .split("max |d| ")
        .nth(1)
        .and_then(|r| r.split(',').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no max |d| in: {stdout}"));
    assert!(max > 0.0, "int8 should change the field");
    assert!(
        (reported - max).abs() <= 0.01 * max + F32_ROUNDING,
        "reported {reported}, measured {max}"
    );
    assert!(stdout.contains("int8"), "{stdout}");
}

/// Runs examples/python/export_torch.py where torch and safetensors are installed and checks
/// the imported model against the outputs torch computed.
#[test]
fn torch_export_example_imports() {
    let python = std::env::var("NSDF_PYTHON").unwrap_or_else(|_| "python3".into());
    let probe = Command::new(&python)
        .args(["-c", "import torch, safetensors"])
        .output();
    if !probe.is_ok_and(|o| o.status.success()) {
        notice(&format!(
            "SKIP: {python} cannot import torch and safetensors; export example not run"
        ));
        return;
    }
    let dir = TempDir::new("torch");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/python/export_torch.py");
    let run = Command::new(&python)
        .arg(&script)
        .arg(&dir.0)
        .output()
        .unwrap();
    assert_ok(&run);
    let out = dir.path("mlp.nsdf");
    let (st, desc) = (dir.path("mlp.safetensors"), dir.path("mlp.layers.json"));
    let run = nsdf(&["import", s(&st), "--layers", s(&desc), "-o", s(&out)]);
    assert_ok(&run);
    let shape = Shape::open(&out).unwrap();
    let expected: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path("mlp.expected.json")).unwrap()).unwrap();
    let pairs = expected["points"]
        .as_array()
        .unwrap()
        .iter()
        .zip(expected["outputs"].as_array().unwrap());
    let mut n = 0;
    for (p, want) in pairs {
        let p: Vec<f32> = p
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap() as f32)
            .collect();
        let got = shape.distance([p[0], p[1], p[2]]) as f64;
        let want = want.as_f64().unwrap();
        assert!(
            (got - want).abs() < F32_ROUNDING,
            "{p:?}: {got} vs torch {want}"
        );
        n += 1;
    }
    assert!(n > 0);
}

/// Prints to the real stderr, past the test harness's capture, so a SKIP is seen by `cargo test`.
fn notice(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{line}");
}
