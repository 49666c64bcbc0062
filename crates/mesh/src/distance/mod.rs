//! Exact signed distance to a mesh, for batches of points: the ground truth the trainer fits.
//!
//! Distance: the exact nearest triangle through the 8-wide BVH (`wide.rs`). Sign: the
//! generalized winding number (inside ⇔ w > ½, negative distance inside).
//!
//! Batches are processed along a Morton curve in fixed-size chunks (in parallel with rayon;
//! results do not depend on the thread count). Within a chunk each query starts its
//! nearest-triangle search from the previous query's triangle, and on closed meshes (see
//! [`crate::distance::crossing`]) takes its winding number from the previous query's: unchanged if
//! the previous query lies inside its empty ball (no surface can separate them), else plus the
//! signed crossings of the short segment between them. Only the first query of a chunk, and
//! any query whose crossings cannot be certified, pays for Barill's hierarchical evaluation.
//! Meshes that are not closed (holes, flipped patches) use Barill's evaluation at every query.

pub mod bvh;
pub mod crossing;
pub mod morton;
pub mod points;
pub mod triangle;
pub mod wide;
pub mod winding;

use crate::check;
use crate::distance::bvh::Bvh;
use crate::distance::crossing::signed_crossings;
use crate::distance::wide::{Isa, Scratch, WideBvh};
use crate::distance::winding::{Winding, DEFAULT_BETA};
use crate::geom::*;
use crate::Mesh;
use rayon::prelude::*;

/// Queries per sequential chunk: long enough that the cold start (first query) is amortised,
/// short enough for load balancing. Fixed, so results never depend on the thread count.
const CHUNK: usize = 1024;

/// How the sign of the distance is decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum SignMethod {
    /// Generalized winding number: exact integer steps between sorted queries on closed
    /// meshes, Barill's fast approximation where that is not possible. The default.
    #[default]
    Winding,
    /// Barill's fast winding number evaluated independently at every query (slower; for
    /// comparison and for callers that want no dependence between queries at all).
    FastWinding,
    /// No sign: unsigned distance.
    Unsigned,
}

/// Options for [`Sdf::with_options`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SdfOptions {
    pub sign: SignMethod,
    /// Barill's accuracy parameter β (expand a node when the query is farther than β radii).
    pub beta: f32,
}

impl Default for SdfOptions {
    fn default() -> Self {
        SdfOptions {
            sign: SignMethod::Winding,
            beta: DEFAULT_BETA,
        }
    }
}

/// A mesh prepared for distance queries.
pub struct Sdf {
    bvh: Bvh,
    wide: WideBvh,
    isa: Isa,
    winding: Winding,
    closed: bool,
    sign: SignMethod,
}

impl Sdf {
    /// Prepares `mesh` with default options. Panics if it has no triangles (a mesh from
    /// [`crate::io()`] or [`Mesh::from_soup`] always has some).
    pub fn new(mesh: &Mesh) -> Sdf {
        Sdf::with_options(mesh, SdfOptions::default())
    }

    /// Prepares `mesh`: builds the hierarchy, the winding-number moments and the topology
    /// check (about 0.1 s for 100k triangles on two cores).
    pub fn with_options(mesh: &Mesh, opts: SdfOptions) -> Sdf {
        let bvh = Bvh::new(mesh);
        let wide = WideBvh::new(&bvh);
        let winding = Winding::new(&wide, &bvh.tris, opts.beta);
        let closed = check::topology(mesh).closed;
        Sdf {
            bvh,
            wide,
            isa: Isa::detect(),
            winding,
            closed,
            sign: opts.sign,
        }
    }

    /// Whether the mesh is closed (every directed edge matched by its reverse), which enables
    /// the exact winding-number steps.
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// The binary hierarchy the query structures were built from (triangles in leaf order).
    pub fn bvh(&self) -> &Bvh {
        &self.bvh
    }

    /// Runs the distance kernels compiled for `isa` instead of the detected best (for tests
    /// and benchmarks; results are identical). Ignored if this CPU lacks `isa`.
    pub fn with_isa(mut self, isa: Isa) -> Sdf {
        if isa.is_supported() {
            self.isa = isa;
        }
        self
    }

    /// Squared distance to the nearest triangle and that triangle's slot in [`Bvh::tris`].
    fn nearest(&self, p: [f32; 3], seed: u32, scratch: &mut Scratch) -> (f32, u32, u32) {
        let (d2, packet, lane) = self.wide.nearest(self.isa, p, seed, scratch);
        (d2, packet, self.wide.base(packet) + lane)
    }

    /// Signed distances of `points` into `out` (negative inside). Panics if the lengths differ.
    pub fn signed_distances(&self, points: &[[f32; 3]], out: &mut [f32]) {
        self.batch(points, out, self.sign);
    }

