//! Orientation repair: flips triangles so that neighbours agree (each edge shared by two
//! triangles is traversed once in each direction).
//!
//! The winding-number sign tolerates holes and small flipped patches, but not a soup in which a
//! large share of the triangles face the wrong way: there the winding number is near ½
//! everywhere and the inside is a coin toss. Repair works per connected patch (triangles joined
//! through manifold edges): a breadth-first walk gives every triangle the orientation of its
//! neighbour, then the whole patch keeps the orientation most of its area already had. Only
//! where the vote is close (under 60/40) does the patch's signed volume decide instead; a
//! patch with no inconsistent edge is never touched, so an intentionally inward-facing inner
//! shell stays as it is. Non-orientable patches (Möbius-like) keep the edges the walk could not
//! satisfy, and the topology check still reports them.

use crate::check::cone_volume;
use crate::distance::triangle::area_vector;
use crate::geom::*;
use crate::Mesh;

/// What [`orient`] changed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Reoriented {
    /// Triangles flipped.
    pub faces: usize,
    /// Patches that had at least one inconsistent edge.
    pub patches: usize,
}

/// Makes every patch of `mesh` consistently oriented where it can (see the module docs).
pub fn orient(mesh: &mut Mesh) -> Reoriented {
    let n = mesh.triangles.len();
    // (undirected edge, face, forward?) sorted so an edge's uses are adjacent.
    let mut uses: Vec<(u64, u32, bool)> = Vec::with_capacity(3 * n);
    for (f, t) in mesh.triangles.iter().enumerate() {
        for k in 0..3 {
            let (a, b) = (t[k], t[(k + 1) % 3]);
            let key = ((a.min(b) as u64) << 32) | a.max(b) as u64;
            uses.push((key, f as u32, a < b));
        }
    }
    uses.sort_unstable();

    // Manifold edges only: (face, face, must differ) where "must differ" means both traverse
    // the edge the same way, so exactly one of them has to flip.
    let mut degree = vec![0u32; n + 1];
    let mut links: Vec<(u32, u32, bool)> = Vec::new();
    let mut i = 0;
    while i < uses.len() {
        let mut j = i;
        while j < uses.len() && uses[j].0 == uses[i].0 {
            j += 1;
        }
        if j - i == 2 {
            let (f, g) = (uses[i].1, uses[i + 1].1);
            if f != g {
                links.push((f, g, uses[i].2 == uses[i + 1].2));
                degree[f as usize] += 1;
                degree[g as usize] += 1;
            }
        }
        i = j;
    }
    if links.iter().all(|l| !l.2) {
        return Reoriented::default();
    }
    // Compressed adjacency: the neighbours of face f are adj[start[f]..start[f + 1]].
    let mut start = vec![0u32; n + 1];
    for f in 0..n {
        start[f + 1] = start[f] + degree[f];
    }
    let mut fill = start.clone();
    let mut adj = vec![(0u32, false); start[n] as usize];
    for &(f, g, differ) in &links {
        adj[fill[f as usize] as usize] = (g, differ);
        fill[f as usize] += 1;
        adj[fill[g as usize] as usize] = (f, differ);
        fill[g as usize] += 1;
    }

    let area = |t: &[u32; 3]| {
        let [a, b, c] = t.map(|v| mesh.positions[v as usize]);
        dlen(area_vector(a, b, c))
    };
    let mut flip = vec![false; n];
    let mut seen = vec![false; n];
    let mut patch = Vec::new();
    let mut result = Reoriented::default();
    for seed in 0..n {
        if seen[seed] {
            continue;
        }
        // Walk the patch, giving each triangle its neighbour's orientation.
        patch.clear();
        patch.push(seed as u32);
        seen[seed] = true;
        let mut inconsistent = false;
        let mut k = 0;
        while k < patch.len() {
            let f = patch[k] as usize;
            k += 1;
            for &(g, differ) in &adj[start[f] as usize..start[f + 1] as usize] {
                inconsistent |= differ;
                let g = g as usize;
                if !seen[g] {
                    seen[g] = true;
                    flip[g] = flip[f] ^ differ;
                    patch.push(g as u32);
                }
            }
        }
        if !inconsistent {
            continue;
        }
        // Keep the orientation most of the area had; on a close vote, the one enclosing a
        // positive volume.
        let (mut kept, mut total) = (0.0f64, 0.0f64);
        for &f in &patch {
            let a = area(&mesh.triangles[f as usize]);
            total += a;
            if !flip[f as usize] {
                kept += a;
            }
        }
        let share = if total > 0.0 { kept / total } else { 0.5 };
        let invert = if (0.4..=0.6).contains(&share) {
            patch_volume(mesh, &patch, &flip) < 0.0
        } else {
            share < 0.5
        };
        result.patches += 1;
        for &f in &patch {
            let f = f as usize;
            if flip[f] ^ invert {
                mesh.triangles[f].swap(1, 2);
                result.faces += 1;
            }
        }
    }
    result
}

