//! `--device` on bench, mesh and render: `cpu` works everywhere; `cuda` either runs (GPU build on
//! a GPU machine) or fails with one clear line and exit status 1, never a panic or a partial file.

use std::path::Path;
use std::process::Command;

fn nsdf(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_nsdf"))
        .args(args)
        .output()
        .unwrap()
}

fn vector() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../spec/vectors/valid/davies-f32.nsdf")
        .display()
        .to_string()
}

#[test]
fn cuda_device_fails_cleanly_or_runs() {
    let dir = std::env::temp_dir().join(format!("nsdf_cli_device_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (mesh, png) = (dir.join("m.obj"), dir.join("r.png"));
    let file = vector();
    let runs: [Vec<&str>; 3] = [
        vec![
            "bench", &file, "--device", "cuda", "--points", "1000", "--repeat", "1",
        ],
        vec![
            "mesh",
            &file,
            "-o",
            mesh.to_str().unwrap(),
            "-r",
            "16",
            "--device",
            "cuda",
        ],
        vec![
            "render",
            &file,
            "-o",
            png.to_str().unwrap(),
            "--size",
            "32x32",
            "--device",
            "cuda",
        ],
    ];
    for args in runs {
        let out = nsdf(&args);
        let err = String::from_utf8_lossy(&out.stderr);
        if out.status.success() {
            eprintln!("{}: ran on a GPU", args[0]);
            continue;
        }
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        let why = [
            "built without CUDA support",
            "no CUDA driver",
            "no CUDA device",
        ];
        assert!(why.iter().any(|w| err.contains(w)), "{args:?}: {err}");
        assert!(
            !mesh.exists() && !png.exists(),
            "{args:?} left an output file"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn unknown_device_is_a_usage_error() {
    let out = nsdf(&["bench", &vector(), "--device", "tpu"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cpu, cuda"));
}
