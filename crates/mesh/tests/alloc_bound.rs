//! Memory stays bounded on any mesh file: a counting global allocator (this test binary only)
//! adds up every byte requested while `load_bytes` runs (on every thread: the loader's checks
//! use rayon), and the total must stay under the bound each reader's module docs state
//! (`A × file length + C`, and for glTF also a cost per instanced triangle and vertex), for
//! valid files and for hostile ones that declare huge counts. Spec: threat model, "Mesh
//! readers".

mod fixtures;

use fixtures::*;
use nsdf_mesh::{load_bytes, Format};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

struct Counting;

/// Bytes requested by every thread since the start (realloc counts its growth).
static REQUESTED: AtomicUsize = AtomicUsize::new(0);
/// The count is process-wide, so the tests of this binary take turns (each holds the lock from
/// its first allocation to its last).
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        REQUESTED.fetch_add(layout.size(), Ordering::Relaxed);
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        REQUESTED.fetch_add(new_size.saturating_sub(layout.size()), Ordering::Relaxed);
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The bounds the readers' module docs state: (factor, constant) on the file length. The
/// factor is mostly the loader's own checks (weld, topology, self-intersection BVH: about 400
/// bytes per triangle) times the most triangles a byte of that format can make.
fn bound(format: Format) -> (usize, usize) {
    match format {
        Format::Obj => (OBJ.0, OBJ.1),
        Format::Ply => (PLY.0, PLY.1),
        Format::Stl => (STL.0, STL.1),
        Format::Gltf => (GLTF.0, GLTF.1),
        Format::Points => (POINTS.0, POINTS.1),
    }
}
const OBJ: (usize, usize) = (256, 64 << 10);
const PLY: (usize, usize) = (512, 64 << 10);
const STL: (usize, usize) = (32, 64 << 10);
const GLTF: (usize, usize) = (64, 64 << 10);
/// Point clouds (`io/points.rs`): 24 bytes per point of at least 6 bytes of text, plus the
/// normalised normals' copy and vector doubling.
const POINTS: (usize, usize) = (16, 64 << 10);
/// glTF: bytes per instanced triangle and per instanced vertex, beyond the file-length bound.
const GLTF_PER_INSTANCED: usize = 512;

/// Loads `bytes` and checks the bytes requested against the bound (`instanced`: glTF's
/// instanced triangles plus vertices, as declared).
fn measure(name: &str, format: Format, bytes: &[u8], instanced: usize) -> usize {
    let before = REQUESTED.load(Ordering::Relaxed);
    let r = load_bytes(bytes, format);
    let used = REQUESTED.load(Ordering::Relaxed) - before;
    let (a, c) = bound(format);
    let limit = a * bytes.len() + c + GLTF_PER_INSTANCED * instanced;
    println!(
        "{name:40} {:>9} B  requested {used:>10} B ({:6.2}×)  {}",
        bytes.len(),
        used as f64 / bytes.len().max(1) as f64,
        match &r {
            Ok(l) => format!("ok, {} triangles", l.mesh.triangles.len()),
            Err(e) => e.to_string(),
        }
    );
    assert!(
        used <= limit,
        "{name}: requested {used} bytes, limit {limit}"
    );
    used
}

#[test]
fn valid_files_stay_within_the_bound() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    for (name, format, bytes) in all() {
        measure(&format!("cube {name}"), format, &bytes, 0);
    }
    let (p, t) = torus(120, 60);
    for (name, format, bytes) in all_of(&p, &t) {
        measure(&format!("torus 14,400 triangles {name}"), format, &bytes, 0);
    }
    // A few instances of the torus: the bound grows with the instanced triangles.
    let (json, bin) = gltf_parts_of(
        &p,
        &t,
        r#"{"mesh":0,"translation":[0,0,0]},{"mesh":0,"translation":[3,0,0]},{"mesh":0,"translation":[6,0,0]}"#,
        "0,1,2",
        None,
    );
    let f = glb_container(json.as_bytes(), Some(&bin));
    measure(
        "torus glb, 3 instances",
        Format::Gltf,
        &f,
        3 * (t.len() + p.len()),
    );
}

