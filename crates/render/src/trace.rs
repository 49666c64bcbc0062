//! Wavefront sphere tracing: all live rays advance together, one batched (SIMD, threaded) field
//! evaluation per step, so the network is evaluated at full batch speed.
//!
//! A ray at distance `d` from the surface steps `d / L`, with `L` the field's gradient bound, so
//! it never crosses the surface; it stops when `d` is below half a pixel's footprint.

use super::camera::{Camera, View};
use super::image::Image;
use super::shade;
use nsdf_mesh::surface::Field;

/// Per-hit colouring, e.g. an error heat map: world points → linear RGB.
pub type Colouring<'a> = &'a (dyn Fn(&[[f32; 3]]) -> Vec<[f32; 3]> + Sync);

pub struct Options<'a> {
    /// Gradient bound for the safe step; `None` takes the field's (or 1 if it states none).
    pub lipschitz: Option<f32>,
    /// Most steps per ray.
    pub max_steps: u32,
    /// Colour hits by this instead of the studio shading.
    pub colouring: Option<Colouring<'a>>,
}

impl Default for Options<'_> {
    fn default() -> Self {
        Options {
            lipschitz: None,
            max_steps: 200,
            colouring: None,
        }
    }
}

/// The picture and what it cost.
pub struct Render {
    pub image: Image,
    pub hits: u64,
    /// Field evaluations (distance steps + gradients at hits).
    pub evaluations: u64,
}

/// Largest image side accepted.
pub const MAX_SIDE: u32 = 16384;

pub fn render<F: Field + ?Sized>(
    field: &F,
    bounds: [[f32; 3]; 2],
    view: &View,
    opts: &Options,
) -> Result<Render, String> {
    if view.width == 0 || view.height == 0 || view.width > MAX_SIDE || view.height > MAX_SIDE {
        return Err(format!(
            "image size must be between 1 and {MAX_SIDE} per side, got {}x{}",
            view.width, view.height
        ));
    }
    let fov_ok = view.fov > 0.0 && view.fov < 179.0; // false for NaN too
    if !fov_ok || !view.azimuth.is_finite() || !view.elevation.is_finite() {
        return Err("view angles must be finite and the field of view in (0, 179) degrees".into());
    }
    let [lo, hi] = bounds;
    if (0..3).any(|a| !(lo[a].is_finite() && hi[a].is_finite() && hi[a] >= lo[a])) {
        return Err(format!("bad bounds {lo:?} .. {hi:?}"));
    }
    let lipschitz = opts
        .lipschitz
        .or_else(|| field.gradient_bound())
        .unwrap_or(1.0)
        .max(1e-3);
    let cam = Camera::framing(bounds, view);
    let size = (0..3)
        .map(|a| hi[a] - lo[a])
        .fold(0.0f32, f32::max)
        .max(1e-6);
    // Pad the box a little so surfaces on its faces are not clipped.
    let pad = 0.01 * size;
    let (blo, bhi) = (lo.map(|x| x - pad), hi.map(|x| x + pad));

    let n = (view.width * view.height) as usize;
    let dirs: Vec<[f32; 3]> = (0..n)
        .map(|i| cam.ray(i as u32 % view.width, i as u32 / view.width))
        .collect();
    let mut t = vec![0.0f32; n];
    let mut t_end = vec![0.0f32; n];
    let mut live: Vec<u32> = Vec::with_capacity(n);
    for i in 0..n {
        if let Some((t0, t1)) = slab(cam.eye, dirs[i], blo, bhi) {
            t[i] = t0;
            t_end[i] = t1;
            live.push(i as u32);
        }
    }
    let mut hit = vec![false; n];
    let mut evaluations = 0u64;
    let mut pts = Vec::with_capacity(live.len());
    let mut d = Vec::with_capacity(live.len());
    for _ in 0..opts.max_steps {
        if live.is_empty() {
            break;
        }
        pts.clear();
        pts.extend(
            live.iter()
                .map(|&i| at(cam.eye, dirs[i as usize], t[i as usize])),
        );
        d.resize(pts.len(), 0.0);
        field.distances(&pts, &mut d);
        evaluations += pts.len() as u64;
        let mut next = 0;
        for k in 0..live.len() {
            let i = live[k] as usize;
            let eps = cam.pixel_radius(t[i]).max(1e-6 * size);
            if d[k] < eps {
                hit[i] = true;
                continue;
            }
            t[i] += d[k] / lipschitz;
            if t[i] <= t_end[i] {
                live[next] = i as u32;
                next += 1;
            }
        }
        live.truncate(next);
    }
    // Rays still marching after max_steps graze the surface: count them as hits.
    live.iter().for_each(|&i| hit[i as usize] = true);

    let hits: Vec<usize> = (0..n).filter(|&i| hit[i]).collect();
    let hit_pts: Vec<[f32; 3]> = hits.iter().map(|&i| at(cam.eye, dirs[i], t[i])).collect();
    let mut hd = vec![0.0; hits.len()];
    let mut hg = vec![[0.0; 3]; hits.len()];
    field.gradients(&hit_pts, &mut hd, &mut hg);
    evaluations += hits.len() as u64;
    let colours = opts.colouring.map(|f| f(&hit_pts));

    let mut image = Image::new(view.width, view.height);
    for y in 0..view.height {
        let c = shade::to_srgb8(shade::background(y as f32 / view.height as f32));
        for x in 0..view.width {
            image.set(x, y, c);
        }
    }
    for (k, &i) in hits.iter().enumerate() {
        let n = super::camera::normalize(hg[k]);
        let albedo = colours.as_ref().map(|c| c[k]);
        let c = shade::studio(n, dirs[i], cam.right, cam.up, albedo);
        image.set(
            i as u32 % view.width,
            i as u32 / view.width,
            shade::to_srgb8(c),
        );
    }
    Ok(Render {
        image,
        hits: hits.len() as u64,
        evaluations,
    })
}

fn at(o: [f32; 3], d: [f32; 3], t: f32) -> [f32; 3] {
    [o[0] + t * d[0], o[1] + t * d[1], o[2] + t * d[2]]
}

/// Ray/box intersection: the parameter interval inside the box, if any.
fn slab(o: [f32; 3], d: [f32; 3], lo: [f32; 3], hi: [f32; 3]) -> Option<(f32, f32)> {
    let (mut t0, mut t1) = (0.0f32, f32::INFINITY);
    for a in 0..3 {
        let inv = 1.0 / d[a];
        let (mut ta, mut tb) = ((lo[a] - o[a]) * inv, (hi[a] - o[a]) * inv);
        if ta > tb {
            std::mem::swap(&mut ta, &mut tb);
        }
        t0 = t0.max(ta);
        t1 = t1.min(tb);
    }
    (t0 <= t1).then_some((t0, t1))
}
