//! Range of the distance over an axis-aligned box, by affine arithmetic.
//!
//! Why: skipping empty space (marching cubes, sphere tracing, collision culling) needs "the
//! surface cannot cross this box". A global gradient bound answers that only for boxes whose
//! centre is `L · r` away; for a ReLU network, most units keep one sign over a small box, where
//! the network *is* affine, so tracking each unit as an affine form in the box's three
//! coordinates gives a range close to the true one (`f(c) ± |∇f| r`, not `± L r`).
//!
//! Each unit holds `c + Σₛ gₛ εₛ + e·ε` with every `εₛ ∈ [-1, 1]`: the first three are the
//! box's coordinates (half-extents folded into `gₛ`), and each ReLU that may change sign over the
//! box adds one of its own for the linearisation error (the zonotope transformer of Singh et al.
//! 2018): the unit becomes its chord minus half the gap to the parallel tangent, plus that half-gap
//! times its new symbol. Symbols keep errors correlated through the following layers, where
//! weights of both signs cancel them; only past [`MAX_SYMBOLS`] do errors go to the interval
//! term `e`, which the layers carry through `|W|`. Smooth activations keep only an interval.
//!
//! The body is `#[inline(always)]` so the SIMD backends compile it again with wider vectors.

// Loops here index several per-unit arrays at once; an index reads better than nested zips.
#![allow(clippy::needless_range_loop)]

use crate::eval::Network;
use crate::model::{Activation, Encoding};

/// Widest layer the fixed-size affine forms hold; wider networks get [`LinearBound::UNBOUNDED`].
pub const MAX_WIDTH: usize = 128;

/// Noise symbols per form: the box's three, then one per unstable ReLU until full. More keep
/// bounds tighter on larger boxes and cost proportionally more: on bunny_hr's 4-cell mesh
/// blocks, 32 drop 12% more blocks than 16 at twice the cost, the same total.
pub const MAX_SYMBOLS: usize = 16;

/// Widening of the error relative to the magnitude of the last layer's terms: the rounding of
/// an f32 evaluation (here and in the evaluators) stays well below it, as the conformance tests
/// measure (their `MAG_TOL`).
pub const SLACK: f32 = 1e-5;

/// A closed interval of distances.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Range {
    pub lo: f32,
    pub hi: f32,
}

impl Range {
    /// Whether zero lies in the interval (the surface may cross the box). NaN bounds count as
    /// crossing, so a broken range never hides surface.
    pub fn contains_zero(self) -> bool {
        !(self.lo > 0.0 || self.hi < 0.0)
    }
}

/// A plane bounding the distance over a world box: for every `p` in the box,
/// `|distance(p) - (value + slope · (p - centre))| <= error`.
///
/// One bound serves every sub-box too ([`LinearBound::range`]), which is how an octree tests
/// eight children, or sixty-four grandchildren, for the price of one evaluation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LinearBound {
    pub centre: [f32; 3],
    pub value: f32,
    pub slope: [f32; 3],
    pub error: f32,
}

impl LinearBound {
    /// No information (wider networks than [`MAX_WIDTH`], non-finite boxes).
    pub const UNBOUNDED: LinearBound = LinearBound {
        centre: [0.0; 3],
        value: 0.0,
        slope: [0.0; 3],
        error: f32::INFINITY,
    };

    /// The range of the distance over `bx`, which must lie inside the box the bound was made for.
    pub fn range(&self, bx: [[f32; 3]; 2]) -> Range {
        let (mut mid, mut spread) = (self.value, self.error);
        for a in 0..3 {
            let (m, h) = (0.5 * (bx[0][a] + bx[1][a]), 0.5 * (bx[1][a] - bx[0][a]));
            mid += self.slope[a] * (m - self.centre[a]);
            spread += self.slope[a].abs() * h;
        }
        // This sum rounds too; a relative ulp-scale margin keeps the range conservative.
        spread += 1e-6 * (mid.abs() + spread);
        Range {
            lo: mid - spread,
            hi: mid + spread,
        }
    }
}

/// Linear bounds of the distance over world boxes `[min, max]`.
///
/// # Panics
/// If `out.len() != boxes.len()`.
pub fn bounds(net: &Network, boxes: &[[[f32; 3]; 2]], out: &mut [LinearBound]) {
    bounds_inline(Plain, net, boxes, out)
}

/// Affine forms of one layer's units, structure of arrays so loops over units vectorize.
struct Forms {
    c: [f32; MAX_WIDTH],
    /// `g[s][u]`: unit `u`'s coefficient of symbol `s`, for `s < symbols`.
    g: [[f32; MAX_WIDTH]; MAX_SYMBOLS],
    symbols: usize,
    e: [f32; MAX_WIDTH],
    /// Magnitude of the terms the last dense layer summed, `|b| + Σ|w|(|c| + r)`.
    m: [f32; MAX_WIDTH],
}

