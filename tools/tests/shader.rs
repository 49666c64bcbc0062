//! `nsdf shader`: the emitted GLSL, HLSL and WGSL are checked by real compilers and run on a GPU.
//!
//! 1. naga parses and validates the WGSL and the GLSL (inside a compute wrapper), and every
//!    weight constant it reads back is bit-identical to the model's f32 weight.
//! 2. glslang's HLSL front end (`glslangValidator`, Debian's glslang-tools) compiles the HLSL to
//!    SPIR-V; without the binary the test prints SKIP (fails under `CI=true`).
//! 3. wgpu runs each language as a compute shader over a 16³ grid spanning the shape's bounds
//!    (padded by 10%) on a Vulkan adapter (Mesa's lavapipe on CI) and compares distance and
//!    gradient with the CPU runtime ([`Shape::gradients`], [`Shape::distances`]); hash-grid
//!    shapes read [`table_bytes`] from a storage buffer at [`TABLE`]. Without a Vulkan adapter
//!    the test prints SKIP (fails under `CI=true`).
//!
//! A SKIP goes to the real stderr (`nsdf_testing::skip`), so `cargo test` shows it. Under
//! `CI=true` (`nsdf_testing::in_ci`) a missing glslang or Vulkan/lavapipe stack fails the test
//! instead: CI installs them (`.ci/run`), and a silent skip there would hide a broken install.
//!
//! # Tolerance
//! Same rule as the runtime's conformance tests: `|gpu - cpu| <= RTOL * (|cpu| + typical)` with
//! `RTOL = 1e-4` and `typical` the RMS of the CPU values over the grid (gradient norms for
//! gradients). The shader performs the CPU's f32 operations, summed in another order (4×4 matrix
//! blocks), with or without fused multiply-adds, and with the GPU's tanh/sin/cos: relative
//! differences of about √width · 6e-8 per layer, ~1e-6 over 9 layers, where an indexing or
//! activation bug gives errors of the size of the values. Measured on lavapipe: the worst point
//! uses 0.013 of the allowed error, 0.046 for the hash grids (whose gradient sums eight corners'
//! features with opposite signs, times `N/2`). Gradients are not compared where a ReLU-type pre-activation
//! lies within rounding of its kink (either side is right there); the test asserts such points
//! are rare. A hash grid's gradient also jumps across cell faces, but those need no exception:
//! the shader picks the cell from the CPU's correctly rounded f32 steps (`q`, `(q + 1) / 2`,
//! `· N`, `floor`), so both sides land in the same cell even on a face; the hash-grid test
//! points include faces and the clamped outside of `[-1, 1]³`.

use nsdf::{Activation, Encoding, Model, Scheme, Shape};
use nsdf_shader::{generate, table_bytes, Lang, TableBinding};
use nsdf_testing::models::random_grid_model;
use nsdf_testing::{davies, random_model, skip_or_fail_in_ci};
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

const RTOL: f64 = 1e-4;
/// Grid points per axis.
const GRID: usize = 16;
/// A pre-activation within this fraction of its terms' magnitude counts as on the kink.
const KINK: f64 = 1e-5;
/// Where the test shaders take a hash grid's table: after the points (0) and results (1).
const TABLE: TableBinding = TableBinding {
    group: 0,
    binding: 2,
};

