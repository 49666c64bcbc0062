//! `nsdf shader`: a shape as a self-contained shader function with its weights inlined, for
//! sphere tracing on the GPU.
//!
//! The emitted code follows the scalar reference evaluator (`nsdf::eval` scalar) step by step:
//! world point → network frame (`scale * p + translation`), the optional Fourier or hash-grid
//! encoding, each dense layer as `act(b + W x)`, then `distance_scale * f`; the gradient is reverse
//! mode through the pre-activations (ReLU masks included). Matrices are 4×4 blocks, so the GPU sums
//! the same terms in another order: it differs from [`nsdf::Shape::distance`] only by f32 rounding
//! and by the GPU's `tanh`/`sin`/`cos` (tests/shader.rs states and checks the tolerance).
//!
//! # Hash-grid shapes
//! A hash grid's feature table (up to 32 levels of `2^24` entries) is far too large to inline, so
//! the shader reads it from a read-only storage buffer that the generated code declares itself:
//! `nsdf_<name>_table`, an array of f32 at the [`TableBinding`] given to [`generate`] (WGSL
//! `@group`/`@binding`, GLSL `binding` plus `set` when the group is not 0, HLSL `register(t…)` and
//! `[[vk::binding]]`). The application uploads [`table_bytes`] (little-endian f32, the file's
//! features dequantized, level after level, `F` values per entry) into that buffer unchanged; the
//! levels' resolutions, table sizes and offsets into the buffer are inlined. Storage buffers need
//! GLSL 4.30 or ES 3.10, Shader Model 5 or WebGPU (not WebGL 2).
//!
//! May import: `nsdf` only.
//!
//! This file is the language-neutral part: [`Plan`] (what to compute, with dequantized f32
//! weights) and the body printer. Each language only supplies its syntax (`Syntax`) in
//! `glsl.rs`, `hlsl.rs` and `wgsl.rs`.

mod glsl;
mod hlsl;
mod wgsl;

use nsdf::{Activation, Encoding, Shape};
use std::fmt::Write;

/// A shading language.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    /// GLSL (4.50 / ES 3.00 compatible, 4.30 / ES 3.10 for hash-grid shapes; no `#version` line,
    /// paste into your shader).
    Glsl,
    /// HLSL (Shader Model 5+).
    Hlsl,
    /// WGSL (WebGPU).
    Wgsl,
}

impl std::str::FromStr for Lang {
    type Err = String;
    fn from_str(s: &str) -> Result<Lang, String> {
        match s {
            "glsl" => Ok(Lang::Glsl),
            "hlsl" => Ok(Lang::Hlsl),
            "wgsl" => Ok(Lang::Wgsl),
            _ => Err(format!(
                "unknown shading language '{s}' (expected glsl, hlsl or wgsl)"
            )),
        }
    }
}

impl Lang {
    pub fn name(self) -> &'static str {
        match self {
            Lang::Glsl => "glsl",
            Lang::Hlsl => "hlsl",
            Lang::Wgsl => "wgsl",
        }
    }

    fn syntax(self) -> &'static dyn Syntax {
        match self {
            Lang::Glsl => &glsl::Glsl,
            Lang::Hlsl => &hlsl::Hlsl,
            Lang::Wgsl => &wgsl::Wgsl,
        }
    }
}

/// Networks larger than this are refused: the shader text would be megabytes and GPU compilers
/// take minutes on it (Davies' network has 7,553).
pub const MAX_PARAMETERS: usize = 1 << 20;

/// The longest name accepted, so identifiers stay within every compiler's limits.
pub const MAX_NAME_LEN: usize = 64;

/// Hash-grid tables larger than this are refused: indices into the table are u32, and Vulkan
/// devices limit a storage buffer binding to at most 4 GiB (`maxStorageBufferRange`).
pub const MAX_TABLE_BYTES: usize = u32::MAX as usize;

/// Where the generated code declares a hash grid's table buffer: WGSL `@group(group)
/// @binding(binding)`, Vulkan GLSL `set = group, binding = binding`, HLSL `register(t<binding>,
/// space<group>)`. Unused for shapes without a hash grid.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TableBinding {
    pub group: u32,
    pub binding: u32,
}

/// Checks a `--name`: letters, digits and single underscores, not starting or ending with `_`.
/// (GLSL reserves identifiers with `__`, and the emitted constants are `nsdf_<name>_w0`.)
pub fn check_name(name: &str) -> Result<(), String> {
    let bad = |why: &str| Err(format!("invalid shader name '{name}': {why}"));
    if name.is_empty() {
        return bad("it is empty");
    }
    if name.len() > MAX_NAME_LEN {
        return bad(&format!("longer than {MAX_NAME_LEN} characters"));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !c.is_ascii_alphanumeric() && *c != '_')
    {
        return bad(&format!(
            "'{}' is not allowed (use letters, digits and _)",
            c.escape_default()
        ));
    }
    if name.starts_with('_') || name.ends_with('_') || name.contains("__") {
        return bad("no leading, trailing or doubled '_' (GLSL reserves '__')");
    }
    Ok(())
}

