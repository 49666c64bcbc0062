//! Reading a mesh file into one welded, checked [`Mesh`].
//!
//! Readers: `obj.rs`, `ply.rs`, `stl.rs`, `gltf.rs`, `points.rs` (point clouds, which
//! [`load_input`] returns as a [`PointCloud`]); writers: `write.rs`. Each reader only turns bytes into positions and triangles; the
//! checks every format needs live here, in `finish`: finite coordinates, indices in range,
//! welding of exact duplicate positions (OBJ seams, STL soups, glTF per-primitive vertices),
//! dropping degenerate triangles, a non-flat bounding box, orientation repair (`orient.rs`),
//! topology and self-intersection warnings.
//!
//! **Hostile input** (spec/threat-model.md, "Mesh readers"): no reader panics, and none
//! allocates from a count in the file before checking it against the bytes that must hold it;
//! each module's docs state its bound on the bytes allocated while loading, a multiple of the
//! file length (glTF: plus a capped cost per instanced triangle). `finish` costs about 400
//! bytes per triangle produced (weld map, edge list, BVH), which the stated bounds include.
//! One exception, outside this module: the self-intersection check (`intersect.rs`) lists
//! every crossing pair before deduplicating, and enumerates every pair of triangles whose boxes
//! overlap, so many mutually crossing triangles (or very many around one vertex) cost memory
//! or time quadratic in their number.

pub mod gltf;
pub mod obj;
pub mod ply;
pub mod points;
pub mod stl;
pub mod write;

use crate::check::{self, Topology, Warning};
use crate::error::MeshError;
use crate::orient;
use crate::{intersect, Mesh};
use std::collections::HashMap;
use std::path::Path;

/// Mesh file formats we read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Obj,
    Ply,
    Stl,
    /// glTF JSON (`.gltf`) or binary (`.glb`); told apart by the magic bytes.
    Gltf,
    /// Point-cloud text, `.xyz` or `.pts` (`points.rs`): positions, perhaps normals, no faces.
    Points,
}

impl Format {
    /// The format named by a path's extension (case-insensitive).
    pub fn from_path(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "obj" => Some(Format::Obj),
            "ply" => Some(Format::Ply),
            "stl" => Some(Format::Stl),
            "gltf" | "glb" => Some(Format::Gltf),
            "xyz" | "pts" => Some(Format::Points),
            _ => None,
        }
    }
}

/// A loaded mesh and what was wrong with it.
#[derive(Clone, Debug)]
pub struct Loaded {
    pub mesh: Mesh,
    pub warnings: Vec<Warning>,
    pub topology: Topology,
}

/// Triangles as a reader produced them, before any checks.
pub(crate) struct Raw {
    pub positions: Vec<[f32; 3]>,
    pub triangles: Vec<[u32; 3]>,
    /// One per position where the file has them (PLY `nx ny nz`, six-column `.xyz`), else empty.
    pub normals: Vec<[f32; 3]>,
}

/// Points sampled on a surface, as a scanner or a photogrammetry tool writes them: every
/// position finite, normals (unit length, unoriented as far as anyone knows) where the file
/// had them for every point.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PointCloud {
    pub positions: Vec<[f32; 3]>,
    pub normals: Option<Vec<[f32; 3]>>,
}

impl PointCloud {
    /// Axis-aligned bounding box of the points (min, max).
    pub fn bounds(&self) -> ([f32; 3], [f32; 3]) {
        crate::geom::bounds(&self.positions)
    }
}

/// Fewest points [`load_input`] takes as a point cloud: fewer cannot describe a surface.
pub const MIN_POINTS: usize = 16;

/// What a file holds: a mesh, or points with no faces.
#[derive(Clone, Debug)]
pub enum Input {
    Mesh(Loaded),
    Points(PointCloud),
}

