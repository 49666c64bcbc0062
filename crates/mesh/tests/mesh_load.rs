//! Mesh readers on small files the tests write: every format and encoding, welding, warnings,
//! and a clear error (never a panic) for each kind of bad input. Then every real mesh in
//! ../shared/meshes, when that directory exists.

use nsdf_mesh::{load, load_bytes, Format, Loaded, Mesh, MeshError, Sdf, Warning};
use nsdf_testing::mesh::*;
use std::path::Path;

fn cube() -> Mesh {
    cuboid([-1.0, -0.5, 0.0], [1.0, 0.5, 2.0], 1)
}

/// The file as written loads to the cube: welded to 8 vertices, 12 triangles, closed, same
/// geometry (volume).
fn assert_cube(l: &Loaded) {
    assert_eq!(l.mesh.positions.len(), 8, "welded vertices");
    assert_eq!(l.mesh.triangles.len(), 12);
    assert!(
        l.topology.closed && l.warnings.is_empty(),
        "{:?}",
        l.warnings
    );
    assert!((signed_volume(&l.mesh) - 4.0).abs() < 1e-6);
}

fn load_file(name: &str, bytes: &[u8]) -> Result<Loaded, MeshError> {
    let f = TempFile::new(name, bytes);
    load(&f.0)
}

fn expect_err(r: Result<Loaded, MeshError>, needle: &str) {
    match r {
        Ok(l) => panic!(
            "expected an error containing {needle:?}, loaded {} triangles",
            l.mesh.triangles.len()
        ),
        Err(e) => {
            let msg = e.to_string();
            assert!(
                msg.contains(needle),
                "error {msg:?} does not mention {needle:?}"
            );
        }
    }
}

#[test]
fn every_format_reads_the_same_cube() {
    let m = cube();
    assert_cube(&load_file("cube.obj", &obj(&m)).unwrap());
    assert_cube(&load_file("cube.ply", &ply_ascii(&m)).unwrap());
    assert_cube(&load_file("cube_le.ply", &ply_binary(&m, false)).unwrap());
    assert_cube(&load_file("cube_be.PLY", &ply_binary(&m, true)).unwrap());
    assert_cube(&load_file("cube.stl", &stl_ascii(&m)).unwrap());
    assert_cube(&load_file("cube_bin.stl", &stl_binary(&m)).unwrap());
    assert_cube(&load_file("cube.glb", &glb(&m, None)).unwrap());
    assert_cube(&load_bytes(&glb(&m, None), Format::Gltf).unwrap());
}

#[test]
fn obj_polygons_seams_objects_and_negative_indices() {
    // Quads with UV/normal indices that split vertices at seams, two objects, and relative
    // (negative) indices: one closed unit cube once welded.
    let text = "\
v 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\nv 0 0 1\nv 1 0 1\nv 1 1 1\nv 0 1 1\n\
vt 0 0\nvt 1 0\nvt 1 1\nvn 0 0 1\n\
o bottom_and_top\nf 1/1/1 4/2/1 3/3/1 2/1/1\nf 5/1 6/2 7/3 8/1\n\
o sides\nf 1//1 2//1 6//1 5//1\nf -7 -6 -2 -3\nf 3 4 8 7\nf 4 1 5 8\n";
    let l = load_file("seams.obj", text.as_bytes()).unwrap();
    assert_eq!((l.mesh.positions.len(), l.mesh.triangles.len()), (8, 12));
    assert!(
        l.topology.closed && l.warnings.is_empty(),
        "{:?}",
        l.warnings
    );
    assert!((signed_volume(&l.mesh) - 1.0).abs() < 1e-6);
}