/// The test shapes: Davies' network in each storage scheme, small networks covering the
/// Fourier encoding, odd widths and every activation, and hash grids with 1, 2 and 8 features
/// per level (levels straddling 4-lane blocks), dense and hashed levels, f32 and f16 tables.
fn shapes() -> &'static [(&'static str, Shape)] {
    static SHAPES: OnceLock<Vec<(&'static str, Shape)>> = OnceLock::new();
    SHAPES.get_or_init(|| {
        let small = |seed, enc, hidden: &[usize], act, out, scheme| {
            random_model(seed, enc, hidden, act, out, scheme)
        };
        let models: Vec<(&'static str, Model)> = vec![
            ("davies_f32", davies(1, Scheme::F32)),
            ("davies_f16", davies(2, Scheme::F16)),
            ("davies_int8", davies(3, Scheme::Int8)),
            ("davies_int4", davies(4, Scheme::Int4)),
            ("davies_int8h", davies(5, Scheme::Int8Half)),
            (
                "fourier",
                small(
                    4,
                    Encoding::Fourier { frequencies: 3 },
                    &[24, 17],
                    Activation::LeakyRelu(0.05),
                    Activation::Identity,
                    Scheme::F32,
                ),
            ),
            (
                "siren",
                small(
                    5,
                    Encoding::None,
                    &[16, 16],
                    Activation::Sine(1.5),
                    Activation::Tanh,
                    Scheme::F16,
                ),
            ),
            (
                "tanh_net",
                small(
                    6,
                    Encoding::None,
                    &[20, 12],
                    Activation::Tanh,
                    Activation::Relu,
                    Scheme::Int8,
                ),
            ),
            (
                "grid_f2",
                random_grid_model(7, 8, 2, &[16, 16], Activation::Tanh, Scheme::F32),
            ),
            (
                "grid_f1",
                random_grid_model(8, 5, 1, &[12], Activation::LeakyRelu(0.05), Scheme::F16),
            ),
            (
                "grid_f8",
                random_grid_model(9, 3, 8, &[20, 8], Activation::Sine(1.5), Scheme::F32),
            ),
        ];
        models
            .into_iter()
            .map(|(name, mut m)| {
                if name == "tanh_net" {
                    // A negative distance scale (a network trained positive inside).
                    m.transform.distance_scale = -1.5;
                }
                (name, Shape::from_model(m).unwrap())
            })
            .collect()
    })
}

fn source(shape: &Shape, lang: Lang, name: &str) -> String {
    generate(shape, lang, name, TABLE).unwrap()
}

/// The compute shader that evaluates `nsdf_<name>` and its gradient at `count` points:
/// `results[2i] = gradient(p)`, `results[2i + 1].x = distance(p)`.
fn wrap(lang: Lang, name: &str, code: &str, count: usize) -> String {
    match lang {
        Lang::Wgsl => format!(
            "{code}
@group(0) @binding(0) var<storage, read> points: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> results: array<vec4<f32>>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {{
    let i = id.x;
    if (i >= {count}u) {{ return; }}
    let p = points[i].xyz;
    results[2u * i] = nsdf_{name}_gradient(p);
    results[2u * i + 1u] = vec4<f32>(nsdf_{name}(p), 0.0, 0.0, 0.0);
}}
"
        ),
        Lang::Glsl => format!(
            "#version 450
layout(local_size_x = 64) in;
layout(std430, set = 0, binding = 0) readonly buffer Points {{ vec4 points[]; }};
layout(std430, set = 0, binding = 1) buffer Results {{ vec4 results[]; }};
{code}
void main() {{
    uint i = gl_GlobalInvocationID.x;
    if (i >= {count}u) {{ return; }}
    vec3 p = points[i].xyz;
    results[2u * i] = nsdf_{name}_gradient(p);
    results[2u * i + 1u] = vec4(nsdf_{name}(p), 0.0, 0.0, 0.0);
}}
"
        ),
        Lang::Hlsl => format!(
            "[[vk::binding(0, 0)]] StructuredBuffer<float4> points;
[[vk::binding(1, 0)]] RWStructuredBuffer<float4> results;
{code}
[numthreads(64, 1, 1)]
void main(uint3 id : SV_DispatchThreadID) {{
    uint i = id.x;
    if (i >= {count}u) {{ return; }}
    float3 p = points[i].xyz;
    results[2u * i] = nsdf_{name}_gradient(p);
    results[2u * i + 1u] = float4(nsdf_{name}(p), 0.0f, 0.0f, 0.0f);
}}
"
        ),
    }
}

fn validate(module: &naga::Module) -> Result<naga::valid::ModuleInfo, String> {
    naga::valid::Validator::new(
        naga::valid::ValidationFlags::all(),
        naga::valid::Capabilities::default(),
    )
    .validate(module)
    .map_err(|e| format!("{e:?}"))
}

/// The f32 literals of a constant array (or scalar) as naga evaluated them.
fn const_floats(module: &naga::Module, expr: naga::Handle<naga::Expression>) -> Vec<f32> {
    match &module.global_expressions[expr] {
        naga::Expression::Literal(naga::Literal::F32(x)) => vec![*x],
        naga::Expression::Compose { components, .. } => components
            .iter()
            .flat_map(|&c| const_floats(module, c))
            .collect(),
        naga::Expression::ZeroValue(ty) => match module.types[*ty].inner {
            naga::TypeInner::Array {
                size: naga::ArraySize::Constant(n),
                ..
            } => vec![0.0; n.get() as usize],
            _ => vec![0.0],
        },
        other => panic!("unexpected constant expression {other:?}"),
    }
}

/// Every layer's weights and biases are in `module` as constants, bit for bit: weights as
/// zero-padded 4×4 blocks `[out_block * in_blocks + in_block]`, each column by column (input by
/// input), biases as zero-padded 4-vectors.
fn assert_weights_exact(module: &naga::Module, shape: &Shape, name: &str, what: &str) {
    let find = |id: String| {
        let (_, c) = module
            .constants
            .iter()
            .find(|(_, c)| c.name.as_deref() == Some(&id))
            .unwrap_or_else(|| panic!("{what}: constant {id} missing"));
        const_floats(module, c.init)
    };
    for (k, l) in shape.model().layers.iter().enumerate() {
        let (ib, ob) = (l.inputs.div_ceil(4), l.outputs.div_ceil(4));
        let mut weights = Vec::new();
        for o in 0..ob {
            for i in 0..ib {
                for c in 0..4 {
                    for r in 0..4 {
                        let (row, col) = (4 * o + r, 4 * i + c);
                        let inside = row < l.outputs && col < l.inputs;
                        weights.push(if inside {
                            l.weights[row * l.inputs + col]
                        } else {
                            0.0
                        });
                    }
                }
            }
        }
        let mut bias = l.bias.clone();
        bias.resize(4 * ob, 0.0);
        for (suffix, want) in [("w", &weights), ("b", &bias)] {
            let got = find(format!("nsdf_{name}_{suffix}{k}"));
            let same = got.len() == want.len()
                && got
                    .iter()
                    .zip(want)
                    .all(|(a, b)| a.to_bits() == b.to_bits());
            assert!(same, "{what}: layer {k} {suffix} does not round-trip");
        }
    }
}

/// A hash-grid shape's table is a read-only storage buffer at [`TABLE`]: the variable itself in
/// WGSL, the member of its block in GLSL.
fn assert_table_binding(module: &naga::Module, name: &str, what: &str) {
    let id = format!("nsdf_{name}_table");
    let named = |v: &naga::GlobalVariable| {
        v.name.as_deref() == Some(&id)
            || matches!(&module.types[v.ty].inner, naga::TypeInner::Struct { members, .. }
                if members.iter().any(|m| m.name.as_deref() == Some(&id)))
    };
    let (_, var) = module
        .global_variables
        .iter()
        .find(|(_, v)| named(v))
        .unwrap_or_else(|| panic!("{what}: {id} missing"));
    let at = naga::ResourceBinding {
        group: TABLE.group,
        binding: TABLE.binding,
    };
    assert_eq!(var.binding, Some(at), "{what}: {id} binding");
    let naga::AddressSpace::Storage { access } = var.space else {
        panic!("{what}: {id} is in {:?}, not a storage buffer", var.space);
    };
    assert_eq!(access, naga::StorageAccess::LOAD, "{what}: {id} access");
}

#[test]
fn naga_validates_wgsl_and_glsl_with_exact_weights() {
    for (name, shape) in shapes() {
        let wgsl = wrap(Lang::Wgsl, name, &source(shape, Lang::Wgsl, name), 1);
        let module = naga::front::wgsl::parse_str(&wgsl)
            .unwrap_or_else(|e| panic!("{name}: WGSL: {}", e.emit_to_string(&wgsl)));
        validate(&module).unwrap_or_else(|e| panic!("{name}: WGSL invalid: {e}"));
        assert_weights_exact(&module, shape, name, &format!("{name} WGSL"));
        if shape.model().grid.is_some() {
            assert_table_binding(&module, name, &format!("{name} WGSL"));
        }

        let glsl = wrap(Lang::Glsl, name, &source(shape, Lang::Glsl, name), 1);
        let options = naga::front::glsl::Options::from(naga::ShaderStage::Compute);
        let module = naga::front::glsl::Frontend::default()
            .parse(&options, &glsl)
            .unwrap_or_else(|e| panic!("{name}: GLSL: {}", e.emit_to_string(&glsl)));
        validate(&module).unwrap_or_else(|e| panic!("{name}: GLSL invalid: {e}"));
        assert_weights_exact(&module, shape, name, &format!("{name} GLSL"));
        if shape.model().grid.is_some() {
            assert_table_binding(&module, name, &format!("{name} GLSL"));
        }
    }
}

/// A scratch directory for this test binary, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(test: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("nsdf-shader-{}-{test}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn glslang_available() -> bool {
    Command::new("glslangValidator")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Compiles wrapped HLSL to SPIR-V words with glslang; `None` (after printing SKIP) without it.
fn hlsl_to_spirv(dir: &TempDir, name: &str, hlsl: &str) -> Option<Vec<u32>> {
    if !glslang_available() {
        skip_or_fail_in_ci("glslangValidator not found (install glslang-tools); HLSL not checked");
        return None;
    }
    let src = dir.0.join(format!("{name}.hlsl"));
    let spv = dir.0.join(format!("{name}.spv"));
    std::fs::write(&src, hlsl).unwrap();
    let out = Command::new("glslangValidator")
        .args(["-D", "-V", "-S", "comp", "-e", "main", "-o"])
        .arg(&spv)
        .arg(&src)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{name}: glslang rejects the HLSL:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = std::fs::read(&spv).unwrap();
    Some(
        bytes
            .chunks_exact(4)
            .map(|w| u32::from_le_bytes(w.try_into().unwrap()))
            .collect(),
    )
}

#[test]
fn glslang_compiles_hlsl() {
    let dir = TempDir::new("hlsl");
    for (name, shape) in shapes() {
        let hlsl = wrap(Lang::Hlsl, name, &source(shape, Lang::Hlsl, name), 1);
        let Some(words) = hlsl_to_spirv(&dir, name, &hlsl) else {
            return;
        };
        assert_eq!(words.first(), Some(&0x0723_0203), "{name}: not SPIR-V");
    }
}

// ---------------------------------------------------------------------------------------------
// Running on the GPU

/// Polls a future that wgpu's native backends complete without waiting.
fn block_on<F: std::future::Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::yield_now();
    }
}

