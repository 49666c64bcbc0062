//! Builds `examples/c/load_and_eval.{c,cpp}` with the system compilers against the staticlib
//! cargo built for this test run, runs them on freshly written `.nsdf` files, and checks every
//! printed value bit for bit against `nsdf::Shape`. The C program also runs under valgrind
//! (leaks, invalid reads and writes) when valgrind is installed.
#![cfg(unix)]

use nsdf::{Scheme, Shape};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The staticlib built alongside this test binary. Cargo builds every crate type of the library
/// for integration tests and leaves them in `target/<profile>/deps` (next to this executable);
/// `cargo build` additionally copies them up to `target/<profile>`. Take the newest.
fn staticlib() -> PathBuf {
    let exe = std::env::current_exe().expect("current_exe");
    let deps = exe.parent().expect("test binary has a directory");
    let candidates = [deps.join("libnsdf_capi.a"), deps.join("../libnsdf_capi.a")];
    candidates
        .iter()
        .filter_map(|p| Some((std::fs::metadata(p).ok()?.modified().ok()?, p.clone())))
        .max()
        .map(|(_, p)| p)
        .unwrap_or_else(|| {
            panic!(
                "libnsdf_capi.a not found next to {}; is crate-type staticlib set?",
                exe.display()
            )
        })
}

