//! Mesh writers: OBJ (text), PLY (binary little-endian) and STL (binary). Each builds the file in
//! memory; callers write it with `nsdf::write_atomic`, so no half-written mesh is ever left.

use crate::surface::TriMesh;
use std::fmt::Write as _;
use std::path::Path;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MeshFormat {
    Obj,
    Ply,
    Stl,
}

impl MeshFormat {
    /// The format named by a path's extension.
    pub fn from_path(path: &Path) -> Result<MeshFormat, String> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(|e| e.to_ascii_lowercase());
        match ext.as_deref() {
            Some("obj") => Ok(MeshFormat::Obj),
            Some("ply") => Ok(MeshFormat::Ply),
            Some("stl") => Ok(MeshFormat::Stl),
            _ => Err(format!(
                "{}: unknown mesh format (use .obj, .ply or .stl)",
                path.display()
            )),
        }
    }
}

pub fn to_bytes(mesh: &TriMesh, format: MeshFormat) -> Vec<u8> {
    match format {
        MeshFormat::Obj => obj(mesh),
        MeshFormat::Ply => ply(mesh),
        MeshFormat::Stl => stl(mesh),
    }
}

fn obj(mesh: &TriMesh) -> Vec<u8> {
    let mut s = String::with_capacity(mesh.positions.len() * 60 + mesh.triangles.len() * 30);
    s.push_str("# written by nsdf\n");
    for p in &mesh.positions {
        let _ = writeln!(s, "v {} {} {}", p[0], p[1], p[2]);
    }
    for n in &mesh.normals {
        let _ = writeln!(s, "vn {} {} {}", n[0], n[1], n[2]);
    }
    let with_normals = mesh.normals.len() == mesh.positions.len();
    for t in &mesh.triangles {
        let [a, b, c] = t.map(|i| i + 1);
        let _ = if with_normals {
            writeln!(s, "f {a}//{a} {b}//{b} {c}//{c}")
        } else {
            writeln!(s, "f {a} {b} {c}")
        };
    }
    s.into_bytes()
}

fn ply(mesh: &TriMesh) -> Vec<u8> {
    let with_normals = mesh.normals.len() == mesh.positions.len();
    let mut out = format!(
        "ply\nformat binary_little_endian 1.0\ncomment written by nsdf\nelement vertex {}\n\
         property float x\nproperty float y\nproperty float z\n{}element face {}\n\
         property list uchar int vertex_indices\nend_header\n",
        mesh.positions.len(),
        if with_normals {
            "property float nx\nproperty float ny\nproperty float nz\n"
        } else {
            ""
        },
        mesh.triangles.len()
    )
    .into_bytes();
    for (i, p) in mesh.positions.iter().enumerate() {
        p.iter()
            .for_each(|x| out.extend_from_slice(&x.to_le_bytes()));
        if with_normals {
            mesh.normals[i]
                .iter()
                .for_each(|x| out.extend_from_slice(&x.to_le_bytes()));
        }
    }
    for t in &mesh.triangles {
        out.push(3);
        t.iter()
            .for_each(|&i| out.extend_from_slice(&(i as i32).to_le_bytes()));
    }
    out
}

fn stl(mesh: &TriMesh) -> Vec<u8> {
    let mut out = vec![0u8; 80];
    out[..16].copy_from_slice(b"written by nsdf\0");
    out.extend_from_slice(&(mesh.triangles.len() as u32).to_le_bytes());
    for t in &mesh.triangles {
        let [a, b, c] = t.map(|i| mesh.positions[i as usize]);
        let u = [b[0] - a[0], b[1] - a[1], b[2] - a[2]];
        let v = [c[0] - a[0], c[1] - a[1], c[2] - a[2]];
        let n = [
            u[1] * v[2] - u[2] * v[1],
            u[2] * v[0] - u[0] * v[2],
            u[0] * v[1] - u[1] * v[0],
        ];
        let len = (n[0] * n[0] + n[1] * n[1] + n[2] * n[2]).sqrt().max(1e-30);
        for x in n.map(|x| x / len).iter().chain(&a).chain(&b).chain(&c) {
            out.extend_from_slice(&x.to_le_bytes());
        }
        out.extend_from_slice(&[0, 0]);
    }
    out
}
