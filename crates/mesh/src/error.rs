//! Why a mesh could not be used. Every message names the problem (and where, when known).

use std::fmt;
use std::path::PathBuf;

#[derive(Debug)]
pub enum MeshError {
    /// The file could not be read.
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The extension is not one we read.
    UnknownFormat { path: PathBuf },
    /// The file holds no vertices and no faces.
    Empty,
    /// Vertices but no triangles.
    NoFaces { vertices: usize },
    /// A point cloud with too few points to describe a surface.
    TooFewPoints { points: usize, min: usize },
    /// A face refers to a vertex that does not exist.
    IndexOutOfRange {
        face: usize,
        index: i64,
        vertices: usize,
    },
    /// A coordinate is NaN or infinite.
    NonFinite { vertex: usize },
    /// Every triangle has zero area.
    AllDegenerate { faces: usize },
    /// The bounding box has zero extent along an axis: the mesh is flat and encloses nothing.
    FlatBounds { axis: char },
    /// The file asks for more than a reader allows (see each reader's module docs): `what` says
    /// what was counted and how many the file asks for, `limit` is the most allowed. Checked
    /// before anything is allocated for it.
    LimitExceeded {
        format: &'static str,
        what: String,
        limit: u64,
    },
    /// The file is malformed; `at` says where (line or byte offset; empty when unknown).
    Parse {
        format: &'static str,
        at: String,
        msg: String,
    },
}

impl MeshError {
    pub(crate) fn parse(
        format: &'static str,
        at: impl Into<String>,
        msg: impl Into<String>,
    ) -> Self {
        MeshError::Parse {
            format,
            at: at.into(),
            msg: msg.into(),
        }
    }

    pub(crate) fn limit(format: &'static str, what: impl Into<String>, limit: u64) -> Self {
        MeshError::LimitExceeded {
            format,
            what: what.into(),
            limit,
        }
    }
}

impl fmt::Display for MeshError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MeshError::Io { path, source } => write!(f, "cannot read {}: {source}", path.display()),
            MeshError::UnknownFormat { path } => write!(
                f,
                "{}: unknown mesh format (expected .obj, .ply, .stl, .gltf or .glb; point clouds .ply, .xyz or .pts)",
                path.display()
            ),
            MeshError::Empty => write!(f, "the mesh is empty (no vertices, no faces)"),
            MeshError::NoFaces { vertices } => {
                write!(
                    f,
                    "the mesh has {vertices} vertices but no faces (a point cloud: `nsdf pack` reads one from PLY, .xyz or .pts)"
                )
            }
            MeshError::TooFewPoints { points, min } => write!(
                f,
                "the point cloud has {points} points; a surface needs at least {min}"
            ),
            MeshError::IndexOutOfRange {
                face,
                index,
                vertices,
            } => write!(
                f,
                "face {face} refers to vertex {index}, but there are only {vertices} vertices"
            ),
            MeshError::NonFinite { vertex } => {
                write!(f, "vertex {vertex} has a NaN or infinite coordinate")
            }
            MeshError::AllDegenerate { faces } => {
                write!(f, "all {faces} faces are degenerate (zero area)")
            }
            MeshError::FlatBounds { axis } => write!(
                f,
                "the bounding box has zero size along {axis}: a flat mesh encloses no volume"
            ),
            MeshError::LimitExceeded {
                format,
                what,
                limit,
            } => write!(
                f,
                "refusing {format} file: {what}, more than the limit of {limit}"
            ),
            MeshError::Parse { format, at, msg } if at.is_empty() => {
                write!(f, "bad {format} file: {msg}")
            }
            MeshError::Parse { format, at, msg } => write!(f, "bad {format} file at {at}: {msg}"),
        }
    }
}

impl std::error::Error for MeshError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            MeshError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}
