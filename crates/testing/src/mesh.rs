//! Mesh fixtures (feature `mesh`): generated meshes whose signed distance is known
//! analytically, writers for small mesh files, brute-force references written independently of
//! the BVH code, and the octahedron network (a model whose zero set is known exactly).

use nsdf_mesh::{distance::triangle, Mesh};
use std::path::PathBuf;

pub use crate::Rng;

/// `../shared/meshes` beside the repository (real meshes; tests that use them skip without it).
pub fn shared_meshes_dir() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/meshes"
    ))
}

/// Icosahedron subdivided `level` times, vertices on the sphere of radius `r`, outward.
pub fn icosphere(level: usize, r: f32) -> Mesh {
    let t = (1.0 + 5f64.sqrt()) / 2.0;
    let mut v: Vec<[f64; 3]> = vec![
        [-1.0, t, 0.0],
        [1.0, t, 0.0],
        [-1.0, -t, 0.0],
        [1.0, -t, 0.0],
        [0.0, -1.0, t],
        [0.0, 1.0, t],
        [0.0, -1.0, -t],
        [0.0, 1.0, -t],
        [t, 0.0, -1.0],
        [t, 0.0, 1.0],
        [-t, 0.0, -1.0],
        [-t, 0.0, 1.0],
    ];
    let mut f: Vec<[u32; 3]> = vec![
        [0, 11, 5],
        [0, 5, 1],
        [0, 1, 7],
        [0, 7, 10],
        [0, 10, 11],
        [1, 5, 9],
        [5, 11, 4],
        [11, 10, 2],
        [10, 7, 6],
        [7, 1, 8],
        [3, 9, 4],
        [3, 4, 2],
        [3, 2, 6],
        [3, 6, 8],
        [3, 8, 9],
        [4, 9, 5],
        [2, 4, 11],
        [6, 2, 10],
        [8, 6, 7],
        [9, 8, 1],
    ];
    for _ in 0..level {
        let mut mid = std::collections::HashMap::new();
        let mut next = Vec::with_capacity(f.len() * 4);
        for t in &f {
            let mut m = [0u32; 3];
            for k in 0..3 {
                let (a, b) = (t[k].min(t[(k + 1) % 3]), t[k].max(t[(k + 1) % 3]));
                m[k] = *mid.entry((a, b)).or_insert_with(|| {
                    let (p, q) = (v[a as usize], v[b as usize]);
                    v.push([
                        (p[0] + q[0]) / 2.0,
                        (p[1] + q[1]) / 2.0,
                        (p[2] + q[2]) / 2.0,
                    ]);
                    (v.len() - 1) as u32
                });
            }
            next.push([t[0], m[0], m[2]]);
            next.push([t[1], m[1], m[0]]);
            next.push([t[2], m[2], m[1]]);
            next.push(m);
        }
        f = next;
    }
    let positions = v
        .iter()
        .map(|p| {
            let l = (p[0] * p[0] + p[1] * p[1] + p[2] * p[2]).sqrt();
            [
                (p[0] / l * r as f64) as f32,
                (p[1] / l * r as f64) as f32,
                (p[2] / l * r as f64) as f32,
            ]
        })
        .collect();
    Mesh {
        positions,
        triangles: f,
    }
}

/// The box [lo, hi] with every face split into an n × n grid of quads, outward.
pub fn cuboid(lo: [f32; 3], hi: [f32; 3], n: usize) -> Mesh {
    let mut positions = Vec::new();
    let mut triangles = Vec::new();
    let coord = |k: usize, i: usize| lo[k] + (hi[k] - lo[k]) * i as f32 / n as f32;
    for axis in 0..3 {
        let (b, c) = ((axis + 1) % 3, (axis + 2) % 3);
        for side in [0usize, n] {
            let base = positions.len() as u32;
            for i in 0..=n {
                for j in 0..=n {
                    let mut p = [0f32; 3];
                    p[axis] = coord(axis, side);
                    p[b] = coord(b, i);
                    p[c] = coord(c, j);
                    positions.push(p);
                }
            }
            let id = |i: usize, j: usize| base + (i * (n + 1) + j) as u32;
            for i in 0..n {
                for j in 0..n {
                    // (b, c, axis) is right-handed: b×c points along +axis.
                    let (t0, t1) = if side == n {
                        (
                            [id(i, j), id(i + 1, j), id(i + 1, j + 1)],
                            [id(i, j), id(i + 1, j + 1), id(i, j + 1)],
                        )
                    } else {
                        (
                            [id(i, j), id(i + 1, j + 1), id(i + 1, j)],
                            [id(i, j), id(i, j + 1), id(i + 1, j + 1)],
                        )
                    };
                    triangles.push(t0);
                    triangles.push(t1);
                }
            }
        }
    }
    Mesh {
        positions,
        triangles,
    }
}

