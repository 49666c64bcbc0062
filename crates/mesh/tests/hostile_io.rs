//! Hostile mesh files: one test per kind of refusal (each error names the problem), every strict
//! prefix and single-byte changes of a small valid file of every format (an error or a valid
//! mesh, never a panic), and the crashes the fuzz targets found, as regressions.

mod fixtures;

use fixtures::*;
use nsdf_mesh::{load_bytes, load_input_bytes, Format, Input, Loaded, MeshError, PointCloud};

fn expect_err(r: Result<Loaded, MeshError>, needle: &str) -> MeshError {
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
            e
        }
    }
}

fn expect_limit(r: Result<Loaded, MeshError>, needle: &str) {
    match expect_err(r, needle) {
        MeshError::LimitExceeded { .. } => {}
        e => panic!("expected LimitExceeded, got {e:?}"),
    }
}

#[test]
fn every_fixture_loads_as_the_cube() {
    for (name, format, bytes) in all() {
        let l = load_bytes(&bytes, format).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_valid(&l);
        assert_eq!(l.mesh.positions.len(), 8, "{name}");
        assert_eq!(l.mesh.triangles.len(), 12, "{name}");
        assert!(l.warnings.is_empty(), "{name}: {:?}", l.warnings);
    }
}

// ---- OBJ ----

#[test]
fn obj_index_past_the_end() {
    expect_err(
        load_bytes(b"v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 4\n", Format::Obj),
        "vertex index 4 is out of bounds",
    );
}

#[test]
fn obj_negative_index_before_the_first_vertex() {
    expect_err(
        load_bytes(b"v 0 0 0\nv 1 0 0\nv 0 1 0\nf -1 -2 -4\n", Format::Obj),
        "vertex index -4 is out of bounds",
    );
}

#[test]
fn obj_huge_texture_and_normal_indices_do_not_overflow_in_tobj() {
    // tobj computes vt * 2 + 1 and vn * 3 + 2 unchecked: these panicked with overflow checks.
    let base = "v 0 0 0\nv 1 0 0\nv 0 1 0\nv 0 0 1\nvt 0 0\nvn 0 0 1\n";
    for (face, needle) in [
        (
            "f 1/9223372036854775807 2/1 3/1\n",
            "texture coordinate index",
        ),
        ("f 1/1/-9223372036854775807 2/1/1 3/1/1\n", "normal index"),
        ("f 1//4611686018427387904 2//1 3//1\n", "normal index"),
        ("f 1/-2 2/1 3/1\n", "texture coordinate index -2"),
        ("f 0 2 3\n", "vertex index 0"),
    ] {
        let file = format!("{base}{face}");
        expect_err(load_bytes(file.as_bytes(), Format::Obj), needle);
    }
    // Indices into a kind the file has none of are ignored, as tobj does.
    let ok = "v 0 0 0\nv 1 0 0\nv 0 1 0\nv 0 0 1\nf 1/99 2/99 3/99\nf 1 2 4\nf 1 4 3\nf 2 3 4\n";
    assert_valid(&load_bytes(ok.as_bytes(), Format::Obj).unwrap());
}

#[test]
fn obj_big_fan_is_bounded_by_its_bytes() {
    // An n-gon fans into n − 2 triangles; each index costs at least two bytes.
    let mut f = String::from("v 0 0 0\nv 1 0 0\nv 0 1 0\nv 0 0 1\nf 1");
    for _ in 0..50_000 {
        f.push_str(" 2 3");
    }
    f.push('\n');
    let l = load_bytes(f.as_bytes(), Format::Obj);
    // The fan (1,2,3), (1,3,2), … is 99,999 triangles on one face pair: flat, refused.
    expect_err(l, "zero size");
}

// ---- PLY ----

fn ply_header(format: &str, vertices: u64, faces: u64, list: &str) -> Vec<u8> {
    format!(
        "ply\nformat {format} 1.0\nelement vertex {vertices}\nproperty float x\nproperty float y\nproperty float z\nelement face {faces}\nproperty list {list} vertex_indices\nend_header\n"
    )
    .into_bytes()
}