#[test]
fn gltf_node_transforms_and_data_uris() {
    let m = cube();
    // Scale by 2 and translate by (10, 0, 0).
    let mat = [
        2.0, 0.0, 0.0, 0.0, 0.0, 2.0, 0.0, 0.0, 0.0, 0.0, 2.0, 0.0, 10.0, 0.0, 0.0, 1.0,
    ];
    let l = load_file("moved.glb", &glb(&m, Some(mat))).unwrap();
    let (lo, hi) = l.mesh.bounds();
    assert_eq!((lo, hi), ([8.0, -1.0, 0.0], [12.0, 1.0, 4.0]));
    assert!((signed_volume(&l.mesh) - 32.0).abs() < 1e-4);
    // A mirror keeps the volume positive (the reader reverses the winding).
    let mirror = [
        -1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0,
    ];
    let l = load_file("mirror.glb", &glb(&m, Some(mirror))).unwrap();
    assert!(l.warnings.is_empty(), "{:?}", l.warnings);
    assert!((signed_volume(&l.mesh) - 4.0).abs() < 1e-6);

    // The same cube as .gltf JSON with the buffer in a base64 data URI.
    let bin: Vec<u8> = m
        .positions
        .iter()
        .flatten()
        .flat_map(|x| x.to_le_bytes())
        .collect();
    let idx: Vec<u8> = m
        .triangles
        .iter()
        .flatten()
        .flat_map(|x| x.to_le_bytes())
        .collect();
    let all = [bin.clone(), idx.clone()].concat();
    let json = format!(
        r#"{{"asset":{{"version":"2.0"}},"meshes":[{{"primitives":[{{"attributes":{{"POSITION":0}},"indices":1}}]}}],
"accessors":[{{"bufferView":0,"componentType":5126,"count":{},"type":"VEC3","min":[-1,-0.5,0],"max":[1,0.5,2]}},
{{"bufferView":1,"componentType":5125,"count":36,"type":"SCALAR"}}],
"bufferViews":[{{"buffer":0,"byteOffset":0,"byteLength":{}}},{{"buffer":0,"byteOffset":{},"byteLength":{}}}],
"buffers":[{{"byteLength":{},"uri":"data:application/octet-stream;base64,{}"}}]}}"#,
        m.positions.len(),
        bin.len(),
        bin.len(),
        idx.len(),
        all.len(),
        base64(&all)
    );
    assert_cube(&load_file("cube.gltf", json.as_bytes()).unwrap());
}

fn base64(b: &[u8]) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::new();
    for c in b.chunks(3) {
        let n = (c[0] as u32) << 16
            | (*c.get(1).unwrap_or(&0) as u32) << 8
            | *c.get(2).unwrap_or(&0) as u32;
        for k in 0..4 {
            if k <= c.len() {
                s.push(A[(n >> (18 - 6 * k) & 63) as usize] as char);
            } else {
                s.push('=');
            }
        }
    }
    s
}

#[test]
fn warnings_for_holes_non_manifold_edges_and_flipped_faces() {
    let mut m = cube();
    m.triangles.truncate(10); // one face missing: a square hole
    let l = Mesh::from_soup(m.positions.clone(), m.triangles.clone()).unwrap();
    assert!(
        l.warnings.contains(&Warning::OpenBoundary { edges: 4 }),
        "{:?}",
        l.warnings
    );

    // A flipped triangle is flipped back, and said.
    let mut m = cube();
    m.triangles[0].swap(1, 2);
    let l = Mesh::from_soup(m.positions.clone(), m.triangles.clone()).unwrap();
    assert!(
        l.warnings.contains(&Warning::Reoriented {
            faces: 1,
            patches: 1
        }),
        "{:?}",
        l.warnings
    );
    assert!(l.topology.closed);
    assert!((signed_volume(&l.mesh) - 4.0).abs() < 1e-6);

    // A fin: a third triangle on one of the cube's edges.
    let mut m = cube();
    let [a, b, _] = m.triangles[0];
    m.positions.push([5.0, 5.0, 5.0]);
    m.triangles.push([a, b, m.positions.len() as u32 - 1]);
    let l = Mesh::from_soup(m.positions, m.triangles).unwrap();
    assert!(
        l.warnings
            .iter()
            .any(|w| matches!(w, Warning::NonManifold { .. })),
        "{:?}",
        l.warnings
    );

    // Degenerate triangles are dropped with a warning, the rest is kept.
    let mut m = cube();
    m.triangles.push([0, 0, 1]);
    let (a, b) = (m.positions[0], m.positions[1]);
    m.positions.push([0, 1, 2].map(|k| (a[k] + b[k]) / 2.0)); // collinear with two corners
    let n = m.positions.len() as u32;
    m.triangles.push([0, 1, n - 1]);
    let l = Mesh::from_soup(m.positions, m.triangles).unwrap();
    assert!(
        l.warnings
            .contains(&Warning::DegenerateDropped { count: 2 }),
        "{:?}",
        l.warnings
    );
    assert_eq!(l.mesh.triangles.len(), 12);
}

