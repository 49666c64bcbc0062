//! Area-weighted uniform sampling of the surface, with the face normal at each sample: the
//! trainer's near-surface points, the surface-error and Chamfer metrics all start here.
//!
//! Deterministic for a seed whatever the thread count: samples are drawn in fixed-size blocks,
//! each with its own generator seeded from (seed, block index).

use crate::geom::*;
use crate::Mesh;
use rayon::prelude::*;

/// Samples per independently seeded block.
const BLOCK: usize = 4096;

/// A small, fast, seedable generator (SplitMix64): enough for sampling, and stable across
/// versions of any external crate.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1) with 53 random bits.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }
}

/// Points on the surface and the unit normal of the triangle each lies on.
#[derive(Clone, Debug, Default)]
pub struct SurfaceSamples {
    pub points: Vec<[f32; 3]>,
    pub normals: Vec<[f32; 3]>,
    /// Index of the triangle each point lies on.
    pub triangles: Vec<u32>,
}

/// `n` points uniformly distributed over the surface area of `mesh` (none if it has no area).
pub fn sample_surface(mesh: &Mesh, n: usize, seed: u64) -> SurfaceSamples {
    if mesh.triangles.is_empty() {
        return SurfaceSamples::default();
    }
    // Cumulative areas in f64 so millions of small triangles keep their share.
    let mut cdf = Vec::with_capacity(mesh.triangles.len());
    let mut total = 0f64;
    for t in &mesh.triangles {
        let [a, b, c] = t.map(|v| mesh.positions[v as usize]);
        total += dlen(crate::distance::triangle::area_vector(a, b, c));
        cdf.push(total);
    }
    if total.is_nan() || total <= 0.0 {
        return SurfaceSamples::default();
    }
    let blocks: Vec<SurfaceSamples> = (0..n.div_ceil(BLOCK))
        .into_par_iter()
        .map(|b| {
            let count = BLOCK.min(n - b * BLOCK);
            let mut rng = Rng::new(seed ^ (b as u64).wrapping_mul(0xD1B5_4A32_D192_ED03));
            let mut out = SurfaceSamples {
                points: Vec::with_capacity(count),
                normals: Vec::with_capacity(count),
                triangles: Vec::with_capacity(count),
            };
            for _ in 0..count {
                let u = rng.next_f64() * total;
                let t = cdf.partition_point(|&c| c <= u).min(cdf.len() - 1);
                let [a, b, c] = mesh.triangles[t].map(|v| to_d(mesh.positions[v as usize]));
                // Uniform barycentric coordinates (Osada et al. 2002).
                let s = rng.next_f64().sqrt();
                let r = rng.next_f64();
                let p = dadd(
                    dadd(dscale(a, 1.0 - s), dscale(b, s * (1.0 - r))),
                    dscale(c, s * r),
                );
                let nrm = dcross(dsub(b, a), dsub(c, a));
                let nrm = dscale(nrm, 1.0 / dlen(nrm));
                out.points.push(p.map(|x| x as f32));
                out.normals.push(nrm.map(|x| x as f32));
                out.triangles.push(t as u32);
            }
            out
        })
        .collect();
    let mut all = SurfaceSamples::default();
    for b in blocks {
        all.points.extend(b.points);
        all.normals.extend(b.normals);
        all.triangles.extend(b.triangles);
    }
    all
}