struct Gpu {
    device: wgpu::Device,
    queue: wgpu::Queue,
}

/// One Vulkan device for the whole test binary; `None` after printing SKIP when there is none.
fn gpu() -> Option<&'static Gpu> {
    static GPU: OnceLock<Option<Gpu>> = OnceLock::new();
    let gpu = GPU.get_or_init(|| {
        let mut desc = wgpu::InstanceDescriptor::new_without_display_handle();
        desc.backends = wgpu::Backends::VULKAN;
        let instance = wgpu::Instance::new(desc);
        let adapter =
            block_on(instance.request_adapter(&wgpu::RequestAdapterOptions::default())).ok()?;
        let info = adapter.get_info();
        println!(
            "GPU: {} ({:?}, driver {})",
            info.name, info.device_type, info.driver_info
        );
        let (device, queue) =
            block_on(adapter.request_device(&wgpu::DeviceDescriptor::default())).ok()?;
        Some(Gpu { device, queue })
    });
    if gpu.is_none() {
        skip_or_fail_in_ci("no Vulkan adapter (install mesa-vulkan-drivers); shaders not executed");
    }
    gpu.as_ref()
}

/// 16³ points on a grid spanning the shape's bounds padded by 10% on each side; for a hash
/// grid also 16² points on the plane `q_x = 0` and 16 on the line `q_y = q_z = 0`, a cell face
/// of every level with an even resolution (where the gradient jumps).
fn grid(shape: &Shape) -> Vec<[f32; 3]> {
    let [lo, hi] = shape.bounds();
    let axis = |a: usize, i: usize| {
        let pad = 0.1 * (hi[a] - lo[a]);
        let t = i as f32 / (GRID - 1) as f32;
        (lo[a] - pad) + t * (hi[a] - lo[a] + 2.0 * pad)
    };
    let mut pts = Vec::with_capacity(GRID * GRID * GRID);
    for i in 0..GRID {
        for j in 0..GRID {
            for k in 0..GRID {
                pts.push([axis(0, i), axis(1, j), axis(2, k)]);
            }
        }
    }
    let model = shape.model();
    if model.grid.is_some() {
        // `0.5 p + t` is exactly 0 for `p = -2 t` (the test transforms scale by 0.5).
        assert_eq!(model.transform.scale, 0.5);
        let zero = model.transform.translation.map(|t| -2.0 * t);
        for i in 0..GRID {
            pts.push([zero[0], zero[1], axis(2, i)]);
            pts.extend((0..GRID).map(|j| [zero[0], axis(1, i), axis(2, j)]));
        }
    }
    pts
}