/// A valid name made from any text (a file stem): runs of other characters become one `_`,
/// trimmed at both ends and cut to [`MAX_NAME_LEN`]. `None` when nothing usable is left.
pub fn sanitize_name(text: &str) -> Option<String> {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
    }
    out.truncate(MAX_NAME_LEN);
    let out = out.trim_end_matches('_').to_string();
    (!out.is_empty()).then_some(out)
}

/// What the shader computes, with every number as the f32 the CPU uses.
#[derive(Clone, Debug)]
pub struct Plan {
    pub name: String,
    /// `p_net = scale * p + translation`.
    pub scale: f32,
    pub translation: [f32; 3],
    /// `distance = distance_scale * f`.
    pub distance_scale: f32,
    /// `distance_scale * scale`, rounded to f32 as the CPU does, for the gradient.
    pub gradient_scale: f32,
    /// Fourier frequencies `π · 2^k` as f32 (empty without the encoding).
    pub frequencies: Vec<f32>,
    pub layers: Vec<PlanLayer>,
    /// Length of the encoded input.
    pub input_dim: usize,
    pub bounds: [[f32; 3]; 2],
    /// Safe sphere-tracing step factor (the file's measured bound, else the weights' bound).
    pub gradient_bound: f32,
    /// The hash grid's levels, for [`Encoding::HashGrid`].
    pub grid: Option<PlanGrid>,
}

/// A hash grid as the shader indexes it; the features themselves stay in the table buffer.
#[derive(Clone, Debug)]
pub struct PlanGrid {
    /// Features per vertex and level (`F`).
    pub features: usize,
    pub levels: Vec<PlanLevel>,
    /// Length of the table in f32 values.
    pub values: usize,
}

/// One level's constants, from `nsdf::grid`'s `level_entries` and `HashGrid::offsets`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlanLevel {
    /// Cells per axis, `N`.
    pub resolution: u32,
    /// Table entries: `(N + 1)³` when dense, else the (power of two) table size.
    pub entries: u32,
    /// Index of the level's first value in the table buffer.
    pub offset: u32,
    /// Whether vertices are stored row-major (`(N + 1)³ <= entries`) rather than hashed.
    pub dense: bool,
}

#[derive(Clone, Debug)]
pub struct PlanLayer {
    pub inputs: usize,
    pub outputs: usize,
    pub activation: Activation,
    /// Row-major `outputs × inputs`, dequantized.
    pub weights: Vec<f32>,
    pub bias: Vec<f32>,
}

impl Plan {
    /// The plan for a loaded shape; `name` must pass [`check_name`].
    pub fn new(shape: &Shape, name: &str) -> Result<Plan, String> {
        check_name(name)?;
        let model = shape.model();
        let params = model.parameter_count();
        if params > MAX_PARAMETERS {
            return Err(format!(
                "the network has {params} parameters; inlining more than {MAX_PARAMETERS} in a \
                 shader is not supported"
            ));
        }
        let frequencies = match model.encoding {
            Encoding::None => Vec::new(),
            // Same f32 arithmetic as nsdf's `encode`: π rounded to f32, times an exact 2^k.
            Encoding::Fourier { frequencies } => (0..frequencies)
                .map(|k| std::f32::consts::PI * (1u32 << k) as f32)
                .collect(),
            Encoding::HashGrid { .. } => Vec::new(),
        };
        let grid = match &model.grid {
            Some(g) => Some(plan_grid(g)?),
            None => None,
        };
        let input_dim = model.encoding.output_dim();
        let layers = model
            .layers
            .iter()
            .map(|l| PlanLayer {
                inputs: l.inputs,
                outputs: l.outputs,
                activation: l.activation,
                weights: l.weights.clone(),
                bias: l.bias.clone(),
            })
            .collect();
        let gradient_bound = shape.gradient_bound();
        if !gradient_bound.is_finite() {
            return Err(format!(
                "the stored gradient bound {gradient_bound} is not finite"
            ));
        }
        let t = &model.transform;
        Ok(Plan {
            name: name.to_string(),
            scale: t.scale,
            translation: t.translation,
            distance_scale: t.distance_scale,
            gradient_scale: t.distance_scale * t.scale,
            frequencies,
            layers,
            input_dim,
            bounds: t.bounds,
            gradient_bound,
            grid,
        })
    }
}

fn plan_grid(g: &nsdf::HashGrid) -> Result<PlanGrid, String> {
    let bytes = g.values.len() * 4;
    if bytes > MAX_TABLE_BYTES {
        return Err(format!(
            "the hash-grid table has {bytes} bytes; more than {MAX_TABLE_BYTES} in one storage \
             buffer is not supported"
        ));
    }
    let offsets = g.offsets();
    let levels = g
        .resolutions
        .iter()
        .enumerate()
        .map(|(l, &n)| {
            let entries = g.entries(l);
            PlanLevel {
                resolution: n,
                entries: entries as u32,
                offset: offsets[l] as u32,
                dense: nsdf::grid::is_dense(n, entries),
            }
        })
        .collect();
    Ok(PlanGrid {
        features: g.features,
        levels,
        values: g.values.len(),
    })
}

