//! glTF 2.0, JSON (`.gltf`, buffers embedded as data URIs or in files beside it) or binary
//! (`.glb`). The `gltf` crate parses and validates the JSON; accessors are read here with every
//! offset, stride and count checked against the bytes present, so a hostile file gets an error,
//! not a panic.
//!
//! Every triangle primitive (triangles, strips, fans) of every mesh instance in the default
//! scene is placed by its node's world transform and appended to one mesh. Files without
//! scenes contribute each mesh once, untransformed.
//!
//! **Memory bound.** Instancing lets a small file describe a huge mesh (one mesh placed by
//! hundreds of thousands of nodes, or many primitives sharing one accessor), so before any
//! accessor is decoded the node tree is walked once per node (iteratively, with memoised
//! per-node totals in checked arithmetic): a cycle is refused, and so is a scene whose
//! instanced totals exceed [`MAX_NODE_VISITS`] node visits, or
//! max([`MAX_INSTANCED`], [`INSTANCED_PER_BYTE`] × input bytes) triangles or vertices (input
//! bytes: the file plus any external buffer files). The multiple of the input means a file that
//! does not instance is never refused (every stored triangle costs at least one byte). Every
//! accessor's offset, stride and count are checked against its buffer view and buffer before
//! it is read; data URIs decode to ¾ of their length; the GLB binary chunk is borrowed, not
//! copied per buffer; the GLB header is checked before `gltf` sees it (its length field would
//! underflow); `gltf`'s list of validation errors is cut to the first three. Loading allocates
//! at most **64 × the input + 64 KiB + 512 bytes per instanced triangle and per instanced
//! vertex** (the JSON tree, the loader's checks; `tests/alloc_bound.rs`, measured 24× on a
//! refused 300,000-instance file), so a small hostile file costs at most about 4 GiB at the
//! caps (2^22 triangles and vertices), and one past them about 24 × its length.

use crate::error::MeshError;
use crate::io::Raw;
use gltf::accessor::{DataType, Dimensions};
use gltf::mesh::Mode;
use std::borrow::Cow;
use std::path::Path;

type Mat = [[f64; 4]; 4]; // column-major, as glTF stores it

const IDENTITY: Mat = [
    [1.0, 0.0, 0.0, 0.0],
    [0.0, 1.0, 0.0, 0.0],
    [0.0, 0.0, 1.0, 0.0],
    [0.0, 0.0, 0.0, 1.0],
];
/// Most node visits a scene may need (a node reached along k paths is visited k times).
pub const MAX_NODE_VISITS: u64 = 1 << 20;
/// Instanced triangles, and separately vertices, always allowed (4,194,304; about 1 GiB of
/// loader memory at the most).
pub const MAX_INSTANCED: u64 = 1 << 22;
/// Instanced triangles (and vertices) allowed per byte of input beyond [`MAX_INSTANCED`].
pub const INSTANCED_PER_BYTE: u64 = 8;

/// The first few of `gltf`'s validation errors (it lists every one: a hostile file can have
/// millions).
fn first_errors(e: gltf::Error) -> String {
    let msg = e.to_string();
    let parts: Vec<&str> = msg.split("; ").collect();
    if parts.len() <= 4 {
        return msg;
    }
    format!("{}; and {} more", parts[..3].join("; "), parts.len() - 3)
}

fn err(msg: impl Into<String>) -> MeshError {
    MeshError::parse("glTF", "", msg)
}

