//! Sparse marching cubes: cost follows the surface area, not the volume.
//!
//! The grid is covered by an octree of blocks. A node whose centre distance exceeds what the
//! gradient bound allows over its half-diagonal (`|f(c)| > L · r`) cannot contain the surface and
//! is dropped with everything below it; small nodes are also dropped when the field's own linear
//! bound over the node excludes zero (networks bound themselves far more tightly than `L` does).
//! Survivors are split until they are `BLOCK` cells wide, and only those blocks have their
//! corners evaluated and are polygonised, in parallel. Vertices on grid
//! edges are shared through a global edge key, so the mesh is indexed, watertight and manifold
//! (see `table.rs`). Corners on the outer faces of the grid are forced outside, so a surface
//! cut by the bounds is closed there rather than left open.

use super::table::{corner, table, EDGES};
use super::{Field, TriMesh};
use rayon::prelude::*;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Cells per block edge at the finest level of the octree.
pub const BLOCK: usize = 4;
/// Largest accepted resolution (cells along the longest axis).
pub const MAX_RESOLUTION: usize = 4096;
/// Blocks evaluated per batch (bounds the memory of corner samples: 125 per block).
const BATCH_BLOCKS: usize = 2048;

#[derive(Clone, Debug)]
pub struct Params {
    /// Cells along the longest axis of `bounds`.
    pub resolution: usize,
    /// World-space box to mesh: `[min, max]`.
    pub bounds: [[f32; 3]; 2],
    /// Gradient bound used to skip empty space; `None` takes the field's, or estimates one.
    pub lipschitz: Option<f32>,
    /// Evaluate every block (no skipping): slower, for checking the sparse path.
    pub dense: bool,
}

/// The mesh and what it cost.
#[derive(Clone, Debug)]
pub struct Extraction {
    pub mesh: TriMesh,
    /// Grid cells per axis.
    pub dims: [usize; 3],
    pub cell_size: f32,
    /// Field evaluations spent (octree centres + block corners + vertex gradients).
    pub evaluations: u64,
    /// Blocks polygonised, and how many a dense grid would have.
    pub blocks: usize,
    pub blocks_total: usize,
    pub lipschitz: f32,
}

pub fn extract<F: Field + ?Sized>(field: &F, params: &Params) -> Result<Extraction, String> {
    let [lo, hi] = params.bounds;
    if params.resolution == 0 || params.resolution > MAX_RESOLUTION {
        return Err(format!(
            "resolution must be between 1 and {MAX_RESOLUTION}, got {}",
            params.resolution
        ));
    }
    if (0..3).any(|a| !(lo[a].is_finite() && hi[a].is_finite() && hi[a] > lo[a])) {
        return Err(format!(
            "bounds must be finite with min < max on every axis, got {lo:?} .. {hi:?}"
        ));
    }
    let extent = [0, 1, 2].map(|a| hi[a] - lo[a]);
    let h = extent.iter().fold(0.0f32, |m, &e| m.max(e)) / params.resolution as f32;
    let dims = extent.map(|e| ((e / h).ceil() as usize).clamp(1, params.resolution));
    // Centre the grid on the box.
    let origin = [0, 1, 2].map(|a| lo[a] + 0.5 * (extent[a] - dims[a] as f32 * h));
    let grid = Grid { origin, h, dims };

    let mut evaluations = 0u64;
    let lipschitz = match params.lipschitz.or_else(|| field.gradient_bound()) {
        Some(l) if l.is_finite() && l > 0.0 => l,
        Some(l) => {
            return Err(format!(
                "gradient bound must be finite and positive, got {l}"
            ))
        }
        None => {
            let (l, n) = estimate_lipschitz(field, &grid);
            evaluations += n;
            l
        }
    };
    let (blocks, n) = active_blocks(field, &grid, lipschitz, params.dense);
    evaluations += n;
    let blocks_total = (0..3).map(|a| dims[a].div_ceil(BLOCK)).product();

    let samples = sample_corners(field, &grid, &blocks);
    evaluations += samples.evaluated;
    // Blocks polygonise independently (in parallel); their vertices are then merged in block
    // order through the edge keys, which keeps the output deterministic.
    let mut mesh = TriMesh::default();
    let mut vertex_of_edge = EdgeMap::default();
    let indices: Vec<usize> = (0..blocks.len()).collect();
    for batch in indices.chunks(BATCH_BLOCKS) {
        let parts: Vec<BlockMesh> = batch
            .par_iter()
            .map(|&bi| {
                let (lo, hi) = grid.block_range(blocks[bi]);
                let values = samples.block_values(bi, lo, hi);
                polygonise(
                    &grid,
                    &BlockValues {
                        lo,
                        hi,
                        values: &values,
                    },
                )
            })
            .collect();
        for part in parts {
            merge(part, &mut mesh, &mut vertex_of_edge);
        }
    }
    evaluations += add_normals(field, &mut mesh);
    Ok(Extraction {
        mesh,
        dims,
        cell_size: h,
        evaluations,
        blocks: blocks.len(),
        blocks_total,
        lipschitz,
    })
}

