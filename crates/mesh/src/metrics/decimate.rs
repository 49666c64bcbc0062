//! The equal-bytes baselines: the reference mesh decimated with quadric error metrics
//! (meshoptimizer's `simplify`) until its encoding under a [`Codec`] fits in as many bytes as
//! the `.nsdf` file, then decoded as a receiver would (quantization included).

use super::codec::Codec;
use crate::Mesh;
use meshopt::{SimplifyOptions, VertexDataAdapter};

/// Attempts at the triangle target before settling (each is one simplification and encoding).
const ATTEMPTS: usize = 14;

/// The decimated mesh and whether it fits the budget.
#[derive(Clone, Debug)]
pub struct Decimation {
    /// The largest decimation found within the budget, or (when none fits) the smallest one
    /// meshoptimizer reached, as decoded. `None` when no simplification left a usable mesh.
    pub mesh: Option<Mesh>,
    /// Its size under the codec.
    pub bytes: u64,
    pub fits: bool,
    /// Triangles before encoding (the codec may drop degenerate ones).
    pub triangles: usize,
}

/// Decimates `mesh` to at most `budget` bytes under `codec`, keeping as many triangles as fit.
/// Deterministic (meshoptimizer and the codecs are). Errors come from the codec (e.g. Draco's
/// tools missing).
pub fn decimate_to_bytes(mesh: &Mesh, budget: u64, codec: Codec) -> Result<Decimation, String> {
    let full = codec.encode(mesh)?;
    if full.bytes <= budget {
        return Ok(Decimation {
            mesh: Some(full.decoded),
            bytes: full.bytes,
            fits: true,
            triangles: mesh.triangles.len(),
        });
    }
    let none = Decimation {
        mesh: None,
        bytes: 0,
        fits: false,
        triangles: 0,
    };
    let indices: Vec<u32> = mesh.triangles.iter().flatten().copied().collect();
    let positions = meshopt::typed_to_bytes(&mesh.positions);
    let Ok(adapter) = VertexDataAdapter::new(positions, 12, 0) else {
        return Ok(none);
    };
    // First guess from the full mesh's bytes per triangle (compressed codecs spend far fewer
    // than the 12 of the raw encoding); later guesses from the last attempt's.
    let per_triangle = full.bytes as f64 / mesh.triangles.len().max(1) as f64;
    let mut target = ((budget as f64 / per_triangle) as usize).max(1);
    let mut best: Option<Decimation> = None; // fits, most triangles
    let mut smallest: Option<Decimation> = None; // does not fit, fewest bytes
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
        let tris = m.triangles.len();
        let e = codec.encode(&m)?;
        let scale = budget as f64 / e.bytes as f64;
        let d = Decimation {
            mesh: Some(e.decoded),
            bytes: e.bytes,
            fits: e.bytes <= budget,
            triangles: tris,
        };
        if d.fits {
            if best.as_ref().is_none_or(|b| tris > b.triangles) {
                best = Some(d);
            }
            // Close enough to the budget, or the mesh was not decimated further than asked.
            if scale < 1.02 || tris < target {
                break;
            }
            target = ((tris as f64 * scale * 0.995) as usize).max(target + 1);
        } else {
            if smallest.as_ref().is_none_or(|s| d.bytes < s.bytes) {
                smallest = Some(d);
            }
            let next = ((tris.min(target) as f64 * scale * 0.98) as usize).max(1);
            if next >= target && tris > target {
                break; // meshoptimizer cannot go lower than it just did
            }
            target = next.min(target.saturating_sub(1)).max(1);
        }
    }
    Ok(best.or(smallest).unwrap_or(none))
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
pub(crate) mod tests {
    use super::super::sizes::raw_bytes;
    use super::*;

    /// A UV sphere with `n` rings and 2n segments.
    pub(crate) fn uv_sphere(n: u32) -> Mesh {
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
        let d = decimate_to_bytes(&m, budget, Codec::RawF32).unwrap();
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
        let d = decimate_to_bytes(&m, 1 << 20, Codec::RawF32).unwrap();
        assert!(d.fits && d.mesh.as_ref() == Some(&m));
        // Ten bytes hold no mesh: either meshoptimizer stops above the budget or it collapses
        // the mesh entirely; both are reported as not fitting.
        let d = decimate_to_bytes(&m, 10, Codec::RawF32).unwrap();
        assert!(!d.fits, "{d:?}");
        assert!(d.mesh.is_none() || d.bytes > 10, "{d:?}");
    }
}

#[cfg(test)]
mod codec_tests {
    use super::tests::uv_sphere;
    use super::*;

    #[test]
    fn a_compressed_codec_keeps_more_triangles_in_the_same_bytes() {
        let m = uv_sphere(60);
        let raw = decimate_to_bytes(&m, 6000, Codec::RawF32).unwrap();
        let mo = decimate_to_bytes(&m, 6000, Codec::Meshopt { bits: 14 }).unwrap();
        assert!(raw.fits && mo.fits, "{raw:?} {mo:?}");
        assert!(mo.bytes <= 6000 && mo.bytes > 6000 * 3 / 4, "{}", mo.bytes);
        assert!(
            mo.triangles > 2 * raw.triangles,
            "{} vs {}",
            mo.triangles,
            raw.triangles
        );
    }
}