/// Torus around the y axis: major radius `big`, minor radius `small`, `nu` × `nv` quads.
pub fn torus(big: f32, small: f32, nu: usize, nv: usize) -> Mesh {
    let mut positions = Vec::new();
    for i in 0..nu {
        let u = 2.0 * std::f64::consts::PI * i as f64 / nu as f64;
        for j in 0..nv {
            let v = 2.0 * std::f64::consts::PI * j as f64 / nv as f64;
            let rr = big as f64 + small as f64 * v.cos();
            positions.push([
                (rr * u.cos()) as f32,
                (small as f64 * v.sin()) as f32,
                (rr * u.sin()) as f32,
            ]);
        }
    }
    let id = |i: usize, j: usize| ((i % nu) * nv + (j % nv)) as u32;
    let mut triangles = Vec::new();
    for i in 0..nu {
        for j in 0..nv {
            triangles.push([id(i, j), id(i, j + 1), id(i + 1, j + 1)]);
            triangles.push([id(i, j), id(i + 1, j + 1), id(i + 1, j)]);
        }
    }
    let mut m = Mesh {
        positions,
        triangles,
    };
    if signed_volume(&m) < 0.0 {
        flip(&mut m);
    }
    m
}

pub fn sphere_sdf(p: [f32; 3], r: f32) -> f64 {
    let p = p.map(|x| x as f64);
    (p[0] * p[0] + p[1] * p[1] + p[2] * p[2]).sqrt() - r as f64
}

pub fn box_sdf(p: [f32; 3], lo: [f32; 3], hi: [f32; 3]) -> f64 {
    let mut outside = 0f64;
    let mut inside = f64::NEG_INFINITY;
    for k in 0..3 {
        let c = (lo[k] as f64 + hi[k] as f64) / 2.0;
        let h = (hi[k] as f64 - lo[k] as f64) / 2.0;
        let q = (p[k] as f64 - c).abs() - h;
        outside += q.max(0.0) * q.max(0.0);
        inside = inside.max(q);
    }
    outside.sqrt() + inside.min(0.0)
}

pub fn torus_sdf(p: [f32; 3], big: f32, small: f32) -> f64 {
    let p = p.map(|x| x as f64);
    let q = (p[0] * p[0] + p[2] * p[2]).sqrt() - big as f64;
    (q * q + p[1] * p[1]).sqrt() - small as f64
}

pub fn signed_volume(m: &Mesh) -> f64 {
    m.triangles
        .iter()
        .map(|t| {
            let [a, b, c] = t.map(|v| m.positions[v as usize].map(|x| x as f64));
            (a[0] * (b[1] * c[2] - b[2] * c[1]) - a[1] * (b[0] * c[2] - b[2] * c[0])
                + a[2] * (b[0] * c[1] - b[1] * c[0]))
                / 6.0
        })
        .sum()
}

pub fn flip(m: &mut Mesh) {
    for t in &mut m.triangles {
        t.swap(1, 2);
    }
}

/// Exact unsigned distance by brute force over every triangle.
pub fn brute_distance(m: &Mesh, p: [f32; 3]) -> f32 {
    m.triangles
        .iter()
        .map(|t| {
            let [a, b, c] = t.map(|v| m.positions[v as usize]);
            triangle::distance2(p, a, b, c)
        })
        .fold(f32::INFINITY, f32::min)
        .sqrt()
}