/// Runs a compute module over `points`, with `table` at [`TABLE`] for a hash grid:
/// (gradient-function result, distance) per point.
fn run(
    gpu: &Gpu,
    what: &str,
    source: wgpu::ShaderSource,
    points: &[[f32; 3]],
    table: Option<&[u8]>,
) -> Vec<[f32; 5]> {
    use wgpu::util::DeviceExt;
    let d = &gpu.device;
    let scope = d.push_error_scope(wgpu::ErrorFilter::Validation);
    let module = d.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: Some(what),
        source,
    });
    let pipeline = d.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
        label: Some(what),
        layout: None,
        module: &module,
        entry_point: Some("main"),
        compilation_options: Default::default(),
        cache: None,
    });
    if let Some(e) = block_on(scope.pop()) {
        panic!("{what}: wgpu rejects the shader: {e}");
    }
    let input: Vec<u8> = points
        .iter()
        .flat_map(|p| [p[0], p[1], p[2], 0.0])
        .flat_map(f32::to_le_bytes)
        .collect();
    let points_buf = d.create_buffer_init(&wgpu::util::BufferInitDescriptor {
        label: Some("points"),
        contents: &input,
        usage: wgpu::BufferUsages::STORAGE,
    });
    let size = (points.len() * 2 * 16) as u64;
    let results = d.create_buffer(&wgpu::BufferDescriptor {
        label: Some("results"),
        size,
        usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
        mapped_at_creation: false,
    });
    let readback = d.create_buffer(&wgpu::BufferDescriptor {
        label: Some("readback"),
        size,
        usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    });
    let table_buf = table.map(|bytes| {
        d.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("table"),
            contents: bytes,
            usage: wgpu::BufferUsages::STORAGE,
        })
    });
    let mut entries = vec![
        wgpu::BindGroupEntry {
            binding: 0,
            resource: points_buf.as_entire_binding(),
        },
        wgpu::BindGroupEntry {
            binding: 1,
            resource: results.as_entire_binding(),
        },
    ];
    if let Some(t) = &table_buf {
        entries.push(wgpu::BindGroupEntry {
            binding: TABLE.binding,
            resource: t.as_entire_binding(),
        });
    }
    let bind = d.create_bind_group(&wgpu::BindGroupDescriptor {
        label: None,
        layout: &pipeline.get_bind_group_layout(0),
        entries: &entries,
    });
    let mut encoder = d.create_command_encoder(&Default::default());
    {
        let mut pass = encoder.begin_compute_pass(&Default::default());
        pass.set_pipeline(&pipeline);
        pass.set_bind_group(0, &bind, &[]);
        pass.dispatch_workgroups(points.len().div_ceil(64) as u32, 1, 1);
    }
    encoder.copy_buffer_to_buffer(&results, 0, &readback, 0, size);
    gpu.queue.submit([encoder.finish()]);
    readback.map_async(wgpu::MapMode::Read, .., |r| r.unwrap());
    d.poll(wgpu::PollType::wait_indefinitely()).unwrap();
    let view = readback.get_mapped_range(..).unwrap();
    let floats: Vec<f32> = view
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
        .collect();
    floats
        .chunks_exact(8)
        .map(|c| [c[0], c[1], c[2], c[3], c[4]])
        .collect()
}