/// Signed volume of a patch with the walk's orientation, about its bounding-box centre.
fn patch_volume(mesh: &Mesh, patch: &[u32], flip: &[bool]) -> f64 {
    let (mut lo, mut hi) = ([f32::INFINITY; 3], [f32::NEG_INFINITY; 3]);
    for &f in patch {
        for v in mesh.triangles[f as usize] {
            lo = min3(lo, mesh.positions[v as usize]);
            hi = max3(hi, mesh.positions[v as usize]);
        }
    }
    let o = dscale(dadd(to_d(lo), to_d(hi)), 0.5);
    patch
        .iter()
        .map(|&f| {
            let v = cone_volume(mesh, mesh.triangles[f as usize], o);
            if flip[f as usize] {
                -v
            } else {
                v
            }
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::topology;

    /// A closed octahedron, outward-facing.
    fn octahedron() -> Mesh {
        let positions = vec![
            [1.0, 0.0, 0.0],
            [-1.0, 0.0, 0.0],
            [0.0, 1.0, 0.0],
            [0.0, -1.0, 0.0],
            [0.0, 0.0, 1.0],
            [0.0, 0.0, -1.0],
        ];
        let triangles = vec![
            [0, 2, 4],
            [2, 1, 4],
            [1, 3, 4],
            [3, 0, 4],
            [2, 0, 5],
            [1, 2, 5],
            [3, 1, 5],
            [0, 3, 5],
        ];
        Mesh {
            positions,
            triangles,
        }
    }

    #[test]
    fn a_consistent_mesh_is_left_alone() {
        let mut m = octahedron();
        assert_eq!(topology(&m).inconsistent_edges, 0);
        assert_eq!(orient(&mut m), Reoriented::default());
        assert_eq!(m, octahedron());
        // Inward-facing but consistent: also left alone (the loader's volume check flips it).
        m.triangles.iter_mut().for_each(|t| t.swap(1, 2));
        let inward = m.clone();
        assert_eq!(orient(&mut m), Reoriented::default());
        assert_eq!(m, inward);
    }

    #[test]
    fn a_minority_of_flipped_triangles_is_flipped_back() {
        let mut m = octahedron();
        m.triangles[1].swap(1, 2);
        m.triangles[6].swap(1, 2);
        let r = orient(&mut m);
        assert_eq!(
            r,
            Reoriented {
                faces: 2,
                patches: 1
            }
        );
        assert_eq!(m, octahedron());
        assert!(topology(&m).closed);
    }

    #[test]
    fn an_even_vote_is_decided_by_the_volume() {
        for inward in [false, true] {
            let mut m = octahedron();
            if inward {
                m.triangles.iter_mut().for_each(|t| t.swap(1, 2));
            }
            // Half the (equal-area) faces flipped: the vote is 50/50.
            for f in [0, 2, 5, 7] {
                m.triangles[f].swap(1, 2);
            }
            assert_eq!(orient(&mut m).faces, 4);
            assert_eq!(m, octahedron(), "inward start: {inward}");
        }
    }
}