/// Largest distance between the mesh and the analytic surface, estimated at the triangle
/// centroids and edge midpoints (where a tessellation deviates most).
pub fn tessellation_error(m: &Mesh, sdf: impl Fn([f32; 3]) -> f64) -> f64 {
    let mut worst = 0f64;
    for t in &m.triangles {
        let [a, b, c] = t.map(|v| m.positions[v as usize]);
        let mix = |x: [f32; 3], y: [f32; 3], z: [f32; 3], wx: f32, wy: f32, wz: f32| {
            [0, 1, 2].map(|k| x[k] * wx + y[k] * wy + z[k] * wz)
        };
        for p in [
            mix(a, b, c, 1.0 / 3.0, 1.0 / 3.0, 1.0 / 3.0),
            mix(a, b, c, 0.5, 0.5, 0.0),
            mix(a, b, c, 0.0, 0.5, 0.5),
            mix(a, b, c, 0.5, 0.0, 0.5),
        ] {
            worst = worst.max(sdf(p).abs());
        }
    }
    worst
}

/// A fresh path in the temporary directory (removed when the guard drops).
pub struct TempFile(pub PathBuf);

impl TempFile {
    pub fn new(name: &str, bytes: &[u8]) -> TempFile {
        let dir = std::env::temp_dir().join(format!("nsdf-mesh-tests-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join(name);
        std::fs::write(&path, bytes).expect("write temp file");
        TempFile(path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

pub fn obj(m: &Mesh) -> Vec<u8> {
    let mut s = String::new();
    for p in &m.positions {
        s += &format!("v {} {} {}\n", p[0], p[1], p[2]);
    }
    for t in &m.triangles {
        s += &format!("f {} {} {}\n", t[0] + 1, t[1] + 1, t[2] + 1);
    }
    s.into_bytes()
}

pub fn ply_ascii(m: &Mesh) -> Vec<u8> {
    let mut s = format!(
        "ply\nformat ascii 1.0\ncomment test\nelement vertex {}\nproperty float x\nproperty float y\n\
         property float z\nproperty uchar red\nelement face {}\nproperty list uchar int vertex_indices\n\
         end_header\n",
        m.positions.len(),
        m.triangles.len()
    );
    for p in &m.positions {
        s += &format!("{} {} {} 7\n", p[0], p[1], p[2]);
    }
    for t in &m.triangles {
        s += &format!("3 {} {} {}\n", t[0], t[1], t[2]);
    }
    s.into_bytes()
}

/// Binary PLY with double coordinates, an extra per-vertex property, a ushort face count type,
/// and an extra element after the faces.
pub fn ply_binary(m: &Mesh, big_endian: bool) -> Vec<u8> {
    let fmt = if big_endian {
        "binary_big_endian"
    } else {
        "binary_little_endian"
    };
    let mut out = format!(
        "ply\nformat {fmt} 1.0\nelement vertex {}\nproperty double x\nproperty double y\n\
         property double z\nproperty float confidence\nelement face {}\n\
         property list ushort uint vertex_indices\nelement extra 1\nproperty short s\nend_header\n",
        m.positions.len(),
        m.triangles.len()
    )
    .into_bytes();
    let mut put = |b: &[u8]| {
        let mut b = b.to_vec();
        if big_endian {
            b.reverse();
        }
        out.extend_from_slice(&b);
    };
    for p in &m.positions {
        for x in p {
            put(&(*x as f64).to_le_bytes());
        }
        put(&0.5f32.to_le_bytes());
    }
    for t in &m.triangles {
        put(&3u16.to_le_bytes());
        for i in t {
            put(&i.to_le_bytes());
        }
    }
    put(&(-2i16).to_le_bytes());
    out
}

pub fn stl_ascii(m: &Mesh) -> Vec<u8> {
    let mut s = String::from("solid test\n");
    for t in &m.triangles {
        s += "  facet normal 0 0 0\n    outer loop\n";
        for &v in t {
            let p = m.positions[v as usize];
            s += &format!("      vertex {} {} {}\n", p[0], p[1], p[2]);
        }
        s += "    endloop\n  endfacet\n";
    }
    s += "endsolid test\n";
    s.into_bytes()
}

/// Binary STL whose 80-byte header starts with "solid" (as many exporters write).
pub fn stl_binary(m: &Mesh) -> Vec<u8> {
    let mut out = vec![b' '; 80];
    out[..11].copy_from_slice(b"solid fake ");
    out.extend_from_slice(&(m.triangles.len() as u32).to_le_bytes());
    for t in &m.triangles {
        out.extend_from_slice(&[0u8; 12]);
        for &v in t {
            for x in m.positions[v as usize] {
                out.extend_from_slice(&x.to_le_bytes());
            }
        }
        out.extend_from_slice(&[0u8; 2]);
    }
    out
}

/// A GLB with one mesh instanced by a node with the given column-major 4 × 4 matrix.
pub fn glb(m: &Mesh, matrix: Option<[f32; 16]>) -> Vec<u8> {
    let mut bin = Vec::new();
    for p in &m.positions {
        for x in p {
            bin.extend_from_slice(&x.to_le_bytes());
        }
    }
    let pos_len = bin.len();
    for t in &m.triangles {
        for i in t {
            bin.extend_from_slice(&i.to_le_bytes());
        }
    }
    let idx_len = bin.len() - pos_len;
    while bin.len() % 4 != 0 {
        bin.push(0);
    }
    let (lo, hi) = m.bounds();
    let node = match matrix {
        Some(mat) => format!(r#"{{"mesh":0,"matrix":{:?}}}"#, mat),
        None => r#"{"mesh":0}"#.to_string(),
    };
    let json = format!(
        r#"{{"asset":{{"version":"2.0"}},"scene":0,"scenes":[{{"nodes":[0]}}],"nodes":[{node}],
"meshes":[{{"primitives":[{{"attributes":{{"POSITION":0}},"indices":1}}]}}],
"accessors":[{{"bufferView":0,"componentType":5126,"count":{},"type":"VEC3","min":{:?},"max":{:?}}},
{{"bufferView":1,"componentType":5125,"count":{},"type":"SCALAR"}}],
"bufferViews":[{{"buffer":0,"byteOffset":0,"byteLength":{pos_len}}},{{"buffer":0,"byteOffset":{pos_len},"byteLength":{idx_len}}}],
"buffers":[{{"byteLength":{}}}]}}"#,
        m.positions.len(),
        lo,
        hi,
        3 * m.triangles.len(),
        bin.len()
    );
    let mut json = json.into_bytes();
    while json.len() % 4 != 0 {
        json.push(b' ');
    }
    let total = 12 + 8 + json.len() + 8 + bin.len();
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(b"glTF");
    out.extend_from_slice(&2u32.to_le_bytes());
    out.extend_from_slice(&(total as u32).to_le_bytes());
    out.extend_from_slice(&(json.len() as u32).to_le_bytes());
    out.extend_from_slice(b"JSON");
    out.extend_from_slice(&json);
    out.extend_from_slice(&(bin.len() as u32).to_le_bytes());
    out.extend_from_slice(b"BIN\0");
    out.extend_from_slice(&bin);
    out
}

/// "Radius" of the octahedron network: its zero set is |x| + |y| + |z| = R (network frame).
pub const OCTAHEDRON_R: f32 = 0.6;

/// The octahedron |x| + |y| + |z| = R as a 3 → 6 ReLU → 1 network (relu(±x), relu(±y),
/// relu(±z) summed); world = 2 × network + (1, 0, -1), so the world octahedron has centre
/// (1, 0, -1) and vertices 1.2 from it.
pub fn octahedron() -> nsdf::Model {
    let mut m = nsdf::Model::zeros(
        nsdf::Encoding::None,
        &[6],
        nsdf::Activation::Relu,
        nsdf::Activation::Identity,
    );
    let s = 1.0 / 3f32.sqrt();
    for a in 0..3 {
        m.layers[0].weights[(2 * a) * 3 + a] = 1.0;
        m.layers[0].weights[(2 * a + 1) * 3 + a] = -1.0;
    }
    m.layers[1].weights.iter_mut().for_each(|w| *w = s);
    m.layers[1].bias[0] = -OCTAHEDRON_R * s;
    m.transform = nsdf::Transform {
        scale: 0.5,
        translation: [-0.5, 0.0, 0.5],
        distance_scale: 2.0,
        bounds: [[-0.4, -1.4, -2.4], [2.4, 1.4, 0.4]],
    };
    m.stats = Some(nsdf::Stats {
        surface_mean_error: 0.0,
        surface_max_error: 0.0,
        near_sign_agreement: 1.0,
        volume_sign_agreement: 1.0,
        near_sigma: 0.02,
        gradient_bound: 1.0,
        surface_samples: 1,
        volume_samples: 1,
    });
    m
}