/// Whether some ReLU-type pre-activation at `p` is within rounding of its kink (f64 forward pass
/// on the stored weights).
fn near_kink(m: &Model, p: [f32; 3]) -> bool {
    let t = &m.transform;
    let q: Vec<f64> = (0..3)
        .map(|i| t.scale as f64 * p[i] as f64 + t.translation[i] as f64)
        .collect();
    let mut x = q.clone();
    if let Some(g) = &m.grid {
        let mut features = vec![0.0; g.output_dim()];
        let q32 = [0, 1, 2].map(|a| t.scale * p[a] + t.translation[a]);
        g.encode(&g.offsets(), q32, &mut features, 1);
        x.extend(features.iter().map(|&v| v as f64));
    }
    if let Encoding::Fourier { frequencies } = m.encoding {
        for k in 0..frequencies {
            let f = std::f64::consts::PI * 2f64.powi(k as i32);
            x.extend(q.iter().map(|v| (f * v).sin()));
            x.extend(q.iter().map(|v| (f * v).cos()));
        }
    }
    let mut kink = false;
    for l in &m.layers {
        x = (0..l.outputs)
            .map(|o| {
                let row = &l.weights[o * l.inputs..(o + 1) * l.inputs];
                let z: f64 =
                    l.bias[o] as f64 + row.iter().zip(&x).map(|(w, v)| *w as f64 * v).sum::<f64>();
                let mag: f64 = (l.bias[o] as f64).abs()
                    + row
                        .iter()
                        .zip(&x)
                        .map(|(w, v)| (*w as f64 * v).abs())
                        .sum::<f64>();
                let kinked = matches!(l.activation, Activation::Relu | Activation::LeakyRelu(_));
                kink |= kinked && z.abs() <= KINK * mag;
                let z32 = z as f32;
                l.activation.apply(z32) as f64
            })
            .collect();
    }
    kink
}

