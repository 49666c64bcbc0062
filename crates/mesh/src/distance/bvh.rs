//! The binary bounding-volume hierarchy over the triangles: the build stage of the 8-wide
//! tree in `wide.rs`, which every query uses.
//!
//! Binned surface-area heuristic (16 bins on each axis), top levels built in parallel. Leaves
//! hold up to [`MAX_LEAF`] triangles; the triangles are copied in leaf order ("slots"), so
//! every subtree covers one contiguous slot range. The two children of an inner node are
//! adjacent.

use crate::geom::*;
use crate::Mesh;

/// Largest number of triangles in a leaf.
pub const MAX_LEAF: usize = 4;
/// Deeper than this, nodes are split at the median so the depth (and the query stacks) stay
/// bounded whatever the input.
const SAH_DEPTH: usize = 40;
/// Bound on the tree depth: `SAH_DEPTH` plus the median splits of up to 2^32 triangles.
pub const MAX_DEPTH: usize = SAH_DEPTH + 34;
const BINS: usize = 16;
/// Below this many triangles a subtree is built on the current thread.
const PAR_MIN: usize = 8192;

/// One node: a box and either a leaf range or the index of its first child.
#[derive(Clone, Copy, Debug)]
#[repr(C, align(32))]
pub struct Node {
    pub lo: V3,
    /// Leaf: first triangle slot. Inner: index of the left child (the right one follows it).
    pub first: u32,
    pub hi: V3,
    /// Leaf: number of triangles (≥ 1). Inner: 0.
    pub count: u32,
}

impl Node {
    #[inline(always)]
    pub fn is_leaf(&self) -> bool {
        self.count > 0
    }
}

/// The hierarchy plus the triangles in leaf order.
pub struct Bvh {
    pub nodes: Vec<Node>,
    /// Triangle vertices, in leaf order ("slots").
    pub tris: Vec<[V3; 3]>,
    /// Slot → index of the triangle in the mesh.
    pub ids: Vec<u32>,
}

#[derive(Clone, Copy)]
struct Item {
    lo: V3,
    hi: V3,
    c: V3,
    id: u32,
}

enum Built {
    Leaf {
        lo: V3,
        hi: V3,
        start: usize,
        count: usize,
    },
    Inner {
        lo: V3,
        hi: V3,
        kids: Box<(Built, Built)>,
    },
}

impl Bvh {
    /// Builds the hierarchy over all triangles of `mesh` (which must have at least one).
    pub fn new(mesh: &Mesh) -> Bvh {
        let mut items: Vec<Item> = mesh
            .triangles
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let [a, b, c] = t.map(|v| mesh.positions[v as usize]);
                let lo = min3(a, min3(b, c));
                let hi = max3(a, max3(b, c));
                Item {
                    lo,
                    hi,
                    c: scale(add(lo, hi), 0.5),
                    id: i as u32,
                }
            })
            .collect();
        assert!(!items.is_empty(), "Bvh::new needs at least one triangle");
        let root = build(&mut items, 0, 0);
        let mut nodes = Vec::with_capacity(2 * items.len() / MAX_LEAF + 2);
        nodes.push(Node {
            lo: [0.0; 3],
            first: 0,
            hi: [0.0; 3],
            count: 0,
        });
        flatten(root, 0, &mut nodes);
        let ids: Vec<u32> = items.iter().map(|it| it.id).collect();
        let tris = ids
            .iter()
            .map(|&i| mesh.triangles[i as usize].map(|v| mesh.positions[v as usize]))
            .collect();
        Bvh { nodes, tris, ids }
    }

    /// Box of the whole hierarchy.
    pub fn bounds(&self) -> (V3, V3) {
        (self.nodes[0].lo, self.nodes[0].hi)
    }

    /// Depth of the deepest leaf (root = 0); for tests and statistics.
    pub fn depth(&self) -> usize {
        fn rec(nodes: &[Node], n: usize) -> usize {
            let node = &nodes[n];
            if node.is_leaf() {
                0
            } else {
                let l = node.first as usize;
                1 + rec(nodes, l).max(rec(nodes, l + 1))
            }
        }
        rec(&self.nodes, 0)
    }
}

fn bounds_of(items: &[Item]) -> (V3, V3, V3, V3) {
    let mut lo = [f32::INFINITY; 3];
    let mut hi = [f32::NEG_INFINITY; 3];
    let mut clo = lo;
    let mut chi = hi;
    for it in items {
        lo = min3(lo, it.lo);
        hi = max3(hi, it.hi);
        clo = min3(clo, it.c);
        chi = max3(chi, it.c);
    }
    (lo, hi, clo, chi)
}

fn half_area(lo: V3, hi: V3) -> f32 {
    let d = sub(hi, lo);
    if d[0] < 0.0 {
        return 0.0;
    }
    d[0] * d[1] + d[1] * d[2] + d[2] * d[0]
}