#[test]
fn ply_vertex_count_beyond_the_file() {
    let mut f = ply_header("binary_little_endian", 1 << 31, 1, "uchar int");
    f.extend_from_slice(&[0; 64]);
    expect_err(load_bytes(&f, Format::Ply), "declares 2147483648 items");
    let mut f = ply_header("ascii", 1 << 31, 1, "uchar int");
    f.extend_from_slice(b"0 0 0\n");
    expect_err(load_bytes(&f, Format::Ply), "declares 2147483648 items");
    // Overflowing count × record size.
    let mut f = ply_header("binary_big_endian", u64::MAX, 1, "uchar int");
    f.extend_from_slice(&[0; 64]);
    expect_err(load_bytes(&f, Format::Ply), "element vertex declares");
}

#[test]
fn ply_face_count_beyond_the_file() {
    let mut f = ply_header("binary_little_endian", 3, 1 << 40, "uchar int");
    f.extend_from_slice(&[0; 36]);
    f.extend_from_slice(&[3, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0]);
    expect_err(load_bytes(&f, Format::Ply), "element face declares");
}

#[test]
fn ply_list_length_beyond_the_file() {
    let mut f = ply_header("binary_little_endian", 3, 1, "uint int");
    f.extend_from_slice(&[0; 36]);
    f.extend_from_slice(&u32::MAX.to_le_bytes());
    f.extend_from_slice(&[0; 12]);
    expect_err(load_bytes(&f, Format::Ply), "list of 4294967295 items");
    let mut f = ply_header("ascii", 3, 1, "uint int");
    f.extend_from_slice(b"0 0 0\n1 0 0\n0 1 0\n99999999999 0 1 2\n");
    expect_err(load_bytes(&f, Format::Ply), "list of 99999999999 items");
}

#[test]
fn ply_bad_list_length_and_index() {
    let mut f = ply_header("ascii", 3, 1, "int int");
    f.extend_from_slice(b"0 0 0\n1 0 0\n0 1 0\n-3 0 1 2\n");
    expect_err(load_bytes(&f, Format::Ply), "bad list length -3");
    let mut f = ply_header("ascii", 3, 1, "uchar int");
    f.extend_from_slice(b"0 0 0\n1 0 0\n0 1 0\n3 0 1 -2\n");
    expect_err(load_bytes(&f, Format::Ply), "refers to vertex -2");
    let mut f = ply_header("ascii", 3, 1, "uchar int");
    f.extend_from_slice(b"0 0 0\n1 0 0\n0 1 0\n3 0 1 7\n");
    expect_err(load_bytes(&f, Format::Ply), "refers to vertex 7");
}

#[test]
fn ply_truncated_body_and_bad_header() {
    let mut f = ply_header("binary_little_endian", 3, 1, "uchar int");
    f.extend_from_slice(&[0; 35]);
    expect_err(load_bytes(&f, Format::Ply), "declares 3 items");
    expect_err(
        load_bytes(b"ply\nformat ascii 1.0\nelement vertex 1\n", Format::Ply),
        "no `end_header`",
    );
    expect_err(
        load_bytes(b"ply\nformat zip 1.0\nend_header\n", Format::Ply),
        "unknown format",
    );
    expect_err(load_bytes(b"plyx\n", Format::Ply), "magic");
}

// ---- STL ----

#[test]
fn stl_binary_count_beyond_the_file() {
    let mut f = vec![0u8; 80];
    f.extend_from_slice(&(1u32 << 31).to_le_bytes());
    f.extend_from_slice(&[0; 100]);
    expect_err(
        load_bytes(&f, Format::Stl),
        "announces 2147483648 triangles",
    );
    let mut f = vec![0u8; 80];
    f.extend_from_slice(&u32::MAX.to_le_bytes());
    expect_err(
        load_bytes(&f, Format::Stl),
        "announces 4294967295 triangles",
    );
}

