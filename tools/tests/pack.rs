//! End-to-end tests of `nsdf pack` on meshes generated here (tiny sample and epoch counts:
//! these check the plumbing, not the accuracy, which `benches/pack_table.sh` measures).

use nsdf::{Shape, Value};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Settings small enough for a debug build; networks trained this briefly are refused unless
/// `--keep-inaccurate` (see [`an_untrained_network_is_refused_and_nothing_is_written`]).
const FAST: &[&str] = &[
    "--samples",
    "20000",
    "--probe",
    "2000",
    "--threads",
    "2",
    "--quiet",
    "--keep-inaccurate",
];

/// A box with half extents `h` centred at `c`, outward-facing triangles, as OBJ text.
fn box_obj(c: [f32; 3], h: [f32; 3]) -> String {
    let mut s = String::from("# box\n");
    for i in 0..8 {
        let sign = |bit: usize| if i >> bit & 1 == 1 { 1.0 } else { -1.0 };
        let v = [0, 1, 2].map(|a| c[a] + sign(a) * h[a]);
        s += &format!("v {} {} {}\n", v[0], v[1], v[2]);
    }
    // Vertex index = x + 2y + 4z (1-based in OBJ); each face wound counter-clockwise seen from outside.
    let faces = [
        [1, 5, 7, 3], // x = -
        [2, 4, 8, 6], // x = +
        [1, 2, 6, 5], // y = -
        [3, 7, 8, 4], // y = +
        [1, 3, 4, 2], // z = -
        [5, 6, 8, 7], // z = +
    ];
    for [a, b, c, d] in faces {
        s += &format!("f {a} {b} {c}\nf {a} {c} {d}\n");
    }
    s
}

const CENTRE: [f32; 3] = [10.0, -5.0, 3.0];
const HALF: [f32; 3] = [1.5, 2.0, 2.5];

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("nsdf-pack-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
}

fn nsdf(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nsdf"))
        .args(args)
        .output()
        .expect("run nsdf")
}

/// `nsdf pack` with [`FAST`] settings and `epochs`.
fn pack_epochs(args: &[&str], epochs: &str) -> Output {
    let mut all = vec!["pack"];
    all.extend_from_slice(args);
    all.extend_from_slice(FAST);
    all.extend_from_slice(&["--epochs", epochs]);
    nsdf(&all)
}

fn pack(args: &[&str]) -> Output {
    pack_epochs(args, "4")
}

/// [`FAST`] on 100,000 samples: enough for the far interior of a box, which the default
/// budget's 6-layer network misses on 20,000 (the centre 0.3–0.7 deep, not 1.5).
fn fast_box<'a>() -> impl Iterator<Item = &'a str> {
    FAST.iter()
        .map(|&a| if a == "20000" { "100000" } else { a })
}