struct Grid {
    origin: [f32; 3],
    h: f32,
    dims: [usize; 3],
}

impl Grid {
    fn point(&self, ijk: [usize; 3]) -> [f32; 3] {
        [0, 1, 2].map(|a| self.origin[a] + ijk[a] as f32 * self.h)
    }

    /// Corner index range (inclusive) of the block whose lowest cell is `b`.
    fn block_range(&self, b: [usize; 3]) -> ([usize; 3], [usize; 3]) {
        (b, [0, 1, 2].map(|a| (b[a] + BLOCK).min(self.dims[a])))
    }

    fn on_boundary(&self, ijk: [usize; 3]) -> bool {
        (0..3).any(|a| ijk[a] == 0 || ijk[a] == self.dims[a])
    }

    /// Key of the grid edge from corner `ijk` along `axis`.
    fn edge_key(&self, ijk: [usize; 3], axis: usize) -> u64 {
        let [nx, ny] = [self.dims[0] as u64 + 1, self.dims[1] as u64 + 1];
        ((ijk[2] as u64 * ny + ijk[1] as u64) * nx + ijk[0] as u64) * 3 + axis as u64
    }
}

/// Nodes at most this many cells wide are also tested with a linear bound of their own, where
/// the field offers them (`nsdf::Shape::distance_bounds`). Measured on bunny_hr at 256³: on the
/// 4-cell leaf blocks they drop about half of what the gradient bound keeps, and cost less than
/// the corner samples they save; also bounding 8-cell nodes saves no more than it costs, and on
/// 16 cells and up the ReLUs that change sign inside a node make the bound's error larger than
/// the node's range of distances. (Bounds inherited from a parent drop hardly any children:
/// measured, and left out.)
const OWN_BOUND_MAX: usize = 4;