impl Forms {
    fn new() -> Box<Forms> {
        Box::new(Forms {
            c: [0.0; MAX_WIDTH],
            g: [[0.0; MAX_WIDTH]; MAX_SYMBOLS],
            symbols: 0,
            e: [0.0; MAX_WIDTH],
            m: [0.0; MAX_WIDTH],
        })
    }

    /// Radii `Σₛ |gₛ| + e` of the first `n` units.
    #[inline(always)]
    fn radii<V: Kernels>(&self, v: V, n: usize, r: &mut [f32; MAX_WIDTH]) {
        r[..n].copy_from_slice(&self.e[..n]);
        for g in &self.g[..self.symbols] {
            v.add_abs(&mut r[..n], &g[..n]);
        }
    }
}

#[inline(always)]
pub(crate) fn bounds_inline<V: Kernels>(
    v: V,
    net: &Network,
    boxes: &[[[f32; 3]; 2]],
    out: &mut [LinearBound],
) {
    assert_eq!(
        boxes.len(),
        out.len(),
        "bounds: output length must equal box count"
    );
    let supported = net.max_width <= MAX_WIDTH;
    let (mut x, mut y) = (Forms::new(), Forms::new());
    for (bx, r) in boxes.iter().zip(out) {
        let finite = bx.iter().flatten().all(|v| v.is_finite());
        *r = if supported && finite {
            bound_one(v, net, bx, &mut x, &mut y)
        } else {
            LinearBound::UNBOUNDED
        };
    }
}

#[inline(always)]
fn bound_one<V: Kernels>(
    v: V,
    net: &Network,
    bx: &[[f32; 3]; 2],
    a: &mut Forms,
    b: &mut Forms,
) -> LinearBound {
    // Swapped by reference per layer (the forms themselves are kilobytes).
    let (mut x, mut y) = (a, b);
    let t = &net.transform;
    let [lo, hi] = *bx;
    let world_centre = [0, 1, 2].map(|a| 0.5 * (lo[a] + hi[a]));
    let world_half = [0, 1, 2].map(|a| 0.5 * (hi[a] - lo[a]));
    let centre = t.to_network(world_centre);
    let half = world_half.map(|h| h * t.scale.abs());
    encode(net, centre, half, x);
    let mut width = net.encoding.output_dim();
    for l in &net.layers {
        dense(v, l.inputs, l.outputs, &l.wt, &l.b, x, y);
        activate(v, l.activation, l.outputs, y);
        std::mem::swap(&mut x, &mut y);
        width = l.outputs;
    }
    if width == 0 {
        return LinearBound::UNBOUNDED;
    }
    // Symbol `a < 3` is `sign(scale) (p_a - centre_a) / half_a` in world terms.
    let ds = t.distance_scale;
    let mut slope = [0.0; 3];
    let mut linear = 0.0;
    for a in 0..3 {
        if world_half[a] > 0.0 {
            slope[a] = ds * t.scale.signum() * x.g[a][0] / world_half[a];
        }
        linear += x.g[a][0].abs();
    }
    let mut radii = [0.0; MAX_WIDTH];
    x.radii(v, 1, &mut radii);
    let (c, r) = (x.c[0], radii[0]);
    let error = (r - linear).max(0.0) + SLACK * (c.abs() + r + x.m[0]) + f32::MIN_POSITIVE;
    LinearBound {
        centre: world_centre,
        value: ds * c,
        slope,
        error: ds.abs() * error,
    }
}

