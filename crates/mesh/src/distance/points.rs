//! Nearest point of a point cloud: a k-d tree, for the unsigned distance to raw scans.
//!
//! Built by median splits on the widest axis of each node's box, so its depth is
//! log2(n / LEAF) whatever the distribution; queries descend the nearer child first and prune
//! by the distance to the splitting plane. Batches run in parallel on rayon's current pool
//! (each query is independent, so results do not depend on the thread count).

use crate::geom::*;
use rayon::prelude::*;

/// Points per leaf: small enough to scan at once, large enough to keep the tree shallow.
const LEAF: usize = 8;

#[derive(Clone, Copy, Debug)]
struct Node {
    /// Range of `points` under this node.
    start: u32,
    end: u32,
    /// Children (0 for a leaf; the root is never a child).
    left: u32,
    right: u32,
    axis: u8,
    split: f32,
}

/// A k-d tree over a copy of the points (reordered), with their original indices.
#[derive(Clone, Debug)]
pub struct PointTree {
    points: Vec<[f32; 3]>,
    ids: Vec<u32>,
    nodes: Vec<Node>,
}

impl PointTree {
    /// Builds the tree. `points` must be finite (as loaded clouds are); at most 2³² − 1.
    pub fn new(points: &[[f32; 3]]) -> PointTree {
        let mut tree = PointTree {
            points: points.to_vec(),
            ids: (0..points.len() as u32).collect(),
            nodes: Vec::with_capacity(2 * points.len() / LEAF + 1),
        };
        tree.build(0, points.len());
        tree
    }

    pub fn len(&self) -> usize {
        self.points.len()
    }

    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    fn build(&mut self, start: usize, end: usize) -> u32 {
        let index = self.nodes.len() as u32;
        self.nodes.push(Node {
            start: start as u32,
            end: end as u32,
            left: 0,
            right: 0,
            axis: 0,
            split: 0.0,
        });
        if end - start <= LEAF {
            return index;
        }
        let (lo, hi) = bounds(&self.points[start..end]);
        let extent = sub(hi, lo);
        let axis = (0..3).fold(0, |a, k| if extent[k] > extent[a] { k } else { a });
        let mid = start + (end - start) / 2;
        // Select on (coordinate, id) pairs so the points and their ids move together.
        let mut pairs: Vec<([f32; 3], u32)> = self.points[start..end]
            .iter()
            .copied()
            .zip(self.ids[start..end].iter().copied())
            .collect();
        pairs.select_nth_unstable_by(mid - start, |a, b| a.0[axis].total_cmp(&b.0[axis]));
        for (k, (p, id)) in pairs.into_iter().enumerate() {
            self.points[start + k] = p;
            self.ids[start + k] = id;
        }
        let split = self.points[mid][axis];
        let left = self.build(start, mid);
        let right = self.build(mid, end);
        let node = &mut self.nodes[index as usize];
        node.left = left;
        node.right = right;
        node.axis = axis as u8;
        node.split = split;
        index
    }

    /// The nearest point to `q`: its index in the points given to [`PointTree::new`] and its
    /// squared distance. `None` for an empty tree.
    pub fn nearest(&self, q: [f32; 3], stack: &mut Vec<(u32, f32)>) -> Option<(u32, f32)> {
        self.search(q, false, f32::INFINITY, stack)
    }

    /// [`PointTree::nearest`] among the points that are not at `q` itself (for the spacing of
    /// a cloud: a point's nearest *other* point). `None` when every point is at `q`.
    pub fn nearest_excluding(
        &self,
        q: [f32; 3],
        stack: &mut Vec<(u32, f32)>,
    ) -> Option<(u32, f32)> {
        self.search(q, true, f32::INFINITY, stack)
    }