/// Walks the octree down to `BLOCK`-sized nodes, dropping nodes proven empty: by the gradient
/// bound (`|f(c)| > L · r`) and, for small nodes of fields that bound themselves per box, by a
/// linear bound. Returns the lowest cell of every surviving block, and the evaluations spent.
fn active_blocks<F: Field + ?Sized>(
    field: &F,
    grid: &Grid,
    lipschitz: f32,
    dense: bool,
) -> (Vec<[usize; 3]>, u64) {
    let maxdim = grid.dims.iter().copied().max().unwrap_or(1);
    let mut size = BLOCK;
    while size < maxdim {
        size *= 2;
    }
    let mut nodes = vec![[0usize; 3]];
    let mut evaluations = 0;
    while size > BLOCK {
        let half = size / 2;
        let children: Vec<[usize; 3]> = nodes
            .iter()
            .flat_map(|n| (0..8).map(move |c| [0, 1, 2].map(|a| n[a] + ((c >> a) & 1) * half)))
            .filter(|c| (0..3).all(|a| c[a] < grid.dims[a]))
            .collect();
        size = half;
        if dense {
            nodes = children;
            continue;
        }
        let cells = |lo: [usize; 3]| (lo, [0, 1, 2].map(|a| (lo[a] + size).min(grid.dims[a])));
        let touches_boundary =
            |lo: [usize; 3], hi: [usize; 3]| (0..3).any(|a| lo[a] == 0 || hi[a] == grid.dims[a]);
        // The gradient bound, from the value at each child's centre.
        let centres: Vec<[f32; 3]> = children
            .iter()
            .map(|&c| {
                let (lo, hi) = cells(c);
                [0, 1, 2].map(|a| grid.origin[a] + 0.5 * (lo[a] + hi[a]) as f32 * grid.h)
            })
            .collect();
        let mut d = vec![0.0; centres.len()];
        field.distances(&centres, &mut d);
        evaluations += centres.len() as u64;
        let survivors: Vec<([usize; 3], f32)> = children
            .iter()
            .zip(&d)
            .filter(|(&c, &d)| {
                let (lo, hi) = cells(c);
                let r = 0.5
                    * grid.h
                    * (0..3)
                        .map(|a| ((hi[a] - lo[a]) as f32).powi(2))
                        .sum::<f32>()
                        .sqrt();
                // Half a cell of slack covers rounding in the centre position and the bound.
                let may_cross = d.abs() <= lipschitz * r + 0.5 * grid.h * lipschitz;
                // Inside nodes on the boundary are capped by the forced-outside boundary corners.
                may_cross || (touches_boundary(lo, hi) && d < 0.0) || !d.is_finite()
            })
            .map(|(c, d)| (*c, *d))
            .collect();
        nodes = survivors.iter().map(|(c, _)| *c).collect();
        if size > OWN_BOUND_MAX {
            continue;
        }
        // The survivors' own linear bounds (each about 30 points' cost), except where the
        // centre is within half the node's width of the surface: a distance field's bound over
        // the node then spans zero anyway (its plane's slope is the gradient, about 1), so
        // computing it would only confirm the node.
        let doubtful: Vec<bool> = survivors
            .iter()
            .map(|&(_, d)| d.is_nan() || d.abs() > 0.5 * size as f32 * grid.h)
            .collect();
        let world: Vec<[[f32; 3]; 2]> = survivors
            .iter()
            .zip(&doubtful)
            .filter(|(_, &doubt)| doubt)
            .map(|(&(c, _), _)| {
                let (lo, hi) = cells(c);
                [grid.point(lo), grid.point(hi)]
            })
            .collect();
        let mut bounds = vec![nsdf::LinearBound::UNBOUNDED; world.len()];
        if field.bounds(&world, &mut bounds) {
            evaluations += world.len() as u64;
            let mut checked = bounds.iter().zip(&world);
            let mut kept = Vec::with_capacity(nodes.len());
            for (&c, &doubt) in nodes.iter().zip(&doubtful) {
                if !doubt {
                    kept.push(c);
                    continue;
                }
                let Some((bound, bx)) = checked.next() else {
                    break;
                };
                let (lo, hi) = cells(c);
                let r = bound.range(*bx);
                if r.contains_zero() || (touches_boundary(lo, hi) && r.lo < 0.0) {
                    kept.push(c);
                }
            }
            nodes = kept;
        }
    }
    (nodes, evaluations)
}

/// A heuristic bound for fields that state none: twice the largest gradient seen on a coarse
/// grid (at least 1). Sharp features between samples can exceed it; pass `--bound` or `--dense`
/// for such fields.
fn estimate_lipschitz<F: Field + ?Sized>(field: &F, grid: &Grid) -> (f32, u64) {
    let n = 24;
    let pts: Vec<[f32; 3]> = (0..n * n * n)
        .map(|i| {
            let ijk = [i % n, (i / n) % n, i / (n * n)];
            [0, 1, 2].map(|a| {
                grid.origin[a] + (ijk[a] as f32 + 0.5) / n as f32 * grid.dims[a] as f32 * grid.h
            })
        })
        .collect();
    let mut d = vec![0.0; pts.len()];
    let mut g = vec![[0.0; 3]; pts.len()];
    field.gradients(&pts, &mut d, &mut g);
    let max = g
        .iter()
        .map(|g| (g[0] * g[0] + g[1] * g[1] + g[2] * g[2]).sqrt())
        .filter(|x| x.is_finite())
        .fold(0.0f32, f32::max);
    ((2.0 * max).max(1.0), pts.len() as u64)
}