/// Recursively splits `items` (which start at slot `offset`), reordering them in place.
fn build(items: &mut [Item], offset: usize, depth: usize) -> Built {
    let n = items.len();
    let (lo, hi, clo, chi) = bounds_of(items);
    if n == 1 {
        return Built::Leaf {
            lo,
            hi,
            start: offset,
            count: 1,
        };
    }
    let mid = if depth >= SAH_DEPTH {
        None
    } else {
        sah_split(items, lo, hi, clo, chi)
    };
    let mid = match mid {
        Some(Split::Leaf) => {
            return Built::Leaf {
                lo,
                hi,
                start: offset,
                count: n,
            }
        }
        Some(Split::At(m)) => m,
        None => {
            if n <= MAX_LEAF {
                return Built::Leaf {
                    lo,
                    hi,
                    start: offset,
                    count: n,
                };
            }
            // Median along the widest centroid axis.
            let ext = sub(chi, clo);
            let axis = if ext[0] >= ext[1] && ext[0] >= ext[2] {
                0
            } else if ext[1] >= ext[2] {
                1
            } else {
                2
            };
            let m = n / 2;
            items.select_nth_unstable_by(m, |a, b| a.c[axis].total_cmp(&b.c[axis]));
            m
        }
    };
    let (left, right) = items.split_at_mut(mid);
    let (l, r) = if n >= PAR_MIN {
        rayon::join(
            || build(left, offset, depth + 1),
            || build(right, offset + mid, depth + 1),
        )
    } else {
        (
            build(left, offset, depth + 1),
            build(right, offset + mid, depth + 1),
        )
    };
    Built::Inner {
        lo,
        hi,
        kids: Box::new((l, r)),
    }
}

enum Split {
    Leaf,
    At(usize),
}

/// Best binned-SAH split, `Leaf` when a leaf is cheaper, `None` when binning cannot separate
/// the centroids (the caller then splits at the median).
fn sah_split(items: &mut [Item], lo: V3, hi: V3, clo: V3, chi: V3) -> Option<Split> {
    let n = items.len();
    /// Cost of visiting one node relative to testing one triangle.
    const TRAVERSAL: f32 = 1.0;
    let mut best = (f32::INFINITY, 0usize, 0usize); // cost, axis, bins on the left
    for axis in 0..3 {
        let ext = chi[axis] - clo[axis];
        if ext.is_nan() || ext <= 0.0 {
            continue;
        }
        let k = BINS as f32 / ext;
        let mut counts = [0usize; BINS];
        let mut blo = [[f32::INFINITY; 3]; BINS];
        let mut bhi = [[f32::NEG_INFINITY; 3]; BINS];
        for it in items.iter() {
            let b = (((it.c[axis] - clo[axis]) * k) as usize).min(BINS - 1);
            counts[b] += 1;
            blo[b] = min3(blo[b], it.lo);
            bhi[b] = max3(bhi[b], it.hi);
        }
        // Right-to-left sweep of areas, then left-to-right costs.
        let mut right_area = [0f32; BINS];
        let (mut rlo, mut rhi) = ([f32::INFINITY; 3], [f32::NEG_INFINITY; 3]);
        for b in (1..BINS).rev() {
            rlo = min3(rlo, blo[b]);
            rhi = max3(rhi, bhi[b]);
            right_area[b] = half_area(rlo, rhi);
        }
        let (mut llo, mut lhi) = ([f32::INFINITY; 3], [f32::NEG_INFINITY; 3]);
        let mut left_n = 0usize;
        for b in 0..BINS - 1 {
            llo = min3(llo, blo[b]);
            lhi = max3(lhi, bhi[b]);
            left_n += counts[b];
            if left_n == 0 || left_n == n {
                continue;
            }
            let cost =
                half_area(llo, lhi) * left_n as f32 + right_area[b + 1] * (n - left_n) as f32;
            if cost < best.0 {
                best = (cost, axis, b + 1);
            }
        }
    }
    if !best.0.is_finite() {
        return None;
    }
    let split_cost = TRAVERSAL + best.0 / half_area(lo, hi).max(f32::MIN_POSITIVE);
    if n <= MAX_LEAF && n as f32 <= split_cost {
        return Some(Split::Leaf);
    }
    let (axis, left_bins) = (best.1, best.2);
    let k = BINS as f32 / (chi[axis] - clo[axis]);
    let in_left = |it: &Item| (((it.c[axis] - clo[axis]) * k) as usize).min(BINS - 1) < left_bins;
    // In-place partition.
    let mut i = 0;
    let mut j = n;
    while i < j {
        if in_left(&items[i]) {
            i += 1;
        } else {
            j -= 1;
            items.swap(i, j);
        }
    }
    if i == 0 || i == n {
        return None;
    }
    Some(Split::At(i))
}

/// Writes `b` into `nodes[at]`, appending its subtree (children adjacent).
fn flatten(b: Built, at: usize, nodes: &mut Vec<Node>) {
    match b {
        Built::Leaf {
            lo,
            hi,
            start,
            count,
        } => {
            nodes[at] = Node {
                lo,
                first: start as u32,
                hi,
                count: count as u32,
            };
        }
        Built::Inner { lo, hi, kids } => {
            let first = nodes.len();
            nodes.push(Node {
                lo: [0.0; 3],
                first: 0,
                hi: [0.0; 3],
                count: 0,
            });
            nodes.push(Node {
                lo: [0.0; 3],
                first: 0,
                hi: [0.0; 3],
                count: 0,
            });
            nodes[at] = Node {
                lo,
                first: first as u32,
                hi,
                count: 0,
            };
            let (l, r) = *kids;
            flatten(l, first, nodes);
            flatten(r, first + 1, nodes);
        }
    }
}