/// The hash grid's table as the shader's storage buffer holds it: every value as a
/// little-endian f32, in the file's order (level after level, `F` values per entry). `None` for
/// shapes without a hash grid.
pub fn table_bytes(shape: &Shape) -> Option<Vec<u8>> {
    let g = shape.model().grid.as_ref()?;
    Some(g.values.iter().flat_map(|v| v.to_le_bytes()).collect())
}

/// The shader source for `shape` in `lang`: constants, `nsdf_<name>(p)` and
/// `nsdf_<name>_gradient(p)`, and for a hash-grid shape the declaration of its table buffer at
/// `table` (fill it with [`table_bytes`]).
pub fn generate(
    shape: &Shape,
    lang: Lang,
    name: &str,
    table: TableBinding,
) -> Result<String, String> {
    let plan = Plan::new(shape, name)?;
    Ok(Printer::new(&plan, lang.syntax(), table).print(shape))
}

/// How one language spells the few constructs the printer uses. Expressions are passed in as
/// already printed text.
trait Syntax {
    /// A float literal that parses back to exactly `x`.
    fn float(&self, x: f32) -> String;
    fn comment(&self) -> &'static str {
        "//"
    }
    /// A 4×4 block of a weight matrix given row-major (`m[r][c]` = weight from input `c` to
    /// output `r`), as a matrix `M` for which [`Syntax::mat_vec`] computes `M x`.
    fn mat4(&self, m: [[f32; 4]; 4]) -> String;
    /// `M x` and `Mᵀ g` for a matrix made by [`Syntax::mat4`].
    fn mat_vec(&self, m: &str, x: &str) -> String;
    fn mat_t_vec(&self, m: &str, g: &str) -> String;
    /// Module-scope constant arrays of 4-vectors and of 4×4 matrices (items already printed).
    fn const_vec4_array(&self, name: &str, items: &[String]) -> String;
    fn const_mat4_array(&self, name: &str, items: &[String]) -> String;
    /// Module-scope constant scalar and 3-vector.
    fn const_float(&self, name: &str, value: f32) -> String;
    fn const_vec3(&self, name: &str, v: [f32; 3]) -> String;
    /// `float nsdf_x(vec3 p) {` and the gradient's header.
    fn distance_header(&self, fn_name: &str) -> String;
    fn gradient_header(&self, fn_name: &str) -> String;
    /// Immutable locals (statements).
    fn let_vec3(&self, name: &str, init: &str) -> String;
    fn let_vec4(&self, name: &str, init: &str) -> String;
    /// A mutable 3-vector local (statement).
    fn var_vec3(&self, name: &str, init: &str) -> String;
    /// Immutable f32, u32 and u32 3-vector locals (statements).
    fn let_float(&self, name: &str, init: &str) -> String;
    fn let_uint(&self, name: &str, init: &str) -> String;
    fn let_uvec3(&self, name: &str, init: &str) -> String;
    /// The hash-grid table: a module-scope read-only storage buffer of f32 called `name`, at
    /// `at`.
    fn table_buffer(&self, name: &str, at: TableBinding) -> String;
    /// Vector constructors from component expressions (or, with one argument, conversions: a u32
    /// vector from a float one and back).
    fn vec3(&self, xyz: &str) -> String;
    fn uvec3(&self, xyz: &str) -> String;
    fn vec4(&self, xyzw: &str) -> String;
    /// A 4-vector with every component `x`.
    fn splat4(&self, x: f32) -> String {
        let x = self.float(x);
        self.vec4(&format!("{x}, {x}, {x}, {x}"))
    }
}

/// Number of 4-lane blocks holding `n` values.
fn blocks(n: usize) -> usize {
    n.div_ceil(4)
}

const LANES: [&str; 4] = ["x", "y", "z", "w"];

/// Prints a [`Plan`] through a [`Syntax`].
///
/// Every vector is split into 4-lane blocks (zero-padded: all activations map 0 to 0, so padded
/// lanes stay 0) and every weight matrix into 4×4 blocks, so a layer is a few dozen
/// matrix-vector products on named locals with constant indices into the constant arrays: no
/// loops and no dynamically indexed arrays, which GPU compilers turn into slow scratch memory.
struct Printer<'a> {
    plan: &'a Plan,
    s: &'a dyn Syntax,
    table: TableBinding,
    out: String,
    indent: usize,
}

