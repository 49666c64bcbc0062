//! Shading: a soft studio look from the analytic normal (two lights, ambient, a little
//! specular), on a light background; or a heat-map colour per hit.

use super::camera::{dot, normalize};

pub const BACKGROUND_TOP: [f32; 3] = [0.96, 0.97, 0.99];
pub const BACKGROUND_BOTTOM: [f32; 3] = [0.80, 0.83, 0.88];
const ALBEDO: [f32; 3] = [0.78, 0.74, 0.68];

/// Background colour at image row fraction `v` (0 top, 1 bottom).
pub fn background(v: f32) -> [f32; 3] {
    [0, 1, 2].map(|i| BACKGROUND_TOP[i] * (1.0 - v) + BACKGROUND_BOTTOM[i] * v)
}

/// Colour of a surface point with unit normal `n`, seen along unit ray direction `dir`, in a
/// frame where the camera's right/up/forward are given (lights move with the camera).
pub fn studio(
    n: [f32; 3],
    dir: [f32; 3],
    right: [f32; 3],
    up: [f32; 3],
    albedo: Option<[f32; 3]>,
) -> [f32; 3] {
    let albedo = albedo.unwrap_or(ALBEDO);
    let view = dir.map(|x| -x);
    let n = if dot(n, view) < 0.0 { n.map(|x| -x) } else { n };
    let light = |r: f32, u: f32, b: f32| {
        normalize([0, 1, 2].map(|a| r * right[a] + u * up[a] + b * view[a]))
    };
    let key = light(-0.5, 0.8, 0.6);
    let fill = light(0.7, 0.1, 0.5);
    let diffuse = 0.75 * dot(n, key).max(0.0) + 0.25 * dot(n, fill).max(0.0);
    let half = normalize([0, 1, 2].map(|a| key[a] + view[a]));
    let spec = 0.25 * dot(n, half).max(0.0).powf(40.0);
    let ambient = 0.18 + 0.1 * n.iter().zip(&up).map(|(a, b)| a * b).sum::<f32>();
    albedo.map(|c| c * (ambient + diffuse) + spec)
}

/// A perceptually ordered colour map for errors: 0 → dark blue, 1 → yellow (viridis-like).
pub fn heat(t: f32) -> [f32; 3] {
    const STOPS: [[f32; 3]; 5] = [
        [0.27, 0.00, 0.33],
        [0.23, 0.32, 0.55],
        [0.13, 0.57, 0.55],
        [0.37, 0.79, 0.38],
        [0.99, 0.91, 0.15],
    ];
    let t = t.clamp(0.0, 1.0) * 4.0;
    let i = (t.floor() as usize).min(3);
    let f = t - i as f32;
    [0, 1, 2].map(|c| STOPS[i][c] * (1.0 - f) + STOPS[i + 1][c] * f)
}

/// Linear [0, 1] → sRGB byte.
pub fn to_srgb8(c: [f32; 3]) -> [u8; 3] {
    c.map(|x| {
        let x = x.clamp(0.0, 1.0);
        let s = if x <= 0.003_130_8 {
            12.92 * x
        } else {
            1.055 * x.powf(1.0 / 2.4) - 0.055
        };
        (s * 255.0 + 0.5) as u8
    })
}