/// Corner samples of the active blocks, each corner evaluated once. A block owns the `BLOCK³`
/// corners below its upper faces; the corners on those faces belong to the neighbour across
/// them, and the block samples them itself only where that neighbour is not active. (Sampling
/// every block's whole `(BLOCK + 1)³` lattice evaluates shared faces twice: 125 points per 64
/// cells instead of about 90.)
struct CornerSamples {
    /// `OWN` values per block.
    own: Vec<f32>,
    /// Per block, the index of the active block at offset `BLOCK · (d & 1, d >> 1 & 1, d >> 2)`
    /// for `d` in 1..8, or `NO_BLOCK`.
    neighbours: Vec<[u32; 8]>,
    /// Values of upper-face corners with no active owner, per block in lattice order.
    extra: Vec<f32>,
    extra_start: Vec<usize>,
    evaluated: u64,
}

const OWN: usize = BLOCK * BLOCK * BLOCK;
const NO_BLOCK: u32 = u32::MAX;

fn own_index(l: [usize; 3]) -> usize {
    (l[2] * BLOCK + l[1]) * BLOCK + l[0]
}

/// The upper faces corner `l` lies on, as a bit mask over the axes (0: owned by its block).
fn face_mask(l: [usize; 3]) -> usize {
    (0..3).map(|a| ((l[a] == BLOCK) as usize) << a).sum()
}

/// Calls `f(l)` for every corner of the block `lo..=hi` in lattice order (x fastest).
fn for_each_corner(lo: [usize; 3], hi: [usize; 3], mut f: impl FnMut([usize; 3])) {
    for k in 0..=hi[2] - lo[2] {
        for j in 0..=hi[1] - lo[1] {
            for i in 0..=hi[0] - lo[0] {
                f([i, j, k]);
            }
        }
    }
}

fn sample_corners<F: Field + ?Sized>(
    field: &F,
    grid: &Grid,
    blocks: &[[usize; 3]],
) -> CornerSamples {
    let index: HashMap<[usize; 3], u32> = blocks
        .iter()
        .enumerate()
        .map(|(i, b)| (*b, i as u32))
        .collect();
    let neighbours: Vec<[u32; 8]> = blocks
        .iter()
        .map(|b| {
            let mut n = [NO_BLOCK; 8];
            for (d, n) in n.iter_mut().enumerate().skip(1) {
                let key = [0, 1, 2].map(|a| b[a] + BLOCK * ((d >> a) & 1));
                *n = index.get(&key).copied().unwrap_or(NO_BLOCK);
            }
            n
        })
        .collect();
    let mut s = CornerSamples {
        own: vec![f32::NAN; blocks.len() * OWN],
        neighbours,
        extra: Vec::new(),
        extra_start: vec![0],
        evaluated: 0,
    };
    // Where each evaluated point's value goes: an own slot, or the next extra.
    enum Dest {
        Own(usize),
        Extra,
    }
    let (mut points, mut dest, mut values) = (Vec::new(), Vec::new(), Vec::new());
    let mut first = 0;
    for batch in blocks.chunks(BATCH_BLOCKS) {
        points.clear();
        dest.clear();
        for (bi, b) in batch.iter().enumerate().map(|(i, b)| (first + i, b)) {
            let (lo, hi) = grid.block_range(*b);
            let mut extras = 0;
            for_each_corner(lo, hi, |l| {
                let d = face_mask(l);
                let target = if d == 0 {
                    Dest::Own(bi * OWN + own_index(l))
                } else if s.neighbours[bi][d] == NO_BLOCK {
                    extras += 1;
                    Dest::Extra
                } else {
                    return;
                };
                points.push(grid.point([0, 1, 2].map(|a| lo[a] + l[a])));
                dest.push(target);
            });
            let end = s.extra_start[bi] + extras;
            s.extra_start.push(end);
        }
        first += batch.len();
        values.resize(points.len(), 0.0);
        field.distances(&points, &mut values);
        s.evaluated += points.len() as u64;
        for (v, d) in values.iter().zip(&dest) {
            match d {
                Dest::Own(i) => s.own[*i] = *v,
                Dest::Extra => s.extra.push(*v),
            }
        }
    }
    s
}