#[test]
fn stl_ascii_bad_facets() {
    expect_err(
        load_bytes(
            b"solid x\nfacet normal 0 0 1\nouter loop\nvertex 0 0 0\nvertex 1 0 0\nendloop\nendfacet\nendsolid\n",
            Format::Stl,
        ),
        "facet with 2 vertices",
    );
    expect_err(
        load_bytes(b"solid x\nouter loop\nvertex 0 0\n", Format::Stl),
        "expected `vertex x y z`",
    );
    expect_err(
        load_bytes(b"solid x\nouter loop\nvertex 0 0 0\n", Format::Stl),
        "no `endloop`",
    );
    expect_err(load_bytes(b"xx", Format::Stl), "too short");
}

// ---- glTF ----

/// A GLB of a 400-triangle torus whose scene lists `n` nodes that all instance it.
pub fn instancing_glb(n: usize) -> Vec<u8> {
    let nodes = vec![r#"{"mesh":0}"#; n].join(",");
    let roots = (0..n).map(|i| i.to_string()).collect::<Vec<_>>().join(",");
    let (p, t) = torus(20, 10);
    let (json, bin) = gltf_parts_of(&p, &t, &nodes, &roots, None);
    glb_container(json.as_bytes(), Some(&bin))
}

#[test]
fn gltf_instancing_past_the_cap() {
    // The known bug, smaller: 20,000 instances of 400 triangles (8M) from 360 kB.
    let f = instancing_glb(20_000);
    let limit = (1u64 << 22).max(8 * f.len() as u64);
    assert!(
        20_000 * 400 > limit,
        "the file must instance past its limit"
    );
    expect_limit(load_bytes(&f, Format::Gltf), "8000000 instanced triangles");
    // A few instances are fine.
    let l = load_bytes(&instancing_glb(3), Format::Gltf).unwrap();
    assert_valid(&l);
}

#[test]
fn gltf_exponential_node_dag() {
    // Node k has node k+1 as a child 4 times: 4^20 visits from a few hundred bytes.
    let mut nodes: Vec<String> = (0..20)
        .map(|k| format!(r#"{{"children":[{0},{0},{0},{0}]}}"#, k + 1))
        .collect();
    nodes.push(r#"{"mesh":0}"#.into());
    let (json, bin) = gltf_parts(&nodes.join(","), "0", None);
    expect_limit(
        load_bytes(&glb_container(json.as_bytes(), Some(&bin)), Format::Gltf),
        "node visits",
    );
    // Instanced triangles through a DAG: 2^19 copies of 12 triangles, within the visit cap.
    let mut nodes: Vec<String> = (0..19)
        .map(|k| format!(r#"{{"children":[{0},{0}]}}"#, k + 1))
        .collect();
    nodes.push(r#"{"mesh":0}"#.into());
    let (json, bin) = gltf_parts(&nodes.join(","), "0", None);
    expect_limit(
        load_bytes(&glb_container(json.as_bytes(), Some(&bin)), Format::Gltf),
        "6291456 instanced triangles",
    );
}

#[test]
fn gltf_node_cycle() {
    let (json, bin) = gltf_parts(
        r#"{"children":[1]},{"children":[2],"mesh":0},{"children":[1]}"#,
        "0",
        None,
    );
    expect_err(
        load_bytes(&glb_container(json.as_bytes(), Some(&bin)), Format::Gltf),
        "cycle",
    );
    let (json, bin) = gltf_parts(r#"{"children":[0],"mesh":0}"#, "0", None);
    expect_err(
        load_bytes(&glb_container(json.as_bytes(), Some(&bin)), Format::Gltf),
        "node 0 is its own ancestor",
    );
}

#[test]
fn gltf_primitives_sharing_one_accessor_without_a_scene() {
    // No scene: every mesh once, but 10,000 primitives reading the same 800 triangles count.
    let prims = vec![r#"{"attributes":{"POSITION":0},"indices":1}"#; 10_000].join(",");
    let (p, t) = torus(40, 10);
    let (json, bin) = gltf_parts_of(&p, &t, "", "", None);
    let json = json
        .replace(r#""scene":0,"scenes":[{"nodes":[]}],"nodes":[],"#, "")
        .replace(
            r#"[{"attributes":{"POSITION":0},"indices":1}]"#,
            &format!("[{prims}]"),
        );
    assert!(json.len() < 500_000);
    expect_limit(
        load_bytes(&glb_container(json.as_bytes(), Some(&bin)), Format::Gltf),
        "8000000 instanced triangles",
    );
}

#[test]
fn glb_header_length_out_of_range() {
    let mut f = glb();
    f[8..12].copy_from_slice(&4u32.to_le_bytes()); // gltf 1.4.1 computed 4 - 12
    expect_err(load_bytes(&f, Format::Gltf), "GLB header declares 4 bytes");
    let mut f = glb();
    f[8..12].copy_from_slice(&u32::MAX.to_le_bytes());
    expect_err(
        load_bytes(&f, Format::Gltf),
        "GLB header declares 4294967295",
    );
    expect_err(load_bytes(b"glTF\x02\0\0", Format::Gltf), "shorter than 12");
}

#[test]
fn gltf_accessor_past_its_buffer_and_bad_stride() {
    let (json, bin) = gltf_parts(r#"{"mesh":0}"#, "0", None);
    let big = json.replace(r#""count":36"#, r#""count":39"#);
    expect_err(
        load_bytes(&glb_container(big.as_bytes(), Some(&bin)), Format::Gltf),
        "past its buffer",
    );
    // A count that would instance past the cap is refused before the buffers are looked at.
    let huge = json.replace(r#""count":36"#, r#""count":4000000000"#);
    expect_limit(
        load_bytes(&glb_container(huge.as_bytes(), Some(&bin)), Format::Gltf),
        "1333333333 instanced triangles",
    );
    let strided = json.replace(
        r#""byteOffset":0,"byteLength":96"#,
        r#""byteOffset":0,"byteLength":96,"byteStride":8"#,
    );
    assert_ne!(strided, json);
    expect_err(
        load_bytes(&glb_container(strided.as_bytes(), Some(&bin)), Format::Gltf),
        "stride",
    );
    // A buffer declaring more bytes than the binary chunk holds.
    expect_err(
        load_bytes(
            &glb_container(json.as_bytes(), Some(&bin[..100])),
            Format::Gltf,
        ),
        "fewer than its declared",
    );
}

#[test]
fn gltf_bad_data_uri() {
    let (json, _) = gltf_parts(
        r#"{"mesh":0}"#,
        "0",
        Some("data:application/octet-stream;base64,A$$$"),
    );
    expect_err(load_bytes(json.as_bytes(), Format::Gltf), "bad base64");
    let (json, _) = gltf_parts(r#"{"mesh":0}"#, "0", Some("data:text/plain,hello"));
    expect_err(load_bytes(json.as_bytes(), Format::Gltf), "not base64");
    let (json, _) = gltf_parts(r#"{"mesh":0}"#, "0", Some("http://example.com/a.bin"));
    expect_err(
        load_bytes(json.as_bytes(), Format::Gltf),
        "not a local file",
    );
}

#[test]
fn gltf_deep_json_nesting() {
    // serde_json's recursion limit (128) turns deep nesting into an error, not a stack overflow.
    let mut f = String::from(r#"{"asset":{"version":"2.0"},"extras":"#);
    f.push_str(&"[".repeat(100_000));
    expect_err(load_bytes(f.as_bytes(), Format::Gltf), "glTF");
}

// ---- every format: prefixes and single-byte changes ----

/// Every strict prefix: binary PLY, binary STL, GLB and glTF JSON always fail (a count, a length
/// or the JSON is cut); text formats (OBJ, ASCII PLY, ASCII STL) may load the part before the
/// cut, which must then be a valid mesh.
#[test]
fn every_strict_prefix_errs_or_loads_a_valid_mesh() {
    for (name, format, bytes) in all() {
        let always_err = !matches!(name, "obj" | "ply ascii" | "stl ascii");
        for cut in 0..bytes.len() {
            match load_bytes(&bytes[..cut], format) {
                Ok(l) => {
                    assert!(!always_err, "{name}: prefix of {cut} bytes loaded");
                    assert_valid(&l);
                }
                Err(e) => assert!(!e.to_string().is_empty()),
            }
        }
    }
}

/// Every byte of every small file set to each of a few values (and bit-flipped): an error or a
/// valid mesh, never a panic.
#[test]
fn single_byte_changes_err_or_load_a_valid_mesh() {
    for (name, format, bytes) in all() {
        let mut loaded = 0;
        for i in 0..bytes.len() {
            let flips = [
                0u8,
                0xff,
                b'9',
                b'-',
                b' ',
                b'\n',
                bytes[i] ^ 0x80,
                bytes[i] ^ 1,
            ];
            for v in flips {
                let mut b = bytes.clone();
                b[i] = v;
                if let Ok(l) = load_bytes(&b, format) {
                    assert_valid(&l);
                    loaded += 1;
                }
            }
        }
        eprintln!(
            "{name}: {} bytes, {loaded} of {} changes loaded",
            bytes.len(),
            8 * bytes.len()
        );
    }
}

/// Real meshes converted to every format (when ../shared/meshes exists): load the same.
#[test]
fn shared_meshes_skip_visibly_when_absent() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/meshes");
    let path = dir.join("torus.obj");
    if !path.exists() {
        eprintln!("SKIP: {} is absent", path.display());
        return;
    }
    let bytes = std::fs::read(&path).unwrap();
    let l = load_bytes(&bytes, Format::Obj).unwrap();
    assert_valid(&l);
    for cut in (0..bytes.len()).step_by(bytes.len() / 50) {
        if let Ok(l) = load_bytes(&bytes[..cut], Format::Obj) {
            assert_valid(&l);
        }
    }
}

// ---- point clouds ----

/// `n` points on a unit sphere (a deterministic spiral), as `.xyz` text with normals.
fn cloud_xyz(n: usize) -> String {
    (0..n)
        .map(|i| {
            let z = 1.0 - 2.0 * (i as f32 + 0.5) / n as f32;
            let r = (1.0 - z * z).sqrt();
            let a = i as f32 * 2.399_963;
            let p = [r * a.cos(), r * a.sin(), z];
            format!("{} {} {} {} {} {}\n", p[0], p[1], p[2], p[0], p[1], p[2])
        })
        .collect()
}

/// The same points as a binary PLY with only a vertex element (x, y, z, nx, ny, nz).
fn cloud_ply(n: usize) -> Vec<u8> {
    let mut f = format!(
        "ply\nformat binary_little_endian 1.0\nelement vertex {n}\nproperty float x\nproperty float y\nproperty float z\nproperty float nx\nproperty float ny\nproperty float nz\nend_header\n"
    )
    .into_bytes();
    for line in cloud_xyz(n).lines() {
        for v in line.split_whitespace() {
            f.extend_from_slice(&v.parse::<f32>().unwrap().to_le_bytes());
        }
    }
    f
}

fn load_cloud(bytes: &[u8], format: Format) -> Result<PointCloud, MeshError> {
    match load_input_bytes(bytes, format)? {
        Input::Points(c) => Ok(c),
        Input::Mesh(_) => panic!("a point cloud loaded as a mesh"),
    }
}

fn assert_valid_cloud(c: &PointCloud) {
    assert!(c.positions.len() >= nsdf_mesh::io::MIN_POINTS);
    assert!(c.positions.iter().flatten().all(|x| x.is_finite()));
    if let Some(n) = &c.normals {
        assert_eq!(n.len(), c.positions.len());
        assert!(n
            .iter()
            .all(|n| ((n[0] * n[0] + n[1] * n[1] + n[2] * n[2]) - 1.0).abs() < 1e-4));
    }
}

#[test]
fn point_clouds_load_from_vertex_only_ply_and_xyz() {
    for (name, cloud) in [
        ("xyz", load_cloud(cloud_xyz(100).as_bytes(), Format::Points)),
        ("ply", load_cloud(&cloud_ply(100), Format::Ply)),
    ] {
        let c = cloud.unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_valid_cloud(&c);
        assert_eq!(c.positions.len(), 100, "{name}");
        assert!(c.normals.is_some(), "{name}");
    }
    // Without normals; a zero normal drops them all (they are optional, and partial ones
    // would only mislead).
    let plain: String = cloud_xyz(100)
        .lines()
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" ") + "\n")
        .collect();
    assert!(load_cloud(plain.as_bytes(), Format::Points)
        .unwrap()
        .normals
        .is_none());
    let zero = cloud_xyz(100).replacen('\n', " \n", 1);
    let mut lines: Vec<String> = zero.lines().map(String::from).collect();
    lines[5] = "0.5 0.5 0.5 0 0 0".into();
    assert!(load_cloud(lines.join("\n").as_bytes(), Format::Points)
        .unwrap()
        .normals
        .is_none());
    // A mesh file stays a mesh, and the mesh loader names a cloud for what it is.
    assert!(matches!(
        load_input_bytes(
            b"v 0 0 0\nv 1 0 0\nv 0 1 0\nv 0 0 1\nf 1 2 3\nf 1 3 4\n",
            Format::Obj
        ),
        Ok(Input::Mesh(_))
    ));
    expect_err(load_bytes(&cloud_ply(100), Format::Ply), "point cloud");
}

#[test]
fn point_cloud_errors_name_the_problem() {
    let bad = |bytes: &[u8], format, needle: &str| {
        let e = load_cloud(bytes, format)
            .err()
            .unwrap_or_else(|| panic!("expected {needle:?}"))
            .to_string();
        assert!(e.contains(needle), "{e:?} lacks {needle:?}");
    };
    bad(
        cloud_xyz(15).as_bytes(),
        Format::Points,
        "15 points; a surface needs at least 16",
    );
    let mut nan = cloud_xyz(20);
    nan.insert_str(0, "NaN 0 0 0 0 1\n");
    bad(nan.as_bytes(), Format::Points, "vertex 0 has a NaN");
    let flat: String = (0..20).map(|i| format!("{i} {} 0\n", i * i)).collect();
    bad(flat.as_bytes(), Format::Points, "zero size along z");
    bad(b"0 0 0\n1 1\n", Format::Points, "line 2");
    bad(b"\xff\xfe", Format::Points, "not text");
    let mut counted = String::from("40\n");
    counted += &cloud_xyz(20);
    bad(
        counted.as_bytes(),
        Format::Points,
        "declares 40 points, but the file holds 20",
    );
}

/// Every strict prefix of a binary PLY cloud fails (its count promises more); a prefix of the
/// text cloud may load the points before the cut, which must then be a valid cloud.
#[test]
fn every_strict_prefix_of_a_point_cloud_errs_or_loads_a_valid_cloud() {
    let ply = cloud_ply(20);
    for cut in 0..ply.len() {
        assert!(
            load_input_bytes(&ply[..cut], Format::Ply).is_err(),
            "ply prefix of {cut} bytes loaded"
        );
    }
    let xyz = cloud_xyz(20);
    for cut in 0..xyz.len() {
        if let Ok(Input::Points(c)) = load_input_bytes(&xyz.as_bytes()[..cut], Format::Points) {
            assert_valid_cloud(&c);
        }
    }
}
