//! `nsdf mesh` and `nsdf render` end to end, on a network whose zero set is known exactly:
//! the octahedron |x| + |y| + |z| = r, as 3 → 6 ReLU → 1 (relu(±x), relu(±y), relu(±z) summed).

use nsdf_render::Image;
use nsdf_testing::mesh::{octahedron, OCTAHEDRON_R as R};
use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Command, Output};

struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Dir {
        let d = std::env::temp_dir().join(format!("nsdf-mr-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        let file = d.join("octa.nsdf");
        std::fs::write(&file, nsdf::to_bytes(&octahedron()).unwrap()).unwrap();
        Dir(d)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn nsdf(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nsdf"))
        .args(args)
        .output()
        .unwrap()
}

fn s(p: &std::path::Path) -> &str {
    p.to_str().unwrap()
}

/// Parses the `v` and `f a//a ...` lines of an OBJ written by `nsdf mesh`.
fn read_obj(text: &str) -> (Vec<[f32; 3]>, Vec<[u32; 3]>) {
    let (mut v, mut f) = (Vec::new(), Vec::new());
    for line in text.lines() {
        let mut it = line.split_whitespace();
        match it.next() {
            Some("v") => v.push([0, 1, 2].map(|_| it.next().unwrap().parse().unwrap())),
            Some("f") => f.push([0, 1, 2].map(|_| {
                it.next()
                    .unwrap()
                    .split('/')
                    .next()
                    .unwrap()
                    .parse::<u32>()
                    .unwrap()
                    - 1
            })),
            _ => {}
        }
    }
    (v, f)
}

#[test]
fn mesh_is_the_octahedron_closed_and_in_world_units() {
    let d = Dir::new("mesh");
    let out = d.0.join("octa.obj");
    let o = nsdf(&[
        "mesh",
        s(&d.0.join("octa.nsdf")),
        "-o",
        s(&out),
        "--resolution",
        "64",
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (v, f) = read_obj(&std::fs::read_to_string(&out).unwrap());
    // Every vertex on |x-1| + |y| + |z+1| = 2R (world frame) within interpolation error.
    let cell = 2.8 / 64.0;
    for p in &v {
        let l1 = (p[0] - 1.0).abs() + p[1].abs() + (p[2] + 1.0).abs();
        assert!(
            (l1 - 2.0 * R).abs() < 0.5 * cell,
            "vertex {p:?} off the surface: {l1}"
        );
    }
    // Watertight and consistently oriented: every half-edge has its twin; χ = 2.
    let mut half = HashMap::new();
    for t in &f {
        for k in 0..3 {
            *half.entry((t[k], t[(k + 1) % 3])).or_insert(0) += 1;
        }
    }
    assert!(half
        .iter()
        .all(|(&(a, b), &n)| n == 1 && half.contains_key(&(b, a))));
    assert_eq!(v.len() as i64 - half.len() as i64 / 2 + f.len() as i64, 2);
    // Volume of the octahedron of "radius" 2R: (4/3)(2R)³, positive (outward normals).
    let vol: f64 = f
        .iter()
        .map(|t| {
            let [a, b, c] = t.map(|i| v[i as usize].map(|x| x as f64));
            (a[0] * (b[1] * c[2] - b[2] * c[1]) - a[1] * (b[0] * c[2] - b[2] * c[0])
                + a[2] * (b[0] * c[1] - b[1] * c[0]))
                / 6.0
        })
        .sum();
    let want = 4.0 / 3.0 * (2.0 * R as f64).powi(3);
    assert!((vol - want).abs() < 0.02 * want, "volume {vol} vs {want}");
}

#[test]
fn mesh_writes_ply_and_stl() {
    let d = Dir::new("formats");
    for ext in ["ply", "stl"] {
        let out = d.0.join(format!("octa.{ext}"));
        let o = nsdf(&[
            "mesh",
            s(&d.0.join("octa.nsdf")),
            "-o",
            s(&out),
            "-r",
            "16",
            "-q",
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let bytes = std::fs::read(&out).unwrap();
        match ext {
            "ply" => assert!(bytes.starts_with(b"ply\nformat binary_little_endian 1.0\n")),
            _ => {
                let n = u32::from_le_bytes(bytes[80..84].try_into().unwrap()) as usize;
                assert!(n > 0 && bytes.len() == 84 + 50 * n);
            }
        }
    }
}

#[test]
fn render_draws_the_shape_and_turntables() {
    let d = Dir::new("render");
    let out = d.0.join("octa.png");
    let o = nsdf(&[
        "render",
        s(&d.0.join("octa.nsdf")),
        "-o",
        s(&out),
        "--size",
        "80x60",
        "-q",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let img = Image::from_png(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!((img.width, img.height), (80, 60));
    // The octahedron fills the middle of the frame, the corners are background.
    let px = |x: u32, y: u32| img.rgb[3 * (y * 80 + x) as usize..][..3].to_vec();
    assert_ne!(px(40, 30), px(0, 0));
    assert_eq!(px(0, 0), px(79, 0));
    let o = nsdf(&[
        "render",
        s(&d.0.join("octa.nsdf")),
        "-o",
        s(&out),
        "--size",
        "16x16",
        "--turntable",
        "3",
        "-q",
    ]);
    assert!(o.status.success());
    for i in 0..3 {
        assert!(d.0.join(format!("octa_{i:03}.png")).exists());
    }
}

#[test]
fn bad_arguments_fail_cleanly_without_output() {
    let d = Dir::new("bad");
    let file = d.0.join("octa.nsdf");
    let cases: [&[&str]; 7] = [
        &["mesh", s(&file), "-o", "x.obj", "-r", "0"],
        &["mesh", s(&file), "-o", "x.obj", "-r", "100000"],
        &["mesh", s(&file), "-o", "x.xyz"],
        &["mesh", s(&file), "-o", "x.obj", "--bounds", "1,1,1,0,0,0"],
        &["render", s(&file), "-o", "x.png", "--size", "0x10"],
        &["render", s(&file), "-o", "x.png", "--view", "a,b"],
        &["mesh", "/no/such.nsdf", "-o", "x.obj"],
    ];
    for args in cases {
        let o = Command::new(env!("CARGO_BIN_EXE_nsdf"))
            .args(args)
            .current_dir(&d.0)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            !o.status.success() && !err.contains("panicked"),
            "{args:?}: {err}"
        );
        assert!(
            err.starts_with("nsdf: ") || err.contains("error:"),
            "{args:?}: {err}"
        );
    }
    let o = nsdf(&["mesh", s(&file), "-o", "/no/such/dir/x.obj"]);
    assert!(!o.status.success());
    let names: Vec<_> = std::fs::read_dir(&d.0)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        names.len(),
        1,
        "no output or temporary file left behind: {names:?}"
    );
}
