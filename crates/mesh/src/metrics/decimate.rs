//! The equal-bytes baseline: the reference mesh decimated with quadric error metrics
//! (meshoptimizer's `simplify`) until it fits in as many bytes as the `.nsdf` file, counted
//! under [`super::sizes::RAW_ENCODING`]. This is the comparison Davies et al. argue from.

use super::sizes::raw_bytes;
use crate::Mesh;
use meshopt::{SimplifyOptions, VertexDataAdapter};

/// Attempts at the triangle target before settling (each is one simplification).
const ATTEMPTS: usize = 12;

/// The decimated mesh and whether it fits the budget.
#[derive(Clone, Debug)]
pub struct Decimation {
    /// The largest decimation found within the budget, or (when none fits) the smallest one
    /// meshoptimizer reached. `None` when no simplification left a usable mesh.
    pub mesh: Option<Mesh>,
    /// Its size under the raw encoding.
    pub bytes: u64,
    pub fits: bool,
}

/// Decimates `mesh` to at most `budget` bytes under the raw encoding, keeping as many
/// triangles as fit. Deterministic (meshoptimizer is).
pub fn decimate_to_bytes(mesh: &Mesh, budget: u64) -> Decimation {
    let full = raw_bytes(mesh.positions.len(), mesh.triangles.len());
    if full <= budget {
        return Decimation {
            mesh: Some(mesh.clone()),
            bytes: full,
            fits: true,
        };
    }
    let indices: Vec<u32> = mesh.triangles.iter().flatten().copied().collect();
    let positions = meshopt::typed_to_bytes(&mesh.positions);
    let Ok(adapter) = VertexDataAdapter::new(positions, 12, 0) else {
        return Decimation {
            mesh: None,
            bytes: 0,
            fits: false,
        };
    };
    // A closed mesh has about half as many vertices as triangles: 6 + 6 bytes per triangle.
    let mut target = (budget / 12).max(1) as usize;
    let mut best: Option<(Mesh, u64)> = None; // fits, most triangles
    let mut smallest: Option<(Mesh, u64)> = None; // does not fit, fewest bytes
    for _ in 0..ATTEMPTS {
        let out = meshopt::simplify(
            &indices,
            &adapter,
            3 * target,
            1.0,
            SimplifyOptions::empty(),
            None,
        );
        let Some(m) = compact(mesh, &out) else { break };
        let bytes = raw_bytes(m.positions.len(), m.triangles.len());
        let tris = m.triangles.len();
        let scale = budget as f64 / bytes as f64;
        if bytes <= budget {
            let better = best.as_ref().is_none_or(|(b, _)| tris > b.triangles.len());
            if better {
                best = Some((m, bytes));
            }
            // Close enough to the budget, or the mesh was not decimated further than asked.
            if scale < 1.03 || tris < target {
                break;
            }
            target = ((tris as f64 * scale * 0.995) as usize).max(target + 1);
        } else {
            if smallest.as_ref().is_none_or(|(_, b)| bytes < *b) {
                smallest = Some((m, bytes));
            }
            let next = ((tris.min(target) as f64 * scale * 0.98) as usize).max(1);
            if next >= target && tris > target {
                break; // meshoptimizer cannot go lower than it just did
            }
            target = next.min(target.saturating_sub(1)).max(1);
        }
    }
    match (best, smallest) {
        (Some((m, bytes)), _) => Decimation {
            mesh: Some(m),
            bytes,
            fits: true,
        },
        (None, Some((m, bytes))) => Decimation {
            mesh: Some(m),
            bytes,
            fits: false,
        },
        (None, None) => Decimation {
            mesh: None,
            bytes: 0,
            fits: false,
        },
    }
}

/// Keeps only the vertices `indices` use, then applies the loaders' checks (weld, drop
/// degenerate triangles). `None` if nothing usable is left.
fn compact(mesh: &Mesh, indices: &[u32]) -> Option<Mesh> {
    let mut remap = vec![u32::MAX; mesh.positions.len()];
    let mut positions = Vec::new();
    let triangles: Vec<[u32; 3]> = indices
        .chunks_exact(3)
        .map(|t| {
            [0, 1, 2].map(|k| {
                let v = t[k] as usize;
                if remap[v] == u32::MAX {
                    remap[v] = positions.len() as u32;
                    positions.push(mesh.positions[v]);
                }
                remap[v]
            })
        })
        .collect();
    if triangles.is_empty() {
        return None;
    }
    Mesh::from_soup(positions, triangles).ok().map(|l| l.mesh)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A UV sphere with `n` rings and 2n segments.
    fn uv_sphere(n: u32) -> Mesh {
        let mut positions = vec![[0.0, 0.0, 1.0]];
        for i in 1..n {
            let t = std::f32::consts::PI * i as f32 / n as f32;
            for j in 0..2 * n {
                let p = std::f32::consts::PI * j as f32 / n as f32;
                positions.push([t.sin() * p.cos(), t.sin() * p.sin(), t.cos()]);
            }
        }
        positions.push([0.0, 0.0, -1.0]);
        let ring = |i: u32, j: u32| 1 + (i - 1) * 2 * n + j % (2 * n);
        let last = positions.len() as u32 - 1;
        let mut triangles = Vec::new();
        for j in 0..2 * n {
            triangles.push([0, ring(1, j), ring(1, j + 1)]);
            triangles.push([last, ring(n - 1, j + 1), ring(n - 1, j)]);
            for i in 1..n - 1 {
                triangles.push([ring(i, j), ring(i + 1, j), ring(i + 1, j + 1)]);
                triangles.push([ring(i, j), ring(i + 1, j + 1), ring(i, j + 1)]);
            }
        }
        Mesh {
            positions,
            triangles,
        }
    }

    #[test]
    fn fits_the_budget_and_uses_most_of_it() {
        let m = uv_sphere(40);
        let budget = 8000;
        let d = decimate_to_bytes(&m, budget);
        assert!(d.fits, "{d:?}");
        let dm = d.mesh.unwrap();
        assert_eq!(d.bytes, raw_bytes(dm.positions.len(), dm.triangles.len()));
        assert!(
            d.bytes <= budget && d.bytes > budget * 3 / 4,
            "{} bytes",
            d.bytes
        );
    }

    #[test]
    fn small_meshes_are_kept_and_tiny_budgets_are_reported() {
        let m = uv_sphere(4);
        let d = decimate_to_bytes(&m, 1 << 20);
        assert!(d.fits && d.mesh.as_ref() == Some(&m));
        // Ten bytes hold no mesh: either meshoptimizer stops above the budget or it collapses
        // the mesh entirely; both are reported as not fitting.
        let d = decimate_to_bytes(&m, 10);
        assert!(!d.fits, "{d:?}");
        assert!(d.mesh.is_none() || d.bytes > 10, "{d:?}");
    }
}