pub(crate) fn read(bytes: &[u8], dir: Option<&Path>) -> Result<Raw, MeshError> {
    check_glb_header(bytes)?;
    // Validation in gltf-json 1.4.1 indexes the POSITION accessor before checking it exists,
    // so check that reference first, then validate.
    let raw = gltf::Gltf::from_slice_without_validation(bytes).map_err(|e| err(e.to_string()))?;
    let accessors = raw.document.as_json().accessors.len();
    let positions = gltf::json::validation::Checked::Valid(gltf::Semantic::Positions);
    for (m, mesh) in raw.document.as_json().meshes.iter().enumerate() {
        for p in &mesh.primitives {
            if p.attributes
                .get(&positions)
                .is_some_and(|i| i.value() >= accessors)
            {
                return Err(err(format!(
                    "mesh {m}: POSITION refers to a missing accessor"
                )));
            }
        }
    }
    let blob = raw.blob;
    let document =
        gltf::Document::from_json(raw.document.into_json()).map_err(|e| err(first_errors(e)))?;
    let gltf = gltf::Gltf { document, blob };
    let mut input = bytes.len() as u64;
    let buffers = gltf
        .buffers()
        .map(|b| {
            let data = match b.source() {
                gltf::buffer::Source::Bin => Cow::Borrowed(
                    gltf.blob
                        .as_deref()
                        .ok_or_else(|| err("buffer refers to a missing GLB binary chunk"))?,
                ),
                gltf::buffer::Source::Uri(uri) => {
                    let (data, external) = read_uri(uri, dir)?;
                    if external {
                        input = input.saturating_add(data.len() as u64);
                    }
                    Cow::Owned(data)
                }
            };
            if data.len() < b.length() {
                return Err(err(format!(
                    "buffer {} has {} bytes, fewer than its declared {}",
                    b.index(),
                    data.len(),
                    b.length()
                )));
            }
            Ok(data)
        })
        .collect::<Result<Vec<_>, _>>()?;

    let scene = gltf.default_scene().or_else(|| gltf.scenes().next());
    check_instancing(&gltf, scene.as_ref(), input)?;
    let mut raw = Raw {
        positions: Vec::new(),
        triangles: Vec::new(),
        normals: Vec::new(),
    };
    match scene {
        Some(scene) => {
            // `check_instancing` proved the hierarchy acyclic and its visits few.
            let mut stack: Vec<(gltf::Node, Mat)> = scene.nodes().map(|n| (n, IDENTITY)).collect();
            while let Some((node, parent)) = stack.pop() {
                let local = node.transform().matrix().map(|c| c.map(|x| x as f64));
                let world = mul(&parent, &local);
                if let Some(mesh) = node.mesh() {
                    append_mesh(&mesh, &world, &buffers, &mut raw)?;
                }
                stack.extend(node.children().map(|c| (c, world)));
            }
        }
        None => {
            for mesh in gltf.meshes() {
                append_mesh(&mesh, &IDENTITY, &buffers, &mut raw)?;
            }
        }
    }
    Ok(raw)
}

fn append_mesh(
    mesh: &gltf::Mesh,
    m: &Mat,
    buffers: &[Cow<[u8]>],
    raw: &mut Raw,
) -> Result<(), MeshError> {
    // A mirroring transform reverses the winding (glTF spec §3.7.4).
    let mirrored = det3(m) < 0.0;
    for prim in mesh.primitives() {
        let mode = prim.mode();
        if !matches!(
            mode,
            Mode::Triangles | Mode::TriangleStrip | Mode::TriangleFan
        ) {
            continue;
        }
        let pos = prim.get(&gltf::Semantic::Positions).ok_or_else(|| {
            err(format!(
                "mesh {} has a primitive without POSITION",
                mesh.index()
            ))
        })?;
        if pos.data_type() != DataType::F32 || pos.dimensions() != Dimensions::Vec3 {
            return Err(err(format!(
                "POSITION accessor {} is not float VEC3",
                pos.index()
            )));
        }
        let base = raw.positions.len();
        let (data, stride) = accessor_bytes(&pos, buffers)?;
        raw.positions.reserve(pos.count());
        for i in 0..pos.count() {
            let s = &data[i * stride..i * stride + 12];
            let f = |k: usize| {
                f32::from_le_bytes([s[4 * k], s[4 * k + 1], s[4 * k + 2], s[4 * k + 3]]) as f64
            };
            let (x, y, z) = (f(0), f(1), f(2));
            let t = |r: usize| (m[0][r] * x + m[1][r] * y + m[2][r] * z + m[3][r]) as f32;
            raw.positions.push([t(0), t(1), t(2)]);
        }
        if raw.positions.len() > u32::MAX as usize {
            return Err(err("more than 2^32 vertices"));
        }
        let idx: Vec<u32> = match prim.indices() {
            Some(acc) => {
                if acc.dimensions() != Dimensions::Scalar {
                    return Err(err(format!("index accessor {} is not SCALAR", acc.index())));
                }
                let (data, stride) = accessor_bytes(&acc, buffers)?;
                let size = acc.data_type().size();
                (0..acc.count())
                    .map(|i| {
                        let s = &data[i * stride..i * stride + size];
                        match acc.data_type() {
                            DataType::U8 => Ok(s[0] as u32),
                            DataType::U16 => Ok(u16::from_le_bytes([s[0], s[1]]) as u32),
                            DataType::U32 => Ok(u32::from_le_bytes([s[0], s[1], s[2], s[3]])),
                            _ => Err(err(format!(
                                "index accessor {} is not unsigned",
                                acc.index()
                            ))),
                        }
                    })
                    .collect::<Result<_, _>>()?
            }
            None => (0..pos.count() as u32).collect(),
        };
        let n = pos.count() as u32;
        let mut push = |a: u32, b: u32, c: u32| {
            // Out-of-range indices become u32::MAX, which the loader reports.
            let g = |i: u32| if i < n { base as u32 + i } else { u32::MAX };
            let t = if mirrored {
                [g(a), g(c), g(b)]
            } else {
                [g(a), g(b), g(c)]
            };
            raw.triangles.push(t);
        };
        match mode {
            Mode::Triangles => idx.chunks_exact(3).for_each(|t| push(t[0], t[1], t[2])),
            Mode::TriangleStrip => {
                for i in 2..idx.len() {
                    if i % 2 == 0 {
                        push(idx[i - 2], idx[i - 1], idx[i]);
                    } else {
                        push(idx[i - 1], idx[i - 2], idx[i]);
                    }
                }
            }
            _ => (2..idx.len()).for_each(|i| push(idx[0], idx[i - 1], idx[i])),
        }
    }
    Ok(())
}