/// Reads the file at `path` as a mesh or, when it has vertices and no faces (a vertex-only PLY,
/// `.xyz`, `.pts`), as a point cloud. OBJ files are always meshes.
pub fn load_input(path: &Path) -> Result<Input, MeshError> {
    let format = Format::from_path(path).ok_or_else(|| MeshError::UnknownFormat {
        path: path.to_path_buf(),
    })?;
    if format == Format::Gltf {
        return load(path).map(Input::Mesh);
    }
    let bytes = std::fs::read(path).map_err(|source| MeshError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    load_input_bytes(&bytes, format)
}

/// [`load_input`] from memory.
pub fn load_input_bytes(bytes: &[u8], format: Format) -> Result<Input, MeshError> {
    let raw = read_raw(bytes, format, None)?;
    if raw.triangles.is_empty() && !raw.positions.is_empty() {
        return finish_points(raw).map(Input::Points);
    }
    finish(raw.positions, raw.triangles).map(Input::Mesh)
}

/// The checks for a point cloud: enough points, finite coordinates, a solid bounding box;
/// normals kept only when every point has a usable one (they are normalised).
fn finish_points(raw: Raw) -> Result<PointCloud, MeshError> {
    let positions = raw.positions;
    if let Some(v) = positions
        .iter()
        .position(|p| p.iter().any(|x| !x.is_finite()))
    {
        return Err(MeshError::NonFinite { vertex: v });
    }
    if positions.len() < MIN_POINTS {
        return Err(MeshError::TooFewPoints {
            points: positions.len(),
            min: MIN_POINTS,
        });
    }
    let (lo, hi) = crate::geom::bounds(&positions);
    for (k, axis) in ['x', 'y', 'z'].into_iter().enumerate() {
        if hi[k] <= lo[k] {
            return Err(MeshError::FlatBounds { axis });
        }
    }
    let normals = (raw.normals.len() == positions.len())
        .then(|| {
            raw.normals
                .iter()
                .map(|n| {
                    let len = (n[0] * n[0] + n[1] * n[1] + n[2] * n[2]).sqrt();
                    (len.is_finite() && len > 0.0).then(|| n.map(|x| x / len))
                })
                .collect::<Option<Vec<_>>>()
        })
        .flatten();
    Ok(PointCloud { positions, normals })
}

/// Reads the mesh at `path` (format from the extension).
pub fn load(path: &Path) -> Result<Loaded, MeshError> {
    let format = Format::from_path(path).ok_or_else(|| MeshError::UnknownFormat {
        path: path.to_path_buf(),
    })?;
    let bytes = std::fs::read(path).map_err(|source| MeshError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let raw = read_raw(&bytes, format, path.parent())?;
    finish(raw.positions, raw.triangles)
}

/// Reads a mesh from memory. glTF files that refer to external buffer files need [`load`].
pub fn load_bytes(bytes: &[u8], format: Format) -> Result<Loaded, MeshError> {
    let raw = read_raw(bytes, format, None)?;
    finish(raw.positions, raw.triangles)
}

fn read_raw(bytes: &[u8], format: Format, dir: Option<&Path>) -> Result<Raw, MeshError> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(MeshError::Empty);
    }
    match format {
        Format::Obj => obj::read(bytes),
        Format::Ply => ply::read(bytes),
        Format::Stl => stl::read(bytes),
        Format::Gltf => gltf::read(bytes, dir),
        Format::Points => points::read(bytes),
    }
}

