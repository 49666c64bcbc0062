//! Small vector helpers on plain `[f32; 3]` / `[f64; 3]` arrays, so the mesh code needs no
//! linear-algebra crate and its data stays `Copy` and tightly packed.

/// A point or vector in single precision (what meshes and queries are stored in).
pub type V3 = [f32; 3];
/// A point or vector in double precision (used where sums or predicates need the headroom).
pub type D3 = [f64; 3];

#[inline(always)]
pub fn sub(a: V3, b: V3) -> V3 {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

#[inline(always)]
pub fn add(a: V3, b: V3) -> V3 {
    [a[0] + b[0], a[1] + b[1], a[2] + b[2]]
}

#[inline(always)]
pub fn scale(a: V3, s: f32) -> V3 {
    [a[0] * s, a[1] * s, a[2] * s]
}

#[inline(always)]
pub fn dot(a: V3, b: V3) -> f32 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

#[inline(always)]
pub fn cross(a: V3, b: V3) -> V3 {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

#[inline(always)]
pub fn len2(a: V3) -> f32 {
    dot(a, a)
}

#[inline(always)]
pub fn min3(a: V3, b: V3) -> V3 {
    [a[0].min(b[0]), a[1].min(b[1]), a[2].min(b[2])]
}

#[inline(always)]
pub fn max3(a: V3, b: V3) -> V3 {
    [a[0].max(b[0]), a[1].max(b[1]), a[2].max(b[2])]
}

/// Axis-aligned bounding box (min, max) of `points`; inverted (±∞) when there are none.
pub fn bounds(points: &[V3]) -> (V3, V3) {
    points.iter().fold(
        ([f32::INFINITY; 3], [f32::NEG_INFINITY; 3]),
        |(lo, hi), p| (min3(lo, *p), max3(hi, *p)),
    )
}

#[inline(always)]
pub fn to_d(a: V3) -> D3 {
    [a[0] as f64, a[1] as f64, a[2] as f64]
}

#[inline(always)]
pub fn dsub(a: D3, b: D3) -> D3 {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

#[inline(always)]
pub fn dadd(a: D3, b: D3) -> D3 {
    [a[0] + b[0], a[1] + b[1], a[2] + b[2]]
}

#[inline(always)]
pub fn dscale(a: D3, s: f64) -> D3 {
    [a[0] * s, a[1] * s, a[2] * s]
}

#[inline(always)]
pub fn ddot(a: D3, b: D3) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

#[inline(always)]
pub fn dcross(a: D3, b: D3) -> D3 {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

#[inline(always)]
pub fn dlen(a: D3) -> f64 {
    ddot(a, a).sqrt()
}

/// Squared distance from `p` to the axis-aligned box `[lo, hi]` (0 inside).
#[inline(always)]
pub fn box_dist2(p: V3, lo: V3, hi: V3) -> f32 {
    let dx = (lo[0] - p[0]).max(p[0] - hi[0]).max(0.0);
    let dy = (lo[1] - p[1]).max(p[1] - hi[1]).max(0.0);
    let dz = (lo[2] - p[2]).max(p[2] - hi[2]).max(0.0);
    dx * dx + dy * dy + dz * dz
}