/// The bytes from the accessor's first element to the end of its last, and its stride;
/// every element `i < count` is at `data[i * stride..][..element size]`.
fn accessor_bytes<'b>(
    acc: &gltf::Accessor,
    buffers: &'b [Cow<[u8]>],
) -> Result<(&'b [u8], usize), MeshError> {
    if acc.sparse().is_some() {
        return Err(err(format!(
            "accessor {} is sparse, which is not supported",
            acc.index()
        )));
    }
    let view = acc
        .view()
        .ok_or_else(|| err(format!("accessor {} has no buffer view", acc.index())))?;
    let elem = acc.size();
    let stride = view.stride().unwrap_or(elem);
    if stride < elem {
        return Err(err(format!(
            "buffer view {} stride {stride} < element size {elem}",
            view.index()
        )));
    }
    let buf = &buffers[view.buffer().index()];
    let range = || -> Option<&'b [u8]> {
        let v = buf.get(view.offset()..view.offset().checked_add(view.length())?)?;
        if acc.count() == 0 {
            return Some(&v[0..0]);
        }
        let len = stride.checked_mul(acc.count() - 1)?.checked_add(elem)?;
        v.get(acc.offset()..acc.offset().checked_add(len)?)
    };
    let data =
        range().ok_or_else(|| err(format!("accessor {} reaches past its buffer", acc.index())))?;
    Ok((data, stride))
}

/// A buffer's bytes, and whether they came from a file (not from the input itself).
fn read_uri(uri: &str, dir: Option<&Path>) -> Result<(Vec<u8>, bool), MeshError> {
    if let Some(rest) = uri.strip_prefix("data:") {
        let (_, b64) = rest
            .split_once(";base64,")
            .ok_or_else(|| err("data URI is not base64 (`data:...;base64,`)"))?;
        let data = base64_decode(b64).ok_or_else(|| err("bad base64 in data URI"))?;
        return Ok((data, false));
    }
    if uri.contains("://") {
        return Err(err(format!("buffer URI {uri:?} is not a local file")));
    }
    let dir = dir.ok_or_else(|| err(format!("buffer file {uri:?} needs the .gltf file's path")))?;
    let path = dir.join(percent_decode(uri));
    let data = std::fs::read(&path)
        .map_err(|e| err(format!("cannot read buffer {}: {e}", path.display())))?;
    Ok((data, true))
}

/// A GLB's 12-byte header, checked before `gltf` reads it: `gltf` 1.4.1 subtracts 12 from the
/// declared length unchecked.
fn check_glb_header(bytes: &[u8]) -> Result<(), MeshError> {
    if !bytes.starts_with(b"glTF") {
        return Ok(());
    }
    let Some(len) = bytes.get(8..12) else {
        return Err(err("GLB header is shorter than 12 bytes"));
    };
    let len = u32::from_le_bytes([len[0], len[1], len[2], len[3]]) as u64;
    if len < 12 || len > bytes.len() as u64 {
        return Err(err(format!(
            "GLB header declares {len} bytes, the file has {}",
            bytes.len()
        )));
    }
    Ok(())
}

/// Instanced totals of what a node (or scene) puts in the mesh.
#[derive(Clone, Copy, Default)]
struct Totals {
    visits: u64,
    vertices: u64,
    triangles: u64,
}

impl Totals {
    fn add(self, o: Totals) -> Totals {
        Totals {
            visits: self.visits.saturating_add(o.visits),
            vertices: self.vertices.saturating_add(o.vertices),
            triangles: self.triangles.saturating_add(o.triangles),
        }
    }
}