/// `nsdf pack` with [`fast_box`] settings and `epochs`.
fn pack_box(args: &[&str], epochs: &str) -> Output {
    let mut all = vec!["pack"];
    all.extend_from_slice(args);
    all.extend(fast_box());
    all.extend_from_slice(&["--epochs", epochs]);
    nsdf(&all)
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Files in `dir` other than `keep` (to see that nothing else, e.g. a temp file, was left).
fn files(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn packs_a_box_into_a_file_that_answers_in_world_units() {
    let dir = temp_dir("box");
    let mesh = dir.join("crate.obj");
    write(&mesh, &box_obj(CENTRE, HALF));
    // Enough training for the far interior (most samples lie near the surface).
    let out = pack_box(&[mesh.to_str().unwrap()], "30");
    assert!(out.status.success(), "{}", stderr(&out));
    // Default output: the mesh's path with the extension .nsdf; nothing else left behind.
    assert_eq!(files(&dir), ["crate.nsdf", "crate.obj"]);
    let shape = Shape::open(dir.join("crate.nsdf")).unwrap();

    // The centre is 1.5 (the smallest half extent) inside; the transform makes it world units.
    let d = shape.distance(CENTRE);
    assert!(
        d < 0.0 && (d + 1.5).abs() < 0.5,
        "distance at the centre {d}"
    );
    let outside = shape.distance([CENTRE[0] + 3.0, CENTRE[1], CENTRE[2]]);
    assert!(outside > 0.5, "distance 1.5 outside {outside}");
    let b = shape.bounds();
    for a in 0..3 {
        assert!((b[0][a] - (CENTRE[a] - HALF[a])).abs() < 1e-5, "{b:?}");
        assert!((b[1][a] - (CENTRE[a] + HALF[a])).abs() < 1e-5, "{b:?}");
    }

    let stats = shape.stats().expect("STAT chunk");
    assert_eq!(stats.surface_samples, 2000);
    assert!(
        stats.surface_mean_error > 0.0 && stats.surface_mean_error < 1.0,
        "{stats:?}"
    );
    assert!(
        stats.gradient_bound >= 1.0 && stats.gradient_bound < 100.0,
        "{stats:?}"
    );
    assert!(stats.volume_sign_agreement > 0.5, "{stats:?}");
    // The near-surface σ is 0.01 canonical units, i.e. of the enclosing sphere's radius.
    let radius = (HALF.iter().map(|h| h * h).sum::<f32>()).sqrt();
    assert!((stats.near_sigma - 0.01 * radius).abs() < 1e-4, "{stats:?}");

    let meta = |k: &str| shape.meta(k).cloned();
    assert_eq!(meta("nsdf.name"), Some(Value::String("crate".into())));
    assert_eq!(
        meta("nsdf.source.name"),
        Some(Value::String("crate.obj".into()))
    );
    assert_eq!(meta("nsdf.source.triangles"), Some(Value::Int(12)));
    assert_eq!(meta("nsdf.train.samples"), Some(Value::Int(100000)));
    assert_eq!(meta("nsdf.train.epochs"), Some(Value::Int(30)));
    assert_eq!(meta("nsdf.train.seed"), Some(Value::Int(0)));
    assert!(matches!(meta("nsdf.source.sha256"), Some(Value::String(h)) if h.len() == 64));
    // The recipe records what differs from its defaults: here the network the default
    // budget chose, 6 layers of 34 (the 8 KiB file's metadata leaves room for no more).
    assert_eq!(
        meta("nsdf.train.recipe"),
        Some(Value::String(
            r#"{"recipe":"davies","layers":6,"width":34,"samples":100000,"epochs":30,"threads":2}"#
                .into()
        ))
    );
    assert!(std::fs::metadata(dir.join("crate.nsdf")).unwrap().len() <= 8192);
    assert!(meta("nsdf.created").is_none() && meta("nsdf.train.seconds").is_none());
    // int8h, but for a first layer of sine units: f16 (its rounding is multiplied by ω0).
    let layers = &shape.model().layers;
    assert!(matches!(layers[0].activation, nsdf::Activation::Sine(_)));
    assert_eq!(layers[0].scheme, nsdf::Scheme::F16);
    assert!(layers[1..]
        .iter()
        .all(|l| l.scheme == nsdf::Scheme::Int8Half));

    // `nsdf validate` agrees the file is sound.
    let v = nsdf(&["validate", dir.join("crate.nsdf").to_str().unwrap()]);
    assert!(v.status.success(), "{}", String::from_utf8_lossy(&v.stdout));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `n` points on a torus (major radius 2, minor 0.7) around `CENTRE`, axis z, as `.xyz` text
/// (a deterministic lattice of angles; no normals).
fn torus_xyz(n: usize) -> String {
    let side = (n as f32).sqrt() as usize;
    let mut s = String::new();
    for i in 0..side {
        for j in 0..side {
            let (u, v) = (
                std::f32::consts::TAU * i as f32 / side as f32,
                std::f32::consts::TAU * (j as f32 + 0.5 * (i % 2) as f32) / side as f32,
            );
            let r = 2.0 + 0.7 * v.cos();
            let p = [r * u.cos(), r * u.sin(), 0.7 * v.sin()];
            s += &format!(
                "{} {} {}\n",
                CENTRE[0] + p[0],
                CENTRE[1] + p[1],
                CENTRE[2] + p[2]
            );
        }
    }
    s
}

#[test]
fn packs_a_point_cloud_with_the_sign_agnostic_recipe() {
    let dir = temp_dir("cloud");
    let cloud = dir.join("ring.xyz");
    write(&cloud, &torus_xyz(40_000));
    let out = pack_epochs(&[cloud.to_str().unwrap()], "20");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(files(&dir), ["ring.nsdf", "ring.xyz"]);
    let shape = Shape::open(dir.join("ring.nsdf")).unwrap();
    // Inside the tube, in the hole, outside: the sign came from training on unsigned
    // distances, starting from a sphere that had no hole.
    let at = |p: [f32; 3]| shape.distance([CENTRE[0] + p[0], CENTRE[1] + p[1], CENTRE[2] + p[2]]);
    // (These settings are tiny: the sign is what is checked, not the distance's size.)
    let tube = at([2.0, 0.0, 0.0]);
    let hole = at([0.0, 0.0, 0.0]);
    let (above, beside) = (at([0.0, 0.0, 2.0]), at([4.0, 0.0, 0.0]));
    eprintln!("tube {tube} hole {hole} above {above} beside {beside}");
    assert!(tube < -0.05, "in the tube (0.7 inside): {tube}");
    assert!(hole > 0.2, "in the hole (1.3 outside): {hole}");
    assert!(above > 0.2 && beside > 0.2, "{above} {beside}");
    let meta = |k: &str| shape.meta(k).cloned();
    assert_eq!(meta("nsdf.source.triangles"), Some(Value::Int(0)));
    assert!(
        matches!(meta("nsdf.train.recipe"), Some(Value::String(r)) if r.starts_with(r#"{"recipe":"sal","#)),
        "{:?}",
        meta("nsdf.train.recipe")
    );
    let v = nsdf(&["validate", dir.join("ring.nsdf").to_str().unwrap()]);
    assert!(v.status.success(), "{}", String::from_utf8_lossy(&v.stdout));
    // --render draws the network alone: a cloud has no surface to draw beside it.
    let png = dir.join("ring.png");
    let out = pack(&[
        cloud.to_str().unwrap(),
        "-o",
        dir.join("again.nsdf").to_str().unwrap(),
        "--render",
        png.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(std::fs::read(&png).unwrap().starts_with(b"\x89PNG"));
    for f in ["again.nsdf", "ring.png"] {
        std::fs::remove_file(dir.join(f)).unwrap();
    }

    // Too few points, an unknown recipe, and the signed recipe on raw data: clear errors,
    // nothing written.
    let few = dir.join("few.xyz");
    write(&few, &torus_xyz(9));
    let out = pack(&[few.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("9 points; a surface needs at least 16"),
        "{}",
        stderr(&out)
    );
    let out = pack(&[cloud.to_str().unwrap(), "--recipe", "magic", "-o", "x.nsdf"]);
    assert!(
        stderr(&out).contains(
            "unknown recipe `magic` (expected one of: davies, sal, sald, curriculum, siren)"
        ),
        "{}",
        stderr(&out)
    );
    assert_eq!(files(&dir), ["few.xyz", "ring.nsdf", "ring.xyz"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_untrained_network_is_refused_and_nothing_is_written() {
    let dir = temp_dir("untrained");
    let mesh = dir.join("crate.obj");
    write(&mesh, &box_obj(CENTRE, HALF));
    // A time budget that ends training at once leaves the initial weights, whose sign near the
    // surface is a coin toss.
    let mut args = vec!["pack", mesh.to_str().unwrap(), "--time-budget", "0.000001"];
    args.extend(FAST.iter().filter(|a| **a != "--keep-inaccurate"));
    let out = nsdf(&args);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("not a usable distance field"), "{err}");
    assert!(err.contains("near-surface points"), "{err}");
    assert_eq!(files(&dir), ["crate.obj"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_soup_with_flipped_triangles_is_reoriented_before_training() {
    let dir = temp_dir("soup");
    let mesh = dir.join("soup.obj");
    // Every triangle with its own three vertices, and 5 of the 12 wound the wrong way.
    let text = box_obj(CENTRE, HALF);
    let vertices: Vec<&str> = text.lines().filter(|l| l.starts_with("v ")).collect();
    let mut soup = String::new();
    let faces = text.lines().filter(|l| l.starts_with("f "));
    for (k, face) in faces.enumerate() {
        let mut idx: Vec<usize> = face[2..].split(' ').map(|i| i.parse().unwrap()).collect();
        if [0, 3, 4, 8, 11].contains(&k) {
            idx.swap(1, 2);
        }
        for i in &idx {
            soup += vertices[i - 1];
            soup += "\n";
        }
        soup += &format!("f {} {} {}\n", 3 * k + 1, 3 * k + 2, 3 * k + 3);
    }
    write(&mesh, &soup);
    let mut args = vec!["pack", mesh.to_str().unwrap()];
    args.extend(fast_box());
    args.retain(|a| *a != "--quiet" && *a != "--keep-inaccurate");
    args.extend_from_slice(&["--epochs", "30"]);
    let out = nsdf(&args);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("flipped 5 triangle(s) in 1 patch(es)"),
        "{err}"
    );
    // On this soup (2 threads, seed 0) the default sine network grows surface in empty space
    // (0.42 canonical units from the box), so it falls back to ReLU units.
    assert!(err.contains("training again with ReLU units"), "{err}");
    let shape = Shape::open(dir.join("soup.nsdf")).unwrap();
    assert!(shape.model().layers[..6]
        .iter()
        .all(|l| l.activation == nsdf::Activation::Relu));
    let d = shape.distance(CENTRE);
    assert!(
        d < 0.0 && (d + 1.5).abs() < 0.5,
        "distance at the centre {d}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_budget_chooses_a_network_whose_file_fits() {
    let dir = temp_dir("budget");
    let mesh = dir.join("m.obj");
    write(&mesh, &box_obj([0.0; 3], [1.0, 0.5, 0.7]));
    let (m, out) = (mesh.to_str().unwrap(), dir.join("m.nsdf"));
    let o = pack(&[m, "-o", out.to_str().unwrap(), "--budget", "4k"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let bytes = std::fs::read(&out).unwrap();
    assert!(bytes.len() <= 4096, "{} bytes", bytes.len());
    let shape = Shape::from_bytes(&bytes).unwrap();
    // 4×32 does not fit; 4×16 does, and is widened while the file fits.
    assert_eq!(shape.model().layers.len(), 5);
    assert_eq!(shape.model().layers[0].outputs, 28);

    // From 260 kB the ladder goes on with hash grids: 2^12 entries a level (266,336 bytes with
    // bunny_hr's metadata), trained for a grid's 3 epochs, not a network's 150.
    let big = dir.join("big.nsdf");
    let mut args = vec!["pack", m, "-o", big.to_str().unwrap(), "--budget", "300k"];
    args.extend_from_slice(FAST);
    let o = nsdf(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    let grid_bytes = std::fs::read(&big).unwrap();
    assert!(grid_bytes.len() <= 300 << 10, "{} bytes", grid_bytes.len());
    let shape = Shape::from_bytes(&grid_bytes).unwrap();
    assert_eq!(shape.model().grid.as_ref().map(|g| g.log2_table), Some(12));
    assert_eq!(shape.meta("nsdf.train.epochs"), Some(&Value::Int(3)));

    // At 8 KiB a deeper network of the same bytes trains too, and the one whose surface lies
    // closer to the mesh at its farthest is kept; both steps are said (not with --quiet).
    let eight = dir.join("eight.nsdf");
    let mut args = vec!["pack", m, "-o", eight.to_str().unwrap(), "--budget", "8k"];
    args.extend(FAST.iter().filter(|a| **a != "--quiet"));
    args.extend_from_slice(&["--epochs", "4"]);
    let o = nsdf(&args);
    let err = stderr(&o);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("training a 9×27 sine network in the same budget too")
            && err.contains("6×34 sine network"),
        "{err}"
    );
    assert!(err.contains("held-out Hausdorff distance"), "{err}");
    let kept = Shape::from_bytes(&std::fs::read(&eight).unwrap()).unwrap();
    let shape = |n: &nsdf::Model| (n.layers.len() - 1, n.layers[0].outputs);
    let said = if err.contains("kept the 9×27") {
        (9, 27)
    } else {
        (6, 34)
    };
    assert_eq!(shape(kept.model()), said, "{err}");
    assert!(std::fs::metadata(&eight).unwrap().len() <= 8192);

    let o = pack(&[m, "-o", out.to_str().unwrap(), "--budget", "900"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("a budget of 900 bytes is too small"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        std::fs::read(&out).unwrap(),
        bytes,
        "the earlier file was touched"
    );
    for bad in [
        &["--budget", "lots"][..],
        &["--budget", "0"],
        &["--budget", "2048m"],
        &["--budget", "8k", "--width", "16"],
        &["--budget", "1m", "--encoding", "hashgrid"],
    ] {
        let mut args = vec![m, "-o", "x.nsdf"];
        args.extend_from_slice(bad);
        let o = pack(&args);
        assert_eq!(o.status.code(), Some(2), "{bad:?}: {}", stderr(&o));
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn same_input_seed_and_threads_give_identical_bytes() {
    let dir = temp_dir("determinism");
    let mesh = dir.join("m.obj");
    write(&mesh, &box_obj([0.3, 0.0, -2.0], [1.0, 0.5, 0.7]));
    let (a, b) = (dir.join("a.nsdf"), dir.join("b.nsdf"));
    for out in [&a, &b] {
        let o = pack(&[
            mesh.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "--quant",
            "f16",
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let (a, b) = (std::fs::read(a).unwrap(), std::fs::read(b).unwrap());
    assert!(a == b, "two runs differ");
    assert!(Shape::from_bytes(&a).unwrap().model().layers[0].scheme == nsdf::Scheme::F16);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_input_is_a_clear_error_and_writes_nothing() {
    let dir = temp_dir("bad");
    let good = dir.join("good.obj");
    write(&good, &box_obj([0.0; 3], [1.0; 3]));
    write(&dir.join("empty.obj"), "");
    write(
        &dir.join("nan.obj"),
        &box_obj([0.0; 3], [1.0; 3]).replacen("v -1 -1 -1", "v nan -1 -1", 1),
    );
    let out = dir.join("out.nsdf");
    let o = out.to_str().unwrap();
    let p = |name: &str| dir.join(name).to_str().unwrap().to_string();
    let cases: Vec<(Vec<String>, i32, &str)> = vec![
        (
            vec![p("missing.obj"), "-o".into(), o.into()],
            1,
            "no such file",
        ),
        (vec![p("empty.obj"), "-o".into(), o.into()], 1, "empty"),
        (vec![p("nan.obj"), "-o".into(), o.into()], 1, "vertex"),
        (
            vec![
                p("good.obj"),
                "-o".into(),
                o.into(),
                "--quant".into(),
                "int3".into(),
            ],
            2,
            "int3",
        ),
        (
            vec![
                p("good.obj"),
                "--out-dir".into(),
                p("o"),
                "--shard".into(),
                "3/2".into(),
            ],
            2,
            "3/2",
        ),
        (
            vec![
                p("good.obj"),
                "-o".into(),
                o.into(),
                "--layers".into(),
                "0".into(),
            ],
            2,
            "layers",
        ),
        (
            vec![
                p("good.obj"),
                "-o".into(),
                o.into(),
                "--activation".into(),
                "swish".into(),
            ],
            2,
            "swish",
        ),
    ];
    for (args, code, needle) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let r = pack(&args);
        let err = stderr(&r);
        assert_eq!(r.status.code(), Some(code), "{args:?}: {err}");
        assert!(err.to_lowercase().contains(needle), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert_eq!(
            files(&dir),
            ["empty.obj", "good.obj", "nan.obj"],
            "{args:?}"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn batch_mode_shards_skips_finished_meshes_and_records_failures() {
    let dir = temp_dir("batch");
    let meshes = dir.join("meshes");
    std::fs::create_dir_all(&meshes).unwrap();
    for (i, name) in ["a.obj", "b.obj", "c.obj"].iter().enumerate() {
        write(
            &meshes.join(name),
            &box_obj([i as f32, 0.0, 0.0], [1.0, 0.8, 0.6]),
        );
    }
    write(&meshes.join("notes.txt"), "not a mesh");
    let out = dir.join("out");
    let (m, o) = (meshes.to_str().unwrap(), out.to_str().unwrap());
    let summary = |shard: &str| -> serde_json::Value {
        let text = std::fs::read_to_string(out.join(format!("summary-{shard}.json"))).unwrap();
        serde_json::from_str(&text).unwrap()
    };

    // Sorted a, b, c: shard 0/2 packs a and c, shard 1/2 packs b.
    let r = pack(&[m, "--out-dir", o, "--shard", "0/2"]);
    assert!(r.status.success(), "{}", stderr(&r));
    assert_eq!(
        files(&out),
        [
            "a.nsdf",
            "c.nsdf",
            "summary-0-of-2.csv",
            "summary-0-of-2.json"
        ]
    );
    let s = summary("0-of-2");
    assert_eq!(s.as_array().unwrap().len(), 2);
    assert_eq!(
        (s[0]["name"].as_str(), s[0]["status"].as_str()),
        (Some("a.obj"), Some("packed"))
    );
    assert_eq!(s[1]["name"], "c.obj");
    assert_eq!(s[0]["triangles"], 12);
    assert!(s[0]["bytes"].as_u64().unwrap() > 1000 && s[0]["f1_uniform"].as_f64().is_some());
    let csv = std::fs::read_to_string(out.join("summary-0-of-2.csv")).unwrap();
    assert_eq!(csv.lines().count(), 3);
    assert!(
        csv.lines().nth(1).unwrap().starts_with("a.obj,packed,12,"),
        "{csv}"
    );

    let r = pack(&[m, "--out-dir", o, "--shard", "1/2"]);
    assert!(r.status.success(), "{}", stderr(&r));
    assert!(out.join("b.nsdf").exists());

    // Again: everything is done. A corrupt output is redone, not trusted.
    let before = std::fs::read(out.join("c.nsdf")).unwrap();
    std::fs::write(out.join("a.nsdf"), b"garbage").unwrap();
    let r = pack(&[m, "--out-dir", o, "--shard", "0/2"]);
    assert!(r.status.success(), "{}", stderr(&r));
    let s = summary("0-of-2");
    assert_eq!(s[0]["status"], "packed");
    assert_eq!(s[1]["status"], "skipped");
    assert_eq!(std::fs::read(out.join("c.nsdf")).unwrap(), before);
    assert!(Shape::open(out.join("a.nsdf")).is_ok());

    // A manifest (paths relative to it) with a broken mesh: recorded, the rest continue, exit 1.
    write(&meshes.join("broken.obj"), "v 0 0 0\nv 1 0 0\nf 1 2 9\n");
    let manifest = dir.join("list.txt");
    write(&manifest, "# meshes\nmeshes/broken.obj\n\nmeshes/b.obj\n");
    let out2 = dir.join("out2");
    let r = pack(&[
        manifest.to_str().unwrap(),
        "--out-dir",
        out2.to_str().unwrap(),
    ]);
    assert_eq!(r.status.code(), Some(1), "{}", stderr(&r));
    assert!(
        stderr(&r).contains("1 of 2 meshes failed"),
        "{}",
        stderr(&r)
    );
    assert!(out2.join("b.nsdf").exists() && !out2.join("broken.nsdf").exists());
    let text = std::fs::read_to_string(out2.join("summary-0-of-1.json")).unwrap();
    let s: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(s[0]["status"], "failed");
    assert!(
        s[0]["error"].as_str().unwrap().contains("broken.obj"),
        "{s}"
    );
    assert_eq!(s[1]["status"], "packed");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn ctrl_c_stops_cleanly_with_status_130_and_no_output() {
    let dir = temp_dir("interrupt");
    let mesh = dir.join("m.obj");
    write(&mesh, &box_obj([0.0; 3], [1.0; 3]));
    let mut child = Command::new(env!("CARGO_BIN_EXE_nsdf"))
        .args(["pack", mesh.to_str().unwrap(), "--epochs", "100000"])
        .args(FAST)
        .spawn()
        .unwrap();
    // Long enough for the handler to be installed and training to start.
    std::thread::sleep(std::time::Duration::from_secs(3));
    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    assert_eq!(files(&dir), ["m.obj"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn render_writes_the_mesh_beside_the_network_as_a_png() {
    let dir = temp_dir("render");
    let mesh = dir.join("box.obj");
    write(&mesh, &box_obj(CENTRE, HALF));
    let (out, png) = (dir.join("box.nsdf"), dir.join("box.png"));
    let o = pack_epochs(
        &[
            mesh.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "--render",
            png.to_str().unwrap(),
        ],
        "2",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let bytes = std::fs::read(&png).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    // 768 x 384: IHDR's width and height, big-endian, right after the signature and chunk header.
    assert_eq!(&bytes[16..24], &[0, 0, 3, 0, 0, 0, 1, 128]);
    assert_eq!(files(&dir), ["box.nsdf", "box.obj", "box.png"]);

    // A batch has no single picture to write.
    let o = nsdf(&[
        "pack",
        dir.to_str().unwrap(),
        "--out-dir",
        dir.to_str().unwrap(),
        "--render",
        "x.png",
    ]);
    assert!(!o.status.success());
    let _ = std::fs::remove_dir_all(&dir);
}

/// `--encoding hashgrid[:…]` writes a format 1.2 file with the grid asked for, whose distance
/// has the box's sign at its centre and outside; a bad grid parameter is refused up front.
#[test]
fn packs_a_hash_grid_shape() {
    let dir = temp_dir("hashgrid");
    let mesh = dir.join("crate.obj");
    write(&mesh, &box_obj(CENTRE, HALF));
    let grid = "hashgrid:levels=4,table=10,base=4,finest=32";
    let out = pack_epochs(&[mesh.to_str().unwrap(), "--encoding", grid], "8");
    assert!(out.status.success(), "{}", stderr(&out));
    let shape = Shape::open(dir.join("crate.nsdf")).unwrap();
    // 1.2 for the grid, 1.3 for the default int8h layers.
    assert_eq!(shape.version(), (1, 3));
    let g = shape.model().grid.as_ref().expect("a GRID chunk");
    assert_eq!((g.levels(), g.features, g.log2_table), (4, 2, 10));
    assert_eq!((g.resolutions[0], g.resolutions[3]), (4, 32));
    assert_eq!(g.scheme, nsdf::Scheme::F16);
    // Two hidden layers of 32 behind the 3 + 8 encoded inputs.
    let widths: Vec<usize> = shape.model().layers.iter().map(|l| l.inputs).collect();
    assert_eq!(widths, [11, 32, 32]);
    assert!(shape.distance(CENTRE) < 0.0);
    assert!(shape.distance([CENTRE[0] + 3.0, CENTRE[1], CENTRE[2]]) > 0.0);
    // The grid's settings are in its chunk; the recipe holds what differs from a grid's defaults.
    match shape.meta("nsdf.train.recipe") {
        Some(Value::String(r)) => assert!(r.contains(r#""epochs":8"#), "{r}"),
        other => panic!("recipe metadata {other:?}"),
    }

    let bad = nsdf(&[
        "pack",
        mesh.to_str().unwrap(),
        "--encoding",
        "hashgrid:features=3",
    ]);
    assert_eq!(bad.status.code(), Some(2), "{}", stderr(&bad));
    assert!(stderr(&bad).contains("features=3"), "{}", stderr(&bad));
}
