//! Topology checks on a welded mesh: the warnings users see, and the facts the sign needs.

use crate::geom::*;
use crate::Mesh;
use rayon::prelude::*;
use std::fmt;

/// Something wrong with a mesh that still leaves it usable (the winding-number sign copes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Warning {
    /// Zero-area triangles (repeated or collinear vertices) were removed.
    DegenerateDropped { count: usize },
    /// Edges used by one triangle only: the surface has holes.
    OpenBoundary { edges: usize },
    /// Edges shared by more than two triangles.
    NonManifold { edges: usize },
    /// Triangles flipped so that neighbours agree (see `orient.rs`).
    Reoriented { faces: usize, patches: usize },
    /// Edges whose two triangles still traverse them in the same direction after
    /// reorientation: the surface is not orientable there.
    InconsistentWinding { edges: usize },
    /// The closed, consistently oriented mesh had negative volume (normals inward); all
    /// triangles were flipped.
    InsideOutFlipped,
    /// Triangles that pass through other, non-adjacent triangles (see `intersect.rs`).
    SelfIntersections { faces: usize },
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::DegenerateDropped { count } => {
                write!(f, "dropped {count} degenerate (zero-area) triangle(s)")
            }
            Warning::OpenBoundary { edges } => write!(
                f,
                "mesh is not closed: {edges} boundary edge(s); the sign comes from the \
                 winding number, which tolerates holes"
            ),
            Warning::NonManifold { edges } => {
                write!(
                    f,
                    "{edges} non-manifold edge(s) (shared by more than two triangles)"
                )
            }
            Warning::Reoriented { faces, patches } => write!(
                f,
                "inconsistent winding: flipped {faces} triangle(s) in {patches} patch(es) so \
                 that neighbours agree (each patch keeps the orientation most of its area had)"
            ),
            Warning::InconsistentWinding { edges } => write!(
                f,
                "inconsistent winding: {edges} edge(s) where neighbouring triangles face opposite \
                 ways even after reorientation (the surface is not orientable there)"
            ),
            Warning::InsideOutFlipped => {
                write!(
                    f,
                    "mesh was inside out (negative volume): flipped all triangles"
                )
            }
            Warning::SelfIntersections { faces } => write!(
                f,
                "mesh intersects itself: {faces} triangle(s) pass through other, non-adjacent \
                 triangles; the sign follows the winding number, which counts overlapping \
                 regions as inside"
            ),
        }
    }
}

/// Edge statistics of a mesh.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Topology {
    pub boundary_edges: usize,
    pub non_manifold_edges: usize,
    pub inconsistent_edges: usize,
    /// Every directed edge a→b is matched by as many b→a: the mesh is a closed cycle and its
    /// winding number is an integer that changes only across the surface.
    pub closed: bool,
}

/// Counts edge uses in both directions.
pub fn topology(mesh: &Mesh) -> Topology {
    // (undirected key, +1 for a→b with a<b, −1 otherwise), sorted so equal keys are adjacent.
    let mut edges: Vec<(u64, i8)> = mesh
        .triangles
        .par_iter()
        .flat_map_iter(|t| {
            (0..3).map(move |k| {
                let (a, b) = (t[k], t[(k + 1) % 3]);
                if a < b {
                    (((a as u64) << 32) | b as u64, 1i8)
                } else {
                    (((b as u64) << 32) | a as u64, -1i8)
                }
            })
        })
        .collect();
    edges.par_sort_unstable();
    let mut topo = Topology {
        closed: true,
        ..Default::default()
    };
    let mut i = 0;
    while i < edges.len() {
        let key = edges[i].0;
        let (mut fwd, mut bwd) = (0usize, 0usize);
        while i < edges.len() && edges[i].0 == key {
            if edges[i].1 > 0 {
                fwd += 1;
            } else {
                bwd += 1;
            }
            i += 1;
        }
        match fwd + bwd {
            1 => topo.boundary_edges += 1,
            2 if fwd != 1 => topo.inconsistent_edges += 1,
            2 => {}
            _ => topo.non_manifold_edges += 1,
        }
        if fwd != bwd {
            topo.closed = false;
        }
    }
    topo
}

/// Signed volume enclosed by the triangles (meaningful for closed meshes), in f64 about the
/// bounding-box centre so large offsets do not cancel away the digits.
pub fn signed_volume(mesh: &Mesh) -> f64 {
    let (lo, hi) = mesh.bounds();
    let o = dscale(dadd(to_d(lo), to_d(hi)), 0.5);
    mesh.triangles
        .par_iter()
        .map(|&t| cone_volume(mesh, t, o))
        .sum()
}

/// Signed volume of the cone from `o` to triangle `t` (positive when `t` faces away from `o`).
pub(crate) fn cone_volume(mesh: &Mesh, t: [u32; 3], o: D3) -> f64 {
    let [a, b, c] = t.map(|v| dsub(to_d(mesh.positions[v as usize]), o));
    ddot(a, dcross(b, c)) / 6.0
}

/// The warnings that describe `topo`.
pub fn warnings(topo: &Topology) -> Vec<Warning> {
    let mut w = Vec::new();
    if topo.boundary_edges > 0 {
        w.push(Warning::OpenBoundary {
            edges: topo.boundary_edges,
        });
    }
    if topo.non_manifold_edges > 0 {
        w.push(Warning::NonManifold {
            edges: topo.non_manifold_edges,
        });
    }
    if topo.inconsistent_edges > 0 {
        w.push(Warning::InconsistentWinding {
            edges: topo.inconsistent_edges,
        });
    }
    w
}