/// The encoded input as affine forms: the coordinates exactly, Fourier features as intervals
/// (`|sin(fx) - sin(fc)| ≤ min(f·h, 2)`), hash-grid features as the interval of the vertices
/// the box touches (the whole level's range when that is more than [`GRID_VERTICES`]).
#[inline(always)]
fn encode(net: &Network, centre: [f32; 3], half: [f32; 3], x: &mut Forms) {
    let encoding = net.encoding;
    let n = encoding.output_dim();
    x.symbols = 3;
    for s in 0..3 {
        x.g[s][..n].fill(0.0);
        x.g[s][s] = half[s];
    }
    x.c[..3].copy_from_slice(&centre);
    x.e[..n].fill(0.0);
    if let Encoding::Fourier { frequencies } = encoding {
        for k in 0..frequencies as usize {
            let f = std::f32::consts::PI * (1u32 << k) as f32;
            for a in 0..3 {
                let (s, c) = (f * centre[a]).sin_cos();
                // Plus a few ulp for the evaluators' own sine and cosine.
                let e = (f * half[a]).min(2.0) + 1e-6;
                for (u, v) in [(3 + 6 * k + a, s), (6 + 6 * k + a, c)] {
                    x.c[u] = v;
                    x.e[u] = e;
                }
            }
        }
    }
    if let Some(g) = &net.grid {
        let lo = [0, 1, 2].map(|a| centre[a] - half[a]);
        let hi = [0, 1, 2].map(|a| centre[a] + half[a]);
        let f = g.grid.features;
        let mut r = [[0.0f32; 2]; 8];
        for l in 0..g.grid.levels() {
            let k0 = l * f;
            if !g
                .grid
                .box_range(&g.offsets, l, lo, hi, GRID_VERTICES, &mut r)
            {
                r[..f].copy_from_slice(&g.ranges[k0..k0 + f]);
            }
            for (k, r) in r[..f].iter().enumerate() {
                // Plus an ulp-sized margin for the evaluators' rounding of the interpolation.
                let e = 0.5 * (r[1] - r[0]) + 1e-6 * (r[0].abs() + r[1].abs());
                x.c[3 + k0 + k] = 0.5 * (r[0] + r[1]);
                x.e[3 + k0 + k] = e;
            }
        }
    }
}

/// Most vertices per hash-grid level a bound visits; larger boxes use the level's whole range.
pub const GRID_VERTICES: usize = 64;

/// `y = W x + b` on affine forms; `wt` is the transposed (input-major) weight matrix.
#[inline(always)]
fn dense<V: Kernels>(
    v: V,
    inputs: usize,
    outputs: usize,
    wt: &[f32],
    b: &[f32],
    x: &Forms,
    y: &mut Forms,
) {
    let n = outputs;
    let wt = &wt[..inputs * n];
    let mut radii = [0.0; MAX_WIDTH];
    x.radii(v, inputs, &mut radii);
    // The centre and the symbols go through W; the interval error and the magnitude of the
    // terms (for rounding) through |W|.
    let mut abs_in = [[0.0; MAX_WIDTH]; 2];
    for i in 0..inputs {
        abs_in[0][i] = x.e[i];
        abs_in[1][i] = x.c[i].abs() + radii[i];
    }
    let mut abs_out = [[0.0; MAX_WIDTH]; 2];
    v.rows_times::<true>(wt, inputs, n, &abs_in, &mut abs_out);
    v.rows_times::<false>(
        wt,
        inputs,
        n,
        std::slice::from_ref(&x.c),
        std::slice::from_mut(&mut y.c),
    );
    v.rows_times::<false>(wt, inputs, n, &x.g[..x.symbols], &mut y.g[..x.symbols]);
    y.symbols = x.symbols;
    for o in 0..n {
        y.c[o] += b[o];
        y.e[o] = abs_out[0][o];
        y.m[o] = abs_out[1][o] + b[o].abs();
    }
}

/// The products the bounds spend their time in. The scalar reference runs them as plain loops
/// ([`Plain`]); the SIMD backends supply register-tiled versions (`eval::simd::bound`).
pub(crate) trait Kernels: Copy {
    /// For every row `s` of `x`: `y[s][..n] = Σᵢ x[s][i] · w(i)` over `i < inputs`, where `w(i)`
    /// is row `i` of the input-major `wt` (`n` wide), or its absolute value when `ABS`.
    fn rows_times<const ABS: bool>(
        self,
        wt: &[f32],
        inputs: usize,
        n: usize,
        x: &[[f32; MAX_WIDTH]],
        y: &mut [[f32; MAX_WIDTH]],
    );
    /// `y += |x|`.
    fn add_abs(self, y: &mut [f32], x: &[f32]);
}

/// Plain loops, in the reference's order of operations.
#[derive(Clone, Copy)]
pub(crate) struct Plain;

impl Kernels for Plain {
    #[inline(always)]
    fn rows_times<const ABS: bool>(
        self,
        wt: &[f32],
        inputs: usize,
        n: usize,
        x: &[[f32; MAX_WIDTH]],
        y: &mut [[f32; MAX_WIDTH]],
    ) {
        for (x, y) in x.iter().zip(y) {
            let y = &mut y[..n];
            y.fill(0.0);
            for (row, &a) in wt.chunks_exact(n).zip(&x[..inputs]) {
                for (y, &w) in y.iter_mut().zip(row) {
                    *y += if ABS { w.abs() } else { w } * a;
                }
            }
        }
    }
    #[inline(always)]
    fn add_abs(self, y: &mut [f32], x: &[f32]) {
        for (y, x) in y.iter_mut().zip(x) {
            *y += x.abs();
        }
    }
}