    /// Unsigned distances of `points` into `out`. Panics if the lengths differ.
    pub fn unsigned_distances(&self, points: &[[f32; 3]], out: &mut [f32]) {
        self.batch(points, out, SignMethod::Unsigned);
    }

    /// Barill's fast winding numbers of `points` into `out`. Panics if the lengths differ.
    pub fn winding_numbers(&self, points: &[[f32; 3]], out: &mut [f32]) {
        assert_eq!(
            points.len(),
            out.len(),
            "winding_numbers: points and out differ in length"
        );
        out.par_iter_mut()
            .zip(points.par_iter())
            .with_min_len(256)
            .for_each_init(Vec::new, |stack, (o, p)| {
                *o = self.winding.fast(&self.wide, self.isa, *p, stack);
            });
    }

    /// Signed distance of one point (no neighbour to start from: prefer the batch call).
    pub fn signed_distance(&self, p: [f32; 3]) -> f32 {
        let (d2, _, _) = self.nearest(p, 0, &mut Scratch::new());
        let d = d2.sqrt();
        match self.sign {
            SignMethod::Unsigned => d,
            _ if d > 0.0 && self.winding.fast(&self.wide, self.isa, p, &mut Vec::new()) > 0.5 => -d,
            _ => d,
        }
    }

    /// The point of the mesh closest to `p`, its distance, and its triangle's index in the mesh.
    pub fn closest_point(&self, p: [f32; 3]) -> ([f32; 3], f32, u32) {
        let (_, _, slot) = self.nearest(p, 0, &mut Scratch::new());
        let t = &self.bvh.tris[slot as usize];
        let c = crate::distance::triangle::closest_point(p, t[0], t[1], t[2]);
        (c, len2(sub(p, c)).sqrt(), self.bvh.ids[slot as usize])
    }

    fn batch(&self, points: &[[f32; 3]], out: &mut [f32], sign: SignMethod) {
        assert_eq!(points.len(), out.len(), "points and out differ in length");
        let order = morton::order(points);
        // Gather first: in its own loop the random reads overlap; inside the query loop each
        // would stall a whole query.
        let sorted: Vec<[f32; 3]> = order.par_iter().map(|&i| points[i as usize]).collect();
        let mut dist = vec![0f32; points.len()];
        dist.par_chunks_mut(CHUNK)
            .zip(sorted.par_chunks(CHUNK))
            .for_each(|(o, p)| {
                self.chunk(p, o, sign);
            });
        for (&i, &d) in order.iter().zip(&dist) {
            out[i as usize] = d;
        }
    }

    /// One chunk of Morton-ordered queries, carrying the nearest triangle and the winding
    /// number from each query to the next.
    fn chunk(&self, points: &[[f32; 3]], out: &mut [f32], sign: SignMethod) {
        let mut seed = 0u32;
        let mut scratch = Scratch::new();
        let mut stack = Vec::new();
        // Last query whose winding number is known exactly (closed meshes only).
        let mut anchor: Option<([f32; 3], i32)> = None;
        for (o, &q) in out.iter_mut().zip(points) {
            let (d2, packet, _) = self.nearest(q, seed, &mut scratch);
            seed = packet;
            let inside = match sign {
                SignMethod::Unsigned => false,
                SignMethod::FastWinding => {
                    self.winding.fast(&self.wide, self.isa, q, &mut stack) > 0.5
                }
                SignMethod::Winding if !self.closed => {
                    self.winding.fast(&self.wide, self.isa, q, &mut stack) > 0.5
                }
                SignMethod::Winding => self.inside_closed(q, d2, &mut anchor, &mut stack),
            };
            let d = d2.sqrt();
            *o = if inside && d > 0.0 { -d } else { d };
        }
    }

    /// Inside test on a closed mesh, stepping the exact integer winding number from `anchor`.
    fn inside_closed(
        &self,
        q: [f32; 3],
        d2: f32,
        anchor: &mut Option<([f32; 3], i32)>,
        stack: &mut Vec<u32>,
    ) -> bool {
        if let Some((s, ws)) = *anchor {
            // Inside the empty ball around q nothing separates s from q (the factor keeps
            // rounding on the safe side).
            let w = if len2(sub(q, s)) < d2 * (1.0 - 1e-5) {
                Some(ws)
            } else {
                signed_crossings(&self.wide, self.isa, s, q, stack).map(|k| ws + k)
            };
            if let Some(w) = w {
                *anchor = Some((q, w));
                return w >= 1;
            }
        }
        let f = self.winding.fast(&self.wide, self.isa, q, stack);
        let r = f.round();
        // On a closed mesh w is an integer off the surface; accept the rounded value as a new
        // anchor only when the approximation is unambiguously close to it.
        if (f - r).abs() < 0.1 {
            *anchor = Some((q, r as i32));
        }
        f > 0.5
    }
}