impl CornerSamples {
    /// Block `bi`'s whole corner lattice `lo..=hi`, x fastest.
    fn block_values(&self, bi: usize, lo: [usize; 3], hi: [usize; 3]) -> Vec<f32> {
        let mut out = Vec::with_capacity((BLOCK + 1).pow(3));
        let mut extra = self.extra[self.extra_start[bi]..self.extra_start[bi + 1]].iter();
        for_each_corner(lo, hi, |l| {
            let d = face_mask(l);
            let owner = if d == 0 {
                bi as u32
            } else {
                self.neighbours[bi][d]
            };
            out.push(if owner == NO_BLOCK {
                extra.next().copied().unwrap_or(f32::NAN)
            } else {
                let local = [0, 1, 2].map(|a| l[a] - BLOCK * ((d >> a) & 1));
                self.own[owner as usize * OWN + own_index(local)]
            });
        });
        out
    }
}

struct BlockValues<'a> {
    lo: [usize; 3],
    hi: [usize; 3],
    values: &'a [f32],
}

impl BlockValues<'_> {
    /// The value at block-local corner `l`, forced outside on the grid boundary.
    fn at(&self, grid: &Grid, l: [usize; 3]) -> f32 {
        let [sx, sy] = [self.hi[0] - self.lo[0] + 1, self.hi[1] - self.lo[1] + 1];
        let v = self.values[(l[2] * sy + l[1]) * sx + l[0]];
        if v.is_nan() {
            // A NaN corner counts as outside so the mesh stays closed.
            f32::MAX
        } else if grid.on_boundary([0, 1, 2].map(|a| self.lo[a] + l[a])) && v <= 0.0 {
            f32::MIN_POSITIVE
        } else {
            v
        }
    }
}

/// One block's triangles, indexing its own vertices, each vertex with its global edge key.
struct BlockMesh {
    keys: Vec<u64>,
    positions: Vec<[f32; 3]>,
    triangles: Vec<[u32; 3]>,
}

/// Edge key → vertex index; the keys are already well mixed integers, so a multiplicative hash
/// does (the default SipHash is several times slower here).
type EdgeMap = HashMap<u64, u32, BuildHasherDefault<KeyHasher>>;