    /// The nearest point closer than √`bound2` (skipping points at `q` itself if asked).
    fn search(
        &self,
        q: [f32; 3],
        skip_zero: bool,
        bound2: f32,
        stack: &mut Vec<(u32, f32)>,
    ) -> Option<(u32, f32)> {
        if self.points.is_empty() {
            return None;
        }
        let mut best = (u32::MAX, bound2);
        stack.clear();
        stack.push((0, 0.0));
        while let Some((n, plane2)) = stack.pop() {
            if plane2 >= best.1 {
                continue;
            }
            let node = self.nodes[n as usize];
            if node.left == 0 {
                for k in node.start as usize..node.end as usize {
                    let d2 = len2(sub(q, self.points[k]));
                    if d2 < best.1 && !(skip_zero && d2 == 0.0) {
                        best = (k as u32, d2);
                    }
                }
                continue;
            }
            let d = q[node.axis as usize] - node.split;
            let (near, far) = if d < 0.0 {
                (node.left, node.right)
            } else {
                (node.right, node.left)
            };
            // The far side is at least |d| away along this axis (and at least plane2 away).
            stack.push((far, (d * d).max(plane2)));
            stack.push((near, plane2));
        }
        (best.0 != u32::MAX).then(|| (self.ids[best.0 as usize], best.1))
    }

    /// Whether some point lies closer than `r` to `q`. Far cheaper than [`PointTree::nearest`]
    /// for queries far from every point: the search never leaves the ball of radius `r`.
    pub fn any_within(&self, q: [f32; 3], r: f32, stack: &mut Vec<(u32, f32)>) -> bool {
        self.search(q, false, r * r, stack).is_some()
    }

    /// For each query: the index of its nearest point and the distance to it.
    pub fn nearest_batch(&self, queries: &[[f32; 3]], out: &mut [(u32, f32)]) {
        assert_eq!(queries.len(), out.len(), "queries and out differ in length");
        out.par_iter_mut()
            .zip(queries.par_iter())
            .with_min_len(256)
            .for_each_init(Vec::new, |stack, (o, q)| {
                let (i, d2) = self.nearest(*q, stack).unwrap_or((u32::MAX, f32::INFINITY));
                *o = (i, d2.sqrt());
            });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brute(points: &[[f32; 3]], q: [f32; 3]) -> f32 {
        points
            .iter()
            .map(|p| len2(sub(q, *p)))
            .fold(f32::INFINITY, f32::min)
    }

    #[test]
    fn matches_brute_force() {
        let mut s = 12345u64;
        let mut rand = move || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0
        };
        // Clustered and duplicated points (a scan's density varies; duplicates happen).
        let mut points: Vec<[f32; 3]> = (0..3000).map(|_| [rand(), rand() * 0.1, rand()]).collect();
        points.extend_from_within(..50);
        let tree = PointTree::new(&points);
        let mut stack = Vec::new();
        for _ in 0..2000 {
            let q = [rand() * 1.5, rand() * 1.5, rand() * 1.5];
            let (i, d2) = tree.nearest(q, &mut stack).unwrap();
            assert_eq!(d2, brute(&points, q));
            assert_eq!(len2(sub(q, points[i as usize])), d2);
        }
        let queries: Vec<[f32; 3]> = (0..500).map(|_| [rand(), rand(), rand()]).collect();
        let mut out = vec![(0, 0.0); queries.len()];
        tree.nearest_batch(&queries, &mut out);
        for (q, (_, d)) in queries.iter().zip(&out) {
            assert_eq!(*d, brute(&points, *q).sqrt());
        }
        assert!(PointTree::new(&[]).nearest([0.0; 3], &mut stack).is_none());
        for _ in 0..500 {
            let (q, r) = ([rand(), rand(), rand()], 0.05 * (rand() + 1.0));
            assert_eq!(tree.any_within(q, r, &mut stack), brute(&points, q) < r * r);
        }
        let (_, d2) = tree.nearest_excluding(points[7], &mut stack).unwrap();
        let others: Vec<[f32; 3]> = points.iter().copied().filter(|p| *p != points[7]).collect();
        assert_eq!(d2, brute(&others, points[7]));
    }
}