impl<'a> Printer<'a> {
    fn new(plan: &'a Plan, s: &'a dyn Syntax, table: TableBinding) -> Printer<'a> {
        Printer {
            plan,
            s,
            table,
            out: String::new(),
            indent: 0,
        }
    }

    fn line(&mut self, text: &str) {
        if text.starts_with('}') {
            self.indent -= 1;
        }
        for _ in 0..self.indent {
            self.out.push_str("    ");
        }
        self.out.push_str(text);
        self.out.push('\n');
        if text.ends_with('{') {
            self.indent += 1;
        }
    }

    /// `nsdf_<name>_<suffix>`
    fn id(&self, suffix: &str) -> String {
        format!("nsdf_{}_{suffix}", self.plan.name)
    }

    fn print(mut self, shape: &Shape) -> String {
        self.header(shape);
        self.constants();
        self.distance();
        self.out.push('\n');
        self.gradient();
        self.out
    }

    fn header(&mut self, shape: &Shape) {
        let p = self.plan;
        let c = self.s.comment();
        let arch = std::iter::once(p.input_dim.to_string())
            .chain(
                p.layers
                    .iter()
                    .map(|l| format!("{}({})", l.outputs, activation_text(l.activation))),
            )
            .collect::<Vec<_>>()
            .join(" -> ");
        let encoding = match (p.frequencies.len(), &p.grid) {
            (_, Some(g)) => format!(
                ", hash-grid encoding with {} levels of {} features",
                g.levels.len(),
                g.features
            ),
            (0, None) => String::new(),
            (n, None) => format!(", Fourier encoding with {n} frequencies"),
        };
        let name = &p.name;
        let mut lines = vec![
            format!("Neural signed distance function '{name}', generated by `nsdf shader`."),
            format!(
                "Network {arch}{encoding}; {} parameters, weights dequantized to f32 and stored",
                shape.parameter_count()
            ),
            "in zero-padded 4x4 blocks (nsdf_<name>_w<layer>[out_block * in_blocks + in_block]).".into(),
            format!("nsdf_{name}(p): signed distance at world point p, in world units (negative inside)."),
            format!("nsdf_{name}_gradient(p): (gradient of the distance, distance), analytic."),
            format!("Sphere tracing: march within nsdf_{name}_bounds_min/max, step distance / nsdf_{name}_gradient_bound."),
        ];
        if let (Some(g), Some(grid)) = (&p.grid, &shape.model().grid) {
            let TableBinding { group, binding } = self.table;
            let res = |l: &PlanLevel| l.resolution;
            let (lo, hi) = (
                g.levels.iter().map(res).min(),
                g.levels.iter().map(res).max(),
            );
            lines.extend([
                format!(
                    "Hash grid: {}..{} cells per axis, 2^{} table entries per level; the features are",
                    lo.unwrap_or(0),
                    hi.unwrap_or(0),
                    grid.log2_table
                ),
                format!(
                    "read from nsdf_{name}_table, a read-only storage buffer at group (set) {group}, binding {binding}."
                ),
                format!(
                    "Bind a buffer of {} bytes holding the file that `nsdf shader --table` writes, unchanged:",
                    g.values * 4
                ),
                format!(
                    "{} little-endian f32, level after level, {} per table entry.",
                    g.values, g.features
                ),
            ]);
        }
        for l in lines {
            let _ = writeln!(self.out, "{c} {l}");
        }
        self.out.push('\n');
    }

    fn constants(&mut self) {
        let p = self.plan;
        let s = self.s;
        let (min, max) = (self.id("bounds_min"), self.id("bounds_max"));
        self.line(&s.const_vec3(&min, p.bounds[0]));
        self.line(&s.const_vec3(&max, p.bounds[1]));
        self.line(&s.const_float(&self.id("gradient_bound"), p.gradient_bound));
        if p.grid.is_some() {
            self.line(&s.table_buffer(&self.id("table"), self.table));
        }
        for (k, l) in p.layers.iter().enumerate() {
            let mats: Vec<String> = weight_blocks(l).into_iter().map(|m| s.mat4(m)).collect();
            let bias: Vec<String> = (0..blocks(l.outputs))
                .map(|ob| {
                    let v: Vec<String> = (0..4)
                        .map(|r| s.float(l.bias.get(ob * 4 + r).copied().unwrap_or(0.0)))
                        .collect();
                    s.vec4(&v.join(", "))
                })
                .collect();
            self.line(&s.const_mat4_array(&self.id(&format!("w{k}")), &mats));
            self.line(&s.const_vec4_array(&self.id(&format!("b{k}")), &bias));
        }
        self.out.push('\n');
    }

    /// `q` (network frame), the Fourier sines and cosines, and the encoded input as `h0_*`.
    fn encode(&mut self) {
        let p = self.plan;
        let s = self.s;
        let t = p.translation;
        let q = format!(
            "{} * p + {}",
            s.float(p.scale),
            s.vec3(&format!(
                "{}, {}, {}",
                s.float(t[0]),
                s.float(t[1]),
                s.float(t[2])
            ))
        );
        self.line(&s.let_vec3("q", &q));
        let mut enc: Vec<String> = LANES[..3].iter().map(|c| format!("q.{c}")).collect();
        for (k, &f) in p.frequencies.iter().enumerate() {
            let f = s.float(f);
            self.line(&s.let_vec3(&format!("s{k}"), &format!("sin({f} * q)")));
            self.line(&s.let_vec3(&format!("c{k}"), &format!("cos({f} * q)")));
            enc.extend(LANES[..3].iter().map(|c| format!("s{k}.{c}")));
            enc.extend(LANES[..3].iter().map(|c| format!("c{k}.{c}")));
        }
        if let Some(g) = &p.grid {
            self.grid_encode(g, &mut enc);
        }
        let zero = s.float(0.0);
        enc.resize(blocks(enc.len()) * 4, zero);
        for (b, lanes) in enc.chunks(4).enumerate() {
            self.line(&s.let_vec4(&format!("h0_{b}"), &s.vec4(&lanes.join(", "))));
        }
    }

    /// Each level's features as `ef{l}_*` (4-lane blocks), pushed onto `enc`, as `HashGrid::encode`
    /// computes them: the cell `ek{l}`, position `ew{l}` (and `em{l} = 1 - ew{l}`), then
    /// `Σ_c weight_c · value_c` over the corners in order. The corner values `ev{l}_{c}_*` stay
    /// for the gradient.
    fn grid_encode(&mut self, g: &PlanGrid, enc: &mut Vec<String>) {
        let s = self.s;
        let table = self.id("table");
        let splat3 = |x: f32| s.vec3(&format!("{0}, {0}, {0}", s.float(x)));
        let (zero, one) = (splat3(0.0), splat3(1.0));
        let half = s.float(0.5);
        let u = format!("clamp((q + {one}) * {half}, {zero}, {one})");
        self.line(&s.let_vec3("eu", &u));
        let f = g.features;
        for (l, lv) in g.levels.iter().enumerate() {
            let n = lv.resolution;
            let last = s.uvec3(&format!("{0}u, {0}u, {0}u", n - 1));
            self.line(&s.let_vec3(&format!("es{l}"), &format!("eu * {}", s.float(n as f32))));
            let k = format!("min({}, {last})", s.uvec3(&format!("floor(es{l})")));
            self.line(&s.let_uvec3(&format!("ek{l}"), &k));
            let w = format!("es{l} - {}", s.vec3(&format!("ek{l}")));
            self.line(&s.let_vec3(&format!("ew{l}"), &w));
            self.line(&s.let_vec3(&format!("em{l}"), &format!("{one} - ew{l}")));
            // Corner c's first value in the buffer: `offset + F · entry`.
            let entry: Box<dyn Fn(usize) -> String> = if lv.dense {
                let side = n as u64 + 1;
                let row = format!("ek{l}.x + {side}u * (ek{l}.y + {side}u * ek{l}.z)");
                let base = format!("{}u + {f}u * ({row})", lv.offset);
                self.line(&s.let_uint(&format!("eb{l}"), &base));
                Box::new(move |c| {
                    let [x, y, z] = [0, 1, 2].map(|a| (c >> a & 1) as u64);
                    format!("eb{l} + {}u", f as u64 * (x + side * (y + side * z)))
                })
            } else {
                let primes = s.uvec3(&format!(
                    "{}u, {}u, {}u",
                    nsdf::grid::PRIMES[0],
                    nsdf::grid::PRIMES[1],
                    nsdf::grid::PRIMES[2]
                ));
                let up = format!("ek{l} + {}", s.uvec3("1u, 1u, 1u"));
                self.line(&s.let_uvec3(&format!("el{l}"), &format!("ek{l} * {primes}")));
                self.line(&s.let_uvec3(&format!("eh{l}"), &format!("({up}) * {primes}")));
                let (offset, mask) = (lv.offset, lv.entries - 1);
                Box::new(move |c| {
                    let [x, y, z] = [0, 1, 2].map(|a| if c >> a & 1 == 1 { "eh" } else { "el" });
                    // Parenthesized: WGSL does not mix `^`, `&` and arithmetic without them.
                    format!("{offset}u + {f}u * (({x}{l}.x ^ {y}{l}.y ^ {z}{l}.z) & {mask}u)")
                })
            };
            for c in 0..8 {
                self.line(&s.let_uint(&format!("ei{l}_{c}"), &entry(c)));
                let t = |a: usize| {
                    let v = if c >> a & 1 == 1 { "ew" } else { "em" };
                    format!("{v}{l}.{}", LANES[a])
                };
                let weight = format!("{} * {} * {}", t(0), t(1), t(2));
                self.line(&s.let_float(&format!("ea{l}_{c}"), &weight));
                for j in 0..blocks(f) {
                    let lanes: Vec<String> = (4 * j..4 * j + 4)
                        .map(|k| match k {
                            0 => format!("{table}[ei{l}_{c}]"),
                            k if k < f => format!("{table}[ei{l}_{c} + {k}u]"),
                            _ => s.float(0.0),
                        })
                        .collect();
                    self.line(&s.let_vec4(&format!("ev{l}_{c}_{j}"), &s.vec4(&lanes.join(", "))));
                }
            }
            for j in 0..blocks(f) {
                let sum: Vec<String> = (0..8)
                    .map(|c| format!("ea{l}_{c} * ev{l}_{c}_{j}"))
                    .collect();
                self.line(&s.let_vec4(&format!("ef{l}_{j}"), &sum.join(" + ")));
            }
            enc.extend((0..f).map(|k| format!("ef{l}_{}.{}", k / 4, LANES[k % 4])));
        }
    }

    /// `∂f/∂q` through the grid, added to `gq`, as `HashGrid::backward`: per level and corner the
    /// incoming gradient dotted with the corner's values, times the derivative of its weight
    /// along each axis, times `∂s/∂q = N/2` where the coordinate is not clamped. `g(j)` is
    /// `∂f/∂(encoded input j)`.
    fn grid_backward(&mut self, g: &PlanGrid, grad: &dyn Fn(usize) -> String) {
        let s = self.s;
        let splat3 = |x: f32| s.vec3(&format!("{0}, {0}, {0}", s.float(x)));
        let (one, minus_one) = (splat3(1.0), splat3(-1.0));
        // 1 where -1 < q < 1, else 0 (step(e, x) is 1 where x >= e).
        let inside = format!("({one} - step(q, {minus_one})) * ({one} - step({one}, q))");
        self.line(&s.let_vec3("ein", &inside));
        let f = g.features;
        let mut levels = Vec::new();
        for (l, lv) in g.levels.iter().enumerate() {
            for j in 0..blocks(f) {
                let lanes: Vec<String> = (4 * j..4 * j + 4)
                    .map(|k| {
                        if k < f {
                            grad(3 + l * f + k)
                        } else {
                            s.float(0.0)
                        }
                    })
                    .collect();
                self.line(&s.let_vec4(&format!("egf{l}_{j}"), &s.vec4(&lanes.join(", "))));
            }
            let mut terms = Vec::new();
            for c in 0..8 {
                let dot: Vec<String> = (0..blocks(f))
                    .map(|j| format!("dot(egf{l}_{j}, ev{l}_{c}_{j})"))
                    .collect();
                self.line(&s.let_float(&format!("egc{l}_{c}"), &dot.join(" + ")));
                let t = |a: usize| {
                    let v = if c >> a & 1 == 1 { "ew" } else { "em" };
                    format!("{v}{l}.{}", LANES[a])
                };
                // ±(product of the other two axes' weights): + for the corner's upper vertex.
                let d = |a: usize, b: usize, o: usize| {
                    let sign = if c >> a & 1 == 1 { "" } else { "-" };
                    format!("{sign}({} * {})", t(b), t(o))
                };
                let v = s.vec3(&format!("{}, {}, {}", d(0, 1, 2), d(1, 0, 2), d(2, 0, 1)));
                terms.push(format!("egc{l}_{c} * {v}"));
            }
            let slope = s.float(0.5 * lv.resolution as f32);
            let sum = format!("({}) * (ein * {slope})", terms.join(" + "));
            self.line(&s.let_vec3(&format!("egd{l}"), &sum));
            levels.push(format!("egd{l}"));
        }
        self.line(&format!("gq = gq + ({});", levels.join(" + ")));
    }

    /// Layer `k`: `h{k+1}_* = act(z{k}_*)`, `z{k}_* = b + Σ W h{k}_*`.
    fn layer(&mut self, k: usize) {
        let l = &self.plan.layers[k];
        let s = self.s;
        let (w, b) = (self.id(&format!("w{k}")), self.id(&format!("b{k}")));
        let ib = blocks(l.inputs);
        for ob in 0..blocks(l.outputs) {
            let mut z = format!("{b}[{ob}]");
            for i in 0..ib {
                let m = format!("{w}[{}]", ob * ib + i);
                z = format!("{z} + {}", s.mat_vec(&m, &format!("h{k}_{i}")));
            }
            self.line(&s.let_vec4(&format!("z{k}_{ob}"), &z));
            let h = activation(s, l.activation, &format!("z{k}_{ob}"));
            self.line(&s.let_vec4(&format!("h{}_{ob}", k + 1), &h));
        }
    }

    fn distance(&mut self) {
        let p = self.plan;
        self.line(&self.s.distance_header(&format!("nsdf_{}", p.name)));
        self.encode();
        for k in 0..p.layers.len() {
            self.layer(k);
        }
        let ds = self.s.float(p.distance_scale);
        self.line(&format!("return {ds} * h{}_0.x;", p.layers.len()));
        self.line("}");
    }

    fn gradient(&mut self) {
        let p = self.plan;
        let s = self.s;
        let n = p.layers.len();
        self.line(&s.gradient_header(&format!("nsdf_{}_gradient", p.name)));
        self.encode();
        for k in 0..n {
            self.layer(k);
        }
        // Reverse mode: gh{k}_* = ∂f/∂h{k}_*, starting from ∂f/∂f = 1.
        let (one, zero) = (s.float(1.0), s.float(0.0));
        let seed = s.vec4(&format!("{one}, {zero}, {zero}, {zero}"));
        self.line(&s.let_vec4(&format!("gh{n}_0"), &seed));
        for k in (0..n).rev() {
            let l = &p.layers[k];
            let w = self.id(&format!("w{k}"));
            let (ib, obs) = (blocks(l.inputs), blocks(l.outputs));
            for ob in 0..obs {
                let d = derivative(s, l.activation, &format!("z{k}_{ob}"));
                let g = format!("gh{}_{ob} * {d}", k + 1);
                self.line(&s.let_vec4(&format!("gz{k}_{ob}"), &g));
            }
            for i in 0..ib {
                let terms: Vec<String> = (0..obs)
                    .map(|ob| s.mat_t_vec(&format!("{w}[{}]", ob * ib + i), &format!("gz{k}_{ob}")))
                    .collect();
                self.line(&s.let_vec4(&format!("gh{k}_{i}"), &terms.join(" + ")));
            }
        }
        // ∂f/∂q: the first three encoded inputs, plus the chain rule through the Fourier or grid
        // features.
        let g = |j: usize| format!("gh0_{}.{}", j / 4, LANES[j % 4]);
        self.line(&s.var_vec3("gq", &s.vec3(&format!("{}, {}, {}", g(0), g(1), g(2)))));
        if let Some(grid) = &p.grid {
            self.grid_backward(grid, &g);
        }
        for (k, &f) in p.frequencies.iter().enumerate() {
            let gs = s.vec3(
                &(0..3)
                    .map(|a| g(3 + 6 * k + a))
                    .collect::<Vec<_>>()
                    .join(", "),
            );
            let gc = s.vec3(
                &(0..3)
                    .map(|a| g(6 + 6 * k + a))
                    .collect::<Vec<_>>()
                    .join(", "),
            );
            let f = s.float(f);
            self.line(&format!("gq = gq + {f} * (c{k} * {gs} - s{k} * {gc});"));
        }
        let (gs, ds) = (s.float(p.gradient_scale), s.float(p.distance_scale));
        let v = s.vec4(&format!("{gs} * gq, {ds} * h{n}_0.x"));
        self.line(&format!("return {v};"));
        self.line("}");
    }
}