#[derive(Default)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ b as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }
    fn write_u64(&mut self, x: u64) {
        self.0 = (x ^ (x >> 29)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

/// Marching cubes over one block. Vertices on edges inside the block are shared through a
/// local table; those on the block's faces are shared with neighbours later, in [`merge`].
fn polygonise(grid: &Grid, block: &BlockValues) -> BlockMesh {
    let table = table();
    let s = [0, 1, 2].map(|a| block.hi[a] - block.lo[a] + 1);
    // Local vertex per (corner, axis) of the block's corner lattice.
    let mut local = vec![u32::MAX; s[0] * s[1] * s[2] * 3];
    let mut out = BlockMesh {
        keys: Vec::new(),
        positions: Vec::new(),
        triangles: Vec::new(),
    };
    for k in 0..s[2] - 1 {
        for j in 0..s[1] - 1 {
            for i in 0..s[0] - 1 {
                let mut v = [0.0f32; 8];
                let mut case = 0usize;
                for (c, value) in v.iter_mut().enumerate() {
                    let d = corner(c);
                    *value = block.at(grid, [i + d[0], j + d[1], k + d[2]]);
                    if *value < 0.0 {
                        case |= 1 << c;
                    }
                }
                for tri in &table.cases[case] {
                    let t = tri.map(|e| {
                        let (a, b) = EDGES[e as usize];
                        let axis = e as usize / 4;
                        let da = corner(a);
                        let l = [i + da[0], j + da[1], k + da[2]];
                        let slot = ((l[2] * s[1] + l[1]) * s[0] + l[0]) * 3 + axis;
                        if local[slot] == u32::MAX {
                            let g = [0, 1, 2].map(|x| block.lo[x] + l[x]);
                            let t = v[a] / (v[a] - v[b]);
                            let mut p = grid.point(g);
                            p[axis] += t * grid.h;
                            local[slot] = out.positions.len() as u32;
                            out.positions.push(p);
                            // Only edges on the block's faces can be shared with neighbours.
                            let on_face =
                                (0..3).any(|b| b != axis && (l[b] == 0 || l[b] == s[b] - 1));
                            out.keys.push(if on_face {
                                grid.edge_key(g, axis)
                            } else {
                                PRIVATE
                            });
                        }
                        local[slot]
                    });
                    out.triangles.push(t);
                }
            }
        }
    }
    out
}

/// The key of a vertex no other block can share (on an edge inside its block).
const PRIVATE: u64 = u64::MAX;

/// Appends a block's mesh, reusing the vertices its neighbours already made on shared edges.
fn merge(part: BlockMesh, mesh: &mut TriMesh, vertex_of_edge: &mut EdgeMap) {
    let mut add = |p: [f32; 3]| {
        mesh.positions.push(p);
        (mesh.positions.len() - 1) as u32
    };
    let global: Vec<u32> = part
        .keys
        .iter()
        .zip(&part.positions)
        .map(|(&key, &p)| {
            if key == PRIVATE {
                add(p)
            } else {
                *vertex_of_edge.entry(key).or_insert_with(|| add(p))
            }
        })
        .collect();
    mesh.triangles
        .extend(part.triangles.iter().map(|t| t.map(|i| global[i as usize])));
}

/// Normals from the field's gradient at every vertex (area-weighted face normals where the
/// gradient vanishes). Returns the evaluations spent.
fn add_normals<F: Field + ?Sized>(field: &F, mesh: &mut TriMesh) -> u64 {
    let n = mesh.positions.len();
    let mut d = vec![0.0; n];
    let mut g = vec![[0.0; 3]; n];
    field.gradients(&mesh.positions, &mut d, &mut g);
    let usable = |g: &[f32; 3]| {
        let len = (g[0] * g[0] + g[1] * g[1] + g[2] * g[2]).sqrt();
        (len > 1e-12 && len.is_finite()).then_some(len)
    };
    // Area-weighted face normals, only if some vertex needs the fallback.
    let mut face = Vec::new();
    if g.iter().any(|g| usable(g).is_none()) {
        face = vec![[0.0f32; 3]; n];
        for t in &mesh.triangles {
            let [a, b, c] = t.map(|i| mesh.positions[i as usize]);
            let u = [b[0] - a[0], b[1] - a[1], b[2] - a[2]];
            let v = [c[0] - a[0], c[1] - a[1], c[2] - a[2]];
            let nrm = [
                u[1] * v[2] - u[2] * v[1],
                u[2] * v[0] - u[0] * v[2],
                u[0] * v[1] - u[1] * v[0],
            ];
            for &i in t {
                (0..3).for_each(|a| face[i as usize][a] += nrm[a]);
            }
        }
    }
    mesh.normals = g
        .iter()
        .enumerate()
        .map(|(i, g)| match usable(g) {
            Some(len) => g.map(|x| x / len),
            None => {
                let f = face[i];
                let len = (f[0] * f[0] + f[1] * f[1] + f[2] * f[2]).sqrt().max(1e-30);
                f.map(|x| x / len)
            }
        })
        .collect();
    n as u64
}