#[test]
fn errors_name_the_problem() {
    let m = cube();
    for name in ["empty.obj", "empty.ply", "empty.stl", "empty.glb"] {
        expect_err(load_file(name, b""), "empty");
    }
    expect_err(load_file("blank.obj", b"\n  \n# nothing\n"), "empty");
    expect_err(
        load_file("points.obj", b"v 0 0 0\nv 1 0 0\nv 0 1 0\n"),
        "no faces",
    );
    expect_err(
        load_file("range.obj", b"v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 4\n"),
        "out of bounds",
    );
    expect_err(
        load_file(
            "nan.obj",
            b"v 0 0 0\nv 1 nan 0\nv 0 1 0\nv 0 0 1\nf 1 2 3\nf 1 3 4\n",
        ),
        "NaN",
    );
    expect_err(
        load_file(
            "inf.stl",
            &stl_ascii(&Mesh {
                positions: vec![[0.0; 3], [1.0, 0.0, 0.0], [0.0, f32::INFINITY, 0.0]],
                triangles: vec![[0, 1, 2]],
            }),
        ),
        "infinite",
    );
    expect_err(
        load_file(
            "flat.obj",
            b"v 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\nf 1 2 3 4\n",
        ),
        "zero size along z",
    );
    expect_err(
        load_file("line.obj", b"v 0 0 0\nv 1 0 0\nv 2 0 0\nf 1 2 3\n"),
        "degenerate",
    );
    expect_err(load_file("mesh.fbx", b"anything"), "unknown mesh format");
    expect_err(load(Path::new("/nonexistent/dir/mesh.obj")), "cannot read");

    // PLY: index out of range, negative index, truncated binary body, a count that promises
    // more data than the file holds (no giant allocation), bad header.
    let mut bad = m.clone();
    bad.triangles[3][1] = 99;
    expect_err(
        load_file("range.ply", &ply_ascii(&bad)),
        "refers to vertex 99",
    );
    let neg = "ply\nformat ascii 1.0\nelement vertex 3\nproperty float x\nproperty float y\n\
property float z\nelement face 1\nproperty list uchar int vertex_indices\nend_header\n\
0 0 0\n1 0 0\n0 1 0\n3 0 1 -1\n";
    expect_err(load_file("neg.ply", neg.as_bytes()), "vertex -1");
    let bin = ply_binary(&m, false);
    expect_err(load_file("short.ply", &bin[..bin.len() - 20]), "ends early");
    let huge = b"ply\nformat binary_little_endian 1.0\nelement vertex 4000000000\nproperty float x\n\
property float y\nproperty float z\nelement face 1\nproperty list uchar int vertex_indices\nend_header\n\
\0\0\0\0\0\0\0\0";
    expect_err(load_file("huge.ply", huge), "ends early");
    expect_err(
        load_file("nomagic.ply", b"plx\nformat ascii 1.0\nend_header\n"),
        "magic",
    );
    expect_err(
        load_file("noend.ply", b"ply\nformat ascii 1.0\nelement vertex 3\n"),
        "end_header",
    );

    // STL: a binary header promising more triangles than present; NaN in binary.
    let mut stl = stl_binary(&m);
    stl[0..5].copy_from_slice(b"xxxxx");
    expect_err(
        load_file("short.stl", &stl[..stl.len() - 50]),
        "announces 12 triangles",
    );
    let mut nan = stl_binary(&m);
    nan[84 + 12..84 + 16].copy_from_slice(&f32::NAN.to_le_bytes());
    expect_err(load_file("nan.stl", &nan), "NaN");
    expect_err(load_file("tiny.stl", b"abc"), "too short");

    // glTF: not glTF at all, truncated GLB, an accessor past its buffer.
    expect_err(load_file("junk.glb", b"this is not gltf"), "glTF");
    let g = glb(&m, None);
    expect_err(load_file("cut.glb", &g[..g.len() / 2]), "glTF");
    let text = String::from_utf8_lossy(&g[20..]).to_string();
    let json_len = u32::from_le_bytes([g[12], g[13], g[14], g[15]]) as usize;
    let json = text[..json_len].replace(r#""count":36"#, r#""count":3600"#);
    let mut patched = g[..20].to_vec();
    let mut json = json.into_bytes();
    while !json.len().is_multiple_of(4) {
        json.push(b' ');
    }
    patched[12..16].copy_from_slice(&(json.len() as u32).to_le_bytes());
    patched.extend_from_slice(&json);
    patched.extend_from_slice(&g[20 + json_len..]);
    let total = patched.len() as u32;
    patched[8..12].copy_from_slice(&total.to_le_bytes());
    expect_err(load_file("past.glb", &patched), "past its buffer");
}

#[test]
fn hostile_bytes_never_panic() {
    // Every prefix and some corruptions of small valid files: an error or a mesh, no panic.
    let m = cube();
    let files: Vec<(&str, Vec<u8>)> = vec![
        ("f.obj", obj(&m)),
        ("f.ply", ply_ascii(&m)),
        ("f.ply", ply_binary(&m, false)),
        ("f.stl", stl_ascii(&m)),
        ("f.stl", stl_binary(&m)),
        ("f.glb", glb(&m, None)),
    ];
    let mut rng = Rng(99);
    for (name, bytes) in files {
        let format = Format::from_path(Path::new(name)).unwrap();
        for cut in (0..bytes.len()).step_by(7) {
            let _ = load_bytes(&bytes[..cut], format);
        }
        for _ in 0..300 {
            let mut b = bytes.clone();
            let i = (rng.next_u64() % b.len() as u64) as usize;
            b[i] = rng.next_u64() as u8;
            if let Ok(l) = load_bytes(&b, format) {
                // Whatever parsed is a valid mesh.
                let n = l.mesh.positions.len() as u32;
                assert!(l.mesh.triangles.iter().flatten().all(|&v| v < n));
                assert!(l.mesh.positions.iter().flatten().all(|x| x.is_finite()));
            }
        }
    }
}

#[test]
fn every_shared_mesh_loads_and_matches_brute_force() {
    let dir = shared_meshes_dir();
    let Ok(entries) = std::fs::read_dir(&dir) else {
        nsdf_testing::skip(&format!(
            "{} not found; real meshes not tested",
            dir.display()
        ));
        return;
    };
    let mut names: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    names.sort();
    let mut loaded = 0;
    for path in names {
        if Format::from_path(&path).is_none() {
            continue;
        }
        let l = load(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        // All of them are closed, consistently oriented and outward (SOURCES.md); a few
        // intersect themselves (tests/mesh_intersect.rs).
        assert!(l.topology.closed, "{}", path.display());
        assert!(
            l.warnings
                .iter()
                .all(|w| matches!(w, Warning::SelfIntersections { .. })),
            "{}: {:?}",
            path.display(),
            l.warnings
        );
        let sdf = Sdf::new(&l.mesh);
        let (lo, hi) = l.mesh.bounds();
        let mut rng = Rng(loaded as u64);
        let pts: Vec<[f32; 3]> = (0..20)
            .map(|_| {
                [0, 1, 2].map(|k| {
                    rng.uniform(lo[k] - 0.1 * (hi[k] - lo[k]), hi[k] + 0.1 * (hi[k] - lo[k]))
                })
            })
            .collect();
        let mut d = vec![0f32; pts.len()];
        sdf.signed_distances(&pts, &mut d);
        for (p, d) in pts.iter().zip(&d) {
            let b = brute_distance(&l.mesh, *p);
            assert!(
                (d.abs() - b).abs() <= 1e-6 * (1.0 + b),
                "{}: {d} vs {b}",
                path.display()
            );
            let w = nsdf_mesh::distance::winding::exact(&l.mesh, *p);
            if (w - 0.5).abs() > 0.05 {
                assert_eq!(*d < 0.0, w > 0.5, "{} at {p:?}: w = {w}", path.display());
            }
        }
        println!(
            "{}: {} triangles ok",
            path.display(),
            l.mesh.triangles.len()
        );
        loaded += 1;
    }
    assert!(loaded > 0);
}