/// A layer's weights as zero-padded 4×4 blocks, `[out_block * in_blocks + in_block]`, each
/// row-major (`m[r][c]`: input `4 in_block + c` to output `4 out_block + r`).
fn weight_blocks(l: &PlanLayer) -> Vec<[[f32; 4]; 4]> {
    let (ib, obs) = (blocks(l.inputs), blocks(l.outputs));
    let mut out = Vec::with_capacity(ib * obs);
    for ob in 0..obs {
        for i in 0..ib {
            let mut m = [[0.0; 4]; 4];
            for (r, row) in m.iter_mut().enumerate() {
                for (c, w) in row.iter_mut().enumerate() {
                    let (o, x) = (ob * 4 + r, i * 4 + c);
                    if o < l.outputs && x < l.inputs {
                        *w = l.weights[o * l.inputs + x];
                    }
                }
            }
            out.push(m);
        }
    }
    out
}

/// `relu`, `leaky_relu(0.01)`, `sine(30)`.
fn activation_text(a: Activation) -> String {
    match a {
        Activation::LeakyRelu(p) | Activation::Sine(p) => format!("{}({p})", a.name()),
        _ => a.name().to_string(),
    }
}

/// `tanh` of an f32 is ±1 exactly beyond |x| ≈ 9.01, so clamping to ±10 changes no result, and it
/// keeps GPUs that compute tanh from exponentials from returning inf/inf = NaN.
const TANH_CLAMP: f32 = 10.0;