/// RMS of `values`.
fn rms(values: impl Iterator<Item = f64>) -> f64 {
    let (mut s, mut n) = (0.0, 0);
    for v in values {
        s += v * v;
        n += 1;
    }
    (s / n.max(1) as f64).sqrt()
}

/// Runs `lang` for every test shape and compares with the CPU; `compile` turns the wrapped
/// source into what wgpu takes (`None`: skip, already reported).
fn gpu_matches_cpu(
    lang: Lang,
    compile: impl Fn(&str, &str) -> Option<wgpu::ShaderSource<'static>>,
) {
    let Some(gpu) = gpu() else { return };
    for (name, shape) in shapes() {
        let what = format!("{name} {}", lang.name());
        let points = grid(shape);
        let code = wrap(lang, name, &source(shape, lang, name), points.len());
        let Some(src) = compile(name, &code) else {
            return;
        };
        let got = run(gpu, &what, src, &points, table_bytes(shape).as_deref());

        let n = points.len();
        let mut dist = vec![0.0; n];
        let mut grad = vec![[0.0; 3]; n];
        shape.gradients(&points, &mut dist, &mut grad);
        let mut dist_only = vec![0.0; n];
        shape.distances(&points, &mut dist_only);

        let typical = rms(dist.iter().map(|&d| d as f64));
        let typical_grad = rms(grad.iter().map(|g| {
            let g = g.map(|c| c as f64);
            (g[0] * g[0] + g[1] * g[1] + g[2] * g[2]).sqrt()
        }));
        let (mut worst_d, mut worst_g, mut kinks) = (0.0f64, 0.0f64, 0);
        for i in 0..n {
            let allowed = |want: f32, scale: f64| RTOL * (want.abs() as f64 + scale);
            for (gpu_d, cpu_d) in [(got[i][3], dist[i]), (got[i][4], dist_only[i])] {
                let ratio = (gpu_d as f64 - cpu_d as f64).abs() / allowed(cpu_d, typical);
                assert!(
                    ratio <= 1.0,
                    "{what}: distance at {:?}: GPU {gpu_d}, CPU {cpu_d}",
                    points[i]
                );
                worst_d = worst_d.max(ratio);
            }
            if near_kink(shape.model(), points[i]) {
                kinks += 1;
                continue;
            }
            for a in 0..3 {
                let (g, c) = (got[i][a], grad[i][a]);
                let ratio = (g as f64 - c as f64).abs() / allowed(c, typical_grad);
                assert!(
                    ratio <= 1.0,
                    "{what}: gradient at {:?}: GPU {:?}, CPU {:?}",
                    points[i],
                    &got[i][..3],
                    grad[i]
                );
                worst_g = worst_g.max(ratio);
            }
        }
        // At most 2% skipped, so the comparison covers the shape (measured up to 24 of 4096 for
        // f32/f16/int8 Davies networks, 50 for int4, whose coarse rows leave more
        // pre-activations near zero).
        assert!(
            kinks * 50 <= n,
            "{what}: {kinks} of {n} points on a ReLU kink"
        );
        println!(
            "{what}: {n} points, worst error {worst_d:.3} (distance) and {worst_g:.3} (gradient) \
             of the tolerance, {kinks} kink points skipped"
        );
    }
}