/// The checks and clean-up shared by every reader (see the module docs).
pub(crate) fn finish(
    positions: Vec<[f32; 3]>,
    triangles: Vec<[u32; 3]>,
) -> Result<Loaded, MeshError> {
    if positions.is_empty() && triangles.is_empty() {
        return Err(MeshError::Empty);
    }
    if triangles.is_empty() {
        return Err(MeshError::NoFaces {
            vertices: positions.len(),
        });
    }
    if let Some(v) = positions
        .iter()
        .position(|p| p.iter().any(|x| !x.is_finite()))
    {
        return Err(MeshError::NonFinite { vertex: v });
    }
    let n = positions.len();
    for (f, t) in triangles.iter().enumerate() {
        if let Some(&i) = t.iter().find(|&&i| i as usize >= n) {
            return Err(MeshError::IndexOutOfRange {
                face: f,
                index: i as i64,
                vertices: n,
            });
        }
    }

    // Weld: one vertex per distinct position (−0.0 and 0.0 are the same point), keeping only
    // referenced vertices, numbered in order of first use.
    let key = |p: &[f32; 3]| p.map(|x| if x == 0.0 { 0u32 } else { x.to_bits() });
    let mut map: HashMap<[u32; 3], u32> = HashMap::with_capacity(n);
    let mut welded: Vec<[f32; 3]> = Vec::with_capacity(n);
    let mut remap = vec![u32::MAX; n];
    let mut tris = Vec::with_capacity(triangles.len());
    let mut degenerate = 0usize;
    for t in &triangles {
        let w = t.map(|i| {
            let i = i as usize;
            if remap[i] == u32::MAX {
                let p = positions[i];
                remap[i] = *map.entry(key(&p)).or_insert_with(|| {
                    welded.push(p);
                    (welded.len() - 1) as u32
                });
            }
            remap[i]
        });
        if is_degenerate(&welded, w) {
            degenerate += 1;
        } else {
            tris.push(w);
        }
    }
    if tris.is_empty() {
        return Err(MeshError::AllDegenerate {
            faces: triangles.len(),
        });
    }
    // Degenerate triangles may have been the only users of some vertices: compact again.
    let mut mesh = compact(welded, tris);

    let (lo, hi) = mesh.bounds();
    for (k, axis) in ['x', 'y', 'z'].into_iter().enumerate() {
        if hi[k] <= lo[k] {
            return Err(MeshError::FlatBounds { axis });
        }
    }

    let mut warnings = Vec::new();
    if degenerate > 0 {
        warnings.push(Warning::DegenerateDropped { count: degenerate });
    }
    let mut topology = check::topology(&mesh);
    if topology.inconsistent_edges > 0 {
        let reoriented = orient::orient(&mut mesh);
        warnings.push(Warning::Reoriented {
            faces: reoriented.faces,
            patches: reoriented.patches,
        });
        topology = check::topology(&mesh);
    }
    warnings.extend(check::warnings(&topology));
    let crossing = intersect::self_intersecting_faces(&mesh).len();
    if crossing > 0 {
        warnings.push(Warning::SelfIntersections { faces: crossing });
    }
    let clean = topology.boundary_edges == 0 && topology.inconsistent_edges == 0;
    if clean && check::signed_volume(&mesh) < 0.0 {
        for t in &mut mesh.triangles {
            t.swap(1, 2);
        }
        warnings.push(Warning::InsideOutFlipped);
    }
    Ok(Loaded {
        mesh,
        warnings,
        topology,
    })
}

/// Zero area: a repeated vertex, or three collinear points. The cross product is computed in
/// f64 from f32 inputs, where it is exact enough that "exactly zero" means collinear.
fn is_degenerate(p: &[[f32; 3]], t: [u32; 3]) -> bool {
    if t[0] == t[1] || t[1] == t[2] || t[0] == t[2] {
        return true;
    }
    let [a, b, c] = t.map(|i| p[i as usize]);
    crate::distance::triangle::area_vector(a, b, c) == [0.0; 3]
}

fn compact(positions: Vec<[f32; 3]>, triangles: Vec<[u32; 3]>) -> Mesh {
    let mut remap = vec![u32::MAX; positions.len()];
    let mut out = Vec::with_capacity(positions.len());
    let triangles = triangles
        .into_iter()
        .map(|t| {
            t.map(|i| {
                let i = i as usize;
                if remap[i] == u32::MAX {
                    remap[i] = out.len() as u32;
                    out.push(positions[i]);
                }
                remap[i]
            })
        })
        .collect();
    Mesh {
        positions: out,
        triangles,
    }
}