/// The activation of the 4-vector of pre-activations `x` (a name).
fn activation(s: &dyn Syntax, a: Activation, x: &str) -> String {
    let zero = s.splat4(0.0);
    match a {
        Activation::Identity => x.to_string(),
        Activation::Relu => format!("max({x}, {zero})"),
        // Exactly x for x >= 0 and alpha * x below (one of the two terms is an exact zero).
        Activation::LeakyRelu(alpha) => {
            format!("max({x}, {zero}) + {} * min({x}, {zero})", s.float(alpha))
        }
        Activation::Tanh => tanh(s, x),
        Activation::Sine(w) => format!("sin({} * {x})", s.float(w)),
    }
}

fn tanh(s: &dyn Syntax, x: &str) -> String {
    let (lo, hi) = (s.splat4(-TANH_CLAMP), s.splat4(TANH_CLAMP));
    format!("tanh(clamp({x}, {lo}, {hi}))")
}

/// The derivative at pre-activations `x`, as nsdf's `Activation::derivative` (0 at ReLU's kink).
fn derivative(s: &dyn Syntax, a: Activation, x: &str) -> String {
    // 1 where x > 0, else 0 (step(x, 0) is 1 where x <= 0).
    let positive = format!("({} - step({x}, {}))", s.splat4(1.0), s.splat4(0.0));
    match a {
        Activation::Identity => s.splat4(1.0),
        Activation::Relu => positive,
        // Exactly 1 or alpha: one term of the sum is an exact zero.
        Activation::LeakyRelu(alpha) => {
            let rest = format!("({} - {positive})", s.splat4(1.0));
            format!("({positive} + {} * {rest})", s.float(alpha))
        }
        Activation::Tanh => {
            let t = tanh(s, x);
            format!("({} - {t} * {t})", s.splat4(1.0))
        }
        Activation::Sine(w) => {
            let w = s.float(w);
            format!("({w} * cos({w} * {x}))")
        }
    }
}