#[test]
fn wgsl_runs_on_gpu_and_matches_cpu() {
    gpu_matches_cpu(Lang::Wgsl, |_, code| {
        Some(wgpu::ShaderSource::Wgsl(code.to_string().into()))
    });
}

#[test]
fn glsl_runs_on_gpu_and_matches_cpu() {
    gpu_matches_cpu(Lang::Glsl, |_, code| {
        Some(wgpu::ShaderSource::Glsl {
            shader: code.to_string().into(),
            stage: naga::ShaderStage::Compute,
            defines: &[],
        })
    });
}

#[test]
fn hlsl_runs_on_gpu_and_matches_cpu() {
    let dir = TempDir::new("hlsl-gpu");
    gpu_matches_cpu(Lang::Hlsl, |name, code| {
        hlsl_to_spirv(&dir, name, code).map(|w| wgpu::ShaderSource::SpirV(w.into()))
    });
}

// ---------------------------------------------------------------------------------------------
// The command line

fn nsdf(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_nsdf"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn cli_writes_named_source_and_rejects_bad_input() {
    let dir = TempDir::new("cli");
    let path = |name: &str| dir.0.join(name).to_str().unwrap().to_string();
    let file = path("my bunny-2.nsdf");
    std::fs::write(&file, nsdf::to_bytes(&davies(9, Scheme::Int8)).unwrap()).unwrap();
    let shape = Shape::open(&file).unwrap();

    // Default name from the file stem, to standard output; the same text as the library's.
    let out = nsdf(&["shader", &file, "--lang", "glsl"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text, source(&shape, Lang::Glsl, "my_bunny_2"));
    assert!(text.contains("float nsdf_my_bunny_2(vec3 p)"));
    assert!(text.contains("vec4 nsdf_my_bunny_2_gradient(vec3 p)"));

    // -o with --name.
    let target = path("out.wgsl");
    let out = nsdf(&[
        "shader", &file, "--lang", "wgsl", "--name", "rabbit", "-o", &target,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let written = std::fs::read_to_string(&target).unwrap();
    assert_eq!(written, source(&shape, Lang::Wgsl, "rabbit"));

    let fails = |args: &[&str], code: i32, message: &str| {
        let out = nsdf(&[&["shader"][..], args].concat());
        let err = String::from_utf8_lossy(&out.stderr).to_string();
        assert_eq!(out.status.code(), Some(code), "{err}");
        assert!(err.contains(message), "expected '{message}' in: {err}");
        assert!(!err.contains("panicked"), "{err}");
    };
    fails(&[&file, "--lang", "msl"], 2, "invalid value 'msl'");
    let name_err = "invalid shader name 'a-b'";
    fails(&[&file, "--lang", "glsl", "--name", "a-b"], 1, name_err);
    fails(&[&file, "--lang", "glsl", "--name", "a__b"], 1, "'__'");
    let bad = path("bad.nsdf");
    std::fs::write(&bad, b"not an nsdf file").unwrap();
    let never = path("never.glsl");
    fails(&[&bad, "--lang", "glsl", "-o", &never], 1, "bad.nsdf");
    assert!(
        !std::path::Path::new(&never).exists(),
        "output written for an invalid file"
    );
    let odd = path("___.nsdf");
    std::fs::copy(&file, &odd).unwrap();
    fails(&[&odd, "--lang", "hlsl"], 1, "pass --name");
    let table = path("never.bin");
    fails(
        &[&file, "--lang", "glsl", "--table", &table],
        1,
        "no hash grid",
    );
    assert!(!std::path::Path::new(&table).exists());
}

#[test]
fn cli_writes_hash_grid_table_and_binding() {
    let dir = TempDir::new("cli-grid");
    let path = |name: &str| dir.0.join(name).to_str().unwrap().to_string();
    let file = path("grid.nsdf");
    let model = random_grid_model(11, 4, 2, &[8], Activation::Tanh, Scheme::F16);
    std::fs::write(&file, nsdf::to_bytes(&model).unwrap()).unwrap();
    let shape = Shape::open(&file).unwrap();
    let grid = shape.model().grid.as_ref().unwrap();

    let (source_path, table) = (path("grid.hlsl"), path("grid.bin"));
    let args = [
        "shader",
        &file,
        "--lang",
        "hlsl",
        "-o",
        &source_path,
        "--table",
        &table,
        "--table-group",
        "1",
        "--table-binding",
        "5",
    ];
    let out = nsdf(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let binding = TableBinding {
        group: 1,
        binding: 5,
    };
    let text = std::fs::read_to_string(&source_path).unwrap();
    assert_eq!(text, generate(&shape, Lang::Hlsl, "grid", binding).unwrap());
    let decl =
        "[[vk::binding(5, 1)]] StructuredBuffer<float> nsdf_grid_table : register(t5, space1);";
    assert!(text.contains(decl), "{text}");
    // The header states the byte count to bind.
    assert!(text.contains(&format!("buffer of {} bytes", 4 * grid.values.len())));

    // The table: the f16-stored features as f32, in the file's order, bit for bit.
    let bytes = std::fs::read(&table).unwrap();
    assert_eq!(bytes.len(), 4 * grid.values.len());
    for (b, v) in bytes.chunks_exact(4).zip(&grid.values) {
        assert_eq!(
            f32::from_le_bytes(b.try_into().unwrap()).to_bits(),
            v.to_bits()
        );
    }

    // Without --table nothing is written: the shader alone cannot be used.
    let never = path("never.wgsl");
    let out = nsdf(&["shader", &file, "--lang", "wgsl", "-o", &never]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("--table FILE"), "{err}");
    assert!(!std::path::Path::new(&never).exists());
}
