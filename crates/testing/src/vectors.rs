//! The test vectors of `spec/vectors/`, built deterministically: valid files with expected
//! distances and gradients, and invalid files, one or more per error code, each a small,
//! explained change to a valid file. `tests/vectors.rs` uses this module to check that the
//! files on disk are exactly what it builds.

use crate::{reference, Rng};
use nsdf::testing::{assemble, model_chunks, reseal, reseal_all, set_version, RawChunk};
use nsdf::testing::{FLAG_REQUIRED, TAG_ARCH, TAG_GRID, TAG_META, TAG_STAT, TAG_WGHT, TAG_XFRM};
use nsdf::{Activation, Encoding, HashGrid, Model, Scheme, Stats, Tag, Transform, Value};

/// Tolerance of the expected outputs, `(absolute, relative)`: a reader passes when
/// `|got - want| <= abs + rel * |want|` for the distance and for each gradient component.
pub const DISTANCE_TOLERANCE: (f64, f64) = (1e-5, 1e-5);
pub const GRADIENT_TOLERANCE: (f64, f64) = (1e-4, 1e-4);
/// Points closer than this to a ReLU kink (|pre-activation|) are not used.
pub const KINK_MARGIN: f64 = 1e-3;
/// Points listed per valid vector.
pub const POINTS: usize = 24;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Valid,
    Invalid,
}

impl Kind {
    pub fn dir(self) -> &'static str {
        match self {
            Kind::Valid => "valid",
            Kind::Invalid => "invalid",
        }
    }
}

pub struct Vector {
    pub kind: Kind,
    /// File stem: `davies-int8`, `E008-chunk-checksum`.
    pub name: String,
    pub bytes: Vec<u8>,
    /// `NAME.expected.txt` (valid vectors only).
    pub expected: Option<String>,
    /// `NAME.report.txt`: what `nsdf::validate` says.
    pub report: String,
}

/// Every vector, in a fixed order.
pub fn all() -> Vec<Vector> {
    let mut v = Vec::new();
    for (name, bytes) in valid() {
        let model = nsdf::parse(&bytes).expect("valid vector must parse").model;
        let expected = Some(expected(&name, &model));
        let report = report(&bytes);
        v.push(Vector {
            kind: Kind::Valid,
            name,
            bytes,
            expected,
            report,
        });
    }
    for (name, bytes) in invalid() {
        let report = report(&bytes);
        v.push(Vector {
            kind: Kind::Invalid,
            name,
            bytes,
            expected: None,
            report,
        });
    }
    v
}

/// The golden `validate` report: one line per issue, tab-separated
/// `severity  code  offset (or -)  message`.
pub fn report(bytes: &[u8]) -> String {
    let mut out = String::new();
    for i in nsdf::validate(bytes) {
        let offset = i.offset.map_or("-".to_string(), |o| o.to_string());
        out += &format!("{}\t{}\t{}\t{}\n", i.severity, i.code, offset, i.message);
    }
    out
}

/// He-uniform weights and small biases, as an untrained network would have.
fn randomize(m: &mut Model, seed: u64) {
    let mut rng = Rng(seed);
    for l in &mut m.layers {
        let s = (6.0 / l.inputs as f32).sqrt();
        l.weights.iter_mut().for_each(|w| *w = rng.uniform(-s, s));
        l.bias.iter_mut().for_each(|b| *b = rng.uniform(-0.1, 0.1));
    }
}

/// A shape of world size ~4 centred off the origin: scale 0.5, distance_scale 2 = 1/scale.
const DAVIES_TRANSFORM: Transform = Transform {
    scale: 0.5,
    translation: [0.1, -0.2, 0.05],
    distance_scale: 2.0,
    bounds: [[-2.2, -1.6, -2.1], [1.8, 2.4, 1.9]],
};

fn davies(scheme: Scheme) -> Model {
    let mut m = Model::davies().with_scheme(scheme);
    randomize(&mut m, 1);
    m.transform = DAVIES_TRANSFORM;
    m
}

fn stats() -> Stats {
    Stats {
        surface_mean_error: 0.0011,
        surface_max_error: 0.0125,
        near_sign_agreement: 0.953,
        volume_sign_agreement: 0.996,
        near_sigma: 0.02,
        gradient_bound: 1.25,
        surface_samples: 100_000,
        volume_samples: 100_000,
    }
}