/// Rust's shortest round-trip form of an f32 (`0.1`, `1e-7`, `-3.0`): always has a `.` or an
/// exponent, which is what every shading language needs to read it as a float. Infinities and
/// NaN cannot occur (the parser rejects non-finite weights).
fn shortest(x: f32) -> String {
    debug_assert!(x.is_finite());
    format!("{x:?}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(sanitize_name("bunny-lod 2").as_deref(), Some("bunny_lod_2"));
        assert_eq!(sanitize_name("__x__").as_deref(), Some("x"));
        assert_eq!(sanitize_name("é-é"), None);
        assert!(check_name("bunny_2").is_ok());
        for bad in ["", "a b", "a__b", "_a", "a_", "a-b", &"x".repeat(65)] {
            assert!(check_name(bad).is_err(), "{bad:?} accepted");
        }
    }

    /// Resolutions 2, 3, 5, 9 with a 64-entry table: 27 and 64 vertices fit (dense, row-major),
    /// 216 and 1000 do not (hashed into 64 entries); offsets count 2 values per entry.
    #[test]
    fn grid_levels_and_table() {
        let mut grid = nsdf::HashGrid::zeros(2, 6, vec![2, 3, 5, 9], nsdf::Scheme::F32);
        for (i, v) in grid.values.iter_mut().enumerate() {
            *v = i as f32 * 0.25 - 7.0;
        }
        let model = nsdf::Model::with_grid(grid, &[4], Activation::Tanh, Activation::Identity);
        let shape = Shape::from_model(model).unwrap();
        let plan = Plan::new(&shape, "g").unwrap();
        let g = plan.grid.as_ref().unwrap();
        let level = |resolution, entries, offset, dense| PlanLevel {
            resolution,
            entries,
            offset,
            dense,
        };
        assert_eq!(
            g.levels,
            [
                level(2, 27, 0, true),
                level(3, 64, 54, true),
                level(5, 64, 182, false),
                level(9, 64, 310, false),
            ]
        );
        assert_eq!((g.features, g.values, plan.input_dim), (2, 438, 11));
        let bytes = table_bytes(&shape).unwrap();
        assert_eq!(bytes.len(), 438 * 4);
        assert_eq!(bytes[4 * 437..], (437.0f32 * 0.25 - 7.0).to_le_bytes());

        let at = TableBinding {
            group: 2,
            binding: 7,
        };
        let wgsl = generate(&shape, Lang::Wgsl, "g", at).unwrap();
        assert!(wgsl.contains("@group(2) @binding(7) var<storage, read> nsdf_g_table: array<f32>;"));
        // Level 1's corner (1, 1, 1) is 1 + 4 + 16 entries past the cell's first, 2 values each.
        assert!(wgsl.contains("let ei1_7: u32 = eb1 + 42u;"), "{wgsl}");
        let glsl = generate(&shape, Lang::Glsl, "g", at).unwrap();
        assert!(glsl.contains("layout(std430, set = 2, binding = 7) readonly buffer"));
        assert!(glsl.contains("read-only storage buffer at group (set) 2, binding 7"));
        assert!(!glsl.contains("set = 0"));
    }

    #[test]
    fn no_table_without_a_grid() {
        let model = nsdf::Model::zeros(Encoding::None, &[4], Activation::Relu, Activation::Tanh);
        let shape = Shape::from_model(model).unwrap();
        assert!(table_bytes(&shape).is_none());
        let hlsl = generate(&shape, Lang::Hlsl, "m", TableBinding::default()).unwrap();
        assert!(!hlsl.contains("table"));
    }

    #[test]
    fn literals_round_trip() {
        for x in [
            0.1f32,
            1e-7,
            -3.0,
            1e20,
            f32::MIN_POSITIVE,
            1e-45,
            -0.0,
            16777217.0,
        ] {
            let t = shortest(x);
            assert!(t.contains(['.', 'e']), "{t}");
            assert_eq!(t.parse::<f32>().unwrap().to_bits(), x.to_bits(), "{t}");
        }
    }
}
