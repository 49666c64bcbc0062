//! The marching-cubes case table, generated rather than copied.
//!
//! For each of the 256 sign configurations, the contour is traced over the six faces of the cube:
//! on each face, every edge where the sign changes gets a point, and points are paired into
//! segments by one fixed rule that depends only on that face's four signs (on an ambiguous face,
//! the two inside corners are cut off separately). Because the two cells sharing a face see the
//! same four signs, they draw the same segments there, so the surface is watertight and, every
//! closed contour becoming one fan of triangles, a 2-manifold. Segments are directed so the
//! inside lies on a fixed side; that orients every triangle consistently (normals point outside,
//! toward positive distance).

use std::sync::OnceLock;

/// Corner `i` of the unit cube is at `(i & 1, (i >> 1) & 1, (i >> 2) & 1)`.
pub fn corner(i: usize) -> [usize; 3] {
    [i & 1, (i >> 1) & 1, (i >> 2) & 1]
}

/// The 12 edges as corner pairs `(a, b)` with `b = a + 2^axis`; edge `e` lies along axis `e / 4`.
pub const EDGES: [(usize, usize); 12] = {
    let mut e = [(0, 0); 12];
    let mut axis = 0;
    while axis < 3 {
        let mut k = 0;
        let mut n = 0;
        while k < 8 {
            if k & (1 << axis) == 0 {
                e[axis * 4 + n] = (k, k | (1 << axis));
                n += 1;
            }
            k += 1;
        }
        axis += 1;
    }
    e
};

/// Triangles of each case as edge indices, three per triangle.
pub struct Table {
    pub cases: Vec<Vec<[u8; 3]>>,
}

/// The table, built once.
pub fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(build)
}

fn edge_between(a: usize, b: usize) -> usize {
    EDGES
        .iter()
        .position(|&(x, y)| (x, y) == (a, b) || (x, y) == (b, a))
        .expect("adjacent corners")
}

/// The six faces, each as four corners in counter-clockwise order seen from outside the cube.
fn faces() -> Vec<[usize; 4]> {
    let mut out = Vec::new();
    for axis in 0..3 {
        for side in 0..2 {
            let (u, v) = ((axis + 1) % 3, (axis + 2) % 3);
            let at = |du: usize, dv: usize| (side << axis) | (du << u) | (dv << v);
            // (u, v, axis) is right-handed, so u→v is counter-clockwise seen from +axis.
            let ring = [at(0, 0), at(1, 0), at(1, 1), at(0, 1)];
            out.push(if side == 1 {
                ring
            } else {
                [ring[0], ring[3], ring[2], ring[1]]
            });
        }
    }
    out
}

fn build() -> Table {
    let faces = faces();
    let cases = (0..256usize)
        .map(|case| {
            let inside = |c: usize| case & (1 << c) != 0;
            // next[e] = the edge point that follows edge point e along its contour.
            let mut next = [usize::MAX; 12];
            for f in &faces {
                // Walking the face boundary counter-clockwise: an "exit" leaves an inside corner,
                // an "entry" enters one. Each exit pairs with the nearest entry before it, which
                // cuts inside corners off separately on ambiguous faces and puts the inside on
                // the left of each exit → entry segment, seen from outside the cube.
                let crossings: Vec<(usize, bool)> = (0..4)
                    .filter_map(|k| {
                        let (a, b) = (f[k], f[(k + 1) % 4]);
                        (inside(a) != inside(b)).then(|| (edge_between(a, b), inside(a)))
                    })
                    .collect();
                for (k, &(edge, is_exit)) in crossings.iter().enumerate() {
                    if is_exit {
                        let n = crossings.len();
                        let entry = (1..n)
                            .map(|d| crossings[(k + n - d) % n])
                            .find(|&(_, exit)| !exit)
                            .map(|(e, _)| e)
                            .expect("a face has as many entries as exits");
                        next[edge] = entry;
                    }
                }
            }
            // Each contour is a cycle of `next`; fan-triangulate it.
            let mut seen = [false; 12];
            let mut tris = Vec::new();
            for start in 0..12 {
                if next[start] == usize::MAX || seen[start] {
                    continue;
                }
                let mut cycle = vec![start];
                seen[start] = true;
                let mut e = next[start];
                while e != start {
                    seen[e] = true;
                    cycle.push(e);
                    e = next[e];
                }
                for k in 1..cycle.len() - 1 {
                    tris.push([cycle[0] as u8, cycle[k] as u8, cycle[k + 1] as u8]);
                }
            }
            tris
        })
        .collect();
    let mut table = Table { cases };
    orient(&mut table);
    table
}

/// Makes triangle normals point away from the inside: checks case 1 (corner 0 inside), whose
/// single triangle must face away from corner 0, and flips every triangle if it does not.
fn orient(table: &mut Table) {
    let mid = |e: u8| {
        let (a, b) = EDGES[e as usize];
        let (a, b) = (corner(a), corner(b));
        [0, 1, 2].map(|i| (a[i] + b[i]) as f32 * 0.5)
    };
    let [p, q, r] = table.cases[1][0].map(mid);
    let (u, v) = (
        [0, 1, 2].map(|i| q[i] - p[i]),
        [0, 1, 2].map(|i| r[i] - p[i]),
    );
    let n = [
        u[1] * v[2] - u[2] * v[1],
        u[2] * v[0] - u[0] * v[2],
        u[0] * v[1] - u[1] * v[0],
    ];
    // Corner 0 is the origin; "away" means n · (p - 0) > 0.
    if n[0] * p[0] + n[1] * p[1] + n[2] * p[2] < 0.0 {
        for tris in &mut table.cases {
            for t in tris.iter_mut() {
                t.swap(1, 2);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn complementary_cases_have_the_same_edges_and_cases_are_bounded() {
        let t = table();
        assert!(t.cases[0].is_empty() && t.cases[255].is_empty());
        for case in 0..256 {
            let used = |c: usize| {
                let mut v: Vec<u8> = t.cases[c].iter().flatten().copied().collect();
                v.sort();
                v.dedup();
                v
            };
            assert_eq!(used(case), used(255 - case), "case {case}");
            // A sign change on an edge ⇔ the edge carries a vertex.
            let want: Vec<u8> = (0..12u8)
                .filter(|&e| {
                    let (a, b) = EDGES[e as usize];
                    (case >> a & 1) != (case >> b & 1)
                })
                .collect();
            assert_eq!(used(case), want, "case {case}");
            assert!(t.cases[case].len() <= 12);
        }
    }

    #[test]
    fn every_case_is_a_closed_oriented_surface_within_the_cube() {
        // Within one cube, each interior contour edge (between two table vertices on the same
        // face) is used by exactly one triangle edge pointing one way, so counting directed
        // half-edges that are not on the cube surface, each must pair with its reverse.
        let t = table();
        for case in 0..256 {
            let mut half = std::collections::HashMap::new();
            for tri in &t.cases[case] {
                for k in 0..3 {
                    *half.entry((tri[k], tri[(k + 1) % 3])).or_insert(0i32) += 1;
                }
            }
            for (&(a, b), &n) in &half {
                assert_eq!(n, 1, "case {case}: half-edge {a}->{b} used {n} times");
            }
        }
    }
}