#[test]
fn hostile_files_stay_within_the_bound() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    // The known bug: one mesh instanced by hundreds of thousands of nodes (refused, not read).
    let nodes = vec![r#"{"mesh":0}"#; 300_000].join(",");
    let roots = (0..300_000)
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(",");
    let (p, t) = torus(20, 10);
    let (json, bin) = gltf_parts_of(&p, &t, &nodes, &roots, None);
    let f = glb_container(json.as_bytes(), Some(&bin));
    measure(
        "glb: 300,000 instances of 400 triangles",
        Format::Gltf,
        &f,
        0,
    );

    // PLY declaring 2^31 vertices (binary and ASCII) in a few bytes.
    let header = |enc: &str| {
        format!("ply\nformat {enc} 1.0\nelement vertex 2147483648\nproperty float x\nproperty float y\nproperty float z\nelement face 1\nproperty list uchar int vertex_indices\nend_header\n").into_bytes()
    };
    let mut f = header("binary_little_endian");
    f.extend_from_slice(&[0; 1000]);
    measure("ply binary: 2^31 vertices", Format::Ply, &f, 0);
    let mut f = header("ascii");
    f.extend_from_slice(&b"0 0 0\n".repeat(200));
    measure("ply ascii: 2^31 vertices", Format::Ply, &f, 0);

    // Binary STL claiming 2^31 triangles.
    let mut f = vec![0u8; 80];
    f.extend_from_slice(&(1u32 << 31).to_le_bytes());
    f.extend_from_slice(&[0; 5000]);
    measure("stl binary: 2^31 triangles", Format::Stl, &f, 0);

    // A huge OBJ fan of single-digit indices: 2 bytes per triangle, the densest OBJ there is.
    // Flat (refused after reading and welding) at 200,000 triangles; as a cone (not
    // degenerate, through every check) at 4,000, since the self-intersection check is
    // quadratic in the triangles around one vertex.
    let fan = |apex: &str, n: usize| {
        let mut f = format!("v {apex}\nv 1 0 0\nv 0 1 0\nv -1 0 0\nv 0 -1 0\nf 1");
        for _ in 0..n / 4 {
            f.push_str(" 2 3 4 5");
        }
        f.push_str(" 2\n");
        f.into_bytes()
    };
    measure(
        "obj: flat fan of 200,000 triangles",
        Format::Obj,
        &fan("0 0 0", 200_000),
        0,
    );
    measure(
        "obj: cone fan of 4,000 triangles",
        Format::Obj,
        &fan("0 0 1", 4_000),
        0,
    );

    // PLY: a fan of 255 uchar indices per face, 256 bytes for 253 triangles (flat, as above).
    let faces = 800;
    let mut f = format!("ply\nformat binary_little_endian 1.0\nelement vertex 5\nproperty float x\nproperty float y\nproperty float z\nelement face {faces}\nproperty list uchar uchar vertex_indices\nend_header\n").into_bytes();
    for v in [
        [0f32, 0., 0.],
        [1., 0., 0.],
        [0., 1., 0.],
        [-1., 0., 0.],
        [0., -1., 0.],
    ] {
        f.extend(v.iter().flat_map(|x| x.to_le_bytes()));
    }
    for _ in 0..faces {
        f.push(255);
        f.push(0);
        f.extend((0..254).map(|k| 1 + (k % 4) as u8));
    }
    measure(
        "ply: fans of 253 triangles per 256 bytes",
        Format::Ply,
        &f,
        0,
    );

    // GLB: many buffers all naming the binary chunk (each was a copy of it).
    let (json, bin) = gltf_parts(r#"{"mesh":0}"#, "0", None);
    let mut big = bin.clone();
    big.resize(1 << 20, 0);
    let buffers = vec![format!(r#"{{"byteLength":{}}}"#, big.len()); 2000].join(",");
    let json = json.replace(
        &format!(r#""buffers":[{{"byteLength":{}}}]"#, bin.len()),
        &format!(r#""buffers":[{buffers}]"#),
    );
    let f = glb_container(json.as_bytes(), Some(&big));
    measure("glb: 2000 buffers on one 1 MiB chunk", Format::Gltf, &f, 20);

    // Base64 data URI: decoding allocates about its length.
    let uri = format!(
        "data:application/octet-stream;base64,{}",
        "AAAA".repeat(1 << 18)
    );
    let (json, _) = gltf_parts(r#"{"mesh":0}"#, "0", Some(&uri));
    measure("gltf: 1 MiB data URI", Format::Gltf, json.as_bytes(), 0);
}

#[test]
fn point_clouds_stay_within_the_bound() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    // The densest text: one-digit coordinates, with and without normals.
    for (name, rest) in [("xyz", "\n"), ("xyz with normals", " 0 0 1\n")] {
        let mut text = String::new();
        for i in 0..100_000 {
            text += &format!("{} {} {}{rest}", i % 10, i / 10 % 10, i / 100 % 10);
        }
        let before = REQUESTED.load(Ordering::Relaxed);
        let r = nsdf_mesh::load_input_bytes(text.as_bytes(), Format::Points);
        let used = REQUESTED.load(Ordering::Relaxed) - before;
        let limit = POINTS.0 * text.len() + POINTS.1;
        println!(
            "{name:40} {:>9} B  requested {used:>10} B ({:6.2}x)  {}",
            text.len(),
            used as f64 / text.len() as f64,
            r.map_or_else(|e| e.to_string(), |_| "ok".into())
        );
        assert!(
            used <= limit,
            "{name}: requested {used} bytes, limit {limit}"
        );
    }
}