/// What one copy of a mesh adds, from the declared accessor counts (checked against the buffers
/// later, when read).
fn mesh_totals(mesh: &gltf::Mesh) -> Totals {
    let mut t = Totals::default();
    for prim in mesh.primitives() {
        let Some(pos) = prim.get(&gltf::Semantic::Positions) else {
            continue;
        };
        let n = prim.indices().map_or(pos.count(), |a| a.count()) as u64;
        let tris = match prim.mode() {
            Mode::Triangles => n / 3,
            Mode::TriangleStrip | Mode::TriangleFan => n.saturating_sub(2),
            _ => continue,
        };
        t.vertices = t.vertices.saturating_add(pos.count() as u64);
        t.triangles = t.triangles.saturating_add(tris);
    }
    t
}

/// Refuses a node cycle, and a scene whose instanced totals pass the limits (module docs),
/// before anything is decoded. One iterative depth-first pass, each node expanded once.
fn check_instancing(
    gltf: &gltf::Gltf,
    scene: Option<&gltf::Scene>,
    input: u64,
) -> Result<(), MeshError> {
    let meshes: Vec<Totals> = gltf.meshes().map(|m| mesh_totals(&m)).collect();
    let total = match scene {
        None => meshes.iter().fold(Totals::default(), |a, &b| a.add(b)),
        Some(scene) => {
            let nodes: Vec<gltf::Node> = gltf.nodes().collect();
            // None: not reached yet; Some(None): on the current path; Some(Some(t)): done.
            let mut memo: Vec<Option<Option<Totals>>> = vec![None; nodes.len()];
            let mut total = Totals::default();
            for root in scene.nodes() {
                let mut stack = vec![(root.index(), false)];
                while let Some((i, children_done)) = stack.pop() {
                    if children_done {
                        let node = &nodes[i];
                        let own = Totals {
                            visits: 1,
                            ..node.mesh().map_or(Totals::default(), |m| meshes[m.index()])
                        };
                        let t = node.children().fold(own, |a, c| {
                            a.add(memo[c.index()].flatten().unwrap_or_default())
                        });
                        memo[i] = Some(Some(t));
                        continue;
                    }
                    match memo[i] {
                        Some(Some(_)) => continue,
                        Some(None) => {
                            return Err(err(format!("node {i} is its own ancestor (a cycle)")))
                        }
                        None => {}
                    }
                    memo[i] = Some(None);
                    stack.push((i, true));
                    stack.extend(nodes[i].children().map(|c| (c.index(), false)));
                }
                total = total.add(memo[root.index()].flatten().unwrap_or_default());
            }
            total
        }
    };
    if total.visits > MAX_NODE_VISITS {
        return Err(MeshError::limit(
            "glTF",
            format!("{} node visits", total.visits),
            MAX_NODE_VISITS,
        ));
    }
    let limit = MAX_INSTANCED.max(INSTANCED_PER_BYTE.saturating_mul(input));
    for (what, n) in [
        ("instanced triangles", total.triangles),
        ("instanced vertices", total.vertices),
    ] {
        if n > limit {
            return Err(MeshError::limit("glTF", format!("{n} {what}"), limit));
        }
    }
    Ok(())
}

fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        } as u32)
    };
    let bytes: Vec<u8> = s
        .bytes()
        .filter(|c| !c.is_ascii_whitespace() && *c != b'=')
        .collect();
    let mut out = Vec::with_capacity(bytes.len() / 4 * 3 + 3);
    for chunk in bytes.chunks(4) {
        if chunk.len() == 1 {
            return None;
        }
        let mut acc = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            acc |= val(c)? << (18 - 6 * i);
        }
        let b = acc.to_be_bytes();
        out.extend_from_slice(&b[1..chunk.len()]);
    }
    Some(out)
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn mul(a: &Mat, b: &Mat) -> Mat {
    let mut m = [[0.0; 4]; 4];
    for (c, col) in m.iter_mut().enumerate() {
        for (r, x) in col.iter_mut().enumerate() {
            *x = (0..4).map(|k| a[k][r] * b[c][k]).sum();
        }
    }
    m
}

fn det3(m: &Mat) -> f64 {
    let e = |r: usize, c: usize| m[c][r];
    e(0, 0) * (e(1, 1) * e(2, 2) - e(1, 2) * e(2, 1))
        - e(0, 1) * (e(1, 0) * e(2, 2) - e(1, 2) * e(2, 0))
        + e(0, 2) * (e(1, 0) * e(2, 1) - e(1, 1) * e(2, 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips_known_strings() {
        assert_eq!(base64_decode("TWFu").unwrap(), b"Man");
        assert_eq!(base64_decode("TWE=").unwrap(), b"Ma");
        assert_eq!(base64_decode("TQ==").unwrap(), b"M");
        assert!(base64_decode("T").is_none());
        assert!(base64_decode("T$==").is_none());
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("a%20b.bin"), "a b.bin");
        assert_eq!(percent_decode("x%2"), "x%2");
    }
}