fn has_tool(name: &str) -> bool {
    Command::new(name)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn repo_root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

fn compile(compiler: &str, std: &str, source: &str, out: &Path) {
    let root = repo_root();
    let output = Command::new(compiler)
        .args([std, "-Wall", "-Wextra", "-g", "-I"])
        .arg(root.join("capi/include"))
        .arg(root.join("examples/c").join(source))
        .arg(staticlib())
        .args(["-lpthread", "-ldl", "-lm", "-o"])
        .arg(out)
        .output()
        .unwrap_or_else(|e| panic!("running {compiler}: {e}"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{compiler} failed to build {source}:\n{stderr}"
    );
    if !stderr.trim().is_empty() {
        eprintln!("{compiler} warnings for {source}:\n{stderr}");
    }
}

fn run(cmd: &mut Command) -> (Output, String) {
    let out = cmd.output().expect("run example");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\nstdout:\n{stdout}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    (out, stdout)
}

fn floats(words: &[&str]) -> Vec<f32> {
    words
        .iter()
        .map(|w| {
            w.parse::<f32>()
                .unwrap_or_else(|_| panic!("not a float: {w:?}"))
        })
        .collect()
}

/// Checks a program's output against the shape: info lines, every evaluated point (exactly:
/// `%.9g` round-trips an f32), and the error-path lines.
fn check_output(stdout: &str, shape: &Shape) {
    let mut points = Vec::new();
    let mut printed = Vec::new();
    let (mut saw_info, mut saw_missing, mut saw_truncated) = (false, false, false);
    for line in stdout.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.first().copied() {
            Some("nsdf") => assert_eq!(words[1], env!("CARGO_PKG_VERSION")),
            Some("info") => {
                let (major, minor) = shape.version();
                let want = format!(
                    "info parameters {} layers {} version {major}.{minor} file_size {} has_stats {}",
                    shape.parameter_count(),
                    shape.model().layers.len(),
                    shape.file_len(),
                    shape.stats().is_some() as i32
                );
                assert_eq!(line, want);
                saw_info = true;
            }
            Some("bounds") => {
                let [lo, hi] = shape.bounds();
                assert_eq!(floats(&words[1..]), [lo, hi].concat());
            }
            Some("gradient_bound") => assert_eq!(floats(&words[1..]), [shape.gradient_bound()]),
            Some("stats") => {
                let s = shape
                    .stats()
                    .expect("stats printed for a file without them");
                let got = floats(&[words[2], words[4], words[6], words[8]]);
                let want = [
                    s.surface_mean_error,
                    s.surface_max_error,
                    s.near_sign_agreement,
                    s.volume_sign_agreement,
                ];
                assert_eq!(got, want);
            }
            Some("point") => {
                assert_eq!(
                    (words.len(), words[4], words[6]),
                    (10, "distance", "gradient"),
                    "{line}"
                );
                let v = floats(&[&words[1..4], &words[5..6], &words[7..10]].concat());
                points.push([v[0], v[1], v[2]]);
                printed.push((v[3], [v[4], v[5], v[6]]));
            }
            Some("error") if words[1] == "missing-file" => {
                assert_eq!(words[2], "3", "NSDF_ERR_IO: {line}");
                assert!(
                    line.contains("NSDF-E100") && line.contains("missing.nsdf"),
                    "{line}"
                );
                saw_missing = true;
            }
            Some("error") if words[1] == "truncated-memory" => {
                assert_eq!(words[2], "2", "NSDF_ERR_INVALID_FILE: {line}");
                assert!(words[3].starts_with("NSDF-E"), "{line}");
                saw_truncated = true;
            }
            _ => {}
        }
    }
    assert!(
        saw_info && saw_missing && saw_truncated,
        "missing lines in:\n{stdout}"
    );
    assert_eq!(stdout.lines().last(), Some("error-paths ok"));
    assert!(points.len() >= 4, "too few points in:\n{stdout}");

    // The programs evaluate all points in one batch call; do the same.
    let mut dist = vec![0.0; points.len()];
    let mut grad = vec![[0.0; 3]; points.len()];
    shape.gradients(&points, &mut dist, &mut grad);
    for (i, &(d, g)) in printed.iter().enumerate() {
        assert_eq!(
            d.to_bits(),
            dist[i].to_bits(),
            "distance at {:?}: printed {d}, runtime {}",
            points[i],
            dist[i]
        );
        assert_eq!(g, grad[i], "gradient at {:?}", points[i]);
    }
}

#[test]
fn c_and_cpp_examples_build_run_and_agree_with_the_runtime() {
    if !has_tool("cc") {
        nsdf_testing::skip("no C compiler; C example not built");
        return;
    }
    let dir = std::env::temp_dir().join(format!("nsdf-capi-examples-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let c_exe = dir.join("load_and_eval_c");
    compile("cc", "-std=c99", "load_and_eval.c", &c_exe);
    let cpp_exe = dir.join("load_and_eval_cpp");
    let have_cpp = has_tool("c++");
    if have_cpp {
        compile("c++", "-std=c++17", "load_and_eval.cpp", &cpp_exe);
    } else {
        nsdf_testing::skip("no C++ compiler; C++ example not built");
    }

    let mut files = Vec::new();
    for (seed, scheme) in [(11, Scheme::F32), (12, Scheme::Int8)] {
        let mut model = nsdf_testing::davies(seed, scheme);
        if scheme == Scheme::Int8 {
            model.stats = None; // also cover a file without statistics
        }
        let path = dir.join(format!("shape-{seed}.nsdf"));
        nsdf::write_atomic(&path, &nsdf::to_bytes(&model).unwrap()).unwrap();
        let shape = Shape::open(&path).unwrap();
        let (_, out) = run(Command::new(&c_exe).arg(&path));
        check_output(&out, &shape);
        if have_cpp {
            let (_, out) = run(Command::new(&cpp_exe).arg(&path));
            check_output(&out, &shape);
        }
        files.push(path);
    }

    if has_tool("valgrind") {
        for exe in [&c_exe, &cpp_exe].into_iter().filter(|e| e.exists()) {
            let (out, _) = run(Command::new("valgrind")
                .args([
                    "--error-exitcode=99",
                    "--leak-check=full",
                    "--errors-for-leak-kinds=definite,indirect,possible",
                ])
                .arg(exe)
                .arg(&files[0]));
            let report = String::from_utf8_lossy(&out.stderr);
            assert!(
                report.contains("ERROR SUMMARY: 0 errors"),
                "valgrind found problems in {exe:?}:\n{report}"
            );
            println!("valgrind: {} clean", exe.display());
        }
    } else {
        nsdf_testing::skip("valgrind is not installed; C example not checked for leaks");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