/// Metadata as a trainer would write it (no creation time: vectors are reproducible).
fn metadata(m: &mut Model) {
    let s = |x: &str| Value::String(x.into());
    m.set_meta("nsdf.name", s("bunny"));
    m.set_meta("nsdf.source.name", s("bunny.obj"));
    m.set_meta(
        "nsdf.source.sha256",
        s("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"),
    );
    m.set_meta("nsdf.source.triangles", Value::Int(69_451));
    m.set_meta("nsdf.creator", s("nsdf make_vectors"));
    m.set_meta("nsdf.creator.version", s("1"));
    m.set_meta(
        "nsdf.train.recipe",
        s(r#"{"loss":"l1","optimizer":"adam","lr":0.001,"batch":2048}"#),
    );
    m.set_meta("nsdf.train.seed", Value::Int(1));
    m.set_meta("nsdf.train.epochs", Value::Int(100));
    m.set_meta("nsdf.train.seconds", Value::Float(123.5));
    m.set_meta("acme.lod_bias", Value::Float(-0.25));
    m.set_meta("acme.note", s("naïve ✓ UTF-8"));
}

/// `3 → 1`, identity: the plane `d = 2·(0.6x' − 0.8z' − 0.25)` in the network frame — small
/// enough to check by hand.
fn linear() -> Model {
    let mut m = Model::zeros(
        Encoding::None,
        &[],
        Activation::Identity,
        Activation::Identity,
    );
    m.layers[0].weights = vec![0.6, 0.0, -0.8];
    m.layers[0].bias = vec![-0.25];
    m.transform = Transform {
        scale: 0.5,
        translation: [0.0, 0.0, 0.5],
        distance_scale: 2.0,
        bounds: [[-1.0, -1.0, -2.0], [1.0, 1.0, 1.0]],
    };
    m
}

/// Fourier features (2 frequencies) into a small SIREN, one layer per scheme.
fn fourier_sine() -> Model {
    let mut m = Model::zeros(
        Encoding::Fourier { frequencies: 2 },
        &[16, 16],
        Activation::Sine(3.0),
        Activation::Identity,
    );
    randomize(&mut m, 2);
    for l in &mut m.layers[..2] {
        l.weights.iter_mut().for_each(|w| *w *= 0.5);
    }
    m.layers[0].scheme = Scheme::F32;
    m.layers[1].scheme = Scheme::F16;
    m.layers[2].scheme = Scheme::Int8;
    m.transform = Transform::IDENTITY;
    m.stats = Some(stats());
    m
}

/// Odd widths (7, 5) so rows and blocks need padding; leaky ReLU; and a negative distance
/// scale, which flips a network trained positive-inside to the nsdf sign convention.
fn leaky_odd() -> Model {
    let mut m = Model::zeros(
        Encoding::None,
        &[7, 5],
        Activation::LeakyRelu(0.1),
        Activation::Tanh,
    );
    randomize(&mut m, 3);
    m.layers[1].activation = Activation::LeakyRelu(0.01);
    m = m.with_scheme(Scheme::Int8);
    m.transform = Transform {
        scale: 2.0,
        translation: [-1.0, 0.5, 0.0],
        distance_scale: -0.5,
        bounds: [[0.0, -0.5, -0.5], [1.0, 0.25, 0.5]],
    };
    m
}

/// Format 1.1's int4: odd widths (3, 7, 5 inputs), so every row ends in a padding nibble, and
/// precision per layer (the last layer int8).
fn int4_odd() -> Model {
    let mut m = Model::zeros(Encoding::None, &[7, 5], Activation::Relu, Activation::Tanh);
    randomize(&mut m, 5);
    m = m.with_scheme(Scheme::Int4);
    m.layers[2].scheme = Scheme::Int8;
    m.transform = Transform {
        scale: 2.0,
        translation: [-1.0, 0.5, 0.0],
        distance_scale: 0.5,
        bounds: [[0.0, -0.5, -0.5], [1.0, 0.25, 0.5]],
    };
    m
}

/// Format 1.3's int8h next to int4: odd widths (3, 7, 5 inputs), so every int8h block needs
/// padding, and precision per layer (int8h, int4, int8h).
fn int8h_odd() -> Model {
    let mut m = int4_odd();
    m.layers[0].scheme = Scheme::Int8Half;
    m.layers[2].scheme = Scheme::Int8Half;
    m
}

/// Format 1.2's hash grid: three levels of two features, resolutions 2, 4 and 9 with a 2^6
/// table (the first level dense, 27 entries; the others hashed), then 9 → 8 ReLU → 1 tanh.
fn hashgrid(scheme: Scheme) -> Model {
    let mut grid = HashGrid::zeros(2, 6, vec![2, 4, 9], scheme);
    let mut rng = Rng(12);
    grid.values
        .iter_mut()
        .for_each(|v| *v = rng.uniform(-0.8, 0.8));
    let mut m = Model::with_grid(grid, &[8], Activation::Relu, Activation::Tanh);
    randomize(&mut m, 6);
    m.transform = DAVIES_TRANSFORM;
    m.stats = Some(stats());
    m
}

/// A small model the invalid vectors are made from: 3 → 4 ReLU (f32) → 1 tanh (int8), with
/// metadata and statistics, so every chunk kind is present.
fn tiny() -> Model {
    let mut m = Model::zeros(Encoding::None, &[4], Activation::Relu, Activation::Tanh);
    randomize(&mut m, 4);
    m.layers[1].scheme = Scheme::Int8;
    m.set_meta("nsdf.name", Value::String("tiny".into()));
    m.set_meta("acme.a", Value::Int(7));
    m.stats = Some(stats());
    m
}

fn bytes(m: &Model) -> Vec<u8> {
    nsdf::to_bytes(m).expect("vector model must write")
}

fn valid() -> Vec<(String, Vec<u8>)> {
    let mut out = vec![
        ("davies-f32".to_string(), bytes(&davies(Scheme::F32))),
        ("davies-f16".to_string(), {
            let mut m = davies(Scheme::F16);
            m.stats = Some(stats());
            bytes(&m)
        }),
        ("davies-int8".to_string(), {
            let mut m = davies(Scheme::Int8);
            metadata(&mut m);
            m.stats = Some(stats());
            bytes(&m)
        }),
        ("davies-int4".to_string(), {
            let mut m = davies(Scheme::Int4);
            m.stats = Some(stats());
            bytes(&m)
        }),
        ("int4-odd".to_string(), bytes(&int4_odd())),
        ("davies-int8h".to_string(), {
            let mut m = davies(Scheme::Int8Half);
            m.stats = Some(stats());
            bytes(&m)
        }),
        ("int8h-odd".to_string(), bytes(&int8h_odd())),
        ("linear".to_string(), bytes(&linear())),
        ("fourier-sine".to_string(), bytes(&fourier_sine())),
        ("leaky-odd".to_string(), bytes(&leaky_odd())),
        ("hashgrid-f16".to_string(), bytes(&hashgrid(Scheme::F16))),
        ("hashgrid-f32".to_string(), bytes(&hashgrid(Scheme::F32))),
    ];
    // A vendor chunk a 1.0 reader skips: odd length, so the next chunk needs padding.
    let mut chunks = model_chunks(&tiny()).unwrap();
    chunks.insert(3, (Tag(*b"acme"), 0, b"vendor data!!".to_vec()));
    out.push(("unknown-chunk".to_string(), assemble(&chunks)));
    // A file from a later minor version: read as 1.3, with a warning.
    let mut b = bytes(&tiny());
    set_version(&mut b, 1, 4);
    out.push(("minor-1.4".to_string(), b));
    out
}

/// Directory entry `i` of a file: (offset, length).
fn entry(b: &[u8], i: usize) -> (usize, usize) {
    let e = 64 + 32 * i;
    let f = |at: usize| u64::from_le_bytes(b[at..at + 8].try_into().unwrap()) as usize;
    (f(e + 8), f(e + 16))
}

/// Offset of the chunk with `tag`.
fn chunk_at(b: &[u8], tag: Tag) -> usize {
    let count = u32::from_le_bytes(b[24..28].try_into().unwrap()) as usize;
    (0..count)
        .find(|&i| b[64 + 32 * i..68 + 32 * i] == tag.0)
        .map(|i| entry(b, i).0)
        .unwrap()
}

fn put_u32(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

fn put_u64(b: &mut [u8], at: usize, v: u64) {
    b[at..at + 8].copy_from_slice(&v.to_le_bytes());
}

/// A META chunk written by hand (the writer sorts keys; these tests need them unsorted).
fn meta_chunk(entries: &[(&str, u8, &[u8])]) -> Vec<u8> {
    let mut out = (entries.len() as u32).to_le_bytes().to_vec();
    for (k, ty, v) in entries {
        out.extend_from_slice(&(k.len() as u16).to_le_bytes());
        out.extend_from_slice(&[*ty, 0]);
        out.extend_from_slice(&(v.len() as u32).to_le_bytes());
        out.extend_from_slice(k.as_bytes());
        out.extend_from_slice(v);
    }
    out
}

fn invalid() -> Vec<(String, Vec<u8>)> {
    let base = bytes(&tiny());
    let chunks: Vec<RawChunk> = model_chunks(&tiny()).unwrap();
    let with = |f: &dyn Fn(&mut Vec<u8>)| {
        let mut b = base.clone();
        f(&mut b);
        b
    };
    let (arch, wght, meta) = (
        chunk_at(&base, TAG_ARCH),
        chunk_at(&base, TAG_WGHT),
        chunk_at(&base, TAG_META),
    );
    let n = base.len();
    let v: Vec<(&str, Vec<u8>)> = vec![
        // The file ends inside the 64-byte header.
        ("E001-short-header", base[..40].to_vec()),
        // The last chunk's directory length runs past the end of the file.
        (
            "E001-chunk-past-end",
            with(&|b| {
                put_u64(b, 64 + 32 * 4 + 16, 40);
                reseal(b);
            }),
        ),
        // A metadata value length runs past the end of the META chunk.
        (
            "E001-meta-value-past-chunk",
            with(&|b| {
                put_u32(b, meta + 4 + 4, 200);
                reseal_all(b);
            }),
        ),
        // Not an nsdf file at all: an ASCII STL.
        (
            "E002-ascii-stl",
            b"solid cube\n  facet normal 0 0 1\n    outer loop\n".to_vec(),
        ),
        // Sent through a text-mode transfer that turned CR LF into LF.
        ("E003-crlf-to-lf", {
            let mut out = Vec::with_capacity(n);
            let mut i = 0;
            while i < n {
                if base[i] == b'\r' && base.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
                out.push(base[i]);
                i += 1;
            }
            out
        }),
        // Sent through a 7-bit channel that cleared every high bit.
        ("E003-7bit", base.iter().map(|b| b & 0x7f).collect()),
        ("E004-version-2.0", with(&|b| set_version(b, 2, 0))),
        // 64 bytes appended without updating file_length.
        (
            "E005-length-mismatch",
            with(&|b| b.extend_from_slice(&[0; 64])),
        ),
        (
            "E006-header-flags",
            with(&|b| {
                put_u32(b, 12, 1);
                reseal(b);
            }),
        ),
        // Padding is not covered by a checksum; it must be zero instead.
        ("E006-padding", with(&|b| b[arch + 48] = 1)),
        ("E007-header-checksum", with(&|b| b[60] ^= 0x01)),
        // One bit of a weight flipped, checksum not updated.
        ("E008-chunk-checksum", with(&|b| b[wght + 32] ^= 0x01)),
        (
            "E009-chunk-count",
            with(&|b| {
                put_u32(b, 24, 65);
                reseal(b);
            }),
        ),
        (
            "E009-layer-count",
            with(&|b| {
                put_u32(b, arch + 12, 65);
                reseal_all(b);
            }),
        ),
        // 64 zero bytes inserted before the first chunk, offsets moved along.
        (
            "E010-chunk-layout",
            with(&|b| {
                let first = entry(b, 0).0;
                b.splice(first..first, [0u8; 64]);
                for i in 0..5 {
                    let at = 64 + 32 * i + 8;
                    let off = entry(b, i).0 as u64;
                    put_u64(b, at, off + 64);
                }
                let len = b.len() as u64;
                put_u64(b, 16, len);
                reseal(b);
            }),
        ),
        (
            "E011-trailing-bytes",
            with(&|b| {
                b.extend_from_slice(&[0; 64]);
                let len = b.len() as u64;
                put_u64(b, 16, len);
                reseal(b);
            }),
        ),
        ("E012-duplicate-chunk", {
            let mut c = chunks.clone();
            c.push(c[3].clone());
            assemble(&c)
        }),
        ("E013-missing-chunk", {
            let c: Vec<RawChunk> = chunks.iter().filter(|c| c.0 != TAG_XFRM).cloned().collect();
            assemble(&c)
        }),
        // A chunk from a later version that changes evaluation, so readers must not skip it.
        ("E014-unknown-required-chunk", {
            let mut c = chunks.clone();
            c.insert(3, (Tag(*b"ZZZZ"), FLAG_REQUIRED, vec![0; 8]));
            assemble(&c)
        }),
        ("E015-chunk-length", {
            let mut c = chunks.clone();
            c[4].2.extend_from_slice(&[0; 4]);
            assemble(&c)
        }),
        // Weight scheme 5 is undefined.
        (
            "E016-unknown-scheme",
            with(&|b| {
                put_u32(b, wght + 8, 5);
                reseal_all(b);
            }),
        ),
        // int4 is symmetric: the nibble 0x8 (−8) is never written. int4-odd's first block:
        // 7 f16 biases, 7 f16 scales, then rows of 2 bytes (3 weights and a padding nibble).
        ("E016-int4-weight", {
            let mut b = bytes(&int4_odd());
            let at = chunk_at(&b, TAG_WGHT) + 16 + 28;
            b[at] = (b[at] & 0xf0) | 0x8;
            reseal_all(&mut b);
            b
        }),
        // int8h is symmetric too: int8h-odd's first block is 7 f16 biases, 7 f16 scales,
        // then 7 rows of 3 int8 weights.
        ("E016-int8h-weight", {
            let mut b = bytes(&int8h_odd());
            let at = chunk_at(&b, TAG_WGHT) + 16 + 28 + 4;
            b[at] = 0x80;
            reseal_all(&mut b);
            b
        }),
        // The third f16 scale of int8h-odd's first block is negative.
        ("E018-int8h-scale", {
            let mut b = bytes(&int8h_odd());
            let at = chunk_at(&b, TAG_WGHT) + 16 + 14 + 2 * 2 + 1;
            b[at] |= 0x80;
            reseal_all(&mut b);
            b
        }),
        ("E006-int4-row-padding", {
            let mut b = bytes(&int4_odd());
            let at = chunk_at(&b, TAG_WGHT) + 16 + 28 + 1;
            b[at] |= 0x10;
            reseal_all(&mut b);
            b
        }),
        (
            "E017-last-layer-width",
            with(&|b| {
                put_u32(b, arch + 16 + 16 + 4, 2);
                reseal_all(b);
            }),
        ),
        // The first weight of layer 0 (after 4 f32 biases) is a NaN.
        (
            "E018-nan-weight",
            with(&|b| {
                put_u32(b, wght + 16 + 16, 0x7fc0_0000);
                reseal_all(b);
            }),
        ),
        (
            "E018-negative-scale",
            with(&|b| {
                let xfrm = chunk_at(b, TAG_XFRM);
                b[xfrm + 3] |= 0x80;
                reseal_all(b);
            }),
        ),
        ("E019-unsorted-keys", {
            let mut c = chunks.clone();
            c[3].2 = meta_chunk(&[
                ("nsdf.name", 0, b"tiny"),
                ("acme.a", 1, &7i64.to_le_bytes()),
            ]);
            assemble(&c)
        }),
        ("E019-bad-key", {
            let mut c = chunks.clone();
            c[3].2 = meta_chunk(&[("Acme.A", 1, &7i64.to_le_bytes())]);
            assemble(&c)
        }),
    ];
    assert_eq!(chunks[3].0, TAG_META);
    assert_eq!(chunks[4].0, TAG_STAT);
    let mut v = v;
    v.extend(invalid_grid());
    v.into_iter().map(|(k, b)| (k.to_string(), b)).collect()
}

/// Edits of `hashgrid-f16` (GRID: 3 levels × 2 features, 2^6 table, f16; header 32 bytes).
fn invalid_grid() -> Vec<(&'static str, Vec<u8>)> {
    let base = bytes(&hashgrid(Scheme::F16));
    let grid = chunk_at(&base, TAG_GRID);
    let with = |f: &dyn Fn(&mut Vec<u8>)| {
        let mut b = base.clone();
        f(&mut b);
        reseal_all(&mut b);
        b
    };
    let chunks = model_chunks(&hashgrid(Scheme::F16)).unwrap();
    let at = chunks.iter().position(|c| c.0 == TAG_GRID).unwrap();
    vec![
        // No level.
        ("E009-grid-levels", with(&|b| put_u32(b, grid, 0))),
        // A 2^25-entry table is over the limit.
        ("E009-grid-table", with(&|b| put_u32(b, grid + 8, 25))),
        // A level of zero cells.
        ("E009-grid-resolution", with(&|b| put_u32(b, grid + 20, 0))),
        // Four features per level: 12 grid features, ARCH declares 6.
        ("E017-grid-features", with(&|b| put_u32(b, grid + 4, 4))),
        // Grid scheme 2 is undefined.
        ("E016-grid-scheme", with(&|b| put_u32(b, grid + 12, 2))),
        // The header's padding after three resolutions (bytes 28-31).
        ("E006-grid-padding", with(&|b| b[grid + 29] = 1)),
        // An f16 NaN feature: level 1's first value.
        (
            "E018-grid-feature",
            with(&|b| {
                let v = grid + 32 + 2 * 2 * 27;
                b[v..v + 2].copy_from_slice(&0x7e00u16.to_le_bytes());
            }),
        ),
        // One value short.
        ("E015-grid-length", {
            let mut c = chunks.clone();
            let len = c[at].2.len();
            c[at].2.truncate(len - 2);
            assemble(&c)
        }),
        // A hash-grid encoding without its GRID chunk.
        ("E013-grid-missing", {
            let mut c = chunks.clone();
            c.remove(at);
            assemble(&c)
        }),
        // A GRID chunk beside an encoding that is not a hash grid.
        ("E017-grid-without-encoding", {
            let mut c = model_chunks(&tiny()).unwrap();
            c.insert(3, chunks[at].clone());
            assemble(&c)
        }),
    ]
}

/// `NAME.expected.txt`: points and the f64 reference's distance and gradient there.
fn expected(name: &str, model: &Model) -> String {
    let [lo, hi] = model.transform.bounds;
    let mut rng = Rng(0x5eed ^ name.len() as u64);
    let mut rows = Vec::new();
    let mut tries = 0;
    while rows.len() < POINTS && tries < 10_000 {
        tries += 1;
        // Uniform in the bounds grown by 10% each side, rounded to 3 decimals.
        let p: [f32; 3] = std::array::from_fn(|a| {
            let pad = 0.1 * (hi[a] - lo[a]);
            let x = rng.uniform(lo[a] - pad, hi[a] + pad);
            ((x * 1000.0).round() / 1000.0).clamp(-1e6, 1e6)
        });
        let e = reference::eval(model, p);
        if e.kink_margin < KINK_MARGIN {
            continue;
        }
        rows.push(format!(
            "{} {} {} {:.9e} {:.9e} {:.9e} {:.9e}",
            p[0], p[1], p[2], e.distance, e.gradient[0], e.gradient[1], e.gradient[2]
        ));
    }
    assert_eq!(rows.len(), POINTS, "{name}: too few points away from kinks");
    let mut out = format!(
        "# {name}.nsdf: expected world-space signed distance and gradient (spec/nsdf-v1.md, \"Test vectors\").\n\
         # Built by `cargo run --example make_vectors`: an f64 evaluation of the stored (dequantized) weights.\n\
         # Points are f32 (parse the decimals as f32). A reader passes when, on every row,\n\
         # |got - want| <= abs + rel * |want| for the distance and for each gradient component.\n\
         tolerance distance {:e} {:e}\n\
         tolerance gradient {:e} {:e}\n\
         # x y z distance dx dy dz\n",
        DISTANCE_TOLERANCE.0, DISTANCE_TOLERANCE.1, GRADIENT_TOLERANCE.0, GRADIENT_TOLERANCE.1
    );
    for r in rows {
        out += &r;
        out.push('\n');
    }
    out
}

/// Writes every vector and its expectation files into `dir/valid` and `dir/invalid`.
pub fn write_all(dir: &std::path::Path) -> std::io::Result<usize> {
    let vectors = all();
    for kind in [Kind::Valid, Kind::Invalid] {
        let d = dir.join(kind.dir());
        std::fs::create_dir_all(&d)?;
        // Start from a clean folder so a renamed vector leaves no stale file.
        for e in std::fs::read_dir(&d)? {
            let p = e?.path();
            if p.is_file() {
                std::fs::remove_file(p)?;
            }
        }
    }
    for v in &vectors {
        let d = dir.join(v.kind.dir());
        nsdf::write_atomic(&d.join(format!("{}.nsdf", v.name)), &v.bytes)
            .map_err(std::io::Error::other)?;
        if let Some(e) = &v.expected {
            std::fs::write(d.join(format!("{}.expected.txt", v.name)), e)?;
        }
        std::fs::write(d.join(format!("{}.report.txt", v.name)), &v.report)?;
    }
    Ok(vectors.len())
}