#[inline(always)]
fn activate<V: Kernels>(v: V, act: Activation, n: usize, y: &mut Forms) {
    match act {
        Activation::Identity => {}
        Activation::Relu => piecewise_linear(v, 0.0, n, y),
        Activation::LeakyRelu(alpha) => piecewise_linear(v, alpha, n, y),
        Activation::Tanh => tanh(v, n, y),
        Activation::Sine(w) => interval(v, n, y, |c, r| ((w * c).sin(), (w.abs() * r).min(2.0))),
    }
}

/// Replaces each form by an interval `(centre, radius) = f(c, r)`, dropping its linear part.
#[inline(always)]
fn interval<V: Kernels>(v: V, n: usize, y: &mut Forms, f: impl Fn(f32, f32) -> (f32, f32)) {
    let mut radii = [0.0; MAX_WIDTH];
    y.radii(v, n, &mut radii);
    for u in 0..n {
        (y.c[u], y.e[u]) = f(y.c[u], radii[u]);
    }
    for g in &mut y.g[..y.symbols] {
        g[..n].fill(0.0);
    }
}

/// `tanh` on affine forms: the chord over `[l, h]` plus the extremes of the gap between it and
/// the curve, found where `tanh' = 1 - tanh²` equals the chord's slope.
#[inline(always)]
fn tanh<V: Kernels>(v: V, n: usize, y: &mut Forms) {
    linearise(v, n, y, |c, l, h| {
        let (tl, th) = (l.tanh(), h.tanh());
        // Where the interval is too narrow for a chord, the tangent at the centre is one.
        let k = if h - l > 1e-6 * (1.0 + c.abs()) {
            ((th - tl) / (h - l)).clamp(0.0, 1.0)
        } else {
            1.0 - c.tanh().powi(2)
        };
        let (mut lo, mut hi) = (0.0f32, 0.0f32);
        let z = (1.0 - k).max(0.0).sqrt().min(1.0 - f32::EPSILON).atanh();
        for z in [-z, z] {
            if l < z && z < h {
                let gap = z.tanh() - (tl + k * (z - l));
                lo = lo.min(gap);
                hi = hi.max(gap);
            }
        }
        // Plus the rounding of the tanh values themselves.
        (
            k,
            tl - k * l + 0.5 * (lo + hi),
            0.5 * (hi - lo) + 4.0 * f32::EPSILON,
        )
    })
}

/// `x ≥ 0 ? x : αx` on affine forms.
#[inline(always)]
fn piecewise_linear<V: Kernels>(v: V, alpha: f32, n: usize, y: &mut Forms) {
    linearise(v, n, y, |_, l, h| {
        if l >= 0.0 {
            (1.0, 0.0, 0.0)
        } else if h <= 0.0 {
            (alpha, 0.0, 0.0)
        } else {
            // Chord from (l, αl) to (h, h); it and the parallel line through the kink at 0
            // enclose the function, `gap` apart vertically.
            let k = (h - alpha * l) / (h - l);
            let gap = l * (alpha - k);
            (k, 0.5 * gap, 0.5 * gap.abs())
        }
    })
}

/// Applies an activation through its linear relaxation: `rule(c, l, h)` gives, for a unit with
/// centre `c` ranging over `[l, h]`, a line `slope · x + offset` and an error such that the
/// activation stays within the error of the line there. The error gets a fresh noise symbol
/// while there is room, else goes to the interval term.
#[inline(always)]
fn linearise<V: Kernels>(
    v: V,
    n: usize,
    y: &mut Forms,
    rule: impl Fn(f32, f32, f32) -> (f32, f32, f32),
) {
    let mut radii = [0.0; MAX_WIDTH];
    y.radii(v, n, &mut radii);
    let mut slope = [1.0f32; MAX_WIDTH];
    let old = y.symbols;
    for u in 0..n {
        let (c, r) = (y.c[u], radii[u]);
        let (k, offset, err) = rule(c, c - r, c + r);
        slope[u] = k;
        y.c[u] = k * c + offset;
        y.e[u] *= k.abs();
        if err == 0.0 {
            continue;
        }
        if y.symbols < MAX_SYMBOLS {
            let s = y.symbols;
            y.symbols += 1;
            y.g[s][..n].fill(0.0);
            y.g[s][u] = err;
        } else {
            y.e[u] += err;
        }
    }
    // Scale the coefficients the units had on entry (symbols added above are already final).
    for g in &mut y.g[..old] {
        for (g, k) in g[..n].iter_mut().zip(&slope[..n]) {
            *g *= k;
        }
    }
}
